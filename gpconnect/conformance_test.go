package gpconnect_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/fhirvalid"
)

// areaOptions are, per clinical area, its parameter with each choice of
// its parts (the first the parameter alone where GP Connect allows it).
// Parts GP Connect forbids beside includeProblems are in withoutProblems.
var areaOptions = []struct {
	name            string
	withProblems    []string
	withoutProblems []string
}{
	{"allergies", []string{allergies(true), allergies(false)}, nil},
	{"medication", []string{`{"name":"includeMedication"}`,
		`{"name":"includeMedication","part":[{"name":"includePrescriptionIssues","valueBoolean":false}]}`,
		`{"name":"includeMedication","part":[{"name":"includePrescriptionIssues","valueBoolean":true}]}`},
		[]string{`{"name":"includeMedication","part":[{"name":"medicationSearchFromDate","valueDate":"2021-06-01"}]}`,
			`{"name":"includeMedication","part":[{"name":"includePrescriptionIssues","valueBoolean":false},{"name":"medicationSearchFromDate","valueDate":"2015-01-01"}]}`}},
	{"immunisations", []string{`{"name":"includeImmunisations"}`},
		[]string{`{"name":"includeImmunisations","part":[{"name":"includeNotGiven","valueBoolean":true},{"name":"includeStatus","valueBoolean":false}]}`,
			`{"name":"includeImmunisations","part":[{"name":"includeNotGiven","valueBoolean":false},{"name":"includeStatus","valueBoolean":true}]}`}},
	{"uncategorised", []string{`{"name":"includeUncategorisedData"}`},
		[]string{`{"name":"includeUncategorisedData","part":[{"name":"uncategorisedDataSearchPeriod","valuePeriod":{"start":"2018-01-01","end":"2022-12-31"}}]}`,
			`{"name":"includeUncategorisedData","part":[{"name":"uncategorisedDataSearchPeriod","valuePeriod":{"start":"2021-01-01"}}]}`}},
	{"problems", []string{`{"name":"includeProblems"}`,
		`{"name":"includeProblems","part":[{"name":"filterStatus","valueCode":"active"}]}`,
		`{"name":"includeProblems","part":[{"name":"filterStatus","valueCode":"inactive"},{"name":"filterSignificance","valueCode":"major"}]}`,
		`{"name":"includeProblems","part":[{"name":"filterSignificance","valueCode":"minor"}]}`}, nil},
	{"consultations", []string{`{"name":"includeConsultations"}`}, nil},
	{"investigations", []string{`{"name":"includeInvestigations"}`,
		`{"name":"includeInvestigations","part":[{"name":"investigationSearchPeriod","valuePeriod":{"start":"2018-01-01","end":"2022-12-31"}}]}`,
		`{"name":"includeInvestigations","part":[{"name":"investigationSearchPeriod","valuePeriod":{"start":"2021-01-01"}}]}`}, nil},
	{"referrals", []string{`{"name":"includeReferrals"}`},
		[]string{`{"name":"includeReferrals","part":[{"name":"referralSearchPeriod","valuePeriod":{"start":"2016-01-01","end":"2022-12-31"}}]}`}},
	{"diary", []string{`{"name":"includeDiaryEntries"}`},
		[]string{`{"name":"includeDiaryEntries","part":[{"name":"diaryEntriesSearchDate","valueDate":"` + time.Now().UTC().AddDate(1, 0, 0).Format(time.DateOnly) + `"}]}`}},
}

