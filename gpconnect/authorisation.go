package gpconnect

import (
	"fmt"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
	"gopkg.in/yaml.v3"
)

// A repeat's authorisation (SPEC §6.2): GP Connect's plan says how many
// issues the authorisation allows and when it expires (the repeat's
// review date), in the MedicationRepeatInformation extension beside the
// issues made, and its
// statement where it was prescribed (the PrescribingAgency extension: at
// the practice, by the previous practice, by another organisation; one
// prescribed elsewhere is sent whatever medicationSearchFromDate says).
// Care Connect's MedicationStatement has no element for either, so the
// overlay says where they are in the statement's row, in the mapping
// language's form, read through a mapping of the MedicationStatement
// mapping's table or query made for them alone, never served:
//
//	MedicationStatement:
//	  authorisation:
//	    allowed: { column: ISSUES_ALLOWED }
//	    expiry: { column: REVIEW_DATE, transform: { date: yyyyMMdd } }
//	    prescribed: { value: prescribed-by-previous-practice, when: { column: ORIGIN, equals: GP2GP } }
//
// A row that gives no agency keeps the overlay's (the demo's: at the
// practice); one that gives no number of issues allowed (none defined)
// sends none. The number is an unsignedInt, as the MedicationRequest
// profile and GP Connect's guidance say (the extension's own 1.0.0
// definition says positiveInt; the profile checker holds a resource to
// what the profile it claims describes).

// Authorisation is where a repeat's authorisation facts are in its row:
// values of the row, each optional.
type Authorisation struct {
	Allowed    yaml.Node `yaml:"allowed"`
	Expiry     yaml.Node `yaml:"expiry"`
	Prescribed yaml.Node `yaml:"prescribed"`
}

// The urls the authorisation's mapping renders its facts under.
const (
	allowedURL = "urn:ccfacade:gpconnect:allowed"
	expiryURL  = "urn:ccfacade:gpconnect:expiry"
	agencyURL  = "urn:ccfacade:gpconnect:prescribed"
)

// agencies are the codes of CareConnect-PrescribingAgency-1, with their
// displays.
var agencies = map[string]string{
	atPractice:                           "Prescribed at GP practice",
	"prescribed-by-another-organisation": "Prescribed by another organisation",
	"prescribed-by-previous-practice":    "Prescribed by previous practice",
}

// authorisationMapping makes the overlay's authorisation mapping (nil when
// the overlay gives none). The MedicationStatement must be served by one
// mapping (which table?), and each value must be one the mapping language
// takes.
func authorisationMapping(set *mapping.Set, o *Overlay) (*mapping.Mapping, error) {
	rule := o.Resources["MedicationStatement"]
	if rule == nil || rule.Authorisation == nil {
		return nil, nil
	}
	a := rule.Authorisation
	only, why := onlyMapping(set, "MedicationStatement")
	if only == nil {
		return nil, fmt.Errorf("gpconnect overlay: resources.MedicationStatement.authorisation: %s; the authorisation is read from the one table", why)
	}
	var exts []any
	for _, f := range []struct {
		node       *yaml.Node
		url, value string
		name       string
	}{
		{&a.Allowed, allowedURL, "valueUnsignedInt", "allowed"},
		{&a.Expiry, expiryURL, "valueDateTime", "expiry"},
		{&a.Prescribed, agencyURL, "valueCode", "prescribed"},
	} {
		if f.node.Kind == 0 {
			continue
		}
		var v any
		err := f.node.Decode(&v)
		ext := map[string]any{"url": f.url, f.value: v}
		if err == nil {
			_, err = sideMapping(only, "authorisation "+f.name, []any{ext}, set.Location) // each checked alone, to say which is wrong
		}
		if err != nil {
			return nil, fmt.Errorf("gpconnect overlay: resources.MedicationStatement.authorisation.%s (line %d): %w", f.name, f.node.Line, err)
		}
		exts = append(exts, ext)
	}
	m, err := sideMapping(only, "authorisation", exts, set.Location)
	if err != nil {
		return nil, fmt.Errorf("gpconnect overlay: resources.MedicationStatement.authorisation: %w", err)
	}
	return m, nil
}

// checkAuthorisation reads the authorisation's mapping once (readOnce).
func (s *Service) checkAuthorisation() error {
	if s.authorisation == nil {
		return nil
	}
	if err := s.readOnce("MedicationStatement", s.authorisation); err != nil {
		return fmt.Errorf("gpconnect overlay: resources.MedicationStatement.authorisation cannot be read from the table of the MedicationStatement mapping: %w", err)
	}
	return nil
}

// authorised is what a repeat's row says of its authorisation: how many
// issues it allows and when it expires (nil when it does not say), and
// where it was prescribed (a code of agencies; "" when it does not say).
type authorised struct {
	allowed    fhir.Value
	expiry     fhir.Value
	prescribed string
}

// authorisations finds the authorisation facts of statements by id, one
// search of the rows of those not found before in the record (none
// without the overlay's authorisation).
func (r *record) authorisations(statements []*fhir.Object) (map[string]authorised, error) {
	if r.s.authorisation == nil || len(statements) == 0 {
		return nil, nil
	}
	out := r.authorised
	if out == nil {
		out = map[string]authorised{}
	}
	var ids []string
	for _, st := range statements {
		if _, ok := out[st.GetString("id")]; !ok {
			ids = append(ids, st.GetString("id"))
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	found, err := r.searchIDs("MedicationStatement", r.s.authorisation, ids, nil)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		out[id] = authorised{} // known to say nothing, unless found below
	}
	for _, res := range found {
		var a authorised
		for _, x := range extensionsOf(res) {
			switch x.GetString("url") {
			case allowedURL:
				a.allowed = x.Get("valueUnsignedInt")
			case expiryURL:
				a.expiry = x.Get("valueDateTime")
			case agencyURL:
				code := strings.TrimSpace(x.GetString("valueCode"))
				if code == "" {
					continue // the row says nothing (its when does not hold): the overlay's
				}
				if _, ok := agencies[code]; !ok {
					r.s.opts.Logger.Warn("gpconnect: a repeat's prescribing agency is not a code of CareConnect-PrescribingAgency-1: the overlay's is sent",
						"resource", key(res), "code", code)
					continue
				}
				a.prescribed = code
			}
		}
		out[res.GetString("id")] = a
	}
	return out, nil
}
