package gpconnect

import (
	"slices"
	"sort"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
)

// Codes of the consultation structure (SPEC §6.2) and of the secondary
// lists (SPEC §6.1).
const (
	consultationCode     = "325851000000107"
	consultationDisplay  = "Consultation"
	topicCode            = "25851000000105"
	topicDisplay         = "Topic (EHR)"
	secondarySystem      = "https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1"
	participationSystem  = "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-ParticipantType-1"
	participationRecords = "REC"
)

// linkedAreas are the areas whose items a consultation holds or a problem
// may be linked to, in the order their secondary lists follow the
// consultations or the problems, each with the codes of those lists (its
// title the code's words; "" where there is none).
var linkedAreas = []struct {
	area          Area
	consultations string // "Consultations - … contained in consultations"
	problems      string // "Problems - … related to problems"
	builder       *builder
}{
	{Allergies, "consultations-allergies-contained-in-consultations", "problems-allergies-related-to-problems", allergyBuilder},
	{Medication, "consultations-medications-contained-in-consultations", "problems-medications-related-to-problems", medicationBuilder},
	{Problems, "consultations-problems-contained-in-consultations", "", problemBuilder},
	{Immunisations, "consultations-immunisations-contained-in-consultations", "problems-immunisations-related-to-problems", immunisationBuilder},
	{Uncategorised, "consultations-uncategorised-data-contained-in-consultations", "problems-uncategorised-data-related-to-problems", uncategorisedBuilder},
	{Investigations, "consultations-investigations-contained-in-consultations", "problems-investigations-related-to-problems", investigationBuilder},
	{Referrals, "consultations-outbound-referrals-in-consultations", "problems-outbound-referrals-related-to-problems", referralBuilder},
	{DiaryEntries, "consultations-diary-entries-contained-in-consultations", "problems-diary-entries-related-to-problems", diaryBuilder},
	{Documents, "consultations-documents-contained-in-consultations", "problems-documents-related-to-problems", documentBuilder},
}

// secondaryTitle is a secondary list's title: its code's words,
// "Consultations - outbound referrals in consultations".
func secondaryTitle(code string) string {
	head, rest, _ := strings.Cut(code, "-")
	return strings.ToUpper(head[:1]) + head[1:] + " - " + strings.ReplaceAll(rest, "-", " ")
}

