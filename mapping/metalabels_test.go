package mapping

import (
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/fhir"
)

// A mapping gives a resource's security labels (meta.security) and tags,
// from the row: they follow the facade's lastUpdated and profile in meta,
// on STU3 and R4, through both writers; a mapping that gives another
// element of meta is refused.
func TestMetaLabelsFromTheRow(t *testing.T) {
	patient := File{Name: "patient.yaml", Data: []byte("resource: Patient\nfrom: { table: PAT, key: ID }\nelement: { active: true }\n")}
	cond := func(meta string) File {
		return File{Name: "condition.yaml", Data: []byte(`resource: Condition
from: { table: PROBLEM, key: ID, updated: CHANGED }
element:
  meta:` + meta + `
  code: { text: { column: TEXT } }
  subject: { reference: { resource: Patient, key: PAT } }
`)}
	}
	labels := `
    security:
      - system: http://hl7.org/fhir/v3/Confidentiality
        code: R
        display: restricted
        when: { column: CONFIDENTIAL, equals: "Y" }
    tag:
      - { system: urn:example:source, code: { column: SOURCE } }`
	set, err := Load([]File{patient, cond(labels)}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	m := set.Lookup("Condition")
	restricted := `"security":[{"system":"http://hl7.org/fhir/v3/Confidentiality","code":"R","display":"restricted"}]`
	for _, c := range []struct {
		confidential, source any
		want                 string
	}{
		{"Y", "EPR", `"meta":{"lastUpdated":"2024-05-01T10:00:00Z",` + restricted + `,"tag":[{"system":"urn:example:source","code":"EPR"}]}`},
		{"N", nil, `"meta":{"lastUpdated":"2024-05-01T10:00:00Z"},"code"`},
	} {
		cols := map[string]any{"ID": "1", "PAT": "2", "TEXT": "Asthma", "CHANGED": time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), "CONFIDENTIAL": c.confidential, "SOURCE": c.source}
		got := renderJSONIn(t, m, STU3, cols)
		if !strings.Contains(got, c.want) {
			t.Errorf("CONFIDENTIAL %v: %s\nwant %s", c.confidential, got, c.want)
		}
		tree, _ := m.Render(row(m, cols))
		if j := string(fhir.AppendJSON(nil, tree)); j != got {
			t.Errorf("the JSON writer and the tree differ:\n json: %s\n tree: %s", got, j)
		}
		if x := string(fhir.AppendXML(nil, tree)); c.confidential == "Y" && !strings.Contains(x, `<meta><lastUpdated value="2024-05-01T10:00:00Z"/><security><system value="http://hl7.org/fhir/v3/Confidentiality"/><code value="R"/>`) {
			t.Errorf("XML: %s", x)
		}
	}
	if got := renderR4(t, m, map[string]any{"ID": "1", "PAT": "2", "TEXT": "Asthma", "CONFIDENTIAL": "Y"}); !strings.Contains(got, `"meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R","display":"restricted"}]},`) {
		t.Errorf("R4: %s", got)
	}
	for _, c := range []struct{ name, meta, want string }{
		{"a profile", "\n    profile: [ x ]", "meta.profile is set by the facade"},
		{"lastUpdated", "\n    lastUpdated: { column: CHANGED }", "meta.lastUpdated is set by the facade"},
		{"not a mapping", " R", "expected meta's security or tag as a mapping"},
		{"a label that is not a Coding", "\n    security: [ { value: R } ]", `Coding has no element "value"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load([]File{patient, cond(c.meta)}, time.UTC)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error saying %q", err, c.want)
			}
		})
	}
}