// optionRequests are the bodies that, between them, ask for every area
// with each of its options (areas asked together, option i of each in
// request i, those forbidden beside problems in requests without it), one
// with a parameter this version does not know.
func optionRequests(nhs string) []string {
	var out []string
	for _, problems := range []bool{true, false} {
		n := 0
		for _, a := range areaOptions {
			opts := a.withProblems
			if !problems {
				opts = append(opts, a.withoutProblems...)
			}
			n = max(n, len(opts))
		}
		for i := 0; i < n; i++ {
			ps := []string{}
			for _, a := range areaOptions {
				if !problems && (a.name == "problems" || a.name == "consultations") || a.name == "consultations" && i > 0 {
					continue // filters of problems are forbidden beside consultations
				}
				opts := a.withProblems
				if !problems {
					opts = append(opts, a.withoutProblems...)
				}
				ps = append(ps, opts[i%len(opts)])
			}
			if i == 0 {
				ps = append(ps, `{"name":"includeSomethingNew","part":[{"name":"since","valueBoolean":true}]}`)
			}
			out = append(out, params(nhs, ps...))
		}
	}
	// Consultations with each of their parts, beside the areas whose items
	// they hold: the search period or the most recent (half the patients
	// each, by the parity of the NHS number).
	consultation := `{"name":"includeConsultations","part":[{"name":"consultationSearchPeriod","valuePeriod":{"start":"2016-01-01","end":"2022-12-31"}}]}`
	if nhs != "" && (nhs[len(nhs)-1]-'0')%2 == 1 {
		consultation = `{"name":"includeConsultations","part":[{"name":"includeNumberOfMostRecent","valuePositiveInt":2}]}`
	}
	out = append(out, params(nhs, consultation, allergies(true), `{"name":"includeMedication"}`, `{"name":"includeImmunisations"}`, `{"name":"includeUncategorisedData"}`,
		`{"name":"includeInvestigations"}`, `{"name":"includeReferrals"}`, `{"name":"includeDiaryEntries"}`))
	return out
}