// consultationBuilder builds the consultations area from the Care Connect
// Encounter rendering. An item of another area offered belongs to the
// consultation its rendering refers to (a reference to the Encounter
// anywhere in it: context, encounter, the associatedEncounter extension),
// so the mappings say which rows a consultation holds and nothing here
// names a table. The items of each area are those its own builder makes
// with no filter (active allergies, and the ended ones, contained in
// their own secondary list; medication authorisations, problems,
// vaccinations given, uncategorised data, investigations, referrals,
// diary entries);
// each comes with what it
// depends on (a statement's plan, issues and Medication).
//
// The list "List of consultations" holds the Encounters that hold an
// item (an empty consultation is not sent); each Encounter is followed
// by its Consultation List (entries → its Topics, encounter → the
// Encounter) and its Topics (entries → the items; see topics), then by the
// "Consultations - … contained in consultations" lists of the areas with
// items, and the items. consultationSearchPeriod keeps the consultations
// within it (start ≤ period.start, period.end ≤ end);
// includeNumberOfMostRecent N the N latest by period.start. Consultations
// are listed latest first.
//
// A withheld item (see withhold) is in no Topic: its area's
// "Consultations - …" list warns of it, also when the consultation holds
// nothing else and is not sent. A consultation withheld itself, or one
// holding withheld items alone, is not sent, nor its structure: the list
// of consultations warns of it (includeNumberOfMostRecent counts it).
//
// An item of an area switched off here (mapped, but not in the areas
// configured) stays in its Topic as a display-only entry, "Referral
// items have been disabled", and is not sent; the answer then carries
// the area's NOT_IMPLEMENTED warning, asked for or not (SPEC §5).
var consultationBuilder = patientItems("Encounter", func(r *record, req *Request, encounters []*fhir.Object) error {
	held := map[string][]heldItem{}   // by Encounter id
	hidden := map[string][]heldItem{} // the withheld ones, by Encounter id
	ended, err := r.endedItems()
	if err != nil {
		return err
	}
	for _, la := range linkedAreas {
		items, err := r.linkedItems(la.area, la.builder)
		if err != nil {
			return err
		}
		if la.area == Allergies {
			items = slices.Concat(items, ended)
		}
		for _, it := range items {
			switch id := encounterOf(it.item); {
			case id == "":
			case r.isWithheld(it.item):
				hidden[id] = append(hidden[id], it)
			default:
				held[id] = append(held[id], it)
			}
		}
	}
	var parts Parts
	if ps := req.Areas[Consultations]; len(ps) > 0 {
		parts = ps[0]
	}
	// The consultations within the period: those sent, those holding
	// withheld items alone, and those withheld themselves. The N most
	// recent are taken of all three, the ones not sent each warned of.
	var keep, hiddenOnly, withheldEncs []*fhir.Object
	for _, e := range encounters {
		id := e.GetString("id")
		if len(held[id])+len(hidden[id]) == 0 {
			continue
		}
		if v, ok := parts["consultationSearchPeriod"]; ok {
			start, end := periodOf(e)
			if start == "" || !v.Start.IsZero() && start < v.Start.Format("2006-01-02") || !v.End.IsZero() && end > v.End.Format("2006-01-02") {
				continue
			}
		}
		switch {
		case r.isWithheld(e):
			// Not sent, nor its structure; its items are sent in their
			// own areas only.
			withheldEncs = append(withheldEncs, e)
		case len(held[id]) == 0:
			hiddenOnly = append(hiddenOnly, e) // its items' lists warn of them
		default:
			keep = append(keep, e)
		}
	}
	latest := func(es []*fhir.Object) {
		sort.SliceStable(es, func(i, j int) bool {
			return first(values(es[i], "period.start")) > first(values(es[j], "period.start"))
		})
	}
	latest(keep)
	if v, ok := parts["includeNumberOfMostRecent"]; ok && v.Int < len(keep)+len(hiddenOnly)+len(withheldEncs) {
		ranked := slices.Concat(keep, hiddenOnly, withheldEncs)
		latest(ranked)
		ranked = ranked[:v.Int]
		out := func(e *fhir.Object) bool { return !slices.Contains(ranked, e) }
		keep = slices.DeleteFunc(keep, out)
		hiddenOnly = slices.DeleteFunc(hiddenOnly, out)
		withheldEncs = slices.DeleteFunc(withheldEncs, out)
	}
	d := areas[Consultations]
	refs := make([]string, len(keep))
	for i, e := range keep {
		refs[i] = "Encounter/" + e.GetString("id")
	}
	for _, e := range slices.Concat(hiddenOnly, withheldEncs) {
		r.withheld[key(e)] = true // not sent: the list warns of it
		refs = append(refs, key(e))
	}
	r.sections = append(r.sections, r.list(snomed, d.listCode, d.listText, refs, nil))
	var all []heldItem
	for _, e := range keep {
		all = append(all, held[e.GetString("id")]...)
	}
	headings, err := r.headingsOf(all)
	if err != nil {
		return err
	}
	byArea := map[Area][]heldItem{}
	for _, e := range hiddenOnly {
		for _, it := range hidden[e.GetString("id")] {
			if !it.disabled {
				byArea[it.area] = append(byArea[it.area], it) // its list warns of it
			}
		}
	}
	for _, e := range keep {
		id := e.GetString("id")
		recorder(e)
		r.have["Encounter/"+id] = true
		r.sections = append(r.sections, e)
		topics := r.topics(held[id])
		var topicRefs []string
		var lists []*fhir.Object
		for _, tp := range topics {
			for _, it := range tp.items {
				if it.disabled {
					r.disabledLinks[it.area] = true // shown as disabled: warned of
					continue
				}
				byArea[it.area] = append(byArea[it.area], it)
			}
			tid, title := uuid5(r.s.ns, "List/topic/"+id), topicDisplay
			if tp.problem != nil {
				tid, title = uuid5(r.s.ns, "List/topic/"+id+"/"+key(tp.problem)), conceptText(tp.problem, "code", topicDisplay)
			}
			entries, headingLists := r.headed(id, tid, tp, headings)
			t := r.structure(tid, topicCode, topicDisplay, title, id, entries)
			if tp.problem != nil {
				target := fhir.NewObject(2).Add("url", fhir.String("target")).Add("valueReference", fhir.NewObject(1).Add("reference", fhir.String(key(tp.problem))))
				put(t, stu3.Lookup("List"), "extension", fhir.Array{fhir.NewObject(2).Add("url", fhir.String(relatedProblemURL)).Add("extension", fhir.Array{target})})
			}
			topicRefs = append(topicRefs, "List/"+tid)
			lists = append(lists, t)
			lists = append(lists, headingLists...)
		}
		for _, it := range hidden[id] {
			if !it.disabled {
				byArea[it.area] = append(byArea[it.area], it) // its list warns of it
			}
		}
		c := r.structure(uuid5(r.s.ns, "List/consultation/"+id), consultationCode, consultationDisplay, conceptText(e, "type", consultationDisplay), id, topicRefs)
		for _, l := range append([]*fhir.Object{c}, lists...) {
			dated(l, e)
		}
		r.sections = append(r.sections, c)
		r.sections = append(r.sections, lists...)
	}
	for _, la := range linkedAreas {
		items := byArea[la.area]
		var ended []heldItem
		if la.area == Allergies {
			items, ended = split(items)
		}
		if len(items) > 0 {
			refs := make([]string, len(items))
			for i, it := range items {
				refs[i] = key(it.item)
			}
			r.sections = append(r.sections, r.list(secondarySystem, la.consultations, secondaryTitle(la.consultations), refs, nil))
			for _, it := range items {
				if r.isWithheld(it.item) {
					continue
				}
				for _, res := range append([]*fhir.Object{it.item}, it.deps...) {
					if k := key(res); !r.have[k] {
						r.have[k] = true
						r.sections = append(r.sections, res)
					}
				}
			}
		}
		if len(ended) > 0 {
			r.sections = append(r.sections, r.endedList(endedContained, ended))
		}
	}
	return nil
})

