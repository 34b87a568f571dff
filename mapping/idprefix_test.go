package mapping

import (
	"strings"
	"testing"
)

// Two mappings of one type load only with an id-prefix each, neither
// starting the other's; a reference to the type names its mapping by the
// prefix (and renders it), an unnamed or unknown one is an error, and so
// is a reference search parameter to the type. ReferralRequest and
// ProcedureRequest, both ServiceRequests on R4, need prefixes too.
func TestIDPrefixes(t *testing.T) {
	request := func(name, prefix, table string) File {
		p := ""
		if prefix != "" {
			p = "id-prefix: " + prefix + "\n"
		}
		return File{Name: name, Data: []byte("resource: ProcedureRequest\n" + p + `from: { table: ` + table + `, key: ID }
element:
  status: active
  intent: order
  code: { text: { column: NAME } }
  subject: { reference: { resource: Patient, key: PAT } }
`)}
	}
	report := func(ref string) File {
		return File{Name: "report.yaml", Data: []byte(`resource: DiagnosticReport
from: { table: R, key: ID }
element: { status: final, code: { text: { column: NAME } }, basedOn: [ { reference: ` + ref + ` } ] }
`)}
	}
	for _, c := range []struct {
		name  string
		files []File
		want  string // "" loads
	}{
		{"no prefixes", []File{request("a.yaml", "", "A"), request("b.yaml", "", "B")}, "are both served as ProcedureRequest on STU3"},
		{"one prefix", []File{request("a.yaml", "diary-", "A"), request("b.yaml", "", "B")}, "each needs an id-prefix"},
		{"a prefix starting the other", []File{request("a.yaml", "d", "A"), request("b.yaml", "diary-", "B")}, "neither may start the other's"},
		{"a bad prefix", []File{request("a.yaml", "-x", "A")}, "is not an id prefix"},
		{"prefixes", []File{request("a.yaml", "diary-", "A"), request("b.yaml", "test-", "B")}, ""},
		{"a reference naming its mapping", []File{request("a.yaml", "diary-", "A"), request("b.yaml", "test-", "B"), report("{ resource: ProcedureRequest, id-prefix: test-, key: ID }")}, ""},
		{"a reference naming none", []File{request("a.yaml", "diary-", "A"), request("b.yaml", "test-", "B"), report("{ resource: ProcedureRequest, key: ID }")}, "name the one referenced with its id-prefix"},
		{"a reference naming another", []File{request("a.yaml", "diary-", "A"), request("b.yaml", "test-", "B"), report("{ resource: ProcedureRequest, id-prefix: lab-, key: ID }")}, `with id prefixes "diary-", "test-"`},
		{"R4's one type of two", []File{request("a.yaml", "", "A"), {Name: "ref.yaml", Data: []byte(`resource: ReferralRequest
from: { table: F, key: ID }
element:
  status: active
  intent: order
  subject: { reference: { resource: Patient, key: PAT } }
`)}}, "are both served as ServiceRequest on R4"},
	} {
		t.Run(c.name, func(t *testing.T) {
			set, err := loadR4(t, c.files...)
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("got %v, want an error saying %q", err, c.want)
			case c.want != "":
				return
			}
			if ms := set.LookupIn(STU3, "ProcedureRequest"); len(ms) != 2 || ms[0].IDPrefix != "diary-" {
				t.Fatalf("ProcedureRequest's mappings %v", ms)
			}
			if len(set.LookupIn(R4, "ServiceRequest")) != 2 {
				t.Errorf("ServiceRequest on R4: %d mappings", len(set.LookupIn(R4, "ServiceRequest")))
			}
			d := set.Lookup("DiagnosticReport")
			if d == nil {
				return
			}
			for _, v := range []Version{STU3, R4} {
				got := renderJSONIn(t, d, v, map[string]any{"ID": "7", "NAME": "x"})
				want := map[Version]string{STU3: `"basedOn":[{"reference":"ProcedureRequest/test-7"}]`, R4: `"basedOn":[{"reference":"ServiceRequest/test-7"}]`}[v]
				if !strings.Contains(got, want) {
					t.Errorf("%s: %s, want %s in it", v, got, want)
				}
			}
			if id, _ := set.LookupIn(STU3, "ProcedureRequest")[1].ID([]any{"12"}); id != "test-12" {
				t.Errorf("id %q", id)
			}
			if k, err := set.LookupIn(STU3, "ProcedureRequest")[1].KeyOf("test-12"); err != nil || k[0] != "12" {
				t.Errorf("KeyOf: %v %v", k, err)
			}
			if _, err := set.LookupIn(STU3, "ProcedureRequest")[1].KeyOf("diary-12"); err == nil {
				t.Error("KeyOf took another mapping's id")
			}
		})
	}
	// A reference search parameter to a type of several mappings.
	_, err := loadR4(t, request("a.yaml", "diary-", "A"), request("b.yaml", "test-", "B"), File{Name: "report.yaml", Data: []byte(`resource: DiagnosticReport
from: { table: R, key: ID }
element: { status: final, code: { text: { column: NAME } } }
search:
  based-on: { type: reference, column: REQ, target: [ProcedureRequest] }
`)})
	if err == nil || !strings.Contains(err.Error(), "ProcedureRequest is mapped 2 times") {
		t.Errorf("a reference parameter to a type of two mappings: %v", err)
	}
}

// renderJSONIn renders a row of m as JSON in a release, failing on a
// problem.
func renderJSONIn(t *testing.T, m *Mapping, v Version, cols map[string]any) string {
	t.Helper()
	raw, problems := m.RenderJSONIn(v, row(m, cols), nil)
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	return string(raw.JSON)
}

// An Encounter's incoming referral is R4's basedOn, pointing to the
// referral as a ServiceRequest, with its id prefix.
func TestR4IncomingReferral(t *testing.T) {
	set, err := loadR4(t, File{Name: "referral.yaml", Data: []byte(`resource: ReferralRequest
id-prefix: referral-
from: { table: F, key: ID }
element: { status: active, intent: order, subject: { reference: { resource: Patient, key: PAT } } }
`)}, File{Name: "encounter.yaml", Data: []byte(`resource: Encounter
from: { table: E, key: ID }
element:
  status: finished
  class: { system: http://hl7.org/fhir/v3/ActCode, code: AMB }
  incomingReferral:
    - reference: { resource: ReferralRequest, key: REF }
`)})
	if err != nil {
		t.Fatal(err)
	}
	m := set.Lookup("Encounter")
	if !m.Serves(R4) {
		t.Fatalf("not served as R4: %v", Errors(m.R4Problems()))
	}
	vals := map[string]any{"ID": "1", "REF": "9"}
	if got, want := renderJSONIn(t, m, STU3, vals), `"incomingReferral":[{"reference":"ReferralRequest/referral-9"}]`; !strings.Contains(got, want) {
		t.Errorf("STU3: %s, want %s in it", got, want)
	}
	if got, want := renderJSONIn(t, m, R4, vals), `"basedOn":[{"reference":"ServiceRequest/referral-9"}]`; !strings.Contains(got, want) {
		t.Errorf("R4: %s, want %s in it", got, want)
	}
}
