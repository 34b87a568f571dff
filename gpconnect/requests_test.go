package gpconnect_test

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// demoRequest is a REFERRAL or DIARY_ENTRY row: its id and its date
// (REFERRAL_DATE, DUE_DATE).
type demoRequest struct{ id, date string }

func requestRows(t *testing.T, table, idCol, dateCol string) map[string][]demoRequest {
	t.Helper()
	out := map[string][]demoRequest{}
	for _, r := range demotest.Rows(t, table) {
		p := demotest.Str(r["PATIENT_ID"])
		out[p] = append(out[p], demoRequest{demotest.Str(r[idCol]), demotest.Str(r[dateCol])})
	}
	return out
}

// checkArea checks a record's primary list of an area: its title, that it
// holds exactly want (Type/id), each in the bundle in its GP Connect
// profile with the business identifier and the status GP Connect fixes,
// and that it is empty with its reason when want is.
func checkArea(t *testing.T, b map[string]any, code, title, typ, profile, status string, want []string) {
	t.Helper()
	l := listsByCode(t, b)[code]
	if l == nil || l["title"] != title {
		t.Fatalf("no list %q: %v", title, l)
	}
	got := itemRefs(l)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("list %v, want %v", got, want)
	}
	if len(want) == 0 && (at(l, "emptyReason", "coding", 0, "code") != "no-content-recorded" || at(l, "note", 0, "text") != "Information not available") {
		t.Errorf("an empty list without its reason: %v", l)
	}
	n := 0
	for _, r := range resources(t, b) {
		if r["resourceType"] != typ {
			continue
		}
		n++
		ref := typ + "/" + r["id"].(string)
		if !slices.Contains(want, ref) {
			t.Errorf("%s is in the bundle, not in the list", ref)
		}
		if profileOf(r) != profile || r["status"] != status || at(r, "identifier", 0, "system") != "https://fhir.nhs.uk/Id/cross-care-setting-identifier" ||
			at(r, "meta", "lastUpdated") != nil {
			t.Errorf("%s: %v", ref, r)
		}
	}
	if n != len(want) {
		t.Errorf("%d %ss in the bundle, want %d", n, typ, len(want))
	}
}

