package gpconnect

import (
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir"
)

// An overlay's mistakes are all reported, in the order of the file, each
// with its line and column: an unknown key, a type that is not a resource, an element the
// type lacks or that is not a code, a code its binding does not allow,
// ended on another type, only on an element that is not a repeating
// reference or with a type that is not a resource.
func TestParseOverlayErrors(t *testing.T) {
	_, err := ParseOverlay("o.yaml", []byte("resources:\n  Patient:\n    colour: blue\n"))
	if err == nil || !strings.Contains(err.Error(), `o.yaml:3: field colour not found`) {
		t.Errorf("unknown key: %v", err)
	}
	text := `resources:
  Patent: { profile: https://x }
  AllergyIntolerance:
    fixed:
      verificationStatus: maybe
      patient: x
    derive:
      category:
        from: [code.coding.code]
        map: { "1": food, "2": drug }
      criticality: { from: [] }
  Patient:
    ended: { date: meta.lastUpdated }
    derive:
      nonsense: { from: [x] }
    only: { managingOrganization: Organization, generalPractitioner: Doctor }
  Immunization:
    extensions:
      - { url: nope, date: x }
      - url: https://x
      - url: https://y
        coding: { system: http://s, from: [a], map: { "1": { code: "2" } } }
    panels:
      - { system: http://snomed.info/sct, code: "1", display: x, parts: [[a], [b]] }
  Observation:
    panels:
      - { system: snomed, code: "1", display: x, parts: [[a], [b]] }
      - { system: http://s, code: "2", display: y, parts: [[a]] }
      - { system: http://s, code: "3", display: z, parts: [[a], []] }
`
	_, err = ParseOverlay("o.yaml", []byte(text))
	if err == nil {
		t.Fatal("no error")
	}
	for _, c := range []struct{ text, want string }{
		{"resources:\n  Observation:\n    filing_comment: comment\n", "o.yaml:3:5: Observation: filing_comment is for DiagnosticReport"},
		{"resources:\n  Observation:\n    status_records:\n      - { system: http://snomed.info/sct, code: \"310375005\" }\n", "o.yaml:3:5: Observation: status_records is for Immunization"},
		{"resources:\n  Immunization:\n    status_records:\n      - { system: http://snomed.info/sct, code: \"310375005\" }\n      - { code: \"310376006\" }\n",
			"o.yaml:5:9: Immunization.status_records[1]: give the code's system (an absolute URI) and code"},
		{"resources:\n  Immunization:\n    status_records:\n      - { system: http://snomed.info/sct, code: \" \" }\n",
			"o.yaml:4:9: Immunization.status_records[0]: give the code's system (an absolute URI) and code"},
		{"resources:\n  DiagnosticReport:\n    filing_comment: remark\n", "o.yaml:3:5: DiagnosticReport has no element remark"},
		{"resources:\n  DiagnosticReport:\n    filing_comment: result\n", "o.yaml:3:5: DiagnosticReport.result is not a single string"},
		{"resources:\n  Immunization:\n    extensions:\n      - { url: https://x, date: date, when: { path: notGiven } }\n", "o.yaml:3:5: Immunization.extensions[0] (https://x): when needs a path and the value it equals"},
		{"resources:\n  Immunization:\n    extensions:\n      - { url: https://x, date: date, when: { path: notgiven, equals: \"true\" } }\n", "o.yaml:3:5: Immunization.extensions[0] (https://x): when.path: Immunization has no element notgiven"},
		{"resources:\n  Immunization:\n    extensions:\n      - { url: https://x, date: date, when: { path: notGiven, equals: \"yes\" } }\n", "o.yaml:3:5: Immunization.extensions[0] (https://x): when: Immunization.notGiven is a boolean: equals true or false, not \"yes\""},
		{"resources:\n  Observation:\n    extensions:\n      - { url: https://x, date: issued, when: { path: valueBoolean, equals: \"no\" } }\n", "o.yaml:3:5: Observation.extensions[0] (https://x): when: Observation.valueBoolean is a boolean: equals true or false, not \"no\""},
		{"resources:\n  Observation:\n    extensions:\n      - { url: https://x, date: issued, when: { path: valueBanana, equals: \"no\" } }\n", "o.yaml:3:5: Observation.extensions[0] (https://x): when.path: Observation has no element valueBanana"},
		{"resources:\n  Immunization:\n    extensions:\n      - { url: https://x, date: date }\n      - { url: https://x, date: date, when: { path: notGiven, equals: \"true\" } }\n", "o.yaml:3:5: Immunization.extensions[0] (https://x): a rule without when comes before another of the same url, which it leaves unused: put the rules with when first"},
	} {
		if _, err := ParseOverlay("o.yaml", []byte(c.text)); err == nil || err.Error() != c.want {
			t.Errorf("%q: %v, want %s", c.text, err, c.want)
		}
	}
	if _, err := ParseOverlay("o.yaml", []byte("resources:\n  DiagnosticReport:\n    filing_comment: conclusion\n")); err != nil {
		t.Errorf("filing_comment: conclusion: %v", err)
	}
	// A condition on a choice element names its chosen form.
	for _, path := range []string{"valueCodeableConcept.coding.code", "valueBoolean", "meta.security.code"} {
		text := "resources:\n  Observation:\n    extensions:\n      - { url: https://x, date: issued, when: { path: " + path + ", equals: \"true\" } }\n"
		if _, err := ParseOverlay("o.yaml", []byte(text)); err != nil {
			t.Errorf("when.path %s: %v", path, err)
		}
	}
	want := []string{
		`o.yaml:2:3: Patent is not an STU3 resource type`,
		`o.yaml:5:7: AllergyIntolerance.verificationStatus: "maybe" is not one of its codes (unconfirmed, confirmed, refuted, entered-in-error)`,
		`o.yaml:6:7: AllergyIntolerance.patient is a Reference, not a code`,
		`o.yaml:10:27: AllergyIntolerance.category: "drug" is not one of its codes (food, medication, environment, biologic)`,
		`o.yaml:11:7: AllergyIntolerance.derive.criticality: from names no path`,
		`o.yaml:13:5: Patient: ended is for AllergyIntolerance`,
		`o.yaml:15:7: Patient has no element nonsense`,
		`o.yaml:16:13: Patient.managingOrganization is not a repeating Reference`,
		`o.yaml:16:49: Patient.only.generalPractitioner: Doctor is not an STU3 resource type`,
		`o.yaml:18:5: Immunization.extensions[0]: url must be an absolute URL`,
		`o.yaml:18:5: Immunization.extensions[1] (https://x): give one of date (a path) or coding`,
		`o.yaml:18:5: Immunization.extensions[2] (https://y): "1" maps to no code and display`,
		`o.yaml:23:5: Immunization: panels are for Observation`,
		`o.yaml:26:5: Observation.panels[0]: the panel's code needs an absolute system, a code and a display`,
		`o.yaml:26:5: Observation.panels[1] (2): parts needs two parts or more, each a list of codes`,
		`o.yaml:26:5: Observation.panels[2] (3): a part with no code`,
	}
	if got := strings.Split(err.Error(), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors\n got %q\nwant %q", got, want)
	}
}

