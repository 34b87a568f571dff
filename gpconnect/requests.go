package gpconnect

import (
	"time"

	"github.com/ccfacade/ccfacade/fhir"
)

// referralBuilder builds the referrals area: the list "Outbound referral"
// of the patient's ReferralRequests, each in the bundle (status unknown,
// as GP Connect has it) with the documents it was sent with
// (supportingInfo: DocumentReferences, what is known of each, never the
// document itself; one the mappings do not give is left out of the
// referral). referralSearchPeriod keeps those authored within it; one
// with no authoredOn is kept, as GP Connect asks of items of unknown
// date.
var referralBuilder = patientItems("ReferralRequest", func(r *record, req *Request, found []*fhir.Object) error {
	keep := found[:0]
	for _, x := range found {
		if ps := req.Areas[Referrals]; len(ps) > 0 {
			d := x.GetString("authoredOn")
			if v, ok := ps[0]["referralSearchPeriod"]; ok && d != "" && !within(lower(d), upper(d), v.Start, v.End) {
				continue
			}
		}
		keep = append(keep, x)
	}
	for _, x := range keep {
		if r.isWithheld(x) {
			for _, ref := range values(x, "supportingInfo.reference") {
				r.withheld[ref] = true // a withheld referral's letters are withheld with it
			}
		}
	}
	r.addListed(Referrals, keep)
	_, err := r.sendReferred(keep, "supportingInfo", "DocumentReference")
	return err
})

// documentBuilder builds the list of the patient's documents
// (DocumentReferences: what is known of each, never the document), which
// is not sent: its items are those consultations hold and problems are
// linked to (linkedItems).
var documentBuilder = patientItems("DocumentReference", func(r *record, req *Request, found []*fhir.Object) error {
	r.addListed(Documents, found)
	return nil
})

// diaryBuilder builds the diary entries area: the list "Patient recall
// administration" of the patient's ProcedureRequests that are plans
// (recalls, reviews), each in the bundle. diaryEntriesSearchDate D keeps
// those due on or before D (their occurrence, its start for a period);
// one with no date is kept.
var diaryBuilder = patientItems("ProcedureRequest", func(r *record, req *Request, found []*fhir.Object) error {
	until, limited := req.Date(DiaryEntries, "diaryEntriesSearchDate")
	keep := found[:0]
	for _, x := range found {
		if x.GetString("intent") != "plan" {
			continue // an order (a test requested) is not a diary entry
		}
		if limited {
			if due := dueDate(x); due != "" && due > until.Format(time.DateOnly) {
				continue
			}
		}
		keep = append(keep, x)
	}
	r.addListed(DiaryEntries, keep)
	return nil
})

// dueDate is the first day a diary entry is due (YYYY-MM-DD), "" when it
// has no date.
func dueDate(x *fhir.Object) string {
	if d := x.GetString("occurrenceDateTime"); d != "" {
		return lower(d)
	}
	if d := first(values(x, "occurrencePeriod.start")); d != "" {
		return lower(d)
	}
	return ""
}
