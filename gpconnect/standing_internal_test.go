package gpconnect

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/fhir"
)

// What the Care Connect Patient says of the patient's standing: a
// registration type other than regular, a registration that has ended,
// a restricted record.
func TestStandingFromCareConnect(t *testing.T) {
	s := &Service{opts: Options{Location: time.UTC, Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }}, overlay: withSet(nil)}
	reg := func(typ, end string) string {
		return `{"resourceType":"Patient","id":"1","extension":[{"url":"https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RegistrationDetails-1","extension":[` +
			`{"url":"registrationType","valueCodeableConcept":{"coding":[{"system":"https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-RegistrationType-1","code":"` + typ + `"}]}},` +
			`{"url":"registrationPeriod","valuePeriod":{"start":"2010-01-01"` + end + `}}]}]}`
	}
	for _, tc := range []struct {
		patient, why string
	}{
		{reg("R", ""), ""},
		{reg("R", `,"end":"2026-03-01"`), ""},
		{reg("T", ""), `registration type is "T"`},
		{reg("R", `,"end":"2026-02-28"`), "registration ended on 2026-02-28"},
		{`{"resourceType":"Patient","id":"1","meta":{"security":[{"system":"http://hl7.org/fhir/v3/Confidentiality","code":"R"}]}}`, "restricted"},
		{`{"resourceType":"Patient","id":"1","meta":{"security":[{"system":"http://hl7.org/fhir/v3/Confidentiality","code":"N"}]}}`, ""},
		{`{"resourceType":"Patient","id":"1","meta":{"security":[{"system":"http://example.org/other","code":"R"}]}}`, ""},
	} {
		var v any
		if err := json.Unmarshal([]byte(tc.patient), &v); err != nil {
			t.Fatal(err)
		}
		st, err := s.standing(&record{}, toValue(v).(*fhir.Object))
		if err != nil {
			t.Fatal(err)
		}
		if tc.why == "" && st.notFound != "" || tc.why != "" && !strings.Contains(st.notFound, tc.why) {
			t.Errorf("%s: %q, want %q", tc.patient, st.notFound, tc.why)
		}
	}
}

// toValue is decoded JSON as a value tree (keys in the order Go's maps
// give them, which standing does not mind).
func toValue(v any) fhir.Value {
	switch t := v.(type) {
	case map[string]any:
		o := fhir.NewObject(len(t))
		for k, x := range t {
			o.Add(k, toValue(x))
		}
		return o
	case []any:
		a := make(fhir.Array, len(t))
		for i, x := range t {
			a[i] = toValue(x)
		}
		return a
	case bool:
		return fhir.Bool(t)
	case string:
		return fhir.String(t)
	}
	return nil
}

// The date of a warning's note is dd-Mmm-yyyy.
func TestNoteDate(t *testing.T) {
	for in, want := range map[string]string{"2025-11-03": "03-Nov-2025", "2025-11-03T10:00:00Z": "03-Nov-2025", "2025": "2025"} {
		if got := noteDate(in); got != want {
			t.Errorf("noteDate(%q) = %q, want %q", in, got, want)
		}
	}
}
