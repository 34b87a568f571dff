package engine

// Reads: one resource by id, and what the engine does with a row it
// cannot serve (reported once a kind, counted).

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// Read returns one resource by id.
func (e *Engine) Read(ctx context.Context, typ, id string) (*fhir.Object, error) {
	return readAs(e, ctx, typ, id, func(m *mapping.Mapping, row *mapping.Row, cov *mapping.Coverage) (*fhir.Object, []mapping.Problem) {
		return m.RenderIn(e.ver, row, cov)
	})
}

// ReadJSON returns one resource by id rendered straight to compact JSON,
// for a response in JSON (Read gives the value tree).
func (e *Engine) ReadJSON(ctx context.Context, typ, id string) (fhir.Value, error) {
	if e.opts.TreeOnly {
		return e.Read(ctx, typ, id)
	}
	res, err := readAs(e, ctx, typ, id, func(m *mapping.Mapping, row *mapping.Row, cov *mapping.Coverage) (*fhir.Rendered, []mapping.Problem) {
		return m.RenderJSONIn(e.ver, row, cov)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// readAs reads one resource by id and renders it with render: as the
// value tree, or straight to JSON.
func readAs[V any](e *Engine, ctx context.Context, typ, id string, render func(*mapping.Mapping, *mapping.Row, *mapping.Coverage) (V, []mapping.Problem)) (V, error) {
	var none V
	m, row, err := e.readRow(ctx, typ, id)
	if err != nil {
		return none, err
	}
	res, problems := render(m, row, e.opts.Coverage)
	if err := e.served(m, id, problems); err != nil {
		return none, err
	}
	return res, nil
}

// served reports a read's render problems, and the error of a fatal one.
func (e *Engine) served(m *mapping.Mapping, id string, problems []mapping.Problem) error {
	if fatal := e.report(m, id, problems); fatal != nil {
		return &Error{Kind: KindUnprocessable, SpineCode: "INTERNAL_SERVER_ERROR",
			Msg: fmt.Sprintf("%s/%s cannot be served: %s: %s", e.typ(m), id, fatal.Path, fatal.Msg)}
	}
	return nil
}

// readRow finds the row of a read, under the request's access.
func (e *Engine) readRow(ctx context.Context, typ, id string) (*mapping.Mapping, *mapping.Row, error) {
	ms, err := e.mappingsFor(typ)
	if err != nil {
		return nil, nil, err
	}
	notFound := &Error{Kind: KindNotFound, SpineCode: "NO_RECORD_FOUND", Msg: fmt.Sprintf("%s/%s is not known", typ, id)}
	if !fhir.IsValidID(id) {
		return nil, nil, notFound
	}
	m, key := memberFor(ms, id)
	if m == nil || !e.keyFits(m, key) {
		return nil, nil, notFound
	}
	if err := typesAllowed(ctx, []string{typ}); err != nil {
		return nil, nil, err
	}
	q := e.newQuery(m)
	q.where(q.keyEquals(key))
	if err := e.restrict(ctx, q); err != nil {
		return nil, nil, err
	}
	rows, err := e.fetch(ctx, m, q, 1)
	if err != nil {
		return nil, nil, err
	}
	if len(rows) == 0 {
		if denied, err := e.deniedRead(ctx, m, key); err != nil {
			return nil, nil, err
		} else if denied {
			return nil, nil, errDenied
		}
		return nil, nil, notFound
	}
	return m, rows[0], nil
}

// report logs render problems with the row's id and the mapping position,
// and returns the first fatal one. A resource that lacks an element STU3
// requires is logged and counted (Options.OnAbsent), and served.
func (e *Engine) report(m *mapping.Mapping, id string, problems []mapping.Problem) *mapping.Problem {
	var fatal *mapping.Problem
	for i, p := range problems {
		// The same problem (a code no map knows, say) recurs on every
		// render of every row that holds it: logged the first time, then
		// at the 10th, 100th, … with its count.
		if p.Absent {
			// Served all the same: a page must not fail for one row. Its
			// count goes to the metrics every time.
			if e.opts.OnAbsent != nil {
				e.opts.OnAbsent(m.Resource, p.Path)
			}
			if n := e.seen.add(m.Resource + "\x00absent\x00" + p.Path); isPow10(n) {
				e.log.Warn("resource served without a required element", "resource", m.Resource, "id", id, "element", p.Path, "at", p.Pos.String(), "times", n)
			}
			continue
		}
		if n := e.seen.add(m.Resource + "\x00" + p.Pos.String() + "\x00" + p.Msg); isPow10(n) {
			e.log.Warn("source value not rendered", "resource", m.Resource, "id", id, "at", p.Pos.String(), "path", p.Path, "problem", p.Msg, "fatal", p.Fatal, "times", n)
		}
		if p.Fatal && fatal == nil {
			fatal = &problems[i]
		}
	}
	return fatal
}

// problemCounts counts the render problems seen, by kind, to log each
// once and then now and again; at most maxKinds kinds are told apart.
type problemCounts struct {
	mu     sync.Mutex
	counts map[string]int64
}

const maxKinds = 10000

func (c *problemCounts) add(kind string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int64{}
	}
	if _, ok := c.counts[kind]; !ok && len(c.counts) >= maxKinds {
		kind = "(others)"
	}
	c.counts[kind]++
	return c.counts[kind]
}

func isPow10(n int64) bool {
	for n >= 10 && n%10 == 0 {
		n /= 10
	}
	return n == 1
}

// keyFits reports whether decoded key values can match the key columns
// (a non-integer for a numeric column cannot).
func (e *Engine) keyFits(m *mapping.Mapping, key []string) bool {
	for i, col := range e.cat.Key(m) {
		if i < len(key) && col.Kind.Numeric() && !isInt(key[i]) {
			return false
		}
	}
	return true
}

// isInt reports whether s is an integer in canonical form, so that the id
// made from the row it finds is s itself ("007" is not the id of row 7).
func isInt(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && strconv.FormatInt(n, 10) == s
}

// ReadSubset reads one resource by id, as Read, and keeps of it what the
// values of _elements and _summary ask for, as a search does (see keeper):
// FHIR's read takes both, and in the engine's release (its element table,
// its tag system). _summary=count is a search's alone.
func (e *Engine) ReadSubset(ctx context.Context, typ, id string, elements, summary []string) (*fhir.Object, error) {
	ms, err := e.mappingsFor(typ)
	if err != nil {
		return nil, err
	}
	m, _ := memberFor(ms, id)
	if m == nil {
		m = ms[0] // the read finds nothing: its error is the answer
	}
	els, err := e.parseElements(m, elements)
	if err != nil {
		return nil, err
	}
	var sum string
	if len(summary) > 0 {
		last := summary[len(summary)-1]
		if last == "count" {
			return nil, invalid("_summary", "INVALID_PARAMETER", "_summary=count asks for the number of matches of a search, not of a read")
		}
		if sum, err = parseSummary(last); err != nil {
			return nil, err
		}
	}
	res, err := e.Read(ctx, typ, id)
	if err != nil || len(els) == 0 && sum == "" {
		return res, err
	}
	return subset(res, keeper(e.table(), e.typ(m), els, sum, e.patientElements(m)), e.ver), nil
}
