package gpconnect_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/fhirvalid"
	"github.com/ccfacade/ccfacade/server"
)

// demoMed is a patient's medication in the demo's tables: the
// REPEAT_MED rows (repeats) with the MED_ISSUE rows made from each, and
// the acute issues (MED_ISSUE rows of no repeat).
type demoMed struct {
	repeats []demoRepeat
	acute   []demoIssue
}

type demoRepeat struct {
	id, start, end, status string // dates YYYYMMDD
	review                 string // review date (YYYYMMDD); "" unknown
	allowed                string // issues allowed; "" not defined
	issues                 []demoIssue
}

type demoIssue struct{ id, date, status string }

// medicationRows are the demo's medication rows by PATIENT_ID.
func medicationRows(t *testing.T) map[string]*demoMed {
	t.Helper()
	out := map[string]*demoMed{}
	get := func(p string) *demoMed {
		if out[p] == nil {
			out[p] = &demoMed{}
		}
		return out[p]
	}
	index := map[string][2]int{} // REPEAT_ID → patient's repeat
	byPatient := map[string]string{}
	for _, r := range demotest.Rows(t, "REPEAT_MED") {
		p := demotest.Str(r["PATIENT_ID"])
		m := get(p)
		id := demotest.Str(r["REPEAT_ID"])
		m.repeats = append(m.repeats, demoRepeat{id: id, start: demotest.Str(r["START_DATE"]), end: demotest.Str(r["END_DATE"]), status: demotest.Str(r["STATUS"]),
			review: demotest.Str(r["REVIEW_DATE"]), allowed: demotest.Str(r["ISSUES_ALLOWED"])})
		index[id] = [2]int{len(m.repeats) - 1}
		byPatient[id] = p
	}
	for _, r := range demotest.Rows(t, "MED_ISSUE") {
		is := demoIssue{id: demotest.Str(r["ISSUE_ID"]), date: demotest.Str(r["ISSUE_DATE"]), status: demotest.Str(r["STATUS"])}
		if rep := demotest.Str(r["REPEAT_ID"]); rep != "" {
			m := out[byPatient[rep]]
			i := index[rep][0]
			m.repeats[i].issues = append(m.repeats[i].issues, is)
			continue
		}
		m := get(demotest.Str(r["PATIENT_ID"]))
		m.acute = append(m.acute, is)
	}
	return out
}

// medRecord is a record's medication area, read back.
type medRecord struct {
	list       map[string]any
	have       map[string]map[string]any
	statements []map[string]any
	plans      map[string]map[string]any // by id
	orders     []map[string]any
}

func readMedication(t *testing.T, res demotest.Response) medRecord {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("status %d: %s", res.Status, demotest.Truncate(string(res.Body), 800))
	}
	b := res.JSON(t)
	m := medRecord{have: map[string]map[string]any{}, plans: map[string]map[string]any{}}
	m.list = listsByCode(t, b)["933361000000108"]
	if m.list == nil {
		t.Fatalf("no medication list: %s", demotest.Truncate(string(res.Body), 800))
	}
	for _, r := range resources(t, b) {
		id, _ := r["id"].(string)
		m.have[r["resourceType"].(string)+"/"+id] = r
		switch {
		case r["resourceType"] == "MedicationStatement":
			m.statements = append(m.statements, r)
		case r["resourceType"] == "MedicationRequest" && r["intent"] == "plan":
			m.plans[id] = r
		case r["resourceType"] == "MedicationRequest":
			m.orders = append(m.orders, r)
		}
	}
	return m
}

// planOf is the plan a statement or order is based on.
func (m medRecord) planOf(t *testing.T, r map[string]any) map[string]any {
	t.Helper()
	refs, _ := r["basedOn"].([]any)
	if len(refs) != 1 {
		t.Errorf("%s/%s is based on %v: want one plan", r["resourceType"], r["id"], r["basedOn"])
		return nil
	}
	ref, _ := at(refs[0], "reference").(string)
	id, ok := strings.CutPrefix(ref, "MedicationRequest/")
	if !ok || m.plans[id] == nil {
		t.Errorf("%s/%s is based on %s, not a plan in the bundle", r["resourceType"], r["id"], ref)
		return nil
	}
	return m.plans[id]
}

func extByURL(r map[string]any, suffix string) map[string]any {
	exts, _ := r["extension"].([]any)
	for _, x := range exts {
		if u, _ := at(x, "url").(string); strings.HasSuffix(u, suffix) {
			return x.(map[string]any)
		}
	}
	return nil
}

