package gpconnect

import (
	"net/url"
	"slices"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
)

// immunisationBuilder builds the immunisations area: the list of the
// patient's vaccinations, each in the bundle. Those not given (notGiven
// true) only with includeNotGiven true. With includeStatus true or
// absent, the list holds the status of the patient's vaccinations too
// (consent, dissent, invitation: see statusRecords), after them; not
// where immunisations are switched off here (the status records are
// uncategorised data then, not disabled items).
var immunisationBuilder = patientItems("Immunization", func(r *record, req *Request, found []*fhir.Object) error {
	notGiven := req.Bool(Immunisations, "includeNotGiven", false)
	var keep []*fhir.Object
	for _, im := range found {
		if b, ok := im.Get("notGiven").(fhir.Bool); ok && bool(b) && !notGiven {
			continue
		}
		keep = append(keep, im)
	}
	if r.s.offered[Immunisations] && req.Bool(Immunisations, "includeStatus", true) {
		status, err := r.statusRecords()
		if err != nil {
			return err
		}
		keep = append(keep, status...)
	}
	r.addListed(Immunisations, keep)
	return nil
})

// statusFound are the immunisation status records of a record, once
// found.
type statusFound struct {
	done  bool
	items []*fhir.Object
}

// statusRecords are the patient's immunisation status records: the
// Observations whose code has a coding the overlay's Immunization
// status_records name (GP Connect's consent and dissent concepts are
// built in; a set adds its own, an invitation say), sent as uncategorised
// data is (see final), one search a record: by those codes where the
// Observation mapping searches by code, else all the patient's. None when
// the Observation mapping does not search by patient.
func (r *record) statusRecords() ([]*fhir.Object, error) {
	if r.status.done {
		return r.status.items, nil
	}
	items, err := r.findStatusRecords()
	if err != nil {
		return nil, err
	}
	*r.status = statusFound{true, items}
	return items, nil
}

// findStatusRecords searches for the status records (see statusRecords).
func (r *record) findStatusRecords() ([]*fhir.Object, error) {
	rule := r.s.overlay.Resources["Immunization"]
	set := r.s.eng.Set()
	if rule == nil || len(rule.StatusRecords) == 0 || needsSearch(set, "Observation", map[string]string{"patient": "reference"}) != "" {
		return nil, nil
	}
	params := url.Values{"patient": {"Patient/" + r.pid}}
	if sp := set.Lookup("Observation").SearchParam("code"); sp != nil && sp.Type == "token" {
		codes := make([]string, len(rule.StatusRecords))
		for i, c := range rule.StatusRecords {
			codes[i] = c.System + "|" + c.Code
		}
		params.Set("code", strings.Join(codes, ","))
	}
	found, err := r.search("Observation", params)
	if err != nil {
		return nil, err
	}
	var out []*fhir.Object
	for _, o := range found {
		if r.s.overlay.statusRecord(o) && r.final(o) {
			out = append(out, o)
		}
	}
	return out, nil
}

// statusRecord says whether an Observation is an immunisation status
// record: its code has a coding of one of Immunization's status_records.
func (o *Overlay) statusRecord(obs *fhir.Object) bool {
	if len(o.statusCodes) == 0 {
		return false
	}
	codings, _ := obs.Get("code").(*fhir.Object)
	if codings == nil {
		return false
	}
	cs, _ := codings.Get("coding").(fhir.Array)
	return slices.ContainsFunc(cs, func(v fhir.Value) bool {
		c, ok := v.(*fhir.Object)
		return ok && o.statusCodes[c.GetString("system")+"|"+c.GetString("code")]
	})
}
