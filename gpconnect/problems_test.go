package gpconnect_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/fhirvalid"
)

// demoProblem is a PROBLEM row: its id, STATUS and SIGNIFICANCE.
type demoProblem struct{ id, status, significance string }

func problemRows(t *testing.T) map[string][]demoProblem {
	t.Helper()
	return rowsByPatient(t, "PROBLEM", func(r map[string]any) demoProblem {
		return demoProblem{demotest.Str(r["PROBLEM_ID"]), demotest.Str(r["STATUS"]), demotest.Str(r["SIGNIFICANCE"])}
	})
}

// The problems area (SPEC §6.2): the list "Problems" (SNOMED
// 717711000000103) holds the patient's PROBLEM rows as ProblemHeader
// Conditions, each in the bundle with its identifier, clinicalStatus
// active or inactive (resolved is inactive), the problem-list-item
// category and the significance extension; filterStatus and
// filterSignificance keep the rows whose STATUS and SIGNIFICANCE match,
// includeProblems given twice returns what either keeps, a filter that
// keeps nothing leaves the list empty with its reason, and a patient
// without problems has it empty too. Bad filter values are 422
// INVALID_PARAMETER naming the part.
func TestRecordProblems(t *testing.T) {
	e := serve(t, nil)
	rows := problemRows(t)
	p := find(t, func(p demoPatient) bool {
		st := map[string]bool{}
		sig := map[string]bool{}
		for _, r := range rows[p.id] {
			st[r.status], sig[r.significance] = true, true
		}
		return st["A"] && (st["I"] || st["R"]) && sig["MAJ"] && sig["MIN"]
	})
	status := map[string]string{"A": "active", "I": "inactive", "R": "inactive"}
	significance := map[string]string{"MAJ": "major", "MIN": "minor"}
	want := func(st, sig []string) []string {
		var out []string
		for _, r := range rows[p.id] {
			if (st == nil || slices.Contains(st, status[r.status])) && (sig == nil || slices.Contains(sig, significance[r.significance])) {
				out = append(out, "Condition/"+r.id)
			}
		}
		sort.Strings(out)
		return out
	}
	problems := func(parts ...string) string {
		if len(parts) == 0 {
			return `{"name":"includeProblems"}`
		}
		s := `{"name":"includeProblems","part":[`
		for i, x := range parts {
			if i > 0 {
				s += ","
			}
			s += x
		}
		return s + `]}`
	}
	fs := func(code string) string { return `{"name":"filterStatus","valueCode":"` + code + `"}` }
	fg := func(code string) string { return `{"name":"filterSignificance","valueCode":"` + code + `"}` }
	for _, c := range []struct {
		name   string
		params []string
		want   []string
	}{
		{"every problem", []string{problems()}, want(nil, nil)},
		{"active", []string{problems(fs("active"))}, want([]string{"active"}, nil)},
		{"inactive", []string{problems(fs("inactive"))}, want([]string{"inactive"}, nil)},
		{"major", []string{problems(fg("major"))}, want(nil, []string{"major"})},
		{"active and minor", []string{problems(fs("active"), fg("minor"))}, want([]string{"active"}, []string{"minor"})},
		{"active or minor (given twice)", []string{problems(fs("active")), problems(fg("minor"))}, func() []string {
			a, m := want([]string{"active"}, nil), want(nil, []string{"minor"})
			out := append(a, m...)
			sort.Strings(out)
			return slices.Compact(out)
		}()},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := okRecord(t, e, params(p.nhs, c.params...), "a record of problems")
			l := listsByCode(t, b)["717711000000103"]
			if l == nil || l["title"] != "Problems" {
				t.Fatalf("no Problems list: %v", l)
			}
			got := listedItems(t, l)
			if !slices.Equal(got, c.want) {
				t.Errorf("list %v, want %v", got, c.want)
			}
			have := map[string]map[string]any{}
			n := 0
			for _, r := range resources(t, b) {
				if r["resourceType"] == "Condition" {
					n++
					have["Condition/"+r["id"].(string)] = r
				}
			}
			linked := itemRefs(listsByCode(t, b)[linkedProblemsList])
			for _, ref := range linked {
				if slices.Contains(c.want, ref) {
					t.Errorf("%s is in the Problems list and the linked-problems list", ref)
				}
			}
			if n != len(c.want)+len(linked) {
				t.Errorf("%d Conditions in the bundle, want %d and %d linked", n, len(c.want), len(linked))
			}
			for _, ref := range got {
				r := have[ref]
				if r == nil {
					t.Errorf("%s is not in the bundle", ref)
					continue
				}
				if profileOf(r) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProblemHeader-Condition-1" ||
					at(r, "identifier", 0, "system") != "https://fhir.nhs.uk/Id/cross-care-setting-identifier" ||
					(r["clinicalStatus"] != "active" && r["clinicalStatus"] != "inactive") || at(r, "category", 0, "coding", 0, "code") != "problem-list-item" {
					t.Errorf("%s: %v", ref, r)
				}
				if sig := extByURL(r, "Extension-CareConnect-ProblemSignificance-1"); sig == nil || (sig["valueCode"] != "major" && sig["valueCode"] != "minor") {
					t.Errorf("%s: significance %v", ref, sig)
				}
			}
		})
	}
	q := find(t, func(q demoPatient) bool { return len(rows[q.id]) == 0 })
	res := record(t, e, params(q.nhs, problems()))
	if l := listsByCode(t, res.JSON(t))["717711000000103"]; l == nil || l["entry"] != nil || at(l, "note", 0, "text") != "Information not available" {
		t.Errorf("a patient without problems: list %v", l)
	}
	for name, c := range map[string]struct{ part, names string }{
		"resolved":      {fs("resolved"), "includeProblems.filterStatus"},
		"junk status":   {fs("nonsense"), "includeProblems.filterStatus"},
		"no status":     {`{"name":"filterStatus"}`, "includeProblems.filterStatus"},
		"significance":  {fg("moderate"), "includeProblems.filterSignificance"},
		"status string": {`{"name":"filterStatus","valueString":"active"}`, "includeProblems.filterStatus"},
	} {
		t.Run(name, func(t *testing.T) {
			outcome(t, record(t, e, params(p.nhs, problems(c.part))), http.StatusUnprocessableEntity, "INVALID_PARAMETER", c.names)
		})
	}
	t.Run("filter with consultations", func(t *testing.T) {
		outcome(t, record(t, e, params(p.nhs, problems(fg("major")), `{"name":"includeConsultations"}`)), http.StatusUnprocessableEntity, "INVALID_PARAMETER", "includeProblems.filterSignificance")
	})
}

