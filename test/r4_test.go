package test

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/fhirvalid"
	"github.com/ccfacade/ccfacade/mapping"
)

// ukCoreProblems checks resources with the UK Core checker (the UK Core
// profiles each claims, else its R4 definition) and reports every
// problem, with the resource it is in, one error per resource.
func ukCoreProblems(t *testing.T, res []map[string]any) {
	t.Helper()
	for _, r := range res {
		ps := profile.BuiltinR4().Check(r)
		if len(ps) == 0 {
			continue
		}
		lines := make([]string, len(ps))
		for i, p := range ps {
			lines[i] = "  " + p.String()
		}
		t.Errorf("%s/%v does not meet UK Core:\n%s", r["resourceType"], r["id"], strings.Join(lines, "\n"))
	}
}

// isLaboratory tells whether an R4 Observation shows the laboratory
// category (the UKCore-Observation-Lab rule).
func isLaboratory(r map[string]any) bool {
	if r["resourceType"] != "Observation" {
		return false
	}
	cats, _ := r["category"].([]any)
	for _, c := range cats {
		codings, _ := c.(map[string]any)["coding"].([]any)
		for _, x := range codings {
			cm := x.(map[string]any)
			if cm["system"] == "http://terminology.hl7.org/CodeSystem/observation-category" && cm["code"] == "laboratory" {
				return true
			}
		}
	}
	return false
}

// walkR4 follows next links from url on the R4 base and returns every
// resource, checking each page with the R4 validator.
func walkR4(t *testing.T, start string) []map[string]any {
	t.Helper()
	return walkPages(t, start, func(b map[string]any, body []byte, url string) {
		fhirvalid.ValidateR4(t, "Bundle "+url, body)
		entries, _ := b["entry"].([]any)
		for _, en := range entries {
			if u, _ := en.(map[string]any)["fullUrl"].(string); !strings.Contains(u, "/R4/") {
				t.Fatalf("an R4 entry's fullUrl is not on the R4 base: %s", u)
			}
		}
	})
}

// idsOf are the Type/id of resources, in order.
func idsOf(res []map[string]any) []string {
	out := make([]string, len(res))
	for i, r := range res {
		out[i] = r["resourceType"].(string) + "/" + r["id"].(string)
	}
	return out
}

// pageIDs follows next links from url (any base) and returns the
// Type/id of every entry, matches and includes, in order.
func pageIDs(t *testing.T, start string) []string {
	t.Helper()
	return idsOf(walkPages(t, start, func(map[string]any, []byte, string) {}))
}

// pageModeIDs follows next links from url and returns the Type/id of the
// entries of each search mode (match, include), in order.
func pageModeIDs(t *testing.T, start string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	walkPages(t, start, func(b map[string]any, _ []byte, _ string) {
		es, _ := b["entry"].([]any)
		for _, e := range es {
			em := e.(map[string]any)
			r := em["resource"].(map[string]any)
			mode, _ := demotest.At(em, "search", "mode").(string)
			out[mode] = append(out[mode], r["resourceType"].(string)+"/"+r["id"].(string))
		}
	})
	return out
}

