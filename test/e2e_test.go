package test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/mapping"
)

// walk follows next links from url and returns every resource, checking
// each page with the validator.
func walk(t *testing.T, start string) []map[string]any {
	t.Helper()
	return walkPages(t, start, func(b map[string]any, body []byte, url string) {
		validate(t, "Bundle "+url, body)
	})
}

// walkPages follows next links from url and returns every resource of
// searchset pages, each page given to check first (its JSON, its bytes and
// its URL).
func walkPages(t *testing.T, start string, check func(b map[string]any, body []byte, url string)) []map[string]any {
	t.Helper()
	var all []map[string]any
	next := start
	for pages := 0; next != ""; pages++ {
		if pages > 500 {
			t.Fatal("too many pages")
		}
		r := get(t, next)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", next, r.status, truncate(string(r.body), 500))
		}
		b := r.json(t)
		check(b, r.body, next)
		if b["type"] != "searchset" {
			t.Fatalf("bundle type %v", b["type"])
		}
		all = append(all, entries(t, b)...)
		next = link(b, "next")
	}
	return all
}

func TestDoneWhenFamilyAndGender(t *testing.T) {
	t.Parallel()
	// The issue's acceptance request: family=smi&gender=female.
	// family is any name the patient shows: the official one and the
	// previous names of PATIENT_ALIAS.
	aliases := map[string][]string{}
	for _, a := range demoRows(t, "PATIENT_ALIAS") {
		aliases[str(a["PATIENT_ID"])] = append(aliases[str(a["PATIENT_ID"])], str(a["SURNAME"]))
	}
	var want []string
	for _, p := range demoRows(t, "PATIENT") {
		id := str(p["PATIENT_ID"])
		match := false
		for _, f := range append([]string{str(p["SURNAME"])}, aliases[id]...) {
			match = match || strings.HasPrefix(strings.ToLower(strings.TrimSpace(f)), "smi")
		}
		if match && str(p["SEX"]) == "F" {
			want = append(want, id)
		}
	}
	if len(want) < 3 {
		t.Fatalf("the demo data should hold several female patients named smi*, has %d", len(want))
	}
	sort.Strings(want)
	forEachBackend(t, func(t *testing.T, e *env) {
		res := walk(t, e.base+"/Patient?family=smi&gender=female&_count=2")
		var got []string
		for _, p := range res {
			if p["resourceType"] != "Patient" || p["gender"] != "female" {
				t.Errorf("unexpected entry %v", p)
			}
			prof := p["meta"].(map[string]any)["profile"].([]any)[0]
			if prof != "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1" {
				t.Errorf("profile %v", prof)
			}
			got = append(got, p["id"].(string))
		}
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("ids\n got %v\nwant %v", got, want)
		}
	})
}

func TestEveryResourceValidAndCounted(t *testing.T) {
	t.Parallel()
	counts := map[string]int{
		"Patient":             len(demoRows(t, "PATIENT")),
		"Practitioner":        len(demoRows(t, "CLINICIAN")),
		"Organization":        len(demoRows(t, "GP_PRACTICE")),
		"AllergyIntolerance":  len(demoRows(t, "ALLERGY")),
		"Condition":           len(demoRows(t, "PROBLEM")),
		"Observation":         len(demoRows(t, "OBSERVATION")),
		"Encounter":           len(demoRows(t, "CONSULTATION")),
		"Location":            len(demoRows(t, "GP_PRACTICE")),
		"PractitionerRole":    len(demoRows(t, "CLINICIAN")),
		"Medication":          len(demoRows(t, "DRUG")),
		"MedicationStatement": len(demoRows(t, "REPEAT_MED")),
		"MedicationRequest":   len(demoRows(t, "MED_ISSUE")),
		"Immunization":        len(demoRows(t, "IMMUNISATION")),
		"Procedure":           len(demoRows(t, "CLIN_PROCEDURE")),
		"ReferralRequest":     len(demoRows(t, "REFERRAL")),
		"ProcedureRequest":    len(demoRows(t, "DIARY_ENTRY")) + len(demoRows(t, "TEST_REPORT")), // diary entries and test requests
		"DiagnosticReport":    len(demoRows(t, "TEST_REPORT")),
		"Specimen":            len(demoRows(t, "SPECIMEN")),
		"HealthcareService":   len(demoRows(t, "CLIN_SERVICE")),
		"DocumentReference":   len(demoRows(t, "CLIN_DOCUMENT")),
	}
	types := map[string]bool{}
	for _, m := range mustDemoSet(t).Mappings {
		types[m.Resource] = true
	}
	if len(counts) != len(types) {
		t.Fatalf("the sweep covers %d types, the demo maps %d", len(counts), len(types))
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		refs := map[string]bool{}
		problems := map[string]bool{}
		for typ, n := range counts {
			res := walk(t, e.base+"/"+typ+"?_count=100")
			if len(res) != n {
				t.Errorf("%s: served %d, source has %d rows", typ, len(res), n)
			}
			seen := map[string]bool{}
			for _, r := range res {
				id := r["id"].(string)
				if seen[id] {
					t.Errorf("%s/%s served twice", typ, id)
				}
				seen[id] = true
				collectRefs(r, refs)
				for _, p := range profile.Check(r) {
					problems[typ+"/"+id+": "+p.String()] = true
				}
			}
			readBack(t, e, typ, res, 37)
		}
		profileCheckerIsLive(t, e)
		reportProblems(t, problems)
		if len(refs) == 0 {
			t.Fatal("no references found")
		}
		for ref := range refs {
			if r := get(t, e.base+"/"+ref); r.status != http.StatusOK {
				t.Errorf("reference %s does not resolve: %d", ref, r.status)
			}
		}
	})
}

