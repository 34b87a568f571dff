package gpconnect_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/fhirvalid"
	"github.com/ccfacade/ccfacade/internal/pgtest"
	"github.com/ccfacade/ccfacade/server"
)

func TestMain(m *testing.M) { pgtest.Main(m, demotest.Cleanup) }

const trace = "3b8d3b9e-2c66-4d6a-a0c4-59a8c3f6a1d2"

// serve serves the demo over SQLite with GP Connect on, with the
// provider's ASID and the areas given (nil: every area it can answer).
func serve(t *testing.T, areas []gpconnect.Area) *demotest.Env {
	t.Helper()
	return demotest.SQLite(t, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID, Areas: areas}})
}

// record posts a Parameters body to $gpc.getstructuredrecord with the
// SSP headers and a fresh audit token; more are extra header pairs
// (replacing those of the same name).
func record(t *testing.T, e *demotest.Env, body string, more ...string) demotest.Response {
	t.Helper()
	h := authtest.GPCHeaders(trace, auth.GPConnectStructuredInteraction, authtest.Unsigned(t, authtest.GPCClaims(auth.GPConnectPatientScope)))
	h = append(h, "Content-Type", "application/fhir+json")
	h = append(h, more...)
	return demotest.Do(t, http.MethodPost, e.GPC+"/Patient/$gpc.getstructuredrecord", strings.NewReader(body), h...)
}

// params is a Parameters body: the NHS number (unless "") and the
// parameters given as JSON objects.
func params(nhs string, more ...string) string {
	var ps []string
	if nhs != "" {
		ps = append(ps, nhsParam(nhs))
	}
	ps = append(ps, more...)
	return `{"resourceType":"Parameters","parameter":[` + strings.Join(ps, ",") + `]}`
}

// nhsParam is patientNHSNumber.
func nhsParam(nhs string) string {
	return `{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}}`
}

// allergies is includeAllergies with includeResolvedAllergies.
func allergies(resolved bool) string {
	return fmt.Sprintf(`{"name":"includeAllergies","part":[{"name":"includeResolvedAllergies","valueBoolean":%v}]}`, resolved)
}

// demoPatient is a demo patient as the oracle sees it.
type demoPatient struct {
	id, nhs, status, died, practice, gp string
	standing                            string              // a case of the patient's standing at the practice (standing_test.go), "" if none
	allergies                           map[string][]string // ALLERGY_IDs by STATUS
}

// patients are the demo's patients with their allergies, from the rows
// the harness loads.
func patients(t *testing.T) []demoPatient {
	t.Helper()
	byID := map[string]*demoPatient{}
	var order []string
	for _, r := range demotest.Rows(t, "PATIENT") {
		p := &demoPatient{id: demotest.Str(r["PATIENT_ID"]), nhs: strings.ReplaceAll(demotest.Str(r["NHS_NUMBER"]), " ", ""),
			status: demotest.Str(r["NHS_NO_STATUS"]), died: demotest.Str(r["DATE_OF_DEATH"]),
			practice: strings.TrimSpace(demotest.Str(r["PRACTICE_CODE"])), gp: demotest.Str(r["GP_ID"]), allergies: map[string][]string{},
			standing: standingCase(r)}
		byID[p.id] = p
		order = append(order, p.id)
	}
	for _, r := range demotest.Rows(t, "ALLERGY") {
		p := byID[demotest.Str(r["PATIENT_ID"])]
		st := demotest.Str(r["STATUS"])
		p.allergies[st] = append(p.allergies[st], demotest.Str(r["ALLERGY_ID"]))
	}
	out := make([]demoPatient, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out
}

// find is the first demo patient served (verified NHS number, alive, of
// no standing case) for whom ok holds.
// served says whether GP Connect serves the patient's record: a current
// registration, living, of no standing case, its NHS number valid.
func (p demoPatient) served() bool {
	return p.status == "01" && p.died == "" && p.standing == "" && validNHS(p.nhs)
}

// sharedProblems are a problem of each patient that has one not withheld
// (CONFIDENTIAL not 'Y'), by PATIENT_ID: the first.
func sharedProblems(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range demotest.Rows(t, "PROBLEM") {
		if p := demotest.Str(r["PATIENT_ID"]); demotest.Str(r["CONFIDENTIAL"]) != "Y" && out[p] == "" {
			out[p] = demotest.Str(r["PROBLEM_ID"])
		}
	}
	return out
}

// overlayStartErrors checks that each overlay (a rule under resources:)
// fails the service's start with an error about what names saying want,
// or starts where want is "".
func overlayStartErrors(t *testing.T, e *demotest.Env, about string, cases []struct{ overlay, want string }) {
	t.Helper()
	for _, c := range cases {
		o, err := gpconnect.ParseOverlay("o.yaml", []byte("resources:\n  "+c.overlay+"\n"))
		if err == nil {
			_, err = gpconnect.New(e.Eng, gpconnect.Options{ASID: authtest.GPCProviderASID, Overlay: o})
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.overlay, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), about)):
			t.Errorf("%s: got %v, want an error about the %s saying %q", c.overlay, err, about, c.want)
		}
	}
}

func find(t *testing.T, ok func(p demoPatient) bool) demoPatient {
	t.Helper()
	for _, p := range patients(t) {
		if p.served() && ok(p) {
			return p
		}
	}
	t.Fatal("no demo patient fits")
	return demoPatient{}
}

// findOnDays finds a demo patient (as find) whose rows fall on at least
// n different days.
func findOnDays[R any](t *testing.T, rows map[string][]R, day func(R) string, n int) demoPatient {
	t.Helper()
	return find(t, func(p demoPatient) bool {
		days := map[string]bool{}
		for _, r := range rows[p.id] {
			days[day(r)] = true
		}
		return len(days) >= n
	})
}

func validNHS(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		sum += int(s[i]-'0') * (10 - i)
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c != 10 && s[9] == byte('0'+c)
}

// resources are a bundle's entry resources; listsByCode its query
// Lists (not the consultations' structure, which have ids) by code.
func resources(t *testing.T, b map[string]any) []map[string]any {
	t.Helper()
	return demotest.Entries(t, b)
}

func listsByCode(t *testing.T, b map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, r := range resources(t, b) {
		if r["resourceType"] == "List" && r["id"] == nil { // not a consultation's structure
			code := at(r, "code", "coding", 0, "code")
			if _, dup := out[code.(string)]; dup {
				t.Errorf("two lists coded %s", code)
			}
			out[code.(string)] = r
		}
	}
	return out
}

// okRecord posts a record request that must succeed: its bundle, checked
// by the STU3 validator (what names it).
func okRecord(t *testing.T, e *demotest.Env, body, what string) map[string]any {
	t.Helper()
	res := record(t, e, body)
	if res.Status != http.StatusOK {
		t.Fatalf("status %d: %s", res.Status, demotest.Truncate(string(res.Body), 800))
	}
	fhirvalid.Validate(t, what, res.Body)
	return asStatements(res.JSON(t))
}

// asStatements reads a record's references to medication plans (a Topic's,
// a Category's or a secondary list's entry, a problem's link: GP Connect
// refers to a medication by its plan there) as references to their
// statements, whose ids are the demo's rows': the tests compare them with
// the rows. That the record refers to plans is checked over every record
// (planReferences, TestRecordsConformToGPConnectProfiles).
func asStatements(b map[string]any) map[string]any {
	statementOf := map[string]string{}
	entries, _ := b["entry"].([]any)
	for _, en := range entries {
		r, _ := en.(map[string]any)["resource"].(map[string]any)
		if r["resourceType"] == "MedicationStatement" {
			if plan, ok := at(r, "basedOn", 0, "reference").(string); ok {
				statementOf[plan] = "MedicationStatement/" + fmt.Sprint(r["id"])
			}
		}
	}
	swap := func(ref map[string]any) {
		if st, ok := statementOf[fmt.Sprint(ref["reference"])]; ok {
			ref["reference"] = st
		}
	}
	var walk func(r map[string]any)
	walk = func(r map[string]any) {
		switch r["resourceType"] {
		case "List":
			items, _ := r["entry"].([]any)
			for _, it := range items {
				if ref, ok := at(it, "item").(map[string]any); ok {
					swap(ref)
				}
			}
		case "Condition":
			exts, _ := r["extension"].([]any)
			for _, x := range exts {
				if ref, ok := at(x, "valueReference").(map[string]any); ok {
					swap(ref)
				}
			}
		}
	}
	for _, en := range entries {
		r, _ := en.(map[string]any)["resource"].(map[string]any)
		walk(r)
	}
	return b
}

// listedItems are a List's item references, sorted; an empty List must
// say why (no-content-recorded).
func listedItems(t *testing.T, l map[string]any) []string {
	t.Helper()
	var got []string
	if _, ok := l["entry"]; ok {
		got = itemRefs(l)
	} else if at(l, "emptyReason", "coding", 0, "code") != "no-content-recorded" {
		t.Errorf("an empty list without its reason: %v", l)
	}
	sort.Strings(got)
	return got
}

// rowsByPatient reads a demo table's rows, each as one makes it, by
// PATIENT_ID.
func rowsByPatient[T any](t *testing.T, table string, one func(r map[string]any) T) map[string][]T {
	t.Helper()
	out := map[string][]T{}
	for _, r := range demotest.Rows(t, table) {
		p := demotest.Str(r["PATIENT_ID"])
		out[p] = append(out[p], one(r))
	}
	return out
}

