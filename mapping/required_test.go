package mapping

import (
	"slices"
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
