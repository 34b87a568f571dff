package profile

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// The GP Connect registry holds every profile an Access Record:
// Structured response claims; the built-in registry holds none of them
// (it is left as it was).
func TestGPConnectRegistry(t *testing.T) {
	for _, name := range []string{"GPConnect-StructuredRecord-Bundle-1", "GPConnect-OperationOutcome-1", "CareConnect-GPC-Patient-1",
		"CareConnect-GPC-Organization-1", "CareConnect-GPC-Practitioner-1", "CareConnect-GPC-PractitionerRole-1", "CareConnect-GPC-Location-1",
		"CareConnect-GPC-AllergyIntolerance-1", "CareConnect-GPC-List-1", "CareConnect-GPC-Medication-1", "CareConnect-GPC-MedicationStatement-1",
		"CareConnect-GPC-MedicationRequest-1", "CareConnect-GPC-ProblemHeader-Condition-1", "CareConnect-GPC-Immunization-1",
		"CareConnect-GPC-Observation-1", "CareConnect-GPC-Encounter-1", "CareConnect-GPC-DiagnosticReport-1", "CareConnect-GPC-Specimen-1",
		"CareConnect-GPC-ProcedureRequest-1", "CareConnect-GPC-ReferralRequest-1", "CareConnect-GPC-DocumentReference-1"} {
		url := "https://fhir.nhs.uk/STU3/StructureDefinition/" + name
		if !GPConnect().Known(url) {
			t.Errorf("the GP Connect registry does not know %s", url)
		}
		if Builtin().Known(url) {
			t.Errorf("the built-in STU3 registry knows %s", url)
		}
	}
	if d, ok := GPConnect().Lookup("https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-List-1"); !ok || d.Version != "1.7.0" || d.Type != "List" {
		t.Errorf("CareConnect-GPC-List-1: %+v", d)
	}
	for _, url := range []string{"http://hl7.org/fhir/StructureDefinition/Patient", "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1"} {
		if !GPConnect().Known(url) {
			t.Errorf("the GP Connect registry lost %s", url)
		}
	}
}