// Every answer the demo gives to a record request — every NHS number of
// the demo (those served, and those not, which fail: each patient of a
// standing case refused as the case says) with every area, and
// each option of each area for a share of them in turn — is valid FHIR STU3 (google/fhir's validator), and
// each resource in it (the Bundle, every entry, every contained resource,
// an error's OperationOutcome) claims exactly one profile, a GP Connect
// one, and conforms to it (the profile checker with GP Connect's
// StructureDefinitions). Problems are reported once each, with how often
// and where they were seen first.
func TestRecordsConformToGPConnectProfiles(t *testing.T) {
	e := serve(t, nil)
	reg := profile.GPConnect()
	type seen struct {
		n     int
		where string
	}
	problems := map[string]*seen{}
	report := func(msg, where string) {
		if s := problems[msg]; s != nil {
			s.n++
			return
		}
		problems[msg] = &seen{1, where}
	}
	var check func(res map[string]any, where string)
	check = func(res map[string]any, where string) {
		typ, _ := res["resourceType"].(string)
		prof, _ := at(res, "meta", "profile").([]any)
		// GP Connect's profiles are fhir.nhs.uk's, but for HealthcareService,
		// which GP Connect takes from Care Connect (SPEC §12).
		if len(prof) != 1 || !strings.HasPrefix(fmt.Sprint(prof[0]), "https://fhir.nhs.uk/STU3/StructureDefinition/") &&
			prof[0] != "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-HealthcareService-1" {
			report(fmt.Sprintf("%s claims the profiles %v: want one GP Connect profile", typ, prof), where)
		}
		// SPEC §6, §9: meta.versionId and meta.lastUpdated only on the
		// Patient and the administrative resources, never on the Bundle,
		// a List or a clinical resource; no List has a source, no entry a
		// fullUrl.
		switch typ {
		case "Patient", "Organization", "Practitioner", "PractitionerRole", "Location", "HealthcareService", "OperationOutcome":
		default:
			if at(res, "meta", "versionId") != nil || at(res, "meta", "lastUpdated") != nil {
				report(fmt.Sprintf("%s has meta %v: no versionId or lastUpdated", typ, res["meta"]), where)
			}
		}
		if typ == "List" && res["source"] != nil {
			report("a List has a source", where)
		}
		// SPEC §6.2: the elements GP Connect does not use are not sent
		// (a choice by its name's start: effective[x]).
		for _, el := range notUsed[typ] {
			for k := range res {
				if k == el || strings.HasSuffix(el, "[x]") && strings.HasPrefix(k, strings.TrimSuffix(el, "[x]")) {
					report(fmt.Sprintf("%s has %s, which GP Connect does not use", typ, k), where)
				}
			}
		}
		// A test request (intent order): the elements GP Connect's
		// guidance says are not in use.
		if typ == "ProcedureRequest" && res["intent"] == "order" {
			for k := range res {
				for _, el := range []string{"definition", "basedOn", "replaces", "requisition", "priority", "doNotPerform", "category", "context", "occurrence",
					"asNeeded", "authoredOn", "performerType", "supportingInfo", "specimen", "bodySite", "relevantHistory"} {
					if k == el || strings.HasPrefix(k, el) && (el == "occurrence" || el == "asNeeded") {
						report(fmt.Sprintf("a test request has %s, which GP Connect does not use", k), where)
					}
				}
			}
		}
		if typ == "ProcedureRequest" && at(res, "requester", "onBehalfOf") != nil {
			report("a ProcedureRequest has requester.onBehalfOf, which GP Connect does not use", where)
		}
		if rs, _ := res["reaction"].([]any); typ == "AllergyIntolerance" && slices.ContainsFunc(rs, func(r any) bool { return at(r, "note") != nil || at(r, "substance") != nil }) {
			report("an AllergyIntolerance has reaction.note or reaction.substance, which GP Connect does not use", where)
		}
		if ps, _ := res["vaccinationProtocol"].([]any); typ == "Immunization" && slices.ContainsFunc(ps, func(p any) bool {
			return at(p, "authority") != nil || at(p, "series") != nil || at(p, "doseStatusReason") != nil
		}) {
			report("an Immunization's vaccinationProtocol has authority, series or doseStatusReason, which GP Connect does not use", where)
		}
		if typ == "Immunization" && res["notGiven"] == false && at(res, "explanation", "reasonNotGiven") != nil {
			report("an Immunization given has explanation.reasonNotGiven", where)
		}
		// SPEC §6.2: every allergy's code has a coding with a system.
		if s, _ := at(res, "code", "coding", 0, "system").(string); typ == "AllergyIntolerance" && s == "" {
			report(fmt.Sprintf("an AllergyIntolerance's code has no coding with a system: %v", res["code"]), where)
		}
		if typ == "Bundle" {
			for _, en := range res["entry"].([]any) {
				if en.(map[string]any)["fullUrl"] != nil {
					report("an entry has a fullUrl", where)
				}
			}
			stripped := map[string]any{}
			for k, v := range res {
				if k != "entry" {
					stripped[k] = v
				}
			}
			for _, p := range reg.Check(stripped) {
				report(p.String(), where)
			}
			for i, en := range res["entry"].([]any) {
				r, _ := en.(map[string]any)["resource"].(map[string]any)
				check(r, fmt.Sprintf("%s entry %d (%s/%v)", where, i, r["resourceType"], r["id"]))
			}
			return
		}
		for _, p := range reg.Check(res) {
			report(p.String(), where)
		}
		if c, ok := res["contained"].([]any); ok {
			for _, x := range c {
				r := x.(map[string]any)
				check(r, fmt.Sprintf("%s contained %s/%v", where, r["resourceType"], r["id"]))
			}
		}
	}
	// Every profile a record claims is one the CapabilityStatement lists
	// (with its version).
	hs := authtest.GPCHeaders(trace, auth.GPConnectMetadataInteraction, authtest.Unsigned(t, authtest.GPCClaims(auth.GPConnectOrganizationScope)))
	listed := map[string]bool{}
	for _, p := range demotest.Get(t, e.GPC+"/metadata", hs...).JSON(t)["profile"].([]any) {
		ref, _, _ := strings.Cut(at(p, "reference").(string), "/_history/")
		listed[ref] = true
	}
	inner := check
	check = func(res map[string]any, where string) {
		if prof, _ := at(res, "meta", "profile").([]any); len(prof) == 1 && !listed[fmt.Sprint(prof[0])] {
			report(fmt.Sprintf("%s claims %v, which the CapabilityStatement does not list", res["resourceType"], prof[0]), where)
		}
		inner(res, where)
	}
	requests, bundles, fails := 0, 0, 0
	for n, p := range patients(t) {
		reqs := optionRequests(p.nhs)
		for i, body := range reqs {
			// Each patient's whole record (request 0, every area), and one
			// more of the option requests in turn: every option is asked
			// of a share of the patients, every patient's record of all.
			if i != 0 && i != 1+n%(len(reqs)-1) {
				continue
			}
			where := fmt.Sprintf("patient %s (NHS number %q) request %d", p.id, p.nhs, i)
			res := record(t, e, body)
			requests++
			if status, spine := refusedFor(p.standing); status != 0 {
				// Refused for the patient's standing, whatever was asked.
				if res.Status != status || !strings.Contains(string(res.Body), spine) {
					t.Errorf("%s (%s): status %d, want %d %s: %s", where, p.standing, res.Status, status, spine, demotest.Truncate(string(res.Body), 500))
				}
			}
			switch res.Status {
			case http.StatusOK:
				bundles++
			case http.StatusNotFound, http.StatusForbidden, http.StatusBadRequest, http.StatusUnprocessableEntity:
				fails++
			default:
				t.Fatalf("%s: status %d: %s", where, res.Status, demotest.Truncate(string(res.Body), 1000))
			}
			if _, err := fhirvalid.Validator(t).Unmarshal(res.Body); err != nil {
				report("not valid STU3: "+err.Error(), where)
			}
			var m map[string]any
			if err := json.Unmarshal(res.Body, &m); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			check(m, where)
			if res.Status == http.StatusOK {
				medicationRules(m, where, report)
				planReferences(m, where, report)
				uncategorisedRules(m, where, report)
			}
		}
	}
	if bundles == 0 || fails == 0 {
		t.Errorf("%d requests: %d records, %d refusals; want both", requests, bundles, fails)
	}
	msgs := make([]string, 0, len(problems))
	for m := range problems {
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		t.Errorf("%s\n\t(%d times; first in %s)", m, problems[m].n, problems[m].where)
	}
	t.Logf("%d requests: %d records, %d refusals, %d distinct problems", requests, bundles, fails, len(msgs))
}

