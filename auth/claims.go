package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// jsonKind is the JSON type a claim must have.
type jsonKind int

const (
	kindString jsonKind = iota
	kindNumber
	kindObject
	kindAudience // a string or an array of strings (RFC 7519 §4.1.3)
)

func (k jsonKind) String() string {
	switch k {
	case kindNumber:
		return "number"
	case kindObject:
		return "JSON object"
	case kindAudience:
		return "string or array of strings"
	}
	return "string"
}

// claimTypes lists every claim the facade acts on or records, with the one
// JSON type it accepts. A claim of any other type (null included) makes
// the token invalid: it is never ignored.
var claimTypes = map[string]jsonKind{
	"iss": kindString, "sub": kindString, "aud": kindAudience, "jti": kindString,
	"exp": kindNumber, "nbf": kindNumber, "iat": kindNumber,
	"scope": kindString, "client_id": kindString,
	"patient": kindString, "nhs_number": kindString,
	// Spine Security Proxy (GP Connect style) claims.
	"reason_for_request": kindString, "requested_scope": kindString,
	"requesting_device": kindObject, "requesting_organization": kindObject, "requesting_practitioner": kindObject,
}

var nhsNumberRe = regexp.MustCompile(`^[0-9]{10}$`)

// claims are a token's payload, each claim checked against claimTypes.
type claims map[string]json.RawMessage

// parseClaims decodes a verified token's payload and checks the type of
// every claim the facade knows.
func parseClaims(payload []byte) (claims, error) {
	c, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	for name, raw := range c {
		want, known := claimTypes[name]
		if !known {
			continue
		}
		if got := kindOf(raw); !fits(got, want, raw) {
			return nil, fmt.Errorf("claim %q must be a %s, not %s", name, want, got)
		}
	}
	for _, name := range []string{"patient", "nhs_number", "sub", "scope"} {
		if s, ok := c.str(name); ok && strings.TrimSpace(s) == "" {
			return nil, fmt.Errorf("claim %q is empty", name)
		}
	}
	if s, ok := c.str("nhs_number"); ok && !nhsNumberRe.MatchString(s) {
		return nil, fmt.Errorf("claim \"nhs_number\" must be 10 digits")
	}
	return c, nil
}

// decodeClaims reads the payload's top-level object. A claim named twice
// is refused: readers disagree on which of the two counts.
func decodeClaims(payload []byte) (claims, error) {
	notObject := fmt.Errorf("the token's claims are not a JSON object")
	dec := json.NewDecoder(bytes.NewReader(payload))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, notObject
	}
	c := claims{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, notObject
		}
		name, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, notObject
		}
		if _, dup := c[name]; dup {
			return nil, fmt.Errorf("claim %q is given twice", name)
		}
		c[name] = raw
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, notObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, notObject
	}
	return c, nil
}

// kindOf names the JSON type of a raw value, for messages.
func kindOf(raw json.RawMessage) string {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return "nothing"
	}
	switch t[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func fits(got string, want jsonKind, raw json.RawMessage) bool {
	switch want {
	case kindString:
		return got == "a string"
	case kindNumber:
		return got == "a number"
	case kindObject:
		return got == "an object"
	case kindAudience:
		if got == "a string" {
			return true
		}
		var list []any
		if got != "an array" || json.Unmarshal(raw, &list) != nil {
			return false
		}
		for _, x := range list {
			if _, ok := x.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// str returns a string claim (types are checked by parseClaims).
func (c claims) str(name string) (string, bool) {
	raw, ok := c[name]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// object returns an object claim.
func (c claims) object(name string) (map[string]any, bool) {
	raw, ok := c[name]
	if !ok {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}