// Every resource of every type of the demo is served on the R4 base and
// is valid FHIR R4 (the google/fhir R4 validator: elements, cardinality,
// types, required codes), page by page and read by id; it claims UK
// Core's profile of its type (UKCore-Observation-Lab for an Observation
// of the laboratory category; none for ServiceRequest, which UK Core
// 2.0.2 does not profile) and meets it (the UK Core checker, fhir/profile's
// BuiltinR4, else the R4 definition); the R4 base serves exactly the
// resources the STU3 base does, with the same ids (as ServiceRequests,
// the ReferralRequests and ProcedureRequests); every reference in an R4
// resource resolves on the R4 base.
func TestEveryDemoResourceValidOnR4(t *testing.T) {
	t.Parallel()
	set := mustDemoSet(t)
	demotest.Each(t, demotest.Config{}, func(t *testing.T, e *demotest.Env) {
		refs := map[string]bool{}
		labs := 0
		// The mappings served as each R4 type: ServiceRequest gathers the
		// ReferralRequest and ProcedureRequest mappings.
		var types []string
		byType := map[string][]*mapping.Mapping{}
		for _, m := range set.Mappings {
			if !m.Serves(mapping.R4) {
				t.Errorf("%s is not served on R4: %v", m.Resource, mapping.Errors(m.R4Problems()))
				continue
			}
			typ := m.ResourceIn(mapping.R4)
			if byType[typ] == nil {
				types = append(types, typ)
			}
			byType[typ] = append(byType[typ], m)
			if typ != m.Resource {
				// The STU3 type R4 does not have is refused on the R4 base,
				// saying what its resources are there.
				r := get(t, e.R4+"/"+m.Resource+"?_count=100")
				if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "R4 has no type "+m.Resource+"; its resources are served as "+typ) {
					t.Errorf("%s on R4: %d %s", m.Resource, r.status, r.body)
				}
			}
		}
		if len(byType["ServiceRequest"]) != 3 {
			t.Errorf("ServiceRequest on R4 gathers %d mappings, want the referrals', the diary entries' and the test requests'", len(byType["ServiceRequest"]))
		}
		for _, typ := range types {
			res := walkR4(t, e.R4+"/"+typ+"?_count=100")
			if len(res) == 0 {
				t.Errorf("%s: nothing served on R4", typ)
				continue
			}
			// The STU3 resources of its mappings, under the R4 type, with the same ids.
			var want []string
			for _, m := range byType[typ] {
				for _, id := range pageIDs(t, e.Base+"/"+m.Resource+"?_count=100") {
					if id := strings.TrimPrefix(id, m.Resource+"/"); strings.HasPrefix(id, m.IDPrefix) {
						want = append(want, typ+"/"+id) // this mapping's, of the type's several on STU3 too
					}
				}
			}
			if got := idsOf(res); !slices.Equal(got, want) {
				t.Errorf("%s: R4 serves %d resources, STU3 %d, or other ids", typ, len(got), len(want))
			}
			ukCoreProblems(t, res)
			stu3Systems(t, res)
			for i, r := range res {
				id := r["id"].(string)
				meta, _ := r["meta"].(map[string]any)
				want := "https://fhir.hl7.org.uk/StructureDefinition/UKCore-" + typ
				if isLaboratory(r) {
					want += "-Lab"
					labs++
				}
				if byType[typ][0].ProfileIn(mapping.R4) == "" {
					// No UK Core profile (ServiceRequest; DiagnosticReport and
					// Specimen, which claim none on STU3): none claimed.
					if meta["profile"] != nil {
						t.Errorf("%s/%s claims %v, want none", typ, id, meta["profile"])
					}
				} else if prof, _ := meta["profile"].([]any); len(prof) != 1 || prof[0] != want {
					t.Errorf("%s/%s claims %v, want %s", typ, id, meta["profile"], want)
				}
				collectRefs(r, refs)
				if i%23 != 0 {
					continue
				}
				rr := get(t, e.R4+"/"+typ+"/"+id)
				if rr.status != http.StatusOK {
					t.Fatalf("read %s/%s on R4: %d %s", typ, id, rr.status, truncate(string(rr.body), 300))
				}
				if !reflect.DeepEqual(rr.json(t), r) {
					t.Errorf("%s/%s: the R4 read differs from the R4 search entry", typ, id)
				}
				fhirvalid.ValidateR4(t, "R4 "+typ+"/"+id, rr.body)
			}
		}
		if len(refs) == 0 {
			t.Fatal("no references found")
		}
		if labs == 0 {
			t.Error("no laboratory Observation: the test shows nothing of UKCore-Observation-Lab")
		}
		for ref := range refs {
			if r := get(t, e.R4+"/"+ref); r.status != http.StatusOK {
				t.Errorf("reference %s does not resolve on R4: %d", ref, r.status)
			}
		}
	})
}

// stu3Systems reports each code system of an R4 resource named by its
// STU3 URI where R4 moved HL7's code systems (http://hl7.org/fhir/v3/…
// and v2/… became http://terminology.hl7.org/CodeSystem/v3-… and v2-…).
func stu3Systems(t *testing.T, res []map[string]any) {
	t.Helper()
	var walk func(v any, where string)
	walk = func(v any, where string) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["system"].(string); ok && (strings.HasPrefix(s, "http://hl7.org/fhir/v3/") || strings.HasPrefix(s, "http://hl7.org/fhir/v2/")) {
				t.Errorf("%s: the code system %s is STU3's URI; R4 names it under http://terminology.hl7.org/CodeSystem/", where, s)
			}
			for _, c := range x {
				walk(c, where)
			}
		case []any:
			for _, c := range x {
				walk(c, where)
			}
		}
	}
	for _, r := range res {
		walk(r, fmt.Sprint(r["resourceType"], "/", r["id"]))
	}
}