// readBack reads every resource of res, a search's entries of type typ,
// by id: the read gives the same resource as the search; every n-th also
// goes through the validator on its own.
func readBack(t *testing.T, e *env, typ string, res []map[string]any, n int) {
	t.Helper()
	for i, r := range res {
		id := r["id"].(string)
		rr := get(t, e.base+"/"+typ+"/"+id)
		if rr.status != http.StatusOK {
			t.Fatalf("read %s/%s: %d %s", typ, id, rr.status, truncate(string(rr.body), 300))
		}
		if !reflect.DeepEqual(rr.json(t), r) {
			t.Errorf("%s/%s: the read differs from the search entry", typ, id)
		}
		if i%n == 0 {
			validate(t, typ+"/"+id, rr.body)
		}
	}
}

// readBackShare reads back by id, as readBack does, the resources whose
// place in res is part modulo parts: the backends of a sweep each take a
// part, so that every resource is read back on one of them.
func readBackShare(t *testing.T, e *env, typ string, res []map[string]any, part, parts int) {
	t.Helper()
	var mine []map[string]any
	for i := part; i < len(res); i += parts {
		mine = append(mine, res[i])
	}
	readBack(t, e, typ, mine, 97)
}

// profileCheckerIsLive shows that the Care Connect profile checker finds
// problems: a served Patient without its names fails it.
func profileCheckerIsLive(t *testing.T, e *env) {
	t.Helper()
	pat := get(t, e.base+"/Patient/1").json(t)
	delete(pat, "name")
	if ps := profile.Check(pat); len(ps) == 0 || !strings.Contains(ps[0].String(), "Patient.name") {
		t.Errorf("the profile checker missed a Patient without a name: %v", ps)
	}
}

// reportProblems fails the test with the profile problems found, if any:
// how many, and the first 30 in order.
func reportProblems(t *testing.T, problems map[string]bool) {
	t.Helper()
	if len(problems) == 0 {
		return
	}
	var list []string
	for p := range problems {
		list = append(list, p)
	}
	sort.Strings(list)
	t.Errorf("%d Care Connect profile problems, e.g.:\n%s", len(list), strings.Join(list[:min(len(list), 30)], "\n"))
}

func collectRefs(v any, refs map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if k == "reference" {
				if s, ok := x.(string); ok {
					refs[s] = true
				}
			}
			collectRefs(x, refs)
		}
	case []any:
		for _, x := range t {
			collectRefs(x, refs)
		}
	}
}