func isoDate(yyyymmdd string) string {
	if len(yyyymmdd) != 8 {
		return ""
	}
	return yyyymmdd[:4] + "-" + yyyymmdd[4:6] + "-" + yyyymmdd[6:]
}

// The medication area of a patient with current and stopped repeats and
// acute issues (SPEC §6.2): the list "Medications and medical devices"
// (SNOMED 933361000000108) holds MedicationStatements only, one per
// REPEAT_MED row and one per acute issue; each statement is based on
// exactly one plan (a MedicationRequest, intent plan, itself based on
// nothing) of the same medicine, whose prescription type is repeat (with
// the number of issues) or acute, and a stopped repeat's plan says when
// it stopped; every MED_ISSUE row is an order based on its repeat's plan
// (an acute issue on its own); every Medication referred to is in the
// bundle. With includePrescriptionIssues false the plans stay and the
// orders go.
func TestRecordMedication(t *testing.T) {
	e := serve(t, nil)
	meds := medicationRows(t)
	p := find(t, func(p demoPatient) bool {
		m := meds[p.id]
		if m == nil || len(m.acute) == 0 {
			return false
		}
		current, stopped := false, false
		for _, r := range m.repeats {
			current = current || r.status == "C" && len(r.issues) > 1
			stopped = stopped || r.status == "S"
		}
		return current && stopped
	})
	m := meds[p.id]
	res := record(t, e, params(p.nhs, `{"name":"includeMedication"}`))
	fhirvalid.Validate(t, "a record of medication", res.Body)
	rec := readMedication(t, res)
	if rec.list["title"] != "Medications and medical devices" || at(rec.list, "code", "coding", 0, "display") != "Medications and medical devices" {
		t.Errorf("list title %v, code %v", rec.list["title"], rec.list["code"])
	}
	refs := itemRefs(rec.list)
	if len(refs) != len(m.repeats)+len(m.acute) || len(rec.statements) != len(refs) {
		t.Fatalf("%d list entries, %d statements; want %d repeats + %d acute issues", len(refs), len(rec.statements), len(m.repeats), len(m.acute))
	}
	for _, ref := range refs {
		if !strings.HasPrefix(ref, "MedicationStatement/") || rec.have[ref] == nil {
			t.Errorf("list entry %s is not a MedicationStatement of the bundle", ref)
		}
	}
	planOfStatement := map[string]string{} // statement id → plan id
	for _, st := range rec.statements {
		plan := rec.planOf(t, st)
		if plan == nil {
			continue
		}
		planOfStatement[st["id"].(string)] = plan["id"].(string)
		if plan["basedOn"] != nil || at(plan, "medicationReference", "reference") != at(st, "medicationReference", "reference") ||
			at(plan, "subject", "reference") != "Patient/"+p.id || at(plan, "recorder", "reference") == nil || at(plan, "dosageInstruction", 0, "text") == nil {
			t.Errorf("plan %v of statement %v: want no basedOn, the statement's medicine, the patient, a recorder, the dosage", plan, st)
		}
		if at(st, "medicationReference", "reference") == nil || rec.have[at(st, "medicationReference", "reference").(string)] == nil {
			t.Errorf("statement %s: its Medication %v is not in the bundle", st["id"], st["medicationReference"])
		}
		if extByURL(st, "Extension-CareConnect-GPC-PrescribingAgency-1") == nil || st["dateAsserted"] == nil || st["informationSource"] != nil || st["derivedFrom"] != nil {
			t.Errorf("statement %s: want the prescribing agency and dateAsserted, no informationSource or derivedFrom: %v", st["id"], st)
		}
	}
	issuesOfPlan := map[string][]string{}
	for _, o := range rec.orders {
		if o["intent"] != "order" {
			t.Errorf("MedicationRequest/%s intent %v", o["id"], o["intent"])
		}
		if plan := rec.planOf(t, o); plan != nil {
			issuesOfPlan[plan["id"].(string)] = append(issuesOfPlan[plan["id"].(string)], o["id"].(string))
		}
	}
	statusOf := map[string]string{"C": "active", "S": "stopped"}
	checked := map[string]int{}
	for _, r := range m.repeats {
		st := rec.have["MedicationStatement/"+r.id]
		if st == nil {
			t.Errorf("REPEAT_MED %s has no statement", r.id)
			continue
		}
		if st["status"] != statusOf[r.status] || at(st, "effectivePeriod", "start") != isoDate(r.start) {
			t.Errorf("statement %s: status %v, start %v; want %s, %s", r.id, st["status"], at(st, "effectivePeriod", "start"), statusOf[r.status], isoDate(r.start))
		}
		plan := rec.plans[planOfStatement[r.id]]
		if plan == nil {
			continue
		}
		if c := at(extByURL(plan, "Extension-CareConnect-GPC-PrescriptionType-1"), "valueCodeableConcept", "coding", 0, "code"); c != "repeat" {
			t.Errorf("repeat %s: plan prescription type %v", r.id, c)
		}
		// The repeat information: the issues made, the row's issues
		// allowed (an unsignedInt, SPEC §6.2) and its review date (the
		// authorisation's expiry).
		info := map[string]any{}
		parts, _ := extByURL(plan, "Extension-CareConnect-GPC-MedicationRepeatInformation-1")["extension"].([]any)
		for _, x := range parts {
			for k, v := range x.(map[string]any) {
				if k != "url" {
					info[at(x, "url").(string)] = v
				}
			}
		}
		wantInfo := map[string]any{"numberOfRepeatPrescriptionsIssued": float64(len(r.issues))}
		if r.review != "" {
			wantInfo["authorisationExpiryDate"] = isoDate(r.review)
		}
		if r.allowed != "" {
			n, err := strconv.Atoi(r.allowed)
			if err != nil {
				t.Fatalf("repeat %s: ISSUES_ALLOWED %q", r.id, r.allowed)
			}
			wantInfo["numberOfRepeatPrescriptionsAllowed"] = float64(n)
			checked["issues allowed"]++
		}
		if !reflect.DeepEqual(info, wantInfo) {
			t.Errorf("repeat %s: plan's repeat information %v, want %v", r.id, info, wantInfo)
		}
		checked["repeat information"] += len(wantInfo) - 1
		if stopped := extByURL(plan, "Extension-CareConnect-GPC-MedicationStatusReason-1"); (r.status == "S") != (stopped != nil) || plan["status"] != statusOf[r.status] {
			t.Errorf("repeat %s (%s): plan status %v, status reason %v", r.id, r.status, plan["status"], stopped)
		}
		var want []string
		for _, is := range r.issues {
			want = append(want, is.id)
		}
		got := issuesOfPlan[plan["id"].(string)]
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("repeat %s: orders %v based on its plan, want its issues %v", r.id, got, want)
		}
	}
	for _, is := range m.acute {
		o := rec.have["MedicationRequest/"+is.id]
		if o == nil {
			t.Errorf("acute issue %s is not in the bundle", is.id)
			continue
		}
		plan := rec.planOf(t, o)
		if plan == nil {
			continue
		}
		if c := at(extByURL(plan, "Extension-CareConnect-GPC-PrescriptionType-1"), "valueCodeableConcept", "coding", 0, "code"); c != "acute" || len(issuesOfPlan[plan["id"].(string)]) != 1 {
			t.Errorf("acute issue %s: plan type %v with orders %v; want acute, this one alone", is.id, c, issuesOfPlan[plan["id"].(string)])
		}
		n := 0
		for st, pl := range planOfStatement {
			if pl == plan["id"] {
				n++
				if s := rec.have["MedicationStatement/"+st]; at(s, "effectivePeriod", "start") != isoDate(is.date) {
					t.Errorf("acute issue %s: its statement starts %v, want %s", is.id, at(s, "effectivePeriod", "start"), isoDate(is.date))
				}
			}
		}
		if n != 1 {
			t.Errorf("acute issue %s: %d statements based on its plan, want 1", is.id, n)
		}
	}

	if checked["repeat information"] == 0 || checked["issues allowed"] == 0 {
		t.Errorf("no repeat of %s gives a review date or the issues allowed (%v): the test shows nothing of them", p.nhs, checked)
	}

	// includePrescriptionIssues false: the same statements and plans, no
	// orders.
	res = record(t, e, params(p.nhs, `{"name":"includeMedication","part":[{"name":"includePrescriptionIssues","valueBoolean":false}]}`))
	fhirvalid.Validate(t, "a record of medication without issues", res.Body)
	without := readMedication(t, res)
	if len(without.orders) != 0 || len(without.statements) != len(rec.statements) || len(without.plans) != len(rec.plans) {
		t.Errorf("includePrescriptionIssues false: %d orders (want none), %d statements, %d plans (want %d, %d)",
			len(without.orders), len(without.statements), len(without.plans), len(rec.statements), len(rec.plans))
	}
	// includePrescriptionIssues true is the default.
	res = record(t, e, params(p.nhs, `{"name":"includeMedication","part":[{"name":"includePrescriptionIssues","valueBoolean":true}]}`))
	if with := readMedication(t, res); len(with.orders) != len(rec.orders) || len(rec.orders) == 0 {
		t.Errorf("includePrescriptionIssues true: %d orders, by default %d", len(with.orders), len(rec.orders))
	}
}

