package engine

import (
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
)

// floorGrain truncates t (in loc) to the grain: 1 year, 2 month, 3 day,
// 4 minute, otherwise second.
func floorGrain(t time.Time, grain int, loc *time.Location) time.Time {
	t = t.In(loc)
	switch grain {
	case 1:
		return time.Date(t.Year(), 1, 1, 0, 0, 0, 0, loc)
	case 2:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
	case 3:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	case 4:
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), 0, 0, loc)
	}
	return t.Truncate(time.Second)
}

func addGrain(t time.Time, grain int) time.Time {
	switch grain {
	case 1:
		return t.AddDate(1, 0, 0)
	case 2:
		return t.AddDate(0, 1, 0)
	case 3:
		return t.AddDate(0, 0, 1)
	case 4:
		return t.Add(time.Minute)
	}
	return t.Add(time.Second)
}

func ceilGrain(t time.Time, grain int, loc *time.Location) time.Time {
	f := floorGrain(t, grain, loc)
	if f.Equal(t) {
		return f
	}
	return addGrain(f, grain)
}

// datePred compiles a date comparison. A column value x stands for the
// range [x, x+grain); the search value for [S, E). Following the STU3 rules
// for ranges, with x aligned to the grain:
//
//	eq  S <= x and x+g <= E    ⇔  ceil(S) <= x < floor(E)
//	ne  not eq
//	gt  x+g > E                ⇔  x >= floor(E)
//	lt  x < S                  ⇔  x < ceil(S)
//	ge  gt or eq               ⇔  x >= min(ceil(S), floor(E))
//	le  lt or eq               ⇔  x < max(ceil(S), floor(E))
//	sa  x >= E                 ⇔  x >= ceil(E)
//	eb  x+g <= S               ⇔  x < floor(S)
//	ap  overlaps [S-d, E+d), d = 10% of the distance from now (at least a day)
func (e *Engine) datePred(b *sqlBuilder, sp *mapping.SearchParam, raw, v string, exprs []string) (string, error) {
	loc := e.set.Location
	dv, err := fhir.ParseDateValue(raw, v, loc)
	if err != nil {
		return "", paramErr(err)
	}
	g := sp.DateGrain
	layout, precision := "", 0
	if sp.Format != "" {
		layout, precision, _ = mapping.GoLayout(sp.Format)
	}
	bind := func(t time.Time) string {
		t = t.In(loc)
		switch {
		case layout != "":
			// Every comparison is x >= B or x < B; for values written to a
			// coarser precision than B, both hold exactly when they hold for
			// B rounded up to that precision.
			return b.arg(ceilGrain(t, precision, loc).Format(layout))
		case g == 3: // a native DATE column: compare with a date, not a date-time
			return b.arg(t.Format("2006-01-02"))
		case sp.Zoned: // instants: the same instant, written in UTC
			return b.arg(b.timeArg(t.UTC(), sp.ColType))
		}
		return b.arg(b.timeArg(t, sp.ColType))
	}
	S, E := dv.Start, dv.End
	cS, fE := ceilGrain(S, g, loc), floorGrain(E, g, loc)
	var one func(x string) string
	switch dv.Prefix {
	case "", "eq":
		one = func(x string) string { return "(" + x + " >= " + bind(cS) + " AND " + x + " < " + bind(fE) + ")" }
	case "ne":
		one = func(x string) string { return "(" + x + " < " + bind(cS) + " OR " + x + " >= " + bind(fE) + ")" }
	case "gt":
		one = func(x string) string { return x + " >= " + bind(fE) }
	case "lt":
		one = func(x string) string { return x + " < " + bind(cS) }
	case "ge":
		lo := cS
		if fE.Before(lo) {
			lo = fE
		}
		one = func(x string) string { return x + " >= " + bind(lo) }
	case "le":
		hi := cS
		if fE.After(hi) {
			hi = fE
		}
		one = func(x string) string { return x + " < " + bind(hi) }
	case "sa":
		one = func(x string) string { return x + " >= " + bind(ceilGrain(E, g, loc)) }
	case "eb":
		one = func(x string) string { return x + " < " + bind(floorGrain(S, g, loc)) }
	case "ap":
		now := e.seal.now()
		d := now.Sub(S)
		if d < 0 {
			d = -d
		}
		d /= 10
		if d < 24*time.Hour {
			d = 24 * time.Hour
		}
		lo, hi := floorGrain(S.Add(-d), g, loc), ceilGrain(E.Add(d), g, loc)
		one = func(x string) string { return "(" + x + " >= " + bind(lo) + " AND " + x + " < " + bind(hi) + ")" }
	default:
		return "", invalid(raw, "INVALID_PARAMETER", "parameter %q: unknown prefix %q", raw, dv.Prefix)
	}
	if sp.To != "" {
		return e.periodPred(b, dv, g, loc, bind, exprs[0], q0alias(exprs[0])+b.d.Quote(sp.To), raw)
	}
	parts := make([]string, len(exprs))
	for i, x := range exprs {
		parts[i] = one(x)
	}
	return orJoin(parts), nil
}

// q0alias returns the "alias." prefix of a column expression.
func q0alias(expr string) string {
	if i := strings.Index(expr, "."); i >= 0 {
		return expr[:i+1]
	}
	return ""
}

// periodPred compares a period [start, end + grain) (end NULL: open) with
// the search range [S, E), by the same STU3 rules as datePred.
func (e *Engine) periodPred(b *sqlBuilder, dv fhir.DateValue, g int, loc *time.Location, bind func(time.Time) string, start, end, raw string) (string, error) {
	S, E := dv.Start, dv.End
	cS, fE, fS := ceilGrain(S, g, loc), floorGrain(E, g, loc), floorGrain(S, g, loc)
	eq := func() string {
		return "(" + start + " >= " + bind(cS) + " AND " + end + " IS NOT NULL AND " + end + " < " + bind(fE) + ")"
	}
	gt := func() string { return "(" + end + " IS NULL OR " + end + " >= " + bind(fE) + ")" }
	lt := func() string { return start + " < " + bind(cS) }
	switch dv.Prefix {
	case "", "eq":
		return eq(), nil
	case "ne":
		return "CASE WHEN " + eq() + " THEN 0 ELSE 1 END = 1", nil
	case "gt":
		return gt(), nil
	case "lt":
		return lt(), nil
	case "ge":
		return "(" + gt() + " OR " + eq() + ")", nil
	case "le":
		return "(" + lt() + " OR " + eq() + ")", nil
	case "sa":
		return start + " >= " + bind(ceilGrain(E, g, loc)), nil
	case "eb":
		return "(" + end + " IS NOT NULL AND " + end + " < " + bind(fS) + ")", nil
	case "ap":
		d := time.Since(S)
		if d < 0 {
			d = -d
		}
		if d /= 10; d < 24*time.Hour {
			d = 24 * time.Hour
		}
		lo, hi := floorGrain(S.Add(-d), g, loc), ceilGrain(E.Add(d), g, loc)
		return "(" + start + " < " + bind(hi) + " AND (" + end + " IS NULL OR " + end + " >= " + bind(lo) + "))", nil
	}
	return "", invalid(raw, "INVALID_PARAMETER", "parameter %q: unknown prefix %q", raw, dv.Prefix)
}