// A search on R4, with R4's names for parameters and code systems, finds
// what the same search on STU3 finds, in the same order: the same SQL
// answers both bases.
func TestR4SearchesFindWhatSTU3Finds(t *testing.T) {
	t.Parallel()
	nhs := demotest.NHSOf(t, "1")
	q := url.QueryEscape
	cases := []struct{ stu3, r4 string }{
		{"Patient?family=smi&gender=female", ""},
		{"Patient?identifier=" + q("https://fhir.nhs.uk/Id/nhs-number|"+nhs), ""},
		{"Patient?family=smi&_include=Patient:general-practitioner&_revinclude=AllergyIntolerance:patient", ""},
		{"Observation?patient=3&category=vital-signs&_sort=-date&_count=7", ""},
		{"Observation?category=" + q("http://hl7.org/fhir/observation-category|laboratory"),
			"Observation?category=" + q("http://terminology.hl7.org/CodeSystem/observation-category|laboratory")},
		{"AllergyIntolerance?clinical-status=active", ""},
		{"AllergyIntolerance?clinical-status=active", "AllergyIntolerance?clinical-status=" + q("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical|active")},
		{"Condition?asserted-date=ge2015-01-01&_count=20", "Condition?recorded-date=ge2015-01-01&_count=20"},
		{"Condition?category=" + q("https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1|problem-list-item") + "&patient=2",
			"Condition?category=" + q("http://terminology.hl7.org/CodeSystem/condition-category|problem-list-item") + "&patient=2"},
		{"MedicationRequest?patient=3&status=completed", ""},
		{"Encounter?patient=3&date=ge2018", ""},
		{"Immunization?patient.identifier=" + q("https://fhir.nhs.uk/Id/nhs-number|"+nhs), ""},
	}
	demotest.Each(t, demotest.Config{}, func(t *testing.T, e *demotest.Env) {
		for _, c := range cases {
			r4q := c.r4
			if r4q == "" {
				r4q = c.stu3
			}
			want, got := pageIDs(t, e.Base+"/"+c.stu3), pageIDs(t, e.R4+"/"+r4q)
			for i, id := range want { // the types R4 replaced, by their R4 name
				for _, old := range []string{"ProcedureRequest/", "ReferralRequest/"} {
					if rest, ok := strings.CutPrefix(id, old); ok {
						want[i] = "ServiceRequest/" + rest
					}
				}
			}
			if len(want) == 0 {
				t.Errorf("%s finds nothing: the comparison shows nothing", c.stu3)
			}
			if !slices.Equal(got, want) {
				t.Errorf("R4 %s finds %d (%v…), STU3 %s %d (%v…)", r4q, len(got), got[:min(len(got), 5)], c.stu3, len(want), want[:min(len(want), 5)])
			}
		}
		// $everything: the same matches, page by page; what a page
		// includes besides (the resources its matches refer to) is a
		// part of STU3's, as R4 leaves out references STU3 has (a
		// problem's Care Connect links to its items).
		stu3, r4 := pageModeIDs(t, e.Base+"/Patient/3/$everything?_count=25"), pageModeIDs(t, e.R4+"/Patient/3/$everything?_count=25")
		for _, m := range []map[string][]string{stu3} {
			for mode, ids := range m {
				for i, id := range ids {
					for _, old := range []string{"ProcedureRequest/", "ReferralRequest/"} {
						if rest, ok := strings.CutPrefix(id, old); ok {
							m[mode][i] = "ServiceRequest/" + rest
						}
					}
				}
			}
		}
		if len(stu3["match"]) == 0 || !slices.Equal(r4["match"], stu3["match"]) {
			t.Errorf("$everything: R4 matches %d (%v…), STU3 %d (%v…)", len(r4["match"]), r4["match"][:min(len(r4["match"]), 5)], len(stu3["match"]), stu3["match"][:min(len(stu3["match"]), 5)])
		}
		for _, id := range r4["include"] {
			if !slices.Contains(stu3["include"], id) {
				t.Errorf("$everything: R4 includes %s, STU3 does not", id)
			}
		}
		// STU3's names that R4 renamed are unknown on R4, and R4's on STU3.
		for _, u := range []string{e.R4 + "/Condition?asserted-date=ge2015", e.Base + "/Condition?recorded-date=ge2015"} {
			r := get(t, u)
			if r.status != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", u, r.status)
			}
		}
		r := get(t, e.R4+"/Condition?asserted-date=ge2015")
		if msg := issueText(t, r); !strings.Contains(msg, "recorded-date") {
			t.Errorf("the R4 error does not list R4's names: %s", msg)
		}
		fhirvalid.ValidateR4(t, "R4 OperationOutcome", r.body)
	})
}

