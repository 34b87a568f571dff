package mapping

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir/profile"
)

// STU3 elements whose parts R4 spreads over elements of their own:
// Immunization.explanation's reason is R4's reasonCode and its
// reasonNotGiven R4's statusReason (one reason); Observation.related's
// links are R4's hasMember (has-member) and derivedFrom (derived-from),
// each link its target. A link of a type R4 has no element for keeps the
// mapping off R4, saying so.
func TestR4SpreadsExplanationAndRelated(t *testing.T) {
	set, err := loadR4(t, File{Name: "immunization.yaml", Data: []byte(`
resource: Immunization
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Immunization-1
from: { table: I, key: ID }
element:
  status: completed
  notGiven: { column: NOT_GIVEN, transform: boolean }
  vaccineCode: { text: { column: VACCINE } }
  patient:
    reference: { resource: Patient, key: PID }
  date: { column: GIVEN }
  primarySource: true
  explanation:
    reason:
      - text: { column: WHY }
    reasonNotGiven:
      - text: { column: WHY_NOT }
r4:
  omit: [notGiven]
  element:
    status:
      first:
        - { value: not-done, when: { column: NOT_GIVEN, equals: "Y" } }
        - { value: completed }
`)}, File{Name: "observation.yaml", Data: []byte(`
resource: Observation
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1
from: { table: O, key: ID }
element:
  status: final
  code: { text: { column: NAME } }
  subject:
    reference: { resource: Patient, key: PID }
  related:
    - type: has-member
      target:
        reference: { resource: Observation, key: MEMBER }
    - type: derived-from
      target:
        reference: { resource: Observation, key: SOURCE }
        display: { column: SOURCE_NAME }
`)})
	if err != nil {
		t.Fatal(err)
	}
	imm := renderR4(t, set.Lookup("Immunization"), map[string]any{"ID": 1, "PID": 2, "VACCINE": "Flu", "GIVEN": "2024-01-02", "NOT_GIVEN": "Y", "WHY": "Travel", "WHY_NOT": "Declined"})
	for _, want := range []string{`"status":"not-done"`, `"statusReason":{"text":"Declined"}`, `"reasonCode":[{"text":"Travel"}]`} {
		if !strings.Contains(imm, want) {
			t.Errorf("R4 Immunization lacks %s: %s", want, imm)
		}
	}
	if strings.Contains(imm, "explanation") {
		t.Errorf("R4 Immunization keeps explanation: %s", imm)
	}
	obs := renderR4(t, set.Lookup("Observation"), map[string]any{"ID": 1, "PID": 2, "NAME": "Panel", "MEMBER": 7, "SOURCE": 8, "SOURCE_NAME": "Source"})
	for _, want := range []string{`"hasMember":[{"reference":"Observation/7"}]`, `"derivedFrom":[{"reference":"Observation/8","display":"Source"}]`} {
		if !strings.Contains(obs, want) {
			t.Errorf("R4 Observation lacks %s: %s", want, obs)
		}
	}
	if strings.Contains(obs, "related") {
		t.Errorf("R4 Observation keeps related: %s", obs)
	}

	// A link R4 has no element for, or a type from a column.
	for typ, says := range map[string]string{"replaces": "replaces", "{ column: KIND }": "fixed type"} {
		set, err := loadR4(t, File{Name: "observation.yaml", Data: []byte(`
resource: Observation
from: { table: O, key: ID }
element:
  status: final
  code: { text: { column: NAME } }
  related:
    - type: ` + typ + `
      target:
        reference: { resource: Observation, key: OTHER }
`)})
		if err != nil {
			t.Fatal(err)
		}
		m := set.Lookup("Observation")
		if m.Serves(R4) || !strings.Contains(Errors(m.R4Problems()).Error(), says) {
			t.Errorf("related of type %s: served %v, problems %v", typ, m.Serves(R4), m.R4Problems())
		}
	}
}