func TestPatientShape(t *testing.T) {
	t.Parallel()
	var p map[string]any
	for _, row := range demoRows(t, "PATIENT") {
		if row["NHS_NUMBER"] != nil && strings.Contains(str(row["NHS_NUMBER"]), " ") && row["ETHNIC_ORIGIN"] != nil {
			p = row
			break
		}
	}
	if p == nil {
		t.Fatal("no patient with a spaced NHS number")
	}
	id := str(p["PATIENT_ID"])
	nhs := strings.ReplaceAll(str(p["NHS_NUMBER"]), " ", "")
	forEachBackend(t, func(t *testing.T, e *env) {
		r := get(t, e.base+"/Patient/"+id)
		if r.status != 200 {
			t.Fatalf("read: %d %s", r.status, r.body)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
			t.Errorf("content type %q", ct)
		}
		body := string(r.body)
		if !strings.HasPrefix(body, `{"resourceType":"Patient","id":"`+id+`","meta":{`) {
			t.Errorf("resourceType, id and meta must come first: %s", truncate(body, 120))
		}
		res := r.json(t)
		ids := res["identifier"].([]any)
		first := ids[0].(map[string]any)
		if first["system"] != "https://fhir.nhs.uk/Id/nhs-number" || first["value"] != nhs {
			t.Errorf("NHS number identifier %v, want %s", first, nhs)
		}
		ext := first["extension"].([]any)[0].(map[string]any)
		if !strings.HasSuffix(ext["url"].(string), "Extension-CareConnect-NHSNumberVerificationStatus-1") {
			t.Errorf("verification status extension %v", ext)
		}
		names := res["name"].([]any)
		if names[0].(map[string]any)["use"] != "official" {
			t.Errorf("first name is not official: %v", names[0])
		}
		if fam := names[0].(map[string]any)["family"]; fam != strings.TrimSpace(str(p["SURNAME"])) {
			t.Errorf("family %q, want trimmed %q", fam, p["SURNAME"])
		}
		dob := str(p["DATE_OF_BIRTH"])
		if res["birthDate"] != dob[:4]+"-"+dob[4:6]+"-"+dob[6:] {
			t.Errorf("birthDate %v from %s", res["birthDate"], dob)
		}
		// Element order of the Patient resource, as FHIR defines it.
		order := []string{"resourceType", "id", "meta", "extension", "identifier", "name", "telecom", "gender", "birthDate", "deceasedDateTime", "address", "maritalStatus", "generalPractitioner", "managingOrganization"}
		last := -1
		for _, k := range order {
			i := strings.Index(body, `"`+k+`":`)
			if i < 0 {
				continue
			}
			if i < last {
				t.Errorf("element %s out of FHIR order", k)
			}
			last = i
		}
	})
}

func TestSearchParameters(t *testing.T) {
	t.Parallel()
	patients := demoRows(t, "PATIENT")
	var spaced map[string]any
	for _, p := range patients {
		if strings.Contains(str(p["NHS_NUMBER"]), " ") {
			spaced = p
			break
		}
	}
	nhs := strings.ReplaceAll(str(spaced["NHS_NUMBER"]), " ", "")
	count := func(pred func(p map[string]any) bool) int {
		n := 0
		for _, p := range patients {
			if pred(p) {
				n++
			}
		}
		return n
	}
	hasContact := map[string]map[string]bool{}
	for _, c := range demoRows(t, "PATIENT_CONTACT_NO") {
		id := str(c["PATIENT_ID"])
		if hasContact[id] == nil {
			hasContact[id] = map[string]bool{}
		}
		hasContact[id][str(c["CONTACT_TYPE"])] = true
	}
	dob := str(patients[10]["DATE_OF_BIRTH"])
	year := dob[:4]
	aliases := map[string][]string{}
	for _, a := range demoRows(t, "PATIENT_ALIAS") {
		aliases[str(a["PATIENT_ID"])] = append(aliases[str(a["PATIENT_ID"])], strings.TrimSpace(str(a["SURNAME"])))
	}
	hasFamily := func(p map[string]any, f string) bool {
		return strings.TrimSpace(str(p["SURNAME"])) == f || slices.Contains(aliases[str(p["PATIENT_ID"])], f)
	}
	cases := []struct {
		query string
		want  int
	}{
		{"identifier=https://fhir.nhs.uk/Id/nhs-number|" + nhs, 1},
		{"identifier=" + nhs, 1},
		{"identifier=https://example.org/other|" + nhs, 0},
		{"_id=" + str(spaced["PATIENT_ID"]), 1},
		{"_id=999999", 0},
		{"_id:missing=true", 0},
		{"_id:missing=false&gender=male", count(func(p map[string]any) bool { return p["SEX"] == "M" })},
		{"gender=male", count(func(p map[string]any) bool { return p["SEX"] == "M" })},
		{"gender=http://hl7.org/fhir/administrative-gender|female", count(func(p map[string]any) bool { return p["SEX"] == "F" })},
		{"gender=male,female", count(func(p map[string]any) bool { return p["SEX"] == "M" || p["SEX"] == "F" })},
		{"birthdate=" + year, count(func(p map[string]any) bool { return strings.HasPrefix(str(p["DATE_OF_BIRTH"]), year) })},
		{"birthdate=" + dob[:4] + "-" + dob[4:6] + "-" + dob[6:], count(func(p map[string]any) bool { return str(p["DATE_OF_BIRTH"]) == dob })},
		{"birthdate=lt1950", count(func(p map[string]any) bool { d := str(p["DATE_OF_BIRTH"]); return d != "" && d < "1950" })},
		{"birthdate=ge1950&birthdate=lt1960", count(func(p map[string]any) bool {
			d := str(p["DATE_OF_BIRTH"])
			return d >= "1950" && d < "1960"
		})},
		{"_lastUpdated=gt2100-01-01", 0},
		{"gender:not=male", count(func(p map[string]any) bool { return p["SEX"] != "M" })},
		{"gender:not=male,female", count(func(p map[string]any) bool { return p["SEX"] != "M" && p["SEX"] != "F" })},
		{"email:missing=true", count(func(p map[string]any) bool { return !hasContact[str(p["PATIENT_ID"])]["EM"] })},
		{"email:missing=false", count(func(p map[string]any) bool { return hasContact[str(p["PATIENT_ID"])]["EM"] })},
		{"identifier:missing=true", count(func(p map[string]any) bool {
			return p["NHS_NUMBER"] == nil && strings.TrimSpace(str(p["HOSPITAL_NO"])) == ""
		})},
		{"identifier=https://fhir.example.nhs.uk/Id/hospital-number|" + strings.TrimSpace(str(spaced["HOSPITAL_NO"])), 1},
		{"family:missing=false", len(patients)},
		{"family:exact=" + strings.TrimSpace(str(spaced["SURNAME"])), count(func(p map[string]any) bool {
			return hasFamily(p, strings.TrimSpace(str(spaced["SURNAME"])))
		})},
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, c := range cases {
			res := walk(t, e.base+"/Patient?"+c.query+"&_count=100")
			if len(res) != c.want {
				t.Errorf("%s: %d results, want %d", c.query, len(res), c.want)
			}
		}
	})
}