// medicationSearchFromDate D (SPEC §6.2): the authorisations active on
// or after D — a stopped repeat that ended before D is left out, a
// current repeat kept whenever it started, an acute issue kept when
// issued on or after D — with their plans and issues; and none at all
// gives the list empty, with its reason.
func TestRecordMedicationSearchFromDate(t *testing.T) {
	e := serve(t, nil)
	meds := medicationRows(t)
	today := time.Now().UTC().Format("20060102")
	var from string
	p := find(t, func(p demoPatient) bool {
		m := meds[p.id]
		if m == nil {
			return false
		}
		for _, s := range m.repeats {
			if s.status != "S" || s.end == "" {
				continue
			}
			d, _ := time.Parse("20060102", s.end)
			from = d.AddDate(0, 0, 1).Format("20060102")
			current := false
			for _, c := range m.repeats {
				current = current || c.status == "C" && c.start < from
			}
			if current && from <= today {
				return true
			}
		}
		return false
	})
	m := meds[p.id]
	want := map[string]bool{}
	for _, r := range m.repeats {
		if r.end == "" || r.end >= from {
			want["repeat "+r.id] = true
		}
	}
	for _, is := range m.acute {
		if is.date >= from {
			want["acute "+is.id] = true
		}
	}
	res := record(t, e, params(p.nhs, `{"name":"includeMedication","part":[{"name":"medicationSearchFromDate","valueDate":"`+isoDate(from)+`"}]}`))
	fhirvalid.Validate(t, "a record of medication from a date", res.Body)
	rec := readMedication(t, res)
	got := map[string]bool{}
	acuteOf := map[string]string{} // plan id → acute issue id
	for _, o := range rec.orders {
		if plan := rec.planOf(t, o); plan != nil && at(extByURL(plan, "PrescriptionType-1"), "valueCodeableConcept", "coding", 0, "code") == "acute" {
			acuteOf[plan["id"].(string)] = o["id"].(string)
		}
	}
	for _, st := range rec.statements {
		plan := rec.planOf(t, st)
		switch {
		case plan == nil:
		case acuteOf[plan["id"].(string)] != "":
			got["acute "+acuteOf[plan["id"].(string)]] = true
		default:
			got["repeat "+st["id"].(string)] = true
		}
	}
	if len(got) != len(want) || len(rec.statements) != len(want) {
		t.Errorf("from %s: %v (%d statements), want %v", from, got, len(rec.statements), want)
	}
	for k := range want {
		if !got[k] {
			t.Errorf("from %s: %s is missing", from, k)
		}
	}
	stoppedLeft := false
	for _, r := range m.repeats {
		stoppedLeft = stoppedLeft || !want["repeat "+r.id]
	}
	if !stoppedLeft {
		t.Errorf("from %s leaves out none of %v: the test proves nothing", from, m.repeats)
	}

	// A patient without medication: the list empty, with its reason.
	q := find(t, func(p demoPatient) bool { return meds[p.id] == nil })
	res = record(t, e, params(q.nhs, `{"name":"includeMedication"}`))
	fhirvalid.Validate(t, "a record of no medication", res.Body)
	empty := readMedication(t, res)
	if _, ok := empty.list["entry"]; ok || len(empty.statements)+len(empty.plans)+len(empty.orders) != 0 {
		t.Errorf("a patient without medication: list %v, %d statements", empty.list, len(empty.statements))
	}
	if at(empty.list, "emptyReason", "coding", 0, "code") != "no-content-recorded" || at(empty.list, "note", 0, "text") != "Information not available" {
		t.Errorf("empty list: emptyReason %v, note %v", empty.list["emptyReason"], empty.list["note"])
	}
}