// An extension UK Core placed elsewhere moves there: Care Connect's
// discharge method, on Encounter.hospitalization, is UK Core's on the
// Encounter. Care Connect extensions UK Core 2.0.2 has no counterpart
// for (the medication quantity text, the change summary, anaesthetic
// issues, the reason condition) are left out.
func TestR4MovesExtensions(t *testing.T) {
	set, err := loadR4(t, File{Name: "encounter.yaml", Data: []byte(`
resource: Encounter
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Encounter-1
from: { table: E, key: ID }
element:
  extension:
    - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-OutcomeOfAttendance-1
      valueCodeableConcept: { text: { column: OUTCOME } }
  status: finished
  class: { system: http://hl7.org/fhir/v3/ActCode, code: IMP }
  subject:
    reference: { resource: Patient, key: PID }
  hospitalization:
    extension:
      - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-DischargeMethod-1
        valueCodeableConcept: { text: { column: METHOD } }
    dischargeDisposition: { text: { column: DEST } }
`)}, File{Name: "procedure.yaml", Data: []byte(`
resource: Procedure
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Procedure-1
from: { table: PR, key: ID }
element:
  extension:
    - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-AnaestheticIssues-1
      valueCodeableConcept: { text: { column: ISSUES } }
  status: completed
  code: { text: { column: NAME } }
  subject:
    reference: { resource: Patient, key: PID }
`)})
	if err != nil {
		t.Fatal(err)
	}
	enc := renderR4(t, set.Lookup("Encounter"), map[string]any{"ID": 1, "PID": 2, "OUTCOME": "Discharged", "METHOD": "Clinical", "DEST": "Home"})
	for _, want := range []string{
		`"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-OutcomeOfAttendance","valueCodeableConcept":{"text":"Discharged"}},{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-DischargeMethod","valueCodeableConcept":{"text":"Clinical"}}]`,
		`"hospitalization":{"dischargeDisposition":{"text":"Home"}}`,
	} {
		if !strings.Contains(enc, want) {
			t.Errorf("R4 Encounter lacks %s: %s", want, enc)
		}
	}
	proc := renderR4(t, set.Lookup("Procedure"), map[string]any{"ID": 1, "PID": 2, "ISSUES": "None", "NAME": "Op"})
	if strings.Contains(proc, "AnaestheticIssues") || strings.Contains(proc, "extension") {
		t.Errorf("R4 Procedure keeps the anaesthetic issues: %s", proc)
	}
}

// Care Connect's medication status reason (a complex extension) is R4's
// MedicationRequest.statusReason: its statusReason part's value; the
// change date has no R4 home and is left out.
func TestR4MedicationStatusReason(t *testing.T) {
	set, err := loadR4(t, File{Name: "medicationrequest.yaml", Data: []byte(`
resource: MedicationRequest
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-MedicationRequest-1
from: { table: M, key: ID }
element:
  extension:
    - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationStatusReason-1
      extension:
        - url: statusReason
          valueCodeableConcept: { text: { column: WHY } }
        - url: statusChangeDate
          valueDateTime: { column: CHANGED }
  status: stopped
  intent: order
  medicationCodeableConcept: { text: { column: DRUG } }
  subject:
    reference: { resource: Patient, key: PID }
`)})
	if err != nil {
		t.Fatal(err)
	}
	mr := renderR4(t, set.Lookup("MedicationRequest"), map[string]any{"ID": 1, "PID": 2, "WHY": "Side effects", "CHANGED": "2024-02-03", "DRUG": "Aspirin"})
	if !strings.Contains(mr, `"status":"stopped","statusReason":{"text":"Side effects"}`) || strings.Contains(mr, "extension") || strings.Contains(mr, "2024-02-03") {
		t.Errorf("R4 MedicationRequest: %s", mr)
	}
}

// Care Connect's allergy end, on the AllergyIntolerance, is UK Core's on
// its clinicalStatus (the CodeableConcept R4 makes of the STU3 code), and
// meets UK Core.
func TestR4AllergyEndOnClinicalStatus(t *testing.T) {
	set, err := loadR4(t, File{Name: "allergy.yaml", Data: []byte(`
resource: AllergyIntolerance
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-AllergyIntolerance-1
from: { table: A, key: ID }
element:
  extension:
    - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-AllergyIntoleranceEnd-1
      extension:
        - url: endDate
          valueDateTime: { column: ENDED }
        - url: reasonEnded
          valueString: { column: WHY }
      when: { column: ENDED }
  clinicalStatus: { column: STATUS }
  verificationStatus: confirmed
  code: { text: { column: TEXT } }
  patient:
    reference: { resource: Patient, key: PID }
`)})
	if err != nil {
		t.Fatal(err)
	}
	m := set.Lookup("AllergyIntolerance")
	ended := renderR4(t, m, map[string]any{"ID": 1, "PID": 2, "STATUS": "resolved", "ENDED": "2024-03-04", "WHY": "Outgrown", "TEXT": "Peanut"})
	want := `"clinicalStatus":{"extension":[{"extension":[{"url":"endDate","valueDateTime":"2024-03-04"},{"url":"reasonEnded","valueString":"Outgrown"}],"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-AllergyIntoleranceEnd"}],"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"resolved"}]}`
	if !strings.Contains(ended, want) || strings.Contains(ended, `"resourceType":"AllergyIntolerance","id":"1","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-AllergyIntolerance"]},"extension"`) {
		t.Errorf("R4 AllergyIntolerance: %s\nwant %s", ended, want)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(ended), &res); err != nil {
		t.Fatal(err)
	}
	for _, p := range profile.CheckR4(res) {
		t.Errorf("UK Core: %s", p)
	}
	active := renderR4(t, m, map[string]any{"ID": 2, "PID": 2, "STATUS": "active", "TEXT": "Peanut"})
	if !strings.Contains(active, `"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]}`) {
		t.Errorf("R4 AllergyIntolerance not ended: %s", active)
	}
}

