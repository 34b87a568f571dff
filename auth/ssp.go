package auth

import (
	"fmt"
	"regexp"
	"strings"
)

// SSP is what a request that came through the Spine Security Proxy says of
// itself, from its headers and its token's GP Connect style claims.
type SSP struct {
	TraceID, From, To, InteractionID string
	Reason                           string // reason_for_request
	Organisation                     string // ODS code of requesting_organization
	Practitioner                     string // requesting_practitioner id (or SDS user id)
	Role                             string // requesting_practitioner's SDS role profile id, if given
	Device                           string // requesting_device identifier (else id)
}

var (
	asidRe  = regexp.MustCompile(`^[0-9]{1,20}$`)
	traceRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// InteractionPrefix starts every Care Connect interaction id.
const InteractionPrefix = "urn:nhs:names:services:careconnect:fhir:rest:"

// EverythingInteraction is the interaction id of the get record call,
// Patient/{id}/$everything.
const EverythingInteraction = InteractionPrefix + "operation:patient-everything"

// Interaction returns the Care Connect interaction id of a read or search
// of a resource type: urn:nhs:names:services:careconnect:fhir:rest:{read|search}:{type},
// the type in lower case.
func Interaction(kind, resourceType string) string {
	return InteractionPrefix + kind + ":" + strings.ToLower(resourceType)
}

// SSPConfig configures the Spine Security Proxy checks.
type SSPConfig struct {
	// ASID is this service's ASID: Ssp-To must equal it.
	ASID string
	// PractitionerIdentifier, when set, is the system of the
	// requesting_practitioner identifier the token's sub must equal (for
	// example https://fhir.nhs.uk/Id/sds-user-id); otherwise sub must equal
	// requesting_practitioner's id.
	PractitionerIdentifier string
}

// CheckSSP validates the Spine Security Proxy headers (header looks one
// up) and the token's claims for a request whose interaction id must be
// one of accepted. It returns what they say, or an error naming the first
// inconsistency.
func CheckSSP(header func(string) string, p *Principal, accepted []string, cfg SSPConfig) (*SSP, error) {
	s, err := sspHeaders(header, accepted, cfg)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("requests through the Spine Security Proxy need a bearer token")
	}
	if err := sspClaims(s, p, cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// sspHeaders checks the Spine Security Proxy headers of a request whose
// interaction id must be one of accepted, and returns what they say.
func sspHeaders(header func(string) string, accepted []string, cfg SSPConfig) (*SSP, error) {
	s := &SSP{TraceID: header("Ssp-TraceID"), From: header("Ssp-From"), To: header("Ssp-To"), InteractionID: header("Ssp-InteractionID")}
	switch {
	case s.TraceID == "":
		return nil, fmt.Errorf("the Ssp-TraceID header is required")
	case !traceRe.MatchString(s.TraceID):
		return nil, fmt.Errorf("the Ssp-TraceID header must be a UUID")
	case !asidRe.MatchString(s.From):
		return nil, fmt.Errorf("the Ssp-From header must be the consumer's ASID (up to 20 digits)")
	case !asidRe.MatchString(s.To):
		return nil, fmt.Errorf("the Ssp-To header must be this service's ASID (up to 20 digits)")
	case s.To != cfg.ASID:
		return nil, fmt.Errorf("Ssp-To %s is not this service's ASID", s.To)
	}
	match := false
	for _, a := range accepted {
		match = match || s.InteractionID == a
	}
	if !match {
		shown := s.InteractionID
		if len(shown) > 120 {
			shown = shown[:120] + "…"
		}
		return nil, fmt.Errorf("the Ssp-InteractionID %q does not match this request (it takes %s)", shown, strings.Join(accepted, " or "))
	}
	return s, nil
}

// SSPReceived is what a request's Spine Security Proxy headers say, for
// the audit trail of a request they refused: each header that has its
// form (a UUID trace id, ASIDs of digits, an interaction id of printable
// characters, at most 200), the others left out.
func SSPReceived(header func(string) string) *SSP {
	s := &SSP{}
	if v := header("Ssp-TraceID"); traceRe.MatchString(v) {
		s.TraceID = v
	}
	if v := header("Ssp-From"); asidRe.MatchString(v) {
		s.From = v
	}
	if v := header("Ssp-To"); asidRe.MatchString(v) {
		s.To = v
	}
	if v := header("Ssp-InteractionID"); len(v) <= 200 && !strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
		s.InteractionID = v
	}
	return s
}

// sspClaims checks the GP Connect style claims of a request's token and
// fills in what they say of who is asking.
func sspClaims(s *SSP, p *Principal, cfg SSPConfig) error {
	c := p.SSP
	if s.Reason = c.ReasonForRequest; s.Reason != "directcare" {
		return fmt.Errorf("the token's reason_for_request must be directcare, not %q", s.Reason)
	}
	if rs := c.RequestedScope; !strings.HasPrefix(rs, "patient/") && !strings.HasPrefix(rs, "organization/") {
		return fmt.Errorf("the token's requested_scope must be patient/… or organization/…, not %q", rs)
	}
	dev := c.RequestingDevice
	if dev == nil || dev["resourceType"] != "Device" {
		return fmt.Errorf("the token's requesting_device must be a Device")
	}
	s.Device, _ = dev["id"].(string)
	if ids, _ := dev["identifier"].([]any); len(ids) > 0 {
		if m, ok := ids[0].(map[string]any); ok {
			if v, _ := m["value"].(string); v != "" {
				s.Device = v // the consumer system's own identifier of the device
			}
		}
	}
	org := c.RequestingOrganization
	if org == nil || org["resourceType"] != "Organization" {
		return fmt.Errorf("the token's requesting_organization must be an Organization")
	}
	s.Organisation = identifierOf(org, "https://fhir.nhs.uk/Id/ods-organization-code")
	if s.Organisation == "" {
		return fmt.Errorf("the token's requesting_organization needs an ODS code (https://fhir.nhs.uk/Id/ods-organization-code)")
	}
	prac := c.RequestingPractitioner
	if prac == nil || prac["resourceType"] != "Practitioner" {
		return fmt.Errorf("the token's requesting_practitioner must be a Practitioner")
	}
	// The practitioner the consumer says is asking must be the token's
	// subject: sub is required and must equal its id (or the configured
	// identifier).
	bound, what := "", "id"
	if cfg.PractitionerIdentifier != "" {
		bound, what = identifierOf(prac, cfg.PractitionerIdentifier), "identifier "+cfg.PractitionerIdentifier
	} else {
		bound, _ = prac["id"].(string)
	}
	switch {
	case p.Subject == "":
		return fmt.Errorf("the token has no sub: it must name the requesting practitioner")
	case bound == "":
		return fmt.Errorf("the token's requesting_practitioner has no %s to match its sub", what)
	case p.Subject != bound:
		return fmt.Errorf("the token's sub is not its requesting_practitioner's %s", what)
	}
	if s.Practitioner = identifierOf(prac, "https://fhir.nhs.uk/Id/sds-user-id"); s.Practitioner == "" {
		s.Practitioner = bound
	}
	s.Role = identifierOf(prac, "https://fhir.nhs.uk/Id/sds-role-profile-id")
	return nil
}

func identifierOf(res map[string]any, system string) string {
	ids, _ := res["identifier"].([]any)
	for _, i := range ids {
		if m, ok := i.(map[string]any); ok && m["system"] == system {
			v, _ := m["value"].(string)
			return v
		}
	}
	return ""
}
