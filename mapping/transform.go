package mapping

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/textfn"
)

// Transform is one named step applied to a value read from a row.
type Transform struct {
	Name string
	Args []string
	fn   func(v any) (any, error)
}

// Apply runs the transform; nil passes through untouched.
func (t Transform) Apply(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	return t.fn(v)
}

type transformSpec struct {
	args string // "" none, "formats" one or more date formats, "text" one text, "pattern" a pattern and its replacement
	doc  string
	make func(args []string, loc *time.Location) (func(any) (any, error), error)
}

var transforms = map[string]transformSpec{
	"trim":    {doc: "remove leading and trailing white space", make: stringFn(strings.TrimSpace)},
	"compact": {doc: "remove all white space", make: stringFn(func(s string) string { return strings.Join(strings.Fields(s), "") })},
	"upper":   {doc: "upper-case", make: stringFn(strings.ToUpper)},
	"lower":   {doc: "lower-case", make: stringFn(strings.ToLower)},
	"nhs-number": {doc: "remove spaces and hyphens; reject a value that is not 10 digits with a valid modulus-11 check digit",
		make: noArgs(func(v any) (any, error) { return normaliseNHSNumber(toString(v)) })},
	"postcode": {doc: "upper-case a UK postcode and put one space before the inward code",
		make: noArgs(func(v any) (any, error) { return normalisePostcode(toString(v)) })},
	"boolean": {doc: "Y/N, Yes/No, T/F, true/false, 1/0 to a boolean",
		make: noArgs(toBool)},
	"not": {doc: "invert a yes/no value (after boolean)",
		make: noArgs(func(v any) (any, error) {
			b, err := toBool(v)
			if err != nil {
				return nil, err
			}
			return !b.(bool), nil
		})},
	"title": {doc: "upper-case the first letter of each word and lower-case the rest (O'BRIEN-SMITH: O'Brien-Smith)",
		make: stringFn(textfn.Title)},
	"before": {args: "text", doc: "the text before the first separator, or all of it without one ({before: \",\"}: SMITH, John → SMITH)",
		make: func(a []string, _ *time.Location) (func(any) (any, error), error) {
			sep := a[0]
			return func(v any) (any, error) { return textfn.Before(toString(v), sep), nil }, nil
		}},
	"after": {args: "text", doc: "the text after the first separator, or nothing without one ({after: \",\"}: SMITH, John →  John)",
		make: func(a []string, _ *time.Location) (func(any) (any, error), error) {
			sep := a[0]
			return func(v any) (any, error) { return textfn.After(toString(v), sep), nil }, nil
		}},
	"replace": {args: "pattern", doc: "replace every match of a regular expression with fixed text ({replace: [\"[^0-9]\", \"\"]})",
		make: func(a []string, _ *time.Location) (func(any) (any, error), error) {
			re, err := textfn.Compile(a[0])
			if err != nil {
				return nil, fmt.Errorf("transform \"replace\": %v", err)
			}
			with := a[1]
			return func(v any) (any, error) { return textfn.Replace(re, toString(v), with), nil }, nil
		}},
	"date": {args: "formats", doc: "parse a date in one of the given formats (e.g. yyyyMMdd, dd/MM/yyyy, dd-MMM-yyyy) into a FHIR date",
		make: func(a []string, loc *time.Location) (func(any) (any, error), error) { return dateFn(a, loc, false) }},
	"datetime": {args: "formats", doc: "parse a date-time in one of the given formats (e.g. yyyy-MM-dd HH:mm:ss) into a FHIR dateTime in the configured zone",
		make: func(a []string, loc *time.Location) (func(any) (any, error), error) { return dateFn(a, loc, true) }},
}

// newTransform builds a named transform.
func newTransform(name string, args []string, loc *time.Location) (Transform, error) {
	spec, ok := transforms[name]
	if !ok {
		names := make([]string, 0, len(transforms))
		for k := range transforms {
			names = append(names, k)
		}
		sort.Strings(names)
		return Transform{}, fmt.Errorf("unknown transform %q (known: %s)", name, strings.Join(names, ", "))
	}
	if spec.args == "" && len(args) > 0 {
		return Transform{}, fmt.Errorf("transform %q takes no argument", name)
	}
	switch {
	case spec.args == "formats" && len(args) == 0:
		return Transform{}, fmt.Errorf("transform %q needs one or more formats, e.g. {%s: yyyyMMdd}", name, name)
	case spec.args == "text" && (len(args) != 1 || args[0] == ""):
		return Transform{}, fmt.Errorf("transform %q needs one separator, e.g. {%s: \",\"}", name, name)
	case spec.args == "pattern" && len(args) != 2:
		return Transform{}, fmt.Errorf("transform %q needs a pattern and its replacement, e.g. {%s: [\"[^0-9]\", \"\"]}", name, name)
	}
	fn, err := spec.make(args, loc)
	if err != nil {
		return Transform{}, err
	}
	return Transform{Name: name, Args: args, fn: fn}, nil
}

