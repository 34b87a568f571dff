package auth

import (
	"fmt"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// GP Connect interaction ids (Ssp-InteractionID) of Access Record:
// Structured.
const (
	// GPConnectStructuredInteraction is the interaction of
	// POST [base]/Patient/$gpc.getstructuredrecord.
	GPConnectStructuredInteraction = "urn:nhs:names:services:gpconnect:fhir:operation:gpc.getstructuredrecord-1"
	// GPConnectMetadataInteraction is the interaction of the structured
	// CapabilityStatement, GET [base]/metadata.
	GPConnectMetadataInteraction = "urn:nhs:names:services:gpconnect:structured:fhir:rest:read:metadata-1"
)

// GPConnect requested scopes: the structured record's and its
// CapabilityStatement's.
const (
	GPConnectPatientScope      = "patient/*.read"
	GPConnectOrganizationScope = "organization/*.read"
)

// gpcLifetime is the one lifetime of a GP Connect token: exp is iat + 300.
const gpcLifetime = 300

// GPConnectError is a GP Connect request the SSP headers or the audit
// token refuse. InvalidResource marks a resource embedded in the token
// (requesting_device, _organization, _practitioner) that is not the
// resource it must be: GP Connect answers it 422 INVALID_RESOURCE, every
// other refusal 400 BAD_REQUEST.
type GPConnectError struct {
	Msg             string
	InvalidResource bool
}

func (e *GPConnectError) Error() string { return e.Msg }

func badRequest(format string, args ...any) *GPConnectError {
	return &GPConnectError{Msg: fmt.Sprintf(format, args...)}
}

// CheckGPConnect checks a GP Connect request as it comes through the Spine
// Security Proxy: its Ssp- headers (Ssp-To must be cfg.ASID, the
// interaction id must be interaction) and its bearer token, which in GP
// Connect is unsigned (alg none): it is the consumer's statement of who is
// asking and why, for the audit trail, not authentication, which is the
// proxy's mutual TLS. The token must carry iss, sub, aud, iat and exp
// (exactly iat + 300 and not past, give or take skew), reason_for_request
// directcare, requested_scope scope (with conf/N or conf/R beside it, if
// any), and the requesting device, organisation (with its ODS code) and
// practitioner (whose id, or cfg.PractitionerIdentifier, is sub). An iat
// ahead of now is accepted, by up to a token's lifetime: consumers'
// clocks differ. The error is a
// *GPConnectError.
func CheckGPConnect(header func(string) string, interaction, scope string, cfg SSPConfig, now time.Time, skew time.Duration) (*SSP, *Principal, error) {
	s, err := sspHeaders(header, []string{interaction}, cfg)
	if err != nil {
		return nil, nil, badRequest("%s", err.Error())
	}
	auth := strings.TrimSpace(header("Authorization"))
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, nil, badRequest("the Authorization header must be Bearer and the GP Connect audit token (a JWT)")
	}
	p, err := parseUnsigned(strings.TrimSpace(token), now, skew)
	if err != nil {
		return nil, nil, err
	}
	c := p.SSP
	for _, r := range []struct {
		claim, typ string
		res        map[string]any
	}{{"requesting_device", "Device", c.RequestingDevice}, {"requesting_organization", "Organization", c.RequestingOrganization}, {"requesting_practitioner", "Practitioner", c.RequestingPractitioner}} {
		if r.res == nil {
			return nil, nil, badRequest("the token has no %s claim", r.claim)
		}
		if got, _ := r.res["resourceType"].(string); got != r.typ {
			return nil, nil, &GPConnectError{Msg: fmt.Sprintf("the token's %s must be a FHIR %s, not %q", r.claim, r.typ, got), InvalidResource: true}
		}
	}
	if c.ReasonForRequest == "" {
		return nil, nil, badRequest("the token has no reason_for_request claim")
	}
	if err := checkGPCScope(c.RequestedScope, scope); err != nil {
		return nil, nil, err
	}
	if err := sspClaims(s, p, cfg); err != nil {
		return nil, nil, badRequest("%s", err.Error())
	}
	return s, p, nil
}

// parseUnsigned reads an unsigned JWT (header.payload. with alg none and
// no signature) and checks its registered claims as GP Connect sets them.
func parseUnsigned(token string, now time.Time, skew time.Duration) (*Principal, error) {
	msg, err := jws.Parse([]byte(token))
	if err != nil || len(msg.Signatures()) != 1 {
		return nil, badRequest("the token is not a JWT: base64url header, a dot, base64url claims, a dot")
	}
	if alg := msg.Signatures()[0].ProtectedHeaders().Algorithm().String(); alg != "none" {
		return nil, badRequest("the token's alg is %q: GP Connect tokens are unsigned (alg none)", alg)
	}
	if !strings.HasSuffix(token, ".") {
		return nil, badRequest("the token has a signature: GP Connect tokens are unsigned (alg none, nothing after the second dot)")
	}
	c, err := parseClaims(msg.Payload())
	if err != nil {
		return nil, badRequest("%s", err.Error())
	}
	for _, name := range []string{"iss", "sub", "aud", "iat", "exp"} {
		if _, ok := c[name]; !ok {
			return nil, badRequest("the token has no %s claim", name)
		}
	}
	tok, err := jwt.Parse([]byte(token), jwt.WithVerify(false), jwt.WithValidate(false))
	if err != nil {
		return nil, badRequest("the token's claims cannot be read: %v", err)
	}
	iat, exp := tok.IssuedAt().Unix(), tok.Expiration().Unix()
	if exp-iat != gpcLifetime {
		return nil, badRequest("the token's exp must be its iat + %d seconds, not + %d", gpcLifetime, exp-iat)
	}
	if now.After(tok.Expiration().Add(skew)) {
		return nil, badRequest("the token expired at %s", tok.Expiration().UTC().Format(time.RFC3339))
	}
	if tok.IssuedAt().After(now.Add(gpcLifetime*time.Second + skew)) {
		// A clock ahead is taken, by no more than a token's lifetime: a
		// token dated far ahead would serve for as long as its maker
		// chose.
		return nil, badRequest("the token's iat %s is further ahead of this server's clock than a token's lifetime", tok.IssuedAt().UTC().Format(time.RFC3339))
	}
	if tok.Issuer() == "" || len(tok.Audience()) == 0 || tok.Audience()[0] == "" {
		return nil, badRequest("the token's iss and aud must not be empty")
	}
	return principal(tok, c), nil
}

// checkGPCScope checks requested_scope: the interaction's scope, and
// beside it at most a confidentiality scope (conf/N or conf/R).
func checkGPCScope(got, want string) error {
	fields := strings.Fields(got)
	if len(fields) == 0 {
		return badRequest("the token has no requested_scope claim")
	}
	seen := false
	for _, f := range fields {
		switch {
		case f == want && !seen:
			seen = true
		case f == "conf/N" || f == "conf/R":
		default:
			return badRequest("the token's requested_scope %q is not %s (with conf/N or conf/R beside it, if any)", got, want)
		}
	}
	if !seen {
		return badRequest("the token's requested_scope %q is not %s (with conf/N or conf/R beside it, if any)", got, want)
	}
	return nil
}
