package engine_test

import (
	"testing"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/mapping"
)

// Patients whose practices are in a child table: several per patient.
const chainSchema = `CREATE TABLE pat (id INTEGER PRIMARY KEY, sex TEXT);
CREATE TABLE org (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE pat_gp (pat_id INTEGER, org_id INTEGER);
INSERT INTO pat VALUES (1, 'male'), (2, 'female'), (3, 'female'), (4, 'male');
INSERT INTO org VALUES (10, 'Acme Surgery'), (11, 'Brook Practice'), (12, 'Acorn Health');
INSERT INTO pat_gp VALUES (1, 10), (1, 11), (2, 11), (3, 12), (3, 10);`

var chainMappings = []mapping.File{
	yamlFile("patient.yaml", `
resource: Patient
from: { table: pat, key: id }
element:
  gender: { column: sex }
search:
  general-practitioner:
    type: reference
    column: org_id
    target: [Organization]
    rows: { table: pat_gp, link: pat_id }
`),
	orgMapping,
}

// A chain through a reference held in a child table matches a patient
// when any of its rows points to a matching organization.
func TestChainThroughChildRows(t *testing.T) {
	eng := newEngine(t, sqliteDB(t), chainSchema, engine.Options{}, chainMappings...)
	for q, want := range map[string]string{
		"general-practitioner.name=ac":                                   "1,3",
		"general-practitioner.name=brook":                                "1,2",
		"general-practitioner.name=acorn":                                "3",
		"general-practitioner.name=nobody":                               "",
		"general-practitioner:Organization.name=acme":                    "1,3",
		"general-practitioner=Organization/11":                           "1,2",
		"general-practitioner.name=brook,acorn":                          "1,2,3",
		"general-practitioner.name=acme&general-practitioner.name=brook": "1", // one row each
		"general-practitioner.name=acme&general-practitioner.name=acorn": "3",
	} {
		if got := searchIDs(t, eng, "Patient", q); got != want {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
}
