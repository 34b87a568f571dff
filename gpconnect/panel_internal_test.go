package gpconnect

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/ccfacade/ccfacade/fhir"
)

// A panel joins the parts of one measurement and leaves alone the groups
// where which reading goes with which is unknown: a part found twice
// (whatever follows it in the group), or a part missing.
func TestPanelJoin(t *testing.T) {
	pn := &Panel{System: "http://snomed.info/sct", Code: "75367002", Display: "Blood pressure", Parts: [][]string{{"S"}, {"D"}}}
	obs := func(id, code, at string) *fhir.Object {
		var v any
		if err := json.Unmarshal([]byte(`{"resourceType":"Observation","id":"`+id+`","code":{"coding":[{"code":"`+code+`"}]},`+
			`"subject":{"reference":"Patient/1"},"effectiveDateTime":"`+at+`","valueQuantity":{"value":1}}`), &v); err != nil {
			t.Fatal(err)
		}
		return toValue(v).(*fhir.Object)
	}
	ids := func(os []*fhir.Object) (out []string) {
		for _, o := range os {
			out = append(out, o.GetString("id"))
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		found []*fhir.Object
		want  []string // ids sent, in order
		comps int      // components of the first sent
	}{
		{"a pair", []*fhir.Object{obs("1", "S", "2020"), obs("2", "D", "2020")}, []string{"1"}, 2},
		{"two pairs", []*fhir.Object{obs("1", "S", "2020"), obs("2", "S", "2021"), obs("3", "D", "2021"), obs("4", "D", "2020")}, []string{"1", "2"}, 2},
		{"a part twice, then the other", []*fhir.Object{obs("1", "S", "2020"), obs("2", "S", "2020"), obs("3", "D", "2020")}, []string{"1", "2", "3"}, 0},
		{"a part twice, then again", []*fhir.Object{obs("1", "S", "2020"), obs("2", "S", "2020"), obs("3", "S", "2020")}, []string{"1", "2", "3"}, 0},
		{"a part missing", []*fhir.Object{obs("1", "S", "2020"), obs("2", "D", "2021")}, []string{"1", "2"}, 0},
		{"a part withheld", []*fhir.Object{obs("1", "S", "2020"), obs("9", "D", "2020")}, []string{"1", "9"}, 0},
	} {
		got := pn.join(tc.found, func(o *fhir.Object) bool { return o.GetString("id") == "9" })
		if g := ids(got); !slices.Equal(g, tc.want) {
			t.Errorf("%s: sent %v, want %v", tc.name, g, tc.want)
			continue
		}
		c, _ := got[0].Get("component").(fhir.Array)
		if len(c) != tc.comps {
			t.Errorf("%s: %d components, want %d", tc.name, len(c), tc.comps)
		}
	}
}
