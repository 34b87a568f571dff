package spec

import (
	"slices"
	"sort"
	"strings"
)

// The compartments of a release (its CompartmentDefinitions): for each
// compartment type (Patient, Encounter, RelatedPerson, Practitioner,
// Device), the resource types that can belong to one compartment of it,
// and the search parameters that put a resource there: an Observation is
// in the compartment of Patient/1 when its subject or its performer is
// Patient/1. A release's table lists them in the definition's order,
// "{def}" standing for the compartment's own resource (which belongs to
// it by its id).

// CompartmentTypes lists the types that have compartments, sorted.
func (r *Release) CompartmentTypes() []string {
	out := make([]string, 0, len(r.compartments))
	for c := range r.compartments {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// InCompartment reports whether resources of a type can belong to a
// compartment of a type. The compartment's own type does where the
// definition lists it (a Patient is in its own compartment; R4's Device
// compartment does not list Device).
func (r *Release) InCompartment(compartment, resource string) bool {
	_, ok := r.compartments[compartment][resource]
	return ok
}

// CompartmentParams returns the search parameters by which a resource of
// a type belongs to a compartment of a type, in the definition's order
// (Observation in a Patient's: subject, performer); nil when it never
// does. The compartment's own type lists only those that bring in other
// resources of the type (a Patient: link); the resource whose compartment
// it is belongs to it by its id. A few name a chain through another
// resource (STU3 AuditEvent's agent.patient), which no search parameter
// of the table is. The slice is the caller's.
func (r *Release) CompartmentParams(compartment, resource string) []string {
	var out []string
	for _, p := range r.compartments[compartment][resource] {
		if p != "{def}" {
			out = append(out, p)
		}
	}
	return out
}

// CompartmentSearch groups the search parameters that find whether a
// resource belongs to a compartment: one group for each of
// CompartmentParams, which holds the reference parameters of the type
// that search the same elements: first those limited to references to
// the compartment's type, then the definition's own, then those not
// limited at all (STU3 Observation in a Patient's: [patient subject]
// [performer], patient being subject limited to Patient; in an
// Encounter's: [encounter context]). Every parameter of a group finds the
// same resources for a compartment of that type, so a search needs one of
// each group: a resource is in the compartment when any group's finds it.
func (r *Release) CompartmentSearch(compartment, resource string) [][]string {
	var out [][]string
	for _, name := range r.CompartmentParams(compartment, resource) {
		def, ok := r.LookupSearchParameter(resource, name)
		if !ok || def.Type != "reference" {
			out = append(out, []string{name})
			continue
		}
		var limited, open []string
		for _, p := range r.search[resource] {
			if p.Name == name || p.Type != "reference" || !sameSet(p.Paths, def.Paths) {
				continue
			}
			switch {
			case len(p.Target) == 0:
				open = append(open, p.Name)
			case slices.Contains(p.Target, compartment):
				limited = append(limited, p.Name)
			}
		}
		out = append(out, append(append(limited, name), open...))
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

// CompartmentElements returns the element paths (dotted JSON names, no
// type) through which a resource of the type references the owner of a
// compartment: those the search parameters of CompartmentParams search
// (STU3 Observation in a Patient's: subject, performer; Coverage:
// policyHolder, subscriber, beneficiary, payor; Appointment:
// participant.actor). The slice is the caller's.
func (r *Release) CompartmentElements(compartment, resource string) []string {
	var out []string
	for _, name := range r.CompartmentParams(compartment, resource) {
		def, ok := r.LookupSearchParameter(resource, name)
		if !ok {
			continue
		}
		for _, p := range def.Paths {
			p, _, _ = strings.Cut(p, "|")
			if i := strings.IndexByte(p, '['); i >= 0 {
				p = p[:i] // medication[Reference]: the element
			}
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}
