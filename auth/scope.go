package auth

import (
	"regexp"
	"strings"
)

// Reach is how far a token may read resources of one type.
type Reach int

const (
	// ReachNone: not at all (403).
	ReachNone Reach = iota
	// ReachPatient: only the resources of the patient in context (and
	// resources outside the Patient compartment, which hold no patient's
	// data).
	ReachPatient
	// ReachAll: every resource of the type.
	ReachAll
)

func (r Reach) String() string {
	switch r {
	case ReachPatient:
		return "the patient in context"
	case ReachAll:
		return "all"
	}
	return "none"
}

// ScopeRule is what a SMART scope of one context grants, with and without
// a patient context in the token.
type ScopeRule struct {
	Context        string // patient, user or system
	WithPatient    Reach  // the token carries a usable patient context
	WithoutPatient Reach  // it does not
}

// ScopeRules are the meaning of a scope's context part, as SMART App Launch
// (v1) defines it: patient/ scopes give access to the resources of the
// patient in context and nothing without one; user/ scopes give what the
// user may see, which here (no user-level rules) is every resource of the
// type; system/ scopes (backend services) likewise. The code reads this
// table and nothing else, and the tests probe every row of it.
var ScopeRules = []ScopeRule{
	{Context: "patient", WithPatient: ReachPatient, WithoutPatient: ReachNone},
	{Context: "user", WithPatient: ReachAll, WithoutPatient: ReachAll},
	{Context: "system", WithPatient: ReachAll, WithoutPatient: ReachAll},
}

func ruleOf(context string) *ScopeRule {
	for i := range ScopeRules {
		if ScopeRules[i].Context == context {
			return &ScopeRules[i]
		}
	}
	return nil
}

// Scope is one SMART resource scope: context/Type.access.
type Scope struct {
	Context string // patient, user or system
	Type    string // a resource type, or *
	Access  string // read, write or *
}

// reads reports whether the scope grants reading resources of a type.
func (s Scope) reads(typ string) bool {
	return (s.Type == "*" || s.Type == typ) && (s.Access == "read" || s.Access == "*")
}

var scopeTypeRe = regexp.MustCompile(`^([A-Z][A-Za-z]+|\*)$`)

// ParseScopes reads a space-separated scope string; scopes that are not
// SMART resource scopes (openid, launch, fhirUser, …) are ignored.
func ParseScopes(s string) []Scope {
	var out []Scope
	for _, f := range strings.Fields(s) {
		ctx, rest, ok := strings.Cut(f, "/")
		if !ok || ruleOf(ctx) == nil {
			continue
		}
		typ, access, ok := strings.Cut(rest, ".")
		if !ok || !scopeTypeRe.MatchString(typ) {
			continue
		}
		switch access {
		case "read", "write", "*":
		default:
			continue
		}
		out = append(out, Scope{Context: ctx, Type: typ, Access: access})
	}
	return out
}

// Reach says how far the token may read resources of a type, given
// whether it carries a usable patient context: the widest reach any of
// its scopes grants under ScopeRules.
func (p *Principal) Reach(typ string, hasPatient bool) Reach {
	best := ReachNone
	for _, s := range p.Scopes {
		if !s.reads(typ) {
			continue
		}
		r := ruleOf(s.Context)
		reach := r.WithoutPatient
		if hasPatient {
			reach = r.WithPatient
		}
		best = max(best, reach)
	}
	return best
}

// Grants reports whether the token can read anything at all, given
// whether it carries a usable patient context. A token whose only read
// scopes are patient/ scopes and which has no patient context grants
// nothing, and is refused.
func (p *Principal) Grants(hasPatient bool) bool {
	for _, s := range p.Scopes {
		if s.Access != "read" && s.Access != "*" {
			continue
		}
		r := ruleOf(s.Context)
		if hasPatient && r.WithPatient != ReachNone || !hasPatient && r.WithoutPatient != ReachNone {
			return true
		}
	}
	return false
}
