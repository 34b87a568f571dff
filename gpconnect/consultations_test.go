package gpconnect_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/fhirvalid"
	"github.com/jmoiron/sqlx"
)

// demoConsultation is a CONSULTATION row with the items recorded in it
// (Type/id of their renderings; an acute prescription by its issue,
// MedicationRequest/ISSUE_ID, whose statement is made from it).
type demoConsultation struct {
	id, start, end string
	updated        string // LAST_UPDATED, as the database gives it
	items          []string
	acute          []string
}

// consultationRows are the demo's consultations by PATIENT_ID, latest
// first, those that hold no item left out (GP Connect sends none). Items
// the patient asked to keep private (CONFIDENTIAL 'Y') are withheld: a
// consultation is not sent for them alone.
func consultationRows(t *testing.T) map[string][]demoConsultation {
	t.Helper()
	items := map[string][]string{}
	acute := map[string][]string{}
	// typ is the type and the id prefix of the demo's mapping of table.
	add := func(table, typ, idCol string, keep func(map[string]any) bool) {
		for _, r := range demotest.Rows(t, table) {
			if c := demotest.Str(r["CONSULT_ID"]); c != "" && (keep == nil || keep(r)) {
				items[c] = append(items[c], typ+demotest.Str(r[idCol]))
			}
		}
	}
	add("ALLERGY", "AllergyIntolerance/", "ALLERGY_ID", nil) // those that have ended too
	shared := func(r map[string]any) bool { return demotest.Str(r["CONFIDENTIAL"]) != "Y" }
	add("PROBLEM", "Condition/", "PROBLEM_ID", shared)
	add("REPEAT_MED", "MedicationStatement/", "REPEAT_ID", nil)
	add("IMMUNISATION", "Immunization/", "IMM_ID", nil)
	_, joined := bloodPressures(t)
	add("OBSERVATION", "Observation/", "OBS_ID", func(r map[string]any) bool { return !joined[demotest.Str(r["OBS_ID"])] && shared(r) })
	add("REFERRAL", "ReferralRequest/referral-", "REFERRAL_ID", nil)
	add("TEST_REPORT", "DiagnosticReport/", "REPORT_ID", nil)
	add("DIARY_ENTRY", "ProcedureRequest/diary-", "DIARY_ID", nil)
	add("CLIN_DOCUMENT", "DocumentReference/", "DOC_ID", nil)
	for _, r := range demotest.Rows(t, "MED_ISSUE") {
		if c := demotest.Str(r["CONSULT_ID"]); c != "" && demotest.Str(r["REPEAT_ID"]) == "" {
			acute[c] = append(acute[c], "MedicationRequest/"+demotest.Str(r["ISSUE_ID"]))
		}
	}
	out := map[string][]demoConsultation{}
	for _, r := range demotest.Rows(t, "CONSULTATION") {
		id := demotest.Str(r["CONSULT_ID"])
		if len(items[id])+len(acute[id]) == 0 {
			continue
		}
		p := demotest.Str(r["PATIENT_ID"])
		out[p] = append(out[p], demoConsultation{id, demotest.Str(r["START_DT"])[:10], demotest.Str(r["END_DT"])[:10], demotest.Str(r["LAST_UPDATED"]), items[id], acute[id]})
	}
	for _, cs := range out {
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].start > cs[j].start })
	}
	return out
}