// demoLink is a PROBLEM_LINK row: the linked item's rendering (Type/id)
// and its table.
type demoLink struct{ ref, table string }

// linkRows are the demo's problem links by PROBLEM_ID, each read from the
// tables, not from the facade.
func linkRows(t *testing.T) map[string][]demoLink {
	t.Helper()
	typ := map[string]string{"PROBLEM": "Condition/", "ALLERGY": "AllergyIntolerance/", "OBSERVATION": "Observation/",
		"REPEAT_MED": "MedicationStatement/", "IMMUNISATION": "Immunization/", "REFERRAL": "ReferralRequest/referral-",
		"DIARY_ENTRY": "ProcedureRequest/diary-", "TEST_REPORT": "DiagnosticReport/", "CONSULTATION": "Encounter/", "CLIN_DOCUMENT": "DocumentReference/"}
	out := map[string][]demoLink{}
	for _, r := range demotest.Rows(t, "PROBLEM_LINK") {
		table := demotest.Str(r["LINKED_TABLE"])
		if typ[table] == "" {
			t.Fatalf("PROBLEM_LINK %v: table %s", r["LINK_ID"], table)
		}
		p := demotest.Str(r["PROBLEM_ID"])
		out[p] = append(out[p], demoLink{typ[table] + demotest.Str(r["LINKED_ID"]), table})
	}
	return out
}

// activeAllergies are the demo's active allergies (Type/id), read from
// its ALLERGY rows.
func activeAllergies(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, r := range demotest.Rows(t, "ALLERGY") {
		if strings.EqualFold(demotest.Str(r["STATUS"]), "active") {
			out["AllergyIntolerance/"+demotest.Str(r["ALLERGY_ID"])] = true
		}
	}
	return out
}

// relatedList is the code of the "Problems - … related to problems" list
// of a linked table's items.
var relatedList = map[string]string{
	"ALLERGY": "problems-allergies-related-to-problems", "REPEAT_MED": "problems-medications-related-to-problems",
	"IMMUNISATION": "problems-immunisations-related-to-problems", "OBSERVATION": "problems-uncategorised-data-related-to-problems",
	"TEST_REPORT": "problems-investigations-related-to-problems", "REFERRAL": "problems-outbound-referrals-related-to-problems",
	"DIARY_ENTRY": "problems-diary-entries-related-to-problems", "CLIN_DOCUMENT": "problems-documents-related-to-problems",
	"CONSULTATION": "problems-consultations-related-to-problems",
}

const linkedProblemsList = "problems-linked-problems-not-relating-to-the-primary-query"

