package profile

import (
	"os"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir/stu3"
)

func check(t *testing.T, file string) []string {
	t.Helper()
	return checkFile(t, Builtin(), file)
}

func checkR4(t *testing.T, file string) []string {
	t.Helper()
	return checkFile(t, BuiltinR4(), file)
}

// checkFile checks a resource of testdata with a registry: its problems,
// as text.
func checkFile(t *testing.T, reg *Registry, file string) []string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := reg.CheckJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return problemStrings(ps)
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

// Where a profile does not list an element's children, the value is
// checked against its type's definition: a data type, a profile of one, an
// extension's own definition, a contained resource's type. A choice
// element takes only the types its definition allows.
func TestTypesDefinitionsBelowTheProfile(t *testing.T) {
	cases := []struct{ res, want string }{
		// Narrative.div is 1..1 and Narrative.status bound to narrative-status.
		{`{"resourceType":"Patient","text":{"status":"made-up"}}`,
			"Patient.text.div: is required by the profile (min 1)\n" +
				`Patient.text.status: "made-up" is not in the required value set http://hl7.org/fhir/ValueSet/narrative-status`},
		// SimpleQuantity forbids a comparator (Dosage.doseQuantity).
		{`{"resourceType":"MedicationStatement","status":"active","subject":{"reference":"Patient/1"},"taken":"y","medicationCodeableConcept":{"text":"x"},"dosage":[{"doseQuantity":{"value":1,"comparator":"<"}}]}`,
			"MedicationStatement.dosage.doseQuantity.comparator: is not allowed by the profile (max 0)"},
		// A choice of a type the element does not allow.
		{`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueAge":{"value":3}}`,
			"Observation.valueAge: is a Age; the profile allows value[x] as Quantity, CodeableConcept, string, boolean, Range, Ratio, SampledData, Attachment, time, dateTime, Period"},
		// An extension of a known url, checked against its definition:
		// data-absent-reason takes a code of its value set.
		{`{"resourceType":"Patient","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"forgot"}]},"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"forgot"}]}`,
			`Patient.extension.valueCode: "forgot" is not in the required value set http://hl7.org/fhir/ValueSet/data-absent-reason`},
		// A contained resource, against its type.
		{`{"resourceType":"Observation","status":"final","code":{"text":"x"},"contained":[{"resourceType":"FamilyMemberHistory","status":"completed","patient":{"reference":"Patient/1"}}]}`,
			"Observation.contained.relationship: is required by the profile (min 1)"},
	}
	for _, c := range cases {
		ps, err := CheckJSON([]byte(c.res))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(problemStrings(ps), "\n"); got != c.want {
			t.Errorf("%s\n got %s\nwant %s", c.res, got, c.want)
		}
	}
}

// A folder of definitions: elements without ids are given FHIR's, a later
// version replaces an earlier one, and a profile from the folder is
// checked.
func TestLoadFolder(t *testing.T) {
	dir := t.TempDir()
	sd := func(version, max string) string {
		return `{"resourceType":"StructureDefinition","url":"https://example.org/StructureDefinition/P","version":"` + version + `","kind":"resource","type":"Patient","derivation":"constraint","baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient",
		"snapshot":{"element":[{"path":"Patient","min":0,"max":"*"},
		{"path":"Patient.identifier","min":0,"max":"*","type":[{"code":"Identifier"}],"slicing":{"discriminator":[{"type":"value","path":"system"}]}},
		{"path":"Patient.identifier","sliceName":"local","min":1,"max":"` + max + `","type":[{"code":"Identifier"}]},
		{"path":"Patient.identifier.system","min":1,"max":"1","fixedUri":"https://example.org/id"},
		{"path":"Patient.name","min":0,"max":"*","type":[{"code":"HumanName"}]}]}}`
	}
	os.WriteFile(dir+"/a.json", []byte(sd("1.10.0", "2")), 0o644)
	os.WriteFile(dir+"/b.json", []byte(sd("1.9.0", "*")), 0o644)
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := r.Lookup("https://example.org/StructureDefinition/P")
	if !ok || d.Version != "1.10.0" || d.Type != "Patient" || !d.Profile || d.File != dir+"/a.json" {
		t.Fatalf("lookup: %+v %v", d, ok)
	}
	ps := r.Check(map[string]any{"resourceType": "Patient", "meta": map[string]any{"profile": []any{"https://example.org/StructureDefinition/P"}},
		"identifier": []any{map[string]any{"system": "https://example.org/id", "value": "1"}, map[string]any{"system": "https://example.org/id", "value": "2"}, map[string]any{"system": "https://example.org/id", "value": "3"}}})
	if got := strings.Join(problemStrings(ps), "\n"); got != "Patient.identifier:local: has 3, the profile allows at most 2" {
		t.Errorf("the folder's profile: %s", got)
	}
	if Builtin().Known("https://example.org/StructureDefinition/P") {
		t.Error("the built-in registry changed")
	}
}

func TestLaterVersion(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"1.10.0", "1.9.0", true}, {"1.9.0", "1.10.0", false}, {"1.1", "1.1", false}, {"1.1.1", "1.1", true}, {"3.0.1", "", true}, {"b", "a", true}} {
		if got := laterVersion(c.a, c.b); got != c.want {
			t.Errorf("laterVersion(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// The built-in registry holds every STU3 resource and data type.
func TestBuiltinHoldsEverySTU3Type(t *testing.T) {
	types := append(stu3.Types(stu3.Resource), stu3.Types(stu3.Complex)...)
	for _, typ := range append(types, stu3.Types(stu3.Primitive)...) {
		d, ok := Builtin().Lookup(BaseURL(typ))
		if typ == "SimpleQuantity" { // STU3 defines it as a profile of Quantity
			d.Type, d.Profile = typ, false
		}
		if !ok || d.Type != typ || d.Profile {
			t.Errorf("%s: %+v %v", typ, d, ok)
		}
	}
}