// Each part of includeMedication given wrong is 422 INVALID_PARAMETER
// naming it: a medicationSearchFromDate partial, with a time, empty, in
// the future, or beside includeProblems; an includePrescriptionIssues
// that is not a boolean or has no value.
func TestMedicationParameterErrors(t *testing.T) {
	e := serve(t, nil)
	p := find(t, func(p demoPatient) bool { return true })
	tomorrow := time.Now().UTC().AddDate(0, 0, 2).Format("2006-01-02")
	for name, c := range map[string]struct{ part, also, names string }{
		"partial date":    {`{"name":"medicationSearchFromDate","valueDate":"2020-01"}`, "", "includeMedication.medicationSearchFromDate"},
		"date and time":   {`{"name":"medicationSearchFromDate","valueDate":"2020-01-01T10:00:00Z"}`, "", "includeMedication.medicationSearchFromDate"},
		"empty date":      {`{"name":"medicationSearchFromDate","valueDate":""}`, "", "includeMedication.medicationSearchFromDate"},
		"future date":     {`{"name":"medicationSearchFromDate","valueDate":"` + tomorrow + `"}`, "", "includeMedication.medicationSearchFromDate"},
		"with problems":   {`{"name":"medicationSearchFromDate","valueDate":"2020-01-01"}`, `{"name":"includeProblems"}`, "includeMedication.medicationSearchFromDate"},
		"issues string":   {`{"name":"includePrescriptionIssues","valueString":"yes"}`, "", "includeMedication.includePrescriptionIssues"},
		"issues no value": {`{"name":"includePrescriptionIssues"}`, "", "includeMedication.includePrescriptionIssues"},
	} {
		t.Run(name, func(t *testing.T) {
			ps := []string{`{"name":"includeMedication","part":[` + c.part + `]}`}
			if c.also != "" {
				ps = append(ps, c.also)
			}
			outcome(t, record(t, e, params(p.nhs, ps...)), http.StatusUnprocessableEntity, "INVALID_PARAMETER", c.names)
		})
	}
}

