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
	for _, rel := range releases {
		t.Run(rel.Name, func(t *testing.T) {
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
			list, err := compartmentFromSpec(rel, dir)
			if err != nil {
				t.Fatal(err)
			}
			body, ok := strings.CutPrefix(string(list), compartmentHeader(rel))
			if want := "Patient\tFamilyMemberHistory\tpatient\nPatient\tObservation\tsubject,performer\nRelatedPerson\tRelatedPerson\t{def}\n"; !ok || body != want {
				t.Errorf("list:\n%q\nwant:\n%q", body, want)
			}
			defs, err := parseCompartmentList(list)
			if err != nil || len(defs) != 3 || defs[1].Resource != "Observation" || strings.Join(defs[1].Params, " ") != "subject performer" {
				t.Errorf("parsed: %+v %v", defs, err)
			}
			write("patient2", `{"resourceType": "CompartmentDefinition", "url": "http://hl7.org/fhir/CompartmentDefinition/patient", "code": "Patient", "resource": []}`)
			if _, err := compartmentFromSpec(rel, dir); err == nil || !strings.Contains(err.Error(), "a second definition of the Patient compartment") {
				t.Errorf("two definitions of a compartment: %v", err)
			}
			if _, err := compartmentFromSpec(rel, t.TempDir()); err == nil {
				t.Error("an empty folder gives a list")
			}
		})
	}
	if _, err := parseCompartmentList([]byte("Patient\tObservation\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("a line of two fields: %v", err)
	}
}

// The generated table of each release lists every compartment's types
// with their parameters, and names in its header the chains through
// another resource, which the search table does not have; a type that is
// not a resource, a parameter that is not one of the type's and {def} on
// another type than the compartment's are errors.
func TestGenerateCompartment(t *testing.T) {
	for _, c := range []struct{ rel, want string }{
		{"stu3", `"Patient": { "Account": {"subject"},`},
		{"r4", `"Patient": { "Account": {"subject"},`},
	} {
		rn := generated(t, c.rel)
		flat := strings.Join(strings.Fields(string(rn.compartment)), " ") // gofmt aligns the values
		for _, w := range []string{c.want, `"Encounter": {"{def}"},`, `"Observation": {"subject", "performer"},`, `"Patient": {"link"},`} {
			if !strings.Contains(flat, w) {
				t.Errorf("%s: compartment_gen.go lacks %q", c.rel, w)
			}
		}
	}
	g := *generated(t, "stu3").g
	rel := *g.rel
	g.rel = &rel
	rel.Compartment = []byte("Patient\tAuditEvent\tpatient,agent.patient\nPatient\tFamilyMemberHistory\tpatient\nPatient\tPatient\tlink\n")
	src, _, err := g.generateCompartment()
	if err != nil {
		t.Fatal(err)
	}
	flat := strings.Join(strings.Fields(string(src)), " ")
	for _, w := range []string{"// - Patient AuditEvent agent.patient var", `"FamilyMemberHistory": {"patient"},`, `"Patient": {"link"},`} {
		if !strings.Contains(flat, w) {
			t.Errorf("compartment_gen.go lacks %q:\n%s", w, src)
		}
	}
	rel.Compartment = []byte("Patient\tObservation\tsubject,nope\nPatient\tNope\tsubject\nPatient\tGroup\t{def}\n")
	_, _, err = g.generateCompartment()
	for _, w := range []string{"Observation: nope is not one of its search parameters", "Nope: Nope is not a resource", "Group: {def} is for the compartment's own resource"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("a bad compartment list: %v, want %q", err, w)
		}
	}
}
