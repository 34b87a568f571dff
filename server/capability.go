package server

import (
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
	ms := eng.Mappings()
	sort.Slice(ms, func(i, j int) bool { return ms[i].Resource < ms[j].Resource })
	patient := false
	for _, m := range ms {
		patient = patient || m.Resource == "Patient"
		r := fhir.CapabilityResource{Type: m.Resource, Profile: m.ProfileIn(ver), SupportedProfiles: m.SupportedProfilesIn(ver), Interactions: []string{"read", "search-type"}}
		o := eng.Offered(m)
		for _, p := range o.Params {
			r.SearchParams = append(r.SearchParams, fhir.CapabilitySearchParam{Name: p.Name, Type: p.Type, Documentation: p.Doc, Definition: p.Definition})
		}
		r.Includes, r.RevIncludes = o.Includes, o.RevIncludes
		caps.Resources = append(caps.Resources, r)
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