// endedContained is the secondary list of the ended allergies the
// consultations hold.
const endedContained = "consultations-allergies-that-have-been-ended-contained-in-consultations"

// split parts the allergies a consultation or a problem holds into the
// active ones and the ended ones.
func split(items []heldItem) (active, ended []heldItem) {
	for _, it := range items {
		if it.ended {
			ended = append(ended, it)
		} else {
			active = append(active, it)
		}
	}
	return active, ended
}

// endedList is a secondary list of ended allergies: each contained in it,
// ended (see endAllergy), and referred to as #id (an ended allergy never
// stands alone in the bundle); a withheld one is left out, and the list
// warns of it. The consultations' Topics and the problems refer to an
// ended allergy by its type and id, in the context of this list.
func (r *record) endedList(code string, ended []heldItem) *fhir.Object {
	var refs []string
	var contained fhir.Array
	for _, it := range ended {
		id := "#" + it.item.GetString("id")
		if slices.Contains(refs, id) {
			continue
		}
		r.endAllergy(it.item)
		refs = append(refs, id)
		contained = append(contained, it.item)
	}
	return r.list(secondarySystem, code, secondaryTitle(code), refs, contained)
}

// topic is a Topic of a consultation: the items of one problem the
// consultation holds (the problem and what it is linked to), or those of
// no such problem (problem nil).
type topic struct {
	problem *fhir.Object
	items   []heldItem
}