// Problems with what they are linked to (SPEC §6.1, §6.2), against the
// PROBLEM_LINK rows: asked for problems, each item a returned problem is
// linked to is in the bundle and listed in its area's "Problems - …
// related to problems" list (a medication with its plan and Medication,
// no issue; a laboratory report with its results), an area no problem
// links to has no such list, and a problem links to its related problems
// by relatedProblemHeader, parent or child. A filter that leaves out a
// problem a returned one is linked to brings it in the "Problems - linked
// problems not relating to the primary query" list; so does an allergies
// query for each problem linked to a returned allergy (an ended one too),
// with no other secondary list. An ended allergy a problem links to is
// contained in the "Problems - allergies that have been ended related to
// problems" list, resolved, with its end. Every bundle is valid STU3 and
// every resource and List conforms to its GP Connect profile.
func TestRecordProblemLinks(t *testing.T) {
	t.Parallel()
	e := serve(t, nil)
	links := linkRows(t)
	problems := problemRows(t)
	active := activeAllergies(t)
	hidden, _ := withheldRows(t) // withheld, with what only their links bring (TestConfidentialItemsWithheld)
	reg := profile.GPConnect()
	check := func(t *testing.T, what, body string) map[string]any {
		b := okRecord(t, e, body, what)
		for _, r := range resources(t, b) {
			for _, pr := range reg.Check(r) {
				t.Errorf("%s/%v: %s", r["resourceType"], r["id"], pr)
			}
		}
		return b
	}
	// The patients tried: for each kind of link (the table linked to; an
	// allergy that has ended apart), the first two served patients with
	// one.
	kind := func(l demoLink) string {
		if l.table == "ALLERGY" && !active[l.ref] {
			return "ENDED ALLERGY"
		}
		return l.table
	}
	served := func(p demoPatient) bool {
		return p.served()
	}
	tried := map[string]int{}
	for _, p := range patients(t) {
		if !served(p) {
			continue
		}
		var linked []demoLink
		for _, pr := range problems[p.id] {
			if _, off := hidden["Condition/"+pr.id]; !off {
				linked = append(linked, links[pr.id]...)
			}
		}
		if !slices.ContainsFunc(linked, func(l demoLink) bool { return tried[kind(l)] < 2 }) {
			continue
		}
		for _, l := range linked {
			tried[kind(l)]++
		}
		t.Run(p.nhs, func(t *testing.T) {
			b := check(t, "problems of "+p.nhs, params(p.nhs, `{"name":"includeProblems"}`))
			lists := listsByCode(t, b)
			byRef := map[string]map[string]any{}
			for _, r := range resources(t, b) {
				if id, ok := r["id"].(string); ok {
					byRef[r["resourceType"].(string)+"/"+id] = r
				}
			}
			raw, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string][]string{}
			var wantEnded []string
			for _, l := range linked {
				if kind(l) == "ENDED ALLERGY" && !slices.Contains(wantEnded, l.ref) {
					wantEnded = append(wantEnded, l.ref)
				}
				if _, off := hidden[l.ref]; l.table == "CONSULTATION" {
					// Consultations not asked for: a reference only.
					if !off && byRef[l.ref] != nil || !strings.Contains(string(raw), `"`+l.ref+`"`) {
						t.Errorf("the link to %s: want it a reference only, the Encounter not sent", l.ref)
					}
					continue
				}
				if _, off := hidden[l.ref]; off || l.table == "PROBLEM" || kind(l) == "ENDED ALLERGY" {
					continue
				}
				if !slices.Contains(want[relatedList[l.table]], l.ref) {
					want[relatedList[l.table]] = append(want[relatedList[l.table]], l.ref)
				}
			}
			for _, code := range relatedList {
				got := itemRefs(lists[code])
				w := want[code]
				sort.Strings(got)
				sort.Strings(w)
				if !slices.Equal(got, w) {
					t.Errorf("%s holds %v, want %v", code, got, w)
				}
				if lists[code] != nil && lists[code]["title"] != secondaryTitleOf(code) {
					t.Errorf("%s is titled %v", code, lists[code]["title"])
				}
				for _, ref := range got {
					r := byRef[ref]
					if r == nil {
						t.Errorf("%s is listed but not in the bundle", ref)
						continue
					}
					if strings.HasPrefix(ref, "MedicationStatement/") {
						plan, _ := at(r, "basedOn", 0, "reference").(string)
						if byRef[plan] == nil || byRef[plan]["intent"] != "plan" || byRef[at(r, "medicationReference", "reference").(string)] == nil {
							t.Errorf("%s: its plan %q or Medication is not in the bundle", ref, plan)
						}
					}
					if strings.HasPrefix(ref, "DiagnosticReport/") {
						for _, res := range r["result"].([]any) {
							if byRef[at(res, "reference").(string)] == nil {
								t.Errorf("%s: result %v is not in the bundle", ref, res)
							}
						}
					}
				}
			}
			// Each ended allergy a problem links to is contained in the
			// "ended" list, resolved, with its end.
			var gotEnded []string
			ended := lists["problems-allergies-that-have-been-ended-related-to-problems"]
			contained := map[string]map[string]any{}
			if ended != nil {
				for _, c := range ended["contained"].([]any) {
					contained["#"+at(c, "id").(string)] = c.(map[string]any)
				}
			}
			for _, ref := range itemRefs(ended) {
				a := contained[ref]
				if a == nil || a["clinicalStatus"] != "resolved" || extByURL(a, "Extension-CareConnect-GPC-AllergyIntoleranceEnd-1") == nil {
					t.Errorf("ended allergy %s: %v", ref, a)
				}
				if byRef["AllergyIntolerance/"+strings.TrimPrefix(ref, "#")] != nil {
					t.Errorf("the ended allergy %s stands alone in the bundle", ref)
				}
				gotEnded = append(gotEnded, "AllergyIntolerance/"+strings.TrimPrefix(ref, "#"))
			}
			sort.Strings(gotEnded)
			sort.Strings(wantEnded)
			if !slices.Equal(gotEnded, wantEnded) {
				t.Errorf("ended allergies related to problems %v, want %v", gotEnded, wantEnded)
			}
			for ref, r := range byRef {
				if r["resourceType"] == "MedicationRequest" && r["intent"] == "order" {
					t.Errorf("%s: an issue no problem links to is sent", ref)
				}
			}
			if lists[linkedProblemsList] != nil {
				t.Errorf("every problem was asked for, yet a linked-problems list: %v", itemRefs(lists[linkedProblemsList]))
			}
			for _, pr := range problems[p.id] {
				if _, off := hidden["Condition/"+pr.id]; off {
					continue
				}
				c := byRef["Condition/"+pr.id]
				var got, want []string
				for _, x := range c["extension"].([]any) {
					switch at(x, "url") {
					case "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedClinicalContent-1":
						got = append(got, at(x, "valueReference", "reference").(string))
					case "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedProblemHeader-1":
						rel := at(x, "extension", 0, "valueCode")
						if at(x, "extension", 0, "url") != "type" || rel != "parent" && rel != "child" {
							t.Errorf("Condition/%s: a related problem's type is %v", pr.id, at(x, "extension", 0))
						}
						got = append(got, at(x, "extension", 1, "valueReference", "reference").(string))
					}
				}
				for _, l := range links[pr.id] {
					if _, off := hidden[l.ref]; !off {
						want = append(want, l.ref)
					}
				}
				sort.Strings(got)
				sort.Strings(want)
				if !slices.Equal(got, want) {
					t.Errorf("Condition/%s links %v, want %v", pr.id, got, want)
				}
			}
		})
	}
	for _, k := range []string{"PROBLEM", "OBSERVATION", "ALLERGY", "ENDED ALLERGY", "REPEAT_MED", "IMMUNISATION", "REFERRAL", "DIARY_ENTRY", "TEST_REPORT"} {
		if tried[k] == 0 {
			t.Errorf("no patient tried has a problem linked to a %s row", k)
		}
	}

	// A filter leaving out a problem that a returned one is linked to.
	status := map[string]string{"A": "active", "I": "inactive", "R": "inactive"}
	byID := map[string]demoProblem{}
	for _, ps := range problems {
		for _, pr := range ps {
			byID[pr.id] = pr
		}
	}
	var parent, child demoProblem
	p := find(t, func(p demoPatient) bool {
		for _, pr := range problems[p.id] {
			for _, l := range links[pr.id] {
				if q, ok := byID[strings.TrimPrefix(l.ref, "Condition/")]; ok && l.table == "PROBLEM" && status[q.status] != status[pr.status] {
					parent, child = pr, q
					return true
				}
			}
		}
		return false
	})
	b := check(t, "filtered problems", params(p.nhs, `{"name":"includeProblems","part":[{"name":"filterStatus","valueCode":"`+status[parent.status]+`"}]}`))
	lists := listsByCode(t, b)
	if got := itemRefs(lists[linkedProblemsList]); !slices.Contains(got, "Condition/"+child.id) {
		t.Errorf("problem %s (%s) is linked to %s (%s), yet the linked-problems list is %v", parent.id, parent.status, child.id, child.status, got)
	}
	for _, ref := range itemRefs(lists[linkedProblemsList]) {
		if slices.Contains(itemRefs(lists["717711000000103"]), ref) {
			t.Errorf("%s is in the Problems list and in the linked-problems list", ref)
		}
	}

	// An allergies query brings the problems its allergies are linked to,
	// those that have ended (in the "Ended allergies" list) too: the
	// patient has a problem linked to ended allergies alone.
	var withAllergy []string
	p = find(t, func(p demoPatient) bool {
		withAllergy = nil
		endedOnly := false
		for _, pr := range problems[p.id] {
			kinds := map[string]bool{}
			for _, l := range links[pr.id] {
				if l.table == "ALLERGY" && !slices.Contains(withAllergy, "Condition/"+pr.id) {
					withAllergy = append(withAllergy, "Condition/"+pr.id)
				}
				kinds[kind(l)] = true
			}
			endedOnly = endedOnly || kinds["ENDED ALLERGY"] && !kinds["ALLERGY"]
		}
		return endedOnly
	})
	b = check(t, "allergies", params(p.nhs, allergies(true)))
	lists = listsByCode(t, b)
	got := itemRefs(lists[linkedProblemsList])
	sort.Strings(got)
	sort.Strings(withAllergy)
	if !slices.Equal(got, withAllergy) {
		t.Errorf("allergies of %s: linked problems %v, want %v", p.nhs, got, withAllergy)
	}
	for code := range lists {
		if code != linkedProblemsList && code != "886921000000105" && code != "1103671000000101" {
			t.Errorf("allergies of %s: a list %s", p.nhs, code)
		}
	}
}

