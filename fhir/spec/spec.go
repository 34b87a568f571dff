package spec

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Kind is what a type is.
type Kind int

const (
	Resource  Kind = iota + 1 // a resource type: Patient, Bundle...
	Complex                   // a complex data type: HumanName, Reference...
	Primitive                 // a primitive data type: string, dateTime...
	Backbone                  // an element defined inside a type: Patient.contact
)

func (k Kind) String() string {
	switch k {
	case Resource:
		return "resource"
	case Complex:
		return "complex type"
	case Primitive:
		return "primitive type"
	case Backbone:
		return "backbone element"
	}
	return "unknown kind"
}

// Element is one element of a type.
type Element struct {
	Name    string   // JSON name; a choice element ends in "[x]", e.g. "value[x]"
	Min     int      // 0 or 1
	Max     string   // "1" or "*"
	Types   []string // FHIR types; several for a choice; a backbone names its nested type, e.g. "Patient.contact"
	Targets []string // Reference: the resource types it may point to ("Resource": any); nil if not known
	Codes   []string // code with a required binding: the allowed codes; nil if not known
	Summary bool     // part of the summary form of its resource (isSummary: _summary=true keeps it)
}

// Choice reports whether the element is a choice of types (value[x]).
func (el *Element) Choice() bool { return strings.HasSuffix(el.Name, "[x]") }

// Type is a resource, data type or backbone element. Its elements are in
// FHIR order. A primitive type lists the id and extension of its JSON
// companion (_birthDate), not its value.
type Type struct {
	Name     string
	Kind     Kind
	Elements []Element

	release *Release // the release whose table holds it; nil for a type made by a caller
}

// Release is the table of one FHIR release: its types by name, the
// search parameters of its resource types and its compartments. The
// abstract Resource, DomainResource, Element and BackboneElement are not
// types of the table: their elements head those of every type derived
// from them. An element of type "Resource" holds any resource.
type Release struct {
	version   string
	types     map[string]*Type
	resources []string
	search    map[string][]SearchParameter
	// compartments: compartment type → resource type → the parameters
	// that put a resource of the type in one (see compartment.go)
	compartments map[string]map[string][]string

	indexOnce sync.Once
	indexes   map[*Type]map[string]slot
}

// NewRelease makes the release of a FHIR version ("4.0.1") from its
// generated tables: the types by name, the resource types (sorted), the
// search parameters by resource type and the compartments (compartment
// type → resource type → the search parameters that put a resource of the
// type in one, "{def}" for the compartment's own resource). The release
// owns the tables from then on.
func NewRelease(version string, types map[string]*Type, resources []string, search map[string][]SearchParameter, compartments map[string]map[string][]string) *Release {
	r := &Release{version: version, types: types, resources: resources, search: search, compartments: compartments}
	for _, t := range types {
		t.release = r
	}
	return r
}

// Version is the FHIR version of the release: "3.0.1", "4.0.1".
func (r *Release) Version() string { return r.version }

// Lookup returns a type by name ("Patient", "HumanName", "Patient.contact",
// "string"), or nil.
func (r *Release) Lookup(name string) *Type { return r.types[name] }

// IsResource reports whether name is a resource type of the release.
func (r *Release) IsResource(name string) bool {
	t := r.types[name]
	return t != nil && t.Kind == Resource
}

// Resources lists the resource types, sorted.
func (r *Release) Resources() []string { return append([]string(nil), r.resources...) }

// Types lists the names of every type of a kind, sorted.
func (r *Release) Types(k Kind) []string {
	var out []string
	for n, t := range r.types {
		if t.Kind == k {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// JSONName is the JSON name of a choice element for one of its types:
// ("value[x]", "Quantity") gives "valueQuantity". SimpleQuantity and
// MoneyQuantity, profiles of Quantity, are spelled Quantity. Other names
// are returned as they are.
func JSONName(name, typ string) string {
	base, ok := strings.CutSuffix(name, "[x]")
	if !ok {
		return name
	}
	if typ == "SimpleQuantity" || typ == "MoneyQuantity" {
		typ = "Quantity"
	}
	if typ == "" {
		return base
	}
	return base + strings.ToUpper(typ[:1]) + typ[1:]
}

// Element finds an element by its JSON name and gives the type it has under
// that name. A choice element is found by its typed names ("deceasedBoolean"
// gives deceased[x] and "boolean"), and by its name with "[x]", which gives
// no type.
func (t *Type) Element(jsonName string) (el *Element, typ string, ok bool) {
	s, ok := t.slot(jsonName)
	if !ok {
		return nil, "", false
	}
	return &t.Elements[s.index], s.typ, true
}

// Index returns the position in FHIR order of the element of this JSON name
// (as Element finds it), or -1. The JSON companion of a primitive element
// ("_birthDate") has the position of the element, so that sorting by Index
// writes it next to its value.
func (t *Type) Index(jsonName string) int {
	s, ok := t.slot(jsonName)
	if !ok {
		if base, cut := strings.CutPrefix(jsonName, "_"); cut {
			if s, ok = t.slot(base); ok && isPrimitive(s.typ) {
				return s.index
			}
		}
		return -1
	}
	return s.index
}

// isPrimitive reports whether a type name is that of a primitive type:
// FHIR spells those, and only those, with a lower-case initial.
func isPrimitive(name string) bool {
	r, _ := utf8.DecodeRuneInString(name)
	return unicode.IsLower(r)
}

type slot struct {
	index int
	typ   string
}

func (t *Type) slot(jsonName string) (slot, bool) {
	if t == nil {
		return slot{}, false
	}
	var idx map[string]slot
	if r := t.release; r != nil {
		r.indexOnce.Do(func() {
			r.indexes = make(map[*Type]map[string]slot, len(r.types))
			for _, tt := range r.types {
				r.indexes[tt] = buildIndex(tt)
			}
		})
		idx = r.indexes[t]
	} else {
		idx = buildIndex(t) // a type made by the caller
	}
	s, ok := idx[jsonName]
	return s, ok
}

func buildIndex(t *Type) map[string]slot {
	idx := make(map[string]slot, len(t.Elements))
	for i, el := range t.Elements {
		if !el.Choice() {
			var typ string
			if len(el.Types) > 0 {
				typ = el.Types[0]
			}
			idx[el.Name] = slot{i, typ}
			continue
		}
		idx[el.Name] = slot{i, ""}
		for _, typ := range el.Types {
			idx[JSONName(el.Name, typ)] = slot{i, typ}
		}
	}
	return idx
}
