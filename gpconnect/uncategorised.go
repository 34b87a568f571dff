package gpconnect

import (
	"slices"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
)

// uncategorisedBuilder builds the uncategorised data area: the list of
// the patient's Observations (those no other area offered holds, and
// never the results of an investigation, a DiagnosticReport of the
// patient, whether investigations are asked for or not, nor an
// immunisation's status record where immunisations are offered,
// includeStatus or not: see statusRecords), each in the
// bundle. uncategorisedDataSearchPeriod keeps those whose effective date
// or period meets it (a partial date stands for its whole year or
// month); one with no effective date is kept, as GP Connect asks of
// items of unknown date. Each is sent final (see final).
var uncategorisedBuilder = patientItems("Observation", func(r *record, req *Request, found []*fhir.Object) error {
	results, err := r.investigationResults(found)
	if err != nil {
		return err
	}
	keep := found[:0]
	for _, o := range found {
		if a, ok := r.listed["Observation/"+o.GetString("id")]; ok && a != Uncategorised || results[o.GetString("id")] ||
			r.s.offered[Immunisations] && r.s.overlay.statusRecord(o) || !r.final(o) {
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
	if rule := r.s.overlay.Resources["Observation"]; rule != nil {
		for _, pn := range rule.Panels {
			keep = pn.join(keep, r.isWithheld)
		}
	}
	r.addListed(Uncategorised, keep)
	return nil
})

// final makes an Observation uncategorised data as GP Connect sends it
// (SPEC §6.2): its status final, as GP Connect fixes it, and no specimen,
// which uncategorised data does not use; and says whether it is sent at
// all: one cancelled (never made) is not, nor any reference to it (void).
// (One entered in error never comes this far: searchIn.)
func (r *record) final(o *fhir.Object) bool {
	if o.GetString("status") == "cancelled" {
		r.void[key(o)] = true
		return false
	}
	t := stu3.Lookup("Observation")
	put(o, t, "status", fhir.String("final"))
	put(o, t, "specimen", nil)
	return true
}

// join makes each group of found that holds the panel's parts one
// Observation with components (Panel), in place of its first part; the
// rest of found stays as it is, in order. A withheld reading is no part:
// it stays apart, to be withheld alone.
func (pn *Panel) join(found []*fhir.Object, withheld func(*fhir.Object) bool) []*fhir.Object {
	partOf := func(o *fhir.Object) int {
		codes := values(o, "code.coding.code")
		return slices.IndexFunc(pn.Parts, func(p []string) bool {
			return slices.ContainsFunc(p, func(c string) bool { return slices.Contains(codes, c) })
		})
	}
	type group struct{ parts []*fhir.Object }
	groups := map[string]*group{}
	var order []string
	for _, o := range found {
		i := partOf(o)
		at := first(values(o, "effectiveDateTime")) + first(values(o, "effectivePeriod.start"))
		if i < 0 || valueOf(o) == "" || at == "" || withheld(o) {
			continue // not a part, no value, no time to pair it by, or withheld
		}
		k := strings.Join([]string{first(values(o, "subject.reference")), at, first(values(o, "context.reference"))}, "\x00")
		g := groups[k]
		if g == nil {
			g = &group{parts: make([]*fhir.Object, len(pn.Parts))}
			groups[k] = g
			order = append(order, k)
		}
		switch {
		case g.parts == nil: // the group had a part twice
		case g.parts[i] != nil:
			g.parts = nil // a part twice: which goes with which is unknown
		default:
			g.parts[i] = o
		}
	}
	drop := map[*fhir.Object]bool{}
	t := stu3.Lookup("Observation")
	for _, k := range order {
		g := groups[k]
		if g.parts == nil || slices.Contains(g.parts, nil) {
			continue
		}
		components := make(fhir.Array, len(g.parts))
		for i, part := range g.parts {
			c := fhir.NewObject(2).Add("code", part.Get("code"))
			v := valueOf(part)
			c.Add(v, part.Get(v))
			components[i] = c
			drop[part] = true
		}
		head := g.parts[0]
		for _, f := range slices.Clone(head.Fields) {
			if strings.HasPrefix(f.Name, "value") {
				put(head, t, f.Name, nil)
			}
		}
		put(head, t, "code", fhir.NewObject(1).Add("coding", fhir.Array{coding(pn.System, pn.Code, pn.Display)}))
		put(head, t, "component", components)
		delete(drop, head)
	}
	out := found[:0]
	for _, o := range found {
		if !drop[o] {
			out = append(out, o)
		}
	}
	return out
}

// valueOf is the name of an Observation's value[x] element, "" if none.
func valueOf(o *fhir.Object) string {
	for _, f := range o.Fields {
		if strings.HasPrefix(f.Name, "value") {
			return f.Name
		}
	}
	return ""
}

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
