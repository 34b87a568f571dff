package gpconnect_test

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// demoWithheld is an item the patient asked to keep private: its patient
// and the consultation it was recorded in ("" if none).
type demoWithheld struct{ patient, consult string }

// withheldRows are the demo's items the patient asked to keep private
// (CONFIDENTIAL 'Y'), by Type/id, read from the PROBLEM and OBSERVATION
// rows; labs are the observations that are laboratory results.
func withheldRows(t *testing.T) (hidden map[string]demoWithheld, labs map[string]bool) {
	t.Helper()
	hidden, labs = map[string]demoWithheld{}, map[string]bool{}
	for _, tb := range []struct{ table, typ, id string }{{"PROBLEM", "Condition/", "PROBLEM_ID"}, {"OBSERVATION", "Observation/", "OBS_ID"}} {
		for _, r := range demotest.Rows(t, tb.table) {
			ref := tb.typ + demotest.Str(r[tb.id])
			if demotest.Str(r["CONFIDENTIAL"]) == "Y" {
				hidden[ref] = demoWithheld{demotest.Str(r["PATIENT_ID"]), demotest.Str(r["CONSULT_ID"])}
			}
			if tb.table == "OBSERVATION" && demotest.Str(r["REPORT_ID"]) != "" {
				labs[ref] = true
			}
		}
	}
	return hidden, labs
}

// warningCodes are the ListWarningCode codes of a List.
func warningCodes(l map[string]any) []string {
	var out []string
	exts, _ := l["extension"].([]any)
	for _, x := range exts {
		if at(x, "url") == "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1" {
			out = append(out, at(x, "valueCode").(string))
		}
	}
	return out
}

const confidentialNote = "Items excluded due to confidentiality and/or patient preferences."

