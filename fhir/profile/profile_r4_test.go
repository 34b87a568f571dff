package profile

import (
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir/r4"
)

// UK Core's own Patient example, claiming UKCore-Patient, conforms.
func TestUKCorePatientExample(t *testing.T) {
	if ps := checkR4(t, "ukcore-patient-good.json"); len(ps) != 0 {
		t.Errorf("UK Core's Patient example has problems:\n%s", strings.Join(ps, "\n"))
	}
}

// A broken copy of it: each problem is named with its path — a code
// outside a required UK Core value set and one outside a required R4
// core value set, a second NHS number (the slice is 0..1), and a
// complex extension without its required part.
func TestUKCorePatientBroken(t *testing.T) {
	want := []string{
		"Patient.extension[2].extension:deathNotificationStatus: is required by the profile (min 1)",
		`Patient.gender: "man" is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender`,
		"Patient.identifier:nhsNumber: has 2, the profile allows at most 1",
		`Patient.identifier[0].extension.valueCodeableConcept: {"coding":[{"code":"99","display":"Number present and verified","system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland"}]} is not in the required value set https://fhir.hl7.org.uk/ValueSet/UKCore-NHSNumberVerificationStatus`,
	}
	if got := checkR4(t, "ukcore-patient-bad.json"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// What R4 changed is checked as R4: a resource without a profile against
// its R4 definition, R4's reference targets and slices by a nested
// discriminator (Observation-Lab's category by coding.code), R4's
// quantity rule (qty-3 only), and a type R4 removed is no resource.
func TestR4Checks(t *testing.T) {
	lab := `"meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-Lab"]}`
	cases := []struct{ res, want string }{
		// STU3's Patient.animal is gone in R4.
		{`{"resourceType":"Patient","animal":{"species":{"text":"dog"}}}`, "Patient.animal: is not an element the definition has"},
		// R4 made AllergyIntolerance.clinicalStatus a CodeableConcept.
		{`{"resourceType":"AllergyIntolerance","clinicalStatus":"active","patient":{"reference":"Patient/1"}}`, ""},
		{`{"resourceType":"AllergyIntolerance","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"current"}]},"patient":{"reference":"Patient/1"}}`,
			`AllergyIntolerance.clinicalStatus: {"coding":[{"code":"current","system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"}]} is not in the required value set http://hl7.org/fhir/ValueSet/allergyintolerance-clinical`},
		{`{"resourceType":"ProcedureRequest","status":"active"}`, `resourceType: "ProcedureRequest" is not an R4 resource type`},
		{`{"resourceType":"Observation",` + lab + `,"status":"final","code":{"text":"x"},"subject":{"reference":"Patient/1"},"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}]}`,
			"Observation.category:laboratory: is required by the profile (min 1)"},
		{`{"resourceType":"Observation",` + lab + `,"status":"final","code":{"text":"x"},"subject":{"reference":"Location/1"},"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}]}`,
			"Observation.subject: refers to a Location; the profile allows Patient"},
		{`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1,"unit":"mg","system":"http://unitsofmeasure.org"}}`, ""},
		{`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1,"code":"mg"}}`, "Observation.valueQuantity: a unit code without its system (qty-3)"},
		// Under a UK Core profile too, an element R4 does not have.
		{`{"resourceType":"Patient","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},"animal":{"species":{"text":"dog"}}}`, "Patient.animal: is not an element the definition has"},
		// An extension used outside its R4 context.
		{`{"resourceType":"Practitioner","extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"text":"x"}}]}`,
			"Practitioner.extension[0]: extension https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory is defined for Patient, not Practitioner"},
		// R4's invariants of the served types, and UK Core's.
		{`{"resourceType":"Condition","subject":{"reference":"Patient/1"},"abatementDateTime":"2020","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}}`,
			"Condition: an abatement needs a clinicalStatus of resolved, remission or inactive (con-4)"},
		{`{"resourceType":"Condition","subject":{"reference":"Patient/1"},"_abatementString":{"extension":[]},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"inactive"}]}}`, ""},
		{`{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/1"}}`,
			"AllergyIntolerance: clinicalStatus is required unless verificationStatus is entered-in-error (ait-1)"},
		{`{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/1"},"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"entered-in-error"}]},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]}}`,
			"AllergyIntolerance: clinicalStatus must be absent when verificationStatus is entered-in-error (ait-2)"},
		{`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},"valueString":"x","dataAbsentReason":{"text":"n"},"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]}}]}`,
			"Observation: dataAbsentReason must be absent when there is a value (obs-6)\nObservation: with a value, no component may have the Observation's own code (obs-7)"},
		{`{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"period":{"start":"2020-03-02T10:00:00Z","end":"2020-03-01"}}`,
			"Encounter.period: a period cannot end before it starts (per-1)"},
		{`{"resourceType":"Encounter","status":"finished","class":{"code":"AMB"},"period":{"start":"2020-03-01T10:00:00+01:00","end":"2020-03-01T09:30:00Z"}}`, ""},
		{`{"resourceType":"Patient","contact":[{"gender":"male"}]}`, "Patient.contact[0]: a contact needs a name, telecom, address or organization (pat-1)"},
		{`{"resourceType":"Organization","telecom":[{"system":"phone","value":"1","use":"home"}]}`,
			"Organization: an Organization needs an identifier or a name (org-1)\nOrganization.telecom[0]: an Organization's telecom cannot be of use home (org-3)"},
		{`{"resourceType":"Immunization","status":"not-done","vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"},"occurrenceString":"x"}`, ""},
		{`{"resourceType":"Immunization","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization"]},"status":"not-done","vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"},"occurrenceString":"x"}`,
			"Immunization: a status of not-done needs a statusReason (ukcore-imm-001)"},
	}
	for _, c := range cases {
		ps, err := BuiltinR4().CheckJSON([]byte(c.res))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(problemStrings(ps), "\n"); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.res, got, c.want)
		}
	}
}

