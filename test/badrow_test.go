package test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// A bad value in a source row never breaks a read or a search: the element
// is left out and a warning names the row and the mapping's file:line:col.
func TestBadSourceRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := scratchDemo(t, 20)
	for _, q := range []string{
		"UPDATE PATIENT SET DATE_OF_BIRTH = '1999XX01', ETHNIC_ORIGIN = 'XX', NHS_NUMBER = '123 456 7890' WHERE PATIENT_ID = 5",
		"UPDATE PATIENT_ADDRESS SET POSTCODE = 'NOT A POSTCODE' WHERE PATIENT_ID = 5",
	} {
		if _, err := db.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var logs logBuffer
	e := serveDB(t, db, engine.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r := get(t, e.base+"/Patient/5")
	if r.status != 200 {
		t.Fatalf("read: %d %s", r.status, r.body)
	}
	validate(t, "Patient/5", r.body)
	p := r.json(t)
	if _, ok := p["birthDate"]; ok {
		t.Error("an unparseable birth date was served")
	}
	if _, ok := p["extension"]; ok {
		t.Error("an unmapped ethnic code left an extension behind")
	}
	for _, id := range p["identifier"].([]any) {
		if id.(map[string]any)["system"] == "https://fhir.nhs.uk/Id/nhs-number" {
			t.Error("an invalid NHS number was served")
		}
	}
	if p["name"] == nil || p["gender"] == nil {
		t.Error("the rest of the resource is missing")
	}
	for _, want := range []string{
		`id=5 at=mappingsets/demo/patient.yaml:57:14 path=Patient.birthDate problem="transform date: \"1999XX01\" does not match the date format yyyyMMdd"`,
		`path=Patient.extension.valueCodeableConcept problem="code \"XX\" has no entry in concept map \"ethnic-category\""`,
		`path=Patient.identifier.value problem="transform nhs-number: not a valid NHS number`,
		`path=Patient.address.postalCode problem="transform postcode: \"NOT A POSTCODE\" is not a UK postcode"`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s\n%s", want, logs.String())
		}
	}
	// A search over the bad row still answers, with every patient.
	b := get(t, e.base+"/Patient?_count=100")
	if b.status != 200 || len(entries(t, b.json(t))) != 20 {
		t.Errorf("search with a bad row: %d", b.status)
	}
	validate(t, "search", b.body)
	// The same problem is logged once, then with its count at the 10th,
	// 100th…, not on every render.
	for i := 0; i < 12; i++ {
		get(t, e.base+"/Patient/5")
	}
	lines := strings.Count(logs.String(), `path=Patient.birthDate problem=`)
	if lines != 2 || !strings.Contains(logs.String(), "times=10") {
		t.Errorf("a problem rendered 14 times is logged %d times:\n%s", lines, logs.String())
	}
}

// Under a concept map's "error" policy, an unmapped code fails the read with
// an OperationOutcome naming the code and the map; a search serves an
// outcome entry in its place and every other match.
func TestUnmappedCodeUnderErrorPolicy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := scratchDemo(t, 60)
	if _, err := db.DB().ExecContext(ctx, "UPDATE ALLERGY SET STATUS = 'Activ' WHERE ALLERGY_ID = 1"); err != nil {
		t.Fatal(err)
	}
	// The demo mappings, with the allergy status map made strict.
	set := demotest.EditedDemoSet(t, "clinical-concepts.yaml", "  allergy-status:\n    map:", "  allergy-status:\n    unmapped: error\n    map:")
	srv := demotest.Serve(t, db, set, demotest.Config{}).Srv

	r := get(t, srv.URL+"/fhir/AllergyIntolerance/1")
	if r.status != 500 || !strings.Contains(issueText(t, r), `code "Activ" has no entry in concept map "allergy-status"`) {
		t.Errorf("read: %d %s", r.status, r.body)
	}
	validate(t, "OperationOutcome", r.body)
	b := get(t, srv.URL+"/fhir/AllergyIntolerance?_count=100")
	if b.status != 200 {
		t.Fatalf("search: %d", b.status)
	}
	bundle := b.json(t)
	outcomes, matches := 0, 0
	for _, e := range bundle["entry"].([]any) {
		em := e.(map[string]any)
		switch em["search"].(map[string]any)["mode"] {
		case "outcome":
			outcomes++
		case "match":
			matches++
		}
	}
	if outcomes != 1 || matches != len(demoRowsOf(t, 60, "ALLERGY"))-1 {
		t.Errorf("search: %d outcome and %d match entries", outcomes, matches)
	}
	// Included, the allergy is an outcome entry too, not left out unsaid.
	var pid int64
	if err := db.DB().GetContext(ctx, &pid, "SELECT PATIENT_ID FROM ALLERGY WHERE ALLERGY_ID = 1"); err != nil {
		t.Fatal(err)
	}
	inc := get(t, fmt.Sprintf("%s/fhir/Patient?_id=%d&_revinclude=AllergyIntolerance:patient", srv.URL, pid))
	if inc.status != 200 || !strings.Contains(string(inc.body), `"mode":"outcome"`) || !strings.Contains(string(inc.body), "AllergyIntolerance/1 cannot be served") {
		t.Errorf("_revinclude of the allergy: %d %s", inc.status, truncate(string(inc.body), 600))
	}
	validate(t, "Bundle", inc.body)
}

func demoRowsOf(t *testing.T, patients int, table string) [][]any {
	t.Helper()
	var out [][]any
	if err := demo.Generate(demo.Options{Patients: patients, Seed: 1}, table, func(row []any) error {
		out = append(out, append([]any(nil), row...))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// An NHS number held by two patients is a bad request for the get-record call,
// not a guess.
func TestEverythingByDuplicatedNHSNumber(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := scratchDemo(t, 20)
	var nhs string
	if err := db.DB().QueryRowContext(ctx, "SELECT REPLACE(NHS_NUMBER, ' ', '') FROM PATIENT WHERE NHS_NUMBER IS NOT NULL ORDER BY PATIENT_ID LIMIT 1").Scan(&nhs); err != nil {
		t.Fatal(err)
	}
	if _, err := db.DB().ExecContext(ctx, "UPDATE PATIENT SET NHS_NUMBER = ? WHERE PATIENT_ID = 20", nhs); err != nil {
		t.Fatal(err)
	}
	e := serveDB(t, db, engine.Options{Logger: demotest.Silent()})
	r := get(t, e.base+"/Patient/$everything?identifier=https://fhir.nhs.uk/Id/nhs-number|"+nhs)
	if r.status != 400 || !strings.Contains(issueText(t, r), "more than one patient") || !strings.Contains(string(r.body), "MULTIPLE_MATCHES") {
		t.Errorf("duplicated NHS number: %d %s", r.status, r.body)
	}
	validate(t, "OperationOutcome", r.body)
}

// scratchDemo loads a small demo EPR into a SQLite file of the test's own,
// for tests that change its rows.
func scratchDemo(t *testing.T, patients int) adapters.Adapter {
	t.Helper()
	db := demotest.EmptySQLite(t)
	if err := demo.Load(context.Background(), db.(adapters.Loader), demo.Options{Patients: patients, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	return db
}