// A medication the practice received from the previous practice (GP2GP)
// and could not match to dm+d is a degraded entry (SPEC §6.2): its
// Medication coded 196421000000109 "Transfer-degraded medication entry",
// with the name as received (the DRUG row's name) as the text; its
// statement and plan are sent as any other's. The demo's DRUG rows say
// which drugs are such entries: the test finds them there.
func TestTransferDegradedMedication(t *testing.T) {
	const degraded = "196421000000109"
	names := map[string]string{} // DRUG_ID → name, of the degraded entries
	for _, r := range demotest.Rows(t, "DRUG") {
		if demotest.Str(r["DMD_CODE"]) == degraded {
			names[demotest.Str(r["DRUG_ID"])] = strings.TrimSpace(demotest.Str(r["DRUG_NAME"]))
		}
	}
	holders := map[string][]string{} // PATIENT_ID → Medication/DRUG_ID
	for _, r := range demotest.Rows(t, "REPEAT_MED") {
		if d := demotest.Str(r["DRUG_ID"]); names[d] != "" {
			holders[demotest.Str(r["PATIENT_ID"])] = append(holders[demotest.Str(r["PATIENT_ID"])], "Medication/"+d)
		}
	}
	if len(holders) == 0 {
		t.Fatal("the demo has no degraded medication entry")
	}
	e := serve(t, nil)
	p := find(t, func(p demoPatient) bool { return holders[p.id] != nil })
	res := record(t, e, params(p.nhs, `{"name":"includeMedication"}`))
	fhirvalid.Validate(t, "a record with a degraded entry", res.Body)
	m := readMedication(t, res)
	for _, ref := range holders[p.id] {
		med := m.have[ref]
		if med == nil {
			t.Errorf("%s is not in the bundle", ref)
			continue
		}
		if at(med, "code", "coding", 0, "system") != "http://snomed.info/sct" || at(med, "code", "coding", 0, "code") != degraded ||
			at(med, "code", "coding", 0, "display") != "Transfer-degraded medication entry" || at(med, "code", "text") != names[strings.TrimPrefix(ref, "Medication/")] {
			t.Errorf("%s: code %v, want %s with the text %q", ref, med["code"], degraded, names[strings.TrimPrefix(ref, "Medication/")])
		}
		var listed bool
		for _, st := range m.statements {
			if at(st, "medicationReference", "reference") == ref {
				listed = slices.Contains(itemRefs(m.list), "MedicationStatement/"+st["id"].(string)) && m.planOf(t, st) != nil
			}
		}
		if !listed {
			t.Errorf("%s: no statement of it is listed with its plan", ref)
		}
	}
	// Received with the record, it was prescribed by the previous
	// practice (the REPEAT_MED row's ORIGIN, GP2GP), and is sent whatever
	// medicationSearchFromDate says (SPEC §6.2), though it ended long ago.
	for _, body := range []string{`{"name":"includeMedication"}`, `{"name":"includeMedication","part":[{"name":"medicationSearchFromDate","valueDate":"2024-01-01"}]}`} {
		m := readMedication(t, record(t, e, params(p.nhs, body)))
		n := 0
		for _, st := range m.statements {
			if !slices.Contains(holders[p.id], fmt.Sprint(at(st, "medicationReference", "reference"))) {
				continue
			}
			n++
			agency := at(extByURL(st, "Extension-CareConnect-GPC-PrescribingAgency-1"), "valueCodeableConcept", "coding", 0)
			if at(agency, "code") != "prescribed-by-previous-practice" || at(agency, "display") != "Prescribed by previous practice" {
				t.Errorf("%s: the statement of %v: prescribing agency %v, want prescribed-by-previous-practice", body, st["medicationReference"], agency)
			}
		}
		if n != len(holders[p.id]) {
			t.Errorf("%s: %d statements of the degraded entries, want %d", body, n, len(holders[p.id]))
		}
	}
}

