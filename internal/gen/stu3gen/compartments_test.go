package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The compartment list keeps the base definitions (url named for the
// code), the resource types each lists with parameters, sorted by
// compartment and type, and reads back as written; an example
// definition is passed over, a second base one is an error.
func TestCompartmentFromSpec(t *testing.T) {
	dir := t.TempDir()
	write := func(name, doc string) {
		if err := os.WriteFile(filepath.Join(dir, "CompartmentDefinition-"+name+".json"), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("patient", `{"resourceType": "CompartmentDefinition", "id": "patient", "url": "http://hl7.org/fhir/CompartmentDefinition/patient", "code": "Patient",
		"resource": [{"code": "Observation", "param": ["subject", "performer"]}, {"code": "Binary"}, {"code": "FamilyMemberHistory", "param": ["patient"]}]}`)
	write("relatedPerson", `{"resourceType": "CompartmentDefinition", "id": "relatedPerson", "url": "http://hl7.org/fhir/CompartmentDefinition/relatedPerson", "code": "RelatedPerson",
		"resource": [{"code": "RelatedPerson", "param": ["{def}"]}]}`)
	write("example", `{"resourceType": "CompartmentDefinition", "id": "example", "url": "http://hl7.org/fhir/CompartmentDefinition/example", "code": "Device",
		"resource": [{"code": "Communication", "param": ["sender"]}]}`)
	list, err := compartmentFromSpec(dir)
	if err != nil {
		t.Fatal(err)
	}
	body, ok := strings.CutPrefix(string(list), compartmentHeader)
	if want := "Patient\tFamilyMemberHistory\tpatient\nPatient\tObservation\tsubject,performer\nRelatedPerson\tRelatedPerson\t{def}\n"; !ok || body != want {
		t.Errorf("list:\n%q\nwant:\n%q", body, want)
	}
	defs, err := parseCompartmentList(list)
	if err != nil || len(defs) != 3 || defs[1].Resource != "Observation" || strings.Join(defs[1].Params, " ") != "subject performer" {
		t.Errorf("parsed: %+v %v", defs, err)
	}
	write("patient2", `{"resourceType": "CompartmentDefinition", "url": "http://hl7.org/fhir/CompartmentDefinition/patient", "code": "Patient", "resource": []}`)
	if _, err := compartmentFromSpec(dir); err == nil || !strings.Contains(err.Error(), "a second definition of the Patient compartment") {
		t.Errorf("two definitions of a compartment: %v", err)
	}
	if _, err := compartmentFromSpec(t.TempDir()); err == nil {
		t.Error("an empty folder gives a list")
	}
	if _, err := parseCompartmentList([]byte("Patient\tObservation\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a line of two fields: %v", err)
	}
}

// The generated table lists each compartment's types with their
// parameters, and names in its header the parameters the search table
// does not have; a type that is not a resource is an error.
func TestGenerateCompartments(t *testing.T) {
	generated(t)
	saved := compartmentSrc
	defer func() { compartmentSrc = saved }()
	compartmentSrc = []byte("Patient\tAuditEvent\tpatient,agent.patient\nPatient\tFamilyMemberHistory\tpatient\nPatient\tPatient\tlink\n")
	src, _, err := generateCompartments(searchTab)
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(src)), " ") // gofmt aligns the values
	for _, w := range []string{"// - Patient AuditEvent agent.patient var", `"FamilyMemberHistory": {"patient"},`, `"Patient": {"link"},`} {
		if !strings.Contains(flat, w) {
			t.Errorf("compartment_gen.go lacks %q:\n%s", w, src)
		}
	}
	compartmentSrc = []byte("Patient\tNope\tpatient\n")
	if _, _, err := generateCompartments(searchTab); err == nil || !strings.Contains(err.Error(), "Nope is not a resource type") {
		t.Errorf("an unknown type: %v", err)
	}
}