// The R4 base's own resources are R4's: its CapabilityStatement (FHIR
// 4.0.1, UK Core profiles and the laboratory profile Observations may
// claim, R4 parameter definitions, UK Core Access),
// the OperationDefinition of $everything, OperationOutcomes, and a
// subsetted resource's tag; all valid R4.
func TestR4Metadata(t *testing.T) {
	t.Parallel()
	e := demotest.SQLite(t, demotest.Config{})
	r := get(t, e.R4+"/metadata")
	fhirvalid.ValidateR4(t, "R4 CapabilityStatement", r.body)
	cs := r.json(t)
	if cs["fhirVersion"] != "4.0.1" || cs["acceptUnknown"] != nil {
		t.Errorf("fhirVersion %v, acceptUnknown %v", cs["fhirVersion"], cs["acceptUnknown"])
	}
	if inst, _ := cs["instantiates"].([]any); len(inst) != 1 || inst[0] != "https://fhir.hl7.org.uk/uk-core-access/CapabilityStatement/UKCoreAccessClinicalDataProvider" {
		t.Errorf("instantiates %v", cs["instantiates"])
	}
	rest := cs["rest"].([]any)[0].(map[string]any)
	types := 0
	for _, rr := range rest["resource"].([]any) {
		res := rr.(map[string]any)
		types++
		// A type of no UK Core profile (ServiceRequest; DiagnosticReport and
		// Specimen, which claim none on STU3) claims none.
		none := res["type"] == "ServiceRequest"
		if m := mustDemoSet(t).Lookup(res["type"].(string)); m != nil && m.ProfileIn(mapping.R4) == "" {
			none = true
		}
		if p := res["profile"]; none && p != nil {
			t.Errorf("%s, of no UK Core profile, claims %v", res["type"], p)
		} else if !none && p != "https://fhir.hl7.org.uk/StructureDefinition/UKCore-"+res["type"].(string) {
			t.Errorf("%s: profile %v", res["type"], p)
		}
		// The profiles some of its resources claim besides: the laboratory
		// results' (a demo Observation row of the laboratory category).
		var want []any
		if res["type"] == "Observation" {
			want = []any{"https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-Lab"}
		}
		if got, _ := res["supportedProfile"].([]any); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: supportedProfile %v, want %v", res["type"], got, want)
		}
		if res["type"] == "Condition" {
			var names []string
			for _, sp := range res["searchParam"].([]any) {
				spm := sp.(map[string]any)
				names = append(names, spm["name"].(string))
				if spm["name"] == "recorded-date" && spm["definition"] != "http://hl7.org/fhir/SearchParameter/Condition-recorded-date" {
					t.Errorf("recorded-date's definition %v", spm["definition"])
				}
			}
			if !slices.Contains(names, "recorded-date") || slices.Contains(names, "asserted-date") {
				t.Errorf("Condition's R4 parameters %v", names)
			}
		}
	}
	served := map[string]bool{}
	for _, m := range mustDemoSet(t).Mappings {
		if m.Serves(mapping.R4) {
			served[m.ResourceIn(mapping.R4)] = true
		}
	}
	if n := len(served); types != n || n == 0 {
		t.Errorf("the R4 statement lists %d types, the demo serves %d as R4", types, n)
	}
	op := rest["operation"].([]any)[0].(map[string]any)
	def := op["definition"].(string)
	if !strings.HasPrefix(def, e.R4+"/OperationDefinition/") {
		t.Fatalf("$everything's definition %q", def)
	}
	od := get(t, def)
	fhirvalid.ValidateR4(t, "R4 OperationDefinition", od.body)
	if b := od.json(t)["base"]; b != "http://hl7.org/fhir/OperationDefinition/Patient-everything" {
		t.Errorf("OperationDefinition.base %v", b)
	}
	for _, u := range []string{e.R4 + "/Patient/999999", e.R4 + "/Unicorn", e.R4 + "/Patient?bogus=1"} {
		r := get(t, u)
		fhirvalid.ValidateR4(t, u, r.body)
		// R4's Spine code system, and no claim of the STU3 Spine profile.
		if oo := r.json(t); oo["meta"] != nil || !strings.Contains(string(r.body), `"system":"https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"`) {
			t.Errorf("%s: not R4's OperationOutcome: %s", u, truncate(string(r.body), 400))
		}
	}
	if r := get(t, e.Base+"/Patient/999999"); !strings.Contains(string(r.body), "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1") {
		t.Errorf("the STU3 OperationOutcome changed: %s", r.body)
	}
	sub := get(t, e.R4+"/Condition?_elements=code&_count=3")
	fhirvalid.ValidateR4(t, "R4 _elements", sub.body)
	tag := entries(t, sub.json(t))[0]["meta"].(map[string]any)["tag"].([]any)[0].(map[string]any)
	if tag["system"] != "http://terminology.hl7.org/CodeSystem/v3-ObservationValue" || tag["code"] != "SUBSETTED" {
		t.Errorf("the SUBSETTED tag on R4: %v", tag)
	}
	if stu3 := get(t, e.Base+"/metadata").json(t); stu3["fhirVersion"] != "3.0.1" || stu3["acceptUnknown"] != "no" {
		t.Errorf("the STU3 statement: fhirVersion %v", stu3["fhirVersion"])
	}
}

// The R4 base's XML (every type's first page, reads, the record, errors,
// the CapabilityStatement) reads back with FHIR.js's R4 definitions into
// exactly the JSON it serves.
func TestR4XMLRoundTrip(t *testing.T) {
	t.Parallel()
	e := demotest.SQLite(t, demotest.Config{})
	urls := []string{e.R4 + "/metadata", e.R4 + "/Patient/999999", e.R4 + "/Patient/3/$everything?_count=50",
		e.R4 + "/Patient?_count=5&_revinclude=Observation:patient&_include=Patient:general-practitioner"}
	for _, m := range mustDemoSet(t).Mappings {
		if !m.Serves(mapping.R4) {
			continue
		}
		u := e.R4 + "/" + m.Resource + "?_count=60"
		urls = append(urls, u)
		if es := entries(t, get(t, u).json(t)); len(es) > 0 {
			urls = append(urls, e.R4+"/"+m.Resource+"/"+es[0]["id"].(string))
		}
	}
	t.Logf("%d documents read back from R4 XML", xmlRoundTripIn(t, urls, true))
}