// The overlay turns a Care Connect rendering into the GP Connect one:
// URIs renamed, meta rebuilt, the identifier made (stable, in its place in
// FHIR order), fixed and derived codes set.
func TestApplyOverlay(t *testing.T) {
	set, err := ParseOverlay("set.yaml", []byte(`resources:
  AllergyIntolerance:
    derive:
      category: { from: [code.coding.code, code.text], map: { "1": medication, Codeine: medication }, default: environment }
`))
	if err != nil {
		t.Fatal(err)
	}
	o := withSet(set)
	make := func(code, text string) *fhir.Object {
		a := fhir.NewObject(8)
		a.Add("resourceType", fhir.String("AllergyIntolerance")).Add("id", fhir.String("7")).
			Add("meta", fhir.NewObject(2).Add("lastUpdated", fhir.String("2019-09-08T03:08:41Z")).Add("profile", fhir.Array{fhir.String("https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-AllergyIntolerance-1")})).
			Add("extension", fhir.Array{fhir.NewObject(1).Add("url", fhir.String("https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-Evidence-1"))}).
			Add("clinicalStatus", fhir.String("active")).Add("verificationStatus", fhir.String("confirmed"))
		c := fhir.NewObject(2)
		if code != "" {
			c.Add("coding", fhir.Array{fhir.NewObject(2).Add("system", fhir.String("http://snomed.info/sct")).Add("code", fhir.String(code))})
		}
		c.AddString("text", text)
		return a.Add("code", c)
	}
	ns := namespace("918999198738")
	a := make("1", "Penicillin")
	o.apply(a, ns)
	got := string(fhir.AppendJSON(nil, a))
	want := `{"resourceType":"AllergyIntolerance","id":"7","meta":{"profile":["https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1"]},` +
		`"extension":[{"url":"https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-Evidence-1"}],` +
		`"identifier":[{"system":"https://fhir.nhs.uk/Id/cross-care-setting-identifier","value":"` + uuid5(ns, "AllergyIntolerance/7") + `"}],` +
		`"clinicalStatus":"active","verificationStatus":"unconfirmed","category":["medication"],` +
		`"code":{"coding":[{"system":"http://snomed.info/sct","code":"1"}],"text":"Penicillin"}}`
	if got != want {
		t.Errorf("rendered\n got %s\nwant %s", got, want)
	}
	for _, c := range []struct{ code, text, want string }{{"", "Codeine", "medication"}, {"2", "Latex", "environment"}} {
		a := make(c.code, c.text)
		o.apply(a, ns)
		if v := values(a, "category"); len(v) != 1 || v[0] != c.want {
			t.Errorf("%s %s: category %v, want %s", c.code, c.text, v, c.want)
		}
	}
	// The identifier is the same for the same resource and provider, and
	// differs for another provider.
	if uuid5(ns, "AllergyIntolerance/7") != uuid5(namespace("918999198738"), "AllergyIntolerance/7") || uuid5(ns, "AllergyIntolerance/7") == uuid5(namespace("1"), "AllergyIntolerance/7") {
		t.Error("identifiers are not stable per provider")
	}
	// As Python's uuid.uuid5 makes them (RFC 9562 §5.5).
	if u := uuid5(namespaceURL, "urn:nhs:asid:918999198738"); u != "9819e3d9-99dd-5560-989e-f132a2a728a9" {
		t.Errorf("the provider's namespace %s", u)
	}
	if u := uuid5(ns, "AllergyIntolerance/7"); u != "d46d305f-9f66-562c-8457-25bbb674ae8e" {
		t.Errorf("the allergy's identifier %s", u)
	}
}

