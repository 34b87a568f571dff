package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/audit"
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