// secondaryTitleOf is a secondary list's title as SPEC §6.1 writes it.
func secondaryTitleOf(code string) string {
	head, rest, _ := strings.Cut(code, "-")
	return strings.ToUpper(head[:1]) + head[1:] + " - " + strings.ReplaceAll(rest, "-", " ")
}

// A problem linked to an item of an area switched off here: the area's
// "Problems - … related to problems" list shows the item as disabled
// ("Referral items have been disabled", once), the problem's link is a
// display with no reference wherever the problem is sent (in the Problems
// list, in a consultation, in the linked-problems list), the item is not
// sent, and the answer warns that the area is not implemented, though it
// was not asked for. An ended allergy is an allergy item like the others.
func TestProblemLinksToAreasSwitchedOff(t *testing.T) {
	t.Parallel()
	all := []gpconnect.Area{gpconnect.Allergies, gpconnect.Medication, gpconnect.Consultations, gpconnect.Problems,
		gpconnect.Immunisations, gpconnect.Uncategorised, gpconnect.Investigations, gpconnect.Referrals, gpconnect.DiaryEntries, gpconnect.Documents}
	without := func(a gpconnect.Area) []gpconnect.Area {
		return slices.DeleteFunc(slices.Clone(all), func(b gpconnect.Area) bool { return a == b })
	}
	links := linkRows(t)
	problems := problemRows(t)
	active := activeAllergies(t)
	// linkedTo are the links of a patient's problems (those keep keeps)
	// to items whose reference starts with prefix.
	linkedTo := func(p demoPatient, prefix string, keep func(demoProblem) bool) []string {
		var out []string
		for _, pr := range problems[p.id] {
			for _, l := range links[pr.id] {
				if strings.HasPrefix(l.ref, prefix) && (keep == nil || keep(pr)) {
					out = append(out, l.ref)
				}
			}
		}
		return out
	}
	// check checks an answer: the warnings, no Condition referring to an
	// item of the area (prefix), n links shown as text, and no resource
	// of the area (typ) sent.
	check := func(t *testing.T, res demotest.Response, warning, prefix, text, typ string, n int) map[string]any {
		t.Helper()
		fhirvalid.Validate(t, "a record", res.Body)
		var got []string
		for _, is := range warnings(t, res) {
			got = append(got, fmt.Sprint(is["diagnostics"]))
		}
		if !slices.Equal(got, []string{warning}) {
			t.Errorf("warnings for %v, want %s", got, warning)
		}
		b := res.JSON(t)
		displays := 0
		for _, r := range resources(t, b) {
			if r["resourceType"] == typ {
				t.Errorf("%s/%v of an area switched off is sent", typ, r["id"])
			}
			if r["resourceType"] != "Condition" {
				continue
			}
			for _, x := range r["extension"].([]any) {
				if s, ok := at(x, "valueReference", "reference").(string); ok && strings.HasPrefix(s, prefix) {
					t.Errorf("Condition/%v still refers to %s", r["id"], s)
				}
				if at(x, "valueReference", "display") == text {
					displays++
				}
			}
		}
		if displays != n {
			t.Errorf("%d links shown as %q, want %d", displays, text, n)
		}
		return b
	}
	e := serve(t, without(gpconnect.Referrals))
	var p demoPatient
	t.Run("problems", func(t *testing.T) {
		p = find(t, func(p demoPatient) bool { return len(linkedTo(p, "ReferralRequest/", nil)) > 0 })
		b := check(t, record(t, e, params(p.nhs, `{"name":"includeProblems"}`)), "includeReferrals", "ReferralRequest/", "Referral items have been disabled", "ReferralRequest",
			len(linkedTo(p, "ReferralRequest/", nil)))
		l := listsByCode(t, b)["problems-outbound-referrals-related-to-problems"]
		if l == nil || len(l["entry"].([]any)) != 1 || at(l, "entry", 0, "item", "display") != "Referral items have been disabled" || at(l, "entry", 0, "item", "reference") != nil {
			t.Errorf("the referrals list: %v", l)
		}
	})
	t.Run("consultations", func(t *testing.T) {
		b := check(t, record(t, e, params(p.nhs, `{"name":"includeConsultations"}`)), "includeReferrals", "ReferralRequest/", "Referral items have been disabled", "ReferralRequest",
			len(linkedTo(p, "ReferralRequest/", nil)))
		if l := listsByCode(t, b)["problems-outbound-referrals-related-to-problems"]; l != nil {
			t.Errorf("problems were not asked for, yet %v", l)
		}
	})
	t.Run("linked problems", func(t *testing.T) {
		// A problem linked to a referral, related to a problem of another
		// status: asked for that status, it is a linked problem.
		status := map[string]string{"A": "active", "I": "inactive", "R": "inactive"}
		byID := map[string]demoProblem{}
		for _, ps := range problems {
			for _, pr := range ps {
				byID[pr.id] = pr
			}
		}
		var linked demoProblem
		var other string
		hidden, _ := withheldRows(t)
		q := find(t, func(q demoPatient) bool {
			for _, pr := range problems[q.id] {
				if !slices.ContainsFunc(links[pr.id], func(l demoLink) bool { return l.table == "REFERRAL" }) {
					continue
				}
				for _, l := range links[pr.id] {
					_, off := hidden[l.ref]
					_, offToo := hidden["Condition/"+pr.id]
					if o, ok := byID[strings.TrimPrefix(l.ref, "Condition/")]; ok && l.table == "PROBLEM" && status[o.status] != status[pr.status] && !off && !offToo {
						linked, other = pr, status[o.status]
						return true
					}
				}
			}
			return false
		})
		n := 0
		for _, pr := range problems[q.id] {
			if status[pr.status] == other || pr.id == linked.id {
				n += len(linkedTo(q, "ReferralRequest/", func(x demoProblem) bool { return x.id == pr.id }))
			}
		}
		b := check(t, record(t, e, params(q.nhs, `{"name":"includeProblems","part":[{"name":"filterStatus","valueCode":"`+other+`"}]}`)),
			"includeReferrals", "ReferralRequest/", "Referral items have been disabled", "ReferralRequest", n)
		if got := itemRefs(listsByCode(t, b)[linkedProblemsList]); !slices.Contains(got, "Condition/"+linked.id) {
			t.Errorf("Condition/%s is not a linked problem: %v", linked.id, got)
		}
	})
	t.Run("ended allergies", func(t *testing.T) {
		e := serve(t, without(gpconnect.Allergies))
		ended := func(p demoPatient) []string {
			return slices.DeleteFunc(linkedTo(p, "AllergyIntolerance/", nil), func(ref string) bool { return active[ref] })
		}
		p := find(t, func(p demoPatient) bool { return len(ended(p)) > 0 })
		b := check(t, record(t, e, params(p.nhs, `{"name":"includeProblems"}`)), "includeAllergies", "AllergyIntolerance/", "Allergy items have been disabled", "AllergyIntolerance",
			len(linkedTo(p, "AllergyIntolerance/", nil)))
		if l := listsByCode(t, b)["problems-allergies-that-have-been-ended-related-to-problems"]; l != nil {
			t.Errorf("an ended list of an area switched off: %v", l)
		}
	})
}

