package gpconnect

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/ccfacade/ccfacade/fhir"
)

// A consultation's Topics follow a problem's links to an item or to what
// the item depends on (a medication's plan, a report's result), keep an
// item of an area switched off in its problem's Topic, and put the rest
// in a Topic of no problem.
func TestTopics(t *testing.T) {
	res := func(s string) *fhir.Object {
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			t.Fatal(err)
		}
		return toValue(v).(*fhir.Object)
	}
	problem := res(`{"resourceType":"Condition","id":"p","category":[{"coding":[{"code":"problem-list-item"}]}],"extension":[
		{"url":"` + relatedContentURL + `","valueReference":{"reference":"MedicationRequest/plan1"}},
		{"url":"` + relatedContentURL + `","valueReference":{"reference":"Observation/result1"}},
		{"url":"` + relatedContentURL + `","valueReference":{"reference":"ReferralRequest/r1"}}]}`)
	items := []heldItem{
		{area: Medication, item: res(`{"resourceType":"MedicationStatement","id":"ms1"}`), deps: []*fhir.Object{res(`{"resourceType":"MedicationRequest","id":"plan1"}`)}},
		{area: Medication, item: res(`{"resourceType":"MedicationStatement","id":"ms2"}`)},
		{area: Problems, item: problem},
		{area: Investigations, item: res(`{"resourceType":"DiagnosticReport","id":"dr1"}`), deps: []*fhir.Object{res(`{"resourceType":"Observation","id":"result1"}`)}},
		{area: Referrals, item: res(`{"resourceType":"ReferralRequest","id":"r1"}`), disabled: true},
	}
	r := &record{s: &Service{offered: map[Area]bool{Problems: true}}}
	var got []string
	for _, tp := range r.topics(items) {
		name := "rest"
		if tp.problem != nil {
			name = key(tp.problem)
		}
		var entries []string
		for _, it := range tp.items {
			entries = append(entries, it.entry())
		}
		got = append(got, fmt.Sprintf("%s %v", name, entries))
	}
	want := []string{
		"Condition/p [MedicationStatement/ms1 Condition/p DiagnosticReport/dr1 " + displayOnly + "Referral items have been disabled]",
		"rest [MedicationStatement/ms2]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("topics\n%q\nwant\n%q", got, want)
	}
}
