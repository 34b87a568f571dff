package gpconnect_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// What every record holds beside its areas (SPEC §6), over the whole
// record of the first served patients: the Patient's usual GP with at
// most one PractitionerRole (none of any other practitioner twice), the
// organisation managing the record, the NHS number asked for in the
// Patient's identifier.
func TestRecordAdministration(t *testing.T) {
	t.Parallel()
	e := serve(t, nil)
	tried := 0
	for _, p := range patients(t) {
		if p.status != "01" || p.died != "" || p.standing != "" || !validNHS(p.nhs) || tried == 20 {
			continue
		}
		tried++
		b := okRecord(t, e, everyArea(p.nhs), "the record of "+p.nhs)
		have := map[string]map[string]any{}
		roles := map[string]int{} // by practitioner
		for _, r := range resources(t, b) {
			if id, ok := r["id"].(string); ok {
				have[r["resourceType"].(string)+"/"+id] = r
			}
			if r["resourceType"] == "PractitionerRole" {
				roles[demotest.Str(at(r, "practitioner", "reference"))]++
			}
		}
		patient := have["Patient/"+p.id]
		found := false
		ids, _ := patient["identifier"].([]any)
		for _, id := range ids {
			found = found || at(id, "system") == "https://fhir.nhs.uk/Id/nhs-number" && at(id, "value") == p.nhs
		}
		if !found {
			t.Errorf("%s: the Patient's identifiers %v lack the NHS number asked for", p.nhs, ids)
		}
		for pr, n := range roles {
			if n > 1 {
				t.Errorf("%s: %d PractitionerRoles of %s, want one at most", p.nhs, n, pr)
			}
		}
		if gp := "Practitioner/" + p.gp; roles[gp] != 1 {
			t.Errorf("%s: %d PractitionerRoles of the usual GP %s, want its one", p.nhs, roles[gp], gp)
		}
		if ref := demotest.Str(at(patient, "managingOrganization", "reference")); ref == "" || have[ref] == nil {
			t.Errorf("%s: the organisation managing the record, %q, is not in the bundle", p.nhs, ref)
		}
	}
	if tried == 0 {
		t.Fatal("no patient tried")
	}
}

// A problems query sends the consultations its problems refer to as
// references only (SPEC §6, §6.2): no Encounter, and no consultation
// list, in the bundle.
func TestProblemsReferToConsultations(t *testing.T) {
	t.Parallel()
	e := serve(t, nil)
	rows := problemRows(t)
	p := find(t, func(p demoPatient) bool { return len(rows[p.id]) >= 2 })
	b := okRecord(t, e, params(p.nhs, `{"name":"includeProblems"}`), "the problems of "+p.nhs)
	refs := 0
	for _, r := range resources(t, b) {
		switch r["resourceType"] {
		case "Encounter":
			t.Errorf("Encounter/%v is sent with problems alone", r["id"])
		case "Condition":
			if strings.HasPrefix(demotest.Str(at(r, "context", "reference")), "Encounter/") {
				refs++
			}
		}
	}
	if refs == 0 {
		t.Errorf("no problem of %s refers to its consultation", p.nhs)
	}
	if l := listsByCode(t, b)["1149501000000101"]; l != nil {
		t.Errorf("a list of consultations with problems alone: %v", l)
	}
}

