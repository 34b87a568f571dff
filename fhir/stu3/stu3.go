package stu3

import "strings"

// Kind is what a type is.
type Kind int

const (
	Resource Kind = iota + 1
	Complex
	Primitive
	Backbone
)

// Element is one element of a type.
type Element struct {
	Name    string   // JSON name; a choice element ends in "[x]", e.g. "value[x]"
	Min     int      // 0 or 1
	Max     string   // "1" or "*"
	Types   []string // FHIR types; several for a choice; a backbone names its nested type, e.g. "Patient.contact"
	Targets []string // Reference: the resource types it may point to
	Codes   []string // code with a required binding: the allowed codes
}

// Type is a resource, data type or backbone element.
type Type struct {
	Name     string
	Kind     Kind
	Elements []Element
}

// Lookup returns a type by name ("Patient", "HumanName", "Patient.contact",
// "string"), or nil.
func Lookup(name string) *Type { return table[name] }

// IsResource reports whether name is an STU3 resource type.
func IsResource(name string) bool {
	t := table[name]
	return t != nil && t.Kind == Resource
}

// Resources lists the resource types.
func Resources() []string {
	var out []string
	for n, t := range table {
		if t.Kind == Resource {
			out = append(out, n)
		}
	}
	return out
}

// Element finds an element by its JSON name; a choice element is found by
// its typed name ("deceasedBoolean" gives deceased[x] and "boolean").
func (t *Type) Element(jsonName string) (*Element, string, bool) {
	if t == nil {
		return nil, "", false
	}
	for i := range t.Elements {
		el := &t.Elements[i]
		if el.Name == jsonName && len(el.Types) > 0 {
			return el, el.Types[0], true
		}
		base, ok := strings.CutSuffix(el.Name, "[x]")
		if !ok || !strings.HasPrefix(jsonName, base) {
			continue
		}
		suffix := jsonName[len(base):]
		for _, ty := range el.Types {
			if strings.EqualFold(ty, suffix) && suffix != "" && suffix[0] >= 'A' && suffix[0] <= 'Z' {
				return el, ty, true
			}
		}
	}
	return nil, "", false
}

// Index returns the FHIR order position of an element given by its JSON
// name, or -1.
func (t *Type) Index(jsonName string) int {
	el, _, ok := t.Element(jsonName)
	if !ok {
		return -1
	}
	for i := range t.Elements {
		if &t.Elements[i] == el {
			return i
		}
	}
	return -1
}
