package mapping

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// An object written without an element STU3 requires is reported as an
// Absent problem naming the element's path; one that is not written after
// all (an object around it is left out) reports nothing.
func TestAbsentRequiredElements(t *testing.T) {
	set, err := Load([]File{{Name: "observation.yaml", Data: []byte(`
resource: Observation
from: { table: O, key: ID }
element:
  status: { column: STATUS }
  code: { column: CODE, concept: codes }
  component:
    - code: { column: CCODE, concept: codes }
      valueSampledData:
        origin: { value: { column: ORIGIN } }
        data: { column: DATA }
      dataAbsentReason: { column: WHY, concept: codes, required: true }
concepts:
  codes:
    system: http://snomed.info/sct
    map:
      A: { code: "1", display: One }
`)}}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	m := set.Lookup("Observation")
	full := map[string]any{"ID": int64(1), "STATUS": "final", "CODE": "A", "CCODE": "A", "ORIGIN": "0", "DATA": "1 2 3", "WHY": "A"}
	for _, c := range []struct {
		changes map[string]any
		want    []string
	}{
		// SampledData requires period and dimensions, which it never has.
		{nil, []string{"Observation.component.valueSampledData.dimensions", "Observation.component.valueSampledData.period"}},
		{map[string]any{"STATUS": nil, "CODE": "X"}, []string{"Observation.code", "Observation.component.valueSampledData.dimensions", "Observation.component.valueSampledData.period", "Observation.status"}},
		{map[string]any{"CCODE": "X"}, []string{"Observation.component.code", "Observation.component.valueSampledData.dimensions", "Observation.component.valueSampledData.period"}},
		// No sampled data, no problem of it.
		{map[string]any{"ORIGIN": nil, "DATA": nil}, nil},
		// The component is left out (its dataAbsentReason is required,
		// after its sampled data): nothing of it is reported.
		{map[string]any{"WHY": nil}, nil},
	} {
		cols := map[string]any{}
		for k, v := range full {
			cols[k] = v
		}
		for k, v := range c.changes {
			cols[k] = v
		}
		_, problems := m.Render(row(m, cols))
		var got []string
		for _, p := range problems {
			if p.Absent {
				got = append(got, p.Path)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("with %v: absent %v, want %v", c.changes, got, c.want)
		}
	}
}

// Lint's warnings of required elements a mapping can leave absent: one
// from a concept map that drops unknown codes, one only from child rows;
// not one with a fixed fallback, nor a map whose unknown codes are
// errors, nor a column (which only the database can tell optional).
func TestRequiredWarnings(t *testing.T) {
	patient := File{Name: "patient.yaml", Data: []byte(`
resource: Patient
from: { table: P, key: ID }
element:
  active: true
`)}
	allergy := `
resource: AllergyIntolerance
from: { table: A, key: ID }
element:
  verificationStatus:
    first:
      - { column: VS, when: { column: VS_OK } }
      - { value: unconfirmed }
  clinicalStatus: { column: CS, concept: strict }
  patient:
    reference: { resource: Patient, key: PID }
  reaction:
    - manifestation:
        - rows: { table: M, link: ID }
          coding:
            - { column: CODE, concept: loose }
      severity: { column: SEV }
concepts:
  strict:
    unmapped: error
    map: { A: active }
  loose:
    system: http://snomed.info/sct
    map: { H: { code: "39579001" } }
`
	for coding, want := range map[string]string{
		"{ column: CODE, concept: loose }":                           `allergy.yaml:13:7: warning: AllergyIntolerance.reaction.manifestation is required (min 1 in STU3) and can be absent: AllergyIntolerance.reaction.manifestation.coding comes through concept map "loose", which leaves out a code it does not translate (add an entry for every code, or unmapped: error)`,
		"{ system: http://snomed.info/sct, code: { column: CODE } }": `allergy.yaml:13:7: warning: AllergyIntolerance.reaction.manifestation is required (min 1 in STU3) and can be absent: AllergyIntolerance.reaction.manifestation comes from child rows (M), and a row may have none`,
	} {
		text := strings.Replace(allergy, "{ column: CODE, concept: loose }", coding, 1)
		set, err := Load([]File{patient, {Name: "allergy.yaml", Data: []byte(text)}}, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(set.Warnings, []string{want}) {
			t.Errorf("coding %s: warnings:\n%s\nwant:\n%s", coding, strings.Join(set.Warnings, "\n"), want)
		}
	}
}