// The referrals area (SPEC §6.2): the list "Outbound referral" (SNOMED
// 792931000000107) holds the patient's REFERRAL rows as ReferralRequests
// (CareConnect-GPC-ReferralRequest-1, status unknown), each in the bundle;
// referralSearchPeriod keeps those whose REFERRAL_DATE is within it; a
// patient without referrals, or a period that keeps none, has the list
// empty with its reason. A reversed or future period is 422
// INVALID_PARAMETER, and the period beside consultations too.
func TestRecordReferrals(t *testing.T) {
	e := serve(t, nil)
	rows := requestRows(t, "REFERRAL", "REFERRAL_ID", "REFERRAL_DATE")
	p := find(t, func(p demoPatient) bool {
		rs := rows[p.id]
		return len(rs) >= 2 && rs[0].date != rs[len(rs)-1].date
	})
	rs := slices.Clone(rows[p.id])
	sort.Slice(rs, func(i, j int) bool { return rs[i].date < rs[j].date })
	want := func(start, end string) []string {
		out := []string{}
		for _, r := range rs {
			if (start == "" || r.date >= start) && (end == "" || r.date <= end) {
				out = append(out, "ReferralRequest/referral-"+r.id)
			}
		}
		return out
	}
	referrals := func(period string) string {
		if period == "" {
			return `{"name":"includeReferrals"}`
		}
		return `{"name":"includeReferrals","part":[{"name":"referralSearchPeriod","valuePeriod":` + period + `}]}`
	}
	last := rs[len(rs)-1].date
	for _, c := range []struct {
		name, period string
		want         []string
	}{
		{"every referral", "", want("", "")},
		{"from the last", `{"start":"` + last + `"}`, want(last, "")},
		{"until the first", `{"end":"` + rs[0].date + `"}`, want("", rs[0].date)},
		{"between", `{"start":"` + rs[0].date + `","end":"` + last + `"}`, want(rs[0].date, last)},
		{"before them all", `{"end":"2000-01-01"}`, []string{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			checkArea(t, okRecord(t, e, params(p.nhs, referrals(c.period)), "a record of referrals"), "792931000000107", "Outbound referral", "ReferralRequest",
				"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ReferralRequest-1", "unknown", c.want)
		})
	}
	// Each referral's recipient is the service referred to, a
	// HealthcareService in the bundle (one a specialty of the patient's
	// referrals), named as its CLIN_SERVICE row names it.
	// Each referral comes with the letter it was sent with (SPEC §6.2:
	// document metadata): its supportingInfo are the CLIN_DOCUMENT rows of
	// the referral, each a DocumentReference in the bundle, in its GP
	// Connect profile, with what is known of the document (type, media
	// type, size) and never the document itself (no attachment data or
	// url).
	t.Run("documents", func(t *testing.T) {
		docs := map[string][]string{} // REFERRAL_ID → DocumentReference/DOC_ID
		for _, r := range demotest.Rows(t, "CLIN_DOCUMENT") {
			if ref := demotest.Str(r["REFERRAL_ID"]); ref != "" && demotest.Str(r["PATIENT_ID"]) == p.id {
				docs[ref] = append(docs[ref], "DocumentReference/"+demotest.Str(r["DOC_ID"]))
			}
		}
		if len(docs) == 0 {
			t.Fatalf("patient %s's referrals have no letters", p.id)
		}
		b := okRecord(t, e, params(p.nhs, referrals("")), "a record of referrals")
		reg := profile.GPConnect()
		have := map[string]map[string]any{}
		for _, r := range resources(t, b) {
			if id, ok := r["id"].(string); ok {
				have[r["resourceType"].(string)+"/"+id] = r
			}
		}
		n := 0
		for ref, r := range have {
			switch r["resourceType"] {
			case "ReferralRequest":
				id := strings.TrimPrefix(r["id"].(string), "referral-")
				if got := refsOf(r, "supportingInfo"); !slices.Equal(got, docs[id]) {
					t.Errorf("%s: supportingInfo %v, want %v", ref, got, docs[id])
				}
			case "DocumentReference":
				n++
				if profileOf(r) != "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-DocumentReference-1" || at(r, "content", 0, "attachment", "contentType") != "application/pdf" ||
					at(r, "content", 0, "attachment", "size") == nil || at(r, "content", 0, "attachment", "data") != nil || at(r, "content", 0, "attachment", "url") != nil ||
					at(r, "type", "text") != "Referral letter" || at(r, "identifier", 0, "system") != "https://fhir.nhs.uk/Id/cross-care-setting-identifier" {
					t.Errorf("%s: %v", ref, r)
				}
				for _, pr := range reg.Check(r) {
					t.Errorf("%s: %s", ref, pr)
				}
			}
		}
		want := 0
		for _, d := range docs {
			want += len(d)
		}
		if n != want {
			t.Errorf("%d DocumentReferences in the bundle, want %d", n, want)
		}
	})
	t.Run("recipients", func(t *testing.T) {
		services := map[string]string{}    // SPECIALTY of the patient's referrals → SERVICE_NAME
		bySpecialty := map[string]string{} // REFERRAL_ID → SPECIALTY
		for _, r := range demotest.Rows(t, "REFERRAL") {
			if demotest.Str(r["PATIENT_ID"]) == p.id {
				services[demotest.Str(r["SPECIALTY"])] = demotest.Str(r["SERVICE_NAME"])
				bySpecialty[demotest.Str(r["REFERRAL_ID"])] = demotest.Str(r["SPECIALTY"])
			}
		}
		b := okRecord(t, e, params(p.nhs, referrals("")), "a record of referrals")
		got := map[string]map[string]any{}
		for _, r := range resources(t, b) {
			switch r["resourceType"] {
			case "HealthcareService":
				got[r["id"].(string)] = r
			case "ReferralRequest":
				id := strings.TrimPrefix(r["id"].(string), "referral-")
				if want := "HealthcareService/" + bySpecialty[id]; at(r, "recipient", 0, "reference") != want || len(r["recipient"].([]any)) != 1 {
					t.Errorf("ReferralRequest/%s: recipient %v, want %s", r["id"], r["recipient"], want)
				}
			}
		}
		if len(got) != len(services) {
			t.Errorf("%d HealthcareServices in the bundle, want %d (%v)", len(got), len(services), services)
		}
		for code, name := range services {
			hs := got[code]
			if hs == nil {
				t.Errorf("HealthcareService/%s is not in the bundle", code)
				continue
			}
			if profileOf(hs) != "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-HealthcareService-1" || hs["name"] != name ||
				at(hs, "identifier", 0, "value") != code || at(hs, "meta", "versionId") == nil {
				t.Errorf("HealthcareService/%s: %v, want it named %q", code, hs, name)
			}
		}
	})
	t.Run("no referrals", func(t *testing.T) {
		q := find(t, func(q demoPatient) bool { return len(rows[q.id]) == 0 })
		checkArea(t, record(t, e, params(q.nhs, referrals(""))).JSON(t), "792931000000107", "Outbound referral", "ReferralRequest", "", "", []string{})
	})
	for name, c := range map[string]struct{ body, spine, names string }{
		"reversed":           {params(p.nhs, referrals(`{"start":"2020-02-01","end":"2020-01-01"}`)), "INVALID_PARAMETER", "includeReferrals.referralSearchPeriod"},
		"future":             {params(p.nhs, referrals(`{"start":"2999-01-01"}`)), "INVALID_PARAMETER", "includeReferrals.referralSearchPeriod"},
		"with consultations": {params(p.nhs, referrals(`{"start":"2015-01-01"}`), `{"name":"includeConsultations"}`), "INVALID_PARAMETER", "includeReferrals.referralSearchPeriod"},
	} {
		t.Run(name, func(t *testing.T) {
			outcome(t, record(t, e, c.body), http.StatusUnprocessableEntity, c.spine, c.names)
		})
	}
}

