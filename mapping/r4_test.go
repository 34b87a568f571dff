package mapping

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/fhir/r4"
	"github.com/ccfacade/ccfacade/fhir/spec"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"github.com/ccfacade/ccfacade/mappingsets"
)

// r4Patient is the patient the R4 test mappings reference.
var r4Patient = File{Name: "patient.yaml", Data: []byte(`
resource: Patient
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1
from: { table: P, key: ID }
element:
  extension:
    - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-EthnicCategory-1
      valueCodeableConcept: { column: ETHNIC, concept: ethnic }
  identifier:
    - system: https://fhir.nhs.uk/Id/nhs-number
      value: { column: NHS }
      extension:
        - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-NHSNumberVerificationStatus-1
          valueCodeableConcept:
            coding:
              - system: https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1
                code: { column: NHS_STATUS }
  maritalStatus: { column: MARITAL, concept: marital }
concepts:
  ethnic:
    system: https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-EthnicCategory-1
    map: { W1: A, WX: CA }
  marital:
    system: http://hl7.org/fhir/v3/MaritalStatus
    map:
      M: M
      N: { system: http://hl7.org/fhir/v3/NullFlavor, code: UNK }
`)}

// r4Practitioner is a practitioner they reference.
var r4Practitioner = File{Name: "practitioner.yaml", Data: []byte(`
resource: Practitioner
from: { table: S, key: ID }
element:
  name: [ { family: { column: NAME } } ]
`)}

// loadR4 loads mapping files beside r4Patient and r4Practitioner.
func loadR4(t *testing.T, files ...File) (*Set, error) {
	t.Helper()
	return Load(append([]File{r4Patient, r4Practitioner}, files...), time.UTC)
}

// renderR4 renders a row of m as R4 through both writers, requires them
// to agree and no problem, and returns the JSON.
func renderR4(t *testing.T, m *Mapping, cols map[string]any) string {
	t.Helper()
	if !m.Serves(R4) {
		t.Fatalf("%s is not served as R4: %v", m.Resource, Errors(m.R4Problems()))
	}
	r := row(m, cols)
	tree, problems := m.RenderIn(R4, r, nil)
	if len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
	raw, _ := m.RenderJSONIn(R4, r, nil)
	if got, want := string(raw.JSON), string(fhir.AppendJSON(nil, tree)); got != want {
		t.Fatalf("the JSON writer and the tree differ:\n json: %s\n tree: %s", got, want)
	}
	return string(raw.JSON)
}