func stringFn(f func(string) string) func([]string, *time.Location) (func(any) (any, error), error) {
	return noArgs(func(v any) (any, error) {
		s, isString := v.(string)
		if !isString {
			s = toString(v)
		}
		out := f(s)
		if isString && out == s {
			return v, nil // unchanged: no new string to box
		}
		return out, nil
	})
}

func noArgs(fn func(any) (any, error)) func([]string, *time.Location) (func(any) (any, error), error) {
	return func([]string, *time.Location) (func(any) (any, error), error) { return fn, nil }
}

func toString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case []byte:
		return string(t)
	case int64:
		return strconv.FormatInt(t, 10)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case time.Time:
		return t.Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}

// ErrBadNHSNumber is returned for a value that is not a valid NHS number.
var ErrBadNHSNumber = errors.New("not a valid NHS number (10 digits with a modulus-11 check digit)")

// normaliseNHSNumber removes spaces and hyphens and checks the modulus-11
// check digit.
func normaliseNHSNumber(s string) (string, error) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '-':
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", ErrBadNHSNumber
		}
	}
	n := b.String()
	if !validNHSNumber(n) {
		return "", ErrBadNHSNumber
	}
	return n, nil
}

// validNHSNumber reports whether s is ten digits with a valid check digit.
func validNHSNumber(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		d := s[i] - '0'
		if d > 9 {
			return false
		}
		sum += int(d) * (10 - i)
	}
	check := 11 - sum%11
	if check == 11 {
		check = 0
	}
	return check != 10 && int(s[9]-'0') == check
}

