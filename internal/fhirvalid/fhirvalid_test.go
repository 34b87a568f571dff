package fhirvalid_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/internal/fhirvalid"
)

// The validator must be able to fail: a Patient with a gender outside its
// required value set, or an unknown element, is rejected.
func TestValidatorRejectsInvalidResources(t *testing.T) {
	v := fhirvalid.Validator(t)
	for _, bad := range []string{
		`{"resourceType":"Patient","gender":"mail"}`,
		`{"resourceType":"Patient","colour":"blue"}`,
		`{"resourceType":"Patient","birthDate":"1980-13-01"}`,
		`{"resourceType":"Bundle"}`,
	} {
		if _, err := v.Unmarshal([]byte(bad)); err == nil {
			t.Errorf("validator accepted %s", bad)
		}
	}
}

// changedInR4 are the served types whose R4 form no STU3 parser reads
// (a status that became a CodeableConcept, a renamed element, ...).
var changedInR4 = map[string]bool{"AllergyIntolerance": true, "Condition": true, "Encounter": true, "Immunization": true, "MedicationRequest": true, "MedicationStatement": true}

// The R4 validator accepts UK Core's own examples of the resource types
// the facade serves, and the STU3 validator rejects those of the types
// R4 changed.
func TestR4ValidatorAcceptsUKCoreExamples(t *testing.T) {
	files, err := filepath.Glob("testdata/ukcore/UKCore-*-Example.json")
	if err != nil || len(files) < 18 {
		t.Fatalf("%d examples (%v)", len(files), err)
	}
	r4, stu3 := fhirvalid.ValidatorR4(t), fhirvalid.Validator(t)
	types := map[string]bool{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		_, err = r4.Unmarshal(data)
		if name == "UKCore-Bundle-Sn-NoAllergyData-Example.json" {
			// Its self link is https://[base]/AllergyIntolerance?...: a
			// placeholder, not a URI.
			if err == nil || !strings.Contains(err.Error(), "Bundle.link[0].url") {
				t.Errorf("%s: %v, want an invalid link URL", name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s is not valid R4: %v", name, err)
		}
		typ := strings.Split(name, "-")[1]
		types[typ] = true
		if _, err := stu3.Unmarshal(data); err == nil && changedInR4[typ] {
			t.Errorf("%s is valid STU3", name)
		}
	}
	if len(types) != 15 { // the 14 served types and Bundle
		t.Errorf("examples of %d types: %v", len(types), types)
	}
}

// The R4 validator must be able to fail: STU3's forms of what R4 changed,
// elements R4 removed, a missing element R4 requires and codes outside a
// required value set are rejected.
func TestR4ValidatorRejectsInvalidResources(t *testing.T) {
	v := fhirvalid.ValidatorR4(t)
	for _, bad := range []string{
		// STU3 forms: a code where R4 has a CodeableConcept, removed elements.
		`{"resourceType":"AllergyIntolerance","clinicalStatus":"active","patient":{"reference":"Patient/1"},"code":{"text":"x"}}`,
		`{"resourceType":"MedicationStatement","status":"active","taken":"y","medicationCodeableConcept":{"text":"x"},"subject":{"reference":"Patient/1"}}`,
		`{"resourceType":"Immunization","status":"completed","notGiven":false,"vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"},"occurrenceDateTime":"2020-01-01"}`,
		`{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"},"date":"2020-01-01"}`,
		`{"resourceType":"Patient","animal":{"species":{"text":"dog"}}}`,
		`{"resourceType":"MedicationRequest","status":"active","intent":"order","medicationCodeableConcept":{"text":"x"},"subject":{"reference":"Patient/1"},"requester":{"agent":{"reference":"Practitioner/1"}}}`,
		// R4's minimums: Encounter.class, Immunization.occurrence[x].
		`{"resourceType":"Encounter","status":"finished"}`,
		`{"resourceType":"Immunization","status":"completed","vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"}}`,
		// Codes outside the required value set: STU3's, and none at all.
		`{"resourceType":"Immunization","status":"not-given","vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"},"occurrenceDateTime":"2020-01-01"}`,
		`{"resourceType":"Patient","gender":"mail"}`,
		`{"resourceType":"Patient","colour":"blue"}`,
		`{"resourceType":"Bundle"}`,
	} {
		if _, err := v.Unmarshal([]byte(bad)); err == nil {
			t.Errorf("R4 validator accepted %s", bad)
		}
	}
	// The R4 forms of the same are accepted.
	for _, good := range []string{
		`{"resourceType":"AllergyIntolerance","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical","code":"active"}]},"patient":{"reference":"Patient/1"},"code":{"text":"x"}}`,
		`{"resourceType":"Immunization","status":"not-done","vaccineCode":{"text":"x"},"patient":{"reference":"Patient/1"},"occurrenceDateTime":"2020-01-01"}`,
		`{"resourceType":"Encounter","status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"}}`,
	} {
		if _, err := v.Unmarshal([]byte(good)); err != nil {
			t.Errorf("R4 validator rejected %s: %v", good, err)
		}
	}
}

// recorder is a testing.TB that counts the errors reported to it.
type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Helper()                           {}
func (r *recorder) Errorf(format string, args ...any) { r.errors++ }

// A body the validator accepted is not checked again, and one it
// rejected is rejected every time it is given.
func TestValidateRemembersOnlyValidBodies(t *testing.T) {
	good := []byte(`{"resourceType":"Patient","gender":"male"}`)
	bad := []byte(`{"resourceType":"Patient","gender":"mail"}`)
	for _, c := range []struct {
		name     string
		validate func(testing.TB, string, []byte)
	}{{"STU3", fhirvalid.Validate}, {"R4", fhirvalid.ValidateR4}} {
		r := &recorder{TB: t}
		for range 2 {
			c.validate(r, "good", good)
		}
		if r.errors != 0 {
			t.Errorf("%s: a valid Patient was reported %d times", c.name, r.errors)
		}
		for range 2 {
			c.validate(r, "bad", bad)
		}
		if r.errors != 2 {
			t.Errorf("%s: an invalid Patient given twice was reported %d times, want 2", c.name, r.errors)
		}
	}
}

// A Bundle is checked as its parts: an invalid resource in any entry, or
// an invalid element of the Bundle itself, fails it, whatever was
// accepted before; the error names the entry.
func TestValidateBundleByParts(t *testing.T) {
	bundle := func(typ string, resources ...string) []byte {
		var entries []string
		for _, r := range resources {
			entries = append(entries, `{"fullUrl":"http://x/fhir/Patient/1","resource":`+r+`}`)
		}
		return []byte(`{"resourceType":"Bundle","type":"` + typ + `","entry":[` + strings.Join(entries, ",") + `]}`)
	}
	good := `{"resourceType":"Patient","id":"1","gender":"male"}`
	bad := `{"resourceType":"Patient","id":"2","gender":"mail"}`
	for _, c := range []struct {
		name     string
		validate func(testing.TB, string, []byte)
	}{{"STU3", fhirvalid.Validate}, {"R4", fhirvalid.ValidateR4}} {
		r := &recorder{TB: t}
		c.validate(r, "good", bundle("searchset", good, good))
		if r.errors != 0 {
			t.Fatalf("%s: a valid Bundle was reported", c.name)
		}
		for _, b := range [][]byte{
			bundle("searchset", good, bad), // an entry's resource
			bundle("searchset", bad),       // the only entry
			bundle("search-set", good),     // the Bundle's own code
			bundle("searchset", `{"resourceType":"Patient","colour":"blue"}`),
		} {
			before := r.errors
			c.validate(r, "bad", b)
			if r.errors != before+1 {
				t.Errorf("%s: an invalid Bundle was accepted: %s", c.name, b)
			}
		}
		var msg string
		m := &messages{TB: t, msg: &msg}
		c.validate(m, "bad", bundle("searchset", good, bad))
		if !strings.Contains(msg, "entry[1]") {
			t.Errorf("%s: the error does not name the entry: %s", c.name, msg)
		}
	}
}

// messages is a testing.TB that keeps the last error reported to it.
type messages struct {
	testing.TB
	msg *string
}

func (m *messages) Helper()                           {}
func (m *messages) Errorf(format string, args ...any) { *m.msg = fmt.Sprintf(format, args...) }
