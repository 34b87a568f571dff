package gpconnect

import (
	"testing"
	"time"
)

// A stored partial date matches a search period as the interval it
// stands for (SPEC §3: a year is 1 January to 31 December, a year-month
// the whole month), and an unknown date matches any period.
func TestPartialDatesMatchAsIntervals(t *testing.T) {
	day := func(s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		stored, start, end string
		want               bool
	}{
		{"2019", "2019-12-31", "", true},     // the year reaches its last day
		{"2019", "2020-01-01", "", false},    // and no further
		{"2019", "", "2019-01-01", true},     // from its first day
		{"2019-06", "2019-06-30", "", true},  // a month to its last day
		{"2019-06", "2019-07-01", "", false}, //
		{"2019-06", "", "2019-05-31", false}, // from its first day
		{"2020-02", "2020-02-29", "", true},  // a leap February
		{"2019-06-15", "2019-06-15", "2019-06-15", true},
		{"2019-06-15T10:00:00+01:00", "2019-06-16", "", false},
		{"", "2030-01-01", "2030-12-31", true}, // unknown: always
	} {
		from, to := lower(c.stored), upper(c.stored)
		if c.stored == "" {
			from, to = "", ""
		}
		if got := within(from, to, day(c.start), day(c.end)); got != c.want {
			t.Errorf("%q within %s..%s: %v, want %v (as %s..%s)", c.stored, c.start, c.end, got, c.want, from, to)
		}
	}
}