// at follows object keys and list indexes; nil when a step is missing.
var at = demotest.At

func profileOf(r map[string]any) string {
	p, _ := at(r, "meta", "profile", 0).(string)
	return p
}

// itemRefs are a list's entry references (display-only entries left out).
func itemRefs(l map[string]any) []string {
	var out []string
	es, _ := l["entry"].([]any)
	for _, e := range es {
		if ref, ok := at(e, "item", "reference").(string); ok {
			out = append(out, ref)
		}
	}
	return out
}

// The record of a patient with active and ended allergies: the Bundle
// GP Connect asks for (a collection, its id the trace id, no fullUrl),
// the Patient, practice and GP in their GP Connect profiles, the active
// list holding exactly the patient's active allergies and the ended list
// holding the others contained, every reference resolved in the bundle
// (consultations apart, which were not asked for), no resource twice,
// and the whole bundle valid STU3.
func TestRecordAllergies(t *testing.T) {
	e := serve(t, nil)
	p := find(t, func(p demoPatient) bool {
		return len(p.allergies["Active"]) > 0 && len(p.allergies["Inactive"])+len(p.allergies["Resolved"]) > 0
	})
	res := record(t, e, params(p.nhs, allergies(true)))
	if res.Status != http.StatusOK {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	fhirvalid.Validate(t, "the structured record", res.Body)
	b := res.JSON(t)
	if b["id"] != trace || b["type"] != "collection" || profileOf(b) != "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1" {
		t.Errorf("bundle id %v (want the trace id %s), type %v, profile %v", b["id"], trace, b["type"], profileOf(b))
	}
	if _, ok := b["meta"].(map[string]any)["lastUpdated"]; ok {
		t.Error("Bundle.meta.lastUpdated is not used in GP Connect")
	}
	have := map[string]map[string]any{}
	count := map[string]int{}
	for i, en := range b["entry"].([]any) {
		if _, ok := en.(map[string]any)["fullUrl"]; ok {
			t.Errorf("entry %d has a fullUrl", i)
		}
		r := en.(map[string]any)["resource"].(map[string]any)
		typ := r["resourceType"].(string)
		count[typ]++
		if id, ok := r["id"].(string); ok {
			if have[typ+"/"+id] != nil {
				t.Errorf("%s/%s is in the bundle twice", typ, id)
			}
			have[typ+"/"+id] = r
		}
	}
	patient := have["Patient/"+p.id]
	if patient == nil || count["Patient"] != 1 {
		t.Fatalf("want Patient/%s once; have %v", p.id, count)
	}
	if profileOf(patient) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1" || at(patient, "meta", "versionId") == nil {
		t.Errorf("Patient meta %v: want the GPC profile and a versionId", patient["meta"])
	}
	if url := at(patient, "identifier", 0, "extension", 0, "url"); url != "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-NHSNumberVerificationStatus-1" {
		t.Errorf("the NHS number's verification status extension is %v", url)
	}
	if sys := at(patient, "identifier", 0, "extension", 0, "valueCodeableConcept", "coding", 0, "system"); sys != "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1" {
		t.Errorf("the verification status's system is %v", sys)
	}
	for ref, prof := range map[string]string{
		"Organization/" + p.practice: "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Organization-1",
		"Practitioner/" + p.gp:       "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Practitioner-1",
	} {
		r := have[ref]
		if r == nil {
			t.Errorf("the patient's %s is not in the bundle", ref)
			continue
		}
		if profileOf(r) != prof || at(r, "meta", "versionId") == nil {
			t.Errorf("%s meta %v: want %s and a versionId", ref, r["meta"], prof)
		}
	}
	lists := listsByCode(t, b)
	active, ended := lists["886921000000105"], lists["1103671000000101"]
	if active == nil || ended == nil {
		t.Fatalf("want the active and the ended allergies lists; have %v", lists)
	}
	for _, l := range []map[string]any{active, ended} {
		if _, ok := l["id"]; ok || l["status"] != "current" || l["mode"] != "snapshot" || profileOf(l) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-List-1" ||
			at(l, "subject", "reference") != "Patient/"+p.id || l["title"] != at(l, "code", "coding", 0, "display") {
			t.Errorf("list %v: want no id, current, snapshot, the GPC profile, the patient as subject, title = display", l)
		}
	}
	if active["title"] != "Allergies and adverse reactions" || ended["title"] != "Ended allergies" {
		t.Errorf("titles %v, %v", active["title"], ended["title"])
	}
	var wantActive []string
	for _, id := range p.allergies["Active"] {
		wantActive = append(wantActive, "AllergyIntolerance/"+id)
	}
	gotActive := itemRefs(active)
	sort.Strings(wantActive)
	sort.Strings(gotActive)
	if !slices.Equal(gotActive, wantActive) || count["AllergyIntolerance"] != len(wantActive) {
		t.Errorf("active list %v, %d AllergyIntolerance in the bundle; want %v", gotActive, count["AllergyIntolerance"], wantActive)
	}
	checkAllergy := func(what string, a map[string]any, status string) {
		if profileOf(a) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1" || at(a, "meta", "lastUpdated") != nil || at(a, "meta", "versionId") != nil {
			t.Errorf("%s meta %v: want the GPC profile only", what, a["meta"])
		}
		if at(a, "identifier", 0, "system") != "https://fhir.nhs.uk/Id/cross-care-setting-identifier" || len(fmt.Sprint(at(a, "identifier", 0, "value"))) != 36 {
			t.Errorf("%s identifier %v: want a cross-care-setting UUID", what, a["identifier"])
		}
		if a["verificationStatus"] != "unconfirmed" || a["clinicalStatus"] != status {
			t.Errorf("%s: verificationStatus %v (want unconfirmed), clinicalStatus %v (want %s)", what, a["verificationStatus"], a["clinicalStatus"], status)
		}
		if c := at(a, "category", 0); c != "medication" && c != "environment" {
			t.Errorf("%s category %v: want medication or environment", what, a["category"])
		}
		if at(a, "patient", "reference") != "Patient/"+p.id {
			t.Errorf("%s patient %v", what, a["patient"])
		}
	}
	for _, ref := range gotActive {
		if have[ref] == nil {
			t.Errorf("%s of the active list is not in the bundle", ref)
			continue
		}
		checkAllergy(ref, have[ref], "active")
	}
	contained := map[string]map[string]any{}
	for _, c := range ended["contained"].([]any) {
		cm := c.(map[string]any)
		contained["#"+cm["id"].(string)] = cm
		if have["AllergyIntolerance/"+cm["id"].(string)] != nil {
			t.Errorf("ended allergy %s also stands alone in the bundle", cm["id"])
		}
	}
	wantEnded := len(p.allergies["Inactive"]) + len(p.allergies["Resolved"])
	if refs := itemRefs(ended); len(refs) != wantEnded || len(contained) != wantEnded {
		t.Errorf("ended list: %d entries, %d contained; want %d", len(refs), len(contained), wantEnded)
	}
	for _, ref := range itemRefs(ended) {
		a := contained[ref]
		if a == nil {
			t.Errorf("ended list entry %s is not contained", ref)
			continue
		}
		checkAllergy("ended "+ref, a, "resolved")
		end := at(a, "extension", len(a["extension"].([]any))-1)
		if at(end, "url") != "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-AllergyIntoleranceEnd-1" ||
			at(end, "extension", 0, "url") != "endDate" || at(end, "extension", 0, "valueDateTime") == nil ||
			at(end, "extension", 1, "valueString") != "No information available" {
			t.Errorf("ended %s: its end extension is %v", ref, end)
		}
	}
	// Every reference resolves in the bundle (or to a contained resource),
	// but those to consultations, which were not asked for, and the links
	// of the problems linked to the allergies (in the linked-problems
	// list) to items of areas not asked for, which are references only,
	// or to an ended allergy, contained in the "Ended allergies" list
	// (docs/gpconnect.md: how a problem's reference reaches it is not
	// settled).
	linkedProblem := map[string]bool{}
	if l := listsByCode(t, b)[linkedProblemsList]; l != nil {
		for _, ref := range itemRefs(l) {
			linkedProblem[ref] = true
		}
	}
	var walk func(v any, in map[string]any)
	walk = func(v any, in map[string]any) {
		switch x := v.(type) {
		case map[string]any:
			if x["resourceType"] == "Condition" && linkedProblem["Condition/"+fmt.Sprint(x["id"])] {
				if !strings.Contains(fmt.Sprint(x["extension"]), "Related") {
					t.Errorf("Condition/%v is a linked problem, linked to nothing", x["id"])
				}
				for k, y := range x {
					if k != "extension" {
						walk(y, in)
					}
				}
				for _, ext := range x["extension"].([]any) {
					ref, _ := at(ext, "valueReference", "reference").(string)
					if ref == "" || have[ref] != nil {
						continue
					}
					if id, ok := strings.CutPrefix(ref, "AllergyIntolerance/"); ok && contained["#"+id] == nil {
						t.Errorf("Condition/%v: %s resolves neither in the bundle nor to an ended allergy", x["id"], ref)
					}
				}
				return
			}
			for k, y := range x {
				if s, ok := y.(string); ok && k == "reference" {
					switch {
					case strings.HasPrefix(s, "#"):
						if contained[s] == nil {
							t.Errorf("%s does not resolve to a contained resource", s)
						}
					case strings.HasPrefix(s, "Encounter/"):
					case have[s] == nil:
						t.Errorf("%s does not resolve in the bundle", s)
					}
					continue
				}
				walk(y, in)
			}
		case []any:
			for _, y := range x {
				walk(y, in)
			}
		}
	}
	walk(b, nil)
	if count["OperationOutcome"] != 0 {
		t.Errorf("a request of nothing unknown has no OperationOutcome; got %d", count["OperationOutcome"])
	}
}