func TestErrors(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		cases := []struct {
			method, path string
			header       []string
			status       int
			says         string
		}{
			{"GET", "/Patient?colour=blue", nil, 400, `unknown search parameter "colour"`},
			{"GET", "/Patient?birthdate=20x9", nil, 400, "birthdate"},
			{"GET", "/Patient?_count=-1", nil, 400, "_count"},
			{"GET", "/Patient?family:fuzzy=smi", nil, 400, "modifier"},
			{"GET", "/Patient?family:not=smi", nil, 400, "modifier :not is not supported on string"},
			{"GET", "/Patient?email:missing=maybe", nil, 400, ":missing takes true or false"},
			{"GET", "/Patient?_sort=address-postalcode", nil, 400, "cannot sort"},
			{"GET", "/Patient?_sort=colour", nil, 400, "_sort: unknown parameter"},
			{"GET", "/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|1234567890", nil, 400, "NHS number"},
			{"GET", "/Patient?_cursor=garbage", nil, 400, "cursor"},
			{"GET", "/Unicorn", nil, 404, "Unicorn"},
			{"GET", "/Unicorn/1", nil, 404, "Unicorn"},
			{"GET", "/Patient/999999", nil, 404, "Patient/999999"},
			{"GET", "/Patient/abc", nil, 404, "Patient/abc"},
			{"GET", "/Patient/007", nil, 404, "Patient/007"},
			{"GET", "/Patient/1%27%20OR%201=1", nil, 404, "is not known"},
			{"GET", "/Patient/" + strings.Repeat("9", 70), nil, 404, ""},
			{"POST", "/Patient", nil, 405, "read-only"},
			{"PUT", "/Patient/1", nil, 405, "read-only"},
			{"PATCH", "/Patient/1", nil, 405, "read-only"},
			{"DELETE", "/Patient/1", nil, 405, "read-only"},
			{"POST", "", nil, 405, "read-only"},
			{"GET", "/Patient/1", []string{"Accept", "text/csv"}, 406, "XML"},
			{"GET", "/Patient/1?_format=csv", nil, 415, "XML"},
		}
		for _, c := range cases {
			r := do(t, c.method, e.base+c.path, nil, c.header...)
			if r.status != c.status {
				t.Errorf("%s %s: status %d, want %d: %s", c.method, c.path, r.status, c.status, truncate(string(r.body), 300))
				continue
			}
			validate(t, c.method+" "+c.path, r.body)
			if msg := issueText(t, r); !strings.Contains(msg, c.says) {
				t.Errorf("%s %s: diagnostics %q do not mention %q", c.method, c.path, msg, c.says)
			}
			if strings.Contains(strings.ToLower(string(r.body)), "select ") {
				t.Errorf("%s %s: SQL leaked into the response", c.method, c.path)
			}
		}
	})
}