// topics divides a consultation's items into its Topics: one for each
// problem it holds (a problem-list item, when problems are offered), with
// the problem and the consultation's items the problem is linked to
// (relatedClinicalContent, to the item or to what it depends on, such as
// a statement's plan; an item linked to two goes with the first; an item
// of an area switched off stays there, shown as disabled), then one with
// the rest, if any. A consultation without problems has that one Topic
// alone.
func (r *record) topics(items []heldItem) []topic {
	var out []topic
	owner := map[string]int{} // an item's Type/id → its topic
	if r.s.offered[Problems] {
		for _, it := range items {
			if it.area == Problems && !it.disabled && slices.Contains(values(it.item, "category.coding.code"), problemListItem) {
				owner[key(it.item)] = len(out)
				out = append(out, topic{problem: it.item})
			}
		}
		held := map[string]string{} // an item's Type/id, and those of what it depends on → the item's
		for _, it := range items {
			held[key(it.item)] = key(it.item) // its own, though another depends on it
		}
		for _, it := range items {
			for _, res := range it.deps {
				if _, dup := held[key(res)]; !dup {
					held[key(res)] = key(it.item)
				}
			}
		}
		for i, tp := range out {
			for _, ref := range relatedContent(tp.problem) {
				if k, ok := held[ref]; ok {
					if _, taken := owner[k]; !taken {
						owner[k] = i
					}
				}
			}
		}
	}
	var rest topic
	for _, it := range items {
		if i, ok := owner[key(it.item)]; ok {
			out[i].items = append(out[i].items, it)
			continue
		}
		rest.items = append(rest.items, it)
	}
	if len(rest.items) > 0 || len(out) == 0 {
		out = append(out, rest)
	}
	return out
}

// entry is an item's entry in a consultation's List: its reference, or,
// of an area switched off, a display-only entry ("Referral items have
// been disabled").
func (it heldItem) entry() string {
	if it.disabled {
		return displayOnly + disabledItems[it.area]
	}
	return key(it.item)
}

// conceptText is the text of a resource's CodeableConcept element, or its
// first coding's display, else fallback: a problem Topic's title (the
// problem's code, "Topic (EHR)"), a consultation's (its type,
// "Consultation").
func conceptText(res *fhir.Object, element, fallback string) string {
	if t := first(values(res, element+".text")); t != "" {
		return t
	}
	if t := first(values(res, element+".coding.display")); t != "" {
		return t
	}
	return fallback
}

// heldItem is an item a consultation holds, with what it depends on;
// disabled when its area is switched off here.
type heldItem struct {
	area     Area
	item     *fhir.Object
	deps     []*fhir.Object
	disabled bool
	ended    bool // an allergy that has ended (see owners)
}

// disabledItems is the text a List shows in place of an item of an area
// switched off (SPEC §5): "Referral items have been disabled".
var disabledItems = map[Area]string{
	Allergies:      "Allergy items have been disabled",
	Medication:     "Medication items have been disabled",
	Problems:       "Problem items have been disabled",
	Immunisations:  "Immunisation items have been disabled",
	Uncategorised:  "Uncategorised data items have been disabled",
	Investigations: "Investigation items have been disabled",
	Referrals:      "Referral items have been disabled",
	DiaryEntries:   "Diary entry items have been disabled",
	Documents:      "Document items have been disabled",
}

// linkedItems are the items of an area (see itemsOf), each with its area
// and whether the area is switched off here; none when the area is not
// mapped here (nothing says which items it has). They are made once a
// record: consultations and problems share them.
func (r *record) linkedItems(a Area, b *builder) ([]heldItem, error) {
	off := r.s.switchedOff[a]
	if !off && !r.s.offered[a] {
		return nil, nil
	}
	if items, ok := r.items[a]; ok {
		return items, nil
	}
	items, err := r.itemsOf(a, b)
	if err != nil {
		return nil, err
	}
	for i := range items {
		items[i].area, items[i].disabled = a, off
	}
	if a == Problems {
		problems := make([]*fhir.Object, len(items))
		for i, it := range items {
			problems[i] = it.item
		}
		if err := r.toReports(problems); err != nil { // as the problems sent link
			return nil, err
		}
	}
	if r.items == nil {
		r.items = map[Area][]heldItem{}
	}
	r.items[a] = items
	return items, nil
}

