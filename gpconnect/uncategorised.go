package gpconnect

import (
	"time"

	"github.com/ccfacade/ccfacade/fhir"
)

// uncategorisedBuilder builds the uncategorised data area: the list of
// the patient's Observations (those no other area offered holds, and
// never the results of an investigation, a DiagnosticReport of the
// patient, whether investigations are asked for or not), each in the
// bundle. uncategorisedDataSearchPeriod keeps those whose effective date
// or period meets it (a partial date stands for its whole year or
// month); one with no effective date is kept, as GP Connect asks of
// items of unknown date.
var uncategorisedBuilder = patientItems("Observation", func(r *record, req *Request, found []*fhir.Object) error {
	results, err := r.investigationResults()
	if err != nil {
		return err
	}
	keep := found[:0]
	for _, o := range found {
		if a, ok := r.listed["Observation/"+o.GetString("id")]; ok && a != Uncategorised || results[o.GetString("id")] {
			continue
		}
		if ps := req.Areas[Uncategorised]; len(ps) > 0 {
			from, to := effective(o)
			if v, ok := ps[0]["uncategorisedDataSearchPeriod"]; ok && !within(from, to, v.Start, v.End) {
				continue
			}
		}
		keep = append(keep, o)
	}
	r.addListed(Uncategorised, "Observation", keep)
	return nil
})

// effective is when an observation took effect: the first and last day
// it stands for (YYYY-MM-DD), "" when it has no date.
func effective(o *fhir.Object) (string, string) {
	if d := o.GetString("effectiveDateTime"); d != "" {
		return lower(d), upper(d)
	}
	from, to := "", ""
	if s := values(o, "effectivePeriod.start"); len(s) > 0 {
		from = lower(s[0])
	}
	if e := values(o, "effectivePeriod.end"); len(e) > 0 {
		to = upper(e[0])
	}
	switch {
	case from == "":
		from = to
	case to == "":
		to = "9999-12-31" // still going on
	}
	return from, to
}

// within reports whether the days from..to meet the period start..end
// (zero: open); no days at all (an unknown date) always do.
func within(from, to string, start, end time.Time) bool {
	if from == "" {
		return true
	}
	if !start.IsZero() && to < start.Format(time.DateOnly) {
		return false
	}
	if !end.IsZero() && from > end.Format(time.DateOnly) {
		return false
	}
	return true
}

// lower is the first day a (partial) date or date-time stands for.
func lower(d string) string {
	switch len(d) {
	case 4:
		return d + "-01-01"
	case 7:
		return d + "-01"
	}
	if len(d) > 10 {
		return d[:10]
	}
	return d
}
