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