// A problem linked to a test result links to its report (SPEC §6.2: the
// DiagnosticReport is what the problem links to): the Condition's
// relatedClinicalContent names the DiagnosticReport, not the result's
// Observation; with problems asked for, the report (with its results) is
// in "Problems - investigations related to problems"; with
// investigations asked for, the problem is a linked problem of the
// report. The link is a PROBLEM_LINK row added to a copy of the demo
// database (the demo links no problem to a result).
func TestProblemLinkToATestResult(t *testing.T) {
	served := map[string]string{}
	for _, p := range patients(t) {
		if p.served() {
			served[p.id] = p.nhs
		}
	}
	problemOf := map[string]string{} // PATIENT_ID → a PROBLEM_ID recorded in a consultation, not withheld
	for _, r := range demotest.Rows(t, "PROBLEM") {
		if demotest.Str(r["CONFIDENTIAL"]) != "Y" && demotest.Str(r["CONSULT_ID"]) != "" && problemOf[demotest.Str(r["PATIENT_ID"])] == "" {
			problemOf[demotest.Str(r["PATIENT_ID"])] = demotest.Str(r["PROBLEM_ID"])
		}
	}
	var nhs, problem, result, report string
	for _, r := range demotest.Rows(t, "OBSERVATION") {
		p := demotest.Str(r["PATIENT_ID"])
		if served[p] != "" && problemOf[p] != "" && demotest.Str(r["REPORT_ID"]) != "" && demotest.Str(r["CONFIDENTIAL"]) != "Y" {
			nhs, problem, result, report = served[p], problemOf[p], demotest.Str(r["OBS_ID"]), demotest.Str(r["REPORT_ID"])
			break
		}
	}
	if result == "" {
		t.Fatal("no served patient with a problem has a laboratory result")
	}
	dsn, db := demoCopy(t)
	linkProblem(t, db, problem, "OBSERVATION", result)
	e := demotest.Open(t, "sqlite", sqlite.Open, dsn, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	cond, rep, res := "Condition/"+problem, "DiagnosticReport/"+report, "Observation/"+result
	// linksOf are the Condition's links, after checking it keeps its
	// significance and links to the report once.
	linksOf := func(b map[string]any) []string {
		for _, r := range resources(t, b) {
			if r["resourceType"] == "Condition" && r["id"] == problem {
				var out []string
				for _, x := range r["extension"].([]any) {
					if at(x, "url") == "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-RelatedClinicalContent-1" {
						out = append(out, fmt.Sprint(at(x, "valueReference", "reference")))
					}
				}
				if extByURL(r, "Extension-CareConnect-ProblemSignificance-1") == nil {
					t.Errorf("%s lost its significance: %v", cond, r["extension"])
				}
				if n := len(slices.DeleteFunc(slices.Clone(out), func(s string) bool { return s != rep })); n > 1 {
					t.Errorf("%s links to %s %d times", cond, rep, n)
				}
				return out
			}
		}
		t.Fatalf("%s is not in the bundle", cond)
		return nil
	}
	b := okRecord(t, e, params(nhs, `{"name":"includeProblems"}`), "problems")
	if links := linksOf(b); !slices.Contains(links, rep) || slices.Contains(links, res) {
		t.Errorf("%s links to %v: want %s, not %s", cond, links, rep, res)
	}
	have := map[string]bool{}
	for _, r := range resources(t, b) {
		have[fmt.Sprint(r["resourceType"], "/", r["id"])] = true
	}
	if l := itemRefs(listsByCode(t, b)["problems-investigations-related-to-problems"]); !slices.Contains(l, rep) || slices.Contains(l, res) || !have[rep] || !have[res] {
		t.Errorf("the investigations related to problems: %v (the report sent %v, its result %v); want %s", l, have[rep], have[res], rep)
	}
	// In its consultation too.
	b = okRecord(t, e, params(nhs, `{"name":"includeConsultations"}`), "consultations")
	if links := linksOf(b); !slices.Contains(links, rep) || slices.Contains(links, res) {
		t.Errorf("%s, in its consultation, links to %v: want %s, not %s", cond, links, rep, res)
	}
	b = okRecord(t, e, params(nhs, `{"name":"includeInvestigations"}`), "investigations")
	if l := itemRefs(listsByCode(t, b)["problems-linked-problems-not-relating-to-the-primary-query"]); !slices.Contains(l, cond) {
		t.Errorf("the linked problems of the investigations: %v, want %s", l, cond)
	} else if links := linksOf(b); !slices.Contains(links, rep) {
		t.Errorf("%s, linked, links to %v: want %s", cond, links, rep)
	}
}

// A problem linked to a document (a PROBLEM_LINK row to CLIN_DOCUMENT,
// added to a copy of the demo database: the demo links none) brings the
// DocumentReference, in "Problems - documents related to problems"
// (SPEC §6.1, §6.2), and the Condition refers to it.
func TestProblemLinkToADocument(t *testing.T) {
	served := map[string]string{}
	for _, p := range patients(t) {
		if p.served() {
			served[p.id] = p.nhs
		}
	}
	problemOf := map[string]string{} // CONSULT_ID → a PROBLEM_ID recorded in it, not withheld
	for _, r := range demotest.Rows(t, "PROBLEM") {
		if c := demotest.Str(r["CONSULT_ID"]); demotest.Str(r["CONFIDENTIAL"]) != "Y" && c != "" && problemOf[c] == "" {
			problemOf[c] = demotest.Str(r["PROBLEM_ID"])
		}
	}
	// A document filed in the consultation of a problem: linked, it is in
	// the problem's Topic there, not in its referral's.
	var nhs, problem, doc string
	for _, r := range demotest.Rows(t, "CLIN_DOCUMENT") {
		if p, c := demotest.Str(r["PATIENT_ID"]), demotest.Str(r["CONSULT_ID"]); served[p] != "" && problemOf[c] != "" {
			nhs, problem, doc = served[p], problemOf[c], demotest.Str(r["DOC_ID"])
			break
		}
	}
	if doc == "" {
		t.Fatal("no served patient has a document filed in the consultation of a problem")
	}
	dsn, db := demoCopy(t)
	linkProblem(t, db, problem, "CLIN_DOCUMENT", doc)
	e := demotest.Open(t, "sqlite", sqlite.Open, dsn, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	b := okRecord(t, e, params(nhs, `{"name":"includeProblems"}`), "problems")
	ref := "DocumentReference/" + doc
	sent := false
	for _, r := range resources(t, b) {
		if r["resourceType"] == "DocumentReference" && r["id"] == doc {
			sent = profileOf(r) == "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-DocumentReference-1"
		}
		if r["resourceType"] == "Condition" && r["id"] == problem && !strings.Contains(fmt.Sprint(r["extension"]), ref) {
			t.Errorf("Condition/%s does not refer to %s: %v", problem, ref, r["extension"])
		}
	}
	if l := itemRefs(listsByCode(t, b)["problems-documents-related-to-problems"]); !slices.Equal(l, []string{ref}) || !sent {
		t.Errorf("the documents related to problems: %v (the document sent in its profile: %v), want %s", l, sent, ref)
	}
	b = okRecord(t, e, params(nhs, `{"name":"includeConsultations"}`), "consultations")
	byRef := map[string]map[string]any{}
	for _, r := range resources(t, b) {
		if id, ok := r["id"].(string); ok {
			byRef[r["resourceType"].(string)+"/"+id] = r
		}
	}
	var inTopic []string
	for _, r := range resources(t, b) {
		if r["resourceType"] == "List" && at(r, "code", "coding", 0, "code") == "25851000000105" &&
			at(r, "extension", 0, "extension", 0, "valueReference", "reference") == "Condition/"+problem {
			for _, h := range itemRefs(r) {
				inTopic = append(inTopic, itemRefs(byRef[h])...)
			}
		}
	}
	if !slices.Contains(inTopic, ref) {
		t.Errorf("the Topic of Condition/%s holds %v, want %s", problem, inTopic, ref)
	}
}

// A problem linked to a consultation (a PROBLEM_LINK row to CONSULTATION,
// added to a copy of the demo database) refers to its Encounter; with
// consultations asked for too, the Encounter sent is listed in "Problems -
// consultations related to problems" (SPEC §6.1); with problems alone it
// stays a reference only: no Encounter, no such list (SPEC §6.2).
func TestProblemLinkToAConsultation(t *testing.T) {
	rows := consultationRows(t)
	problemOf := sharedProblems(t) // PATIENT_ID → a PROBLEM_ID, not withheld
	p := find(t, func(p demoPatient) bool { return problemOf[p.id] != "" && len(rows[p.id]) > 0 })
	problem, consult := problemOf[p.id], rows[p.id][0].id
	dsn, db := demoCopy(t)
	linkProblem(t, db, problem, "CONSULTATION", consult)
	e := demotest.Open(t, "sqlite", sqlite.Open, dsn, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	enc := "Encounter/" + consult
	refers := func(b map[string]any) bool {
		for _, r := range resources(t, b) {
			if r["resourceType"] == "Condition" && r["id"] == problem {
				return strings.Contains(fmt.Sprint(r["extension"]), enc)
			}
		}
		return false
	}
	b := okRecord(t, e, params(p.nhs, `{"name":"includeProblems"}`, `{"name":"includeConsultations"}`), "problems and consultations")
	if l := itemRefs(listsByCode(t, b)["problems-consultations-related-to-problems"]); !slices.Equal(l, []string{enc}) || !refers(b) {
		t.Errorf("the consultations related to problems: %v (the Condition refers to it: %v), want %s", l, refers(b), enc)
	}
	b = okRecord(t, e, params(p.nhs, `{"name":"includeProblems"}`), "problems")
	if listsByCode(t, b)["problems-consultations-related-to-problems"] != nil || !refers(b) {
		t.Errorf("problems alone: a consultations list, or the Condition does not refer to %s", enc)
	}
	for _, r := range resources(t, b) {
		if r["resourceType"] == "Encounter" {
			t.Errorf("problems alone: Encounter/%v is sent", r["id"])
		}
	}
}
