package engine

import (
	"slices"
	"sort"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// Offered is what a search of one mapping accepts, for the
// CapabilityStatement: found by the same lookups that read a request, so
// that what the statement says and what a search takes cannot differ.
type Offered struct {
	Params      []OfferedParam
	Includes    []string // Type:param values of _include, then * when any
	RevIncludes []string // Type:param values of _revinclude
}

// OfferedParam is one search parameter as the CapabilityStatement states
// it: its name and FHIR type, the definition of the engine's release it
// implements (if one) and how it searches.
type OfferedParam struct {
	Name, Type, Definition, Doc string
}

// Offered tells what a search of m accepts.
func (e *Engine) Offered(m *mapping.Mapping) Offered {
	var o Offered
	for _, name := range e.paramNames(m) {
		sp, err := e.lookupParam(m, fhir.ParamKey{Name: name}, name)
		if err != nil {
			continue
		}
		o.Params = append(o.Params, e.offeredParam(m, name, sp))
	}
	for _, name := range m.SearchNamesIn(e.ver) {
		v := e.typ(m) + ":" + name
		if _, err := e.parseInclude(m, "_include", v); e.param(m, name).Type == "reference" && err == nil {
			o.Includes = append(o.Includes, v)
		}
	}
	if len(o.Includes) > 0 {
		o.Includes = append(o.Includes, "*")
	}
	others := e.Mappings()
	sort.Slice(others, func(i, j int) bool { return e.typ(others[i]) < e.typ(others[j]) })
	for _, other := range others {
		for _, name := range other.SearchNamesIn(e.ver) {
			v := e.typ(other) + ":" + name
			if _, err := e.parseIncludeFrom(m, "_revinclude", v, other); e.param(other, name).Type == "reference" && err == nil && !slices.Contains(o.RevIncludes, v) {
				o.RevIncludes = append(o.RevIncludes, v)
			}
		}
	}
	return o
}

// offeredParam states one parameter: _id and _lastUpdated as the
// Resource parameters, a mapping's own with the definition of that name
// and type in the engine's release where there is one.
func (e *Engine) offeredParam(m *mapping.Mapping, name string, sp *mapping.SearchParam) OfferedParam {
	switch {
	case sp == idParam:
		return OfferedParam{Name: "_id", Type: "token", Definition: "http://hl7.org/fhir/SearchParameter/Resource-id", Doc: "The resource id."}
	case sp == e.lastUpdated(m):
		return OfferedParam{Name: "_lastUpdated", Type: "date", Definition: "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
			Doc: "When the source row last changed; prefixes eq ne lt gt le ge sa eb ap."}
	}
	p := OfferedParam{Name: name, Type: sp.Type, Doc: paramDoc(sp)}
	if d, ok := e.table().LookupSearchParameter(e.typ(m), name); ok && d.Type == sp.Type {
		p.Definition = d.Definition()
	}
	return p
}

// OfferedAll tells what a search of a type several mappings serve takes:
// a parameter any of them takes that each of the others either takes or
// has no element for (its resources lack what the parameter searches;
// memberParams), and the includes and revincludes every one of them
// takes.
func (e *Engine) OfferedAll(ms []*mapping.Mapping) Offered {
	o := e.Offered(ms[0])
	all := []Offered{o}
	for _, m := range ms[1:] {
		other := e.Offered(m)
		all = append(all, other)
		for _, q := range other.Params {
			if !slices.ContainsFunc(o.Params, func(p OfferedParam) bool { return q.Name == p.Name }) {
				o.Params = append(o.Params, q)
			}
		}
		o.Includes = slices.DeleteFunc(o.Includes, func(s string) bool { return !slices.Contains(other.Includes, s) })
		o.RevIncludes = slices.DeleteFunc(o.RevIncludes, func(s string) bool { return !slices.Contains(other.RevIncludes, s) })
	}
	o.Params = slices.DeleteFunc(o.Params, func(p OfferedParam) bool {
		for i, m := range ms {
			if !slices.ContainsFunc(all[i].Params, func(q OfferedParam) bool { return q.Name == p.Name }) && e.shows(m, p.Name) {
				return true
			}
		}
		return false
	})
	return o
}