func TestFormatsAndHeaders(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	for _, accept := range []string{"application/fhir+json", "application/json+fhir", "application/json", "*/*", ""} {
		r := get(t, e.base+"/Patient/1", "Accept", accept)
		if r.status != 200 {
			t.Errorf("Accept %q: %d", accept, r.status)
		}
	}
	for _, f := range []string{"json", "application/fhir+json", "application/json"} {
		if r := get(t, e.base+"/Patient/1?_format="+url.QueryEscape(f)); r.status != 200 {
			t.Errorf("_format=%s: %d", f, r.status)
		}
	}
	r := get(t, e.base+"/Patient/1", "X-Request-ID", "abc-123")
	if got := r.header.Get("X-Correlation-ID"); got != "abc-123" {
		t.Errorf("X-Correlation-ID %q", got)
	}
	// POST _search with a form body gives the same answer as GET.
	g := get(t, e.base+"/Patient?gender=female&family=smi")
	p := do(t, "POST", e.base+"/Patient/_search", strings.NewReader("gender=female&family=smi"), "Content-Type", "application/x-www-form-urlencoded")
	if p.status != 200 || len(entries(t, p.json(t))) != len(entries(t, g.json(t))) {
		t.Errorf("POST _search: %d, %d entries vs %d", p.status, len(entries(t, p.json(t))), len(entries(t, g.json(t))))
	}
	// Lenient handling ignores unknown parameters and leaves them out of self.
	l := get(t, e.base+"/Patient?gender=female&colour=blue", "Prefer", "handling=lenient")
	if l.status != 200 {
		t.Fatalf("lenient: %d", l.status)
	}
	if self := link(l.json(t), "self"); strings.Contains(self, "colour") || !strings.Contains(self, "gender=female") {
		t.Errorf("lenient self link %s", self)
	}
}

func TestPagingLinks(t *testing.T) {
	t.Parallel()
	n := len(demoRows(t, "PATIENT"))
	forEachBackend(t, func(t *testing.T, e *env) {
		res := walk(t, e.base+"/Patient?_count=7")
		if len(res) != n {
			t.Fatalf("walked %d of %d", len(res), n)
		}
		// Second page, then its previous link, gives the first page again.
		first := get(t, e.base+"/Patient?_count=7").json(t)
		second := get(t, link(first, "next")).json(t)
		back := get(t, link(second, "previous")).json(t)
		if got, want := ids(t, back, "Patient"), ids(t, first, "Patient"); !slices.Equal(got, want) {
			t.Errorf("previous of page 2 is %v, page 1 is %v", got, want)
		}
		if link(first, "previous") != "" {
			t.Error("first page has a previous link")
		}
		// A cursor is bound to its search.
		next := link(first, "next")
		u, _ := url.Parse(next)
		q := u.Query()
		q.Set("gender", "male")
		u.RawQuery = q.Encode()
		if r := get(t, u.String()); r.status != 400 {
			t.Errorf("cursor reused for another search: %d", r.status)
		}
		// A tampered cursor is refused.
		q = u.Query()
		q.Del("gender")
		c := []byte(q.Get("_cursor"))
		c[len(c)/2] ^= 1
		q.Set("_cursor", string(c))
		u.RawQuery = q.Encode()
		if r := get(t, u.String()); r.status != 400 {
			t.Errorf("tampered cursor: %d", r.status)
		}
		// _count=0 returns no entries.
		if b := get(t, e.base+"/Patient?_count=0").json(t); len(entries(t, b)) != 0 {
			t.Error("_count=0 returned entries")
		}
	})
}