// A patient with no allergies recorded gets each list empty: no entry,
// the empty reason, the note; without includeResolvedAllergies there is
// no ended list at all.
func TestRecordEmptyLists(t *testing.T) {
	e := serve(t, nil)
	p := find(t, func(p demoPatient) bool { return len(p.allergies) == 0 })
	res := record(t, e, params(p.nhs, allergies(true)))
	if res.Status != http.StatusOK {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	fhirvalid.Validate(t, "a record of empty lists", res.Body)
	lists := listsByCode(t, res.JSON(t))
	for _, code := range []string{"886921000000105", "1103671000000101"} {
		l := lists[code]
		if l == nil {
			t.Fatalf("no list %s", code)
		}
		if _, ok := l["entry"]; ok {
			t.Errorf("list %s of a patient without allergies has entries", code)
		}
		if at(l, "emptyReason", "coding", 0, "system") != "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1" ||
			at(l, "emptyReason", "coding", 0, "code") != "no-content-recorded" || at(l, "note", 0, "text") != "Information not available" {
			t.Errorf("list %s: emptyReason %v, note %v", code, l["emptyReason"], l["note"])
		}
	}
	// With includeResolvedAllergies false: the active list alone.
	q := find(t, func(p demoPatient) bool { return len(p.allergies["Resolved"]) > 0 })
	res = record(t, e, params(q.nhs, allergies(false)))
	lists = listsByCode(t, res.JSON(t))
	if lists["886921000000105"] == nil || lists["1103671000000101"] != nil {
		t.Errorf("includeResolvedAllergies false: lists %v, want the active one alone", lists)
	}
}

// A record that says the patient has no known allergies (an ALLERGY row
// of code NKA) sends it as GP Connect allows (SPEC §6.2): the active list
// holds one AllergyIntolerance coded SNOMED 716186003 "No known allergy",
// active, in its GP Connect profile; the ended list is empty.
func TestNoKnownAllergies(t *testing.T) {
	e := serve(t, nil)
	nka := map[string]string{} // PATIENT_ID → ALLERGY_ID of the NKA row
	for _, r := range demotest.Rows(t, "ALLERGY") {
		if demotest.Str(r["ALLERGEN_CODE"]) == "NKA" {
			nka[demotest.Str(r["PATIENT_ID"])] = demotest.Str(r["ALLERGY_ID"])
		}
	}
	p := find(t, func(p demoPatient) bool { return nka[p.id] != "" })
	if n := len(p.allergies["Active"]) + len(p.allergies["Inactive"]) + len(p.allergies["Resolved"]); n != 1 {
		t.Fatalf("patient %s has %d allergy rows, want the NKA one alone", p.id, n)
	}
	b := okRecord(t, e, params(p.nhs, allergies(true)), "the allergies of "+p.nhs)
	lists := listsByCode(t, b)
	if got := itemRefs(lists["886921000000105"]); len(got) != 1 || got[0] != "AllergyIntolerance/"+nka[p.id] {
		t.Fatalf("the active list holds %v, want AllergyIntolerance/%s", got, nka[p.id])
	}
	if lists["1103671000000101"] == nil || lists["1103671000000101"]["entry"] != nil {
		t.Errorf("the ended list: %v", lists["1103671000000101"])
	}
	reg := profile.GPConnect()
	for _, r := range resources(t, b) {
		if r["resourceType"] != "AllergyIntolerance" {
			continue
		}
		if at(r, "code", "coding", 0, "system") != "http://snomed.info/sct" || at(r, "code", "coding", 0, "code") != "716186003" || r["clinicalStatus"] != "active" {
			t.Errorf("the no-known-allergy entry: %v", r)
		}
		for _, pr := range reg.Check(r) {
			t.Errorf("%s", pr)
		}
	}
}

// warnings are the issues of a record's OperationOutcome (one at most).
func warnings(t *testing.T, res demotest.Response) []map[string]any {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	var out []map[string]any
	n := 0
	for _, r := range resources(t, res.JSON(t)) {
		if r["resourceType"] == "OperationOutcome" {
			n++
			if profileOf(r) != gpconnect.OperationOutcomeProfile {
				t.Errorf("OperationOutcome profile %v", profileOf(r))
			}
			for _, is := range r["issue"].([]any) {
				out = append(out, is.(map[string]any))
			}
		}
	}
	if n > 1 {
		t.Errorf("%d OperationOutcomes; GP Connect wants one", n)
	}
	return out
}

// Unknown parameters and parts are answered 200 with one warning each
// (one a name, given twice or not), at the least granular level: the
// parts of an unknown parameter are not listed; the record is still
// there.
func TestUnknownParameters(t *testing.T) {
	e := serve(t, nil)
	p := find(t, func(p demoPatient) bool { return len(p.allergies["Active"]) > 0 })
	res := record(t, e, params(p.nhs,
		`{"name":"includeAllergies","part":[{"name":"includeResolvedAllergies","valueBoolean":true},{"name":"includeEverything","valueBoolean":true}]}`,
		`{"name":"includeFutureThing"}`,
		`{"name":"includeFutureThing","part":[{"name":"a","valueBoolean":true}]}`,
		`{"name":"includeOtherThing","part":[{"name":"a","valueBoolean":true},{"name":"b","valueCode":"x"}]}`,
		`{"name":"includeThirdThing","valueString":"x"}`))
	fhirvalid.Validate(t, "a record with warnings", res.Body)
	var got []string
	for _, is := range warnings(t, res) {
		if is["severity"] != "warning" || is["code"] != "not-supported" || at(is, "details", "coding", 0, "code") != "NOT_IMPLEMENTED" ||
			at(is, "details", "coding", 0, "system") != gpconnect.SpineCodeSystem || at(is, "details", "coding", 0, "display") != "Not implemented" {
			t.Errorf("issue %v", is)
		}
		got = append(got, fmt.Sprintf("%v|%v", at(is, "details", "text"), is["diagnostics"]))
	}
	want := []string{
		"includeAllergies.includeEverything is an unrecognised parameter|includeAllergies.includeEverything",
		"includeFutureThing is an unrecognised parameter|includeFutureThing",
		"includeOtherThing is an unrecognised parameter|includeOtherThing",
		"includeThirdThing is an unrecognised parameter|includeThirdThing",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings\n got %q\nwant %q", got, want)
	}
	if listsByCode(t, res.JSON(t))["886921000000105"] == nil {
		t.Error("the allergies list is missing beside the warnings")
	}
}

// Areas not offered (left out of the configuration's areas, or all switched off) are
// answered 200 with a NOT_IMPLEMENTED warning each and nothing of theirs.
func TestDisabledAreas(t *testing.T) {
	p := find(t, func(p demoPatient) bool { return len(p.allergies["Active"]) > 0 })
	all := []string{`{"name":"includeMedication"}`, `{"name":"includeConsultations"}`, `{"name":"includeProblems"}`,
		`{"name":"includeImmunisations"}`, `{"name":"includeUncategorisedData"}`, `{"name":"includeInvestigations"}`,
		`{"name":"includeReferrals"}`, `{"name":"includeDiaryEntries"}`}
	for _, c := range []struct {
		name  string
		areas []gpconnect.Area
		body  string
		want  []string
		lists int
	}{
		{"not configured", []gpconnect.Area{gpconnect.Allergies, gpconnect.Medication, gpconnect.Consultations, gpconnect.Problems,
			gpconnect.Immunisations, gpconnect.Uncategorised, gpconnect.Referrals, gpconnect.DiaryEntries},
			params(p.nhs, append([]string{allergies(false)}, all...)...), []string{"includeInvestigations"}, 8},
		{"switched off", []gpconnect.Area{}, params(p.nhs, allergies(true)), []string{"includeAllergies"}, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := record(t, serve(t, c.areas), c.body)
			fhirvalid.Validate(t, "a record with areas disabled", res.Body)
			var got []string
			for _, is := range warnings(t, res) {
				if at(is, "details", "coding", 0, "code") != "NOT_IMPLEMENTED" || at(is, "details", "text") != is["diagnostics"].(string)+" has been disabled" {
					t.Errorf("issue %v", is)
				}
				got = append(got, is["diagnostics"].(string))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("disabled %v, want %v", got, c.want)
			}
			n := 0
			for _, l := range listsByCode(t, res.JSON(t)) {
				if at(l, "code", "coding", 0, "system") == "http://snomed.info/sct" {
					n++ // a primary list
				}
			}
			if n != c.lists {
				t.Errorf("%d lists, want %d", n, c.lists)
			}
		})
	}
	// An unknown parameter beside an area switched off: both warnings in
	// the one OperationOutcome (SPEC §4, §5).
	t.Run("with an unknown parameter", func(t *testing.T) {
		res := record(t, serve(t, []gpconnect.Area{gpconnect.Medication}), params(p.nhs, allergies(true), `{"name":"includeMedication"}`, `{"name":"includeFutureThing"}`))
		var got []string
		for _, is := range warnings(t, res) {
			got = append(got, fmt.Sprintf("%v|%v", at(is, "details", "text"), is["diagnostics"]))
		}
		want := []string{"includeFutureThing is an unrecognised parameter|includeFutureThing", "includeAllergies has been disabled|includeAllergies"}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("warnings %q, want %q", got, want)
		}
		if n := strings.Count(string(res.Body), `"OperationOutcome"`); n != 1 {
			t.Errorf("%d OperationOutcomes, want one", n)
		}
	})
}

