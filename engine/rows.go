package engine

// Running a statement and scanning its rows into normalised values: a
// scanner a column, the statement cache, and the kinds of time columns.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/mapping"
)

// stmtSource names the mapping a statement comes from, for its trace span:
// where it is written and what it reads. It is made into text only when
// the span is recorded.
type stmtSource struct {
	pos  mapping.Pos
	what string
}

// queryRows runs one statement and returns its rows, normalised.
func (e *Engine) queryRows(ctx context.Context, sqlText string, args []any, ncols int, src stmtSource) (_ [][]any, err error) {
	ctx, span := tracer.Start(ctx, "sql", trace.WithSpanKind(trace.SpanKindClient))
	if span.IsRecording() {
		span.SetAttributes(attribute.String("db.system", e.db.Name()), attribute.String("db.statement", sqlText),
			attribute.String("ccfacade.mapping", src.pos.String()+" "+src.what))
	}
	defer func() {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "the statement failed")
		}
		span.End()
	}()
	if e.opts.Trace != nil {
		e.opts.Trace(sqlText, args)
	}
	if pl, ok := e.db.(adapters.ParamLimiter); ok && len(args) > pl.MaxParams() {
		return nil, &Error{Kind: KindInvalid, SpineCode: "INVALID_PARAMETER",
			Msg: fmt.Sprintf("the request needs %d values in one statement, and the database takes at most %d: ask for fewer", len(args), pl.MaxParams())}
	}
	if e.opts.StatementTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.opts.StatementTimeout)
		defer cancel()
	}
	if e.stats != nil {
		changed, serr := e.stats.changed(ctx, time.Now())
		if serr != nil {
			e.log.Warn("cannot tell whether the planner's statistics changed", "err", serr)
		}
		if changed {
			e.log.Info("the planner's statistics of the mapped tables changed: statements will be prepared afresh")
			e.stmts.reset()
		}
	}
	if e.opts.OnStatement != nil {
		start := time.Now()
		defer func() { e.opts.OnStatement(ctx, time.Since(start), err) }()
	}
	var rs *sql.Rows
	var cs *cachedStmt
	if e.stmts != nil {
		rs, cs, err = e.stmts.query(ctx, sqlText, args)
	} else {
		rs, err = e.db.DB().QueryContext(ctx, sqlText, args...)
	}
	if err != nil {
		return nil, dbError(ctx, err)
	}
	defer rs.Close()
	var rc *resultCols
	if cs != nil {
		rc = cs.cols.Load()
	}
	if rc == nil {
		types := typeNames(rs)
		rc = &resultCols{types, e.timeKinds(types)}
		if cs != nil && types != nil {
			cs.cols.Store(rc)
		}
	}
	types, kinds := rc.types, rc.kinds
	// One scanner a column, reused from row to row: each normalises its
	// value as the driver hands it over, so text becomes a string once,
	// without the copy a scan into an interface makes first.
	cells := make([]cellScanner, ncols)
	ptrs := make([]any, ncols)
	for i := range cells {
		cells[i].e = e
		if i < len(types) {
			cells[i].typ, cells[i].kind = types[i], kinds[i]
		}
		ptrs[i] = &cells[i]
	}
	var out [][]any
	var slab []any // rows are cut from it, a few at a time
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, dbError(ctx, err)
		}
		if len(slab) < ncols {
			n := 8
			if len(out) >= 8 {
				n = min(len(out), 64)
			}
			slab = make([]any, n*ncols)
		}
		row := slab[:ncols:ncols]
		slab = slab[ncols:]
		for i := range cells {
			row[i] = cells[i].v
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		return nil, dbError(ctx, err)
	}
	return out, nil
}

// cellScanner takes one column's value from the driver.
type cellScanner struct {
	e    *Engine
	typ  string // the column's database type, upper case, or ""
	kind int    // its time kind
	v    any
}

func (c *cellScanner) Scan(src any) error {
	v := c.e.db.Normalize(src, c.typ)
	switch t := v.(type) {
	case []byte: // the driver's buffer is reused by the next row
		v = bytes.Clone(t)
	case time.Time:
		v = c.e.timeValue(t, c.kind)
	}
	c.v = v
	return nil
}

func dbError(ctx context.Context, err error) error {
	msg := "the database could not answer"
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		msg = "the database did not answer in time"
	}
	return &Error{Kind: KindUnavailable, Msg: msg, Cause: err}
}

// Kinds of time columns, from the database's column types.
const (
	timeOther = iota // not a time column, or unknown
	timeDate         // a date without a time
	timeNaive        // a date-time without a zone: a wall clock in the configured zone
	timeZoned        // a date-time with a zone: an instant
)

// typeNames are the database type names of the result's columns, upper
// case, or nil when the driver does not say.
func typeNames(rs *sql.Rows) []string {
	cts, err := rs.ColumnTypes()
	if err != nil {
		return nil
	}
	out := make([]string, len(cts))
	for i, ct := range cts {
		out[i] = strings.ToUpper(ct.DatabaseTypeName())
	}
	return out
}

// timeKinds classifies a result's columns, through the adapter.
func (e *Engine) timeKinds(types []string) []int {
	kinds := make([]int, len(types))
	for i, t := range types {
		switch e.db.Kind(t) {
		case adapters.KindDate:
			kinds[i] = timeDate
		case adapters.KindTimestampTZ:
			kinds[i] = timeZoned
		case adapters.KindTimestamp:
			kinds[i] = timeNaive
		}
	}
	return kinds
}

// timeValue gives a time read from the database the form rendering and
// paging expect: a date as its text (YYYY-MM-DD, valid for date and
// dateTime and comparable with the column); a wall clock as a time in UTC
// whose fields are the wall clock (read later in the configured zone); an
// instant in the configured zone.
func (e *Engine) timeValue(t time.Time, kind int) any {
	switch kind {
	case timeDate:
		return t.Format("2006-01-02")
	case timeNaive:
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	case timeZoned:
		if e.set.Location == time.UTC {
			return t.UTC()
		}
		return t.In(e.set.Location)
	}
	return t
}