// notUsed are the elements SPEC §6.2 says GP Connect does not use, by
// type.
var notUsed = map[string][]string{
	"AllergyIntolerance":  {"onset[x]"},
	"MedicationStatement": {"partOf", "category", "informationSource", "derivedFrom", "reasonNotTaken"},
	"MedicationRequest":   {"definition", "category", "priority", "supportingInformation", "substitution", "detectedIssue", "eventHistory"},
	"Condition":           {"severity", "verificationStatus", "bodySite", "stage", "evidence"},
	"Encounter": {"statusHistory", "class", "classHistory", "priority", "episodeOfCare", "incomingReferral", "appointment", "reason",
		"diagnosis", "account", "hospitalization", "partOf"},
	"Immunization":     {"reaction"},
	"Observation":      {"basedOn", "bodySite", "dataAbsentReason", "device", "method", "interpretation", "category"}, // specimen: uncategorisedRules
	"DiagnosticReport": {"effective[x]", "image", "imagingStudy", "presentedForm"},
	"ReferralRequest":  {"definition", "groupIdentifier", "occurrence[x]", "reasonReference", "relevantHistory", "replaces", "type"},
	"ProcedureRequest": {"asNeeded[x]", "bodySite", "category", "doNotPerform", "performer", "performerType", "priority", "reasonReference",
		"relevantHistory", "specimen"},
}

// medicationRules checks what SPEC §6.2 says of a record's medication
// across resources: every issue (an order) is based on a plan of the
// bundle and shares its medication and dosage; an order has no status
// reason, stopped or not; a plan has no basedOn.
func medicationRules(b map[string]any, where string, report func(msg, where string)) {
	byRef := map[string]map[string]any{}
	for _, en := range b["entry"].([]any) {
		r, _ := en.(map[string]any)["resource"].(map[string]any)
		byRef[fmt.Sprint(r["resourceType"], "/", r["id"])] = r
	}
	for ref, r := range byRef {
		if r["resourceType"] != "MedicationRequest" {
			continue
		}
		reason := strings.Contains(fmt.Sprint(r["extension"]), "MedicationStatusReason")
		if st := r["status"]; st != "active" && st != "completed" && st != "stopped" {
			report(fmt.Sprintf("a MedicationRequest (%v) has the status %v: GP Connect's are active, completed and stopped", r["intent"], st), where+" "+ref)
		}
		switch r["intent"] {
		case "plan":
			if r["basedOn"] != nil {
				report("a plan is based on something", where+" "+ref)
			}
		case "order":
			plan := byRef[fmt.Sprint(at(r, "basedOn", 0, "reference"))]
			switch {
			case plan == nil || plan["intent"] != "plan":
				report("an order is not based on a plan of the bundle", where+" "+ref)
			case !reflect.DeepEqual(at(r, "medicationReference"), at(plan, "medicationReference")) ||
				!reflect.DeepEqual(at(r, "dosageInstruction", 0, "text"), at(plan, "dosageInstruction", 0, "text")):
				report("an order's medication or dosage is not its plan's", where+" "+ref)
			}
			if reason {
				report("an order has a status reason", where+" "+ref)
			}
		}
	}
}