// spineCodes are SPEC §7's errors of this interaction, by Spine code and
// HTTP status: the issue type and display. Beside the table: an Accept
// the operation cannot answer (406, BAD_REQUEST, not-supported), and a
// body that is not JSON (415, the code the SSP gives its own 415).
var spineCodes = map[string]struct{ issue, display string }{
	"INVALID_IDENTIFIER_SYSTEM/400": {"value", "Invalid identifier system"},
	"INVALID_NHS_NUMBER/400":        {"value", "Invalid NHS number"},
	"BAD_REQUEST/400":               {"invalid", "Bad request"},
	"BAD_REQUEST/406":               {"not-supported", "Bad request"},
	"UNSUPPORTED_MEDIA_TYPE/415":    {"not-supported", "Unsupported media type"},
	"NO_PATIENT_CONSENT/403":        {"forbidden", "Patient has not provided consent to share data"},
	"ACCESS DENIED/403":             {"forbidden", "Access has been denied to process this request"}, // the CodeSystem's display; §7 abbreviates it
	"PATIENT_NOT_FOUND/404":         {"not-found", "Patient not found"},
	"NO_RECORD_FOUND/404":           {"not-found", "No record found"},
	"INVALID_RESOURCE/422":          {"invalid", "Invalid validation of resource"},
	"INVALID_PARAMETER/422":         {"invalid", "Invalid parameter"},
	"INTERNAL_SERVER_ERROR/500":     {"exception", "Unexpected internal server error"}, // §7: "processing (example uses exception)"
}

// outcome checks an error answer: its status, the GP Connect
// OperationOutcome with the Spine code, and diagnostics naming what was
// wrong.
func outcome(t *testing.T, res demotest.Response, status int, spine, names string) {
	t.Helper()
	if res.Status != status {
		t.Errorf("status %d, want %d: %s", res.Status, status, demotest.Truncate(string(res.Body), 600))
		return
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q on a %d, want no-store", cc, status)
	}
	o := res.JSON(t)
	issues, _ := o["issue"].([]any)
	if o["resourceType"] != "OperationOutcome" || profileOf(o) != gpconnect.OperationOutcomeProfile || len(issues) != 1 {
		t.Fatalf("not one GP Connect OperationOutcome: %s", res.Body)
	}
	is := issues[0]
	coding := at(is, "details", "coding").([]any)
	if at(is, "severity") != "error" || len(coding) != 1 || at(coding[0], "system") != gpconnect.SpineCodeSystem || at(coding[0], "code") != spine || at(coding[0], "display") == nil {
		t.Errorf("issue %v: want one %s coding", is, spine)
	}
	// The issue type and display of each Spine code (SPEC §7's table).
	if want, ok := spineCodes[fmt.Sprintf("%s/%d", spine, status)]; !ok {
		t.Errorf("Spine code %s with status %d is not in SPEC §7's table", spine, status)
	} else if at(is, "code") != want.issue || at(coding[0], "display") != want.display {
		t.Errorf("%s (%d): issue type %v, display %v; want %s, %q", spine, status, at(is, "code"), at(coding[0], "display"), want.issue, want.display)
	}
	if d, _ := at(is, "diagnostics").(string); !strings.Contains(d, names) {
		t.Errorf("diagnostics %q do not name %q", d, names)
	}
	fhirvalid.Validate(t, "the OperationOutcome", res.Body)
}

