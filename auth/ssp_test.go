package auth

import (
	"strings"
	"testing"
)

// What a refused request's SSP headers said is kept for the audit trail
// where each has its form: a malformed trace id, a non-numeric ASID, an
// interaction id with control characters or too long are left out.
func TestSSPReceived(t *testing.T) {
	h := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	got := SSPReceived(h(map[string]string{"Ssp-TraceID": "3b8d3b9e-2c66-4d6a-a0c4-59a8c3f6a1d2", "Ssp-From": "200000000117", "Ssp-To": "999",
		"Ssp-InteractionID": "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"}))
	if got.TraceID != "3b8d3b9e-2c66-4d6a-a0c4-59a8c3f6a1d2" || got.From != "200000000117" || got.To != "999" || got.InteractionID != "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1" {
		t.Errorf("well-formed headers: %+v", got)
	}
	bad := SSPReceived(h(map[string]string{"Ssp-TraceID": "not-a-uuid\n", "Ssp-From": "12a", "Ssp-To": "123456789012345678901",
		"Ssp-InteractionID": "urn:x\r\ninjected"}))
	if *bad != (SSP{}) {
		t.Errorf("malformed headers kept: %+v", bad)
	}
	if long := SSPReceived(h(map[string]string{"Ssp-InteractionID": strings.Repeat("a", 201)})); long.InteractionID != "" {
		t.Errorf("an interaction id of 201 characters kept")
	}
}