// The R4 registry holds every R4 resource and data type, and the UK Core
// profiles of the types the facade serves; the STU3 one holds neither.
func TestBuiltinR4HoldsEveryR4Type(t *testing.T) {
	types := append(r4.Types(r4.Resource), r4.Types(r4.Complex)...)
	for _, typ := range append(types, r4.Types(r4.Primitive)...) {
		d, ok := BuiltinR4().Lookup(BaseURL(typ))
		if typ == "SimpleQuantity" || typ == "MoneyQuantity" { // R4 defines them as profiles of Quantity
			d.Type, d.Profile = typ, !(d.Type == "Quantity" && d.Profile)
		}
		if !ok || d.Type != typ || d.Profile {
			t.Errorf("%s: %+v %v", typ, d, ok)
		}
	}
	for _, typ := range []string{"Patient", "Practitioner", "PractitionerRole", "Organization", "Location", "Encounter", "AllergyIntolerance",
		"Condition", "Procedure", "Observation", "Medication", "MedicationStatement", "MedicationRequest", "Immunization"} {
		url := "https://fhir.hl7.org.uk/StructureDefinition/UKCore-" + typ
		if err := BuiltinR4().CheckProfile(url, typ); err != nil {
			t.Errorf("%s: %v", typ, err)
		}
		if Builtin().Known(url) {
			t.Errorf("the STU3 registry holds %s", url)
		}
	}
	err := BuiltinR4().CheckProfile("https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patinet", "Patient")
	if err == nil || !strings.Contains(err.Error(), "did you mean https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient") {
		t.Errorf("a mistyped UK Core profile: %v", err)
	}
	err = BuiltinR4().CheckProfile("https://example.org/StructureDefinition/Nothing-Like-It", "Patient")
	if err == nil || !strings.Contains(err.Error(), "known: the R4 base definitions and UK Core's") {
		t.Errorf("an unknown profile on R4: %v", err)
	}
	if !BuiltinR4().R4() || Builtin().R4() {
		t.Error("R4() says the wrong release")
	}
}