// Every validation error of the parameters (SPEC §3 and §7): its status,
// Spine code and the parameter its diagnostics name.
func TestParameterErrors(t *testing.T) {
	e := serve(t, nil)
	p := find(t, func(p demoPatient) bool { return true })
	nhs := p.nhs
	ok := allergies(true)
	withPart := func(param, part string) string {
		return `{"name":"` + param + `","part":[` + part + `]}`
	}
	past, future := "2019-03-01", "2999-01-01"
	cases := []struct {
		name   string
		body   string
		status int
		spine  string
		names  string
	}{
		{"not JSON", `{"resourceType":`, 422, "INVALID_RESOURCE", "JSON"},
		{"not Parameters", `{"resourceType":"Patient"}`, 422, "INVALID_RESOURCE", "Parameters"},
		{"unknown element", `{"resourceType":"Parameters","foo":1,"parameter":[]}`, 422, "INVALID_RESOURCE", "foo"},
		{"no parameters", params(""), 422, "INVALID_PARAMETER", "no parameter"},
		{"unknown parameters only", params("", `{"name":"foo"}`), 422, "INVALID_PARAMETER", "no parameter"},
		{"no NHS number", params("", ok), 422, "INVALID_PARAMETER", "patientNHSNumber"},
		{"NHS number under another name", params("", strings.Replace(nhsParam(nhs), "patientNHSNumber", "patientNHSNumbr", 1), ok), 422, "INVALID_PARAMETER", "patientNHSNumber"},
		{"NHS number twice", params(nhs, nhsParam(nhs)), 422, "INVALID_PARAMETER", "patientNHSNumber"},
		{"NHS number not an Identifier", params("", `{"name":"patientNHSNumber","valueString":"`+nhs+`"}`), 422, "INVALID_PARAMETER", "patientNHSNumber"},
		{"wrong system", params("", `{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-numbr","value":"`+nhs+`"}}`), 400, "INVALID_IDENTIFIER_SYSTEM", "patientNHSNumber"},
		{"no system", params("", `{"name":"patientNHSNumber","valueIdentifier":{"value":"`+nhs+`"}}`), 400, "INVALID_IDENTIFIER_SYSTEM", "patientNHSNumber"},
		{"bad check digit", params(nhs[:9] + string('0'+(nhs[9]-'0'+1)%10)), 400, "INVALID_NHS_NUMBER", "patientNHSNumber"},
		{"empty NHS number", params("" + " "), 400, "INVALID_NHS_NUMBER", "patientNHSNumber"},
		{"nine digits", params(nhs[:9]), 400, "INVALID_NHS_NUMBER", "patientNHSNumber"},
		{"includeResolvedAllergies missing", params(nhs, `{"name":"includeAllergies"}`), 422, "INVALID_PARAMETER", "includeAllergies.includeResolvedAllergies"},
		{"part without a value", params(nhs, withPart("includeAllergies", `{"name":"includeResolvedAllergies"}`)), 422, "INVALID_PARAMETER", "includeAllergies.includeResolvedAllergies"},
		{"boolean as a string", params(nhs, withPart("includeAllergies", `{"name":"includeResolvedAllergies","valueString":"true"}`)), 422, "INVALID_PARAMETER", "includeAllergies.includeResolvedAllergies"},
		{"part twice", params(nhs, withPart("includeAllergies", `{"name":"includeResolvedAllergies","valueBoolean":true},{"name":"includeResolvedAllergies","valueBoolean":false}`)), 422, "INVALID_RESOURCE", "includeAllergies.includeResolvedAllergies"},
		{"parameter twice", params(nhs, ok, ok), 422, "INVALID_RESOURCE", "includeAllergies"},
		{"a value on an area", params(nhs, `{"name":"includeMedication","valueBoolean":true}`), 422, "INVALID_PARAMETER", "includeMedication"},
		{"future medication date", params(nhs, withPart("includeMedication", `{"name":"medicationSearchFromDate","valueDate":"`+future+`"}`)), 422, "INVALID_PARAMETER", "includeMedication.medicationSearchFromDate"},
		{"partial medication date", params(nhs, withPart("includeMedication", `{"name":"medicationSearchFromDate","valueDate":"2019-03"}`)), 422, "INVALID_PARAMETER", "includeMedication.medicationSearchFromDate"},
		{"medication date with a time", params(nhs, withPart("includeMedication", `{"name":"medicationSearchFromDate","valueDate":"2019-03-01T10:00:00+00:00"}`)), 422, "INVALID_PARAMETER", "includeMedication.medicationSearchFromDate"},
		{"empty medication date", params(nhs, withPart("includeMedication", `{"name":"medicationSearchFromDate","valueDate":""}`)), 422, "INVALID_PARAMETER", "includeMedication.medicationSearchFromDate"},
		{"null medication date", params(nhs, withPart("includeMedication", `{"name":"medicationSearchFromDate","valueDate":"null"}`)), 422, "INVALID_PARAMETER", "includeMedication.medicationSearchFromDate"},
		{"impossible date", params(nhs, withPart("includeMedication", `{"name":"medicationSearchFromDate","valueDate":"2019-02-30"}`)), 422, "INVALID_PARAMETER", "includeMedication.medicationSearchFromDate"},
		{"issues as a string", params(nhs, withPart("includeMedication", `{"name":"includePrescriptionIssues","valueString":"false"}`)), 422, "INVALID_PARAMETER", "includeMedication.includePrescriptionIssues"},
		{"period start after end", params(nhs, withPart("includeConsultations", `{"name":"consultationSearchPeriod","valuePeriod":{"start":"2019-03-02","end":"`+past+`"}}`)), 422, "INVALID_PARAMETER", "includeConsultations.consultationSearchPeriod"},
		{"period end in the future", params(nhs, withPart("includeUncategorisedData", `{"name":"uncategorisedDataSearchPeriod","valuePeriod":{"start":"`+past+`","end":"`+future+`"}}`)), 422, "INVALID_PARAMETER", "includeUncategorisedData.uncategorisedDataSearchPeriod"},
		{"period of date-times", params(nhs, withPart("includeInvestigations", `{"name":"investigationSearchPeriod","valuePeriod":{"start":"2019-03-01T00:00:00+00:00"}}`)), 422, "INVALID_PARAMETER", "includeInvestigations.investigationSearchPeriod"},
		{"empty period", params(nhs, withPart("includeReferrals", `{"name":"referralSearchPeriod","valuePeriod":{}}`)), 422, "INVALID_PARAMETER", "includeReferrals.referralSearchPeriod"},
		{"most recent zero", params(nhs, withPart("includeConsultations", `{"name":"includeNumberOfMostRecent","valuePositiveInt":0}`)), 422, "INVALID_PARAMETER", "includeConsultations.includeNumberOfMostRecent"},
		{"period and most recent", params(nhs, withPart("includeConsultations", `{"name":"consultationSearchPeriod","valuePeriod":{"start":"`+past+`"}},{"name":"includeNumberOfMostRecent","valuePositiveInt":3}`)), 422, "INVALID_RESOURCE", "includeNumberOfMostRecent"},
		{"filterStatus resolved", params(nhs, withPart("includeProblems", `{"name":"filterStatus","valueCode":"resolved"}`)), 422, "INVALID_PARAMETER", "includeProblems.filterStatus"},
		{"filterSignificance junk", params(nhs, withPart("includeProblems", `{"name":"filterSignificance","valueCode":"huge"}`)), 422, "INVALID_PARAMETER", "includeProblems.filterSignificance"},
		{"diary date in the past", params(nhs, withPart("includeDiaryEntries", `{"name":"diaryEntriesSearchDate","valueDate":"`+past+`"}`)), 422, "INVALID_PARAMETER", "includeDiaryEntries.diaryEntriesSearchDate"},
		{"not given as a string", params(nhs, withPart("includeImmunisations", `{"name":"includeNotGiven","valueCode":"true"}`)), 422, "INVALID_PARAMETER", "includeImmunisations.includeNotGiven"},
	}
	// Every forbidden combination of SPEC §3's table: a part of another
	// area beside consultations or problems.
	parts := map[string]struct{ param, part string }{
		"medicationSearchFromDate":      {"includeMedication", `{"name":"medicationSearchFromDate","valueDate":"` + past + `"}`},
		"uncategorisedDataSearchPeriod": {"includeUncategorisedData", `{"name":"uncategorisedDataSearchPeriod","valuePeriod":{"start":"` + past + `"}}`},
		"filterStatus":                  {"includeProblems", `{"name":"filterStatus","valueCode":"active"}`},
		"filterSignificance":            {"includeProblems", `{"name":"filterSignificance","valueCode":"major"}`},
		"referralSearchPeriod":          {"includeReferrals", `{"name":"referralSearchPeriod","valuePeriod":{"start":"` + past + `"}}`},
		"diaryEntriesSearchDate":        {"includeDiaryEntries", `{"name":"diaryEntriesSearchDate","valueDate":"` + future + `"}`},
		"includeNotGiven":               {"includeImmunisations", `{"name":"includeNotGiven","valueBoolean":true}`},
		"includeStatus":                 {"includeImmunisations", `{"name":"includeStatus","valueBoolean":true}`},
	}
	forbidden := map[string][]string{
		"includeConsultations": {"medicationSearchFromDate", "uncategorisedDataSearchPeriod", "filterStatus", "filterSignificance", "referralSearchPeriod", "diaryEntriesSearchDate", "includeNotGiven", "includeStatus"},
		"includeProblems":      {"medicationSearchFromDate", "uncategorisedDataSearchPeriod", "referralSearchPeriod", "diaryEntriesSearchDate", "includeNotGiven", "includeStatus"},
	}
	for with, names := range forbidden {
		for _, name := range names {
			pt := parts[name]
			cases = append(cases, struct {
				name   string
				body   string
				status int
				spine  string
				names  string
			}{with + " with " + name, params(nhs, `{"name":"`+with+`"}`, withPart(pt.param, pt.part)), 422, "INVALID_PARAMETER", pt.param + "." + name})
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outcome(t, record(t, e, c.body), c.status, c.spine, c.names)
		})
	}
	// Each of those parts is allowed alone.
	for name, pt := range parts {
		if res := record(t, e, params(nhs, withPart(pt.param, pt.part))); res.Status != http.StatusOK {
			t.Errorf("%s alone: %d %s", name, res.Status, demotest.Truncate(string(res.Body), 400))
		}
	}
	// What is allowed: includeProblems twice with filters, investigations
	// and resolved allergies beside consultations or problems, a diary date today or
	// later, the most recent consultations alone.
	for _, body := range []string{
		params(nhs, withPart("includeProblems", `{"name":"filterStatus","valueCode":"active"},{"name":"filterSignificance","valueCode":"major"}`),
			withPart("includeProblems", `{"name":"filterStatus","valueCode":"inactive"},{"name":"filterSignificance","valueCode":"minor"}`)),
		params(nhs, `{"name":"includeConsultations"}`, ok, withPart("includeInvestigations", `{"name":"investigationSearchPeriod","valuePeriod":{"start":"`+past+`"}}`)),
		params(nhs, `{"name":"includeProblems"}`, ok, withPart("includeInvestigations", `{"name":"investigationSearchPeriod","valuePeriod":{"start":"`+past+`"}}`)),
		params(nhs, withPart("includeDiaryEntries", `{"name":"diaryEntriesSearchDate","valueDate":"`+future+`"}`)),
		params(nhs, withPart("includeConsultations", `{"name":"includeNumberOfMostRecent","valuePositiveInt":3}`)),
		params(nhs),
	} {
		if res := record(t, e, body); res.Status != http.StatusOK {
			t.Errorf("%s: %d %s", body, res.Status, demotest.Truncate(string(res.Body), 400))
		}
	}
}

// The Spine Security Proxy's rules: headers and the audit token are
// checked before anything else, 400 BAD_REQUEST, or 422 INVALID_RESOURCE
// for a resource in the token that is not what it must be.
func TestSSPErrors(t *testing.T) {
	e := serve(t, nil)
	body := params(find(t, func(p demoPatient) bool { return true }).nhs, allergies(true))
	tok := func(edit func(c map[string]any)) string {
		c := authtest.GPCClaims(auth.GPConnectPatientScope)
		edit(c)
		return "Bearer " + authtest.Unsigned(t, c)
	}
	cases := []struct {
		name   string
		header []string
		status int
		spine  string
		names  string
	}{
		{"no trace id", []string{"Ssp-TraceID", ""}, 400, "BAD_REQUEST", "Ssp-TraceID"},
		{"a trace id that is not a UUID", []string{"Ssp-TraceID", "trace-1"}, 400, "BAD_REQUEST", "Ssp-TraceID"},
		{"no interaction", []string{"Ssp-InteractionID", ""}, 400, "BAD_REQUEST", "Ssp-InteractionID"},
		{"another provider", []string{"Ssp-To", "999999999999"}, 400, "BAD_REQUEST", "Ssp-To"},
		{"no consumer", []string{"Ssp-From", ""}, 400, "BAD_REQUEST", "Ssp-From"},
		{"the metadata's interaction", []string{"Ssp-InteractionID", auth.GPConnectMetadataInteraction}, 400, "BAD_REQUEST", "Ssp-InteractionID"},
		{"no token", []string{"Authorization", ""}, 400, "BAD_REQUEST", "Authorization"},
		{"a token of the metadata", []string{"Authorization", tok(func(c map[string]any) { c["requested_scope"] = "organization/*.read" })}, 400, "BAD_REQUEST", "requested_scope"},
		{"exp iat+301", []string{"Authorization", tok(func(c map[string]any) { c["exp"] = c["iat"].(int64) + 301 })}, 400, "BAD_REQUEST", "exp"},
		{"device of another type", []string{"Authorization", tok(func(c map[string]any) { c["requesting_device"].(map[string]any)["resourceType"] = "Patient" })}, 422, "INVALID_RESOURCE", "requesting_device"},
		{"device with an unknown element", []string{"Authorization", tok(func(c map[string]any) { c["requesting_device"].(map[string]any)["colour"] = "red" })}, 422, "INVALID_RESOURCE", "colour"},
		{"body of JSON sent as XML", []string{"Content-Type", "application/fhir+xml"}, 422, "INVALID_RESOURCE", "XML"},
		{"body of plain text", []string{"Content-Type", "text/plain"}, 415, "UNSUPPORTED_MEDIA_TYPE", "FHIR JSON or XML"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			outcome(t, record(t, e, body, c.header...), c.status, c.spine, c.names)
		})
	}
	// The GP Connect base is not the API's: its paths and methods fail
	// with GP Connect's OperationOutcome, never cached.
	hs := authtest.GPCHeaders(trace, auth.GPConnectStructuredInteraction, authtest.Unsigned(t, authtest.GPCClaims(auth.GPConnectPatientScope)))
	outcome(t, demotest.Get(t, e.GPC+"/Patient/$gpc.getstructuredrecord", hs...), 400, "BAD_REQUEST", "POST")
	outcome(t, demotest.Get(t, e.GPC+"/Patient/9", hs...), 404, "NO_RECORD_FOUND", "no such endpoint")
	outcome(t, demotest.Get(t, e.GPC+"/Metadata", hs...), 404, "NO_RECORD_FOUND", "no such endpoint")
	outcome(t, record(t, e, body, "Accept", "text/csv"), 406, "BAD_REQUEST", "text/csv")
	// The record as JSON by default, as XML when asked for (Accept or
	// _format), FHIR's media types.
	for _, c := range []struct{ accept, query, ctype string }{
		{"", "", "application/fhir+json"},
		{"application/fhir+xml", "", "application/fhir+xml"},
		{"", "?_format=xml", "application/fhir+xml"},
	} {
		var more []string
		if c.accept != "" {
			more = []string{"Accept", c.accept}
		}
		h := append(authtest.GPCHeaders(trace, auth.GPConnectStructuredInteraction, authtest.Unsigned(t, authtest.GPCClaims(auth.GPConnectPatientScope))), "Content-Type", "application/fhir+json")
		res := demotest.Do(t, http.MethodPost, e.GPC+"/Patient/$gpc.getstructuredrecord"+c.query, strings.NewReader(body), append(h, more...)...)
		if ct := res.Header.Get("Content-Type"); res.Status != http.StatusOK || !strings.HasPrefix(ct, c.ctype) {
			t.Errorf("Accept %q%s: %d %q, want 200 %s", c.accept, c.query, res.Status, ct, c.ctype)
		}
		if c.ctype == "application/fhir+xml" && !strings.Contains(string(res.Body), `<Bundle xmlns="http://hl7.org/fhir">`) {
			t.Errorf("Accept %q%s: not a FHIR XML Bundle: %s", c.accept, c.query, demotest.Truncate(string(res.Body), 200))
		}
	}
}

