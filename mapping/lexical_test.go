package mapping

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// The STU3 regular expressions of the primitives (from the specification's
// datatypes page), the oracle for the hand-written scanners.
var (
	integerRe  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)
	decimalRe  = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)
	dateRe     = regexp.MustCompile(`^-?[0-9]{4}(-(0[1-9]|1[0-2])(-(0[0-9]|[1-2][0-9]|3[0-1]))?)?$`)
	dateTimeRe = regexp.MustCompile(`^-?[0-9]{4}(-(0[1-9]|1[0-2])(-(0[0-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$`)
	instantRe  = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])-(0[0-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$`)
)

// Every scanner agrees with its regular expression on hand-picked edges
// and on a million strings made of the characters those forms use,
// mutated from valid values.
func TestLexicalFormsMatchSTU3(t *testing.T) {
	seeds := []string{"0", "-0", "7", "-12", "007", "1.5", "0.0", "-0.25e-3", "1E10", "1.", ".5", "1e", "--1", "",
		"2020", "2020-01", "2020-12-31", "2020-13", "2020-00", "2020-02-00", "2020-01-32", "-2020-05", "20201",
		"2020-01-02T10:05:06Z", "2020-01-02T10:05:06.123+01:00", "2020-01-02T24:00:00Z", "2020-01-02T23:59:60-14:00",
		"2020-01-02T10:05:06+14:00", "2020-01-02T10:05:06+14:01", "2020-01-02T10:05:06+13:59", "2020-01-02T10:05:06",
		"2020-01-02T10:05Z", "2020-01T10:05:06Z", "2020-01-02T10:05:06.Z", "2020-01-02T10:05:06+0100", "2020-01-02t10:05:06Z"}
	alphabet := "0123456789-+.:eETZ"
	r := rand.New(rand.NewPCG(1, 2))
	check := func(s string) {
		for _, c := range []struct {
			name string
			got  bool
			re   *regexp.Regexp
		}{
			{"integer", isInteger(s), integerRe}, {"decimal", isDecimal(s), decimalRe},
			{"date", validDateText("date", s), dateRe}, {"dateTime", validDateText("dateTime", s), dateTimeRe},
			{"instant", validDateText("instant", s), instantRe},
		} {
			if want := c.re.MatchString(s); c.got != want {
				t.Fatalf("%s %q: scanner %v, STU3 expression %v", c.name, s, c.got, want)
			}
		}
	}
	for _, s := range seeds {
		check(s)
	}
	for n := 0; n < 1_000_000; n++ {
		b := []byte(seeds[r.IntN(len(seeds))])
		for k := r.IntN(3); k >= 0; k-- {
			switch op := r.IntN(3); {
			case op == 0 && len(b) > 0:
				b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
			case op == 1 && len(b) > 0:
				i := r.IntN(len(b))
				b = append(b[:i], b[i+1:]...)
			default:
				i := r.IntN(len(b) + 1)
				b = append(b[:i], append([]byte{alphabet[r.IntN(len(alphabet))]}, b[i:]...)...)
			}
		}
		check(string(b))
	}
}
