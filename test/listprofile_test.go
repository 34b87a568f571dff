package test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/internal/cli"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/mapping"
)

// A type outside the demo's under a profile: a List claiming Care
// Connect's List profile, beside the family-history example, on each
// backend. lint (which renders sample rows and runs the profile checker)
// passes; each List is valid STU3, passes the profile checker, claims the
// profile, and holds exactly the FamilyMemberHistory resources the same
// facade finds by patient; searches by its STU3 parameters find it.
func TestProfiledTypeOutsideTheDemo(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []string{filepath.Join(familyHistory, "mappings", "patient.yaml"), filepath.Join(familyHistory, "mappings", "familymemberhistory.yaml"), "testdata/listprofile/list.yaml"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	set, err := mapping.LoadDir(dir, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join(familyHistory, "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	const listProfile = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-List-1"
	forEachScript(t, string(script), func(t *testing.T, s scriptDB) {
		var out, errb bytes.Buffer
		if code := cli.Run(context.Background(), []string{"lint", "-mappings", dir, "-adapter", s.adapter, "-dsn", s.dsn}, &out, &errb); code != 0 ||
			!strings.Contains(out.String(), "conform to their profiles") {
			t.Errorf("lint: exit %d\n%s%s", code, out.String(), errb.String())
		}
		e := envOf(demotest.Serve(t, s.db, set, demotest.Config{Engine: engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret")}}))
		lists := walk(t, e.base+"/List?_count=5")
		patients := walk(t, e.base+"/Patient?_count=5")
		if len(lists) == 0 || len(lists) != len(patients) {
			t.Fatalf("%d Lists for %d patients", len(lists), len(patients))
		}
		withEntries := 0
		for _, l := range lists {
			id := l["id"].(string)
			validate(t, "List/"+id, get(t, e.base+"/List/"+id).body)
			for _, p := range profile.Builtin().Check(l) {
				t.Errorf("List/%s: %s", id, p)
			}
			if prof, _ := l["meta"].(map[string]any)["profile"].([]any); len(prof) != 1 || prof[0] != listProfile {
				t.Errorf("List/%s claims %v", id, prof)
			}
			var items []string
			entries, _ := l["entry"].([]any)
			for _, en := range entries {
				items = append(items, en.(map[string]any)["item"].(map[string]any)["reference"].(string))
			}
			var want []string
			for _, f := range walk(t, e.base+"/FamilyMemberHistory?patient="+id+"&_count=5") {
				want = append(want, "FamilyMemberHistory/"+f["id"].(string))
			}
			slices.Sort(items)
			slices.Sort(want)
			if !slices.Equal(items, want) {
				t.Errorf("List/%s holds %v; the patient's FamilyMemberHistory resources are %v", id, items, want)
			}
			if len(items) > 0 {
				withEntries++
			}
			for _, q := range []string{"patient=" + id, "subject=Patient/" + id, "subject:Patient=" + id} {
				found := walk(t, e.base+"/List?"+q)
				if len(found) != 1 || found[0]["id"] != id {
					t.Errorf("List?%s found %d", q, len(found))
				}
			}
		}
		if withEntries == 0 {
			t.Error("no List has an entry: the example's rows hold relatives")
		}
	})
}