// Patients whose record is not served (SPEC §6.3) are 404
// PATIENT_NOT_FOUND, whatever the reason, which only the log tells.
func TestPatientsNotServed(t *testing.T) {
	e := serve(t, nil)
	var unverified, deceased string
	for _, p := range patients(t) {
		switch {
		case !validNHS(p.nhs):
		case p.status != "01" && p.status != "" && unverified == "":
			unverified = p.nhs
		case p.status == "01" && p.died != "" && deceased == "":
			deceased = p.nhs
		}
	}
	if unverified == "" || deceased == "" {
		t.Fatalf("the demo has no patient unverified (%q) or deceased (%q)", unverified, deceased)
	}
	unknown := "9999999999"
	for i := 0; !validNHS(unknown); i++ {
		unknown = fmt.Sprintf("99999%05d", i)
	}
	for what, nhs := range map[string]string{"unknown": unknown, "unverified": unverified, "deceased": deceased} {
		t.Run(what, func(t *testing.T) {
			outcome(t, record(t, e, params(nhs, allergies(true))), 404, "PATIENT_NOT_FOUND", nhs)
		})
	}
}

// The structured CapabilityStatement: GP Connect's release, the operation
// at its version, the profiles of what a record may hold, JSON and XML,
// behind the same SSP rules with the metadata's interaction and scope.
func TestCapabilityStatement(t *testing.T) {
	e := serve(t, nil)
	hs := authtest.GPCHeaders(trace, auth.GPConnectMetadataInteraction, authtest.Unsigned(t, authtest.GPCClaims(auth.GPConnectOrganizationScope)))
	res := demotest.Get(t, e.GPC+"/metadata", hs...)
	if res.Status != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, Cache-Control %q: %s", res.Status, res.Header.Get("Cache-Control"), res.Body)
	}
	fhirvalid.Validate(t, "the structured CapabilityStatement", res.Body)
	cs := res.JSON(t)
	if cs["version"] != gpconnect.SpecVersion || cs["fhirVersion"] != "3.0.1" || cs["acceptUnknown"] != "both" || cs["kind"] != "capability" ||
		at(cs, "software", "name") == nil || at(cs, "software", "version") == nil || cs["status"] != "active" || at(cs, "rest", 0, "mode") != "server" {
		t.Errorf("CapabilityStatement %s", res.Body)
	}
	if f, _ := cs["format"].([]any); !slices.Contains(f, any("application/fhir+json")) || !slices.Contains(f, any("application/fhir+xml")) {
		t.Errorf("format %v: want JSON and XML (SPEC §11)", cs["format"])
	}
	if at(cs, "rest", 0, "operation", 0, "name") != "gpc.getstructuredrecord" || at(cs, "rest", 0, "operation", 0, "definition", "reference") != gpconnect.OperationDefinition ||
		at(cs, "rest", 0, "security", "cors") != true {
		t.Errorf("rest %v", cs["rest"])
	}
	var profiles []string
	for _, p := range cs["profile"].([]any) {
		profiles = append(profiles, at(p, "reference").(string))
	}
	for _, want := range []string{"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1/_history/1.8",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1/_history/1.7",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Immunization-1/_history/1.5",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Medication-1/_history/1.2",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-MedicationStatement-1/_history/1.7",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-MedicationRequest-1/_history/1.6",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProblemHeader-Condition-1/_history/1.7",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Observation-1/_history/1.7",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Encounter-1/_history/1.5",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ReferralRequest-1/_history/1.2",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProcedureRequest-1/_history/1.3",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-DiagnosticReport-1/_history/1.3",
		"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Specimen-1/_history/1.3",
		"https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-StructuredRecord-Bundle-1/_history/1.3"} {
		if !slices.Contains(profiles, want) {
			t.Errorf("profiles %v lack %s", profiles, want)
		}
	}
	x := demotest.Get(t, e.GPC+"/metadata?_format=xml", append(hs, "Accept", "application/fhir+json")...)
	if x.Status != http.StatusOK || !strings.HasPrefix(x.Header.Get("Content-Type"), "application/fhir+xml") || !strings.Contains(string(x.Body), "<CapabilityStatement") {
		t.Errorf("_format=xml over Accept JSON: %d %q", x.Status, x.Header.Get("Content-Type"))
	}
	// The record's interaction or scope is not the metadata's.
	outcome(t, demotest.Get(t, e.GPC+"/metadata", authtest.GPCHeaders(trace, auth.GPConnectStructuredInteraction,
		authtest.Unsigned(t, authtest.GPCClaims(auth.GPConnectOrganizationScope)))...), 400, "BAD_REQUEST", "Ssp-InteractionID")
	outcome(t, demotest.Get(t, e.GPC+"/metadata", authtest.GPCHeaders(trace, auth.GPConnectMetadataInteraction,
		authtest.Unsigned(t, authtest.GPCClaims(auth.GPConnectPatientScope)))...), 400, "BAD_REQUEST", "organization/*.read")
	outcome(t, demotest.Do(t, http.MethodPost, e.GPC+"/metadata", strings.NewReader("{}"), hs...), 400, "BAD_REQUEST", "POST")
}