// The R4 form of a mapping, element by element: codes become
// CodeableConcepts of R4's systems, moved systems and extensions take
// their R4 URLs (by the code where a system was split), an extension
// becomes an element, an element is renamed, hoisted, wrapped into a new
// object or left out when fixed to what R4 says otherwise, a single
// value is written as a list where R4 repeats it, and fields come in R4
// order. The STU3 rendering of the same row is unchanged.
func TestR4FormOfAMapping(t *testing.T) {
	set, err := loadR4(t, File{Name: "allergy.yaml", Data: []byte(`
resource: AllergyIntolerance
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-AllergyIntolerance-1
from: { table: A, key: ID }
element:
  extension:
    - url: http://hl7.org/fhir/StructureDefinition/encounter-associatedEncounter
      valueReference:
        reference: { resource: Encounter, key: ENC }
  clinicalStatus: { column: STATUS, concept: status }
  verificationStatus: confirmed
  code: { text: { column: TEXT } }
  patient:
    reference: { resource: Patient, key: PID }
  assertedDate: { column: RECORDED }
concepts:
  status: { map: { A: active, R: resolved } }
`)}, File{Name: "encounter.yaml", Data: []byte(`
resource: Encounter
from: { table: E, key: ID }
element:
  status: finished
  class: { system: http://hl7.org/fhir/v3/ActCode, code: AMB }
  subject:
    reference: { resource: Patient, key: PID }
`)}, File{Name: "condition.yaml", Data: []byte(`
resource: Condition
from: { table: C, key: ID }
element:
  clinicalStatus: active
  verificationStatus: { column: VS }
  category:
    - coding:
        - system: https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1
          code: presenting-complaint
  code: { text: { column: TEXT } }
  subject:
    reference: { resource: Patient, key: PID }
  context:
    reference: { resource: Encounter, key: ENC }
  stage:
    summary: { text: { column: STAGE } }
`)}, File{Name: "medicationrequest.yaml", Data: []byte(`
resource: MedicationRequest
from: { table: M, key: ID }
element:
  status: active
  intent: order
  medicationCodeableConcept: { text: { column: DRUG } }
  subject:
    reference: { resource: Patient, key: PID }
  requester:
    agent:
      reference: { resource: Patient, key: PID }
  dosageInstruction:
    - text: { column: DOSE }
      doseQuantity: { value: { column: AMOUNT }, unit: tablet }
      rateQuantity: { value: { column: RATE } }
  substitution: { allowed: false }
`)}, File{Name: "immunization.yaml", Data: []byte(`
resource: Immunization
from: { table: I, key: ID }
element:
  status: completed
  notGiven: false
  vaccineCode: { text: { column: VACCINE } }
  patient:
    reference: { resource: Patient, key: PID }
  date: { column: GIVEN }
  primarySource: true
  practitioner:
    - actor:
        reference: { resource: Practitioner, key: STAFF }
`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		typ  string
		cols map[string]any
		want string
	}{
		{"AllergyIntolerance", map[string]any{"ID": int64(1), "ENC": int64(7), "STATUS": "A", "TEXT": "Peanut", "PID": int64(2), "RECORDED": "2020-01-02"},
			`{"resourceType":"AllergyIntolerance","id":"1","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-AllergyIntolerance"]},` +
				`"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},` +
				`"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-verification","code":"confirmed"}]},` +
				`"code":{"text":"Peanut"},"patient":{"reference":"Patient/2"},"encounter":{"reference":"Encounter/7"},"recordedDate":"2020-01-02"}`},
		{"Patient", map[string]any{"ID": int64(2), "ETHNIC": "W1", "NHS": "9000000009", "NHS_STATUS": "01", "MARITAL": "N"},
			`{"resourceType":"Patient","id":"2","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},` +
				`"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland","code":"A"}]}}],` +
				`"identifier":[{"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-NHSNumberVerificationStatus","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-NHSNumberVerificationStatusEngland","code":"01"}]}}],"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000009"}],` +
				`"maritalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-NullFlavor","code":"UNK"}]}}`},
		// A Care Connect ethnic sub-code has no UK Core code: it keeps its system.
		{"Patient", map[string]any{"ID": int64(3), "ETHNIC": "WX"},
			`{"resourceType":"Patient","id":"3","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},` +
				`"extension":[{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-EthnicCategory-1","code":"CA"}]}}]}`},
		{"Encounter", map[string]any{"ID": int64(7), "PID": int64(2)},
			`{"resourceType":"Encounter","id":"7","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},"subject":{"reference":"Patient/2"}}`},
		// STU3 unknown has no R4 verification status: left out.
		{"Condition", map[string]any{"ID": int64(4), "VS": "unknown", "TEXT": "Cough", "PID": int64(2), "ENC": int64(7), "STAGE": "early"},
			`{"resourceType":"Condition","id":"4","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},` +
				`"category":[{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-ConditionCategory","code":"presenting-complaint"}]}],` +
				`"code":{"text":"Cough"},"subject":{"reference":"Patient/2"},"encounter":{"reference":"Encounter/7"},"stage":[{"summary":{"text":"early"}}]}`},
		{"Condition", map[string]any{"ID": int64(5), "VS": "confirmed", "TEXT": "Cough", "PID": int64(2)},
			`{"resourceType":"Condition","id":"5","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},` +
				`"verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},` +
				`"category":[{"coding":[{"system":"https://fhir.hl7.org.uk/CodeSystem/UKCore-ConditionCategory","code":"presenting-complaint"}]}],` +
				`"code":{"text":"Cough"},"subject":{"reference":"Patient/2"}}`},
		{"MedicationRequest", map[string]any{"ID": int64(6), "DRUG": "Aspirin", "PID": int64(2), "DOSE": "one daily", "AMOUNT": "1", "RATE": "2"},
			`{"resourceType":"MedicationRequest","id":"6","status":"active","intent":"order","medicationCodeableConcept":{"text":"Aspirin"},"subject":{"reference":"Patient/2"},` +
				`"requester":{"reference":"Patient/2"},"dosageInstruction":[{"text":"one daily","doseAndRate":[{"doseQuantity":{"value":1,"unit":"tablet"},"rateQuantity":{"value":2}}]}],` +
				`"substitution":{"allowedBoolean":false}}`},
		{"Immunization", map[string]any{"ID": int64(8), "VACCINE": "Flu", "PID": int64(2), "GIVEN": "2021-10-01", "STAFF": int64(9)},
			`{"resourceType":"Immunization","id":"8","status":"completed","vaccineCode":{"text":"Flu"},"patient":{"reference":"Patient/2"},"occurrenceDateTime":"2021-10-01",` +
				`"primarySource":true,"performer":[{"actor":{"reference":"Practitioner/9"}}]}`},
	} {
		m := set.Lookup(c.typ)
		if got := renderR4(t, m, c.cols); got != c.want {
			t.Errorf("%s as R4:\n got %s\nwant %s", c.typ, got, c.want)
		}
	}
	// The STU3 rendering is the mapping as written.
	m := set.Lookup("AllergyIntolerance")
	stu3JSON, problems := m.RenderJSON(row(m, map[string]any{"ID": int64(1), "ENC": int64(7), "STATUS": "A", "TEXT": "Peanut", "PID": int64(2), "RECORDED": "2020-01-02"}), nil)
	if want := `{"resourceType":"AllergyIntolerance","id":"1","meta":{"profile":["https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-AllergyIntolerance-1"]},` +
		`"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/encounter-associatedEncounter","valueReference":{"reference":"Encounter/7"}}],` +
		`"clinicalStatus":"active","verificationStatus":"confirmed","code":{"text":"Peanut"},"patient":{"reference":"Patient/2"},"assertedDate":"2020-01-02"}`; len(problems) != 0 || string(stu3JSON.JSON) != want {
		t.Errorf("STU3:\n got %s %v\nwant %s", stu3JSON.JSON, problems, want)
	}
}

// What R4 does not have and no rule covers keeps a mapping from being
// served as R4, with the reason at its line; the r4 section settles it
// (omit, and state the R4 element), and its own mistakes are errors of
// the mapping.
func TestR4SectionSettlesWhatTheRulesLeaveOpen(t *testing.T) {
	stu3Only := `
resource: MedicationRequest
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-MedicationRequest-1
from: { table: M, key: ID }
element:
  extension:
    - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationRepeatInformation-1
      extension:
        - url: repeatsLeft
          valueUnsignedInt: { column: ISSUED }
  status: active
  intent: order
  medicationCodeableConcept: { text: { column: DRUG } }
  subject:
    reference: { resource: Patient, key: PID }
  definition:
    - display: { column: DRUG }
`
	set, err := loadR4(t, File{Name: "mr.yaml", Data: []byte(stu3Only)})
	if err != nil {
		t.Fatal(err)
	}
	m := set.Lookup("MedicationRequest")
	if m.Serves(R4) || !m.Serves(STU3) {
		t.Fatalf("served as R4: %v, as STU3: %v", m.Serves(R4), m.Serves(STU3))
	}
	got := Errors(m.R4Problems()).Error()
	for _, want := range []string{
		`mr.yaml:9:11: MedicationRequest.extension: part "repeatsLeft" of extension https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationRepeatInformation-1 has no R4 home in the rules`,
		`mr.yaml:17:5: MedicationRequest.definition: R4's MedicationRequest has no element "definition"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("R4 problems:\n%s\nwant one starting %q", got, want)
		}
	}
	if _, problems := m.RenderJSONIn(R4, row(m, map[string]any{"ID": int64(1)}), nil); len(problems) != 1 || !problems[0].Fatal {
		t.Errorf("rendering an R4 form that is not served: %v", problems)
	}
	if names := set.R4Problems(); len(names) != 2 {
		t.Errorf("the set's R4 problems: %v", names)
	}

	settled := stu3Only + `
r4:
  profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest
  omit:
    - https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationRepeatInformation-1
    - definition
  element:
    extension:
      - url: https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationRepeatInformation
        extension:
          - url: numberOfPrescriptionsIssued
            valueUnsignedInt: { column: ISSUED }
    courseOfTherapyType:
      coding:
        - system: http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy
          code: { first: [ { value: continuous, when: { column: ISSUED } }, { value: acute } ] }
    substitution: { allowedBoolean: true }
`
	set, err = loadR4(t, File{Name: "mr.yaml", Data: []byte(settled)})
	if err != nil {
		t.Fatal(err)
	}
	m = set.Lookup("MedicationRequest")
	want := `{"resourceType":"MedicationRequest","id":"1","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest"]},` +
		`"extension":[{"extension":[{"url":"numberOfPrescriptionsIssued","valueUnsignedInt":3}],"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationRepeatInformation"}],` +
		`"status":"active","intent":"order","medicationCodeableConcept":{"text":"Aspirin"},"subject":{"reference":"Patient/2"},` +
		`"courseOfTherapyType":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy","code":"continuous"}]},"substitution":{"allowedBoolean":true}}`
	if got := renderR4(t, m, map[string]any{"ID": int64(1), "ISSUED": int64(3), "DRUG": "Aspirin", "PID": int64(2)}); got != want {
		t.Errorf("settled:\n got %s\nwant %s", got, want)
	}

	for _, c := range []struct{ edit, want string }{
		{"    - definition\n", "    - definitio\n"},
		{"profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest", "profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"},
		{"    substitution: { allowedBoolean: true }", "    substitution: { allowed: true }"},
	} {
		_, err := loadR4(t, File{Name: "mr.yaml", Data: []byte(strings.Replace(settled, c.edit, c.want, 1))})
		if err == nil {
			t.Errorf("%q: loaded", c.want)
			continue
		}
		msgs := map[string]string{
			"    - definitio\n": `mr.yaml:23:7: MedicationRequest r4.omit: "definitio" is neither an element the mapping builds`,
			"profile: https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient": `mr.yaml:20:12: MedicationRequest r4.profile: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient" is not a UK Core profile of MedicationRequest`,
			"    substitution: { allowed: true }":                                 `mr.yaml:34:21: MedicationRequest.substitution: MedicationRequest.substitution has no element "allowed"`,
		}
		if !strings.Contains(err.Error(), msgs[c.want]) {
			t.Errorf("%q: error\n%v\nwant one starting %q", c.want, err, msgs[c.want])
		}
	}
}

// Search parameters keep their names on R4 but where R4 renamed them
// (following the element they search), and STU3's that R4 does not have
// are not offered.
func TestR4SearchParameterNames(t *testing.T) {
	set, err := loadR4(t, File{Name: "condition.yaml", Data: []byte(`
resource: Condition
from: { table: C, key: ID }
element:
  code: { text: { column: TEXT } }
  subject:
    reference: { resource: Patient, key: PID }
  assertedDate: { column: RECORDED }
search:
  asserted-date: { type: date, column: RECORDED }
  patient: { type: reference, column: PID, target: [Patient] }
`)}, File{Name: "immunization.yaml", Data: []byte(`
resource: Immunization
from: { table: I, key: ID }
element:
  status: completed
  notGiven: false
  vaccineCode: { text: { column: VACCINE } }
  patient:
    reference: { resource: Patient, key: PID }
  primarySource: true
search:
  notgiven: { type: token, column: NG }
  status: {}
`)})
	if err != nil {
		t.Fatal(err)
	}
	cond, imm := set.Lookup("Condition"), set.Lookup("Immunization")
	if got := cond.SearchNamesIn(R4); !slices.Equal(got, []string{"recorded-date", "patient"}) {
		t.Errorf("Condition on R4: %v", got)
	}
	if sp := cond.SearchParamIn(R4, "recorded-date"); sp == nil || sp != cond.SearchParam("asserted-date") || cond.ParamNameIn(R4, sp) != "recorded-date" {
		t.Errorf("recorded-date on R4 is %v", sp)
	}
	if cond.SearchParamIn(R4, "asserted-date") != nil || cond.SearchParamIn(STU3, "asserted-date") == nil {
		t.Error("asserted-date is STU3's name only")
	}
	if got := imm.SearchNamesIn(R4); !slices.Equal(got, []string{"status"}) {
		t.Errorf("Immunization on R4: %v", got)
	}
}

// Token searches on R4 name R4's systems: each stands for the STU3
// systems (or none, for an STU3 code written as R4's CodeableConcept)
// whose codes moved into it.
func TestSTU3SystemsOfAnR4System(t *testing.T) {
	for r4sys, want := range map[string][]string{
		"http://terminology.hl7.org/CodeSystem/observation-category":        {"http://hl7.org/fhir/observation-category"},
		"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical": {"http://hl7.org/fhir/allergy-clinical-status", ""},
		"http://terminology.hl7.org/CodeSystem/condition-category":          {"http://hl7.org/fhir/condition-category", "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1"},
		"http://snomed.info/sct": {"http://snomed.info/sct"},
	} {
		if got := STU3Systems(r4sys, ""); !slices.Equal(got, want) {
			t.Errorf("STU3Systems(%s) = %v, want %v", r4sys, got, want)
		}
	}
	// A rule that moved some codes only stands for its STU3 system for
	// those codes: UK Core's condition category took two of Care
	// Connect's; its others stay in HL7's.
	ukcat, hl7cat := "https://fhir.hl7.org.uk/CodeSystem/UKCore-ConditionCategory", "http://terminology.hl7.org/CodeSystem/condition-category"
	for _, c := range []struct {
		sys, code string
		want      []string
	}{
		{ukcat, "presenting-complaint", []string{"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1"}},
		{ukcat, "problem-list-item", []string{ukcat}},
		{hl7cat, "problem-list-item", []string{"http://hl7.org/fhir/condition-category", "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-ConditionCategory-1"}},
		{hl7cat, "presenting-complaint", []string{"http://hl7.org/fhir/condition-category"}},
	} {
		if got := STU3Systems(c.sys, c.code); !slices.Equal(got, c.want) {
			t.Errorf("STU3Systems(%s, %s) = %v, want %v", c.sys, c.code, got, c.want)
		}
	}
}

// r4ElemType is the R4 type an STU3 type's elements are in: the resource or
// data type itself, or the backbone type at the R4 path its STU3 path
// becomes by the element rules.
func r4ElemType(t *testing.T, stu3Type string) *spec.Type {
	t.Helper()
	parts := strings.Split(stu3Type, ".")
	cur, owner := r4.Lookup(r4TypeOf(parts[0])), parts[0]
	for _, p := range parts[1:] {
		name := p
		if r := elementRuleOf[owner+"."+p]; r != nil && r.To != "" {
			name = r.To
		}
		owner += "." + p
		if cur == nil {
			return nil
		}
		_, typ, ok := cur.Element(name)
		if !ok {
			return nil
		}
		cur = r4.Lookup(typ)
	}
	return cur
}

// The rules hold to the two releases' tables: every element a rule
// names is an STU3 element, and what it makes of it an R4 element of a
// type that takes its values; every parameter it renames is an R4
// parameter of the same type; every profile constrains an R4 type; every
// URL it writes is R4's or UK Core's.
func TestR4RulesAgainstTheTables(t *testing.T) {
	for _, r := range r4Elements {
		owner, name, _ := strings.Cut(r.Key, ".")
		if i := strings.LastIndex(r.Key, "."); i > 0 {
			owner, name = r.Key[:i], r.Key[i+1:]
		}
		st := stu3.Lookup(owner)
		sel, styp, ok := st.Element(name)
		if st == nil || !ok {
			t.Errorf("%s: no such STU3 element", r.Key)
			continue
		}
		rt := r4ElemType(t, owner)
		if rt == nil {
			t.Errorf("%s: R4 has no type for %s", r.Key, owner)
			continue
		}
		if r.Spread != nil || r.ByType != nil {
			// Each part becomes an R4 element of the owner, of the
			// part's type (Spread: the child's; ByType: the target's).
			moves, from := r.Spread, ""
			if r.ByType != nil {
				moves, from = r.ByType, "target"
				for code := range r.ByType {
					if tel, _, _ := stu3.Lookup(styp).Element("type"); len(tel.Codes) > 0 && !slices.Contains(tel.Codes, code) {
						t.Errorf("%s: %q is not an STU3 type of it", r.Key, code)
					}
				}
			}
			for child, to := range moves {
				if from != "" {
					child = from
				}
				_, ct, ok := stu3.Lookup(styp).Element(child)
				_, rt4, ok4 := rt.Element(to)
				if !ok || !ok4 || ct != rt4 {
					t.Errorf("%s: STU3 %s.%s (%s, %v) becomes R4 %s.%s (%s, %v)", r.Key, styp, child, ct, ok, rt.Name, to, rt4, ok4)
				}
			}
			if _, _, ok := rt.Element(name); ok {
				t.Errorf("%s: spread, but R4's %s has it", r.Key, rt.Name)
			}
			continue
		}
		if r.Drop || r.DropFixed != nil {
			if _, _, ok := rt.Element(name); ok {
				t.Errorf("%s: dropped, but R4's %s has it", r.Key, rt.Name)
			}
			continue
		}
		to := name
		if r.To != "" {
			to = r.To
		}
		el, rtyp, ok := rt.Element(to)
		if !ok {
			t.Errorf("%s: R4's %s has no element %q", r.Key, rt.Name, to)
			continue
		}
		wantType := styp
		switch {
		case r.Hoist != "":
			_, ht, ok := stu3.Lookup(styp).Element(r.Hoist)
			if !ok {
				t.Errorf("%s: STU3's %s has no %s to hoist", r.Key, styp, r.Hoist)
			}
			wantType = ht
		case r.System != "":
			wantType = "CodeableConcept"
		case r.Into != "":
			inner, it, ok := r4.Lookup(rtyp).Element(r.Into)
			if !ok {
				t.Errorf("%s: R4's %s has no %s", r.Key, rtyp, r.Into)
				continue
			}
			_, rtyp, el = inner, it, inner
		}
		if wantType != rtyp && !sameValueTypes[[2]string{wantType, rtyp}] && !(strings.HasPrefix(wantType, owner) && r4.Lookup(rtyp) != nil && r4.Lookup(rtyp).Kind == spec.Backbone) {
			t.Errorf("%s (STU3 %s) becomes %s.%s of type %s", r.Key, wantType, rt.Name, to, rtyp)
		}
		for from, code := range r.Codes {
			if code != "" && len(el.Codes) > 0 && !slices.Contains(el.Codes, code) {
				t.Errorf("%s: %s becomes %q, not an R4 code of %s", r.Key, from, code, to)
			}
			if len(sel.Codes) > 0 && !slices.Contains(sel.Codes, from) {
				t.Errorf("%s: %q is not an STU3 code of it", r.Key, from)
			}
		}
	}
	for _, r := range r4Params {
		s, ok := stu3.LookupSearchParameter(r.Resource, r.STU3)
		d, ok4 := r4.LookupSearchParameter(r4TypeOf(r.Resource), r.R4)
		if !ok || !ok4 || s.Type != d.Type {
			t.Errorf("%s %s → %s: STU3 %v %s, R4 %v %s", r.Resource, r.STU3, r.R4, ok, s.Type, ok4, d.Type)
		}
		if _, _, ok := r4.Lookup(r4TypeOf(r.Resource)).Element(r.Element); r.Element != "" && !ok {
			t.Errorf("%s %s: R4 has no element %s", r.Resource, r.R4, r.Element)
		}
	}
	for _, p := range ukCoreProfiles {
		if !r4.IsResource(p.Type) || !strings.HasPrefix(p.URL, ukCore+"UKCore-"+p.Type) {
			t.Errorf("profile %s of %s", p.URL, p.Type)
		}
	}
	for _, r := range r4Extensions {
		ok := r.Drop || r.Element != "" || r.R4 == "" && r.Parts != nil || strings.HasPrefix(r.R4, ukCore+"Extension-UKCore-") || strings.HasPrefix(r.R4, coreExt)
		if !ok || strings.HasPrefix(r.R4, careConn) || r.R4 != "" && !profile.BuiltinR4().Known(r.R4) {
			t.Errorf("extension rule %+v", r)
		}
		for name, p := range r.Parts {
			if p.Ext != "" && !profile.BuiltinR4().Known(p.Ext) || p.Type != "" && r4.Lookup(p.Type) == nil {
				t.Errorf("extension rule %s, part %s: %+v", r.STU3, name, p)
			}
		}
	}
	for _, r := range r4Systems {
		if !strings.HasPrefix(r.R4, hl7CS) && !strings.HasPrefix(r.R4, ukCoreCS+"UKCore-") {
			t.Errorf("system rule %+v", r)
		}
	}
}

// Every mapping of the demo set is served as R4, with UK Core's profile
// of its type where the STU3 form claims Care Connect's (DiagnosticReport
// and Specimen, which claim none on STU3, claim none on R4: R4's own
// definition); those of a type R4 replaced (ReferralRequest,
// ProcedureRequest) as the type that replaced it (ServiceRequest), which
// claims no profile, as on STU3.
func TestDemoSetServedAsR4(t *testing.T) {
	set, err := LoadFS(mappingsets.Demo, "demo", "mappingsets/demo", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range set.Mappings {
		if !m.Serves(R4) {
			t.Errorf("%s is not served as R4: %v", m.Resource, Errors(m.R4Problems()))
		}
		typ := m.ResourceIn(R4)
		if r4.Lookup(m.Resource) == nil {
			if typ != "ServiceRequest" || m.ProfileIn(R4) != "" || m.IDPrefix == "" {
				t.Errorf("%s, which R4 does not have: served as %s, claims %q, id prefix %q", m.Resource, typ, m.ProfileIn(R4), m.IDPrefix)
			}
			continue
		}
		want := ukCore + "UKCore-" + typ
		if m.Profile == "" {
			want = ""
		}
		if m.ProfileIn(R4) != want {
			t.Errorf("%s claims %q on R4, want %q", m.Resource, m.ProfileIn(R4), want)
		}
	}
}

// A complex Care Connect extension whose parts UK Core moved: the
// repeats allowed become dispenseRequest.numberOfRepeatsAllowed, the
// repeats issued a renamed part of UK Core's repeat information, and a
// Coding's SNOMED description two simple extensions; each part keeps its
// condition, and the result meets UK Core.
func TestR4ExtensionParts(t *testing.T) {
	src := `
resource: MedicationRequest
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-MedicationRequest-1
from: { table: M, key: ID }
element:
  extension:
    - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-MedicationRepeatInformation-1
      extension:
        - url: numberOfRepeatPrescriptionsAllowed
          valuePositiveInt: { column: ALLOWED }
        - url: numberOfRepeatPrescriptionsIssued
          valuePositiveInt: { column: ISSUED }
        - url: authorisationExpiryDate
          valueDateTime: { column: EXPIRES }
  status: active
  intent: order
  medicationCodeableConcept:
    coding:
      - system: http://snomed.info/sct
        code: { column: CODE }
        display: { column: DRUG }
        extension:
          - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-coding-sctdescid
            extension:
              - url: descriptionId
                valueId: { column: DESC_ID }
              - url: descriptionDisplay
                valueString: { column: DESC }
  subject:
    reference: { resource: Patient, key: PID }
r4:
  element:
    substitution: { allowedBoolean: true }
`
	set, err := loadR4(t, File{Name: "mr.yaml", Data: []byte(src)})
	if err != nil {
		t.Fatal(err)
	}
	m := set.Lookup("MedicationRequest")
	got := renderR4(t, m, map[string]any{"ID": int64(1), "ALLOWED": int64(6), "ISSUED": int64(2), "EXPIRES": "2027-01-31", "CODE": "39732311000001104",
		"DRUG": "Amlodipine 5mg tablets", "DESC_ID": "1127691000000112", "DESC": "Amlodipine 5mg tablets", "PID": int64(3)})
	want := `{"resourceType":"MedicationRequest","id":"1","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest"]},` +
		`"extension":[{"extension":[{"url":"numberOfPrescriptionsIssued","valueUnsignedInt":2},{"url":"authorisationExpiryDate","valueDateTime":"2027-01-31"}],"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-MedicationRepeatInformation"}],` +
		`"status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/coding-sctdescid","valueId":"1127691000000112"},` +
		`{"url":"https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-CodingSCTDescDisplay","valueString":"Amlodipine 5mg tablets"}],` +
		`"system":"http://snomed.info/sct","code":"39732311000001104","display":"Amlodipine 5mg tablets"}]},"subject":{"reference":"Patient/3"},` +
		`"dispenseRequest":{"numberOfRepeatsAllowed":6},"substitution":{"allowedBoolean":true}}`
	if got != want {
		t.Errorf("R4:\n got %s\nwant %s", got, want)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(got), &res); err != nil {
		t.Fatal(err)
	}
	if ps := profile.CheckR4(res); len(ps) != 0 {
		t.Errorf("UK Core: %v", ps)
	}
	// A part left out leaves its R4 home out; with none of the repeat
	// parts R4 keeps, no extension, and no empty dispenseRequest.
	got = renderR4(t, m, map[string]any{"ID": int64(1), "CODE": "39732311000001104", "PID": int64(3)})
	want = `{"resourceType":"MedicationRequest","id":"1","meta":{"profile":["https://fhir.hl7.org.uk/StructureDefinition/UKCore-MedicationRequest"]},` +
		`"status":"active","intent":"order","medicationCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"39732311000001104"}]},` +
		`"subject":{"reference":"Patient/3"},"substitution":{"allowedBoolean":true}}`
	if got != want {
		t.Errorf("R4 without the parts:\n got %s\nwant %s", got, want)
	}
	// The mapping builds the element a part goes to: a problem at its line.
	dup := strings.Replace(src, "  subject:\n", "  dispenseRequest:\n    numberOfRepeatsAllowed: 3\n  subject:\n", 1)
	set, err = loadR4(t, File{Name: "mr.yaml", Data: []byte(dup)})
	if err != nil {
		t.Fatal(err)
	}
	if p := Errors(set.Lookup("MedicationRequest").R4Problems()).Error(); !strings.Contains(p, "mr.yaml:10:29: MedicationRequest.dispenseRequest.numberOfRepeatsAllowed: the mapping builds MedicationRequest.dispenseRequest.numberOfRepeatsAllowed, which UK Core fills from this extension") {
		t.Errorf("a part whose element the mapping builds: %s", p)
	}
}