func TestMetadata(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	r := get(t, e.base+"/metadata")
	if r.status != 200 {
		t.Fatal(r.status)
	}
	validate(t, "CapabilityStatement", r.body)
	cs := r.json(t)
	if cs["fhirVersion"] != "3.0.1" {
		t.Errorf("fhirVersion %v", cs["fhirVersion"])
	}
	set := e.eng.Set()
	rest := cs["rest"].([]any)[0].(map[string]any)
	got := map[string][]string{}
	for _, res := range rest["resource"].([]any) {
		rm := res.(map[string]any)
		for _, sp := range rm["searchParam"].([]any) {
			got[rm["type"].(string)] = append(got[rm["type"].(string)], sp.(map[string]any)["name"].(string))
		}
		for _, kind := range []string{"searchInclude", "searchRevInclude"} {
			list, _ := rm[kind].([]any)
			param := map[string]string{"searchInclude": "_include", "searchRevInclude": "_revinclude"}[kind]
			for _, v := range list {
				if r := get(t, e.base+"/"+rm["type"].(string)+"?_count=2&"+param+"="+v.(string)); r.status != 200 {
					t.Errorf("%s?%s=%s is listed but answers %d", rm["type"], param, v, r.status)
				}
			}
		}
		m := set.Lookup(rm["type"].(string))
		if m == nil {
			t.Errorf("CapabilityStatement lists %v, which is not mapped", rm["type"])
			continue
		}
		// A type Care Connect has no profile of (ReferralRequest) claims none.
		if prof, _ := rm["profile"].(map[string]any); m.Profile == "" && prof != nil || m.Profile != "" && (prof == nil || prof["reference"] != m.Profile) {
			t.Errorf("%s profile %v, want %q", m.Resource, rm["profile"], m.Profile)
		}
	}
	// A type of several mappings (ProcedureRequest: the diary entries' and
	// the test requests') offers the parameters of each, in their order.
	// _lastUpdated where a mapping of the type has an updated column.
	wants := map[string][]string{}
	for _, m := range set.Mappings {
		if wants[m.Resource] == nil {
			wants[m.Resource] = []string{"_id"}
		}
		if m.From.Updated != "" && !slices.Contains(wants[m.Resource], "_lastUpdated") {
			wants[m.Resource] = slices.Insert(wants[m.Resource], 1, "_lastUpdated")
		}
		for _, p := range m.Search {
			if !slices.Contains(wants[m.Resource], p.Name) {
				wants[m.Resource] = append(wants[m.Resource], p.Name)
			}
		}
	}
	for _, m := range set.Mappings {
		want := wants[m.Resource]
		if strings.Join(got[m.Resource], ",") != strings.Join(want, ",") {
			t.Errorf("%s search params %v, want %v", m.Resource, got[m.Resource], want)
		}
		// Every listed parameter is accepted by the server.
		for _, p := range want {
			v := "x"
			var sp *mapping.SearchParam // of any mapping of the type
			for _, o := range set.Mappings {
				if o.Resource == m.Resource && sp == nil {
					sp = o.SearchParam(p)
				}
			}
			switch {
			case p == "_lastUpdated" || (sp != nil && sp.Type == "date"):
				v = "2020"
			case p == "_id":
				v = "1"
			case sp != nil && sp.Type == "token" && sp.Transforms != nil && hasTransform(sp, "nhs-number"):
				v = "9434765919"
			}
			if r := get(t, e.base+"/"+m.Resource+"?"+p+"="+v); r.status != 200 {
				t.Errorf("%s?%s=%s: %d %s", m.Resource, p, v, r.status, truncate(string(r.body), 300))
			}
		}
	}
}

func hasTransform(p *mapping.SearchParam, name string) bool {
	for _, t := range p.Transforms {
		if t.Name == name {
			return true
		}
	}
	return false
}

// database.statement_timeout bounds every statement through its context,
// on every adapter: a statement that runs out of time is abandoned and the
// request answers 503, saying so, with nothing of the database's error.
func TestStatementTimeout(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		log := demotest.Silent()
		slow := serveDB(t, e.db, engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret"), Logger: log, StatementTimeout: time.Nanosecond})
		r := get(t, slow.base+"/Patient?family=smi")
		if r.status != 503 || !strings.Contains(issueText(t, r), "did not answer in time") {
			t.Errorf("a statement out of time: %d %s", r.status, r.body)
		}
		if r.header.Get("Retry-After") == "" {
			t.Error("a 503 from the database without Retry-After")
		}
		fast := serveDB(t, e.db, engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret"), Logger: log, StatementTimeout: time.Minute})
		if r := get(t, fast.base+"/Patient?family=smi"); r.status != 200 {
			t.Errorf("with time to spare: %d %s", r.status, r.body)
		}
	})
}

