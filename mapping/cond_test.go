package mapping

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Each mistake in a condition is reported where it is, saying what to
// write instead.
func TestConditionErrors(t *testing.T) {
	for _, c := range []struct{ when, want string }{
		{`{column: D, lt: today-3w}`, "a comparison is with today (or today-30d"},
		{`{column: D, lt: tomorrow}`, "a comparison is with today (or today-30d, today+1m, today-18y), a date (2020-01-31), a number, or {column: NAME}"},
		{`{column: D, lt: today, gt: 2020-01-01}`, `"when" takes one comparison (it has "lt" and "gt"); combine several with "all"`},
		{`{column: D, format: yyyyMMdd}`, `"format" is the text format of dates compared with a date; this condition compares nothing`},
		{`{column: D, format: dd/MM/yyyy, lt: today}`, `format "dd/MM/yyyy" does not sort as text down to the day`},
		{`{column: D, format: yyyyMM, lt: today}`, `format "yyyyMM" does not sort as text down to the day`},
		{`{column: D, lt: 2020-02-30}`, `"2020-02-30" is not a date`},
		{`{column: D, matches: "("}`, `"matches": error parsing regexp`},
		{`{column: D, equals: Y, lt: today}`, `"when" takes one test of its column`},
		{`{any: {column: D}}`, `"any" takes a list of conditions`},
		{`{column: D, any: [{column: E}]}`, `"any" and "all" combine conditions`},
		{`{lt: today}`, `"when" needs a "column" (or "any"/"all" of conditions)`},
		{`{column: D, ge: {col: E}}`, `unknown key "col"`},
	} {
		src := "resource: Patient\nfrom: {table: T, key: K}\nelement:\n  active: {value: true, when: " + c.when + "}\n"
		_, err := Load([]File{{Name: "p.yaml", Data: []byte(src)}}, time.UTC)
		var errs Errors
		if !errors.As(err, &errs) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "p.yaml:4:") {
			t.Errorf("when: %s\n got: %v\nwant: p.yaml:4:…: …%s…", c.when, err, c.want)
		}
	}
}

// Comparisons hold as the engine's SQL compares: by the day with today
// or a date, NULL and blank failing, numbers exactly, dates with
// date-times at midnight.
func TestConditionHolds(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	today := func() time.Time { return time.Date(2026, 3, 29, 0, 0, 0, 0, paris) }
	cols := newColumnSet()
	cols.Add("X")
	cond := func(op string, than *Operand, format string) *Cond {
		c := &Cond{Column: "X", col: cols.Add("X"), Op: op, Than: than, Format: format}
		if format != "" {
			c.layout, _, _ = GoLayout(format)
		}
		return c
	}
	todayOp := &Operand{Today: true}
	y := &Operand{Column: "Y", col: cols.Add("Y")}
	for _, c := range []struct {
		cond *Cond
		x, y any
		want bool
	}{
		{cond("lt", todayOp, ""), "2026-03-28", nil, true},
		{cond("lt", todayOp, ""), "2026-03-29", nil, false},
		{cond("le", todayOp, ""), "2026-03-29", nil, true},
		{cond("gt", todayOp, ""), "2026-03-29", nil, false},
		{cond("gt", todayOp, ""), "2026-03-30", nil, true},
		{cond("ge", todayOp, ""), "2026-03-29", nil, true},
		{cond("lt", todayOp, ""), nil, nil, false},
		{cond("lt", todayOp, "yyyyMMdd"), "20260328", nil, true},
		{cond("lt", todayOp, "yyyyMMdd"), "  ", nil, false},
		{cond("le", todayOp, "yyyyMMdd"), "20260329", nil, true},
		// A wall clock (read as UTC fields) and an instant in the zone.
		{cond("le", todayOp, ""), time.Date(2026, 3, 29, 23, 59, 0, 0, time.UTC), nil, true},
		{cond("lt", todayOp, ""), time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC), nil, false},
		{cond("lt", todayOp, ""), time.Date(2026, 3, 28, 23, 30, 0, 0, time.UTC).In(paris), nil, false}, // 00:30 in Paris on the 29th
		{cond("lt", &Operand{Date: "2026-01-01", date: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, ""), "2025-12-31", nil, true},
		{cond("ge", &Operand{Today: true, Days: -30}, ""), "2026-02-27", nil, true},
		{cond("ge", &Operand{Today: true, Days: -30}, ""), "2026-02-26", nil, false},
		{cond("lt", &Operand{Today: true, Years: -18}, ""), "2008-03-28", nil, true},
		{cond("lt", &Operand{Today: true, Years: -18}, ""), "2008-03-29", nil, false},
		{cond("gt", &Operand{Number: "0"}, ""), int64(1), nil, true},
		{cond("gt", &Operand{Number: "0"}, ""), "0.00", nil, false},
		{cond("ge", &Operand{Number: "0.1"}, ""), 0.1, nil, true},
		{cond("lt", &Operand{Number: "10"}, ""), "9.99", nil, true},
		{cond("ge", y, ""), "2026-03-02", "2026-03-01", true},
		{cond("ge", y, ""), "2026-03-01", "2026-03-02", false},
		{cond("ge", y, ""), "2026-03-01", nil, false},
		{cond("lt", y, ""), "2026-03-01", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), true},
		{cond("lt", y, ""), int64(2), "10", true},
	} {
		vals := []any{c.x, c.y}
		if got := c.cond.holds(vals, today); got != c.want {
			t.Errorf("%v %s %+v (format %q) with y=%v: %v, want %v", c.x, c.cond.Op, *c.cond.Than, c.cond.Format, c.y, got, c.want)
		}
		c.cond.Not = true
		if got := c.cond.holds(vals, today); got == c.want {
			t.Errorf("not: %v %s %+v: %v", c.x, c.cond.Op, *c.cond.Than, got)
		}
	}
}

// today moved by months or years stays in the month it lands in.
func TestTodayMoved(t *testing.T) {
	for _, c := range []struct {
		today string
		o     Operand
		want  string
	}{
		{"2026-03-31", Operand{Today: true, Months: -1}, "2026-02-28"},
		{"2024-03-31", Operand{Today: true, Months: -1}, "2024-02-29"},
		{"2024-02-29", Operand{Today: true, Years: -18}, "2006-02-28"},
		{"2026-01-31", Operand{Today: true, Months: 1}, "2026-02-28"},
		{"2026-03-15", Operand{Today: true, Months: -14}, "2025-01-15"},
		{"2026-03-01", Operand{Today: true, Days: -1}, "2026-02-28"},
	} {
		today, _ := time.Parse("2006-01-02", c.today)
		if got := c.o.Day(today).Format("2006-01-02"); got != c.want {
			t.Errorf("%s %+v: %s, want %s", c.today, c.o, got, c.want)
		}
	}
}
