package gpconnect

import (
	"maps"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
)

// Items withheld (SPEC §6.1): an item whose Care Connect rendering is
// labelled restricted or very restricted (meta.security, confidentiality
// R or V: the mapping gives the label from the row) is never sent. Each
// list it would have been in (its area's, a "Problems - … related to
// problems" or "Consultations - … contained in consultations" list, the
// linked problems' list), also when its area is switched off, carries the
// confidential-items warning and its note instead; a list left with only
// withheld items is empty, with its reason and the warning. A reference
// to a withheld item from what is sent (a problem's link to it, a
// report's result) is left out, and what the bundle holds only for it (a
// statement's plan and issues, its Medication) goes with it.

// The warning of a list with items withheld.
const (
	confidentialItems = "confidential-items"
	confidentialNote  = "Items excluded due to confidentiality and/or patient preferences."
)

// restricted is the confidentiality code, R (restricted) or V (very
// restricted), a resource is labelled with, or "".
func restricted(res *fhir.Object) string {
	meta, _ := res.Get("meta").(*fhir.Object)
	if meta == nil {
		return ""
	}
	sec, _ := meta.Get("security").(fhir.Array)
	for _, x := range sec {
		if o, ok := x.(*fhir.Object); ok && (o.GetString("system") == confidentiality || o.GetString("system") == confidentialityR4) {
			if c := o.GetString("code"); c == "R" || c == "V" {
				return c
			}
		}
	}
	return ""
}

// confidentialityR4 is R4's system of the confidentiality codes, which a
// label written for R4 may carry.
const confidentialityR4 = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

// isWithheld says whether a resource of the record is withheld: found
// withheld, made from one that is (an acute prescription's statement and
// plan), or labelled so itself.
func (r *record) isWithheld(res *fhir.Object) bool {
	return r.withheld[key(res)] || restricted(res) != ""
}

// labelReferred finds out which of the resources the record refers to
// but does not hold are withheld (an item of an area not asked for that a
// problem links to, say), so that withhold leaves out the references to
// them too: one search a type, of the types whose mappings give labels.
// The items a problem links to are found whatever their type, for one
// entered in error is void (searchIn): a problem sent as a linked one
// refers to no item entered in error.
func (r *record) labelReferred() error {
	want := map[string][]string{}
	seen := map[string]bool{}
	look := func(ref string, linked bool) {
		typ, id, ok := strings.Cut(ref, "/")
		if !ok || seen[ref] || r.have[ref] || r.withheld[ref] || r.void[ref] || !(r.s.labelled[typ] || linked) ||
			r.s.eng.Set().Lookup(typ) == nil || !fhir.IsValidID(id) {
			return
		}
		seen[ref] = true
		want[typ] = append(want[typ], id)
	}
	for _, v := range r.sections {
		if v.GetString("resourceType") == "Condition" {
			for _, ref := range relatedContent(v) {
				look(ref, true)
			}
		}
		walkRefs(v, func(ref string) { look(ref, false) })
	}
	for _, typ := range slices.Sorted(maps.Keys(want)) {
		if _, err := r.searchIDs(typ, nil, want[typ], r.ofPatient(typ)); err != nil { // marks the withheld and void ones
			return err
		}
	}
	return nil
}

// withhold takes out of the record, once every area and link is built,
// whatever is withheld (see above): the withheld resources, the
// references to them, and the resources nothing left in the bundle
// refers to (from a List, or from a resource a List reaches, or based on
// one). The Lists have left the withheld items out already (list).
func (r *record) withhold() {
	if len(r.withheld) == 0 && len(r.void) == 0 {
		return
	}
	kept := r.sections[:0]
	for _, v := range r.sections {
		if r.isWithheld(v) {
			delete(r.have, key(v))
			continue
		}
		r.scrub(v)
		kept = append(kept, v)
	}
	r.sections = kept
	// What a List reaches: what it refers to, what that refers to, and
	// what is based on any of them (an issue, on its plan).
	byKey := map[string]*fhir.Object{}
	basedOn := map[string][]string{}
	for _, v := range r.sections {
		if v.GetString("resourceType") == "List" {
			continue
		}
		byKey[key(v)] = v
		for _, ref := range values(v, "basedOn.reference") {
			basedOn[ref] = append(basedOn[ref], key(v))
		}
	}
	reached := map[string]bool{}
	var queue []string
	reach := func(ref string) {
		if byKey[ref] != nil && !reached[ref] {
			reached[ref] = true
			queue = append(queue, ref)
		}
	}
	for _, v := range r.sections {
		if v.GetString("resourceType") == "List" {
			walkRefs(v, reach)
		}
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		walkRefs(byKey[k], reach)
		for _, b := range basedOn[k] {
			reach(b)
		}
	}
	kept = r.sections[:0]
	for _, v := range r.sections {
		if v.GetString("resourceType") != "List" && !reached[key(v)] {
			delete(r.have, key(v))
			continue
		}
		kept = append(kept, v)
	}
	r.sections = kept
}

// refersWithheld says whether a value holds a reference to a withheld
// resource, or to one not sent at all (void).
func (r *record) refersWithheld(v fhir.Value) bool {
	found := false
	walkRefs(v, func(ref string) { found = found || r.withheld[ref] || r.void[ref] })
	return found
}

// scrub leaves out of a resource the references to withheld resources
// (and to void ones):
// an element of a list that holds one (a relatedClinicalContent
// extension, a report's result), or a single element that is one (the
// list then, or the element, left out when nothing else remains); a
// contained resource is scrubbed in turn.
func (r *record) scrub(o *fhir.Object) {
	t := stu3.Lookup(o.GetString("resourceType"))
	for i := 0; i < len(o.Fields); i++ {
		name := o.Fields[i].Name
		switch v := o.Fields[i].Value.(type) {
		case fhir.Array:
			if !r.refersWithheld(v) {
				continue
			}
			if name == "contained" {
				// A resource a List contains (an ended allergy) is sent
				// without its references to withheld ones, not dropped:
				// the List's #id entry names it.
				for _, c := range v {
					if co, ok := c.(*fhir.Object); ok {
						r.scrub(co)
					}
				}
				continue
			}
			kept := slices.DeleteFunc(slices.Clone(v), r.refersWithheld)
			if len(kept) == 0 {
				put(o, t, name, nil)
				i--
				continue
			}
			o.Fields[i].Value = kept
		case *fhir.Object:
			if !r.refersWithheld(v) {
				continue
			}
			if ref := v.GetString("reference"); r.withheld[ref] || r.void[ref] {
				put(o, t, name, nil)
				i--
				continue
			}
			r.scrub(v)
		}
	}
}

// withheldOut leaves the withheld items out of a List's references (and
// the contained resources they name, #id): what is kept, and how many
// were left out.
func (r *record) withheldOut(items []string, contained fhir.Array) ([]string, fhir.Array, int) {
	if len(r.withheld) == 0 {
		return items, contained, 0
	}
	out := 0
	hidden := map[string]bool{}
	if len(contained) > 0 {
		var kept fhir.Array
		for _, c := range contained {
			if o, ok := c.(*fhir.Object); ok && r.isWithheld(o) {
				hidden["#"+o.GetString("id")] = true
				continue
			}
			kept = append(kept, c)
		}
		contained = kept
	}
	var kept []string
	for _, ref := range items {
		if r.withheld[ref] || hidden[ref] {
			out++
			continue
		}
		kept = append(kept, ref)
	}
	return kept, contained, out
}