// The consultations area (SPEC §6.2): the list "List of consultations"
// (SNOMED 1149501000000101) holds, latest first, an Encounter for each of
// the patient's CONSULTATION rows that holds an item (an allergy,
// a problem, a repeat or acute prescription, a vaccination, an
// observation, a laboratory report, a referral or a diary entry whose row
// carries the consultation); each Encounter is in
// the bundle with a recorder participant, with its Consultation List
// (325851000000107) pointing at the Encounter and at a Topic List
// (25851000000105) that holds exactly the consultation's items; the items
// and what they depend on are in the bundle, each once, and listed in the
// "Consultations - … contained in consultations" lists of their areas.
// consultationSearchPeriod keeps the consultations within it,
// includeNumberOfMostRecent the N latest; a patient without consultations
// has the list empty with its reason, and no Encounter. Every reference of
// a List resolves in the bundle.
func TestRecordConsultations(t *testing.T) {
	e := serve(t, nil)
	rows := consultationRows(t)
	p := find(t, func(p demoPatient) bool {
		kinds := map[string]bool{}
		for _, c := range rows[p.id] {
			for _, it := range c.items {
				kinds[strings.Split(it, "/")[0]] = true
			}
		}
		return len(rows[p.id]) >= 3 && kinds["Observation"] && kinds["MedicationStatement"] && (kinds["Condition"] || kinds["Immunization"]) &&
			kinds["ReferralRequest"] && kinds["ProcedureRequest"]
	})
	cs := rows[p.id]
	consultations := func(parts string) string {
		if parts == "" {
			return `{"name":"includeConsultations"}`
		}
		return `{"name":"includeConsultations","part":[` + parts + `]}`
	}
	mid := cs[len(cs)/2].start
	for _, c := range []struct {
		name  string
		parts string
		want  []demoConsultation
	}{
		{"every consultation", "", cs},
		{"the most recent", `{"name":"includeNumberOfMostRecent","valuePositiveInt":1}`, cs[:1]},
		{"the two most recent", `{"name":"includeNumberOfMostRecent","valuePositiveInt":2}`, cs[:2]},
		{"more than there are", `{"name":"includeNumberOfMostRecent","valuePositiveInt":999}`, cs},
		{"since the middle one", `{"name":"consultationSearchPeriod","valuePeriod":{"start":"` + mid + `"}}`, func() []demoConsultation {
			var out []demoConsultation
			for _, c := range cs {
				if c.start >= mid {
					out = append(out, c)
				}
			}
			return out
		}()},
		{"until the middle one", `{"name":"consultationSearchPeriod","valuePeriod":{"end":"` + cs[len(cs)/2].end + `"}}`, func() []demoConsultation {
			var out []demoConsultation
			for _, c := range cs {
				if c.end <= cs[len(cs)/2].end {
					out = append(out, c)
				}
			}
			return out
		}()},
		{"the middle day only", `{"name":"consultationSearchPeriod","valuePeriod":{"start":"` + mid + `","end":"` + cs[len(cs)/2].end + `"}}`, func() []demoConsultation {
			var out []demoConsultation
			for _, c := range cs {
				if c.start >= mid && c.end <= cs[len(cs)/2].end {
					out = append(out, c)
				}
			}
			return out
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := okRecord(t, e, params(p.nhs, consultations(c.parts)), "a record of consultations")
			checkConsultations(t, b, c.want)
		})
	}
	t.Run("an allergy that has ended", func(t *testing.T) {
		ended := map[string]bool{}
		for _, r := range demotest.Rows(t, "ALLERGY") {
			if !strings.EqualFold(demotest.Str(r["STATUS"]), "active") {
				ended["AllergyIntolerance/"+demotest.Str(r["ALLERGY_ID"])] = true
			}
		}
		q := find(t, func(q demoPatient) bool {
			for _, c := range rows[q.id] {
				if slices.ContainsFunc(c.items, func(it string) bool { return ended[it] }) {
					return true
				}
			}
			return false
		})
		b := okRecord(t, e, params(q.nhs, consultations("")), "a record of consultations")
		checkConsultations(t, b, rows[q.id])
		// With the allergies asked for too, an ended allergy is still
		// contained in the consultations' list alone.
		b = okRecord(t, e, params(q.nhs, consultations(""), allergies(true)), "a record of consultations and allergies")
		checkConsultations(t, b, rows[q.id])
	})
	t.Run("no consultations", func(t *testing.T) {
		q := find(t, func(q demoPatient) bool { return len(rows[q.id]) == 0 })
		b := record(t, e, params(q.nhs, consultations(""))).JSON(t)
		checkConsultations(t, b, nil)
	})
	t.Run("beside the areas of the items", func(t *testing.T) {
		b := record(t, e, params(p.nhs, consultations(""), `{"name":"includeProblems"}`, `{"name":"includeMedication"}`,
			`{"name":"includeUncategorisedData"}`, `{"name":"includeImmunisations"}`, allergies(false),
			`{"name":"includeInvestigations"}`, `{"name":"includeReferrals"}`, `{"name":"includeDiaryEntries"}`)).JSON(t)
		checkConsultations(t, b, cs)
		// The items are in their own areas' lists too (documents have
		// none: no area of 1.6 asks for them).
		lists := listsByCode(t, b)
		for _, c := range cs {
			for _, it := range c.items {
				if strings.HasPrefix(it, "DocumentReference/") {
					continue
				}
				code := map[string]string{"Observation": "826501000000100", "Condition": "717711000000103", "MedicationStatement": "933361000000108",
					"Immunization": "1102181000000102", "AllergyIntolerance": "886921000000105", "ReferralRequest": "792931000000107",
					"ProcedureRequest": "714311000000108", "DiagnosticReport": "887191000000108"}[strings.Split(it, "/")[0]]
				if !slices.Contains(itemRefs(lists[code]), it) {
					t.Errorf("%s is not in the list %s", it, code)
				}
			}
		}
	})
	for name, c := range map[string]struct {
		parts, spine, names string
	}{
		"period and most recent": {`{"name":"consultationSearchPeriod","valuePeriod":{"start":"2015-01-01"}},{"name":"includeNumberOfMostRecent","valuePositiveInt":3}`, "INVALID_RESOURCE", "includeNumberOfMostRecent"},
		"most recent zero":       {`{"name":"includeNumberOfMostRecent","valuePositiveInt":0}`, "INVALID_PARAMETER", "includeConsultations.includeNumberOfMostRecent"},
		"period reversed":        {`{"name":"consultationSearchPeriod","valuePeriod":{"start":"2020-01-02","end":"2020-01-01"}}`, "INVALID_PARAMETER", "includeConsultations.consultationSearchPeriod"},
		"period in the future":   {`{"name":"consultationSearchPeriod","valuePeriod":{"start":"2999-01-01"}}`, "INVALID_PARAMETER", "includeConsultations.consultationSearchPeriod"},
	} {
		t.Run(name, func(t *testing.T) {
			outcome(t, record(t, e, params(p.nhs, consultations(c.parts))), http.StatusUnprocessableEntity, c.spine, c.names)
		})
	}
}

