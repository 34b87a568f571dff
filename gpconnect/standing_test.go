package gpconnect_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
)

// The cases of a patient's standing at the practice the demo holds
// (demo/standing.go), as the overlay's patient section states them.
const (
	notRegular     = "not a regular registration"
	left           = "left the practice"
	sensitive      = "sensitive"
	dissent        = "dissent"
	inTransit      = "data in transit"
	awaitingFiling = "data awaiting filing"
	bothWarnings   = "data in transit and awaiting filing"
)

// standingCase is the case of a demo PATIENT row, "" for none.
func standingCase(r map[string]any) string {
	col := func(c string) string { return strings.TrimSpace(demotest.Str(r[c])) }
	switch {
	case col("REG_TYPE") != "R":
		return notRegular
	case col("DEREG_DATE") != "":
		return left
	case col("SENSITIVE_FLAG") == "Y":
		return sensitive
	case col("SHARING_DISSENT") == "Y":
		return dissent
	case col("GP2GP_STARTED") != "" && col("UNFILED_SINCE") != "":
		return bothWarnings
	case col("GP2GP_STARTED") != "":
		return inTransit
	case col("UNFILED_SINCE") != "":
		return awaitingFiling
	}
	return ""
}

// refusedFor is the status and Spine code a standing case's record is
// refused with (0 when it is served).
func refusedFor(c string) (int, string) {
	switch c {
	case notRegular, left, sensitive:
		return http.StatusNotFound, "PATIENT_NOT_FOUND"
	case dissent:
		return http.StatusForbidden, "NO_PATIENT_CONSENT"
	}
	return 0, ""
}

// ofCase is the demo patient of a standing case (otherwise served: a
// verified NHS number, alive).
func ofCase(t *testing.T, c string) demoPatient {
	t.Helper()
	for _, p := range patients(t) {
		if p.standing == c {
			if p.status != "01" || p.died != "" || !validNHS(p.nhs) {
				t.Fatalf("the patient of %q is not otherwise served: %+v", c, p)
			}
			return p
		}
	}
	t.Fatalf("the demo has no patient of %q", c)
	return demoPatient{}
}

// everyArea asks for every area.
func everyArea(nhs string) string {
	return params(nhs, allergies(true), `{"name":"includeMedication"}`, `{"name":"includeConsultations"}`, `{"name":"includeProblems"}`,
		`{"name":"includeImmunisations"}`, `{"name":"includeUncategorisedData"}`, `{"name":"includeInvestigations"}`,
		`{"name":"includeReferrals"}`, `{"name":"includeDiaryEntries"}`)
}

// A patient not registered here as a regular (GMS) patient, who has left,
// or whose record is flagged sensitive is not found; one who dissents
// from sharing is 403 NO_PATIENT_CONSENT (SPEC §6.3). Each refusal is
// audited, with no patient's record returned; the Care Connect bases
// serve the same patients as ever.
func TestPatientStanding(t *testing.T) {
	var buf demotest.Buffer
	e := demotest.SQLite(t, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID},
		Server: server.Options{Audit: audit.NewWriter(&buf)}})
	cases := []string{notRegular, left, sensitive, dissent}
	for _, c := range cases {
		t.Run(c, func(t *testing.T) {
			p := ofCase(t, c)
			status, spine := refusedFor(c)
			outcome(t, record(t, e, everyArea(p.nhs)), status, spine, p.nhs)
			for _, base := range []string{e.Base, e.R4} {
				if res := demotest.Get(t, base+"/Patient/"+p.id); res.Status != http.StatusOK {
					t.Errorf("%s/Patient/%s: status %d, want 200 (not GP Connect)", base, p.id, res.Status)
				}
			}
		})
	}
	var recs []audit.Record
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var r audit.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if r.SSPTraceID == trace {
			recs = append(recs, r)
		}
	}
	if len(recs) != len(cases) {
		t.Fatalf("%d GP Connect audit records, want %d: %s", len(recs), len(cases), buf.String())
	}
	for i, r := range recs {
		status, _ := refusedFor(cases[i])
		if r.Status != status || r.Outcome == "success" || len(r.Patients) != 0 || r.Practitioner == "" {
			t.Errorf("%s: the refusal's audit: %+v", cases[i], r)
		}
	}
}

