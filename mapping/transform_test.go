package mapping

import (
	"slices"
	"testing"
	"time"
)

func TestTransforms(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	cases := []struct {
		name string
		args []string
		in   any
		want any
		err  bool
	}{
		{"trim", nil, "  SMITH   ", "SMITH", false},
		{"upper", nil, "ls6 2ab", "LS6 2AB", false},
		{"lower", nil, "SMITH", "smith", false},
		{"compact", nil, " LS6  2AB ", "LS62AB", false},
		{"nhs-number", nil, "943 476 5919", "9434765919", false},
		{"nhs-number", nil, "943-476-5919", "9434765919", false},
		{"nhs-number", nil, "9434765918", nil, true}, // wrong check digit
		{"nhs-number", nil, "943476591", nil, true},  // nine digits
		{"nhs-number", nil, "94347659AB", nil, true}, // letters
		{"nhs-number", nil, int64(9434765919), "9434765919", false},
		{"postcode", nil, "ls62ab", "LS6 2AB", false},
		{"postcode", nil, " sw1a 1aa", "SW1A 1AA", false},
		{"postcode", nil, "NOT A POSTCODE", nil, true},
		{"boolean", nil, "Y", true, false},
		{"boolean", nil, "n", false, false},
		{"boolean", nil, int64(1), true, false},
		{"boolean", nil, "maybe", nil, true},
		{"not", nil, "Y", false, false},
		{"date", []string{"yyyyMMdd"}, "19800229", "1980-02-29", false},
		{"date", []string{"yyyyMMdd"}, "19810229", nil, true}, // not a leap year
		{"date", []string{"dd/MM/yyyy", "yyyyMMdd"}, "04/03/2011", "2011-03-04", false},
		{"date", []string{"dd/MM/yyyy", "yyyyMMdd"}, "20110304", "2011-03-04", false},
		{"date", []string{"dd-MMM-yyyy"}, "04-MAR-2011", "2011-03-04", false},
		{"date", []string{"yyyy-MM"}, "2011-03", "2011-03", false},
		{"date", []string{"yyyyMMdd"}, time.Date(2001, 2, 3, 0, 0, 0, 0, time.UTC), "2001-02-03", false},
		{"date", []string{"yyyyMMdd"}, "   ", nil, false},
		{"datetime", []string{"yyyy-MM-dd HH:mm:ss"}, "2020-07-01 10:30:00", "2020-07-01T10:30:00+01:00", false},
		{"datetime", []string{"yyyy-MM-dd HH:mm:ss"}, "2020-01-01 10:30:00", "2020-01-01T10:30:00Z", false},
		{"datetime", []string{"dd/MM/yyyy HH:mm"}, "01/07/2020 10:30", "2020-07-01T10:30:00+01:00", false},
		{"datetime", []string{"dd/MM/yyyy HH:mm"}, "31/02/2020 10:30", nil, true},
	}
	for _, c := range cases {
		tr, err := newTransform(c.name, c.args, london)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := tr.Apply(c.in)
		if (err != nil) != c.err {
			t.Errorf("%s(%v): error %v, want error %v", c.name, c.in, err, c.err)
			continue
		}
		if !c.err && got != c.want {
			t.Errorf("%s(%v) = %#v, want %#v", c.name, c.in, got, c.want)
		}
	}
}

func TestTransformErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"titlecase", nil, `unknown transform "titlecase" (known: `},
		{"trim", []string{"x"}, `transform "trim" takes no argument`},
		{"date", nil, `transform "date" needs one or more formats`},
		{"date", []string{"dd/MM/yy"}, `format "dd/MM/yy": unknown pattern letter "y"`},
		{"date", []string{"dd/MM"}, `needs a four-digit year`},
		{"date", []string{"yyyyQdd"}, `unknown pattern letter "Q"`},
	} {
		_, err := newTransform(c.name, c.args, time.UTC)
		if err == nil || !slices.Contains([]string{err.Error()}, err.Error()) || !hasPrefix(err.Error(), c.want) {
			t.Errorf("%s %v: error %v, want %q", c.name, c.args, err, c.want)
		}
	}
}

func hasPrefix(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestSortableLayouts(t *testing.T) {
	for f, want := range map[string]bool{
		"yyyyMMdd": true, "yyyy-MM-dd": true, "yyyy-MM-dd HH:mm:ss": true, "yyyy-MM-dd'T'HH:mm": true,
		"dd/MM/yyyy": false, "dd-MMM-yyyy": false, "MM/dd/yyyy": false,
	} {
		_, sortable, err := parseLayout(f)
		if err != nil || sortable != want {
			t.Errorf("%s: sortable %v (err %v), want %v", f, sortable, err, want)
		}
	}
}

func TestValidNHSNumber(t *testing.T) {
	for s, want := range map[string]bool{
		"9434765919": true, "9434765870": true, "4010232137": true,
		"9434765918": false, "0000000000": true, "1234567890": false, "123": false,
	} {
		if got := validNHSNumber(s); got != want {
			t.Errorf("validNHSNumber(%s) = %v, want %v", s, got, want)
		}
	}
}
