package profile

import (
	"os"
	"strings"
	"testing"
)

func check(t *testing.T, file string) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := CheckJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

func TestGoodPatient(t *testing.T) {
	if ps := check(t, "patient-good.json"); len(ps) != 0 {
		t.Errorf("a conformant Patient has problems:\n%s", strings.Join(ps, "\n"))
	}
}

// Known-bad resources: the checker must name each problem with its path.
func TestKnownBad(t *testing.T) {
	cases := map[string][]string{
		"patient-no-official-name.json": {"Patient.name:official: is required by the profile (min 1)"},
		"patient-communication.json":    {"Patient.communication: is not allowed by the profile (max 0)"},
		"allergy-snomed-no-display.json": {
			"AllergyIntolerance.code.coding.display: is required by the profile (min 1)",
		},
		"allergy-refuted.json": {
			`AllergyIntolerance.verificationStatus: "refuted" is not in the required value set https://fhir.hl7.org.uk/STU3/ValueSet/CareConnect-AllergyVerificationStatus-1`,
		},
		"patient-bad-codes.json": {
			"Patient.identifier:nhsNumber: has 2, the profile allows at most 1",
			`Patient.identifier[0].extension.valueCodeableConcept: {"coding":[{"code":"99","display":"Nonsense","system":"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1"}]} is not in the required value set`,
			"Patient.identifier[1].extension:nhsNumberVerificationStatus: is required by the profile (min 1)",
			"Patient.generalPractitioner.reference", // placeholder replaced below
		},
	}
	cases["patient-bad-codes.json"][3] = "Patient.generalPractitioner: refers to a Patient; the profile allows Organization, Practitioner"
	for file, wants := range cases {
		got := check(t, file)
		for _, w := range wants {
			found := false
			for _, g := range got {
				if strings.HasPrefix(g, w) {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: missing problem\n  %s\ngot:\n  %s", file, w, strings.Join(got, "\n  "))
			}
		}
	}
}

// A resource that names no profile is checked against the STU3
// definition of its type; a profile the registry does not hold is a
// problem.
func TestNoProfile(t *testing.T) {
	if ps, _ := CheckJSON([]byte(`{"resourceType":"Patient"}`)); len(ps) != 0 {
		t.Errorf("a bare Patient breaks no rule of the STU3 Patient: %v", ps)
	}
	ps, _ := CheckJSON([]byte(`{"resourceType":"FamilyMemberHistory","status":"completed","patient":{"reference":"Patient/1"}}`))
	if len(ps) != 1 || ps[0].String() != "FamilyMemberHistory.relationship: is required by the profile (min 1)" {
		t.Errorf("FamilyMemberHistory without its relationship (1..1 in STU3): %v", ps)
	}
	ps, _ = CheckJSON([]byte(`{"resourceType":"FamilyMemberHistory","status":"done","patient":{"reference":"Group/1"},"relationship":{"text":"aunt"}}`))
	if got := strings.Join(problemStrings(ps), "\n"); got != `FamilyMemberHistory.patient: refers to a Group; the profile allows Patient
FamilyMemberHistory.status: "done" is not in the required value set http://hl7.org/fhir/ValueSet/history-status` {
		t.Errorf("FamilyMemberHistory with a wrong status and patient:\n%s", got)
	}
	ps, _ = CheckJSON([]byte(`{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observaton-1"]}}`))
	if len(ps) != 1 || ps[0].String() != "Patient.meta.profile: names no known profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observaton-1" {
		t.Errorf("an unknown profile: %v", ps)
	}
	if ps, _ := CheckJSON([]byte(`{"resourceType":"Patiently"}`)); len(ps) != 1 || ps[0].Msg != `"Patiently" is not an STU3 resource type` {
		t.Errorf("an unknown resource type: %v", ps)
	}
	if !Known("https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1") {
		t.Error("Observation profile missing")
	}
}

func problemStrings(ps []Problem) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// A required primitive present with extensions only (a data-absent-reason)
// is present, as FHIR counts elements; an empty name without it is not.
func TestPrimitiveWithExtensionOnly(t *testing.T) {
	const absent = `{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1"]},
		"name":[{"use":"official","_family":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"masked"}]}}]}`
	ps, err := CheckJSON([]byte(absent))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 0 {
		t.Errorf("a family given as absent, with its reason, is flagged: %v", ps)
	}
	const missing = `{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1"]},
		"name":[{"use":"official"}]}`
	ps, _ = CheckJSON([]byte(missing))
	if len(ps) != 1 || ps[0].Path != "Patient.name[0].family" && ps[0].Path != "Patient.name.family" {
		t.Errorf("a missing family: %v", ps)
	}
}

// An extension outside its context, and a Quantity whose unit system and
// code do not come together, are problems whatever the profile's slices.
func TestExtensionContextsAndQuantities(t *testing.T) {
	ext := func(resourceType, profileURL string) map[string]any {
		return map[string]any{"resourceType": resourceType, "meta": map[string]any{"profile": []any{profileURL}},
			"extension": []any{map[string]any{"url": "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-PrescriptionType-1",
				"valueCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1", "code": "repeat"}}}}}}
	}
	has := func(ps []Problem, s string) bool {
		for _, p := range ps {
			if strings.Contains(p.String(), s) {
				return true
			}
		}
		return false
	}
	if ps := Check(ext("MedicationStatement", "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-MedicationStatement-1")); !has(ps, "is defined for MedicationRequest, not MedicationStatement") {
		t.Errorf("PrescriptionType on a MedicationStatement: %v", ps)
	}
	if ps := Check(ext("MedicationRequest", "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-MedicationRequest-1")); has(ps, "is defined for") {
		t.Errorf("PrescriptionType on a MedicationRequest: %v", ps)
	}
	obs := func(q map[string]any) []Problem {
		return Check(map[string]any{"resourceType": "Observation", "meta": map[string]any{"profile": []any{"https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1"}},
			"valueQuantity": q})
	}
	if ps := obs(map[string]any{"value": 5, "unit": "units", "system": "http://unitsofmeasure.org"}); !has(ps, "Observation.valueQuantity: a unit system without a code") {
		t.Errorf("a system without a code: %v", ps)
	}
	if ps := obs(map[string]any{"value": 5, "unit": "kg", "code": "kg"}); !has(ps, "a unit code without its system (qty-3)") {
		t.Errorf("a code without a system: %v", ps)
	}
	if ps := obs(map[string]any{"value": 5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}); has(ps, "unit") {
		t.Errorf("a whole quantity: %v", ps)
	}
}
