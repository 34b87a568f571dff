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
	Device                           string // requesting_device id
}

var (
	asidRe        = regexp.MustCompile(`^[0-9]{1,20}$`)
	interactionRe = regexp.MustCompile(`^urn:nhs:names:services:[a-z0-9]+:fhir:rest:(read|search|search_type|operation):[a-z_-]+(-[0-9]+)?$`)
)

// CheckSSP validates the Spine Security Proxy headers (header looks one
// up) and the token's claims for a request of interaction ("read",
// "search" or "operation") on resourceType, and for this service's ASID
// (ownASID, when set). It returns what they say, or an error naming the
// first inconsistency.
func CheckSSP(header func(string) string, p *Principal, interaction, resourceType, ownASID string) (*SSP, error) {
	s := &SSP{TraceID: header("Ssp-TraceID"), From: header("Ssp-From"), To: header("Ssp-To"), InteractionID: header("Ssp-InteractionID")}
	switch {
	case s.TraceID == "":
		return nil, fmt.Errorf("the Ssp-TraceID header is required")
	case !asidRe.MatchString(s.From):
		return nil, fmt.Errorf("the Ssp-From header must be the consumer's ASID (digits), not %q", s.From)
	case !asidRe.MatchString(s.To):
		return nil, fmt.Errorf("the Ssp-To header must be this service's ASID (digits), not %q", s.To)
	case ownASID != "" && s.To != ownASID:
		return nil, fmt.Errorf("Ssp-To %s is not this service's ASID", s.To)
	}
	m := interactionRe.FindStringSubmatch(s.InteractionID)
	if m == nil {
		return nil, fmt.Errorf("the Ssp-InteractionID header %q is not an interaction id (urn:nhs:names:services:…:fhir:rest:<interaction>:<resource>)", s.InteractionID)
	}
	kind := m[1]
	if kind == "search_type" {
		kind = "search"
	}
	res := s.InteractionID[strings.LastIndex(s.InteractionID, ":")+1:]
	if i := strings.LastIndex(res, "-"); i > 0 && strings.Trim(res[i+1:], "0123456789") == "" {
		res = res[:i]
	}
	if kind != interaction || (resourceType != "" && !strings.EqualFold(strings.ReplaceAll(res, "_", ""), resourceType)) {
		return nil, fmt.Errorf("Ssp-InteractionID %s does not match this request (%s of %s)", s.InteractionID, interaction, resourceType)
	}
	if p == nil {
		return nil, fmt.Errorf("requests through the Spine Security Proxy need a bearer token")
	}
	c := p.Claims
	if s.Reason, _ = c["reason_for_request"].(string); s.Reason != "directcare" {
		return nil, fmt.Errorf("the token's reason_for_request must be directcare, not %q", s.Reason)
	}
	if rs, _ := c["requested_scope"].(string); !strings.HasPrefix(rs, "patient/") && !strings.HasPrefix(rs, "organization/") {
		return nil, fmt.Errorf("the token's requested_scope must be patient/… or organization/…, not %q", rs)
	}
	dev, ok := c["requesting_device"].(map[string]any)
	if !ok || dev["resourceType"] != "Device" {
		return nil, fmt.Errorf("the token's requesting_device must be a Device")
	}
	s.Device, _ = dev["id"].(string)
	org, ok := c["requesting_organization"].(map[string]any)
	if !ok || org["resourceType"] != "Organization" {
		return nil, fmt.Errorf("the token's requesting_organization must be an Organization")
	}
	s.Organisation = identifierOf(org, "https://fhir.nhs.uk/Id/ods-organization-code")
	if s.Organisation == "" {
		return nil, fmt.Errorf("the token's requesting_organization needs an ODS code (https://fhir.nhs.uk/Id/ods-organization-code)")
	}
	prac, ok := c["requesting_practitioner"].(map[string]any)
	if !ok || prac["resourceType"] != "Practitioner" {
		return nil, fmt.Errorf("the token's requesting_practitioner must be a Practitioner")
	}
	if s.Practitioner = identifierOf(prac, "https://fhir.nhs.uk/Id/sds-user-id"); s.Practitioner == "" {
		s.Practitioner, _ = prac["id"].(string)
	}
	if s.Practitioner == "" {
		return nil, fmt.Errorf("the token's requesting_practitioner needs an id or an SDS user id")
	}
	if sub := p.Subject; sub != "" && prac["id"] != nil && sub != prac["id"] {
		return nil, fmt.Errorf("the token's sub %q is not its requesting_practitioner's id", sub)
	}
	return s, nil
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
