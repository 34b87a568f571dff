package mapping

import (
	"strings"
	"testing"
	"time"
)

// A reference chosen by the row: "first" of references, each with its
// condition, renders the first whose condition holds and whose key is not
// NULL, with that one's type (and id prefix, and R4 type); none, and the
// reference is left out. Alternatives that are not all references, a
// reference to a type nothing maps or the element does not take (any
// reference), and a search parameter following such a reference are
// refused.
func TestReferenceChosenByTheRow(t *testing.T) {
	target := func(name, typ, element string) File {
		return File{Name: name, Data: []byte("resource: " + typ + "\n" + `from: { table: ` + strings.ToUpper(typ) + `, key: ID }
element: { ` + element + ` }
`)}
	}
	patient := File{Name: "patient.yaml", Data: []byte("resource: Patient\nfrom: { table: PAT, key: ID }\nelement: { active: true }\n")}
	links := func(ref, search string) File {
		return File{Name: "flag.yaml", Data: []byte(`resource: Flag
from: { table: LINK, key: ID }
element:
  status: active
  code: { text: x }
  subject:
    reference: { resource: Patient, key: PAT }
  author:
    reference: ` + ref + `
` + search)}
	}
	choice := `
      first:
        - { resource: Practitioner, key: WHO, when: { column: KIND, equals: DR } }
        - { resource: Organization, key: WHO, when: { column: KIND, equals: ORG } }
        - { resource: Device, key: WHO }`
	location := File{Name: "loc.yaml", Data: []byte("resource: Location\nfrom: { table: LOC, key: ID }\nelement: { name: x }\n")}
	files := []File{patient, location, {Name: "pr.yaml", Data: []byte("resource: Practitioner\nid-prefix: staff-member.of-the-practice.\nfrom: { table: PRACTITIONER, key: ID }\nelement: { active: true }\n")}, target("org.yaml", "Organization", "active: true"), target("dev.yaml", "Device", "status: active")}
	set, err := Load(append(files, links(choice, "")), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	m := set.Lookup("Flag")
	for _, c := range []struct {
		kind, who any
		want      string
	}{
		{"DR", "7", `"author":{"reference":"Practitioner/staff-member.of-the-practice.7"}`},
		{"ORG", "A81001", `"author":{"reference":"Organization/A81001"}`},
		{"X", "9", `"author":{"reference":"Device/9"}`},
		{nil, "9", `"author":{"reference":"Device/9"}`},
		{"DR", nil, ``},
	} {
		got := renderJSONIn(t, m, STU3, map[string]any{"ID": "1", "PAT": "2", "KIND": c.kind, "WHO": c.who})
		if c.want != "" && !strings.Contains(got, c.want) || c.want == "" && strings.Contains(got, `"author"`) {
			t.Errorf("KIND %v, WHO %v: %s, want %s", c.kind, c.who, got, c.want)
		}
	}
	// Once an alternative applies (its condition holds, its key has no
	// NULL), it is the one: a key that makes no id (too long here, with
	// the prefix) leaves the reference out, with a problem, and does not
	// fall through to the Device.
	long := strings.Repeat("7", 60)
	raw, problems := m.RenderJSONIn(STU3, row(m, map[string]any{"ID": "1", "PAT": "2", "KIND": "DR", "WHO": long}), nil)
	if strings.Contains(string(raw.JSON), `"author"`) || len(problems) == 0 {
		t.Errorf("a key too long for the Practitioner: %s, problems %v; want no author, and a problem", raw.JSON, problems)
	}
	// On R4, through both writers.
	if got := renderR4(t, m, map[string]any{"ID": "1", "PAT": "2", "KIND": "ORG", "WHO": "A81001"}); !strings.Contains(got, `"author":{"reference":"Organization/A81001"}`) {
		t.Errorf("R4: %s", got)
	}
	for _, c := range []struct {
		name, ref, search, want string
	}{
		{"a value among references", `
      first:
        - { resource: Practitioner, key: WHO }
        - { column: WHO }`, "", `"first" of a reference takes references alone`},
		{"a type nothing maps", `
      first:
        - { resource: Practitioner, key: WHO, when: { column: KIND, equals: DR } }
        - { resource: RelatedPerson, key: WHO }`, "", "references RelatedPerson, which no mapping serves"},
		{"searched", choice, "search:\n  author: {}\n", "a reference chosen by the row"},
		{"a type the element does not take", `
      first:
        - { resource: Practitioner, key: WHO, when: { column: KIND, equals: DR } }
        - { resource: Location, key: WHO }`, "", "Flag.author cannot point to Location (STU3 takes"},
		{"one reference to a type the element does not take", `{ resource: Location, key: WHO }`, "", "Flag.author cannot point to Location (STU3 takes"},
		{"a transform on an alternative", `
      first:
        - { resource: Practitioner, key: WHO, transform: trim, when: { column: KIND, equals: DR } }
        - { resource: Device, key: WHO }`, "", `a reference inside "first" takes "resource", "key", "id-prefix" and "when"`},
		{"first in first", `
      first:
        - { resource: Practitioner, key: WHO }
        - first: [ { resource: Device, key: WHO }, { resource: Organization, key: WHO } ]`, "", `"first" cannot hold another "first"`},
		{"a transform beside first", `
      transform: trim
      first:
        - { resource: Practitioner, key: WHO }
        - { resource: Device, key: WHO }`, "", "a reference chosen by the row takes no"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(append(files, links(c.ref, c.search)), time.UTC)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error saying %q", err, c.want)
			}
		})
	}
}