// Items the patient asked to keep private (SPEC §6.1), against the rows'
// CONFIDENTIAL column: the Care Connect API labels each restricted
// (meta.security R); GP Connect sends none of them, and nothing it sends
// refers to one (a problem's link, a Topic's entry). Each list one would
// have been in, and only those, warns confidential-items with its note:
// the Problems and Uncategorised data lists of a patient with such a
// problem or observation, the "Consultations - …" list of a sent
// consultation it was recorded in, the "Problems - uncategorised data
// related to problems" list when a problem sent links to one, and, on a
// query of uncategorised data alone, the linked-problems list when a
// withheld problem is linked to an observation listed. A list left with
// only withheld items is empty, with its reason. Every resource meets
// its GP Connect profile.
func TestConfidentialItemsWithheld(t *testing.T) {
	t.Parallel()
	e := serve(t, nil)
	hidden, labs := withheldRows(t)
	links := linkRows(t)
	problems := problemRows(t)
	consults := consultationRows(t)
	reg := profile.GPConnect()
	// The Care Connect API serves them, labelled.
	for ref := range hidden {
		res := demotest.Do(t, http.MethodGet, e.Base+"/"+ref, nil, "Accept", "application/fhir+json")
		if res.Status != http.StatusOK || at(res.JSON(t), "meta", "security", 0, "code") != "R" {
			t.Errorf("GET %s: %d, meta %v; want it labelled restricted", ref, res.Status, at(res.JSON(t), "meta"))
		}
		break
	}
	tried := 0
	seen := map[string]bool{} // the list codes some patient's record warns on
	for _, p := range patients(t) {
		if p.status != "01" || p.died != "" || p.standing != "" || !validNHS(p.nhs) {
			continue
		}
		want := map[string]bool{} // the list codes that warn
		sent := map[string]bool{} // the consultations sent
		for _, c := range consults[p.id] {
			sent[c.id] = true
		}
		var mine []string
		for ref, h := range hidden {
			if h.patient != p.id {
				continue
			}
			mine = append(mine, ref)
			problem := strings.HasPrefix(ref, "Condition/")
			want[map[bool]string{true: "717711000000103", false: "826501000000100"}[problem]] = true
			if h.consult != "" { // sent, or warned of alone
				want[map[bool]string{true: "consultations-problems-contained-in-consultations", false: "consultations-uncategorised-data-contained-in-consultations"}[problem]] = true
			}
			if h.consult != "" && !sent[h.consult] {
				want["1149501000000101"] = true // a consultation of withheld items alone: not sent, warned of
			}
		}
		if len(mine) == 0 {
			continue
		}
		linkedToListed := false // a withheld problem linked to an observation the uncategorised list holds
		for _, pr := range problems[p.id] {
			for _, l := range links[pr.id] {
				if _, off := hidden["Condition/"+pr.id]; off {
					_, gone := hidden[l.ref]
					linkedToListed = linkedToListed || l.table == "OBSERVATION" && !gone && !labs[l.ref]
					continue
				}
				if _, gone := hidden[l.ref]; gone && l.table == "OBSERVATION" {
					want["problems-uncategorised-data-related-to-problems"] = true
				}
			}
		}
		tried++
		for code := range want {
			seen[code] = true
		}
		seen[linkedProblemsList] = seen[linkedProblemsList] || linkedToListed
		t.Run(p.nhs, func(t *testing.T) {
			check := func(body string, want map[string]bool) {
				res := record(t, e, body)
				b := okRecord(t, e, body, "the record of "+p.nhs)
				for _, ref := range mine {
					if strings.Contains(string(res.Body), `"`+ref+`"`) {
						t.Errorf("%s, withheld, is referred to", ref)
					}
				}
				got := map[string]bool{}
				for _, r := range resources(t, b) {
					id, _ := r["id"].(string)
					if _, ok := hidden[r["resourceType"].(string)+"/"+id]; ok {
						t.Errorf("%s/%s, withheld, is sent", r["resourceType"], r["id"])
					}
					for _, pr := range reg.Check(r) {
						t.Errorf("%s/%v: %s", r["resourceType"], r["id"], pr)
					}
					if r["resourceType"] != "List" {
						continue
					}
					code, _ := at(r, "code", "coding", 0, "code").(string)
					if !slices.Contains(warningCodes(r), "confidential-items") {
						continue
					}
					got[code] = true
					notes := ""
					for _, n := range r["note"].([]any) {
						notes += at(n, "text").(string) + "|"
					}
					if !strings.Contains(notes, confidentialNote) {
						t.Errorf("list %s warns confidential-items without its note: %q", code, notes)
					}
					if r["entry"] == nil && (at(r, "emptyReason", "coding", 0, "code") != "no-content-recorded" || !strings.Contains(notes, "Information not available")) {
						t.Errorf("list %s, left empty, gives no reason: %v", code, r)
					}
				}
				for code := range want {
					if !got[code] {
						t.Errorf("list %s does not warn confidential-items", code)
					}
				}
				for code := range got {
					if !want[code] {
						t.Errorf("list %s warns confidential-items, and nothing withheld would have been in it", code)
					}
				}
			}
			check(everyArea(p.nhs), want)
			only := map[string]bool{}
			if want["826501000000100"] {
				only["826501000000100"] = true
			}
			if linkedToListed {
				only[linkedProblemsList] = true
			}
			check(params(p.nhs, `{"name":"includeUncategorisedData"}`), only)
			// Each area alone: nothing withheld is referred to, also from
			// what is sent of areas not searched (a linked problem's
			// links to items of other areas).
			for _, q := range []string{allergies(true), `{"name":"includeMedication"}`, `{"name":"includeImmunisations"}`,
				`{"name":"includeInvestigations"}`, `{"name":"includeReferrals"}`, `{"name":"includeDiaryEntries"}`,
				`{"name":"includeProblems"}`, `{"name":"includeConsultations"}`} {
				res := record(t, e, params(p.nhs, q))
				for _, ref := range mine {
					if res.Status != http.StatusOK || strings.Contains(string(res.Body), `"`+ref+`"`) {
						t.Errorf("%s: %d, %s, withheld, is referred to", q, res.Status, ref)
					}
				}
			}
		})
	}
	if tried < 10 {
		t.Errorf("%d patients with items withheld, want 10 at least", tried)
	}
	for _, code := range []string{"717711000000103", "826501000000100", "consultations-problems-contained-in-consultations",
		"consultations-uncategorised-data-contained-in-consultations", "problems-uncategorised-data-related-to-problems", linkedProblemsList} {
		if !seen[code] {
			t.Errorf("no patient tried has an item withheld from the list %s", code)
		}
	}
}