// STU3's vaccination protocol is R4's protocolApplied: doseSequence is
// doseNumberPositiveInt, seriesDoses seriesDosesPositiveInt; its dose
// status has no R4 home, and the mapping's r4 section omits it.
func TestR4ProtocolApplied(t *testing.T) {
	imm := func(omit string) string {
		return `
resource: Immunization
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Immunization-1
from: { table: I, key: ID }
element:
  status: completed
  notGiven: false
  vaccineCode: { text: { column: VACCINE } }
  patient:
    reference: { resource: Patient, key: PID }
  date: { column: GIVEN }
  primarySource: true
  vaccinationProtocol:
    - doseSequence: { column: DOSE }
      series: { column: SERIES }
      seriesDoses: { column: DOSES }
      targetDisease:
        - text: { column: DISEASE }
      doseStatus:
        coding:
          - system: http://hl7.org/fhir/vaccination-protocol-dose-status
            code: count
` + omit
	}
	set, err := loadR4(t, File{Name: "immunization.yaml", Data: []byte(imm("r4:\n  omit: [vaccinationProtocol.doseStatus]\n"))})
	if err != nil {
		t.Fatal(err)
	}
	got := renderR4(t, set.Lookup("Immunization"), map[string]any{"ID": 1, "PID": 2, "VACCINE": "Flu", "GIVEN": "2024-01-02", "DOSE": 1, "SERIES": "Primary", "DOSES": 2, "DISEASE": "Influenza"})
	want := `"protocolApplied":[{"series":"Primary","targetDisease":[{"text":"Influenza"}],"doseNumberPositiveInt":1,"seriesDosesPositiveInt":2}]`
	if !strings.Contains(got, want) || strings.Contains(got, "vaccinationProtocol") || strings.Contains(got, "count") {
		t.Errorf("R4 Immunization: %s\nwant %s", got, want)
	}
	set, err = loadR4(t, File{Name: "immunization.yaml", Data: []byte(imm(""))})
	if err != nil {
		t.Fatal(err)
	}
	if m := set.Lookup("Immunization"); m.Serves(R4) || !strings.Contains(Errors(m.R4Problems()).Error(), "doseStatus") {
		t.Errorf("a dose status R4 has no home for: served %v, %v", m.Serves(R4), m.R4Problems())
	}
}

// An Observation whose row shows the laboratory category claims
// UKCore-Observation-Lab on R4, read through the row's concept map or
// beside a fixed system; the others UKCore-Observation; a profile the r4
// section names is every row's.
func TestR4LaboratoryProfilePerRow(t *testing.T) {
	obs := func(category, r4 string) File {
		return File{Name: "observation.yaml", Data: []byte(`
resource: Observation
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1
from: { table: O, key: ID }
element:
  status: final
  category:
` + category + `
  code: { text: { column: NAME } }
  subject:
    reference: { resource: Patient, key: PID }
concepts:
  cat:
    system: http://hl7.org/fhir/observation-category
    map: { HB: laboratory, BP: vital-signs }
` + r4)}
	}
	const lab, plain = `"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation-Lab"]`, `"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation"]`
	for _, c := range []struct {
		name, category, r4 string
		want               map[string]string // KIND → profile
	}{
		{"concept map", "    - coding:\n        - { column: KIND, concept: cat }", "", map[string]string{"HB": lab, "BP": plain}},
		{"fixed system", "    - coding:\n        - system: http://hl7.org/fhir/observation-category\n          code: { column: KIND, transform: lower }", "", map[string]string{"LABORATORY": lab, "EXAM": plain}},
		{"r4 profile", "    - coding:\n        - { column: KIND, concept: cat }", "r4:\n  profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-Observation\n", map[string]string{"HB": plain, "BP": plain}},
	} {
		set, err := loadR4(t, obs(c.category, c.r4))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for kind, want := range c.want {
			got := renderR4(t, set.Lookup("Observation"), map[string]any{"ID": 1, "PID": 2, "NAME": "x", "KIND": kind})
			if !strings.Contains(got, want) {
				t.Errorf("%s, %s: %s, want %s", c.name, kind, got, want)
			}
		}
	}
}