// The other shipped sets are served on R4 too: every resource of the
// OMOP set and of the legacy set, every type, passes the R4 validator
// and the UK Core checker, with the ids their STU3 base serves.
func TestOtherSetsValidOnR4(t *testing.T) {
	t.Parallel()
	sweep := func(t *testing.T, e *env, types []string) {
		r4 := strings.TrimSuffix(e.base, "/fhir") + "/R4"
		for _, typ := range types {
			res := walkR4(t, r4+"/"+typ+"?_count=200")
			if got, want := idsOf(res), pageIDs(t, e.base+"/"+typ+"?_count=200"); !slices.Equal(got, want) || len(got) == 0 {
				t.Errorf("%s: R4 serves %d resources, STU3 %d, or other ids", typ, len(got), len(want))
			}
			ukCoreProblems(t, res)
		}
	}
	typesOf := func(e *env) []string {
		var out []string
		for _, m := range e.eng.Mappings() {
			out = append(out, m.Resource)
		}
		return out
	}
	t.Run("omop", func(t *testing.T) {
		e, _ := omopSQLiteEnv(t)
		sweep(t, e, typesOf(e))
	})
	t.Run("legacy", func(t *testing.T) {
		now := time.Now().UTC()
		e := legacyEnv(t, legacySQLite(t, legacySchema+legacyRows(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC))))
		sweep(t, e, typesOf(e))
	})
}

// A read on /R4 takes _summary and _elements as an R4 search does: the
// entry the search by _id finds, valid R4, tagged SUBSETTED in R4's code
// system, keeping what R4 (not STU3) makes mandatory or summary and the
// reference that names the patient; _elements names R4's elements (an
// Immunization's occurrence, not STU3's notGiven).
func TestR4ReadTakesSummaryAndElements(t *testing.T) {
	t.Parallel()
	e := demotest.SQLite(t, demotest.Config{})
	for _, typ := range []string{"Patient", "Immunization", "AllergyIntolerance", "Condition", "MedicationStatement"} {
		es := entries(t, get(t, e.R4+"/"+typ+"?_count=1").json(t))
		if len(es) == 0 {
			t.Fatalf("%s: no resource to read on /R4", typ)
		}
		id := es[0]["id"].(string)
		for _, q := range []string{"_summary=true", "_summary=text", "_elements=id", "_elements=meta,id&_summary=true"} {
			read := get(t, e.R4+"/"+typ+"/"+id+"?"+q)
			search := get(t, e.R4+"/"+typ+"?_id="+id+"&"+q)
			if read.status != 200 || search.status != 200 {
				t.Fatalf("R4 %s/%s?%s: read %d, search %d", typ, id, q, read.status, search.status)
			}
			fhirvalid.ValidateR4(t, "R4 read "+typ+"?"+q, read.body)
			got, want := read.json(t), entries(t, search.json(t))[0]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("R4 %s/%s?%s: the read\n%v\nis not the search's entry\n%v", typ, id, q, got, want)
			}
			tag, _ := got["meta"].(map[string]any)["tag"].([]any)
			if len(tag) == 0 || tag[len(tag)-1].(map[string]any)["system"] != "http://terminology.hl7.org/CodeSystem/v3-ObservationValue" {
				t.Errorf("R4 %s/%s?%s: no SUBSETTED tag in R4's system: %v", typ, id, q, got["meta"])
			}
		}
	}
	var imm string
	for _, en := range entries(t, get(t, e.R4+"/Immunization?_count=100").json(t)) {
		if en["lotNumber"] != nil {
			imm = en["id"].(string)
			break
		}
	}
	if imm == "" {
		t.Fatal("no R4 Immunization with a lotNumber in the demo's first 100")
	}
	r := get(t, e.R4+"/Immunization/"+imm+"?_summary=true").json(t)
	for _, k := range []string{"status", "vaccineCode", "patient", "occurrenceDateTime"} {
		if r[k] == nil {
			t.Errorf("R4 Immunization/%s?_summary=true left out %s: %v", imm, k, r)
		}
	}
	if r["lotNumber"] != nil || r["notGiven"] != nil {
		t.Errorf("R4 Immunization/%s?_summary=true kept what R4 does not summarise: %v", imm, r)
	}
	if r := get(t, e.R4+"/Immunization/"+imm+"?_elements=occurrence"); r.status != 200 || r.json(t)["occurrenceDateTime"] == nil {
		t.Errorf("R4 Immunization/%s?_elements=occurrence: %d %s", imm, r.status, truncate(string(r.body), 300))
	}
	// Compartments on /R4 are R4's CompartmentDefinitions'.
	if r := get(t, e.R4+"/Location/1/Observation"); r.status != 404 || !strings.Contains(issueText(t, r), "R4's are") {
		t.Errorf("R4 Location/1/Observation: %d %s", r.status, truncate(string(r.body), 300))
	}
	for _, u := range []string{e.R4 + "/Immunization/" + imm + "?_elements=notGiven", e.Base + "/Immunization/" + imm + "?_elements=occurrence", e.R4 + "/Patient/3?_summary=count"} {
		if r := get(t, u); r.status != 400 {
			t.Errorf("%s: %d %s, want 400", u, r.status, truncate(string(r.body), 200))
		}
	}
}

// The status codes R4 changed: an immunisation not given is STU3's
// notGiven=true but R4's status not-done (with a statusReason), a
// medicine not taken is STU3's taken=n but R4's status not-taken (taken
// unk: unknown); a procedure aborted or suspended is R4's stopped or
// on-hold. The mapping says the first two in its r4 section
// (testdata/r4status), the rules the last; a status search on /R4 takes
// R4's codes and finds what the R4 resources show, and on /fhir STU3's,
// both held to the resources by the search oracle and to the rows here.

