package gpconnect

import (
	"encoding/json"
	"testing"

	"github.com/ccfacade/ccfacade/fhir"
)

// What the bundle holds only for a withheld item goes with it: a withheld
// statement takes its plan, the plan's issues and a Medication nothing
// else uses, while a Medication a statement sent uses stays; a report
// sent loses its withheld result, and keeps the other.
func TestWithholdTakesWhatOnlyItNeeds(t *testing.T) {
	res := func(s string) *fhir.Object {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return toValue(v).(*fhir.Object)
	}
	list := res(`{"resourceType":"List","entry":[{"item":{"reference":"MedicationStatement/a"}},{"item":{"reference":"MedicationStatement/b"}},{"item":{"reference":"DiagnosticReport/d"}}]}`)
	r := &record{have: map[string]bool{}, withheld: map[string]bool{"MedicationStatement/a": true, "Observation/o1": true}}
	r.sections = []*fhir.Object{list,
		res(`{"resourceType":"MedicationStatement","id":"a","basedOn":[{"reference":"MedicationRequest/pa"}],"medicationReference":{"reference":"Medication/m1"}}`),
		res(`{"resourceType":"MedicationRequest","id":"pa","intent":"plan","medicationReference":{"reference":"Medication/m2"}}`),
		res(`{"resourceType":"MedicationRequest","id":"oa","intent":"order","basedOn":[{"reference":"MedicationRequest/pa"}],"medicationReference":{"reference":"Medication/m1"}}`),
		res(`{"resourceType":"Medication","id":"m1"}`),
		res(`{"resourceType":"MedicationStatement","id":"b","basedOn":[{"reference":"MedicationRequest/pb"}],"medicationReference":{"reference":"Medication/m2"}}`),
		res(`{"resourceType":"MedicationRequest","id":"pb","intent":"plan","medicationReference":{"reference":"Medication/m2"}}`),
		res(`{"resourceType":"MedicationRequest","id":"ob","intent":"order","basedOn":[{"reference":"MedicationRequest/pb"}],"medicationReference":{"reference":"Medication/m2"}}`),
		res(`{"resourceType":"Medication","id":"m2"}`),
		res(`{"resourceType":"DiagnosticReport","id":"d","result":[{"reference":"Observation/o1"},{"reference":"Observation/o2"}]}`),
		res(`{"resourceType":"Observation","id":"o1"}`),
		res(`{"resourceType":"Observation","id":"o2"}`),
	}
	for _, s := range r.sections[1:] {
		r.have[key(s)] = true
	}
	r.withhold()
	var got []string
	for _, s := range r.sections[1:] {
		got = append(got, key(s))
	}
	want := []string{"MedicationStatement/b", "MedicationRequest/pb", "MedicationRequest/ob", "Medication/m2", "DiagnosticReport/d", "Observation/o2"}
	if len(got) != len(want) {
		t.Fatalf("kept %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kept %v, want %v", got, want)
		}
	}
	if refs := values(r.sections[5], "result.reference"); len(refs) != 1 || refs[0] != "Observation/o2" {
		t.Errorf("the report's results: %v", refs)
	}
	for _, k := range []string{"MedicationStatement/a", "MedicationRequest/pa", "MedicationRequest/oa", "Medication/m1", "Observation/o1"} {
		if r.have[k] {
			t.Errorf("%s is still counted in the bundle", k)
		}
	}
}
