package mapping

import (
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/fhir"
)

// A table of codes from several code systems: the system of each row comes
// from its vocabulary column through a map of vocabulary names to URIs, and
// a primitive the source never holds carries a data-absent-reason.
const vocabularyMapping = `
resource: Condition
from:
  table: CODES
  key: ID
element:
  code:
    coding:
      - system: { column: VOCAB, concept: vocabularies, required: true }
        code: { column: CODE }
        display: { column: NAME }
    text: { column: NAME }
  subject:
    _display:
      extension:
        - url: http://hl7.org/fhir/StructureDefinition/data-absent-reason
          valueCode: masked
  _onsetDateTime:
    when: { column: ONSET, not: true }
    extension:
      - url: http://hl7.org/fhir/StructureDefinition/data-absent-reason
        valueCode: unknown
  onsetDateTime: { column: ONSET }
search:
  code:
    type: token
    column: CODE
    system: { column: VOCAB, concept: vocabularies }
  code-uri:
    type: token
    column: CODE
    system: { sql: "SYSTEM_URI" }
concepts:
  vocabularies:
    map:
      SNOMED: http://snomed.info/sct
      LOINC: http://loinc.org
`

func loadVocabulary(t *testing.T) *Mapping {
	t.Helper()
	set, err := Load([]File{{Name: "v.yaml", Data: []byte(vocabularyMapping)}}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return set.Lookup("Condition")
}

// row builds a main-query row from column values by name.
func row(m *Mapping, cols map[string]any) *Row {
	vals := make([]any, len(m.Cols.Names))
	for i, n := range m.Cols.Names {
		vals[i] = cols[n]
	}
	return &Row{Vals: vals}
}

func TestConceptMapGivesSystemURI(t *testing.T) {
	m := loadVocabulary(t)
	res, problems := m.Render(row(m, map[string]any{"ID": int64(1), "VOCAB": "LOINC", "CODE": "8867-4", "NAME": "Heart rate", "ONSET": "2020-01-02"}))
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	got := string(fhir.AppendJSON(nil, fhir.Path(res, "code")))
	want := `{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"Heart rate"}`
	if got != want {
		t.Errorf("code\n got %s\nwant %s", got, want)
	}
	// An unmapped vocabulary leaves the coding out (its system is
	// required), reported as a problem; the text stays.
	res, problems = m.Render(row(m, map[string]any{"ID": int64(2), "VOCAB": "Visit", "CODE": "OP", "NAME": "Outpatient Visit"}))
	if got := string(fhir.AppendJSON(nil, fhir.Path(res, "code"))); got != `{"text":"Outpatient Visit"}` {
		t.Errorf("unmapped vocabulary: code %s", got)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Msg, `"Visit" has no entry in concept map "vocabularies"`) {
		t.Errorf("problems %v", problems)
	}
}

func TestPrimitiveCompanion(t *testing.T) {
	m := loadVocabulary(t)
	var order []string
	for _, f := range m.Root.Fields {
		order = append(order, f.Name)
	}
	if got := strings.Join(order, ","); got != "code,subject,onsetDateTime,_onsetDateTime" {
		t.Errorf("element order %s: a companion follows its value", got)
	}
	res, _ := m.Render(row(m, map[string]any{"ID": int64(1), "VOCAB": "SNOMED", "CODE": "1", "NAME": "x"}))
	body := string(fhir.AppendJSON(nil, res))
	for _, want := range []string{
		`"subject":{"_display":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"masked"}]}}`,
		`"_onsetDateTime":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s in\n%s", want, body)
		}
	}
	// With a value, the condition drops the companion.
	res, _ = m.Render(row(m, map[string]any{"ID": int64(1), "VOCAB": "SNOMED", "CODE": "1", "NAME": "x", "ONSET": "2020-01-02"}))
	body = string(fhir.AppendJSON(nil, res))
	if strings.Contains(body, "_onsetDateTime") || !strings.Contains(body, `"onsetDateTime":"2020-01-02"`) {
		t.Errorf("onset: %s", body)
	}
}

func TestSystemSource(t *testing.T) {
	m := loadVocabulary(t)
	sp := m.SearchParam("code")
	if sp.SystemFrom == nil || sp.SystemFrom.Column != "VOCAB" || sp.SystemFrom.Concept == nil {
		t.Fatalf("system source %+v", sp.SystemFrom)
	}
	if got := sp.SystemFrom.Locals("http://loinc.org"); len(got) != 1 || got[0] != "LOINC" {
		t.Errorf("locals of LOINC: %v", got)
	}
	if got := sp.SystemFrom.Locals("http://example.org"); len(got) != 0 {
		t.Errorf("locals of an unknown system: %v", got)
	}
	if got := strings.Join(sp.SystemFrom.Known(), ","); got != "SNOMED,LOINC" {
		t.Errorf("known: %s", got)
	}
	uri := m.SearchParam("code-uri").SystemFrom
	if uri.SQL != "SYSTEM_URI" || uri.Concept != nil {
		t.Fatalf("sql system source %+v", uri)
	}
	if got := uri.Locals("http://loinc.org"); len(got) != 1 || got[0] != "http://loinc.org" {
		t.Errorf("without a map the column holds the URI: %v", got)
	}
	if uri.Known() != nil {
		t.Errorf("without a map every value is a system")
	}
}

func TestVocabularyFeatureErrors(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{`element: {code: {coding: [{system: {column: V, concept: nope}}]}}`, `unknown concept map "nope"`},
		{`element: {onsetAge: {value: {column: A, concept: m}}}`, `"concept" makes a code, uri, string, Coding or CodeableConcept, not a decimal`},
		{`element: {_note: {extension: []}}`, `note is of type Annotation, not a primitive`},
		{`element: {_identifier: {extension: []}}`, `identifier is of type Identifier, not a primitive`},
		{`element: {_id: {extension: []}}`, `id is set by the facade`},
		{"element: {clinicalStatus: active}\nsearch: {code: {type: token, column: C, system: {}}}", `needs "column" or "sql", one of them`},
		{"element: {clinicalStatus: active}\nsearch: {code: {type: token, column: C, system: {column: V, sql: X}}}", `needs "column" or "sql", one of them`},
		{"element: {clinicalStatus: active}\nsearch: {code: {type: string, column: C, system: {column: V}}}", `"system" applies to token parameters only`},
		{"element: {clinicalStatus: active}\nsearch: {code: {type: token, column: C, concept: m, system: {column: V}}}", `not both`},
		{"element: {clinicalStatus: active}\nsearch: {code: {type: token, column: C, system: {column: V, colour: red}}}", `unknown key "colour"`},
		{"element: {clinicalStatus: active}\nsearch: {code: {type: token, column: C, system: {sql: \"V; DROP TABLE X\"}}}", `plain SQL expression`},
		{"element: {clinicalStatus: active}\nsearch: {code: {type: string, sql: \"C -- x\"}}", `"sql" must be a plain SQL expression`},
		{"element: {clinicalStatus: active}\nsearch: {code: {type: token, column: C, concept: [m, nope]}}", `unknown concept map "nope" (known: m)`},
		{`element: {clinicalStatus: {value: active, when: {column: S, concept: nope}}}`, `unknown concept map "nope" (known: m)`},
	}
	for _, c := range cases {
		doc := "resource: Condition\nfrom: {table: T, key: ID}\n" + c.yaml + "\nconcepts: {m: {map: {A: a}}}\n"
		_, err := Load([]File{{Name: "x.yaml", Data: []byte(doc)}}, time.UTC)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s\n got %v\nwant %s", c.yaml, err, c.want)
		}
	}
	// Extensions of a repeating primitive are refused.
	_, err := Load([]File{{Name: "p.yaml", Data: []byte("resource: Patient\nfrom: {table: T, key: ID}\nelement: {name: [{_given: {extension: []}}]}\n")}}, time.UTC)
	if err == nil || !strings.Contains(err.Error(), "extensions of a repeating primitive (given) are not supported") {
		t.Errorf("repeating companion: %v", err)
	}
}