// checkConsultations checks a record's consultations against the rows.
// wantTopics are the Topics of a consultation as its rows make them, each
// by its problem's Condition/id ("" for the rest), its items sorted: a
// Topic for each problem recorded in the consultation, holding the
// problem and the consultation's items the problem is linked to
// (PROBLEM_LINK), then one for the rest. shown gives an item's entry (its
// reference, or the text of an item of an area switched off); nil is the
// reference.
func wantTopics(c demoConsultation, links map[string][]demoLink, shown func(string) string) map[string][]string {
	owner := map[string]string{}
	var problems []string
	for _, it := range c.items {
		if strings.HasPrefix(it, "Condition/") {
			problems = append(problems, it)
			owner[it] = it
		}
	}
	for _, p := range problems {
		for _, l := range links[strings.TrimPrefix(p, "Condition/")] {
			if _, taken := owner[l.ref]; !taken && slices.Contains(c.items, l.ref) {
				owner[l.ref] = p
			}
		}
	}
	out := map[string][]string{}
	for _, it := range c.items {
		entry := it
		if shown != nil {
			entry = shown(it)
		}
		out[owner[it]] = append(out[owner[it]], entry)
	}
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

// demoHeadings gives an item's heading in a consultation, as the demo
// files it: an observation under its row's HEADING, every other item
// under the heading of its kind (mappingsets/gpconnect/demo.yaml).
func demoHeadings(t *testing.T) func(ref string) string {
	t.Helper()
	obs := map[string]string{}
	for _, r := range demotest.Rows(t, "OBSERVATION") {
		obs["Observation/"+demotest.Str(r["OBS_ID"])] = demotest.Str(r["HEADING"])
	}
	byType := map[string]string{"Condition": "Problem", "AllergyIntolerance": "Allergy", "MedicationStatement": "Medication",
		"Immunization": "Immunisation", "ReferralRequest": "Referral", "ProcedureRequest": "Plan", "DiagnosticReport": "Results",
		"DocumentReference": "Document"}
	return func(ref string) string {
		if h, ok := obs[ref]; ok {
			return h
		}
		return byType[strings.Split(ref, "/")[0]]
	}
}

// topicItems are the entries of a Topic's heading Lists (SPEC §6.2: a
// Topic's entries are its headings, Category (EHR) Lists of the
// consultation, each titled by its heading, once a Topic): each item
// under the heading the demo files it under (heading; a display-only
// entry under any).
func topicItems(t *testing.T, topic map[string]any, byRef map[string]map[string]any, heading func(string) string) []any {
	t.Helper()
	var out []any
	seen := map[string]bool{}
	es, _ := topic["entry"].([]any)
	for _, en := range es {
		ref, _ := at(en, "item", "reference").(string)
		h := byRef[ref]
		if !strings.HasPrefix(ref, "List/") || h == nil || at(h, "code", "coding", 0, "code") != "24781000000107" ||
			at(h, "code", "coding", 0, "display") != "Category (EHR)" || at(h, "encounter", "reference") != at(topic, "encounter", "reference") {
			t.Errorf("topic %v: an entry that is not a heading of its consultation: %v (%v)", topic["id"], en, h)
			continue
		}
		title, _ := h["title"].(string)
		if seen[title] {
			t.Errorf("topic %v: the heading %q twice", topic["id"], title)
		}
		seen[title] = true
		hs, _ := h["entry"].([]any)
		if len(hs) == 0 || h["extension"] != nil || h["note"] != nil {
			t.Errorf("heading %v: %v", title, h)
		}
		for _, x := range hs {
			if it, ok := at(x, "item", "reference").(string); ok && heading(it) != title {
				t.Errorf("%s is under the heading %q, want %q", it, title, heading(it))
			}
			out = append(out, x)
		}
	}
	return out
}

// topicsOf are the Topics of a consultation's List as the bundle has
// them, each by the Condition/id it is linked to ("" for none), its
// entries (references, or "display:" and the text) sorted, an acute
// prescription's statement left out (it has no row); and every entry of
// every Topic. ok is false when a Topic is not one of the consultation's.
func topicsOf(t *testing.T, cl map[string]any, byRef map[string]map[string]any, c demoConsultation, heading func(string) string) (map[string][]string, []string, bool) {
	t.Helper()
	out := map[string][]string{}
	var all []string
	for _, ref := range itemRefs(cl) {
		topic := byRef[ref]
		if at(topic, "code", "coding", 0, "code") != "25851000000105" || at(topic, "encounter", "reference") != "Encounter/"+c.id {
			t.Errorf("Encounter/%s: topic %v", c.id, topic)
			return nil, nil, false
		}
		problem, _ := at(topic, "extension", 0, "extension", 0, "valueReference", "reference").(string)
		if problem != "" && (at(topic, "extension", 0, "url") != "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1" ||
			topic["title"] != at(byRef[problem], "code", "text")) {
			t.Errorf("Encounter/%s: the topic of %s: %v", c.id, problem, topic)
		}
		if _, dup := out[problem]; dup {
			t.Errorf("Encounter/%s: two topics of problem %q", c.id, problem)
		}
		es := topicItems(t, topic, byRef, heading)
		if len(es) == 0 {
			t.Errorf("Encounter/%s: a topic with no entry: %v", c.id, topic)
		}
		out[problem] = []string{}
		for _, en := range es {
			it, ok := at(en, "item", "reference").(string)
			if !ok {
				it = "display:" + fmt.Sprint(at(en, "item", "display"))
			} else {
				all = append(all, it)
			}
			if !strings.HasPrefix(it, "MedicationStatement/") || slices.Contains(c.items, it) {
				out[problem] = append(out[problem], it)
			}
		}
		sort.Strings(out[problem])
	}
	return out, all, true
}

func checkConsultations(t *testing.T, b map[string]any, want []demoConsultation) {
	b = asStatements(b)
	t.Helper()
	links := linkRows(t)
	heading := demoHeadings(t)
	byRef := map[string]map[string]any{}
	n := map[string]int{}
	for _, r := range resources(t, b) {
		if id, ok := r["id"].(string); ok {
			ref := r["resourceType"].(string) + "/" + id
			if byRef[ref] != nil {
				t.Errorf("%s is twice in the bundle", ref)
			}
			byRef[ref] = r
		}
		n[r["resourceType"].(string)]++
	}
	l := listsByCode(t, b)["1149501000000101"]
	if l == nil || l["title"] != "List of consultations" {
		t.Fatalf("no list of consultations: %v", l)
	}
	var wantRefs []string
	for _, c := range want {
		wantRefs = append(wantRefs, "Encounter/"+c.id)
	}
	if got := itemRefs(l); !slices.Equal(got, wantRefs) {
		t.Errorf("consultations %v, want %v", got, wantRefs)
	}
	if len(want) == 0 && at(l, "emptyReason", "coding", 0, "code") != "no-content-recorded" {
		t.Errorf("an empty list without its reason: %v", l)
	}
	if n["Encounter"] != len(want) {
		t.Errorf("%d Encounters in the bundle, want %d", n["Encounter"], len(want))
	}
	// Each consultation's structure: every List of it dated when the
	// consultation was last changed (its row's LAST_UPDATED, the day
	// compared), ordered as the system orders it (GP Connect's guidance).
	updated := map[string]string{}
	for _, c := range want {
		updated["Encounter/"+c.id] = c.updated
	}
	for _, r := range resources(t, b) {
		code := at(r, "code", "coding", 0, "code")
		if r["resourceType"] != "List" || code != "325851000000107" && code != "25851000000105" && code != "24781000000107" {
			continue
		}
		enc, _ := at(r, "encounter", "reference").(string)
		date, _ := r["date"].(string)
		if u := updated[enc]; len(date) < 10 || len(u) < 10 || date[:10] != u[:10] || at(r, "orderedBy", "coding", 0, "code") != "system" ||
			at(r, "orderedBy", "coding", 0, "system") != "http://hl7.org/fhir/list-order" {
			t.Errorf("List %q of %s: date %v (the row's %q), orderedBy %v", r["title"], enc, r["date"], updated[enc], r["orderedBy"])
		}
	}
	structure := map[string]map[string]any{} // Consultation Lists by Encounter
	for _, r := range resources(t, b) {
		if r["resourceType"] == "List" && at(r, "code", "coding", 0, "code") == "325851000000107" {
			structure[at(r, "encounter", "reference").(string)] = r
		}
	}
	if len(structure) != len(want) {
		t.Errorf("%d Consultation Lists, want %d", len(structure), len(want))
	}
	// An allergy that has ended is contained in the list "Consultations -
	// allergies that have been ended contained in consultations" (never
	// alone in the bundle): the consultation's Topic refers to it by its
	// type and id, as a problem does, and the list by #id.
	ended := map[string]bool{}
	for _, r := range demotest.Rows(t, "ALLERGY") {
		if !strings.EqualFold(demotest.Str(r["STATUS"]), "active") {
			ended["AllergyIntolerance/"+demotest.Str(r["ALLERGY_ID"])] = true
		}
	}
	endedList := listsByCode(t, b)["consultations-allergies-that-have-been-ended-contained-in-consultations"]
	contained := map[string]map[string]any{}
	if endedList != nil {
		cs, _ := endedList["contained"].([]any)
		for _, c := range cs {
			a := c.(map[string]any)
			ref := "AllergyIntolerance/" + a["id"].(string)
			contained[ref] = a
			if !ended[ref] || a["clinicalStatus"] != "resolved" || extByURL(a, "Extension-CareConnect-GPC-AllergyIntoleranceEnd-1") == nil || profileOf(a) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-AllergyIntolerance-1" {
				t.Errorf("the ended allergy %s: %v", ref, a)
			}
			if byRef[ref] != nil {
				t.Errorf("the ended allergy %s stands alone in the bundle", ref)
			}
		}
	}
	var wantEnded []string
	for _, c := range want {
		for _, it := range c.items {
			if ended[it] {
				wantEnded = append(wantEnded, "#"+strings.TrimPrefix(it, "AllergyIntolerance/"))
			}
		}
	}
	if got := itemRefs(endedList); !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(wantEnded))) || len(contained) != len(wantEnded) {
		t.Errorf("ended allergies listed %v (%d contained), want %v", got, len(contained), wantEnded)
	}
	inSecondary := map[string]bool{}
	for _, r := range resources(t, b) {
		if r["resourceType"] == "List" && at(r, "code", "coding", 0, "system") == "https://fhir.hl7.org.uk/STU3/CodeSystem/GPConnect-SecondaryListValues-1" {
			if strings.HasPrefix(r["title"].(string), "Problems - ") {
				continue // the problems', when they are asked for too (TestRecordProblemLinks)
			}
			if !strings.HasPrefix(r["title"].(string), "Consultations - ") || r["entry"] == nil {
				t.Errorf("secondary list %v", r)
			}
			for _, ref := range itemRefs(r) {
				inSecondary[strings.Replace(ref, "#", "AllergyIntolerance/", 1)] = true
			}
		}
		if r["resourceType"] == "List" {
			own := map[string]bool{}
			cs, _ := r["contained"].([]any)
			for _, c := range cs {
				own["#"+at(c, "id").(string)] = true
			}
			for _, ref := range itemRefs(r) {
				if byRef[ref] == nil && !own[ref] && contained[ref] == nil {
					t.Errorf("the list %q refers to %s, not in the bundle", r["title"], ref)
				}
			}
		}
	}
	for _, c := range want {
		enc := byRef["Encounter/"+c.id]
		if enc == nil {
			continue
		}
		if profileOf(enc) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Encounter-1" || at(enc, "participant", 0, "type", 0, "coding", 0, "code") != "REC" ||
			!strings.HasPrefix(at(enc, "period", "start").(string), c.start) || at(enc, "identifier", 0, "system") != "https://fhir.nhs.uk/Id/cross-care-setting-identifier" {
			t.Errorf("Encounter/%s: %v", c.id, enc)
		}
		cl := structure["Encounter/"+c.id]
		if cl == nil || cl["id"] == nil {
			t.Errorf("Encounter/%s has no Consultation List: %v", c.id, cl)
			continue
		}
		// A Topic for each problem recorded in the consultation, holding
		// the problem and the consultation's items it is linked to
		// (PROBLEM_LINK), then one for the rest, if any.
		gotTopics, got, ok := topicsOf(t, cl, byRef, c, heading)
		if !ok {
			continue
		}
		if want := wantTopics(c, links, nil); fmt.Sprint(gotTopics) != fmt.Sprint(want) {
			t.Errorf("Encounter/%s: topics %v, want %v", c.id, gotTopics, want)
		}
		var statements []string
		rest := got[:0:0]
		for _, ref := range got {
			if !inSecondary[ref] {
				t.Errorf("%s is in no secondary list", ref)
			}
			if strings.HasPrefix(ref, "MedicationStatement/") && !slices.Contains(c.items, ref) {
				statements = append(statements, ref) // an acute prescription's, made from its issue
				continue
			}
			rest = append(rest, ref)
		}
		sort.Strings(rest)
		wantItems := slices.Clone(c.items)
		sort.Strings(wantItems)
		if !slices.Equal(rest, wantItems) || len(statements) != len(c.acute) {
			t.Errorf("Encounter/%s holds %v, want %v and %d acute prescriptions", c.id, got, wantItems, len(c.acute))
		}
		for _, ref := range c.acute {
			if byRef[ref] == nil {
				t.Errorf("the acute issue %s of Encounter/%s is not in the bundle", ref, c.id)
			}
		}
		for _, ref := range c.items {
			if r := byRef[ref]; r != nil && strings.HasPrefix(ref, "MedicationStatement/") {
				plan := at(r, "basedOn", 0, "reference")
				if p, _ := plan.(string); byRef[p] == nil {
					t.Errorf("%s: its plan %v is not in the bundle", ref, plan)
				}
			}
		}
	}
}