// The diary entries area (SPEC §6.2): the list "Patient recall
// administration" (SNOMED 714311000000108) holds the patient's
// DIARY_ENTRY rows as ProcedureRequests (CareConnect-GPC-ProcedureRequest-1,
// status active, intent plan), each in the bundle; diaryEntriesSearchDate
// D (today or later) keeps those due on or before D; a patient without
// diary entries has the list empty with its reason. A date in the past is
// 422 INVALID_PARAMETER, and the date beside consultations too.
func TestRecordDiaryEntries(t *testing.T) {
	e := serve(t, nil)
	rows := requestRows(t, "DIARY_ENTRY", "DIARY_ID", "DUE_DATE")
	today := time.Now().UTC()
	soon := today.AddDate(0, 6, 0).Format(time.DateOnly)
	p := find(t, func(p demoPatient) bool {
		before, after := false, false
		for _, r := range rows[p.id] {
			before, after = before || r.date <= soon, after || r.date > soon
		}
		return before && after
	})
	want := func(until string) []string {
		out := []string{}
		for _, r := range rows[p.id] {
			if until == "" || r.date <= until {
				out = append(out, "ProcedureRequest/diary-"+r.id)
			}
		}
		return out
	}
	diary := func(date string) string {
		if date == "" {
			return `{"name":"includeDiaryEntries"}`
		}
		return `{"name":"includeDiaryEntries","part":[{"name":"diaryEntriesSearchDate","valueDate":"` + date + `"}]}`
	}
	for _, c := range []struct {
		name, date string
		want       []string
	}{
		{"every entry", "", want("")},
		{"due within six months", soon, want(soon)},
		{"due by today", today.Format(time.DateOnly), want(today.Format(time.DateOnly))},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := okRecord(t, e, params(p.nhs, diary(c.date)), "a record of diary entries")
			checkArea(t, b, "714311000000108", "Patient recall administration", "ProcedureRequest",
				"https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-ProcedureRequest-1", "active", c.want)
			for _, r := range resources(t, b) {
				if r["resourceType"] == "ProcedureRequest" && r["intent"] != "plan" {
					t.Errorf("ProcedureRequest/%v: intent %v", r["id"], r["intent"])
				}
			}
		})
	}
	t.Run("no entries", func(t *testing.T) {
		q := find(t, func(q demoPatient) bool { return len(rows[q.id]) == 0 })
		checkArea(t, record(t, e, params(q.nhs, diary(""))).JSON(t), "714311000000108", "Patient recall administration", "ProcedureRequest", "", "", []string{})
	})
	for name, c := range map[string]struct{ body, spine, names string }{
		"past":               {params(p.nhs, diary("2020-01-01")), "INVALID_PARAMETER", "includeDiaryEntries.diaryEntriesSearchDate"},
		"not a date":         {params(p.nhs, `{"name":"includeDiaryEntries","part":[{"name":"diaryEntriesSearchDate","valueString":"soon"}]}`), "INVALID_PARAMETER", "includeDiaryEntries.diaryEntriesSearchDate"},
		"with consultations": {params(p.nhs, diary(soon), `{"name":"includeConsultations"}`), "INVALID_PARAMETER", "includeDiaryEntries.diaryEntriesSearchDate"},
	} {
		t.Run(name, func(t *testing.T) {
			outcome(t, record(t, e, c.body), http.StatusUnprocessableEntity, c.spine, c.names)
		})
	}
}