// itemsOf are the items of an area as its builder makes them with no
// filter: the entries of its primary list, each with the resources of
// the area it refers to or that are based on it (and so on).
func (r *record) itemsOf(a Area, b *builder) ([]heldItem, error) {
	sub := &record{s: r.s, ctx: r.ctx, patient: r.patient, pid: r.pid, admin: map[string][]*fhir.Object{}, have: map[string]bool{}, listed: map[string]Area{}, withheld: r.withheld, void: r.void, status: r.status, authorised: r.authorised, collect: true}
	if err := b.build(sub, &Request{Areas: map[Area][]Parts{a: {Parts{}}}}); err != nil {
		return nil, err
	}
	byKey := map[string]*fhir.Object{}
	basedOn := map[string][]*fhir.Object{}
	var primary *fhir.Object
	for _, res := range sub.sections {
		if res.GetString("resourceType") == "List" {
			if primary == nil && slices.Contains(values(res, "code.coding.code"), areas[a].listCode) {
				primary = res
			}
			continue
		}
		byKey[key(res)] = res
		for _, ref := range values(res, "basedOn.reference") {
			basedOn[ref] = append(basedOn[ref], res)
		}
	}
	if primary == nil {
		return nil, nil
	}
	var out []heldItem
	for _, ref := range values(primary, "entry.item.reference") {
		item := byKey[ref]
		if item == nil {
			continue
		}
		seen := map[string]bool{ref: true}
		var deps []*fhir.Object
		queue := []*fhir.Object{item}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			next := basedOn[key(cur)]
			walkRefs(cur, func(ref string) {
				if res := byKey[ref]; res != nil {
					next = append(next, res)
				}
			})
			for _, res := range next {
				if k := key(res); !seen[k] {
					seen[k] = true
					deps = append(deps, res)
					queue = append(queue, res)
				}
			}
		}
		out = append(out, heldItem{item: item, deps: deps})
	}
	return out, nil
}

// structure is a List of a consultation's structure: with an id (it is
// referred to) and the Encounter it belongs to (dated: see dated).
func (r *record) structure(id, code, display, title, encounter string, items []string) *fhir.Object {
	l := r.newList(snomed, code, title, items, nil)
	t := stu3.Lookup("List")
	l.Get("code").(*fhir.Object).Get("coding").(fhir.Array)[0] = coding(snomed, code, display)
	put(l, t, "id", fhir.String(id))
	put(l, t, "encounter", fhir.NewObject(1).Add("reference", fhir.String("Encounter/"+encounter)))
	return l
}

// listOrder is the order of a consultation's structure: the system's.
var listOrder = fhir.NewObject(1).Add("coding", fhir.Array{coding("http://hl7.org/fhir/list-order", "system", "Sorted by System")})

// dated gives a List of a consultation's structure what GP Connect's
// guidance asks of it: its date, when the consultation was last changed
// on the source system (the Encounter's meta.lastUpdated, the same at
// every level; when it started where the rendering has no such time),
// and its order, the system's.
func dated(l, e *fhir.Object) {
	t := stu3.Lookup("List")
	date := first(values(e, "meta.lastUpdated"))
	if date == "" {
		date = first(values(e, "period.start"))
	}
	if date != "" {
		put(l, t, "date", fhir.String(date))
	}
	put(l, t, "orderedBy", listOrder)
}

// recorder gives each participant of a consultation without a type the
// type GP Connect asks of its recorder (REC).
func recorder(e *fhir.Object) {
	ps, _ := e.Get("participant").(fhir.Array)
	for _, x := range ps {
		p, ok := x.(*fhir.Object)
		if !ok || p.Get("type") != nil {
			continue
		}
		typ := fhir.NewObject(1).Add("coding", fhir.Array{coding(participationSystem, participationRecords, "recorder")})
		p.Fields = slices.Insert(p.Fields, 0, fhir.Field{Name: "type", Value: fhir.Array{typ}}) // type is the first element of a participant
	}
}

// encounterOf is the id of the Encounter an item refers to, or "".
func encounterOf(item *fhir.Object) string {
	id := ""
	walkRefs(item, func(ref string) {
		if x, ok := strings.CutPrefix(ref, "Encounter/"); ok && id == "" && fhir.IsValidID(x) {
			id = x
		}
	})
	return id
}

// periodOf is the first and last day of a consultation's period
// (YYYY-MM-DD; the last is the first when it has no end).
func periodOf(e *fhir.Object) (string, string) {
	start := first(values(e, "period.start"))
	if start == "" {
		return "", ""
	}
	end := first(values(e, "period.end"))
	if end == "" {
		end = start
	}
	return lower(start), upper(end)
}

func key(res *fhir.Object) string { return res.GetString("resourceType") + "/" + res.GetString("id") }

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}
