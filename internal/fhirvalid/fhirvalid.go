package fhirvalid

import (
	"sync"
	"testing"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
)

// validators are the google/fhir parsers and validators of the FHIR
// versions, each made once per test binary.
var validators = map[fhirversion.Version]*struct {
	once sync.Once
	u    *jsonformat.Unmarshaller
	err  error
}{fhirversion.STU3: {}, fhirversion.R4: {}}

func validatorOf(t testing.TB, v fhirversion.Version) *jsonformat.Unmarshaller {
	t.Helper()
	val := validators[v]
	val.once.Do(func() {
		val.u, val.err = jsonformat.NewUnmarshaller("UTC", v)
	})
	if val.err != nil {
		t.Fatalf("the %s validator: %v", v, val.err)
	}
	return val.u
}

// Validator is the google/fhir STU3 parser and validator Validate uses.
func Validator(t testing.TB) *jsonformat.Unmarshaller {
	t.Helper()
	return validatorOf(t, fhirversion.STU3)
}

// ValidatorR4 is the google/fhir R4 (4.0.1) parser and validator
// ValidateR4 uses.
func ValidatorR4(t testing.TB) *jsonformat.Unmarshaller {
	t.Helper()
	return validatorOf(t, fhirversion.R4)
}

// Validate checks a resource (or Bundle) with the google/fhir STU3 parser
// and validator; what names it in the error.
func Validate(t testing.TB, what string, body []byte) {
	t.Helper()
	if _, err := Validator(t).Unmarshal(body); err != nil {
		t.Errorf("%s is not valid FHIR STU3: %v\n%s", what, err, truncate(string(body), 2000))
	}
}

// ValidateR4 checks a resource (or Bundle) with the google/fhir R4 parser
// and validator: its elements, their cardinality and types, and the codes
// of required bindings; what names it in the error.
func ValidateR4(t testing.TB, what string, body []byte) {
	t.Helper()
	if _, err := ValidatorR4(t).Unmarshal(body); err != nil {
		t.Errorf("%s is not valid FHIR R4: %v\n%s", what, err, truncate(string(body), 2000))
	}
}

// truncate keeps the first n bytes of s for a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