var postcodeRe = regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$`)

func normalisePostcode(s string) (string, error) {
	c := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if !postcodeRe.MatchString(c) {
		return "", fmt.Errorf("%q is not a UK postcode", s)
	}
	return c[:len(c)-3] + " " + c[len(c)-3:], nil
}

func toBool(v any) (any, error) {
	switch t := v.(type) {
	case bool:
		return t, nil
	case int64:
		return t != 0, nil
	}
	switch strings.ToUpper(strings.TrimSpace(toString(v))) {
	case "Y", "YES", "T", "TRUE", "1":
		return true, nil
	case "N", "NO", "F", "FALSE", "0":
		return false, nil
	}
	return nil, fmt.Errorf("%q is not a yes/no value", toString(v))
}

type layout struct {
	goLayout  string
	precision int // 1 year, 2 month, 3 day, 4 minute, 5 second
}

// parseLayout turns a format such as dd/MM/yyyy into a Go time layout, and
// says whether values in it sort as text in time order.
func parseLayout(f string) (layout, bool, error) {
	tokens := []struct{ tok, goTok string }{
		{"yyyy", "2006"}, {"MMM", "Jan"}, {"MM", "01"}, {"dd", "02"},
		{"HH", "15"}, {"mm", "04"}, {"ss", "05"}, {"SSS", ".000"},
	}
	var b strings.Builder
	var order []string
	lay := layout{}
	for i := 0; i < len(f); {
		matched := false
		for _, t := range tokens {
			if strings.HasPrefix(f[i:], t.tok) {
				b.WriteString(t.goTok)
				order = append(order, t.tok)
				i += len(t.tok)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		c := f[i]
		if c == '\'' {
			j := strings.IndexByte(f[i+1:], '\'')
			if j < 0 {
				return lay, false, fmt.Errorf("format %q: unclosed quote", f)
			}
			b.WriteString(f[i+1 : i+1+j])
			i += j + 2
			continue
		}
		if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
			return lay, false, fmt.Errorf("format %q: unknown pattern letter %q (use yyyy, MM, MMM, dd, HH, mm, ss, SSS; quote literal text as 'T')", f, string(c))
		}
		b.WriteByte(c)
		i++
	}
	has := func(t string) bool { return slices.Contains(order, t) }
	if !has("yyyy") {
		return lay, false, fmt.Errorf("format %q: needs a four-digit year (yyyy)", f)
	}
	lay.goLayout = b.String()
	lay.precision = 1
	if has("MM") || has("MMM") {
		lay.precision = 2
		if has("dd") {
			lay.precision = 3
			if has("HH") && has("mm") {
				lay.precision = 4
				if has("ss") {
					lay.precision = 5
				}
			}
		}
	}
	rank := map[string]int{"yyyy": 1, "MM": 2, "dd": 3, "HH": 4, "mm": 5, "ss": 6, "SSS": 7}
	sortable := !has("MMM")
	last := 0
	for _, t := range order {
		if rank[t] <= last {
			sortable = false
		}
		last = rank[t]
	}
	return lay, sortable, nil
}

// rearrangement says how text in a fixed-width format that does not sort
// (dd/MM/yyyy) is rearranged into one that does: the sortable format
// (yyyyMMdd) and, for each of its fields, the 1-based position and width
// of that field in the original text. Month names are not fixed-width, so
// a format with MMM cannot be rearranged.
func rearrangement(f string) (string, [][2]int, bool) {
	tokens := []string{"yyyy", "MMM", "MM", "dd", "HH", "mm", "ss", "SSS"}
	at := map[string]int{}
	pos := 1
	for i := 0; i < len(f); {
		matched := false
		for _, t := range tokens {
			if strings.HasPrefix(f[i:], t) {
				if t == "MMM" || t == "SSS" {
					return "", nil, false
				}
				at[t] = pos
				pos += len(t)
				i += len(t)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if f[i] == '\'' {
			j := strings.IndexByte(f[i+1:], '\'')
			if j < 0 {
				return "", nil, false
			}
			pos += j
			i += j + 2
			continue
		}
		pos++
		i++
	}
	var to strings.Builder
	var pieces [][2]int
	for _, t := range []string{"yyyy", "MM", "dd", "HH", "mm", "ss"} {
		p, ok := at[t]
		if !ok {
			break // a field missing from the middle leaves the finer ones out
		}
		to.WriteString(t)
		pieces = append(pieces, [2]int{p, len(t)})
	}
	return to.String(), pieces, len(pieces) > 0
}

// rearrangeForm is the column form that puts text in format f into its
// sortable order (see rearrangement), and the sortable format.
func rearrangeForm(f string) (Transform, string, bool) {
	to, pieces, ok := rearrangement(f)
	if !ok {
		return Transform{}, "", false
	}
	t := Transform{Name: "rearrange"}
	for _, p := range pieces {
		t.Args = append(t.Args, strconv.Itoa(p[0]), strconv.Itoa(p[1]))
	}
	return t, to, true
}

// GoLayout returns the Go time layout of a date format (for binding search
// values against text columns), and its precision: 1 year, 2 month, 3 day,
// 4 minute, 5 second.
func GoLayout(format string) (string, int, error) {
	l, _, err := parseLayout(format)
	return l.goLayout, l.precision, err
}

func dateFn(formats []string, loc *time.Location, withTime bool) (func(any) (any, error), error) {
	var lays []layout
	for _, f := range formats {
		l, _, err := parseLayout(f)
		if err != nil {
			return nil, err
		}
		lays = append(lays, l)
	}
	return func(v any) (any, error) {
		if t, ok := v.(time.Time); ok {
			if withTime {
				return formatDateTime(t, loc), nil
			}
			return t.Format("2006-01-02"), nil
		}
		s := strings.TrimSpace(toString(v))
		if s == "" {
			return nil, nil
		}
		for _, l := range lays {
			t, err := time.ParseInLocation(l.goLayout, s, loc)
			if err != nil {
				continue
			}
			switch {
			case l.precision == 1:
				return t.Format("2006"), nil
			case l.precision == 2:
				return t.Format("2006-01"), nil
			case l.precision == 3 || !withTime:
				return t.Format("2006-01-02"), nil
			}
			return formatDateTime(t, loc), nil
		}
		return nil, fmt.Errorf("%q does not match the date format %s", s, strings.Join(formats, " or "))
	}, nil
}

// formatDateTime formats a time as a FHIR dateTime/instant. A time without
// its own zone (as drivers return for columns without one) is read as a wall
// clock in loc.
func formatDateTime(t time.Time, loc *time.Location) string {
	if t.Location() == time.UTC && loc != nil && loc != time.UTC {
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
	}
	if t.Nanosecond() != 0 {
		return t.Format("2006-01-02T15:04:05.000Z07:00")
	}
	return t.Format("2006-01-02T15:04:05Z07:00")
}