// The ap (approximately) prefix widens the range by a tenth of its
// distance from now, by the engine's clock.
func TestApproximatelyUsesTheEngineClock(t *testing.T) {
	t.Parallel()
	patients := demoRows(t, "PATIENT")
	born := func(from, to string) int { // births in [from, to), YYYYMMDD
		n := 0
		for _, p := range patients {
			if d := str(p["DATE_OF_BIRTH"]); d >= from && d < to {
				n++
			}
		}
		return n
	}
	base := sqliteEnv(t)
	log := demotest.Silent()
	at := func(now time.Time) int {
		e := serveDB(t, base.db, engine.Options{PagingSecret: []byte("s"), Logger: log, Now: func() time.Time { return now }})
		return len(walk(t, e.base+"/Patient?birthdate=ap1990&_count=100"))
	}
	// Half a year after: about 18 days either side of 1990.
	if n, lo, hi := at(time.Date(1990, 7, 1, 0, 0, 0, 0, time.UTC)), born("19900101", "19910101"), born("19891201", "19910201"); n < lo || n > hi || hi == born("19850101", "19950101") {
		t.Errorf("ap1990 seen from mid-1990: %d patients, want %d to %d (and fewer than in 1985-1994)", n, lo, hi)
	}
	// Two centuries after: twenty years either side.
	if n, lo := at(time.Date(2190, 1, 1, 0, 0, 0, 0, time.UTC)), born("19710101", "20100101"); n < lo || lo == 0 {
		t.Errorf("ap1990 seen from 2190: %d patients, want at least %d", n, lo)
	}
}

// A cursor belongs to its request: moved to another search, or to another
// patient's record, it is refused.
func TestCursorBelongsToItsRequest(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	cursorOf := func(path string) string {
		next := link(get(t, e.base+path).json(t), "next")
		if next == "" {
			t.Fatalf("%s has no next page", path)
		}
		u, err := url.Parse(next)
		if err != nil {
			t.Fatal(err)
		}
		return u.Query().Get("_cursor")
	}
	for _, c := range []struct{ from, to string }{
		{"/Patient?gender=female&_count=2", "/Patient?gender=male&_count=2"},
		{"/Patient?gender=female&_count=2", "/Observation?_count=2"},
		{"/Patient/1/$everything?_count=2", "/Patient/2/$everything?_count=2"},
		{"/Patient/1/$everything?_count=2", "/Patient?_count=2"},
	} {
		tok := cursorOf(c.from)
		if r := get(t, e.base+c.from+"&_cursor="+url.QueryEscape(tok)); r.status != 200 {
			t.Errorf("%s with its own cursor: %d", c.from, r.status)
		}
		r := get(t, e.base+c.to+"&_cursor="+url.QueryEscape(tok))
		if r.status != 400 || !strings.Contains(issueText(t, r), "cursor") {
			t.Errorf("%s with the cursor of %s: %d %s", c.to, c.from, r.status, truncate(string(r.body), 300))
		}
	}
}

// Conditional reads (weak ETag, Last-Modified, 304), gzip, _count=0 with
// its total, and a clear answer to history and vread.
func TestHTTPCaching(t *testing.T) {
	t.Parallel()
	forEachBackend(t, func(t *testing.T, e *env) {
		r := get(t, e.base+"/Patient/3")
		etag, lm := r.header.Get("ETag"), r.header.Get("Last-Modified")
		if !strings.HasPrefix(etag, `W/"`) || lm == "" {
			t.Fatalf("read: ETag %q Last-Modified %q", etag, lm)
		}
		if again := get(t, e.base+"/Patient/3"); again.header.Get("ETag") != etag {
			t.Errorf("the ETag changed between two reads: %q %q", etag, again.header.Get("ETag"))
		}
		for _, c := range []struct {
			header []string
			want   int
		}{
			{[]string{"If-None-Match", etag}, 304},
			{[]string{"If-None-Match", `W/"other", ` + etag}, 304},
			{[]string{"If-None-Match", `W/"other"`}, 200},
			{[]string{"If-Modified-Since", lm}, 304},
			{[]string{"If-Modified-Since", "Mon, 01 Jan 1990 00:00:00 GMT"}, 200},
		} {
			r := get(t, e.base+"/Patient/3", c.header...)
			if r.status != c.want || (c.want == 304 && len(r.body) != 0) {
				t.Errorf("%v: %d (%d bytes), want %d", c.header, r.status, len(r.body), c.want)
			}
		}
		if r := get(t, e.base+"/Patient/4", "If-None-Match", etag); r.status != 200 {
			t.Errorf("another resource with this one's ETag: %d", r.status)
		}
		// gzip when asked and worth it.
		big := get(t, e.base+"/Observation?_count=100", "Accept-Encoding", "gzip")
		if big.header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("a large page with Accept-Encoding gzip: %q", big.header.Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(big.body))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		validate(t, "gzip page", plain)
		if small := get(t, e.base+"/Patient?_id=3&_elements=gender", "Accept-Encoding", "gzip"); small.header.Get("Content-Encoding") == "gzip" {
			t.Error("a small answer was compressed")
		}
		if plain := get(t, e.base+"/Observation?_count=100"); plain.header.Get("Content-Encoding") != "" {
			t.Error("compressed without Accept-Encoding")
		}
		// _count=0: the total, no entries.
		b := get(t, e.base+"/Patient?gender=female&_count=0").json(t)
		if _, ok := b["total"]; !ok || b["entry"] != nil {
			t.Errorf("_count=0: total %v, entries %v", b["total"], b["entry"] != nil)
		}
		for _, p := range []string{"/Patient/1/_history", "/Patient/1/_history/1"} {
			if r := get(t, e.base+p); r.status != 400 || !strings.Contains(issueText(t, r), "history and vread are not supported") {
				t.Errorf("%s: %d %s", p, r.status, truncate(string(r.body), 200))
			}
		}
	})
}