const r4StatusSchema = `
CREATE TABLE PAT (PAT_ID INTEGER PRIMARY KEY, SURNAME VARCHAR(40));
CREATE TABLE IMM (IMM_ID INTEGER PRIMARY KEY, PAT_ID INTEGER, VACCINE VARCHAR(40), GIVEN_DT DATE,
  NOT_GIVEN CHAR(1), REASON VARCHAR(80));
CREATE TABLE MEDS (MS_ID INTEGER PRIMARY KEY, PAT_ID INTEGER, DRUG VARCHAR(40), STATUS VARCHAR(20), TAKEN VARCHAR(3));
CREATE TABLE PROC (PROC_ID INTEGER PRIMARY KEY, PAT_ID INTEGER, NAME VARCHAR(40), STATUS VARCHAR(20));
`

// r4StatusRows are the rows: the R4 status each shows, by type and id,
// computed from the rows as the mapping's r4 section says.
func r4StatusRows() (string, map[string]map[string]string) {
	var b strings.Builder
	want := map[string]map[string]string{"Immunization": {}, "MedicationStatement": {}, "Procedure": {}}
	for p := 1; p <= 3; p++ {
		fmt.Fprintf(&b, "INSERT INTO PAT VALUES (%d, 'Surname%d');\n", p, p)
	}
	for i := 1; i <= 9; i++ {
		ng, reason, status := "N", "NULL", "completed"
		if i%3 == 0 {
			ng, reason, status = "Y", "'Patient declined'", "not-done"
		}
		fmt.Fprintf(&b, "INSERT INTO IMM VALUES (%d, %d, 'Influenza', '2024-0%d-01', '%s', %s);\n", i, i%3+1, i, ng, reason)
		want["Immunization"][fmt.Sprint(i)] = status
	}
	statuses := []string{"active", "completed", "stopped", "intended"}
	taken := []string{"y", "n", "unk", "y", "na"}
	for i := 1; i <= 12; i++ {
		st, tk := statuses[i%len(statuses)], taken[i%len(taken)]
		fmt.Fprintf(&b, "INSERT INTO MEDS VALUES (%d, %d, 'Drug %d', '%s', '%s');\n", i, i%3+1, i, st, tk)
		switch tk {
		case "n":
			st = "not-taken"
		case "unk":
			st = "unknown"
		}
		want["MedicationStatement"][fmt.Sprint(i)] = st
	}
	procs := []string{"completed", "aborted", "suspended", "in-progress"}
	r4Procs := map[string]string{"aborted": "stopped", "suspended": "on-hold"}
	for i := 1; i <= 8; i++ {
		st := procs[i%len(procs)]
		fmt.Fprintf(&b, "INSERT INTO PROC VALUES (%d, %d, 'Procedure %d', '%s');\n", i, i%3+1, i, st)
		if to, ok := r4Procs[st]; ok {
			st = to
		}
		want["Procedure"][fmt.Sprint(i)] = st
	}
	return b.String(), want
}

