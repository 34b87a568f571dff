package stu3

import (
	"fmt"
	"testing"
)

// A reference parameter's targets are its definition's, else those of
// the elements it searches.
func TestSearchParameterTargets(t *testing.T) {
	for _, c := range []struct{ res, name, want string }{
		{"FamilyMemberHistory", "patient", "[Patient]"},
		{"ProcedureRequest", "subject", "[Patient Group Location Device]"},
		{"ProcedureRequest", "patient", "[Patient]"},
		{"ProcedureRequest", "requester", "[Device Practitioner Organization]"},
		{"MedicationRequest", "medication", "[Medication]"},
		{"ProcedureRequest", "status", "[]"},
	} {
		p, ok := LookupSearchParameter(c.res, c.name)
		if got := fmt.Sprint(Targets(c.res, p)); !ok || got != c.want {
			t.Errorf("%s %s: %s, want %s", c.res, c.name, got, c.want)
		}
	}
}
