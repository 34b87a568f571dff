package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The compartment list keeps the resource types the definition lists with
// parameters, sorted, with their parameters in the definition's order, and
// reads back as written.
func TestCompartmentFromSpec(t *testing.T) {
	r4, _ := releaseNamed("r4")
	dir := t.TempDir()
	write := func(doc string) {
		if err := os.WriteFile(filepath.Join(dir, "CompartmentDefinition-patient.json"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(`{"resourceType": "CompartmentDefinition", "url": "http://hl7.org/fhir/CompartmentDefinition/patient", "code": "Patient", "resource": [
		{"code": "Observation", "param": ["subject", "performer"]},
		{"code": "Medication"},
		{"code": "Account", "param": ["subject"]}]}`)
	list, err := compartmentFromSpec(r4, dir)
	if err != nil {
		t.Fatal(err)
	}
	body, ok := strings.CutPrefix(string(list), compartmentHeader(r4))
	if want := "Account\tsubject\nObservation\tsubject,performer\n"; !ok || body != want {
		t.Errorf("list:\n%s\nwant:\n%s", list, want)
	}
	members, err := parseCompartmentList(list)
	if err != nil || len(members) != 2 || !slices.Equal(members[1].Params, []string{"subject", "performer"}) {
		t.Errorf("parsed: %+v %v", members, err)
	}
	write(`{"resourceType": "CompartmentDefinition", "url": "http://hl7.org/fhir/CompartmentDefinition/device", "code": "Device", "resource": [{"code": "Observation", "param": ["device"]}]}`)
	if _, err := compartmentFromSpec(r4, dir); err == nil || !strings.Contains(err.Error(), "not the patient compartment") {
		t.Errorf("the device compartment: %v", err)
	}
	write(`{"resourceType": "CompartmentDefinition", "url": "http://hl7.org/fhir/CompartmentDefinition/patient", "code": "Patient", "resource": [{"code": "Medication"}]}`)
	if _, err := compartmentFromSpec(r4, dir); err == nil || !strings.Contains(err.Error(), "no resource type with a parameter (of 1 listed)") {
		t.Errorf("an empty compartment: %v", err)
	}
	if _, err := parseCompartmentList([]byte("Observation\n")); err == nil {
		t.Error("a line without parameters is read")
	}
}

// Every type of the compartment must be a resource and every parameter one
// of its search parameters.
func TestGenerateCompartment(t *testing.T) {
	rn := generated(t, "r4")
	if src := strings.Join(strings.Fields(string(rn.compartment)), " "); !strings.Contains(src, `"Observation": {"subject", "performer"},`) {
		t.Errorf("compartment_gen.go:\n%s", rn.compartment)
	}
	g := *rn.g
	rel := *g.rel
	g.rel = &rel
	rel.Compartment = []byte("Observation\tsubject,nope\nNope\tsubject\n")
	_, _, err := g.generateCompartment()
	if err == nil || !strings.Contains(err.Error(), "Observation: nope is not one of its search parameters") || !strings.Contains(err.Error(), "Nope is not a resource") {
		t.Errorf("a bad compartment: %v", err)
	}
}
