package mapping

import (
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"
)

// holds evaluates the condition on a row; today gives the current date
// (asked for only by a comparison with today).
func (c *Cond) holds(vals []any, today func() time.Time) bool {
	var ok bool
	switch {
	case len(c.Any) > 0:
		for _, sub := range c.Any {
			if sub.holds(vals, today) {
				ok = true
				break
			}
		}
	case len(c.All) > 0:
		ok = true
		for _, sub := range c.All {
			if !sub.holds(vals, today) {
				ok = false
				break
			}
		}
	case c.Op != "":
		ok = c.compare(vals, today)
	case c.Matches != "":
		v := vals[c.col]
		ok = v != nil && c.re.MatchString(toString(v))
	case len(c.Forms) > 0:
		v := vals[c.col]
		for _, t := range c.Forms {
			var err error
			if v, err = t.Apply(v); err != nil {
				v = nil
				break
			}
		}
		ok = strings.TrimSpace(toStringOrEmpty(v)) != ""
	default:
		s := strings.TrimSpace(toStringOrEmpty(vals[c.col]))
		switch {
		case c.Concept != nil:
			_, ok = c.Concept.Lookup(s)
		case len(c.Equals) == 0:
			ok = s != ""
		default:
			ok = slices.Contains(c.Equals, s)
		}
	}
	return ok != c.Not
}

// compare evaluates a comparison. By the day (with today or a fixed date
// D), x lt D holds when x is before the start of D, le before the start of
// the next day, gt from the start of the next day, ge from the start of D:
// the same bounds the search statement compares the column with. Values
// are as the engine gives them: a DATE as its text, a date-time as a time,
// a text date in its Format, a number as an integer, a float or exact text.
func (c *Cond) compare(vals []any, today func() time.Time) bool {
	v := vals[c.col]
	if v == nil {
		return false
	}
	o := c.Than
	switch {
	case o.ByDay():
		day := o.Day(today())
		lo, hi := day, day.AddDate(0, 0, 1)
		bound := lo
		if c.Op == "le" || c.Op == "gt" {
			bound = hi
		}
		var cmp int
		switch t := v.(type) {
		case time.Time:
			cmp = t.Compare(time.Date(bound.Year(), bound.Month(), bound.Day(), 0, 0, 0, 0, t.Location()))
		default:
			layout := c.Layout()
			text := strings.TrimSpace(toString(v))
			if text == "" {
				return false // blank text holds no date
			}
			cmp = strings.Compare(text, bound.Format(layout))
		}
		if c.Op == "lt" || c.Op == "le" {
			return cmp < 0
		}
		return cmp >= 0
	case o.Number != "":
		x, ok1 := number(v)
		y, ok2 := new(big.Rat).SetString(o.Number)
		return ok1 && ok2 && ordered(c.Op, x.Cmp(y))
	default:
		w := vals[o.col]
		if w == nil {
			return false
		}
		if x, ok := number(v); ok {
			y, ok := number(w)
			return ok && ordered(c.Op, x.Cmp(y))
		}
		a, aTime := v.(time.Time)
		b, bTime := w.(time.Time)
		switch {
		case aTime && bTime:
			return ordered(c.Op, a.Compare(b))
		case aTime: // a DATE's text against a date-time: the date's midnight
			if d, err := time.ParseInLocation("2006-01-02", toString(w), a.Location()); err == nil {
				return ordered(c.Op, a.Compare(d))
			}
			return false
		case bTime:
			if d, err := time.ParseInLocation("2006-01-02", toString(v), b.Location()); err == nil {
				return ordered(c.Op, d.Compare(b))
			}
			return false
		}
		return ordered(c.Op, strings.Compare(toString(v), toString(w)))
	}
}

// ordered tells whether a comparison's result (-1, 0, 1) satisfies op.
func ordered(op string, cmp int) bool {
	switch op {
	case "lt":
		return cmp < 0
	case "le":
		return cmp <= 0
	case "gt":
		return cmp > 0
	case "ge":
		return cmp >= 0
	}
	return false
}

// number reads a value as an exact number, if it is one.
func number(v any) (*big.Rat, bool) {
	switch t := v.(type) {
	case int64:
		return new(big.Rat).SetInt64(t), true
	case float64:
		r := new(big.Rat)
		if r.SetFloat64(t) == nil {
			return nil, false
		}
		return r, true
	case string:
		return new(big.Rat).SetString(strings.TrimSpace(t))
	case []byte:
		return new(big.Rat).SetString(strings.TrimSpace(string(t)))
	}
	return nil, false
}

var (
	todayPlus = regexp.MustCompile(`^today\s*([+-])\s*(\d{1,4})\s*([dmy])$`)
	isoDate   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	numberLit = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
)

// Applies tells whether a search parameter's (or branch's) conditions hold
// for a row of its mapping: the reference it follows is the one rendered.
func (p *SearchParam) Applies(vals []any, today func() time.Time) bool {
	for _, c := range p.Conds {
		if !c.holds(vals, today) {
			return false
		}
	}
	return true
}