func TestR4StatusSearches(t *testing.T) {
	t.Parallel()
	set, err := mapping.LoadDir(filepath.Join("testdata", "r4status"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	rows, want := r4StatusRows()
	db := legacySQLite(t, r4StatusSchema+rows)
	e := demotest.Serve(t, db, set, demotest.Config{Engine: engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret")}})

	// What the R4 resources show is what the rows say, and meets UK Core.
	for typ, byID := range want {
		res := walkR4(t, e.R4+"/"+typ+"?_count=100")
		if len(res) != len(byID) {
			t.Fatalf("%s: %d resources on /R4, want %d", typ, len(res), len(byID))
		}
		for _, r := range res {
			if got := r["status"]; got != byID[r["id"].(string)] {
				t.Errorf("%s/%v shows status %v, want %s", typ, r["id"], got, byID[r["id"].(string)])
			}
			for _, p := range profile.CheckR4(r) {
				t.Errorf("%s/%v: %s", typ, r["id"], p)
			}
		}
		fhirvalid.ValidateR4(t, typ+" on /R4", get(t, e.R4+"/"+typ+"?_count=100").body)
	}
	// A status search on /R4, by each code the rows give, finds exactly
	// the resources whose rows give it.
	for typ, byID := range want {
		codes := map[string][]string{}
		for id, st := range byID {
			codes[st] = append(codes[st], id)
		}
		for code, ids := range codes {
			for i := range ids {
				ids[i] = typ + "/" + ids[i]
			}
			sort.Strings(ids)
			got := pageIDs(t, e.R4+"/"+typ+"?status="+code+"&_count=100")
			sort.Strings(got)
			if !slices.Equal(got, ids) {
				t.Errorf("R4 %s?status=%s finds %v, want %v", typ, code, got, ids)
			}
		}
	}
	for _, code := range []string{"not-done", "not-taken", "unknown"} {
		if r := get(t, e.Base+"/Immunization?status="+code); r.status == 200 && len(entries(t, r.json(t))) > 0 {
			t.Errorf("STU3 Immunization?status=%s finds what R4 alone says", code)
		}
	}
	// STU3's codes that R4 renamed are not R4's.
	for _, code := range []string{"aborted", "suspended"} {
		if r := get(t, e.R4+"/Procedure?status="+code); r.status != 400 || !strings.Contains(issueText(t, r), "R4") {
			t.Errorf("R4 Procedure?status=%s: %d %s", code, r.status, truncate(string(r.body), 200))
		}
	}
	// notgiven is STU3's: on /R4 it is not a parameter.
	if r := get(t, e.R4+"/Immunization?notgiven=true"); r.status != 400 {
		t.Errorf("R4 Immunization?notgiven=true: %d, want 400", r.status)
	}
	searchOracle(t, e.Base, nil)
	searchOracle(t, e.R4, nil)
}

// ServiceRequest on R4 gathers three mappings (the referrals', served on
// STU3 as ReferralRequest, and the diary entries' and the test requests',
// both as ProcedureRequest),
// their ids kept apart by their prefixes: read by id, searched with
// paging that runs on from one mapping into the next (any page size finds
// the same resources in the same order, the total their sum), in a
// patient's compartment and $everything, with _include; a parameter of
// one of them finds none of the other's resources but by :missing=true
// or :not; _sort, which would interleave them, is refused.
func TestR4ServiceRequestGathersThreeMappings(t *testing.T) {
	t.Parallel()
	demotest.Each(t, demotest.Config{}, func(t *testing.T, e *demotest.Env) {
		strip := func(ids []string, typ string) []string {
			out := make([]string, len(ids))
			for i, id := range ids {
				out[i] = strings.TrimPrefix(id, typ+"/")
			}
			return out
		}
		referrals := strip(pageIDs(t, e.Base+"/ReferralRequest?_count=100"), "ReferralRequest")
		// STU3's ProcedureRequest has two mappings too: diary entries, then test requests.
		var diary, tests []string
		for _, id := range strip(pageIDs(t, e.Base+"/ProcedureRequest?_count=100"), "ProcedureRequest") {
			switch {
			case strings.HasPrefix(id, "diary-") && len(tests) == 0:
				diary = append(diary, id)
			case strings.HasPrefix(id, "test-"):
				tests = append(tests, id)
			default:
				t.Fatalf("ProcedureRequest/%s: not a diary entry's id before the test requests', nor a test request's", id)
			}
		}
		if len(referrals) == 0 || len(diary) == 0 || len(tests) == 0 {
			t.Fatalf("the demo has %d referrals, %d diary entries and %d test requests", len(referrals), len(diary), len(tests))
		}
		for _, id := range referrals {
			if !strings.HasPrefix(id, "referral-") {
				t.Fatalf("ReferralRequest/%s: not a referral's id", id)
			}
		}
		all := strip(pageIDs(t, e.R4+"/ServiceRequest?_count=100"), "ServiceRequest")
		if want := slices.Concat(diary, referrals, tests); !slices.Equal(all, want) {
			t.Fatalf("R4 ServiceRequest: %d resources, want the %d diary entries, the %d referrals and the %d test requests", len(all), len(diary), len(referrals), len(tests))
		}
		// Page sizes that end pages inside each mapping and at its end.
		for _, n := range []int{7, len(diary), len(diary) + 1, len(diary) + len(referrals)} {
			got := strip(pageIDs(t, e.R4+"/ServiceRequest?_count="+fmt.Sprint(n)), "ServiceRequest")
			if !slices.Equal(got, all) {
				t.Errorf("_count=%d: %d resources, want %d in the same order", n, len(got), len(all))
			}
		}
		r := get(t, e.R4+"/ServiceRequest?_total=accurate&_count=0")
		if tot, _ := r.json(t)["total"].(float64); int(tot) != len(all) {
			t.Errorf("total %v, want %d", r.json(t)["total"], len(all))
		}
		// Reads by id, each of its mapping; an id of neither prefix, or of
		// the other's key, is not known.
		for _, id := range []string{referrals[0], diary[0], tests[0]} {
			rr := get(t, e.R4+"/ServiceRequest/"+id)
			if rr.status != http.StatusOK || rr.json(t)["id"] != id || rr.json(t)["resourceType"] != "ServiceRequest" {
				t.Errorf("read ServiceRequest/%s: %d %s", id, rr.status, truncate(string(rr.body), 200))
			}
			fhirvalid.ValidateR4(t, "ServiceRequest/"+id, rr.body)
		}
		for _, id := range []string{strings.TrimPrefix(referrals[0], "referral-"), "other-1", "referral-x.y"} {
			if rr := get(t, e.R4+"/ServiceRequest/"+id); rr.status != http.StatusNotFound {
				t.Errorf("read ServiceRequest/%s: %d, want 404", id, rr.status)
			}
		}
		if rr := get(t, e.Base+"/ReferralRequest/"+referrals[0]); rr.status != http.StatusOK {
			t.Errorf("STU3 read ReferralRequest/%s: %d", referrals[0], rr.status)
		}
		// A search by _id finds the one resource, whichever its mapping.
		got := strip(pageIDs(t, e.R4+"/ServiceRequest?_id="+referrals[0]+","+diary[0]), "ServiceRequest")
		if want := []string{diary[0], referrals[0]}; !slices.Equal(got, want) {
			t.Errorf("_id search: %v, want %v", got, want)
		}
		// A patient's: the compartment, the patient parameter and
		// $everything agree, and _include brings the patient.
		patient := get(t, e.R4+"/ServiceRequest/"+referrals[0]).json(t)["subject"].(map[string]any)["reference"].(string)
		pid := strings.TrimPrefix(patient, "Patient/")
		byParam := pageIDs(t, e.R4+"/ServiceRequest?patient="+pid)
		if comp := pageIDs(t, e.R4+"/Patient/"+pid+"/ServiceRequest"); !slices.Equal(comp, byParam) || len(byParam) == 0 {
			t.Errorf("Patient/%s/ServiceRequest %v, ?patient= %v", pid, comp, byParam)
		}
		var inEverything []string
		for _, id := range pageIDs(t, e.R4+"/Patient/"+pid+"/$everything?_count=1000") {
			if strings.HasPrefix(id, "ServiceRequest/") {
				inEverything = append(inEverything, id)
			}
		}
		if slices.Sort(inEverything); !slices.Equal(inEverything, slices.Sorted(slices.Values(byParam))) {
			t.Errorf("$everything of Patient/%s holds ServiceRequests %v, want %v", pid, inEverything, byParam)
		}
		// From the patient, _revinclude brings each mapping's.
		var revs []string
		for _, id := range pageIDs(t, e.R4+"/Patient?_id="+pid+"&_revinclude=ServiceRequest:patient") {
			if strings.HasPrefix(id, "ServiceRequest/") {
				revs = append(revs, id)
			}
		}
		if !slices.Equal(slices.Sorted(slices.Values(revs)), slices.Sorted(slices.Values(byParam))) {
			t.Errorf("Patient/%s with _revinclude=ServiceRequest:patient brings %v, want %v", pid, revs, byParam)
		}
		withPatient := pageIDs(t, e.R4+"/ServiceRequest?patient="+pid+"&_include=ServiceRequest:patient")
		if !slices.Contains(withPatient, patient) || len(withPatient) != len(byParam)+1 {
			t.Errorf("_include=ServiceRequest:patient: %v", withPatient)
		}
		// A parameter of one mapping alone (priority: the referrals') finds
		// none of the other's resources, whose element is absent, but for
		// :missing=true and :not, which find them all.
		isDiary := func(ids []string) (n int) {
			for _, id := range ids {
				if strings.HasPrefix(id, "ServiceRequest/diary-") {
					n++
				}
			}
			return n
		}
		for q, want := range map[string]int{"priority=routine": 0, "priority:missing=false": 0, "priority:missing=true": len(diary), "priority:not=urgent": len(diary)} {
			ids := pageIDs(t, e.R4+"/ServiceRequest?_count=100&"+q)
			if got := isDiary(ids); got != want || (want == 0 && len(ids) == 0 && q != "priority:missing=false") {
				t.Errorf("ServiceRequest?%s: %d diary entries of %d found, want %d diary entries", q, got, len(ids), want)
			}
		}
		if rr := get(t, e.R4+"/ServiceRequest?priority:exact=routine"); rr.status != http.StatusBadRequest {
			t.Errorf("a modifier a token does not take, on a parameter one mapping takes: %d", rr.status)
		}
		// code: the diary entries' and test requests' mappings take it; the
		// referrals show a code (the service, as text) but have no parameter
		// to search it, so a search by code cannot be answered, says why,
		// and the CapabilityStatement does not offer it.
		if rr := get(t, e.R4+"/ServiceRequest?code=171149006"); rr.status != http.StatusBadRequest || !strings.Contains(string(rr.body), "referralrequest.yaml") {
			t.Errorf("code on ServiceRequest: %d %s", rr.status, truncate(string(rr.body), 300))
		}
		if got := pageIDs(t, e.Base+"/ProcedureRequest?code=171149006"); len(got) == 0 {
			t.Error("code on STU3's ProcedureRequest, which both its mappings take, finds nothing")
		}
		if rr := get(t, e.R4+"/ServiceRequest?_sort=authored"); rr.status != http.StatusBadRequest || !strings.Contains(string(rr.body), "3 mappings") {
			t.Errorf("_sort on ServiceRequest: %d %s", rr.status, truncate(string(rr.body), 300))
		}
		// The CapabilityStatement states ServiceRequest once, with the
		// parameters both mappings take.
		caps := get(t, e.R4+"/metadata").json(t)
		n := 0
		for _, res := range caps["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
			rm := res.(map[string]any)
			if rm["type"] != "ServiceRequest" {
				continue
			}
			n++
			var names []string
			for _, p := range rm["searchParam"].([]any) {
				names = append(names, p.(map[string]any)["name"].(string))
			}
			for _, want := range []string{"_id", "_lastUpdated", "patient", "subject", "authored", "occurrence", "priority"} {
				if !slices.Contains(names, want) {
					t.Errorf("ServiceRequest's parameters %v lack %s", names, want)
				}
			}
			if slices.Contains(names, "code") {
				t.Errorf("ServiceRequest's parameters %v offer code, which the referrals' mapping cannot search", names)
			}
		}
		if n != 1 {
			t.Errorf("the R4 CapabilityStatement states ServiceRequest %d times", n)
		}
	})
}