// uncategorisedRules checks what SPEC §6.2 says of uncategorised data
// Observations: every Observation of the bundle that is not of a
// DiagnosticReport of it (a result, a filing comment, a test group's
// member) is uncategorised data, or an immunisation's status record
// sent as one, and has the status final and no specimen.
func uncategorisedRules(b map[string]any, where string, report func(msg, where string)) {
	byRef := map[string]map[string]any{}
	for _, en := range b["entry"].([]any) {
		r, _ := en.(map[string]any)["resource"].(map[string]any)
		byRef[fmt.Sprint(r["resourceType"], "/", r["id"])] = r
	}
	ofReport := map[string]bool{}
	var mark func(ref string)
	mark = func(ref string) {
		if ofReport[ref] {
			return
		}
		ofReport[ref] = true
		rel, _ := byRef[ref]["related"].([]any)
		for _, x := range rel {
			mark(fmt.Sprint(at(x, "target", "reference")))
		}
	}
	for _, r := range byRef {
		if r["resourceType"] == "DiagnosticReport" {
			rs, _ := r["result"].([]any)
			for _, x := range rs {
				mark(fmt.Sprint(at(x, "reference")))
			}
		}
	}
	for ref, r := range byRef {
		if r["resourceType"] == "Observation" && !ofReport[ref] && r["status"] != "final" {
			report(fmt.Sprintf("an uncategorised Observation has the status %v, want final", r["status"]), where+" "+ref)
		}
		if r["resourceType"] == "Observation" && !ofReport[ref] && r["specimen"] != nil {
			report("an uncategorised Observation has a specimen, which GP Connect does not use", where+" "+ref)
		}
	}
}

// planReferences checks that a medication is referred to by its plan
// where GP Connect says so (its consultation and problem guidance: a
// Topic's or a Category's entry, a problem's link), and by its statement
// in the Medications list and the secondary lists (as its provider tests
// expect).
func planReferences(b map[string]any, where string, report func(msg, where string)) {
	byRef := map[string]map[string]any{}
	for _, en := range b["entry"].([]any) {
		r, _ := en.(map[string]any)["resource"].(map[string]any)
		byRef[fmt.Sprint(r["resourceType"], "/", r["id"])] = r
	}
	for _, en := range b["entry"].([]any) {
		r, _ := en.(map[string]any)["resource"].(map[string]any)
		var refs []string
		switch {
		case r["resourceType"] == "List" && (at(r, "code", "coding", 0, "code") == "25851000000105" || at(r, "code", "coding", 0, "code") == "24781000000107"):
			refs = itemRefs(r)
		case r["resourceType"] == "List" && strings.Contains(fmt.Sprint(r["title"]), "medications"):
			for _, ref := range itemRefs(r) {
				if plan := byRef[ref]; plan != nil && plan["intent"] == "plan" {
					report(fmt.Sprintf("%q refers to the plan %s, not to its statement", r["title"], ref), where)
				}
			}
		case r["resourceType"] == "Condition":
			exts, _ := r["extension"].([]any)
			for _, x := range exts {
				if ref, ok := at(x, "valueReference", "reference").(string); ok && strings.HasSuffix(fmt.Sprint(at(x, "url")), "RelatedClinicalContent-1") {
					refs = append(refs, ref)
				}
			}
		}
		for _, ref := range refs {
			if strings.HasPrefix(ref, "MedicationStatement/") {
				report(fmt.Sprintf("a %s refers to %s, not to its plan", r["resourceType"], ref), where+" "+fmt.Sprint(r["resourceType"], "/", r["id"], " ", r["title"]))
			}
		}
	}
}
