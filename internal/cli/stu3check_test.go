package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
)

// A resource of a type without a profile is held to STU3: the elements
// it requires, at every level, and no element STU3 does not define.
func TestSTU3Problems(t *testing.T) {
	for _, c := range []struct {
		res  map[string]any
		want string
	}{
		{map[string]any{"resourceType": "FamilyMemberHistory", "status": "completed", "patient": map[string]any{"reference": "Patient/1"}, "relationship": map[string]any{"text": "mother"}}, ""},
		{map[string]any{"resourceType": "FamilyMemberHistory", "_status": map[string]any{"extension": []any{}}, "patient": map[string]any{"reference": "Patient/1"}, "relationship": map[string]any{"text": "mother"}}, ""},
		{map[string]any{"resourceType": "FamilyMemberHistory", "status": "completed", "patient": map[string]any{"reference": "Patient/1"}},
			"FamilyMemberHistory.relationship: STU3 requires relationship (1..1), and it is absent"},
		{map[string]any{"resourceType": "FamilyMemberHistory", "status": "completed", "patient": map[string]any{"reference": "Patient/1"}, "relationship": map[string]any{"text": "mother"},
			"condition": []any{map[string]any{"onsetAge": map[string]any{"value": 3}}}},
			"FamilyMemberHistory.condition[0].code: STU3 requires code (1..1), and it is absent"},
		{map[string]any{"resourceType": "ProcedureRequest", "status": "active", "intent": "order", "code": map[string]any{"text": "x"}, "subject": map[string]any{"reference": "Patient/1"}, "relative": "x"},
			`ProcedureRequest.relative: ProcedureRequest has no element "relative" in STU3`},
		{map[string]any{"resourceType": "ProcedureRequest", "status": "active", "intent": "order", "code": map[string]any{"text": "x"}, "subject": map[string]any{"reference": "Patient/1"},
			"occurrenceDateTime": "2020", "requester": map[string]any{"onBehalfOf": map[string]any{"reference": "Organization/1"}}},
			"ProcedureRequest.requester.agent: STU3 requires agent (1..1), and it is absent"},
		{map[string]any{"resourceType": "Nope"}, `Nope: "Nope" is not an STU3 resource type`},
	} {
		var got []string
		for _, p := range stu3Problems(c.res) {
			got = append(got, p.String())
		}
		if strings.Join(got, "; ") != c.want {
			t.Errorf("%v: %q, want %q", c.res, got, c.want)
		}
	}
}

// lint holds a mapping without a profile to STU3 against the database: a
// relationship its concept map does not translate leaves out an element
// STU3 requires, and lint fails naming the mapping's line.
func TestLintHoldsUnprofiledMappingsToSTU3(t *testing.T) {
	example := "../../docs/examples/familyhistory"
	script, err := os.ReadFile(filepath.Join(example, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	dsn := "file:" + filepath.Join(t.TempDir(), "fh.db")
	db, err := sqlite.Open(context.Background(), dsn, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.(adapters.Loader).Exec(context.Background(), string(script)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	dir := filepath.Join(example, "mappings")
	code, out, errs := run(t, "lint", "-mappings", dir, "-adapter", "sqlite", "-dsn", dsn)
	if code != 0 || !strings.Contains(out, "familymemberhistory.yaml:5:11: note: FamilyMemberHistory names no profile") ||
		!strings.Contains(out, "13 sample resource(s) conform to their profiles (10 of them, of mappings that name no Care Connect profile, to STU3)") {
		t.Errorf("lint: %d\n%s%s", code, out, errs)
	}
	edited := t.TempDir()
	for _, f := range []string{"patient.yaml", "familymemberhistory.yaml", "procedurerequest.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if f == "familymemberhistory.yaml" {
			b = []byte(strings.Replace(string(b), "      BROTHER: { code: BRO, display: brother }\n", "", 1))
		}
		os.WriteFile(filepath.Join(edited, f), b, 0o644)
	}
	code, out, errs = run(t, "lint", "-mappings", edited, "-adapter", "sqlite", "-dsn", dsn)
	if want := "familymemberhistory.yaml:20:17: FamilyMemberHistory/3: FamilyMemberHistory.relationship: STU3 requires relationship (1..1), and it is absent"; code != 1 || !strings.Contains(errs, want) ||
		!strings.Contains(errs, "do not conform to their Care Connect profile (or, naming none, to STU3)") {
		t.Errorf("lint of a mapping that leaves relationship out: %d %s%s\nwant %s", code, out, errs, want)
	}
}
