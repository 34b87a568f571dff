package gpconnect

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Whatever the body, ParseRequest answers a request it has checked or a
// refusal of GP Connect's (400 or 422 with a Spine code), never anything
// else; a request it accepts names a valid NHS number.
func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}},{"name":"includeAllergies","part":[{"name":"includeResolvedAllergies","valueBoolean":true}]}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"includeConsultations","part":[{"name":"consultationSearchPeriod","valuePeriod":{"start":"2019-01-01","end":"2019-02-01"}},{"name":"includeNumberOfMostRecent","valuePositiveInt":3}]}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"includeProblems","part":[{"name":"filterStatus","valueCode":"active"}]},{"name":"includeProblems"}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"includeMedication","part":[{"name":"medicationSearchFromDate","valueDate":"2019-02-30"}]}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"x","part":[{"name":"y","valueBoolean":1}]}]}`,
		`[]`, `{}`, `null`, ``,
	} {
		f.Add(s)
	}
	today := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		r, err := ParseRequest(strings.NewReader(body), today)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Status != 400 && e.Status != 422) || !KnownSpineCode(e.Spine) || e.Diagnostics == "" {
				t.Fatalf("%q: %v is not a GP Connect refusal", body, err)
			}
			return
		}
		if !validNHSNumber(r.NHSNumber) {
			t.Fatalf("%q: accepted with NHS number %q", body, r.NHSNumber)
		}
	})
}

// Whatever the body, ParseRequestXML answers as ParseRequest does: a
// request it has checked or a refusal of GP Connect's, never anything
// else.
func FuzzParseRequestXML(f *testing.F) {
	for _, s := range []string{
		`<Parameters xmlns="http://hl7.org/fhir"><parameter><name value="patientNHSNumber"/><valueIdentifier><system value="https://fhir.nhs.uk/Id/nhs-number"/><value value="9434765919"/></valueIdentifier></parameter><parameter><name value="includeAllergies"/><part><name value="includeResolvedAllergies"/><valueBoolean value="true"/></part></parameter></Parameters>`,
		`<Parameters xmlns="http://hl7.org/fhir"><parameter><name value="includeConsultations"/><part><name value="includeNumberOfMostRecent"/><valuePositiveInt value="3"/></part></parameter></Parameters>`,
		`<Parameters xmlns="http://hl7.org/fhir"><parameter><name value="x"><extension url="y"/></name></parameter></Parameters>`,
		`<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><Parameters xmlns="http://hl7.org/fhir">&a;</Parameters>`,
		`<Parameters/>`, `<a:Parameters xmlns:a="http://hl7.org/fhir"/>`, ``, `<`, `{}`,
	} {
		f.Add(s)
	}
	today := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body string) {
		r, err := ParseRequestXML(strings.NewReader(body), today)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Status != 400 && e.Status != 422) || !KnownSpineCode(e.Spine) || e.Diagnostics == "" {
				t.Fatalf("%q: %v is not a GP Connect refusal", body, err)
			}
			return
		}
		if !validNHSNumber(r.NHSNumber) {
			t.Fatalf("%q: accepted with NHS number %q", body, r.NHSNumber)
		}
	})
}
