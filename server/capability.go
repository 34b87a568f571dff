package server

import (
	"slices"
	"sort"
	"time"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"github.com/ccfacade/ccfacade/mapping"
)

// Capability describes what the engine's mappings implement: the
// CapabilityStatement lists exactly these resources and parameters.
func Capability(eng *engine.Engine, version, security string, now time.Time) fhir.Capability {
	caps := fhir.Capability{
		Name:                "ccfacade",
		Title:               "Care Connect API (FHIR STU3), read-only",
		Publisher:           "ccfacade",
		Date:                now.UTC().Format(time.RFC3339),
		SoftwareName:        "ccfacade",
		SoftwareVersion:     version,
		Description:         "Read-only Care Connect API served from the care system's SQL database.",
		Formats:             []string{"application/fhir+json", "json", "application/fhir+xml", "xml"},
		SecurityDescription: security,
	}
	set := eng.Set()
	ms := append(set.Mappings[:0:0], set.Mappings...)
	sort.Slice(ms, func(i, j int) bool { return ms[i].Resource < ms[j].Resource })
	for _, m := range ms {
		r := fhir.CapabilityResource{Type: m.Resource, Profile: m.Profile, Interactions: []string{"read", "search-type"}}
		r.SearchParams = append(r.SearchParams, fhir.CapabilitySearchParam{Name: "_id", Type: "token",
			Definition: "http://hl7.org/fhir/SearchParameter/Resource-id", Documentation: "The resource id."})
		if m.From.Updated != "" {
			r.SearchParams = append(r.SearchParams, fhir.CapabilitySearchParam{Name: "_lastUpdated", Type: "date",
				Definition: "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated", Documentation: "When the source row last changed; prefixes eq ne lt gt le ge sa eb ap."})
		}
		for _, p := range m.Search {
			doc := engine.ParamDoc(p)
			// The STU3 definition of the parameter, where it is one.
			def := ""
			if d, ok := stu3.LookupSearchParameter(m.Resource, p.Name); ok && d.Type == p.Type {
				def = d.Definition()
			}
			r.SearchParams = append(r.SearchParams, fhir.CapabilitySearchParam{Name: p.Name, Type: p.Type, Documentation: doc, Definition: def})
		}
		for _, p := range m.Search {
			if p.Type == "reference" && followable(p) {
				r.Includes = append(r.Includes, m.Resource+":"+p.Name)
			}
		}
		if len(r.Includes) > 0 {
			r.Includes = append(r.Includes, "*")
		}
		for _, other := range ms {
			for _, p := range other.Search {
				if p.Type == "reference" && followable(p) && len(m.From.Key) == 1 && slices.Contains(p.Target, m.Resource) {
					r.RevIncludes = append(r.RevIncludes, other.Resource+":"+p.Name)
				}
			}
		}
		caps.Resources = append(caps.Resources, r)
	}
	if set.Lookup("Patient") != nil && len(eng.Compartment()) > 0 {
		caps.Operations = append(caps.Operations, fhir.CapabilityOperation{Name: "everything", Definition: "OperationDefinition/" + fhir.EverythingOperationID})
	}
	return caps
}

// followable reports whether _include can follow a reference parameter:
// some source of it is one column of the resource's row.
func followable(p *mapping.SearchParam) bool {
	for _, src := range p.Sources() {
		if src.Col >= 0 {
			return true
		}
	}
	return false
}
