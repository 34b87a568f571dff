package profile

import (
	"slices"
	"strings"
)

// invariant is one of the error-level constraints (FHIRPath
// invariants) of the R4 definitions of the types the facade serves,
// written out in Go: the checker evaluates no FHIRPath. Each holds of an
// object at an element path (a resource's type, or a path into it
// without indexes); one a profile adds applies when the resource claims
// that profile.
type invariant struct {
	key, msg string
	profile  string // the profile that adds it, or "" for the R4 definition's
	holds    func(o map[string]any) bool
}

const (
	allergyVerification   = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
	conditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	conditionClinical     = "http://terminology.hl7.org/CodeSystem/condition-clinical"
)

// r4Invariants are the invariants by element path.
var r4Invariants = map[string][]invariant{
	"Patient.contact": {{key: "pat-1", msg: "a contact needs a name, telecom, address or organization",
		holds: func(o map[string]any) bool { return anyOf(o, "name", "telecom", "address", "organization") }}},
	"Organization": {{key: "org-1", msg: "an Organization needs an identifier or a name",
		holds: func(o map[string]any) bool { return anyOf(o, "identifier", "name") }}},
	"Organization.telecom": {{key: "org-3", msg: "an Organization's telecom cannot be of use home",
		holds: func(o map[string]any) bool { return o["use"] != "home" }}},
	"Organization.address": {{key: "org-2", msg: "an Organization's address cannot be of use home",
		holds: func(o map[string]any) bool { return o["use"] != "home" }}},
	"AllergyIntolerance": {
		{key: "ait-1", msg: "clinicalStatus is required unless verificationStatus is entered-in-error",
			holds: func(o map[string]any) bool {
				return hasCoding(o["verificationStatus"], allergyVerification, "entered-in-error") || present(o, "clinicalStatus")
			}},
		{key: "ait-2", msg: "clinicalStatus must be absent when verificationStatus is entered-in-error",
			holds: func(o map[string]any) bool {
				return !hasCoding(o["verificationStatus"], allergyVerification, "entered-in-error") || !present(o, "clinicalStatus")
			}},
	},
	"Condition": {
		{key: "con-4", msg: "an abatement needs a clinicalStatus of resolved, remission or inactive",
			holds: func(o map[string]any) bool {
				return !present(o, "abatement[x]") || hasCoding(o["clinicalStatus"], conditionClinical, "resolved", "remission", "inactive")
			}},
		{key: "con-5", msg: "clinicalStatus must be absent when verificationStatus is entered-in-error",
			holds: func(o map[string]any) bool {
				return !hasCoding(o["verificationStatus"], conditionVerification, "entered-in-error") || !present(o, "clinicalStatus")
			}},
	},
	"Condition.stage": {{key: "con-1", msg: "a stage needs a summary or an assessment",
		holds: func(o map[string]any) bool { return anyOf(o, "summary", "assessment") }}},
	"Condition.evidence": {{key: "con-2", msg: "evidence needs a code or a detail",
		holds: func(o map[string]any) bool { return anyOf(o, "code", "detail") }}},
	"Observation": {
		{key: "obs-6", msg: "dataAbsentReason must be absent when there is a value",
			holds: func(o map[string]any) bool { return !present(o, "dataAbsentReason") || !present(o, "value[x]") }},
		{key: "obs-7", msg: "with a value, no component may have the Observation's own code",
			holds: func(o map[string]any) bool {
				if !present(o, "value[x]") {
					return true
				}
				own := codings(o["code"])
				comps, _ := o["component"].([]any)
				for _, c := range comps {
					if m, ok := c.(map[string]any); ok {
						for _, cd := range codings(m["code"]) {
							if slices.Contains(own, cd) {
								return false
							}
						}
					}
				}
				return true
			}},
	},
	"Observation.referenceRange": {{key: "obs-3", msg: "a reference range needs a low, a high or a text",
		holds: func(o map[string]any) bool { return anyOf(o, "low", "high", "text") }}},
	"Immunization": {{key: "ukcore-imm-001", profile: "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Immunization",
		msg:   "a status of not-done needs a statusReason",
		holds: func(o map[string]any) bool { return o["status"] != "not-done" || present(o, "statusReason") }}},
	"Immunization.education": {{key: "imm-1", msg: "education needs a documentType or a reference",
		holds: func(o map[string]any) bool { return anyOf(o, "documentType", "reference") }}},
}

// r4TypeInvariants are the invariants of data types, wherever they are
// used.
var r4TypeInvariants = map[string][]invariant{
	"Period": {{key: "per-1", msg: "a period cannot end before it starts",
		holds: func(o map[string]any) bool {
			// Compared by day only: times of one day in other zones, or
			// dates of other precisions, are not ordered here.
			start, _ := o["start"].(string)
			end, _ := o["end"].(string)
			return len(start) < 10 || len(end) < 10 || start[:10] <= end[:10]
		}}},
}

// invariants checks the invariants of the element at fhirPath on o;
// claims are the profiles the resource names.
func (c *checker) invariants(o map[string]any, path, fhirPath string, claims []string) {
	invs := r4Invariants[fhirPath]
	if strings.Contains(fhirPath, ".") {
		invs = append(slices.Clip(invs), r4TypeInvariants[c.r.typeAt(fhirPath)]...)
	}
	for _, inv := range invs {
		if inv.profile != "" && !slices.Contains(claims, inv.profile) {
			continue
		}
		if !inv.holds(o) {
			c.add(path, inv.msg+" ("+inv.key+")")
		}
	}
}

// present reports whether o has the element (a choice name any of its
// typed forms), as a value or as a primitive's extensions.
func present(o map[string]any, name string) bool {
	if choice, ok := strings.CutSuffix(name, "[x]"); ok {
		for k := range o {
			rest, ok := strings.CutPrefix(strings.TrimPrefix(k, "_"), choice)
			if ok && rest != "" && rest[0] >= 'A' && rest[0] <= 'Z' {
				return true
			}
		}
		return false
	}
	if v, ok := o[name]; ok && v != nil {
		return true
	}
	_, ok := o["_"+name]
	return ok
}

func anyOf(o map[string]any, names ...string) bool {
	return slices.ContainsFunc(names, func(n string) bool { return present(o, n) })
}

// codings are the system|code of a CodeableConcept's codings.
func codings(v any) []string {
	cc, _ := v.(map[string]any)
	list, _ := cc["coding"].([]any)
	var out []string
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			s, _ := m["system"].(string)
			code, _ := m["code"].(string)
			out = append(out, s+"|"+code)
		}
	}
	return out
}

// hasCoding reports whether a CodeableConcept has a coding of system
// with one of the codes.
func hasCoding(v any, system string, codes ...string) bool {
	for _, sc := range codings(v) {
		s, code, _ := strings.Cut(sc, "|")
		if s == system && slices.Contains(codes, code) {
			return true
		}
	}
	return false
}