// The NHS number's check digit: modulus 11, with 10 never valid.
// The patient section's entries are conditions and values, not scalars;
// a key it does not know is reported.
func TestParseOverlayPatient(t *testing.T) {
	_, err := ParseOverlay("o.yaml", []byte("patient:\n  dissent: Y\n  data_in_transit: [x]\n"))
	if err == nil || !strings.Contains(err.Error(), "o.yaml:2:3: patient.dissent is not a condition") || !strings.Contains(err.Error(), "o.yaml:3:3: patient.data_in_transit is not a date value") {
		t.Errorf("scalars: %v", err)
	}
	if _, err := ParseOverlay("o.yaml", []byte("patient:\n  deceased: { column: X }\n")); err == nil || !strings.Contains(err.Error(), "field deceased not found") {
		t.Errorf("unknown key: %v", err)
	}
	o, err := ParseOverlay("o.yaml", []byte("patient:\n  dissent: { column: X, equals: \"Y\" }\n"))
	if err != nil || o.Patient == nil || o.Patient.Dissent.Kind == 0 || o.Patient.Sensitive.Kind != 0 {
		t.Errorf("a condition: %+v %v", o, err)
	}
}

func TestValidNHSNumber(t *testing.T) {
	for s, want := range map[string]bool{"9434765919": true, "9434765918": false, "943476591": false, "94347659190": false, "943476591a": false, "": false,
		"9000000009": true, "1000000010": false} {
		if validNHSNumber(s) != want {
			t.Errorf("%q: %v, want %v", s, !want, want)
		}
	}
}

// An extensions rule adds a date or a CodeableConcept made from the
// rendering, after the extensions there; it keeps an extension of its url
// the rendering already has, and adds nothing when the rendering holds no
// value to make it from.
func TestApplyExtensions(t *testing.T) {
	set, err := ParseOverlay("set.yaml", []byte(`resources:
  Immunization:
    extensions:
      - { url: "https://x/recorded", date: date }
      - url: "https://x/procedure"
        coding: { system: "http://snomed.info/sct", from: [vaccineCode.coding.code], map: { "1": { code: "10", display: Ten } }, text: vaccineCode.text }
`))
	if err != nil {
		t.Fatal(err)
	}
	o := withSet(set)
	render := func(code, text, date string, ext ...string) string {
		im := fhir.NewObject(6).Add("resourceType", fhir.String("Immunization")).Add("id", fhir.String("1"))
		if len(ext) > 0 {
			var exts fhir.Array
			for _, u := range ext {
				exts = append(exts, fhir.NewObject(2).Add("url", fhir.String(u)).Add("valueString", fhir.String("kept")))
			}
			im.Add("extension", exts)
		}
		im.Add("status", fhir.String("completed"))
		vc := fhir.NewObject(2)
		if code != "" {
			vc.Add("coding", fhir.Array{fhir.NewObject(1).Add("code", fhir.String(code))})
		}
		vc.AddString("text", text)
		im.Add("vaccineCode", fhir.Prune(vc))
		im.AddString("date", date)
		o.apply(im, namespace("1"))
		var out []string
		for _, x := range im.Get("extension").(fhir.Array) {
			out = append(out, string(fhir.AppendJSON(nil, x)))
		}
		return strings.Join(out, " ")
	}
	for _, c := range []struct {
		code, text, date string
		ext              []string
		want             string
	}{
		{"1", "Flu", "2020-01-02", nil, `{"url":"https://x/recorded","valueDateTime":"2020-01-02"} {"url":"https://x/procedure","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"10","display":"Ten"}]}}`},
		{"2", "Shingles", "2020-01-02", nil, `{"url":"https://x/recorded","valueDateTime":"2020-01-02"} {"url":"https://x/procedure","valueCodeableConcept":{"text":"Shingles"}}`},
		{"", "", "", []string{"https://x/other"}, `{"url":"https://x/other","valueString":"kept"}`},
		{"1", "", "2020-01-02", []string{"https://x/recorded"}, `{"url":"https://x/recorded","valueString":"kept"} {"url":"https://x/procedure","valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"10","display":"Ten"}]}}`},
	} {
		if got := render(c.code, c.text, c.date, c.ext...); got != c.want {
			t.Errorf("%q %q %q %v:\n got %s\nwant %s", c.code, c.text, c.date, c.ext, got, c.want)
		}
	}
}
