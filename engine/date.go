package engine

import (
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlgen"
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
func (e *Engine) datePred(c *source, dv fhir.DateValue) (sqlgen.Pred, error) {
	loc := e.set.Location
	sp, b, raw := c.sp, c.b, c.raw
	g := sp.DateGrain
	if sp.Format == "" && c.col.Kind == adapters.KindDate {
		g = 3 // a native DATE column holds days
	}
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
			return b.Arg(ceilGrain(t, precision, loc).Format(layout))
		case g == 3 && c.col.Kind == adapters.KindDate: // compare with a date, not a date-time
			return b.Arg(t.Format("2006-01-02"))
		case c.col.Kind == adapters.KindTimestampTZ: // instants: the same instant, written in UTC
			return b.Arg(b.TimeArg(t.UTC(), c.col.Type))
		}
		return b.Arg(b.TimeArg(t, c.col.Type))
	}
	S, E := dv.Start, dv.End
	cS, fE := ceilGrain(S, g, loc), floorGrain(E, g, loc)
	within := func(x string, lo, hi time.Time) sqlgen.Pred {
		return sqlgen.Group(sqlgen.Cmp(x, ">=", bind(lo)), sqlgen.Cmp(x, "<", bind(hi)))
	}
	var one func(x string) sqlgen.Pred
	switch dv.Prefix {
	case "", "eq":
		one = func(x string) sqlgen.Pred { return within(x, cS, fE) }
	case "ne":
		one = func(x string) sqlgen.Pred {
			return sqlgen.AnyOf(sqlgen.Cmp(x, "<", bind(cS)), sqlgen.Cmp(x, ">=", bind(fE)))
		}
	case "gt":
		one = func(x string) sqlgen.Pred { return sqlgen.Cmp(x, ">=", bind(fE)) }
	case "lt":
		one = func(x string) sqlgen.Pred { return sqlgen.Cmp(x, "<", bind(cS)) }
	case "ge":
		lo := cS
		if fE.Before(lo) {
			lo = fE
		}
		one = func(x string) sqlgen.Pred { return sqlgen.Cmp(x, ">=", bind(lo)) }
	case "le":
		hi := cS
		if fE.After(hi) {
			hi = fE
		}
		one = func(x string) sqlgen.Pred { return sqlgen.Cmp(x, "<", bind(hi)) }
	case "sa":
		one = func(x string) sqlgen.Pred { return sqlgen.Cmp(x, ">=", bind(ceilGrain(E, g, loc))) }
	case "eb":
		one = func(x string) sqlgen.Pred { return sqlgen.Cmp(x, "<", bind(floorGrain(S, g, loc))) }
	case "ap":
		lo, hi := e.approx(S, E, g, loc)
		one = func(x string) sqlgen.Pred { return within(x, lo, hi) }
	default:
		return nil, invalid(raw, "INVALID_PARAMETER", "parameter %q: unknown prefix %q", raw, dv.Prefix)
	}
	if sp.To != "" {
		return e.periodPred(dv, g, loc, bind, c.exprs[0], b.Col(c.alias, sp.To), raw)
	}
	parts := make([]sqlgen.Pred, len(c.exprs))
	for i, x := range c.exprs {
		parts[i] = one(x)
	}
	return sqlgen.Or(parts...), nil
}

// approx is the range "ap" searches: [S-d, E+d), d a tenth of the distance
// from now, at least a day.
func (e *Engine) approx(S, E time.Time, g int, loc *time.Location) (time.Time, time.Time) {
	d := e.seal.now().Sub(S)
	if d < 0 {
		d = -d
	}
	if d /= 10; d < 24*time.Hour {
		d = 24 * time.Hour
	}
	return floorGrain(S.Add(-d), g, loc), ceilGrain(E.Add(d), g, loc)
}

// periodPred compares a period [start, end + grain) (end NULL: open) with
// the search range [S, E), by the same STU3 rules as datePred.
func (e *Engine) periodPred(dv fhir.DateValue, g int, loc *time.Location, bind func(time.Time) string, start, end, raw string) (sqlgen.Pred, error) {
	S, E := dv.Start, dv.End
	cS, fE, fS := ceilGrain(S, g, loc), floorGrain(E, g, loc), floorGrain(S, g, loc)
	eq := func() sqlgen.Pred {
		return sqlgen.Group(sqlgen.Cmp(start, ">=", bind(cS)), sqlgen.NotNull(end), sqlgen.Cmp(end, "<", bind(fE)))
	}
	gt := func() sqlgen.Pred { return sqlgen.AnyOf(sqlgen.IsNull(end), sqlgen.Cmp(end, ">=", bind(fE))) }
	lt := func() sqlgen.Pred { return sqlgen.Cmp(start, "<", bind(cS)) }
	switch dv.Prefix {
	case "", "eq":
		return eq(), nil
	case "ne":
		return sqlgen.Otherwise(eq()), nil
	case "gt":
		return gt(), nil
	case "lt":
		return lt(), nil
	case "ge":
		return sqlgen.AnyOf(gt(), eq()), nil
	case "le":
		return sqlgen.AnyOf(lt(), eq()), nil
	case "sa":
		return sqlgen.Cmp(start, ">=", bind(ceilGrain(E, g, loc))), nil
	case "eb":
		return sqlgen.Group(sqlgen.NotNull(end), sqlgen.Cmp(end, "<", bind(fS))), nil
	case "ap":
		lo, hi := e.approx(S, E, g, loc)
		return sqlgen.Group(sqlgen.Cmp(start, "<", bind(hi)), sqlgen.AnyOf(sqlgen.IsNull(end), sqlgen.Cmp(end, ">=", bind(lo)))), nil
	}
	return nil, invalid(raw, "INVALID_PARAMETER", "parameter %q: unknown prefix %q", raw, dv.Prefix)
}
