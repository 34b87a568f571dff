package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
)

// batchedOnly hides an adapter's ChildAggregator, so that child rows come
// in batched statements of their own.
type batchedOnly struct{ adapters.Adapter }

const inlineSchema = `CREATE TABLE obs (id INTEGER PRIMARY KEY, name VARCHAR(20));
CREATE TABLE comp (id INTEGER PRIMARY KEY, obs_id INTEGER, seq INTEGER, label VARCHAR(20), amount NUMERIC(10,2), f DOUBLE PRECISION, n INTEGER,
  d DATE, at TIMESTAMP, tz %TZ%, flag BOOLEAN);
CREATE TABLE tref (id INTEGER PRIMARY KEY, obs_ref VARCHAR(10), label VARCHAR(20));
INSERT INTO obs VALUES (1, 'one');
INSERT INTO obs VALUES (2, 'two');
INSERT INTO obs VALUES (3, 'none');
INSERT INTO comp VALUES (10, 1, 2, 'b', 12.50, 0.25, 7, '2020-03-04', '2020-03-04 10:05:06.5', '2020-03-04 10:05:06+05:00', TRUE);
INSERT INTO comp VALUES (11, 1, 1, 'a', 3.00, 1.5, -2, '1999-12-31', '1999-12-31 23:59:59', '1999-12-31 23:59:59+00:00', FALSE);
INSERT INTO comp VALUES (12, 2, 1, 'Zoë', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO tref VALUES (20, '1', 'by text');
INSERT INTO tref VALUES (21, '01', 'not this');`

const inlineMapping = `
resource: Observation
from: { table: obs, key: id }
element:
  status: final
  code: { text: { column: name } }
  component:
    - rows: { table: comp, link: { obs_id: id }, order: seq }
      code: { text: { column: label } }
      valueQuantity: { value: { column: amount } }
    - rows: { table: comp, link: { obs_id: id }, order: seq }
      code: { text: { column: label } }
      valueQuantity: { value: { column: f } }
    - rows: { table: comp, link: { obs_id: id }, order: seq }
      code: { text: { column: label } }
      valueQuantity: { value: { column: n } }
    - rows: { table: comp, link: { obs_id: id }, order: seq }
      code: { text: { column: label } }
      valuePeriod: { start: { column: d }, end: { column: at } }
    - rows: { table: comp, link: { obs_id: id }, order: seq }
      code: { text: { column: label } }
      valueDateTime: { column: tz }
    - rows: { table: comp, link: { obs_id: id }, order: seq }
      code: { text: { column: label } }
      valueString: { column: label }
      when: { column: n, equals: "7" }
    - rows: { table: tref, link: { obs_ref: id } }
      code: { text: { column: label } }
`

// Child rows aggregated into the parent's statement render exactly as
// child rows fetched by batched statements: every kind of column, rows in
// order, a text link to an integer key, parents without children.
func TestInlineChildrenMatchBatched(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.Name(), func(t *testing.T) {
			if _, ok := db.(adapters.ChildAggregator); !ok {
				t.Fatalf("%s does not aggregate child rows", db.Name())
			}
			tz := "TIMESTAMP"
			if db.Name() == "postgres" {
				tz = "TIMESTAMPTZ"
			}
			var stmts []string
			eng := newEngine(t, db, strings.ReplaceAll(inlineSchema, "%TZ%", tz), engine.Options{Trace: func(q string, _ []any) { stmts = append(stmts, q) }}, yamlFile("obs.yaml", inlineMapping))
			batched, err := engine.New(eng.Catalog(), batchedOnly{db}, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{"1", "2", "3"} {
				stmts = nil
				a, err := eng.Read(context.Background(), "Observation", id)
				if err != nil {
					t.Fatal(err)
				}
				if len(stmts) != 1 {
					t.Errorf("Observation/%s: %d statements, want 1 (children inside):\n%s", id, len(stmts), strings.Join(stmts, "\n"))
				}
				b, err := batched.Read(context.Background(), "Observation", id)
				if err != nil {
					t.Fatal(err)
				}
				ja, jb := string(fhir.AppendJSON(nil, a)), string(fhir.AppendJSON(nil, b))
				if ja != jb {
					t.Errorf("Observation/%s aggregated:\n%s\nbatched:\n%s", id, ja, jb)
				}
				if id == "1" {
					exact := `"value":12.50` // NUMERIC's exact text
					if db.Name() == "sqlite" {
						exact = `"value":12.5` // SQLite keeps NUMERIC as binary floating point
					}
					for _, want := range []string{exact, `"value":0.25`, `"value":-2`, `"start":"1999-12-31"`, `"end":"2020-03-04T10:05:06.5`, `"valueString":"b"`, `"text":"by text"`} {
						if !strings.Contains(ja, want) {
							t.Errorf("Observation/1 lacks %s: %s", want, ja)
						}
					}
					if strings.Index(ja, `"text":"a"`) > strings.Index(ja, `"text":"b"`) || strings.Contains(ja, "not this") {
						t.Errorf("Observation/1: rows out of order or a wrong link: %s", ja)
					}
				}
			}
			body, err := search(t, eng, "Observation", "_count=10")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(body, "Zoë") {
				t.Errorf("search: the second observation's component is missing: %s", body)
			}
		})
	}
}