// The overlay's authorisation is checked when the service starts: a
// column the MedicationStatement mapping's table lacks, a value that is
// not one of the row, a type that is not MedicationStatement, each an
// error that names it; the demo's form starts.
func TestAuthorisationChecked(t *testing.T) {
	e := serve(t, nil)
	overlayStartErrors(t, e, "authorisation", []struct{ overlay, want string }{
		{"MedicationStatement:\n    authorisation: { expiry: { column: NO_SUCH_COLUMN } }", "NO_SUCH_COLUMN"},
		{"MedicationStatement:\n    authorisation: { expiry: REVIEW_DATE }", "expiry is a value of the row"},
		{"MedicationStatement:\n    authorisation: { expiry: [20240101] }", "expiry is a value of the row"},
		{"MedicationStatement:\n    authorisation: {}", "give allowed, expiry or prescribed"},
		{"MedicationStatement:\n    authorisation: { allowed: 6 }", "allowed is a value of the row"},
		{"MedicationStatement:\n    authorisation: { allowed: { column: NO_SUCH_COLUMN } }", "NO_SUCH_COLUMN"},
		{"MedicationStatement:\n    authorisation: { prescribed: prescribed-by-previous-practice }", "prescribed is a value of the row"},
		{"MedicationStatement:\n    authorisation: { prescribed: { column: NO_SUCH_COLUMN } }", "NO_SUCH_COLUMN"},
		{"Observation:\n    authorisation: { expiry: { column: REVIEW_DATE } }", "authorisation is for MedicationStatement"},
		{"MedicationStatement:\n    authorisation: { expiry: { column: REVIEW_DATE, transform: { date: nonsense } } }", "expiry"},
		{"MedicationStatement:\n    authorisation: { expiry: { column: REVIEW_DATE, transform: { date: yyyyMMdd } } }", ""},
	})
}

// A record of repeats whose rows say nothing of where they were
// prescribed (the demo's REPEAT_MED rows with no ORIGIN) is answered with
// no warning in the log: the overlay's prescribing agency is theirs, as
// it should be, not a code found wrong. Every patient with a repeat is
// asked for, the one received by GP2GP among them.
func TestRepeatsWarnOfNothing(t *testing.T) {
	dsn, err := demotest.SQLiteDSN()
	if err != nil {
		t.Fatal(err)
	}
	var logs demotest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	e := demotest.Open(t, "sqlite", sqlite.Open, dsn, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID, Logger: log},
		Server: server.Options{Logger: log}})
	holders := map[string]bool{}
	for _, r := range demotest.Rows(t, "REPEAT_MED") {
		holders[demotest.Str(r["PATIENT_ID"])] = true
	}
	n := 0
	for _, p := range patients(t) {
		if !holders[p.id] || p.status != "01" || p.died != "" || p.standing != "" || !validNHS(p.nhs) {
			continue
		}
		if res := record(t, e, params(p.nhs, `{"name":"includeMedication"}`)); res.Status != http.StatusOK {
			t.Fatalf("patient %s: %d %s", p.id, res.Status, demotest.Truncate(string(res.Body), 300))
		}
		n++
	}
	if n == 0 {
		t.Fatal("no served patient has a repeat")
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "gpconnect") {
			t.Errorf("%d records of repeats: the log warns %s", n, line)
		}
	}
}