// What a GP Connect profile adds to Care Connect's is checked: the
// AllergyIntolerance's fixed verification status, the List's required
// code and note text.
func TestGPConnectChecks(t *testing.T) {
	cases := []struct {
		name, res string
		want      []string // prefixes of problems; none: conformant
	}{
		{"a conformant list", `{"resourceType":"List","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-List-1"]},
			"status":"current","mode":"snapshot","title":"Problems","code":{"coding":[{"system":"http://snomed.info/sct","code":"717711000000103","display":"Problems"}]},
			"subject":{"reference":"Patient/1"},"note":[{"text":"Information not available"}],
			"emptyReason":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-ListEmptyReasonCode-1","code":"no-content-recorded","display":"No Content Recorded"}]}}`, nil},
		{"a list without its code or meta.profile", `{"resourceType":"List","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-List-1"]},
			"status":"current","mode":"snapshot","title":"Problems","subject":{"reference":"Patient/1"},"note":[{"author":{"reference":"Practitioner/1"}}]}`,
			[]string{"List.code: is required by the profile (min 1)", "List.note.text: is required by the profile (min 1)"}},
		{"a confirmed allergy", `{"resourceType":"AllergyIntolerance","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1"]},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/cross-care-setting-identifier","value":"1"}],"clinicalStatus":"active","verificationStatus":"confirmed",
			"category":["medication"],"code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005","display":"Allergy to penicillin"}]},
			"patient":{"reference":"Patient/1"},"assertedDate":"2020-01-01","recorder":{"reference":"Practitioner/1"}}`, []string{"AllergyIntolerance.verificationStatus"}},
		// relatedClinicalContent's value may be a Reference to anything
		// (its types list a plain Reference beside targeted ones), as GP
		// Connect's own example links a problem to a MedicationRequest; the
		// subject stays a Patient.
		{"a problem linked to a prescription", problemHeader(`"subject":{"reference":"Patient/1"}`), nil},
		{"a problem about a Location", problemHeader(`"subject":{"reference":"Location/1"}`), []string{"Condition.subject: refers to a Location"}},
		// GP Connect's Device.note.author names two of its targets as the
		// Reference's profile: they are its targets, not any resource.
		{"a device note by an organisation", `{"resourceType":"Device","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Device-1"]},
			"type":{"text":"x"},"note":[{"authorReference":{"reference":"Organization/1"},"text":"x"}]}`,
			[]string{"Device.note.authorReference: refers to a Organization; the profile allows RelatedPerson, Patient, Practitioner"}},
		{"a device note by a practitioner", `{"resourceType":"Device","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Device-1"]},
			"type":{"coding":[{"system":"http://snomed.info/sct","code":"14106009","display":"Cardiac pacemaker"}]},"note":[{"authorReference":{"reference":"Practitioner/1"},"text":"x"}]}`, nil},
		// RelatedProblemHeader is defined for Condition, yet GP Connect's
		// List slices it (a Topic linked to its problem): where a claimed
		// profile names an extension, it may stand; elsewhere it may not.
		{"a topic linked to its problem", `{"resourceType":"List","id":"t","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-List-1"]},
			"extension":[{"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1","extension":[{"url":"target","valueReference":{"reference":"Condition/1"}}]}],
			"status":"current","mode":"snapshot","title":"Asthma","code":{"coding":[{"system":"http://snomed.info/sct","code":"25851000000105","display":"Topic (EHR)"}]},
			"subject":{"reference":"Patient/1"},"encounter":{"reference":"Encounter/1"},"entry":[{"item":{"reference":"Condition/1"}}]}`, nil},
		// A slice under a slice (coding:snomedCT.extension:…) does not
		// carry its extension to every coding: on a Read coding the SNOMED
		// description id is still out of its context.
		{"a SNOMED description id on a Read coding", `{"resourceType":"DiagnosticReport","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-DiagnosticReport-1"]},
			"identifier":[{"system":"https://fhir.nhs.uk/Id/cross-care-setting-identifier","value":"1"}],"status":"final","subject":{"reference":"Patient/1"},"issued":"2020-01-01T00:00:00Z",
			"code":{"coding":[{"extension":[{"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-coding-sctdescid","extension":[{"url":"descriptionId","valueId":"123"}]}],"system":"http://read.info/readv2","code":"4I..."}]}}`,
			[]string{"DiagnosticReport.code.coding[0].extension[0]: extension https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-coding-sctdescid is defined for"}},
		// The MedicationRequest profile describes its repeat information
		// extension's inside (the issues allowed an unsignedInt, as GP
		// Connect's guidance says), where the extension's own 1.0.0
		// definition says positiveInt: a resource is checked against what
		// the profile it claims describes.
		{"a repeat plan's issues allowed", repeatPlan(`{"url":"numberOfRepeatPrescriptionsAllowed","valueUnsignedInt":6},{"url":"numberOfRepeatPrescriptionsIssued","valueUnsignedInt":2}`), nil},
		{"a repeat plan's issues allowed as a positiveInt", repeatPlan(`{"url":"numberOfRepeatPrescriptionsAllowed","valuePositiveInt":6},{"url":"numberOfRepeatPrescriptionsIssued","valueUnsignedInt":2}`),
			[]string{"MedicationRequest.extension[1].extension[0].valuePositiveInt: is a PositiveInt; the profile allows value[x] as unsignedInt"}},
		{"a repeat plan without its issues", repeatPlan(`{"url":"numberOfRepeatPrescriptionsAllowed","valueUnsignedInt":6}`),
			[]string{"MedicationRequest.extension[1].extension:numberOfRepeatPrescriptionsIssued: is required by the profile (min 1)"}},
		{"an encounter linked to a problem", `{"resourceType":"Encounter","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Encounter-1"]},
			"extension":[{"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1","extension":[{"url":"target","valueReference":{"reference":"Condition/1"}}]}],
			"identifier":[{"system":"https://fhir.nhs.uk/Id/cross-care-setting-identifier","value":"1"}],"status":"finished","subject":{"reference":"Patient/1"},
			"period":{"start":"2020-01-01"}}`, []string{"Encounter.extension[0]: extension https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1 is defined for Condition"}},
	}
	for _, c := range cases {
		var m map[string]any
		if err := json.Unmarshal([]byte(c.res), &m); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range GPConnect().Check(m) {
			got = append(got, p.String())
		}
		if len(c.want) == 0 && len(got) > 0 {
			t.Errorf("%s has problems:\n%s", c.name, strings.Join(got, "\n"))
		}
		for _, w := range c.want {
			found := false
			for _, g := range got {
				found = found || strings.HasPrefix(g, w)
			}
			if !found {
				t.Errorf("%s: want a problem %q; got\n%s", c.name, w, strings.Join(got, "\n"))
			}
		}
		if len(c.want) > 0 {
			if ps := Builtin().Check(m); !slices.ContainsFunc(ps, func(p Problem) bool { return strings.Contains(p.Msg, "names no known profile") }) {
				t.Errorf("%s: the built-in registry does not know the GP Connect profile: %v", c.name, ps)
			}
		}
	}
}

// problemHeader is a ProblemHeader Condition linked to a MedicationRequest,
// with the subject given.
func problemHeader(subject string) string {
	return `{"resourceType":"Condition","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProblemHeader-Condition-1"]},
		"extension":[{"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-ProblemSignificance-1","valueCode":"major"},
		{"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedClinicalContent-1","valueReference":{"reference":"MedicationRequest/1"}}],
		"identifier":[{"system":"https://fhir.nhs.uk/Id/cross-care-setting-identifier","value":"1"}],"clinicalStatus":"active",
		"category":[{"coding":[{"system":"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1","code":"problem-list-item","display":"Problem List Item"}]}],
		"code":{"coding":[{"system":"http://snomed.info/sct","code":"38341003","display":"Hypertensive disorder"}]},` + subject + `,"assertedDate":"2020-01-01","asserter":{"reference":"Practitioner/1"}}`
}

// repeatPlan is a GP Connect repeat plan (a MedicationRequest of intent
// plan) whose repeat information holds the parts given.
func repeatPlan(parts string) string {
	return `{"resourceType":"MedicationRequest","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-MedicationRequest-1"]},
		"extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1","valueCodeableConcept":{"coding":[{"system":"https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1","code":"repeat","display":"Repeat"}]}},
			{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationRepeatInformation-1","extension":[` + parts + `]}],
		"identifier":[{"system":"https://fhir.nhs.uk/Id/cross-care-setting-identifier","value":"1"}],"status":"active","intent":"plan",
		"medicationReference":{"reference":"Medication/1"},"subject":{"reference":"Patient/1"},"authoredOn":"2020-01-01","recorder":{"reference":"Practitioner/1"},
		"dosageInstruction":[{"text":"one a day"}],"dispenseRequest":{"validityPeriod":{"start":"2020-01-01"}}}`
}