// restless is an adapter whose planner's statistics change every time the
// engine asks: the engine forgets every statement it keeps before each
// statement it runs.
type restless struct {
	adapters.Adapter
	asked atomic.Int64
}

func (r *restless) ReusesStatements() bool { return true }

func (r *restless) StatsVersion(context.Context, []string) (string, error) {
	return fmt.Sprint(r.asked.Add(1)), nil
}

// Statements are prepared and kept by their text; with a cache of one
// statement every other request closes the statement the last one used,
// and the answers stay those of an engine that sends statements whole.
// So they do when the engine forgets every statement it keeps, those in
// use too, whenever the statistics change.
func TestStatementCache(t *testing.T) {
	for _, db := range databases(t) {
		t.Run(db.Name(), func(t *testing.T) {
			tz := "TIMESTAMP"
			if db.Name() == "postgres" {
				tz = "TIMESTAMPTZ"
			}
			small := newEngine(t, db, strings.ReplaceAll(inlineSchema, "%TZ%", tz), engine.Options{StatementCache: 1}, yamlFile("obs.yaml", inlineMapping))
			whole, err := engine.New(small.Catalog(), db, engine.Options{StatementCache: -1})
			if err != nil {
				t.Fatal(err)
			}
			r := &restless{Adapter: db}
			churn, err := engine.New(small.Catalog(), r, engine.Options{StatsCheck: time.Nanosecond})
			if err != nil {
				t.Fatal(err)
			}
			queries := []string{"_count=10", "_id=2", "_id=1,3", "_count=1"}
			want := map[string]string{}
			for round := 0; round < 3; round++ {
				for _, q := range queries {
					a, b, c := searchIDs(t, small, "Observation", q), searchIDs(t, whole, "Observation", q), searchIDs(t, churn, "Observation", q)
					if a != b || a == "" || c != b {
						t.Errorf("%s: %q with a cache of one statement, %q without, %q with statements forgotten each time", q, a, b, c)
					}
					want[q] = b
				}
			}
			if r.asked.Load() == 0 {
				t.Error("the engine never asked whether the statistics changed")
			}
			// At once: a statement taken from the cache and evicted by
			// another request before it runs still runs.
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := 0; w < 8; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < 40; i++ {
						q := queries[(w+i)%len(queries)]
						eng := small
						if w%2 == 1 {
							eng = churn
						}
						body, err := search(t, eng, "Observation", q)
						if err != nil {
							errs <- fmt.Errorf("%s: %v", q, err)
							return
						}
						if n := strings.Count(body, `"resourceType":"Observation"`); n != len(strings.Split(want[q], ",")) {
							errs <- fmt.Errorf("%s: %d observations, want %s", q, n, want[q])
							return
						}
					}
				}(w)
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
