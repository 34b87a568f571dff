package profile

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// NewDefinitionsR4 returns an empty set of FHIR R4 (4.0.x) definitions;
// source says where they come from. Add takes R4's forms into it: a
// type's profiles and target profiles as lists, a binding's valueSet
// canonical, an extension's context as type and expression.
func NewDefinitionsR4(source string) *Definitions {
	d := NewDefinitions(source)
	d.r4 = true
	return d
}

// readContext reads an extension's context: STU3's list of paths, or
// R4's list of {type, expression} (an element path, a type name, or the
// URL of the extension it lies in).
func readContext(raw json.RawMessage, r4 bool) ([]string, error) {
	if !r4 {
		var paths []string
		err := json.Unmarshal(raw, &paths)
		return paths, err
	}
	var ctx []struct {
		Type       string `json:"type"`
		Expression string `json:"expression"`
	}
	if err := json.Unmarshal(raw, &ctx); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ctx))
	for _, c := range ctx {
		if c.Expression == "" {
			return nil, errors.New("a context without an expression")
		}
		out = append(out, c.Expression)
	}
	return out, nil
}

// r4Types turns one R4 type of an element into the checker's: one per
// profile and per target profile (Reference(Patient|Group) is two). The
// FHIRPath system types R4 gives a primitive's value, an element's id
// and an extension's url are no FHIR type, as in STU3.
func r4Types(code string, profiles, targets json.RawMessage) ([]typeRef, error) {
	if code == "" || strings.HasPrefix(code, "http://hl7.org/fhirpath/") {
		return nil, nil
	}
	var ps, ts []string
	if len(profiles) > 0 {
		if err := json.Unmarshal(profiles, &ps); err != nil {
			return nil, fmt.Errorf("type %s: profile: %w (R4 has a list of URLs)", code, err)
		}
	}
	if len(targets) > 0 {
		if err := json.Unmarshal(targets, &ts); err != nil {
			return nil, fmt.Errorf("type %s: targetProfile: %w (R4 has a list of URLs)", code, err)
		}
	}
	if len(ps) == 0 {
		ps = []string{""}
	}
	if len(ts) == 0 {
		ts = []string{""}
	}
	var out []typeRef
	for _, p := range ps {
		for _, t := range ts {
			out = append(out, typeRef{Code: code, Profile: p, Target: t})
		}
	}
	return out, nil
}
