package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/internal/authtest"
)

// A GP Connect request's headers and unsigned audit token: what the
// provider test suite sends is accepted; each claim it breaks is refused
// with 400, and an embedded resource of the wrong type with 422.
func TestCheckGPConnect(t *testing.T) {
	const trace = "7b6a1d46-5d55-4a9f-8a3e-1d2c3b4a5f60"
	cfg := SSPConfig{ASID: authtest.GPCProviderASID}
	now := time.Now()
	check := func(claims map[string]any, edit func(h map[string]string)) (*SSP, error) {
		hs := authtest.GPCHeaders(trace, GPConnectStructuredInteraction, authtest.Unsigned(t, claims))
		h := map[string]string{}
		for i := 0; i+1 < len(hs); i += 2 {
			h[hs[i]] = hs[i+1]
		}
		if edit != nil {
			edit(h)
		}
		s, _, err := CheckGPConnect(func(k string) string { return h[k] }, GPConnectStructuredInteraction, GPConnectPatientScope, cfg, now, time.Minute)
		return s, err
	}
	s, err := check(authtest.GPCClaims(GPConnectPatientScope), nil)
	if err != nil {
		t.Fatalf("the suite's token: %v", err)
	}
	if s.TraceID != trace || s.Organisation != "GPC001" || s.Practitioner != "G13579135" || s.Reason != "directcare" {
		t.Errorf("what the request says: %+v", s)
	}
	claim := func(edit func(c map[string]any)) map[string]any {
		c := authtest.GPCClaims(GPConnectPatientScope)
		edit(c)
		return c
	}
	// A creation time in the future is accepted (clocks differ).
	if _, err := check(claim(func(c map[string]any) {
		c["iat"] = now.Unix() + 120
		c["exp"] = now.Unix() + 420
	}), nil); err != nil {
		t.Errorf("iat in the future: %v", err)
	}
	// ... but not further ahead than a token's lifetime: such a token
	// would serve for as long as its maker chose.
	if _, err := check(claim(func(c map[string]any) {
		c["iat"] = now.Unix() + 86400
		c["exp"] = now.Unix() + 86700
	}), nil); err == nil || !strings.Contains(err.Error(), "further ahead") {
		t.Errorf("iat a day ahead: %v", err)
	}
	cases := []struct {
		name     string
		claims   map[string]any
		headers  func(h map[string]string)
		resource bool // 422 rather than 400
		want     string
	}{
		{"no iss", claim(func(c map[string]any) { delete(c, "iss") }), nil, false, "no iss"},
		{"no sub", claim(func(c map[string]any) { delete(c, "sub") }), nil, false, "no sub"},
		{"no aud", claim(func(c map[string]any) { delete(c, "aud") }), nil, false, "no aud"},
		{"no iat", claim(func(c map[string]any) { delete(c, "iat") }), nil, false, "no iat"},
		{"no exp", claim(func(c map[string]any) { delete(c, "exp") }), nil, false, "no exp"},
		{"exp iat+299", claim(func(c map[string]any) { c["exp"] = c["iat"].(int64) + 299 }), nil, false, "iat + 300"},
		{"exp iat+301", claim(func(c map[string]any) { c["exp"] = c["iat"].(int64) + 301 }), nil, false, "iat + 300"},
		{"issued 600s ago", claim(func(c map[string]any) {
			c["iat"] = now.Unix() - 600
			c["exp"] = now.Unix() - 300
		}), nil, false, "expired"},
		{"no reason", claim(func(c map[string]any) { delete(c, "reason_for_request") }), nil, false, "reason_for_request"},
		{"reason migration", claim(func(c map[string]any) { c["reason_for_request"] = "migration" }), nil, false, "directcare"},
		{"no scope", claim(func(c map[string]any) { delete(c, "requested_scope") }), nil, false, "requested_scope"},
		{"bad scope", claim(func(c map[string]any) { c["requested_scope"] = "badScope" }), nil, false, "badScope"},
		{"metadata scope", claim(func(c map[string]any) { c["requested_scope"] = "organization/*.read" }), nil, false, "patient/*.read"},
		{"no device", claim(func(c map[string]any) { delete(c, "requesting_device") }), nil, false, "requesting_device"},
		{"device of another type", claim(func(c map[string]any) { c["requesting_device"] = map[string]any{"resourceType": "Patient"} }), nil, true, "requesting_device must be a FHIR Device"},
		{"no organisation", claim(func(c map[string]any) { delete(c, "requesting_organization") }), nil, false, "requesting_organization"},
		{"organisation without ODS code", claim(func(c map[string]any) {
			c["requesting_organization"] = map[string]any{"resourceType": "Organization", "name": "x"}
		}), nil, false, "ODS code"},
		{"no practitioner", claim(func(c map[string]any) { delete(c, "requesting_practitioner") }), nil, false, "requesting_practitioner"},
		{"practitioner of another type", claim(func(c map[string]any) {
			c["requesting_practitioner"] = map[string]any{"resourceType": "Organization", "id": "1"}
		}), nil, true, "requesting_practitioner must be a FHIR Practitioner"},
		{"sub is not the practitioner", claim(func(c map[string]any) { c["sub"] = "2" }), nil, false, "sub"},
		{"no Ssp-TraceID", authtest.GPCClaims(GPConnectPatientScope), func(h map[string]string) { delete(h, "Ssp-TraceID") }, false, "Ssp-TraceID"},
		{"Ssp-To another ASID", authtest.GPCClaims(GPConnectPatientScope), func(h map[string]string) { h["Ssp-To"] = "123" }, false, "Ssp-To"},
		{"no Ssp-From", authtest.GPCClaims(GPConnectPatientScope), func(h map[string]string) { delete(h, "Ssp-From") }, false, "Ssp-From"},
		{"interaction of the metadata", authtest.GPCClaims(GPConnectPatientScope), func(h map[string]string) { h["Ssp-InteractionID"] = GPConnectMetadataInteraction }, false, "Ssp-InteractionID"},
		{"no token", authtest.GPCClaims(GPConnectPatientScope), func(h map[string]string) { delete(h, "Authorization") }, false, "Bearer"},
		{"not base64url", authtest.GPCClaims(GPConnectPatientScope), func(h map[string]string) { h["Authorization"] = "Bearer %%%.***." }, false, "not a JWT"},
		{"signed", authtest.GPCClaims(GPConnectPatientScope), func(h map[string]string) { h["Authorization"] += "c2ln" }, false, "signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := check(c.claims, c.headers)
			var ge *GPConnectError
			if !errors.As(err, &ge) {
				t.Fatalf("want a refusal, got %v", err)
			}
			if ge.InvalidResource != c.resource || !strings.Contains(ge.Msg, c.want) {
				t.Errorf("got %q (invalid resource %v), want one naming %q (invalid resource %v)", ge.Msg, ge.InvalidResource, c.want, c.resource)
			}
		})
	}
	// A signed token is refused by its alg.
	hdr := `{"alg":"RS256","typ":"JWT"}`
	tok := authtest.UnsignedRaw([]byte(`{"iss":"x"}`))
	tok = strings.Replace(tok, strings.Split(tok, ".")[0], base64.RawURLEncoding.EncodeToString([]byte(hdr)), 1) + "c2ln"
	if _, err := check(nil, func(h map[string]string) { h["Authorization"] = "Bearer " + tok }); err == nil || !strings.Contains(err.Error(), "unsigned") {
		t.Errorf("a signed token: %v", err)
	}
}