// A withheld item of an area switched off here (SPEC §6.1: "also when
// its area is switched off"): a problem sent that links to it has the
// "Problems - uncategorised data related to problems" list warn
// confidential-items, with one display-only entry for the other
// observations it links to (none) and none for the withheld one.
func TestConfidentialItemsOfAreasSwitchedOff(t *testing.T) {
	t.Parallel()
	e := serve(t, []gpconnect.Area{gpconnect.Allergies, gpconnect.Medication, gpconnect.Consultations, gpconnect.Problems,
		gpconnect.Immunisations, gpconnect.Investigations, gpconnect.Referrals, gpconnect.DiaryEntries})
	hidden, labs := withheldRows(t)
	links := linkRows(t)
	problems := problemRows(t)
	tried := 0
	for _, p := range patients(t) {
		if p.status != "01" || p.died != "" || p.standing != "" || !validNHS(p.nhs) {
			continue
		}
		shown := 0 // links of sent problems to observations not withheld
		withheld := false
		for _, pr := range problems[p.id] {
			if _, off := hidden["Condition/"+pr.id]; off {
				continue
			}
			for _, l := range links[pr.id] {
				if l.table != "OBSERVATION" || labs[l.ref] {
					continue
				}
				if _, off := hidden[l.ref]; off {
					withheld = true
				} else {
					shown++
				}
			}
		}
		if !withheld {
			continue
		}
		tried++
		b := okRecord(t, e, params(p.nhs, `{"name":"includeProblems"}`), "the problems of "+p.nhs)
		l := listsByCode(t, b)["problems-uncategorised-data-related-to-problems"]
		if l == nil || !slices.Contains(warningCodes(l), "confidential-items") {
			t.Errorf("%s: the uncategorised data related to problems list does not warn confidential-items: %v", p.nhs, l)
			continue
		}
		es, _ := l["entry"].([]any)
		for _, en := range es {
			if at(en, "item", "reference") != nil || at(en, "item", "display") != "Uncategorised data items have been disabled" {
				t.Errorf("%s: an entry %v, want the display of an item switched off", p.nhs, en)
			}
		}
		if shown == 0 && len(es) != 0 || shown > 0 && len(es) != 1 {
			t.Errorf("%s: %d entries, want %d (one display for the %d shown)", p.nhs, len(es), min(shown, 1), shown)
		}
	}
	if tried == 0 {
		t.Error("no patient has a problem sent linked to a withheld observation")
	}
}

