package fhir

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ParamError says which search parameter is wrong and why.
type ParamError struct {
	Param, Value, Reason string
}

func (e *ParamError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("parameter %q: %s", e.Param, e.Reason)
	}
	return fmt.Sprintf("parameter %q: value %q: %s", e.Param, e.Value, e.Reason)
}

// ParamKey is a parsed query-parameter name: "family:exact" has Modifier
// "exact"; "patient.identifier" has Chain "identifier";
// "subject:Patient.identifier" has both.
type ParamKey struct {
	Name, Modifier, Chain string
}

var keyRe = regexp.MustCompile(`^(_?[A-Za-z][A-Za-z0-9-]*)(:([A-Za-z][A-Za-z0-9-]*))?(\.([A-Za-z_][A-Za-z0-9-.:]*))?$`)

// ParseParamKey parses a parameter name.
func ParseParamKey(s string) (ParamKey, error) {
	m := keyRe.FindStringSubmatch(s)
	if m == nil {
		return ParamKey{}, &ParamError{Param: s, Reason: "not a valid search parameter name"}
	}
	return ParamKey{Name: m[1], Modifier: m[3], Chain: m[5]}, nil
}

// SplitOr splits a parameter value on commas not escaped as "\,"; "\,"
// becomes ",". Other escapes are left for the type's own parsing.
func SplitOr(s string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			if s[i+1] == ',' {
				cur.WriteByte(',')
			} else {
				cur.WriteByte('\\')
				cur.WriteByte(s[i+1])
			}
			i++
			continue
		}
		if c == ',' {
			out = append(out, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(out, cur.String())
}

// unescape removes the search escapes "\|", "\$", "\," and "\\".
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`|$,\`, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Prefix is a comparison prefix of a date (or number) search value.
type Prefix string

var prefixes = []Prefix{"eq", "ne", "lt", "gt", "le", "ge", "sa", "eb", "ap"}

// Precision of a date search value.
type Precision int

const (
	PrecisionYear Precision = iota + 1
	PrecisionMonth
	PrecisionDay
	PrecisionMinute
	PrecisionSecond
	PrecisionFraction
)

// DateValue is a parsed date search value: the prefix and the range
// [Start, End) that its precision makes.
type DateValue struct {
	Prefix    Prefix
	Start     time.Time
	End       time.Time
	Precision Precision
	Text      string
}

var dateValueRe = regexp.MustCompile(`^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$`)

// ParseDateValue parses a date search value with an optional prefix. A
// value without a zone is read in loc.
func ParseDateValue(param, s string, loc *time.Location) (DateValue, error) {
	bad := func(reason string) (DateValue, error) {
		return DateValue{}, &ParamError{Param: param, Value: s, Reason: reason}
	}
	dv := DateValue{Text: s}
	v := s
	if len(v) >= 2 {
		for _, p := range prefixes {
			if strings.HasPrefix(v, string(p)) {
				dv.Prefix, v = p, v[2:]
				break
			}
		}
	}
	m := dateValueRe.FindStringSubmatch(v)
	if m == nil {
		return bad("not a valid date (expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm], optionally after a prefix eq, ne, lt, gt, le, ge, sa, eb or ap)")
	}
	atoi := func(x string) int { n, _ := strconv.Atoi(x); return n }
	year, month, day, hour, minute, sec, nsec := atoi(m[1]), 1, 1, 0, 0, 0, 0
	dv.Precision = PrecisionYear
	if m[2] != "" {
		month, dv.Precision = atoi(m[2]), PrecisionMonth
		if month < 1 || month > 12 {
			return bad("month out of range")
		}
	}
	if m[3] != "" {
		day, dv.Precision = atoi(m[3]), PrecisionDay
		if day < 1 || day > daysIn(year, month) {
			return bad("day out of range for the month")
		}
	}
	if m[4] != "" {
		hour, minute, dv.Precision = atoi(m[4]), atoi(m[5]), PrecisionMinute
		if hour > 23 || minute > 59 {
			return bad("time out of range")
		}
	}
	if m[6] != "" {
		sec, dv.Precision = atoi(m[6]), PrecisionSecond
		if sec > 59 {
			return bad("seconds out of range")
		}
	}
	fracDigits := 0
	if m[7] != "" {
		fracDigits = len(m[7])
		nsec = atoi(m[7] + strings.Repeat("0", 9-fracDigits))
		dv.Precision = PrecisionFraction
	}
	zone := loc
	if zone == nil {
		zone = time.UTC
	}
	if z := m[8]; z != "" {
		if z == "Z" {
			zone = time.UTC
		} else {
			h, mm := atoi(z[1:3]), atoi(z[4:6])
			if h > 14 || mm > 59 {
				return bad("time zone offset out of range")
			}
			off := h*3600 + mm*60
			if z[0] == '-' {
				off = -off
			}
			zone = time.FixedZone(z, off)
		}
	}
	dv.Start = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, zone)
	switch dv.Precision {
	case PrecisionYear:
		dv.End = dv.Start.AddDate(1, 0, 0)
	case PrecisionMonth:
		dv.End = dv.Start.AddDate(0, 1, 0)
	case PrecisionDay:
		dv.End = dv.Start.AddDate(0, 0, 1)
	case PrecisionMinute:
		dv.End = dv.Start.Add(time.Minute)
	case PrecisionSecond:
		dv.End = dv.Start.Add(time.Second)
	default:
		step := time.Duration(1)
		for i := fracDigits; i < 9; i++ {
			step *= 10
		}
		dv.End = dv.Start.Add(step)
	}
	return dv, nil
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// TokenValue is a parsed token search value.
type TokenValue struct {
	System    string
	HasSystem bool // a '|' was given: "|code" means "no system"
	Code      string
}

// ParseTokenValue parses "system|code", "code", "|code" or "system|".
func ParseTokenValue(param, s string) (TokenValue, error) {
	if s == "" {
		return TokenValue{}, &ParamError{Param: param, Value: s, Reason: "empty token"}
	}
	idx := -1
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '|' {
			if idx >= 0 {
				return TokenValue{}, &ParamError{Param: param, Value: s, Reason: "more than one '|' in a token (expected system|code)"}
			}
			idx = i
		}
	}
	if idx < 0 {
		return TokenValue{Code: unescape(s)}, nil
	}
	tv := TokenValue{System: unescape(s[:idx]), HasSystem: true, Code: unescape(s[idx+1:])}
	if tv.System == "" && tv.Code == "" {
		return TokenValue{}, &ParamError{Param: param, Value: s, Reason: "a token needs a system or a code"}
	}
	return tv, nil
}

// ReferenceValue is a parsed reference search value.
type ReferenceValue struct {
	Type, ID string
}

// ParseReferenceValue parses "123", "Patient/123" or an absolute URL ending
// in Type/id. modifierType is the type from a ":Type" modifier, if any.
func ParseReferenceValue(param, modifierType, s string) (ReferenceValue, error) {
	bad := func(reason string) (ReferenceValue, error) {
		return ReferenceValue{}, &ParamError{Param: param, Value: s, Reason: reason}
	}
	v := s
	if v == "" {
		return bad("empty reference")
	}
	var rv ReferenceValue
	parts := strings.Split(v, "/")
	switch {
	case len(parts) == 1:
		rv.ID = parts[0]
	case strings.Contains(v, "://"):
		if len(parts) < 5 {
			return bad("an absolute reference must end in Type/id")
		}
		rv.Type, rv.ID = parts[len(parts)-2], parts[len(parts)-1]
		if parts[len(parts)-2] == "_history" {
			return bad("version-specific references are not supported")
		}
	case len(parts) == 2:
		rv.Type, rv.ID = parts[0], parts[1]
	default:
		return bad("expected id, Type/id or an absolute URL")
	}
	if rv.Type != "" && !typeRe.MatchString(rv.Type) {
		return bad("not a resource type: " + rv.Type)
	}
	if !IsValidID(rv.ID) {
		return bad("not a valid id")
	}
	if modifierType != "" {
		if rv.Type != "" && rv.Type != modifierType {
			return bad(fmt.Sprintf("the reference type %s does not match the :%s modifier", rv.Type, modifierType))
		}
		rv.Type = modifierType
	}
	return rv, nil
}

var typeRe = regexp.MustCompile(`^[A-Z][A-Za-z]+$`)

// ParseStringValue checks a string search value.
func ParseStringValue(param, s string) (string, error) {
	v := strings.TrimSpace(unescape(s))
	if v == "" {
		return "", &ParamError{Param: param, Value: s, Reason: "empty string"}
	}
	return v, nil
}

// ParseCount parses _count: a non-negative integer, capped at max.
func ParseCount(s string, def, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, &ParamError{Param: "_count", Value: s, Reason: "must be a whole number, 0 or more"}
	}
	if n > max {
		n = max
	}
	return n, nil
}

var idRe = regexp.MustCompile(`^[A-Za-z0-9\-\.]{1,64}$`)

// IsValidID reports whether s is a valid FHIR id.
func IsValidID(s string) bool { return idRe.MatchString(s) }

// LikeEscape escapes %, _ and \ with '\' for a LIKE pattern.
func LikeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}
