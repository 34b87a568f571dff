package test

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/fhirvalid"
	"github.com/ccfacade/ccfacade/mapping"
)

// The status codes R4 changed: an immunisation not given is STU3's
// notGiven=true but R4's status not-done (with a statusReason), a
// medicine not taken is STU3's taken=n but R4's status not-taken (taken
// unk: unknown); a procedure aborted or suspended is R4's stopped or
// on-hold. The mapping says the first two in its r4 section
// (testdata/r4status), the rules the last; a status search on /R4 takes
// R4's codes and finds what the R4 resources show, and on /fhir STU3's,
// both held to the resources by the search oracle and to the rows here.

const r4StatusSchema = `
CREATE TABLE PAT (PAT_ID INTEGER PRIMARY KEY, SURNAME VARCHAR(40));
CREATE TABLE IMM (IMM_ID INTEGER PRIMARY KEY, PAT_ID INTEGER, VACCINE VARCHAR(40), GIVEN_DT DATE,
  NOT_GIVEN CHAR(1), REASON VARCHAR(80));
CREATE TABLE MEDS (MS_ID INTEGER PRIMARY KEY, PAT_ID INTEGER, DRUG VARCHAR(40), STATUS VARCHAR(20), TAKEN VARCHAR(3));
CREATE TABLE PROC (PROC_ID INTEGER PRIMARY KEY, PAT_ID INTEGER, NAME VARCHAR(40), STATUS VARCHAR(20));
`

// r4StatusRows are the rows: the R4 status each shows, by type and id,
// computed from the rows as the mapping's r4 section says.
func r4StatusRows() (string, map[string]map[string]string) {
	var b strings.Builder
	want := map[string]map[string]string{"Immunization": {}, "MedicationStatement": {}, "Procedure": {}}
	for p := 1; p <= 3; p++ {
		fmt.Fprintf(&b, "INSERT INTO PAT VALUES (%d, 'Surname%d');\n", p, p)
	}
	for i := 1; i <= 9; i++ {
		ng, reason, status := "N", "NULL", "completed"
		if i%3 == 0 {
			ng, reason, status = "Y", "'Patient declined'", "not-done"
		}
		fmt.Fprintf(&b, "INSERT INTO IMM VALUES (%d, %d, 'Influenza', '2024-0%d-01', '%s', %s);\n", i, i%3+1, i, ng, reason)
		want["Immunization"][fmt.Sprint(i)] = status
	}
	statuses := []string{"active", "completed", "stopped", "intended"}
	taken := []string{"y", "n", "unk", "y", "na"}
	for i := 1; i <= 12; i++ {
		st, tk := statuses[i%len(statuses)], taken[i%len(taken)]
		fmt.Fprintf(&b, "INSERT INTO MEDS VALUES (%d, %d, 'Drug %d', '%s', '%s');\n", i, i%3+1, i, st, tk)
		switch tk {
		case "n":
			st = "not-taken"
		case "unk":
			st = "unknown"
		}
		want["MedicationStatement"][fmt.Sprint(i)] = st
	}
	procs := []string{"completed", "aborted", "suspended", "in-progress"}
	r4Procs := map[string]string{"aborted": "stopped", "suspended": "on-hold"}
	for i := 1; i <= 8; i++ {
		st := procs[i%len(procs)]
		fmt.Fprintf(&b, "INSERT INTO PROC VALUES (%d, %d, 'Procedure %d', '%s');\n", i, i%3+1, i, st)
		if to, ok := r4Procs[st]; ok {
			st = to
		}
		want["Procedure"][fmt.Sprint(i)] = st
	}
	return b.String(), want
}

func TestR4StatusSearches(t *testing.T) {
	set, err := mapping.LoadDir(filepath.Join("testdata", "r4status"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	rows, want := r4StatusRows()
	db := legacySQLite(t, r4StatusSchema+rows)
	e := demotest.Serve(t, db, set, demotest.Config{Engine: engine.Options{DefaultCount: 20, MaxCount: 100, PagingSecret: []byte("test secret")}})

	// What the R4 resources show is what the rows say, and meets UK Core.
	for typ, byID := range want {
		res := walkR4(t, e.R4+"/"+typ+"?_count=100")
		if len(res) != len(byID) {
			t.Fatalf("%s: %d resources on /R4, want %d", typ, len(res), len(byID))
		}
		for _, r := range res {
			if got := r["status"]; got != byID[r["id"].(string)] {
				t.Errorf("%s/%v shows status %v, want %s", typ, r["id"], got, byID[r["id"].(string)])
			}
			for _, p := range profile.CheckR4(r) {
				t.Errorf("%s/%v: %s", typ, r["id"], p)
			}
		}
		fhirvalid.ValidateR4(t, typ+" on /R4", get(t, e.R4+"/"+typ+"?_count=100").body)
	}
	// A status search on /R4, by each code the rows give, finds exactly
	// the resources whose rows give it.
	for typ, byID := range want {
		codes := map[string][]string{}
		for id, st := range byID {
			codes[st] = append(codes[st], id)
		}
		for code, ids := range codes {
			for i := range ids {
				ids[i] = typ + "/" + ids[i]
			}
			sort.Strings(ids)
			got := pageIDs(t, e.R4+"/"+typ+"?status="+code+"&_count=100")
			sort.Strings(got)
			if !slices.Equal(got, ids) {
				t.Errorf("R4 %s?status=%s finds %v, want %v", typ, code, got, ids)
			}
		}
	}
	for _, code := range []string{"not-done", "not-taken", "unknown"} {
		if r := get(t, e.Base+"/Immunization?status="+code); r.status == 200 && len(entries(t, r.json(t))) > 0 {
			t.Errorf("STU3 Immunization?status=%s finds what R4 alone says", code)
		}
	}
	// STU3's codes that R4 renamed are not R4's.
	for _, code := range []string{"aborted", "suspended"} {
		if r := get(t, e.R4+"/Procedure?status="+code); r.status != 400 || !strings.Contains(issueText(t, r), "R4") {
			t.Errorf("R4 Procedure?status=%s: %d %s", code, r.status, truncate(string(r.body), 200))
		}
	}
	// notgiven is STU3's: on /R4 it is not a parameter.
	if r := get(t, e.R4+"/Immunization?notgiven=true"); r.status != 400 {
		t.Errorf("R4 Immunization?notgiven=true: %d, want 400", r.status)
	}
	searchOracle(t, e.Base, nil)
	searchOracle(t, e.R4, nil)
}
