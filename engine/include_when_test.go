package engine_test

import (
	"context"
	"net/url"
	"slices"
	"testing"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
)

// _include follows the reference a resource shows: one shown only when
// its condition holds brings nothing for a row where it does not, though
// the key column holds a value (there, the key of another type).
func TestIncludeFollowsTheReferenceShown(t *testing.T) {
	pat := yamlFile("pat.yaml", "resource: Patient\nfrom: { table: pat, key: id }\nelement: { active: true }\n")
	obs := yamlFile("obs.yaml", `resource: Observation
from: { table: obs, key: id }
element:
  status: final
  code: { text: { column: txt } }
  subject:
    reference: { resource: Patient, key: subj, when: { column: kind, equals: P } }
search:
  subject: {}
`)
	eng := newEngine(t, sqliteDB(t), `CREATE TABLE pat (id INTEGER PRIMARY KEY);
CREATE TABLE obs (id INTEGER PRIMARY KEY, kind TEXT, subj INTEGER, txt TEXT);
INSERT INTO pat VALUES (7), (8);
INSERT INTO obs VALUES (1, 'P', 8, 'patient 8''s'), (2, 'G', 7, 'group 7''s');`, engine.Options{}, pat, obs)
	for id, want := range map[string][]string{"1": {"Observation/1", "Patient/8"}, "2": {"Observation/2"}} {
		b, err := eng.Search(context.Background(), engine.SearchRequest{Type: "Observation", Params: url.Values{"_id": {id}, "_include": {"Observation:subject"}}, Base: "http://x"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		entries, _ := b.Get("entry").(fhir.Array)
		for _, e := range entries {
			r := e.(*fhir.Object).Get("resource").(*fhir.Object)
			got = append(got, r.GetString("resourceType")+"/"+r.GetString("id"))
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("Observation/%s with its subject: %v, want %v", id, got, want)
		}
	}
}