// Every backend answers the same records as SQLite, byte for byte: every
// area served, with their options, for patients whose records hold
// allergies active and ended, repeats with their issues and acute
// prescriptions, problems of each status and significance, and
// observations, and consultations holding them.
func TestRecordEveryBackend(t *testing.T) {
	meds, probs := medicationRows(t), problemRows(t)
	var nhs []string
	for _, ok := range []func(p demoPatient) bool{
		func(p demoPatient) bool {
			return len(p.allergies["Active"]) > 0 && len(p.allergies["Resolved"])+len(p.allergies["Inactive"]) > 0
		},
		func(p demoPatient) bool {
			m := meds[p.id]
			return m != nil && len(m.acute) > 0 && len(m.repeats) > 1 && len(m.repeats[0].issues) > 0
		},
		func(p demoPatient) bool {
			sig := map[string]bool{}
			for _, r := range probs[p.id] {
				sig[r.significance+r.status] = true
			}
			return len(sig) > 2
		},
	} {
		nhs = append(nhs, find(t, ok).nhs)
	}
	var bodies []string
	for _, n := range nhs {
		bodies = append(bodies,
			params(n, allergies(true), `{"name":"includeMedication"}`, `{"name":"includeConsultations"}`, `{"name":"includeProblems"}`, `{"name":"includeImmunisations"}`,
				`{"name":"includeUncategorisedData"}`, `{"name":"includeSomethingNew"}`),
			params(n, `{"name":"includeConsultations","part":[{"name":"consultationSearchPeriod","valuePeriod":{"start":"2014-01-01","end":"2021-12-31"}}]}`,
				`{"name":"includeMedication"}`, `{"name":"includeUncategorisedData"}`),
			params(n, `{"name":"includeConsultations","part":[{"name":"includeNumberOfMostRecent","valuePositiveInt":2}]}`, `{"name":"includeMedication"}`,
				`{"name":"includeUncategorisedData"}`, `{"name":"includeImmunisations"}`, `{"name":"includeReferrals"}`, `{"name":"includeDiaryEntries"}`),
			params(n, `{"name":"includeReferrals","part":[{"name":"referralSearchPeriod","valuePeriod":{"start":"2015-01-01","end":"2020-12-31"}}]}`,
				`{"name":"includeDiaryEntries","part":[{"name":"diaryEntriesSearchDate","valueDate":"`+time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly)+`"}]}`),
			params(n, `{"name":"includeMedication","part":[{"name":"includePrescriptionIssues","valueBoolean":false},{"name":"medicationSearchFromDate","valueDate":"2018-01-01"}]}`,
				`{"name":"includeUncategorisedData","part":[{"name":"uncategorisedDataSearchPeriod","valuePeriod":{"start":"2015-01-01","end":"2022-12-31"}}]}`),
			params(n, `{"name":"includeProblems","part":[{"name":"filterStatus","valueCode":"inactive"}]}`, `{"name":"includeProblems","part":[{"name":"filterSignificance","valueCode":"minor"}]}`),
			params(n, `{"name":"includeInvestigations"}`, `{"name":"includeUncategorisedData"}`, `{"name":"includeConsultations"}`),
			params(n, `{"name":"includeInvestigations","part":[{"name":"investigationSearchPeriod","valuePeriod":{"start":"2016-01-01","end":"2021-12-31"}}]}`))
	}
	sqlite := serve(t, nil)
	want := make([]demotest.Response, len(bodies))
	for i, b := range bodies {
		want[i] = record(t, sqlite, b)
		if want[i].Status != http.StatusOK {
			t.Fatalf("SQLite: status %d: %s", want[i].Status, want[i].Body)
		}
	}
	demotest.Each(t, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}}, func(t *testing.T, e *demotest.Env) {
		for i, b := range bodies {
			if got := record(t, e, b); got.Status != http.StatusOK || string(got.Body) != string(want[i].Body) {
				t.Errorf("request %d: %s's record differs from SQLite's\n  %s: %s\nsqlite: %s", i, e.Name, e.Name,
					demotest.Truncate(string(got.Body), 1500), demotest.Truncate(string(want[i].Body), 1500))
			}
		}
	})
}

// Every GP Connect request is audited before it is answered: who asked
// (the token's practitioner and organisation, the SSP trace id and
// ASIDs), the parameters' names (never their values), whose record was
// returned, and the refusals too.
func TestAudit(t *testing.T) {
	var buf demotest.Buffer
	e := demotest.SQLite(t, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID},
		Server: server.Options{Audit: audit.NewWriter(&buf)}})
	p := find(t, func(p demoPatient) bool { return len(p.allergies["Active"]) > 0 })
	if res := record(t, e, params(p.nhs, allergies(true), `{"name":"includeNewThing"}`)); res.Status != http.StatusOK {
		t.Fatalf("status %d", res.Status)
	}
	outcome(t, record(t, e, params(p.nhs, `{"name":"includeAllergies"}`)), 422, "INVALID_PARAMETER", "includeResolvedAllergies")
	// Refused by the SSP's rules (SPEC §8: audited also when it fails).
	outcome(t, record(t, e, params(p.nhs, allergies(true)), "Ssp-To", "918999198993"), 400, "BAD_REQUEST", "Ssp-To")
	var recs []audit.Record
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var r audit.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	if len(recs) != 3 {
		t.Fatalf("%d audit records, want 3: %s", len(recs), buf.String())
	}
	ok, refused, ssp := recs[0], recs[1], recs[2]
	if ssp.Status != 400 || ssp.SSPTraceID != trace || ssp.SSPTo != "918999198993" || ssp.Outcome == "success" {
		t.Errorf("the SSP refusal's audit: %+v", ssp)
	}
	if ok.SSPTraceID != trace || ok.SSPFrom != authtest.GPCConsumerASID || ok.SSPTo != authtest.GPCProviderASID || ok.SSPInteraction != auth.GPConnectStructuredInteraction ||
		ok.Practitioner != "G13579135" || ok.Organisation != "GPC001" || ok.Role != "111111111" || ok.Device != "CONS-APP-4" || ok.Purpose != "directcare" || ok.Interaction != "operation" || ok.Resource != "Patient" ||
		!slices.Equal(ok.Patients, []string{p.id}) || ok.Status != 200 || !slices.Equal(ok.Params, []string{"includeAllergies", "includeNewThing", "patientNHSNumber"}) {
		t.Errorf("the record's audit: %+v", ok)
	}
	if strings.Contains(buf.String(), p.nhs) {
		t.Error("the audit trail holds the NHS number asked for")
	}
	if refused.Status != 422 || refused.SSPTraceID != trace || refused.Outcome == "success" {
		t.Errorf("the refusal's audit: %+v", refused)
	}
}

// A record holds every row, however small the engine's pages: the
// searches follow their next links.
func TestRecordFollowsPages(t *testing.T) {
	e := demotest.SQLite(t, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID},
		Engine: engine.Options{DefaultCount: 1, MaxCount: 1}})
	p := find(t, func(p demoPatient) bool { return len(p.allergies["Active"]) > 1 })
	res := record(t, e, params(p.nhs, allergies(false)))
	if res.Status != http.StatusOK {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	if got := itemRefs(listsByCode(t, res.JSON(t))["886921000000105"]); len(got) != len(p.allergies["Active"]) {
		t.Errorf("active allergies %v, want %d of them", got, len(p.allergies["Active"]))
	}
}

// A failure of the database (SPEC §7: an unexpected failure, diagnostics
// required, nothing internal leaked): 503 with Retry-After, one
// INTERNAL_SERVER_ERROR issue whose diagnostics give the request's id
// and no driver text, SQL or table name.
func TestDatabaseFailure(t *testing.T) {
	e := serve(t, nil)
	p := find(t, func(p demoPatient) bool { return true })
	if err := e.DB.Close(); err != nil {
		t.Fatal(err)
	}
	res := record(t, e, params(p.nhs, allergies(true)))
	if res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, Retry-After %q: %s", res.Status, res.Header.Get("Retry-After"), res.Body)
	}
	o := res.JSON(t)
	issues, _ := o["issue"].([]any)
	if len(issues) != 1 || at(issues[0], "details", "coding", 0, "code") != "INTERNAL_SERVER_ERROR" || at(issues[0], "severity") != "error" {
		t.Fatalf("issues %v", issues)
	}
	d, _ := at(issues[0], "diagnostics").(string)
	if !strings.Contains(d, "quote ") {
		t.Errorf("diagnostics %q give no request id to quote", d)
	}
	for _, leak := range []string{"sql", "SELECT", "PATIENT", "closed", "sqlite"} {
		if strings.Contains(string(res.Body), leak) {
			t.Errorf("the answer leaks %q: %s", leak, res.Body)
		}
	}
	fhirvalid.Validate(t, "the OperationOutcome", res.Body)
}

// Each area's filters affect only that area (SPEC §3): an allergies,
// immunisations and uncategorised data answer is the same beside
// medication and referrals asked with their filters as alone.
func TestFiltersAffectTheirAreaAlone(t *testing.T) {
	e := serve(t, nil)
	p := find(t, func(p demoPatient) bool { return len(p.allergies["Active"]) > 0 })
	others := []string{allergies(true), `{"name":"includeImmunisations"}`, `{"name":"includeUncategorisedData"}`}
	codes := []string{"886921000000105", "1103671000000101", "1102181000000102", "826501000000100"}
	alone := listsByCode(t, okRecord(t, e, params(p.nhs, others...), "areas alone"))
	recent := time.Now().AddDate(0, 0, -2).Format("2006-01-02") // filters that leave out nearly everything
	beside := listsByCode(t, okRecord(t, e, params(p.nhs, append(others,
		`{"name":"includeMedication","part":[{"name":"medicationSearchFromDate","valueDate":"`+recent+`"}]}`,
		`{"name":"includeReferrals","part":[{"name":"referralSearchPeriod","valuePeriod":{"start":"`+recent+`"}}]}`)...), "areas beside filtered ones"))
	for _, code := range codes {
		if alone[code] == nil || fmt.Sprint(itemRefs(alone[code])) != fmt.Sprint(itemRefs(beside[code])) {
			t.Errorf("list %s: alone %v, beside filtered areas %v", code, itemRefs(alone[code]), itemRefs(beside[code]))
		}
	}
	if len(itemRefs(alone["886921000000105"])) == 0 {
		t.Errorf("the patient's active allergies list is empty: the comparison shows nothing")
	}
}