// The problems linked to what a query of one area returns (SPEC §6.1):
// asked for each area alone, the "Problems - linked problems not relating
// to the primary query" list holds exactly the patient's problems whose
// PROBLEM_LINK rows name an item of the area's list (withheld ones left
// out, the list warning of them), and there is no such list when none
// does.
func TestLinkedProblemsOfEachArea(t *testing.T) {
	t.Parallel()
	e := serve(t, nil)
	links := linkRows(t)
	problems := problemRows(t)
	hidden, _ := withheldRows(t)
	areas := []struct{ param, list string }{
		{allergies(false), "886921000000105"},
		{`{"name":"includeMedication"}`, "933361000000108"},
		{`{"name":"includeImmunisations"}`, "1102181000000102"},
		{`{"name":"includeUncategorisedData"}`, "826501000000100"},
		{`{"name":"includeInvestigations"}`, "887191000000108"},
		{`{"name":"includeReferrals"}`, "792931000000107"},
		{`{"name":"includeDiaryEntries"}`, "714311000000108"},
	}
	seen := map[string]int{} // the area lists some patient had linked problems for
	tried := 0
	for _, p := range patients(t) {
		if p.status != "01" || p.died != "" || p.standing != "" || !validNHS(p.nhs) || len(problems[p.id]) == 0 || tried == 60 {
			continue
		}
		tried++
		for _, a := range areas {
			b := okRecord(t, e, params(p.nhs, a.param), "an area of "+p.nhs)
			lists := listsByCode(t, b)
			listed := itemRefs(lists[a.list])
			var want []string
			warn := false
			for _, pr := range problems[p.id] {
				if !slices.ContainsFunc(links[pr.id], func(l demoLink) bool { return slices.Contains(listed, l.ref) }) {
					continue
				}
				if _, off := hidden["Condition/"+pr.id]; off {
					warn = true
					continue
				}
				want = append(want, "Condition/"+pr.id)
			}
			l := lists[linkedProblemsList]
			got := itemRefs(l)
			sort.Strings(got)
			sort.Strings(want)
			switch {
			case !slices.Equal(got, want):
				t.Errorf("%s, %s: linked problems %v, want %v", p.nhs, a.list, got, want)
			case (l != nil) != (len(want) > 0 || warn):
				t.Errorf("%s, %s: a linked-problems list %v, want one: %v", p.nhs, a.list, l != nil, len(want) > 0 || warn)
			case warn != slices.Contains(warningCodes(l), "confidential-items"):
				t.Errorf("%s, %s: the linked-problems list warns %v, want confidential-items: %v", p.nhs, a.list, warningCodes(l), warn)
			}
			if len(want) > 0 {
				seen[a.list]++
			}
		}
	}
	for _, a := range areas {
		if seen[a.list] == 0 {
			t.Errorf("no patient tried has a problem linked to an item of the list %s", a.list)
		}
	}
}

// A usual GP with several PractitionerRoles gets none in the bundle (SPEC
// §6: at most one PractitionerRole per practitioner; if there would be
// several, send none). Every clinician has two roles through an edited
// PractitionerRole mapping (two rows of each CLINICIAN row).
func TestSeveralRolesSendNone(t *testing.T) {
	t.Parallel()
	dsn, err := demotest.SQLiteDSN()
	if err != nil {
		t.Fatal(err)
	}
	db := demotest.OpenReadOnly(t, "sqlite", sqlite.Open, dsn)
	set := demotest.EditedDemoSet(t, "practitionerrole.yaml", "from:\n  table: CLINICIAN\n  key: STAFF_ID\n", `from:
  query: |
    SELECT c.*, c.STAFF_ID * 10 AS ROLE_ID FROM CLINICIAN c
    UNION ALL SELECT c.*, c.STAFF_ID * 10 + 1 AS ROLE_ID FROM CLINICIAN c
  key: ROLE_ID
`)
	e := demotest.Serve(t, db, set, demotest.Config{Engine: engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret")},
		GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	p := find(t, func(p demoPatient) bool { return p.gp != "" })
	if r := demotest.Get(t, e.Base+"/PractitionerRole?practitioner=Practitioner/"+p.gp); len(resources(t, r.JSON(t))) != 2 {
		t.Fatalf("the edited mapping gives the usual GP %d roles, want 2", len(resources(t, r.JSON(t))))
	}
	b := okRecord(t, e, params(p.nhs, allergies(false)), "the allergies of "+p.nhs)
	for _, r := range resources(t, b) {
		if r["resourceType"] == "PractitionerRole" {
			t.Errorf("a PractitionerRole is sent: %v", r)
		}
	}
}
