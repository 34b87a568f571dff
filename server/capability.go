package server

import (
	"slices"
	"sort"
	"time"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
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
	ver := eng.Version()
	if ver == mapping.R4 {
		caps.Title = "UK Core (FHIR R4), read-only"
		caps.Description = "Read-only UK Core (FHIR R4 4.0.1, UK Core 2.0.2) API served from the care system's SQL database, from the same mappings as its Care Connect (STU3) API."
	}
	// One entry a type: a type several mappings serve (on R4,
	// ServiceRequest) offers what each of them does.
	var types []string
	byType := map[string][]*mapping.Mapping{}
	for _, m := range eng.Mappings() {
		t := m.ResourceIn(ver)
		if byType[t] == nil {
			types = append(types, t)
		}
		byType[t] = append(byType[t], m)
	}
	sort.Strings(types)
	patient := false
	for _, t := range types {
		patient = patient || t == "Patient"
		caps.Resources = append(caps.Resources, capabilityResource(eng, t, byType[t]))
	}
	if patient && len(eng.Compartment()) > 0 {
		caps.Operations = append(caps.Operations, fhir.CapabilityOperation{Name: "everything", Definition: "OperationDefinition/" + fhir.EverythingOperationID})
	}
	if ver == mapping.R4 {
		// R4 defines $versions (served on both bases); STU3 defines no
		// such operation, so its statement does not name it.
		caps.Operations = append(caps.Operations, fhir.CapabilityOperation{Name: "versions", Definition: fhir.VersionsOperationURL})
	}
	if ver == mapping.R4 && meetsUKCoreAccess(caps.Resources) {
		caps.Instantiates = []string{ukCoreAccess.URL}
	}
	return caps
}

// capabilityResource is the statement of a type the mappings ms serve:
// the profile they all claim (else none, and each one's as supported),
// and what a search of all of them takes (engine.OfferedAll).
func capabilityResource(eng *engine.Engine, typ string, ms []*mapping.Mapping) fhir.CapabilityResource {
	ver := eng.Version()
	first := ms[0]
	r := fhir.CapabilityResource{Type: typ, Profile: first.ProfileIn(ver), SupportedProfiles: first.SupportedProfilesIn(ver), Interactions: []string{"read", "search-type"}}
	for _, m := range ms[1:] {
		if p := m.ProfileIn(ver); p != r.Profile {
			for _, x := range []string{r.Profile, p} {
				if x != "" && !slices.Contains(r.SupportedProfiles, x) {
					r.SupportedProfiles = append(r.SupportedProfiles, x)
				}
			}
			r.Profile = ""
		}
	}
	o := eng.OfferedAll(ms)
	for _, p := range o.Params {
		r.SearchParams = append(r.SearchParams, fhir.CapabilitySearchParam{Name: p.Name, Type: p.Type, Documentation: p.Doc, Definition: p.Definition})
	}
	r.Includes, r.RevIncludes = o.Includes, o.RevIncludes
	return r
}