// An item of a consultation whose area is switched off here (SPEC §5)
// stays in its Topic as a display-only entry, "Referral items have been
// disabled", in its place; it is not sent, nor listed in a secondary
// list; a consultation that holds it is still sent; and the answer warns
// NOT_IMPLEMENTED for its area once, whether or not the area was asked
// for. Every List passes the GP Connect profile checker.
func TestConsultationItemsOfAreasSwitchedOff(t *testing.T) {
	e := serve(t, []gpconnect.Area{gpconnect.Allergies, gpconnect.Medication, gpconnect.Consultations, gpconnect.Problems,
		gpconnect.Immunisations, gpconnect.Uncategorised, gpconnect.Investigations})
	rows := consultationRows(t)
	links := linkRows(t)
	heading := demoHeadings(t)
	// A patient with referrals, diary entries and observations in two
	// consultations or more, and a problem linked to a referral or a diary
	// entry.
	p := find(t, func(p demoPatient) bool {
		kinds := map[string]int{}
		linked := false
		for _, c := range rows[p.id] {
			for _, it := range c.items {
				kinds[strings.Split(it, "/")[0]]++
				for _, l := range links[strings.TrimPrefix(it, "Condition/")] {
					linked = linked || strings.HasPrefix(it, "Condition/") && (l.table == "REFERRAL" || l.table == "DIARY_ENTRY")
				}
			}
		}
		return len(rows[p.id]) >= 2 && kinds["ReferralRequest"] > 0 && kinds["ProcedureRequest"] > 0 && kinds["Observation"] > 0 && linked
	})
	// Areas configured but the documents' (not named): switched off too.
	disabledText := map[string]string{"ReferralRequest": "Referral items have been disabled", "ProcedureRequest": "Diary entry items have been disabled",
		"DocumentReference": "Document items have been disabled"}
	reg := profile.GPConnect()
	for name, body := range map[string]string{
		"consultations only":          params(p.nhs, `{"name":"includeConsultations"}`),
		"referrals asked for as well": params(p.nhs, `{"name":"includeConsultations"}`, `{"name":"includeReferrals"}`),
	} {
		t.Run(name, func(t *testing.T) {
			res := record(t, e, body)
			fhirvalid.Validate(t, name, res.Body)
			var got []string
			for _, is := range warnings(t, res) {
				got = append(got, fmt.Sprint(is["diagnostics"]))
				if d := fmt.Sprint(is["diagnostics"]); at(is, "details", "text") != d+" has been disabled" {
					t.Errorf("warning %v: want the text %q", is, d+" has been disabled")
				}
			}
			// Documents, which have no parameter, are warned of as
			// DocumentReferences (SPEC §5).
			want := []string{"includeReferrals", "includeDiaryEntries"}
			if slices.ContainsFunc(rows[p.id], func(c demoConsultation) bool {
				return slices.ContainsFunc(c.items, func(it string) bool { return strings.HasPrefix(it, "DocumentReference/") })
			}) {
				want = append(want, "DocumentReferences")
			}
			if !slices.Equal(got, want) || len(want) < 3 {
				t.Errorf("warnings for %v, want %v (the patient's consultations holding a document)", got, want)
			}
			b := asStatements(res.JSON(t))
			byRef := map[string]map[string]any{}
			for _, r := range resources(t, b) {
				if id, ok := r["id"].(string); ok {
					byRef[r["resourceType"].(string)+"/"+id] = r
				}
				if r["resourceType"] == "ReferralRequest" || r["resourceType"] == "ProcedureRequest" {
					t.Errorf("%s/%v of an area switched off is sent", r["resourceType"], r["id"])
				}
				if r["resourceType"] == "List" {
					for _, pr := range reg.Check(r) {
						t.Errorf("List %q: %s", r["title"], pr)
					}
					if title, _ := r["title"].(string); strings.Contains(title, "referrals") || strings.Contains(title, "diary") {
						t.Errorf("a secondary list of an area switched off: %q", title)
					}
				}
			}
			var encounters []string
			for _, c := range rows[p.id] {
				encounters = append(encounters, "Encounter/"+c.id)
			}
			if got := itemRefs(listsByCode(t, b)["1149501000000101"]); !slices.Equal(got, encounters) {
				t.Errorf("consultations %v, want %v", got, encounters)
			}
			entries := map[string][]any{} // of the Topics of each Encounter
			for _, r := range resources(t, b) {
				if r["resourceType"] == "List" && at(r, "code", "coding", 0, "code") == "25851000000105" {
					enc := at(r, "encounter", "reference").(string)
					entries[enc] = append(entries[enc], topicItems(t, r, byRef, heading)...)
				}
			}
			// Each item stays in its Topic, shown as text when its area is
			// switched off.
			shown := func(it string) string {
				if text, ok := disabledText[strings.Split(it, "/")[0]]; ok {
					return "display:" + text
				}
				return it
			}
			for _, r := range resources(t, b) {
				if r["resourceType"] != "List" || at(r, "code", "coding", 0, "code") != "325851000000107" {
					continue
				}
				for _, c := range rows[p.id] {
					if at(r, "encounter", "reference") != "Encounter/"+c.id {
						continue
					}
					if got, _, ok := topicsOf(t, r, byRef, c, heading); ok && fmt.Sprint(got) != fmt.Sprint(wantTopics(c, links, shown)) {
						t.Errorf("Encounter/%s: topics %v, want %v", c.id, got, wantTopics(c, links, shown))
					}
				}
			}
			for _, c := range rows[p.id] {
				if entries["Encounter/"+c.id] == nil {
					t.Errorf("Encounter/%s has no Topic", c.id)
					continue
				}
				var refs, texts, wantRefs, wantTexts []string
				for _, en := range entries["Encounter/"+c.id] {
					item := en.(map[string]any)["item"].(map[string]any)
					if ref, ok := item["reference"].(string); ok {
						if !strings.HasPrefix(ref, "MedicationStatement/") || slices.Contains(c.items, ref) {
							refs = append(refs, ref)
						}
						if byRef[ref] == nil {
							t.Errorf("Encounter/%s: %s is not in the bundle", c.id, ref)
						}
					} else if len(item) != 1 {
						t.Errorf("Encounter/%s: a display-only item with more: %v", c.id, item)
					} else {
						texts = append(texts, fmt.Sprint(item["display"]))
					}
				}
				for _, it := range c.items {
					if text, ok := disabledText[strings.Split(it, "/")[0]]; ok {
						wantTexts = append(wantTexts, text)
					} else {
						wantRefs = append(wantRefs, it)
					}
				}
				for _, s := range [][]string{refs, texts, wantRefs, wantTexts} {
					sort.Strings(s)
				}
				if !slices.Equal(refs, wantRefs) || !slices.Equal(texts, wantTexts) {
					t.Errorf("Encounter/%s holds %v and %v, want %v and %v", c.id, refs, texts, wantRefs, wantTexts)
				}
			}
		})
	}
}

