package fhirvalid

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
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

// valid holds the bodies each version's validator has accepted, by their
// SHA-256: the sweeps read the same resources from every backend and in
// many pages, and a body found valid once is valid again.
var valid sync.Map // key{version, sum} → true

type key struct {
	v   fhirversion.Version
	sum [sha256.Size]byte
}

// placeholder stands for each entry's resource when a Bundle's own
// elements are checked: a resource valid in STU3 and R4 alike.
var placeholder = json.RawMessage(`{"resourceType":"Basic","code":{"text":"entry"}}`)

// check validates body with v's validator. A Bundle is checked as its
// parts: each entry's resource on its own, then the Bundle with every
// resource replaced by a placeholder. The validator's rules are those of
// each element in its place, so the parts pass exactly when the whole
// does, and a resource served in many pages is parsed once.
func check(t testing.TB, v fhirversion.Version, body []byte) error {
	t.Helper()
	var bundle struct {
		ResourceType string                       `json:"resourceType"`
		Entry        []map[string]json.RawMessage `json:"entry"`
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &bundle) != nil || bundle.ResourceType != "Bundle" || len(bundle.Entry) == 0 || json.Unmarshal(body, &top) != nil {
		return checkOnce(t, v, body)
	}
	for i, e := range bundle.Entry {
		r, ok := e["resource"]
		if !ok {
			continue
		}
		if err := checkOnce(t, v, r); err != nil {
			return fmt.Errorf("Bundle.entry[%d].resource: %w", i, err)
		}
		e["resource"] = placeholder
	}
	entries, err := json.Marshal(bundle.Entry)
	if err != nil {
		return err
	}
	top["entry"] = entries
	shell, err := json.Marshal(top)
	if err != nil {
		return err
	}
	return checkOnce(t, v, shell)
}

// checkOnce validates body with v's validator unless the same bytes
// passed it before.
func checkOnce(t testing.TB, v fhirversion.Version, body []byte) error {
	t.Helper()
	k := key{v, sha256.Sum256(body)}
	if _, ok := valid.Load(k); ok {
		return nil
	}
	if _, err := validatorOf(t, v).Unmarshal(body); err != nil {
		return err
	}
	valid.Store(k, true)
	return nil
}

// Validate checks a resource (or Bundle) with the google/fhir STU3 parser
// and validator; what names it in the error.
func Validate(t testing.TB, what string, body []byte) {
	t.Helper()
	if err := check(t, fhirversion.STU3, body); err != nil {
		t.Errorf("%s is not valid FHIR STU3: %v\n%s", what, err, truncate(string(body), 2000))
	}
}

// ValidateR4 checks a resource (or Bundle) with the google/fhir R4 parser
// and validator: its elements, their cardinality and types, and the codes
// of required bindings; what names it in the error.
func ValidateR4(t testing.TB, what string, body []byte) {
	t.Helper()
	if err := check(t, fhirversion.R4, body); err != nil {
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
