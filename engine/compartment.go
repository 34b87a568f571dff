package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/ccfacade/ccfacade/adapters/sqlgen"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// Compartments. Which resources belong to a compartment (Patient/1's,
// Encounter/7's) is the CompartmentDefinitions of the engine's release
// (spec.Release.CompartmentSearch: STU3's on /fhir, R4's on /R4): for each
// resource type, the search parameters that put a resource of it in a
// compartment of each type. A mapping's resources belong to one through
// those of them it declares, by their names in that release, as
// references to the compartment's type, one of each group that searches
// the same elements (an Observation mapping's patient or subject, and its
// performer). A compartment search (Patient/1/Observation), $everything
// and a token's patient context all limit a query by them: a resource is
// in the compartment when any of them finds it.

// compartmentOf is a mapping in the compartments of a type, in a release.
type compartmentOf struct {
	m   *mapping.Mapping
	typ string
	ver mapping.Version
}

// compartmentMembers finds the parameters by which each mapping's
// resources belong to each type's compartments, in each release the
// mapping is served in.
func compartmentMembers(set *mapping.Set) map[compartmentOf][]*mapping.SearchParam {
	out := map[compartmentOf][]*mapping.SearchParam{}
	for _, v := range mapping.Versions {
		table := tableOf(v)
		for _, m := range set.Mappings {
			if !m.Serves(v) {
				continue
			}
			for _, typ := range table.CompartmentTypes() {
				var ps []*mapping.SearchParam
				for _, group := range table.CompartmentSearch(typ, m.ResourceIn(v)) {
					for _, name := range group {
						sp := m.SearchParamIn(v, name)
						if sp != nil && sp.Type == "reference" && slices.Contains(sp.Target, typ) {
							if !slices.Contains(ps, sp) {
								ps = append(ps, sp)
							}
							break
						}
					}
				}
				if len(ps) > 0 {
					out[compartmentOf{m, typ, v}] = ps
				}
			}
		}
	}
	return out
}

// compartmentParams returns the parameters by which m's resources belong
// to a compartment of typ, or a not-found error that says why they do not.
func (e *Engine) compartmentParams(m *mapping.Mapping, typ string) ([]*mapping.SearchParam, error) {
	if ps := e.members[compartmentOf{m, typ, e.ver}]; len(ps) > 0 {
		return ps, nil
	}
	msg := fmt.Sprintf("%s is not in the %s compartment", e.typ(m), typ)
	types := e.table().CompartmentTypes()
	switch by := e.table().CompartmentParams(typ, e.typ(m)); {
	case !slices.Contains(types, typ):
		msg = fmt.Sprintf("%s is not a compartment type (%s's are %s)", typ, e.ver, strings.Join(types, ", "))
	case len(by) > 0:
		msg += fmt.Sprintf(" here: %s puts it there by %s, and its mapping declares none of them as a reference to %s", e.ver, strings.Join(by, ", "), typ)
	}
	return nil, &Error{Kind: KindNotFound, SpineCode: "NO_RECORD_FOUND", Msg: msg}
}

// inPatientCompartment reports whether m's resources belong to patients'
// compartments here (the Patient's own are its compartment's identity).
func (e *Engine) inPatientCompartment(m *mapping.Mapping) bool {
	return m.Resource != "Patient" && len(e.members[compartmentOf{m, "Patient", e.ver}]) > 0
}

// whereRef limits a query to the resources in the compartment of Type/id.
func (e *Engine) whereRef(q *query, typ, id string) error {
	ps, err := e.compartmentParams(q.m, typ)
	if err != nil {
		return err
	}
	return e.whereRefBy(q, ps, typ, id)
}

// whereRefBy limits a query to the resources that reference Type/id by
// any of the reference parameters ps.
func (e *Engine) whereRefBy(q *query, ps []*mapping.SearchParam, typ, id string) error {
	preds := make([]sqlgen.Pred, 0, len(ps))
	for _, sp := range ps {
		name := e.paramName(q.m, sp)
		pr := &paramReq{raw: name, key: fhir.ParamKey{Name: name}, sp: sp,
			ands: [][]value{{{text: typ + "/" + id, ref: fhir.ReferenceValue{Type: typ, ID: id}}}}}
		pred, err := e.compileParam(q, pr)
		if err != nil {
			return err
		}
		preds = append(preds, pred)
	}
	q.where(sqlgen.Or(preds...))
	return nil
}

// compartmentOrder puts the record in the order a clinician reads it.
var compartmentOrder = []string{"AllergyIntolerance", "Condition", "Procedure", "Observation", "Encounter",
	"MedicationStatement", "MedicationRequest", "Immunization"}

// Compartment lists the mapped types in the Patient compartment (the
// Patient apart) that the engine's release serves: those that declare a
// parameter the release puts them there by, as a reference to Patient.
func (e *Engine) Compartment() []*mapping.Mapping {
	var out []*mapping.Mapping
	for _, m := range e.Mappings() {
		if e.inPatientCompartment(m) {
			out = append(out, m)
		}
	}
	rank := func(t string) int {
		if i := slices.Index(compartmentOrder, t); i >= 0 {
			return i
		}
		return len(compartmentOrder)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i].Resource), rank(out[j].Resource)
		if ri != rj {
			return ri < rj
		}
		return out[i].Resource < out[j].Resource
	})
	return out
}

// patientElements are the elements of m's resources that name their
// patient: the first elements of the paths, in the engine's release, of
// the parameters that put them in the Patient compartment (subject,
// patient).
func (e *Engine) patientElements(m *mapping.Mapping) []string {
	var out []string
	for _, sp := range e.members[compartmentOf{m, "Patient", e.ver}] {
		def, _ := e.table().LookupSearchParameter(e.typ(m), e.paramName(m, sp))
		for _, p := range def.Paths {
			first, _, _ := strings.Cut(p, ".")
			if !slices.Contains(out, first) {
				out = append(out, first)
			}
		}
	}
	return out
}