// A record being transferred in by GP2GP, or with received items awaiting
// filing, is served with the warning on every query list: the code in
// the ListWarningCode extension, its text (the date filled in) in a note
// (SPEC §6.1). The consultations' structure lists carry none, and an
// ordinary patient's lists none.
func TestPatientWarnings(t *testing.T) {
	e := serve(t, nil)
	const (
		transitNote = "Patient record transfer from previous GP practice not yet complete; information recorded before %s may be missing."
		filingNote  = "Patient record contains some items in the GP practice workflow that have not been reviewed for inclusion in this message; information recorded before %s may be missing."
	)
	for _, tc := range []struct {
		c     string
		codes []string
		notes []string
	}{
		{inTransit, []string{"data-in-transit"}, []string{strings.Replace(transitNote, "%s", "03-Nov-2025", 1)}},
		{awaitingFiling, []string{"data-awaiting-filing"}, []string{strings.Replace(filingNote, "%s", "14-Oct-2025", 1)}},
		{bothWarnings, []string{"data-in-transit", "data-awaiting-filing"},
			[]string{strings.Replace(transitNote, "%s", "01-Sep-2025", 1), strings.Replace(filingNote, "%s", "02-Dec-2025", 1)}},
		{"", nil, nil},
	} {
		t.Run(tc.c, func(t *testing.T) {
			var p demoPatient
			if tc.c == "" {
				p = find(t, func(p demoPatient) bool { return true })
			} else {
				p = ofCase(t, tc.c)
			}
			b := okRecord(t, e, everyArea(p.nhs), "the record of "+p.nhs)
			lists := 0
			for _, r := range resources(t, b) {
				if r["resourceType"] != "List" {
					continue
				}
				var codes, notes []string
				exts, _ := r["extension"].([]any)
				for _, x := range exts {
					if at(x, "url") == "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1" {
						codes = append(codes, at(x, "valueCode").(string))
					}
				}
				ns, _ := r["note"].([]any)
				for _, n := range ns {
					if s, _ := at(n, "text").(string); strings.Contains(s, "may be missing") {
						notes = append(notes, s)
					}
				}
				if r["id"] != nil { // a consultation's structure
					if len(codes)+len(notes) > 0 {
						t.Errorf("consultation list %v carries warnings %v %v", r["id"], codes, notes)
					}
					continue
				}
				lists++
				if strings.Join(codes, "|") != strings.Join(tc.codes, "|") || strings.Join(notes, "|") != strings.Join(tc.notes, "|") {
					t.Errorf("list %v: warnings %v, notes %q; want %v, %q", at(r, "code", "coding", 0, "code"), codes, notes, tc.codes, tc.notes)
				}
			}
			if lists < 9 {
				t.Errorf("%d query lists, want one an area at least", lists)
			}
		})
	}
}

// The overlay's patient conditions are checked when the service starts:
// a column the Patient mapping's table lacks stops it, with the mapping's
// error.
func TestPatientStandingChecked(t *testing.T) {
	e := serve(t, nil)
	o, err := gpconnect.ParseOverlay("o.yaml", []byte("patient:\n  dissent: { column: NO_SUCH_COLUMN, equals: \"Y\" }\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = gpconnect.New(e.Eng, gpconnect.Options{ASID: authtest.GPCProviderASID, Overlay: o})
	if err == nil || !strings.Contains(err.Error(), "patient") || !strings.Contains(err.Error(), "NO_SUCH_COLUMN") {
		t.Errorf("a condition on a column PATIENT lacks: %v", err)
	}
	o, err = gpconnect.ParseOverlay("o.yaml", []byte("patient:\n  dissent: { column: SHARING_DISSENT, equals: \"Y\" }\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gpconnect.New(e.Eng, gpconnect.Options{ASID: authtest.GPCProviderASID, Overlay: o}); err != nil {
		t.Errorf("a condition on a column of PATIENT: %v", err)
	}
}

// Every backend (PostgreSQL, MariaDB, … as configured) answers each
// standing case as SQLite does: the refusals with their status and Spine
// code, the warned records byte for byte.
func TestPatientStandingBackends(t *testing.T) {
	sqlite := serve(t, nil)
	type want struct {
		body string
		res  demotest.Response
	}
	var wants []want
	for _, c := range []string{notRegular, left, sensitive, dissent, inTransit, awaitingFiling, bothWarnings} {
		b := everyArea(ofCase(t, c).nhs)
		wants = append(wants, want{b, record(t, sqlite, b)})
	}
	demotest.Each(t, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}}, func(t *testing.T, e *demotest.Env) {
		for i, w := range wants {
			if got := record(t, e, w.body); got.Status != w.res.Status || string(got.Body) != string(w.res.Body) {
				t.Errorf("case %d: %s answers %d, SQLite %d\n  %s: %s\nsqlite: %s", i, e.Name, got.Status, w.res.Status, e.Name,
					demotest.Truncate(string(got.Body), 800), demotest.Truncate(string(w.res.Body), 800))
			}
		}
	})
}

// GP Connect enabled at some practices only (SPEC §6.3, §7): the record
// of a patient registered at another practice is 403 ACCESS DENIED (also
// of one who dissents: the practice's answer comes first), and audited as
// a refusal; one registered at a practice named is served.
func TestPracticeNotEnabled(t *testing.T) {
	dissenter := ofCase(t, dissent)
	at := find(t, func(p demoPatient) bool { return p.practice != "" && p.practice != dissenter.practice })
	other := find(t, func(p demoPatient) bool { return p.practice != "" && p.practice != at.practice })
	var buf demotest.Buffer
	e := demotest.SQLite(t, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID, Practices: []string{at.practice}},
		Server: server.Options{Audit: audit.NewWriter(&buf)}})
	if res := record(t, e, params(at.nhs, allergies(true))); res.Status != http.StatusOK {
		t.Errorf("a patient of %s, where GP Connect is enabled: %d %s", at.practice, res.Status, demotest.Truncate(string(res.Body), 400))
	}
	res := record(t, e, params(other.nhs, allergies(true)))
	outcome(t, res, http.StatusForbidden, "ACCESS DENIED", "not enabled at the patient's practice")
	if strings.Contains(string(res.Body), other.practice) {
		t.Errorf("the refusal names the practice: %s", res.Body)
	}
	// Before anything of the patient's standing: a practice where GP
	// Connect is off does not learn that its patient dissents.
	outcome(t, record(t, e, params(dissenter.nhs, allergies(true))), http.StatusForbidden, "ACCESS DENIED", "not enabled at the patient's practice")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	var r audit.Record
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil || r.Status != http.StatusForbidden || r.Outcome == "success" || len(r.Patients) != 0 || r.SSPTraceID != trace {
		t.Errorf("the refusal's audit: %+v (%v)", r, err)
	}
}