// The overlay's headings are checked when the service starts: a heading
// read from a column its type's table lacks, from the row of a type no
// mapping serves or several do, or given empty, stops it, saying which.
func TestConsultationHeadingsChecked(t *testing.T) {
	e := serve(t, nil)
	overlayStartErrors(t, e, "heading", []struct{ overlay, want string }{
		{"Observation:\n    heading: { column: NO_SUCH_COLUMN }", "NO_SUCH_COLUMN"},
		{"ProcedureRequest:\n    heading: { column: HEADING }", "2 mappings serve ProcedureRequest"},
		{"Flag:\n    heading: { column: HEADING }", "no mapping serves Flag"},
		{"Condition:\n    heading: \"\"", "found nothing"},
		{"Condition:\n    heading: ~", "found null"},
		{"Observation:\n    heading: [Examination]", "found a list"},
		{"Observation:\n    heading: { colum: HEADING }", "Observation.extension"},
		{"Observation:\n    heading: { column: HEADING }", ""},
		{"ProcedureRequest:\n    heading: Plan", ""},
	})
}

// Headings read from the rows follow the engine's pages: with pages of
// five, every item of a consultation with more is still under its
// heading. The mapping they are read through is never served: it logs
// no missing element, however the type's profile requires them.
func TestHeadingsOverPages(t *testing.T) {
	var logs demotest.Buffer
	e := demotest.SQLite(t, demotest.Config{Engine: engine.Options{DefaultCount: 5, MaxCount: 5, PagingSecret: []byte("test secret"),
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}, GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	rows := consultationRows(t)
	heading := demoHeadings(t)
	p := find(t, func(p demoPatient) bool {
		n := 0
		for _, c := range rows[p.id] {
			for _, it := range c.items {
				if strings.HasPrefix(it, "Observation/") {
					n++
				}
			}
		}
		return n > 10
	})
	b := okRecord(t, e, params(p.nhs, `{"name":"includeConsultations"}`), "the consultations of "+p.nhs)
	byRef := map[string]map[string]any{}
	for _, r := range resources(t, b) {
		if id, ok := r["id"].(string); ok {
			byRef[r["resourceType"].(string)+"/"+id] = r
		}
	}
	n := 0
	for _, r := range resources(t, b) {
		if r["resourceType"] == "List" && at(r, "code", "coding", 0, "code") == "25851000000105" {
			n += len(topicItems(t, r, byRef, heading)) // fails an item not under its heading
		}
	}
	if n <= 10 {
		t.Errorf("%d items under headings, want more than two pages", n)
	}
	if strings.Contains(logs.String(), "required element") {
		t.Errorf("the log warns of missing elements: %s", logs.String())
	}
}

// A patient with more items of one kind than a search takes ids (the
// engine takes a thousand alternatives of _id at most) is still served:
// 1,200 more observations recorded in one consultation, each under its
// heading, in a copy of the demo database. The record looks them up by id
// (their headings) in batches.
func TestManyItemsOfOneKind(t *testing.T) {
	dsn, db := demoCopy(t)
	// An observation recorded in a consultation, of no blood pressure,
	// report, test group, or withheld: its copies are items of their own.
	plain := map[string][2]string{} // PATIENT_ID → OBS_ID, CONSULT_ID
	for _, r := range demotest.Rows(t, "OBSERVATION") {
		if c := demotest.Str(r["OBS_CODE"]); c != "BPS" && c != "BPD" && demotest.Str(r["CONSULT_ID"]) != "" && demotest.Str(r["REPORT_ID"]) == "" &&
			demotest.Str(r["PARENT_OBS_ID"]) == "" && demotest.Str(r["CONFIDENTIAL"]) != "Y" {
			plain[demotest.Str(r["PATIENT_ID"])] = [2]string{demotest.Str(r["OBS_ID"]), demotest.Str(r["CONSULT_ID"])}
		}
	}
	p := find(t, func(p demoPatient) bool { _, ok := plain[p.id]; return ok })
	obs, consult := plain[p.id][0], plain[p.id][1]
	const more = 1200
	var next int
	if err := db.Get(&next, `SELECT MAX(OBS_ID) + 1 FROM OBSERVATION`); err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range demo.Columns("OBSERVATION") {
		if c != "OBS_ID" && c != "HEADING" {
			cols = append(cols, c)
		}
	}
	list := strings.Join(cols, ", ")
	for i := range more {
		if _, err := db.Exec(`INSERT INTO OBSERVATION (OBS_ID, HEADING, `+list+`) SELECT ?, 'Examination', `+list+` FROM OBSERVATION WHERE OBS_ID = ?`, next+i, obs); err != nil {
			t.Fatal(err)
		}
	}
	e := demotest.Open(t, "sqlite", sqlite.Open, dsn, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	b := okRecord(t, e, params(p.nhs, `{"name":"includeConsultations"}`, `{"name":"includeUncategorisedData"}`), "a record of many observations")
	byRef := map[string]map[string]any{}
	for _, r := range resources(t, b) {
		if id, ok := r["id"].(string); ok {
			byRef[r["resourceType"].(string)+"/"+id] = r
		}
	}
	var examined []string
	for _, r := range resources(t, b) {
		if r["resourceType"] == "List" && at(r, "code", "coding", 0, "code") == "24781000000107" && r["title"] == "Examination" && at(r, "encounter", "reference") == "Encounter/"+consult {
			examined = append(examined, itemRefs(r)...)
		}
	}
	for i := range more {
		if ref := fmt.Sprintf("Observation/%d", next+i); !slices.Contains(examined, ref) || byRef[ref] == nil {
			t.Fatalf("%s is not under Examination in Encounter/%s (%d items there)", ref, consult, len(examined))
		}
	}
}

// demoCopy is a copy of the SQLite demo database for a test to change
// (VACUUM INTO leaves the source as it is): its DSN, and a connection.
func demoCopy(t *testing.T) (string, *sqlx.DB) {
	t.Helper()
	src, err := demotest.SQLiteDSN()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	db, err := sqlx.Open("sqlite", src)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`VACUUM INTO ?`, path)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	dsn := "file:" + path
	if db, err = sqlx.Open("sqlite", dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

// linkProblem adds to a copy of the demo database (demoCopy) a
// PROBLEM_LINK row from a problem to an item of a table.
func linkProblem(t *testing.T, db *sqlx.DB, problem, table, id string) {
	t.Helper()
	if _, err := db.Exec(`INSERT INTO PROBLEM_LINK (LINK_ID, PROBLEM_ID, LINKED_TABLE, LINKED_ID, RELATIONSHIP) SELECT MAX(LINK_ID) + 1, ?, ?, ?, NULL FROM PROBLEM_LINK`,
		problem, table, id); err != nil {
		t.Fatal(err)
	}
}