// Tokens GP Connect accepts though they look incomplete (SPEC §10): a
// practitioner without a smartcard (UNK as the SDS user and role profile
// ids), one without a role profile or local id, and a scope with conf/R
// or with no confidentiality part: each is answered 200 with the record.
func TestTokenVariantsAccepted(t *testing.T) {
	e := serve(t, nil)
	p := find(t, func(p demoPatient) bool { return true })
	practitioner := func(c map[string]any) map[string]any { return c["requesting_practitioner"].(map[string]any) }
	for name, edit := range map[string]func(c map[string]any){
		"UNK ids": func(c map[string]any) {
			practitioner(c)["identifier"] = []any{
				map[string]any{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "UNK"},
				map[string]any{"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "UNK"},
			}
		},
		"no role profile id": func(c map[string]any) {
			practitioner(c)["identifier"] = []any{map[string]any{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G13579135"}}
		},
		"conf/R":  func(c map[string]any) { c["requested_scope"] = auth.GPConnectPatientScope + " conf/R" },
		"no conf": func(c map[string]any) { c["requested_scope"] = auth.GPConnectPatientScope },
	} {
		t.Run(name, func(t *testing.T) {
			c := authtest.GPCClaims(auth.GPConnectPatientScope)
			edit(c)
			res := record(t, e, params(p.nhs, allergies(false)), "Authorization", "Bearer "+authtest.Unsigned(t, c))
			if res.Status != http.StatusOK || listsByCode(t, res.JSON(t))["886921000000105"] == nil {
				t.Errorf("status %d: %s", res.Status, demotest.Truncate(string(res.Body), 500))
			}
		})
	}
}

// An allergy whose reaction has a severity and no manifestation (a row
// with SEVERITY and no REACTION_CODE, in a copy of the demo database) is
// sent with the manifestation NullFlavor NI (SPEC §6.2): one reaction,
// one manifestation, the severity kept, valid STU3 and GP Connect's
// profile.
func TestAllergySeverityWithoutManifestation(t *testing.T) {
	var allergy, nhs string
	served := map[string]string{}
	for _, p := range patients(t) {
		if p.served() {
			served[p.id] = p.nhs
		}
	}
	for _, r := range demotest.Rows(t, "ALLERGY") {
		if n := served[demotest.Str(r["PATIENT_ID"])]; n != "" && strings.EqualFold(demotest.Str(r["STATUS"]), "active") {
			allergy, nhs = demotest.Str(r["ALLERGY_ID"]), n
			break
		}
	}
	dsn, db := demoCopy(t)
	if _, err := db.Exec(`UPDATE ALLERGY SET REACTION_CODE = NULL, SEVERITY = 'S' WHERE ALLERGY_ID = ?`, allergy); err != nil {
		t.Fatal(err)
	}
	e := demotest.Open(t, "sqlite", sqlite.Open, dsn, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	b := okRecord(t, e, params(nhs, allergies(true)), "an allergy of a severity and no manifestation")
	for _, r := range resources(t, b) {
		if r["resourceType"] != "AllergyIntolerance" || r["id"] != allergy {
			continue
		}
		rs, _ := r["reaction"].([]any)
		ms, _ := at(r, "reaction", 0, "manifestation").([]any)
		if len(rs) != 1 || len(ms) != 1 || at(ms[0], "coding", 0, "system") != "http://hl7.org/fhir/v3/NullFlavor" || at(ms[0], "coding", 0, "code") != "NI" ||
			at(r, "reaction", 0, "severity") != "severe" {
			t.Errorf("AllergyIntolerance/%s reaction %v: want one manifestation, NullFlavor NI, and the severity", allergy, r["reaction"])
		}
		for _, p := range profile.GPConnect().Check(r) {
			t.Errorf("AllergyIntolerance/%s: %s", allergy, p)
		}
		return
	}
	t.Fatalf("AllergyIntolerance/%s is not in the bundle", allergy)
}

// An item of the record its row does not let the facade render (an
// OBSERVATION whose STATUS the concept map does not know, and the map
// says a read of it fails) fails the whole record, never a record without
// it: 500 INTERNAL_SERVER_ERROR (SPEC §7) whose diagnostics give the
// request's id, with no row or map named; the log says which resource and
// why. The row is changed in a copy of the demo database.
func TestUnreadableItemFailsTheRecord(t *testing.T) {
	rows := observationRows(t)
	withheld, _ := withheldRows(t)
	p := find(t, func(p demoPatient) bool { return len(rows[p.id]) > 1 })
	var bad string
	for _, o := range rows[p.id] {
		if withheld["Observation/"+o.id].patient == "" {
			bad = o.id
			break
		}
	}
	dsn, db := demoCopy(t)
	if _, err := db.Exec(`UPDATE OBSERVATION SET STATUS = 'Z' WHERE OBS_ID = ?`, bad); err != nil {
		t.Fatal(err)
	}
	var logs demotest.Buffer
	e := demotest.Open(t, "sqlite", sqlite.Open, dsn, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID},
		Server: server.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))}})
	for _, q := range []string{`{"name":"includeUncategorisedData"}`, `{"name":"includeConsultations"}`} {
		res := record(t, e, params(p.nhs, q))
		outcome(t, res, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", "quote")
		for _, leak := range []string{"obs-status", "STATUS", "Z"} {
			if strings.Contains(string(res.Body), `"`+leak) || strings.Contains(string(res.Body), leak+`"`) {
				t.Errorf("%s: the answer names %q: %s", q, leak, res.Body)
			}
		}
	}
	if !strings.Contains(logs.String(), "Observation/"+bad) {
		t.Errorf("the log does not name Observation/%s: %s", bad, logs.String())
	}
}

// A request body in FHIR XML (SPEC §2: XML SHOULD be supported) is read as
// its JSON form is: the same Parameters, in XML, gets the same record,
// byte for byte; its parameters are checked alike (a wrong part in XML is
// the same 422 naming it); XML that is not a Parameters, or not XML, is
// 422 INVALID_RESOURCE.
func TestXMLRequestBody(t *testing.T) {
	e := serve(t, nil)
	p := find(t, func(p demoPatient) bool { return len(p.allergies["Active"]) > 0 })
	json := params(p.nhs, allergies(true), `{"name":"includeMedication","part":[{"name":"includePrescriptionIssues","valueBoolean":false},{"name":"medicationSearchFromDate","valueDate":"2015-01-01"}]}`,
		`{"name":"includeUncategorisedData","part":[{"name":"uncategorisedDataSearchPeriod","valuePeriod":{"start":"2012-01-01","end":"2020-12-31"}}]}`,
		`{"name":"includeImmunisations","part":[{"name":"includeNotGiven","valueBoolean":true}]}`)
	xml := `<?xml version="1.0" encoding="UTF-8"?>
<Parameters xmlns="http://hl7.org/fhir">
  <parameter><name value="patientNHSNumber"/><valueIdentifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="` + p.nhs + `"/></valueIdentifier></parameter>
  <parameter><name value="includeAllergies"/><part><name value="includeResolvedAllergies"/><valueBoolean value="true"/></part></parameter>
  <parameter><name value="includeMedication"/>
    <part><name value="includePrescriptionIssues"/><valueBoolean value="false"/></part>
    <part><name value="medicationSearchFromDate"/><valueDate value="2015-01-01"/></part>
  </parameter>
  <parameter><name value="includeUncategorisedData"/><part><name value="uncategorisedDataSearchPeriod"/><valuePeriod><start value="2012-01-01"/><end value="2020-12-31"/></valuePeriod></part></parameter>
  <parameter><name value="includeImmunisations"/><part><name value="includeNotGiven"/><valueBoolean value="true"/></part></parameter>
</Parameters>`
	consultations := `<Parameters xmlns="http://hl7.org/fhir">
  <parameter><name value="patientNHSNumber"/><valueIdentifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="` + p.nhs + `"/></valueIdentifier></parameter>
  <parameter><name value="includeConsultations"/><part><name value="includeNumberOfMostRecent"/><valuePositiveInt value="0"/></part></parameter>
</Parameters>`
	fromJSON := record(t, e, json)
	fromXML := record(t, e, xml, "Content-Type", "application/fhir+xml")
	if fromJSON.Status != http.StatusOK || fromXML.Status != http.StatusOK || string(fromJSON.Body) != string(fromXML.Body) {
		t.Fatalf("JSON %d, XML %d; the same record: %v\n%s", fromJSON.Status, fromXML.Status, string(fromJSON.Body) == string(fromXML.Body), demotest.Truncate(string(fromXML.Body), 600))
	}
	for _, c := range []struct{ name, body, spine, names string }{
		{"a part given wrong", consultations, "INVALID_PARAMETER", "includeConsultations.includeNumberOfMostRecent"},
		{"a boolean that is not one", strings.Replace(xml, `<valueBoolean value="true"/>`, `<valueBoolean value="yes"/>`, 1), "INVALID_PARAMETER", "includeAllergies.includeResolvedAllergies"},
		{"not a Parameters", `<Patient xmlns="http://hl7.org/fhir"><id value="1"/></Patient>`, "INVALID_RESOURCE", "Parameters"},
		{"not in FHIR's namespace", strings.Replace(xml, ` xmlns="http://hl7.org/fhir"`, "", 1), "INVALID_RESOURCE", "http://hl7.org/fhir"},
		{"not XML", `<Parameters xmlns="http://hl7.org/fhir"><parameter>`, "INVALID_RESOURCE", "XML"},
		{"an element Parameters has not", strings.Replace(xml, `<parameter>`, `<colour value="red"/><parameter>`, 1), "INVALID_RESOURCE", "colour"},
	} {
		t.Run(c.name, func(t *testing.T) {
			outcome(t, record(t, e, c.body, "Content-Type", "application/fhir+xml"), 422, c.spine, c.names)
		})
	}
}
