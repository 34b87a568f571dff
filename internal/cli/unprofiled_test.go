package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/fhir/profile"
)

// A resource of a type without a profile is held to its STU3 base
// definition: the elements it requires, at every level, and no element
// STU3 does not define.
func TestUnprofiledResourcesHeldToSTU3(t *testing.T) {
	for _, c := range []struct {
		res  map[string]any
		want string
	}{
		{map[string]any{"resourceType": "FamilyMemberHistory", "status": "completed", "patient": map[string]any{"reference": "Patient/1"}, "relationship": map[string]any{"text": "mother"}}, ""},
		{map[string]any{"resourceType": "FamilyMemberHistory", "_status": map[string]any{"extension": []any{}}, "patient": map[string]any{"reference": "Patient/1"}, "relationship": map[string]any{"text": "mother"}}, ""},
		{map[string]any{"resourceType": "FamilyMemberHistory", "status": "completed", "patient": map[string]any{"reference": "Patient/1"}},
			"FamilyMemberHistory.relationship: is required by the profile (min 1)"},
		{map[string]any{"resourceType": "FamilyMemberHistory", "status": "completed", "patient": map[string]any{"reference": "Patient/1"}, "relationship": map[string]any{"text": "mother"},
			"condition": []any{map[string]any{"onsetAge": map[string]any{"value": 3}}}},
			"FamilyMemberHistory.condition.code: is required by the profile (min 1)"},
		{map[string]any{"resourceType": "ProcedureRequest", "status": "active", "intent": "order", "code": map[string]any{"text": "x"}, "subject": map[string]any{"reference": "Patient/1"}, "relative": "x"},
			"ProcedureRequest.relative: is not an element the definition has"},
		{map[string]any{"resourceType": "ProcedureRequest", "status": "active", "intent": "order", "code": map[string]any{"text": "x"}, "subject": map[string]any{"reference": "Patient/1"},
			"occurrenceDateTime": "2020", "requester": map[string]any{"onBehalfOf": map[string]any{"reference": "Organization/1"}}},
			"ProcedureRequest.requester.agent: is required by the profile (min 1)"},
		{map[string]any{"resourceType": "Nope"}, `resourceType: "Nope" is not an STU3 resource type`},
	} {
		var got []string
		for _, p := range profile.Builtin().Check(c.res) {
			got = append(got, p.String())
		}
		if g := strings.Join(got, "; "); c.want == "" && g != "" || !strings.Contains(g, c.want) {
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
	if code != 0 || !strings.Contains(out, "13 sample resource(s) conform to their profiles") {
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
	if want := "familymemberhistory.yaml:20:17: FamilyMemberHistory/3: FamilyMemberHistory.relationship: is required by the profile (min 1)"; code != 1 || !strings.Contains(errs, want) ||
		!strings.Contains(errs, "do not conform to their profiles") {
		t.Errorf("lint of a mapping that leaves relationship out: %d %s%s\nwant %s", code, out, errs, want)
	}
}
