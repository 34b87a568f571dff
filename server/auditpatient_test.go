package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/server"
)

// The audit trail names the patient of a resource whose link to its
// patient is neither subject nor patient: Coverage's beneficiary, by
// STU3's Patient CompartmentDefinition; in JSON written straight from the
// row and in XML from the value tree alike.
func TestAuditNamesThePatientOfAnyType(t *testing.T) {
	db := demotest.EmptySQLite(t)
	if err := db.(adapters.Loader).Exec(context.Background(), `
CREATE TABLE PAT (ID INTEGER PRIMARY KEY, FAMILY TEXT);
CREATE TABLE COVER (ID INTEGER PRIMARY KEY, PAT_ID INTEGER, STATUS TEXT);
INSERT INTO PAT VALUES (7, 'Smith');
INSERT INTO COVER VALUES (1, 7, 'active');`); err != nil {
		t.Fatal(err)
	}
	set, err := mapping.Load([]mapping.File{
		{Name: "patient.yaml", Data: []byte("resource: Patient\nfrom: {table: PAT, key: ID}\nelement:\n  name:\n    - family: { column: FAMILY }\n")},
		{Name: "coverage.yaml", Data: []byte("resource: Coverage\nfrom: {table: COVER, key: ID}\nelement:\n  status: { column: STATUS }\n  beneficiary:\n    reference: { resource: Patient, key: PAT_ID }\nsearch:\n  beneficiary: {}\n")},
	}, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	e := demotest.Serve(t, db, set, demotest.Config{Server: server.Options{Audit: audit.NewWriter(&buf)}})
	for _, q := range []string{"/Coverage/1", "/Coverage/1?_format=xml", "/Coverage?beneficiary=7", "/Coverage?beneficiary=7&_format=xml"} {
		buf.Reset()
		if r := demotest.Get(t, e.Base+q); r.Status != 200 || !strings.Contains(string(r.Body), "Patient/7") {
			t.Fatalf("%s: %d %s", q, r.Status, demotest.Truncate(string(r.Body), 300))
		}
		var rec audit.Record
		if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &rec); err != nil {
			t.Fatalf("%s: the audit record: %v: %q", q, err, buf.String())
		}
		if strings.Join(rec.Patients, ",") != "7" {
			t.Errorf("%s: the audit record names patients %q, want 7", q, rec.Patients)
		}
	}
}

// A type outside the Patient compartment can hold a patient's data all
// the same (STU3 Task's for): a patient's token reads only that patient's,
// by the reference parameter the mapping declares, and nothing of a
// mapping that declares none; the audit trail names the patient.
func TestPatientDataOutsideTheCompartment(t *testing.T) {
	db := demotest.EmptySQLite(t)
	if err := db.(adapters.Loader).Exec(context.Background(), `
CREATE TABLE PAT (ID INTEGER PRIMARY KEY, FAMILY TEXT);
CREATE TABLE TASK (ID INTEGER PRIMARY KEY, PAT_ID INTEGER, STATUS TEXT);
INSERT INTO PAT VALUES (7, 'Smith'), (8, 'Jones');
INSERT INTO TASK VALUES (1, 7, 'requested'), (2, 8, 'requested');`); err != nil {
		t.Fatal(err)
	}
	task := "resource: Task\nfrom: {table: TASK, key: ID}\nelement:\n  status: { column: STATUS }\n  intent: order\n  for:\n    reference: { resource: Patient, key: PAT_ID }\n"
	keys := authtest.New(t)
	tok := keys.SignScope(t, "patient/*.read", map[string]any{"patient": "7"})
	for name, c := range map[string]struct {
		search string
		want   []string // the Tasks patient 7's token reads
	}{
		"with a patient parameter":    {"search:\n  patient: {}\n", []string{"1"}},
		"without a patient parameter": {"", nil},
	} {
		t.Run(name, func(t *testing.T) {
			set, err := mapping.Load([]mapping.File{
				{Name: "patient.yaml", Data: []byte("resource: Patient\nfrom: {table: PAT, key: ID}\nelement:\n  name:\n    - family: { column: FAMILY }\n")},
				{Name: "task.yaml", Data: []byte(task + c.search)},
			}, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			e := demotest.Serve(t, db, set, demotest.Config{})
			base := jwtServer(t, e, keys, func(o *server.Options) { o.Audit = audit.NewWriter(&buf) })
			r := demotest.Get(t, base+"/Task", "Authorization", "Bearer "+tok)
			var got []string
			if r.Status == 200 {
				for _, res := range demotest.Entries(t, r.JSON(t)) {
					got = append(got, res["id"].(string))
				}
			}
			if r.Status != 200 || strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("Task as patient 7: %d %v, want %v", r.Status, got, c.want)
			}
			for _, id := range []string{"1", "2"} {
				r := demotest.Get(t, base+"/Task/"+id, "Authorization", "Bearer "+tok)
				if readable := r.Status == 200; readable != slices.Contains(c.want, id) {
					t.Errorf("Task/%s as patient 7: %d", id, r.Status)
				}
			}
			if len(c.want) > 0 {
				buf.Reset()
				demotest.Get(t, base+"/Task/1", "Authorization", "Bearer "+tok)
				var rec audit.Record
				if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &rec); err != nil || strings.Join(rec.Patients, ",") != "7" {
					t.Errorf("the audit record of Task/1 names %q (%v)", rec.Patients, err)
				}
			}
		})
	}
}