// Items withheld that the demo's own labels do not reach, labelled here
// by an edited Observation mapping: a diastolic reading (its pair is then
// no blood pressure: the systolic goes alone, the diastolic withheld and
// warned of, and nothing of it in the systolic), and a member of a test
// group (left out of its header's members, and sent nowhere).
func TestWithheldReadingsAndResults(t *testing.T) {
	t.Parallel()
	served := map[string]string{} // the NHS numbers of the patients served, by PATIENT_ID
	for _, p := range patients(t) {
		if p.served() {
			served[p.id] = p.nhs
		}
	}
	patientOf := map[string]string{} // by OBS_ID
	members := map[string][]string{} // by group header
	for _, r := range demotest.Rows(t, "OBSERVATION") {
		patientOf[demotest.Str(r["OBS_ID"])] = demotest.Str(r["PATIENT_ID"])
		if parent := demotest.Str(r["PARENT_OBS_ID"]); parent != "" {
			members[parent] = append(members[parent], demotest.Str(r["OBS_ID"]))
		}
	}
	bps, _ := bloodPressures(t)
	var systolic, diastolic, header string
	for _, k := range slices.Sorted(maps.Keys(bps)) {
		if served[patientOf[k]] != "" {
			systolic, diastolic = bps[k].systolic, bps[k].diastolic
			break
		}
	}
	for _, h := range slices.Sorted(maps.Keys(members)) {
		if served[patientOf[h]] != "" {
			header = h
			break
		}
	}
	if systolic == "" || header == "" {
		t.Fatal("the demo serves no patient with a blood pressure or a test group")
	}
	member := members[header][1]
	dsn, err := demotest.SQLiteDSN()
	if err != nil {
		t.Fatal(err)
	}
	db := demotest.OpenReadOnly(t, "sqlite", sqlite.Open, dsn)
	set := demotest.EditedDemoSet(t, "observation.yaml", `when: { column: CONFIDENTIAL, equals: "Y" }`,
		`when: { any: [ { column: CONFIDENTIAL, equals: "Y" }, { column: OBS_ID, in: [`+diastolic+`, `+member+`] } ] }`)
	e := demotest.Serve(t, db, set, demotest.Config{Engine: engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret")},
		GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	for _, c := range []struct{ nhs, withheld, query string }{
		{served[patientOf[systolic]], diastolic, `{"name":"includeUncategorisedData"}`},
		{served[patientOf[systolic]], diastolic, `{"name":"includeConsultations"}`},
		{served[patientOf[header]], member, `{"name":"includeInvestigations"}`},
		{served[patientOf[header]], member, `{"name":"includeUncategorisedData"}`},
	} {
		res := record(t, e, params(c.nhs, c.query))
		b := okRecord(t, e, params(c.nhs, c.query), c.query)
		if strings.Contains(string(res.Body), `"Observation/`+c.withheld+`"`) {
			t.Errorf("%s: the withheld Observation/%s is referred to", c.query, c.withheld)
		}
		for _, r := range resources(t, b) {
			if r["resourceType"] == "Observation" && r["id"] == c.withheld {
				t.Errorf("%s: the withheld Observation/%s is sent", c.query, c.withheld)
			}
			if r["resourceType"] == "Observation" && r["id"] == systolic && r["component"] != nil {
				t.Errorf("%s: the systolic reading carries components %v beside its withheld diastolic", c.query, r["component"])
			}
		}
		if c.withheld == diastolic && c.query == `{"name":"includeUncategorisedData"}` {
			if l := listsByCode(t, b)["826501000000100"]; !slices.Contains(warningCodes(l), "confidential-items") || !slices.Contains(itemRefs(l), "Observation/"+systolic) {
				t.Errorf("the uncategorised list %v: want the systolic reading, and the warning", l)
			}
		}
		if c.withheld == member && c.query == `{"name":"includeInvestigations"}` {
			found := false
			for _, r := range resources(t, b) {
				if r["resourceType"] == "Observation" && r["id"] == header {
					found = true
					if got, want := len(r["related"].([]any)), len(members[header])-1; got != want {
						t.Errorf("the group header has %d members, want %d", got, want)
					}
				}
			}
			if !found {
				t.Errorf("the group header Observation/%s is not sent", header)
			}
		}
	}
}

// A consultation holding withheld items alone is not sent, and the list
// of consultations warns of it (SPEC §6.1): whatever the number of most
// recent asked for, when it is among them, and in a period that holds it
// alone, where the list is empty with its reason and the warning.
func TestConsultationOfWithheldItemsAlone(t *testing.T) {
	t.Parallel()
	e := serve(t, nil)
	hidden, _ := withheldRows(t)
	consults := consultationRows(t)
	start := map[string]string{}
	for _, r := range demotest.Rows(t, "CONSULTATION") {
		start[demotest.Str(r["CONSULT_ID"])] = demotest.Str(r["START_DT"])[:10]
	}
	for _, p := range patients(t) {
		if p.status != "01" || p.died != "" || p.standing != "" || !validNHS(p.nhs) {
			continue
		}
		sent := map[string]bool{}
		for _, c := range consults[p.id] {
			sent[c.id] = true
		}
		alone := ""
		for _, h := range hidden {
			if h.patient == p.id && h.consult != "" && !sent[h.consult] {
				alone = h.consult
			}
		}
		if alone == "" || len(consults[p.id]) == 0 {
			continue
		}
		ask := func(part string) map[string]any {
			b := okRecord(t, e, params(p.nhs, `{"name":"includeConsultations","part":[`+part+`]}`), "the consultations of "+p.nhs)
			return listsByCode(t, b)["1149501000000101"]
		}
		l := ask(`{"name":"includeNumberOfMostRecent","valuePositiveInt":99}`)
		if got := itemRefs(l); len(got) != len(consults[p.id]) || slices.Contains(got, "Encounter/"+alone) || !slices.Contains(warningCodes(l), "confidential-items") {
			t.Errorf("%s: the 99 most recent: %v, warnings %v; want the %d sent, and the warning", p.nhs, got, warningCodes(l), len(consults[p.id]))
		}
		day := start[alone]
		only := true
		for _, c := range consults[p.id] {
			only = only && c.start != day
		}
		if only {
			l = ask(`{"name":"consultationSearchPeriod","valuePeriod":{"start":"` + day + `","end":"` + day + `"}}`)
			if l["entry"] != nil || at(l, "emptyReason", "coding", 0, "code") != "no-content-recorded" || !slices.Contains(warningCodes(l), "confidential-items") {
				t.Errorf("%s: the day of the consultation of withheld items alone: %v", p.nhs, l)
			}
		}
		return
	}
	t.Fatal("no patient served has a consultation of withheld items alone")
}

// A withheld referral's letter is withheld with it (a DocumentReference
// carries no label of its own): asked for consultations or referrals,
// neither is sent nor referred to. The referral is labelled here by an
// edited mapping.
func TestWithheldReferralLetter(t *testing.T) {
	t.Parallel()
	served := map[string]string{}
	for _, p := range patients(t) {
		if p.served() {
			served[p.id] = p.nhs
		}
	}
	var referral, letter, nhs string
	for _, r := range demotest.Rows(t, "CLIN_DOCUMENT") {
		if n := served[demotest.Str(r["PATIENT_ID"])]; n != "" && demotest.Str(r["REFERRAL_ID"]) != "" && demotest.Str(r["CONSULT_ID"]) != "" {
			referral, letter, nhs = demotest.Str(r["REFERRAL_ID"]), demotest.Str(r["DOC_ID"]), n
			break
		}
	}
	if referral == "" {
		t.Fatal("no served patient's referral has a letter")
	}
	dsn, err := demotest.SQLiteDSN()
	if err != nil {
		t.Fatal(err)
	}
	db := demotest.OpenReadOnly(t, "sqlite", sqlite.Open, dsn)
	set := demotest.EditedDemoSet(t, "referralrequest.yaml", "element:\n", `element:
  meta:
    security:
      - { system: http://hl7.org/fhir/v3/Confidentiality, code: R, when: { column: REFERRAL_ID, in: [`+referral+`] } }
`)
	e := demotest.Serve(t, db, set, demotest.Config{Engine: engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret")},
		GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	for _, q := range []string{`{"name":"includeConsultations"}`, `{"name":"includeReferrals"}`, `{"name":"includeProblems"}`} {
		res := record(t, e, params(nhs, q))
		for _, ref := range []string{"ReferralRequest/referral-" + referral, "DocumentReference/" + letter} {
			if res.Status != http.StatusOK || strings.Contains(string(res.Body), `"`+ref+`"`) {
				t.Errorf("%s: %d, %s is referred to", q, res.Status, ref)
			}
		}
		for _, r := range resources(t, res.JSON(t)) {
			if r["resourceType"] == "DocumentReference" && r["id"] == letter {
				t.Errorf("%s: the withheld referral's letter is sent", q)
			}
		}
	}
}

// An ended allergy recorded in a withheld consultation is still sent in
// the lists that contain it, without its link to the consultation: every
// #id entry of a List names a resource it contains (SPEC §6.1, §6.2).
// The consultation is labelled through an edited Encounter mapping.
func TestEndedAllergyOfAWithheldConsultation(t *testing.T) {
	t.Parallel()
	served := map[string]string{}
	for _, p := range patients(t) {
		if p.served() {
			served[p.id] = p.nhs
		}
	}
	var allergy, consult, nhs string
	for _, r := range demotest.Rows(t, "ALLERGY") {
		if n := served[demotest.Str(r["PATIENT_ID"])]; n != "" && !strings.EqualFold(demotest.Str(r["STATUS"]), "active") && demotest.Str(r["CONSULT_ID"]) != "" {
			allergy, consult, nhs = demotest.Str(r["ALLERGY_ID"]), demotest.Str(r["CONSULT_ID"]), n
			break
		}
	}
	if allergy == "" {
		t.Fatal("no served patient's ended allergy was recorded in a consultation")
	}
	shared := map[string]bool{}
	for _, r := range demotest.Rows(t, "PROBLEM") {
		shared[demotest.Str(r["PROBLEM_ID"])] = demotest.Str(r["CONFIDENTIAL"]) != "Y"
	}
	linked := false
	for _, r := range demotest.Rows(t, "PROBLEM_LINK") {
		linked = linked || demotest.Str(r["LINKED_TABLE"]) == "ALLERGY" && demotest.Str(r["LINKED_ID"]) == allergy && shared[demotest.Str(r["PROBLEM_ID"])]
	}
	if !linked {
		t.Fatalf("no problem links to the ended allergy %s: the problems' case shows nothing", allergy)
	}
	dsn, err := demotest.SQLiteDSN()
	if err != nil {
		t.Fatal(err)
	}
	db := demotest.OpenReadOnly(t, "sqlite", sqlite.Open, dsn)
	set := demotest.EditedDemoSet(t, "encounter.yaml", "element:\n", `element:
  meta:
    security:
      - { system: http://hl7.org/fhir/v3/Confidentiality, code: R, when: { column: CONSULT_ID, in: [`+consult+`] } }
`)
	e := demotest.Serve(t, db, set, demotest.Config{Engine: engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret")},
		GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	for _, q := range []string{allergies(true), `{"name":"includeProblems"}`, `{"name":"includeConsultations"}`} {
		res := record(t, e, params(nhs, q))
		if res.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", q, res.Status, demotest.Truncate(string(res.Body), 500))
		}
		if strings.Contains(string(res.Body), `"Encounter/`+consult+`"`) {
			t.Errorf("%s: the withheld Encounter/%s is referred to", q, consult)
		}
		found := false
		for _, r := range resources(t, res.JSON(t)) {
			if r["resourceType"] != "List" {
				continue
			}
			own := map[string]bool{}
			cs, _ := r["contained"].([]any)
			for _, c := range cs {
				own["#"+at(c, "id").(string)] = true
			}
			for _, ref := range itemRefs(r) {
				if strings.HasPrefix(ref, "#") && !own[ref] {
					t.Errorf("%s: the list %q lists %s, which it does not contain", q, r["title"], ref)
				}
				found = found || ref == "#"+allergy
			}
		}
		// The allergies' ended list holds it; the problems' when a problem
		// sent links to it.
		if (q == allergies(true) || q == `{"name":"includeProblems"}` && linked) && !found {
			t.Errorf("%s: the ended allergy %s is in no list", q, allergy)
		}
	}
}
