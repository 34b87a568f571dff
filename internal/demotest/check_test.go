package demotest_test

import (
	"testing"

	"github.com/ccfacade/ccfacade/internal/demotest"
)

// The validator must be able to fail: a Patient with a gender outside its
// required value set, or an unknown element, is rejected.
func TestValidatorRejectsInvalidResources(t *testing.T) {
	v := demotest.Validator(t)
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