// Content negotiation: every MIME type and _format value of FHIR JSON and
// XML, by q-value, JSON for */* and ties, errors in the asked format.
func TestContentNegotiation(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	for _, c := range []struct {
		accept, format, want string
	}{
		{"application/fhir+xml", "", "xml"},
		{"application/xml+fhir", "", "xml"},
		{"application/xml", "", "xml"},
		{"text/xml", "", "xml"},
		{"application/fhir+json", "", "json"},
		{"application/json", "", "json"},
		{"*/*", "", "json"},
		{"", "", "json"},
		{"application/fhir+xml;q=0.9, application/fhir+json;q=0.8", "", "xml"},
		{"application/fhir+xml;q=0.5, */*;q=0.5", "", "json"},
		{"application/fhir+json;q=0, application/xml", "", "xml"},
		{"", "xml", "xml"},
		{"", "application/fhir+xml", "xml"},
		{"", "text/xml", "xml"},
		{"application/fhir+xml", "json", "json"},
		{"", "application/json+fhir", "json"},
		{"application/fhir+json;q=0, */*", "", "xml"},
		{"application/fhir+json;Q=0.2, application/fhir+xml;q=0.4", "", "xml"},
		{"text/*", "", "xml"},
	} {
		q := "/Patient/3"
		if c.format != "" {
			q += "?_format=" + url.QueryEscape(c.format)
		}
		var h []string
		if c.accept != "" {
			h = []string{"Accept", c.accept}
		}
		r := get(t, e.base+q, h...)
		ct := r.header.Get("Content-Type")
		if r.status != 200 || !strings.Contains(ct, "fhir+"+c.want) || (c.want == "xml") != bytes.HasPrefix(r.body, []byte("<?xml")) {
			t.Errorf("Accept %q, _format %q: %d %q", c.accept, c.format, r.status, ct)
		}
	}
	// An unencoded + in _format (a space once decoded).
	if r := get(t, e.base+"/Patient/3?_format=application/fhir+xml"); r.status != 200 || !bytes.HasPrefix(r.body, []byte("<?xml")) {
		t.Errorf("_format=application/fhir+xml unencoded: %d", r.status)
	}
	// Caches must key on the format: Vary names Accept, on a 304 too.
	r0 := get(t, e.base+"/Patient/3")
	for _, r := range []response{r0, get(t, e.base+"/Patient/3", "If-None-Match", r0.header.Get("ETag"))} {
		if v := strings.Join(r.header.Values("Vary"), ","); !strings.Contains(v, "Accept") || !strings.Contains(v, "Accept-Encoding") {
			t.Errorf("%d: Vary %q", r.status, v)
		}
	}
	for _, p := range []string{"/Patient/_history", "/_history", "/Patient/1/_history"} {
		if r := get(t, e.base+p); r.status != 400 || !strings.Contains(issueText(t, r), "history and vread are not supported") {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	if r := do(t, "HEAD", e.base+"/Patient/1/_history/1", nil); r.status != 400 {
		t.Errorf("HEAD vread: %d", r.status)
	}
	r := get(t, e.base+"/Patient/999999", "Accept", "application/fhir+xml")
	if r.status != 404 || !bytes.Contains(r.body, []byte("<OperationOutcome")) {
		t.Errorf("an error asked for as XML: %d %s", r.status, truncate(string(r.body), 200))
	}
	if caps := get(t, e.base+"/metadata").json(t); !strings.Contains(fmt.Sprint(caps["format"]), "application/fhir+xml") {
		t.Errorf("the CapabilityStatement's format %v", caps["format"])
	}
}
