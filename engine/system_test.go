package engine_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
)

// A table of codes from several code systems, as a vocabulary-based
// warehouse keeps them: the system of each row is in a column, named by a
// local vocabulary id.
const codesSchema = `CREATE TABLE codes (id INTEGER PRIMARY KEY, vocab TEXT, code TEXT, name TEXT);
INSERT INTO codes VALUES (1, 'SNOMED', '38341003', 'Hypertension');
INSERT INTO codes VALUES (2, 'LOINC', '8867-4', 'Heart rate');
INSERT INTO codes VALUES (3, 'SNOMED', '8867-4', 'Same code, other system');
INSERT INTO codes VALUES (4, 'Visit', 'OP', 'Outpatient Visit');
INSERT INTO codes VALUES (5, NULL, '38341003', 'No vocabulary');
INSERT INTO codes VALUES (6, 'LOINC', NULL, 'No code');`

const codesMapping = `
resource: Observation
from: { table: codes, key: id }
element:
  status: final
  code:
    coding:
      - system: { column: vocab, concept: vocabularies, required: true }
        code: { column: code }
        display: { column: name }
search:
  code:
    type: token
    column: code
    system: { column: vocab, concept: vocabularies }
  code-sql:
    type: token
    column: code
    system: { sql: "CASE vocab WHEN 'SNOMED' THEN 'http://snomed.info/sct' WHEN 'LOINC' THEN 'http://loinc.org' END" }
concepts:
  vocabularies:
    map:
      SNOMED: http://snomed.info/sct
      LOINC: http://loinc.org
`

func TestTokenWithSystemFromRows(t *testing.T) {
	// Every argument bound is used by the SQL (PostgreSQL refuses a
	// statement with a parameter it cannot type).
	var unused []string
	trace := func(q string, args []any) {
		for i := range args {
			if !regexp.MustCompile(`\?` + strconv.Itoa(i+1) + `\b`).MatchString(q) {
				unused = append(unused, fmt.Sprintf("argument %d of %s", i+1, q))
			}
		}
	}
	eng := newEngine(t, sqliteDB(t), codesSchema, engine.Options{Trace: trace}, yamlFile("codes.yaml", codesMapping))
	search := func(q string) string { return searchIDs(t, eng, "Observation", q) }
	for _, param := range []string{"code", "code-sql"} {
		// Through the concept map (code), a row of an unknown vocabulary
		// shows no coding, so no token finds it; with URIs in the column
		// (code-sql), a NULL system is a code without a system.
		viaMap := param == "code"
		pick := func(withMap, without string) string {
			if viaMap {
				return withMap
			}
			return without
		}
		cases := []struct{ query, want string }{
			{"http://snomed.info/sct|38341003", "1"},                           // system and code
			{"38341003", pick("1", "1,5")},                                     // the code in any system shown
			{"http://loinc.org|8867-4", "2"},                                   // the same code in another system is not matched
			{"http://snomed.info/sct|8867-4", "3"},                             //
			{"8867-4", "2,3"},                                                  //
			{"|38341003", pick("", "5")},                                       // a code without a system
			{"|OP", pick("", "4")},                                             // Visit is not a known vocabulary
			{"OP", pick("", "4")},                                              //
			{"http://loinc.org|", "2"},                                         // any code of the system
			{"http://example.org/unknown|38341003", ""},                        // an unknown system matches nothing
			{"http://snomed.info/sct|38341003,http://loinc.org|8867-4", "1,2"}, // OR
		}
		for _, c := range cases {
			if got := search(param + "=" + url.QueryEscape(c.query)); got != c.want {
				t.Errorf("%s=%s: %q, want %q", param, c.query, got, c.want)
			}
		}
		if got := search(param + ":not=" + url.QueryEscape("http://snomed.info/sct|38341003")); got != "2,3,4,5,6" {
			t.Errorf("%s:not: %q", param, got)
		}
		if got := search(param + ":missing=true"); got != "6" {
			t.Errorf("%s:missing=true: %q", param, got)
		}
	}
	if len(unused) > 0 {
		t.Errorf("arguments bound but not used:\n%s", strings.Join(unused, "\n"))
	}
	// Rendered through the same map: the coding's system comes from the row.
	r, err := eng.Read(context.Background(), "Observation", "2")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(fhir.AppendJSON(nil, fhir.Path(r, "code"))); got != `{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]}` {
		t.Errorf("Observation/2 code %s", got)
	}
}
