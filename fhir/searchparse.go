package fhir

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file parses the names and values of FHIR STU3 search parameters
// (http://hl7.org/fhir/STU3/search.html). It builds no SQL: it turns query
// text into checked values, and every error is a *ParamError naming the
// parameter at fault.
//
// Escaping follows the specification: in a value, "\," "\|" "\$" and "\\"
// stand for a literal ',', '|', '$' and '\'. SplitOr splits on the
// unescaped commas and leaves every escape in place; each Parse*Value
// function then splits its own value (a token on its unescaped '|') and
// removes the escapes. A backslash before any other character is literal.

// ParamError says which search parameter is wrong and why.
type ParamError struct {
	Param  string // the parameter as given, for example "birthdate" or "family:exact"
	Value  string // the value at fault; empty when the name itself is wrong
	Reason string
}

func (e *ParamError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("parameter %q: %s", e.Param, e.Reason)
	}
	return fmt.Sprintf("parameter %q: value %q: %s", e.Param, e.Value, e.Reason)
}

// ParamKey is a parsed query-parameter name:
//
//	"family"                     {Name: "family"}
//	"family:exact"               {Name: "family", Modifier: "exact"}
//	"patient.identifier"         {Name: "patient", Chain: "identifier"}
//	"subject:Patient.identifier" {Name: "subject", Modifier: "Patient", Chain: "identifier"}
//	"_lastUpdated"               {Name: "_lastUpdated"}
//
// Chain is the rest of a chained name after the first '.', itself one or
// more links "name[:modifier]" joined by '.'. The reverse chain
// "_has:Type:reference:param" is Name "_has" with everything after the
// first ':' in Modifier. In every case
// Name + ":" + Modifier (if any) + "." + Chain (if any) is the text parsed.
type ParamKey struct {
	Name, Modifier, Chain string
}

// ParseParamKey parses a parameter name. A name is an optional '_' then a
// letter, then letters, digits and '-'; a modifier is a letter then
// letters, digits and '-'.
func ParseParamKey(s string) (ParamKey, error) {
	bad := func(reason string) (ParamKey, error) {
		return ParamKey{}, &ParamError{Param: s, Reason: reason}
	}
	if s == "" {
		return bad("empty parameter name")
	}
	if rest, ok := strings.CutPrefix(s, "_has:"); ok {
		parts := strings.Split(rest, ":")
		if len(parts) < 3 {
			return bad("a reverse chain must read _has:Type:reference:parameter")
		}
		for _, p := range parts {
			if p == "" || scanParamName(p, 0, true) != len(p) {
				return bad("a reverse chain must read _has:Type:reference:parameter")
			}
		}
		return ParamKey{Name: "_has", Modifier: rest}, nil
	}
	var k ParamKey
	i := scanParamName(s, 0, true)
	if i == 0 {
		return bad("not a valid search parameter name (expected a letter or '_' then letters, digits or '-')")
	}
	k.Name = s[:i]
	if i < len(s) && s[i] == ':' {
		j := scanParamName(s, i+1, false)
		if j == i+1 {
			return bad("empty or malformed modifier after ':'")
		}
		k.Modifier, i = s[i+1:j], j
	}
	if i < len(s) && s[i] == '.' {
		chain := s[i+1:]
		j := i + 1
		for {
			n := scanParamName(s, j, true)
			if n == j {
				return bad("empty or malformed link in the chain after '.'")
			}
			j = n
			if j < len(s) && s[j] == ':' {
				n = scanParamName(s, j+1, false)
				if n == j+1 {
					return bad("empty or malformed modifier in the chain after ':'")
				}
				j = n
			}
			if j < len(s) && s[j] == '.' {
				j++
				continue
			}
			break
		}
		k.Chain, i = chain, j
	}
	if i != len(s) {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return bad(fmt.Sprintf("unexpected %q in the parameter name", r))
	}
	return k, nil
}

// scanParamName returns the end of the name that starts at s[i], or i if there
// is none: an optional '_' (when underscore is true), a letter, then
// letters, digits and '-'.
func scanParamName(s string, i int, underscore bool) int {
	start := i
	if underscore && i < len(s) && s[i] == '_' {
		i++
	}
	if i >= len(s) || !asciiLetter(s[i]) {
		return start
	}
	for i++; i < len(s) && (asciiLetter(s[i]) || asciiDigit(s[i]) || s[i] == '-'); i++ {
	}
	return i
}

func asciiLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func asciiDigit(c byte) bool  { return '0' <= c && c <= '9' }

// SplitOr splits a parameter value on its unescaped commas: the items are
// ORed. Escapes are left in the items (so strings.Join(SplitOr(s), ",") is
// always s) for the Parse*Value functions to remove. There is always at
// least one item; items may be empty.
func SplitOr(s string) []string {
	out := make([]string, 0, 1+strings.Count(s, ","))
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // the escaped character is never a separator
		case ',':
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// unescapeSearch removes the search escapes "\|", "\$", "\," and "\\"; a
// backslash before any other character, or at the end, stays.
func unescapeSearch(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`|$,\`, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// indexUnescaped returns the index of the first c in s not escaped by a
// backslash, or -1.
func indexUnescaped(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case c:
			return i
		}
	}
	return -1
}

// checkSearchText applies the FHIR rule for strings: valid UTF-8 and no
// character below U+0020 other than tab, carriage return and line feed.
// It returns a reason, or "".
func checkSearchText(s string) string {
	if !utf8.ValidString(s) {
		return "not valid UTF-8"
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c == 0x7f {
			return "contains a control character"
		}
	}
	return ""
}

// Prefix is the comparison prefix of a date (or number) search value.
type Prefix string

// The STU3 comparison prefixes.
const (
	PrefixEq Prefix = "eq" // equal (the default when no prefix is given)
	PrefixNe Prefix = "ne" // not equal
	PrefixGt Prefix = "gt" // greater than
	PrefixLt Prefix = "lt" // less than
	PrefixGe Prefix = "ge" // greater or equal
	PrefixLe Prefix = "le" // less or equal
	PrefixSa Prefix = "sa" // starts after
	PrefixEb Prefix = "eb" // ends before
	PrefixAp Prefix = "ap" // approximately
)

func (p Prefix) valid() bool {
	switch p {
	case PrefixEq, PrefixNe, PrefixGt, PrefixLt, PrefixGe, PrefixLe, PrefixSa, PrefixEb, PrefixAp:
		return true
	}
	return false
}

// Precision is how much of a date search value was given.
type Precision int

// Precisions of a date search value, coarsest first.
const (
	PrecisionYear     Precision = iota + 1 // YYYY
	PrecisionMonth                         // YYYY-MM
	PrecisionDay                           // YYYY-MM-DD
	PrecisionMinute                        // YYYY-MM-DDThh:mm
	PrecisionSecond                        // YYYY-MM-DDThh:mm:ss
	PrecisionFraction                      // YYYY-MM-DDThh:mm:ss.f...
)

func (p Precision) String() string {
	switch p {
	case PrecisionYear:
		return "year"
	case PrecisionMonth:
		return "month"
	case PrecisionDay:
		return "day"
	case PrecisionMinute:
		return "minute"
	case PrecisionSecond:
		return "second"
	case PrecisionFraction:
		return "fraction"
	}
	return "Precision(" + strconv.Itoa(int(p)) + ")"
}

// DateValue is a parsed date search value. Its precision makes it the
// range [Start, End): "2019-03" is [2019-03-01T00:00, 2019-04-01T00:00).
type DateValue struct {
	Prefix    Prefix // PrefixEq when none was given
	Start     time.Time
	End       time.Time // exclusive; always after Start
	Precision Precision
	Text      string // the date as given, without the prefix
}

const dateSyntaxReason = "not a valid date (expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm], optionally after a prefix eq, ne, lt, gt, le, ge, sa, eb or ap)"

// ParseDateValue parses a date search value: an optional prefix (eq, ne,
// lt, gt, le, ge, sa, eb, ap) then a date or dateTime. A time needs hours
// and minutes; seconds and a fraction are optional. A value without a zone
// is read in loc (UTC if loc is nil); one with "Z" or ±hh:mm keeps that
// offset. Because a '+' in a query string decodes to a space unless it was
// sent as %2B, a space in place of the '+' of an offset is accepted.
//
// A day, month or year runs from the first instant of its first local day
// to the first instant of the day after its last. So a day can last 23 or
// 25 hours; a day whose midnight a daylight-saving change skips begins at
// the change, and one whose midnight is repeated begins at the first. A
// day that a zone change skipped whole is an error. A local time of day
// that a change skips or repeats resolves as time.Date resolves it, and a
// minute, second or fraction is measured in elapsed time from there, so
// Start is always before End.
func ParseDateValue(param, s string, loc *time.Location) (DateValue, error) {
	bad := func(reason string) (DateValue, error) {
		return DateValue{}, &ParamError{Param: param, Value: s, Reason: reason}
	}
	if s == "" {
		return bad("empty date")
	}
	dv := DateValue{Prefix: PrefixEq}
	v := s
	if len(v) >= 2 && asciiLetter(v[0]) && asciiLetter(v[1]) {
		p := Prefix(v[:2])
		if !p.valid() {
			return bad(fmt.Sprintf("unknown prefix %q (expected eq, ne, lt, gt, le, ge, sa, eb or ap)", v[:2]))
		}
		dv.Prefix, v = p, v[2:]
	}
	dv.Text = v
	if v == "" {
		return bad("a date must follow the prefix")
	}

	pos := 0
	num := func(n int) (int, bool) {
		if pos+n > len(v) {
			return 0, false
		}
		x := 0
		for _, c := range []byte(v[pos : pos+n]) {
			if !asciiDigit(c) {
				return 0, false
			}
			x = x*10 + int(c-'0')
		}
		pos += n
		return x, true
	}
	lit := func(c byte) bool {
		if pos < len(v) && v[pos] == c {
			pos++
			return true
		}
		return false
	}

	year, ok := num(4)
	if !ok {
		return bad(dateSyntaxReason)
	}
	if year == 0 {
		return bad("year 0000 is out of range")
	}
	month, day, hour, minute, sec, nsec, fracDigits := 1, 1, 0, 0, 0, 0, 0
	dv.Precision = PrecisionYear
	if lit('-') {
		if month, ok = num(2); !ok {
			return bad(dateSyntaxReason)
		}
		if month < 1 || month > 12 {
			return bad(fmt.Sprintf("month %02d is out of range (01-12)", month))
		}
		dv.Precision = PrecisionMonth
		if lit('-') {
			if day, ok = num(2); !ok {
				return bad(dateSyntaxReason)
			}
			if n := daysInMonth(year, month); day < 1 || day > n {
				return bad(fmt.Sprintf("day %02d is out of range for %04d-%02d (01-%02d)", day, year, month, n))
			}
			dv.Precision = PrecisionDay
			if lit('T') {
				if hour, ok = num(2); !ok {
					return bad(dateSyntaxReason)
				}
				if !lit(':') {
					return bad("a time needs hours and minutes (hh:mm)")
				}
				if minute, ok = num(2); !ok {
					return bad(dateSyntaxReason)
				}
				if hour > 23 || minute > 59 {
					return bad(fmt.Sprintf("time %02d:%02d is out of range (00:00-23:59)", hour, minute))
				}
				dv.Precision = PrecisionMinute
				if lit(':') {
					if sec, ok = num(2); !ok {
						return bad(dateSyntaxReason)
					}
					if sec > 59 {
						return bad(fmt.Sprintf("second %02d is out of range (00-59)", sec))
					}
					dv.Precision = PrecisionSecond
					if lit('.') {
						start := pos
						for pos < len(v) && asciiDigit(v[pos]) {
							if pos-start < 9 {
								nsec = nsec*10 + int(v[pos]-'0')
							}
							pos++
						}
						fracDigits = pos - start
						if fracDigits == 0 {
							return bad(dateSyntaxReason)
						}
						for i := fracDigits; i < 9; i++ {
							nsec *= 10
						}
						dv.Precision = PrecisionFraction
					}
				}
			}
		}
	}

	zone := loc
	if zone == nil {
		zone = time.UTC
	}
	if dv.Precision >= PrecisionMinute && pos < len(v) {
		switch c := v[pos]; c {
		case 'Z':
			pos++
			zone = time.UTC
		case '+', '-', ' ':
			pos++
			oh, ok1 := num(2)
			ok2 := lit(':')
			om, ok3 := num(2)
			if !ok1 || !ok2 || !ok3 {
				return bad("a time zone must be Z or ±hh:mm")
			}
			if om > 59 || oh*60+om > 14*60 {
				return bad("time zone offset out of range (-14:00 to +14:00)")
			}
			off, sign := oh*3600+om*60, '+'
			if c == '-' {
				off, sign = -off, '-'
			}
			zone = time.FixedZone(fmt.Sprintf("%c%02d:%02d", sign, oh, om), off)
		}
	}
	if pos != len(v) {
		return bad(dateSyntaxReason)
	}

	switch dv.Precision {
	case PrecisionYear:
		dv.Start = localDayStart(year, 1, 1, zone)
		dv.End = localDayStart(year+1, 1, 1, zone)
	case PrecisionMonth:
		dv.Start = localDayStart(year, month, 1, zone)
		dv.End = localDayStart(year, month+1, 1, zone)
	case PrecisionDay:
		dv.Start = localDayStart(year, month, day, zone)
		dv.End = localDayStart(year, month, day+1, zone)
	default:
		dv.Start = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, zone)
		step := time.Minute
		switch dv.Precision {
		case PrecisionSecond:
			step = time.Second
		case PrecisionFraction:
			step = time.Nanosecond
			for i := fracDigits; i < 9; i++ {
				step *= 10
			}
		}
		dv.End = dv.Start.Add(step)
	}
	if !dv.Start.Before(dv.End) {
		// Only a day that a zone change skipped whole (as Samoa skipped
		// 2011-12-30) is empty.
		return bad(fmt.Sprintf("the day does not exist in the time zone %s", zone))
	}
	return dv, nil
}

// localDayStart returns the first instant of the local day year-month-day in
// loc (the date is normalised, so month 13 is January of the next year).
// Where a daylight-saving change skips midnight, the day starts at the
// change, and where one repeats midnight, at the first midnight;
// time.Date alone can give an instant an hour off in both cases.
func localDayStart(year, month, day int, loc *time.Location) time.Time {
	y, m, d := time.Date(year, time.Month(month), day, 12, 0, 0, 0, time.UTC).Date()
	isMidnight := func(t time.Time) bool {
		ty, tm, td := t.Date()
		return ty == y && tm == m && td == d && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	start, end := t.ZoneBounds()
	if isMidnight(t) {
		// Where a change repeats midnight, the day began at the first.
		if !start.IsZero() {
			_, now := t.Zone()
			_, before := start.Add(-time.Nanosecond).Zone()
			if e := t.Add(time.Duration(now-before) * time.Second); e.Before(start) && isMidnight(e) {
				return e
			}
		}
		return t
	}
	if ty, tm, td := t.Date(); ty == y && tm == m && td == d {
		// Read with the offset from before the change: t is after
		// midnight, in the period that the change began.
		if !start.IsZero() {
			return start
		}
	} else if !end.IsZero() {
		// Read with the offset from after the change: t is on an earlier
		// day, in the period that the change ended.
		return end
	}
	return t
}

func daysInMonth(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// TokenValue is a parsed token search value:
//
//	"system|code"  {System: "system", HasSystem: true, Code: "code"}
//	"code"         {Code: "code"}                    any system
//	"|code"        {HasSystem: true, Code: "code"}   no system
//	"system|"      {System: "system", HasSystem: true} any code in the system
type TokenValue struct {
	System    string
	HasSystem bool // a '|' was given, so System is a condition even when empty
	Code      string
}

// ParseTokenValue parses a token search value, splitting it on its one
// unescaped '|' and removing the escapes. An empty value, a lone '|' and
// more than one unescaped '|' are errors.
func ParseTokenValue(param, s string) (TokenValue, error) {
	bad := func(reason string) (TokenValue, error) {
		return TokenValue{}, &ParamError{Param: param, Value: s, Reason: reason}
	}
	if s == "" {
		return bad("empty token (expected [system|]code)")
	}
	var tv TokenValue
	if i := indexUnescaped(s, '|'); i < 0 {
		tv.Code = unescapeSearch(s)
	} else {
		if indexUnescaped(s[i+1:], '|') >= 0 {
			return bad(`more than one '|' in a token (expected system|code; write a literal '|' as "\|")`)
		}
		tv = TokenValue{System: unescapeSearch(s[:i]), HasSystem: true, Code: unescapeSearch(s[i+1:])}
		if tv.System == "" && tv.Code == "" {
			return bad("a token needs a system or a code")
		}
	}
	for _, part := range []string{tv.System, tv.Code} {
		if r := checkSearchText(part); r != "" {
			return bad(r)
		}
	}
	return tv, nil
}

// ReferenceValue is a parsed reference search value.
type ReferenceValue struct {
	Type string // resource type; empty when the value gave none and there was no :Type modifier
	ID   string
	Base string // the service base of an absolute reference ("http://host/fhir"), else empty
}

// ParseReferenceValue parses a reference search value: "123",
// "Patient/123" or an absolute URL "http://host/fhir/Patient/123", whose
// last two segments are the type and id. modifierType is the type of a
// ":Type" modifier, or ""; it supplies Type when the value has none and must
// agree with the value's type otherwise. Version-specific references
// (".../_history/2") are refused.
func ParseReferenceValue(param, modifierType, s string) (ReferenceValue, error) {
	bad := func(reason string) (ReferenceValue, error) {
		return ReferenceValue{}, &ParamError{Param: param, Value: s, Reason: reason}
	}
	if modifierType != "" && !isResourceTypeName(modifierType) {
		return bad(fmt.Sprintf("the modifier :%s is not a resource type", modifierType))
	}
	v := unescapeSearch(s)
	if v == "" {
		return bad("empty reference")
	}
	if r := checkSearchText(v); r != "" {
		return bad(r)
	}
	var rv ReferenceValue
	if i := urlSchemeEnd(v); i > 0 {
		segs := strings.Split(v[i:], "/")
		n := len(segs)
		if n < 3 || segs[0] == "" {
			return bad("an absolute reference must read scheme://host/[path/]Type/id")
		}
		if n >= 5 && segs[n-2] == "_history" {
			return bad("version-specific references are not supported")
		}
		rv.Type, rv.ID = segs[n-2], segs[n-1]
		rv.Base = v[:len(v)-len(rv.Type)-len(rv.ID)-2]
		if rv.Type == "" {
			return bad("an absolute reference must end in Type/id")
		}
	} else {
		parts := strings.Split(v, "/")
		switch {
		case len(parts) == 1:
			rv.ID = parts[0]
		case len(parts) == 2:
			rv.Type, rv.ID = parts[0], parts[1]
			if rv.Type == "" {
				return bad("expected id, Type/id or an absolute URL ending in Type/id")
			}
		case len(parts) == 4 && parts[2] == "_history":
			return bad("version-specific references are not supported")
		default:
			return bad("expected id, Type/id or an absolute URL ending in Type/id")
		}
	}
	if rv.Type != "" && !isResourceTypeName(rv.Type) {
		return bad(fmt.Sprintf("%q is not a resource type", rv.Type))
	}
	if !IsValidID(rv.ID) {
		return bad(fmt.Sprintf("%q is not a valid id (1-64 of A-Z, a-z, 0-9, '-' and '.')", rv.ID))
	}
	if modifierType != "" {
		if rv.Type != "" && rv.Type != modifierType {
			return bad(fmt.Sprintf("the reference type %s does not match the :%s modifier", rv.Type, modifierType))
		}
		rv.Type = modifierType
	}
	return rv, nil
}

// urlSchemeEnd returns the index just after "scheme://" when s starts with
// one, else 0.
func urlSchemeEnd(s string) int {
	i := strings.Index(s, "://")
	if i <= 0 || !asciiLetter(s[0]) {
		return 0
	}
	for _, c := range []byte(s[1:i]) {
		if !asciiLetter(c) && !asciiDigit(c) && c != '+' && c != '-' && c != '.' {
			return 0
		}
	}
	return i + 3
}

// isResourceTypeName reports whether s looks like a resource type: an upper-case
// letter, then letters.
func isResourceTypeName(s string) bool {
	if len(s) < 2 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range []byte(s) {
		if !asciiLetter(c) {
			return false
		}
	}
	return true
}

// ParseStringValue checks a string search value and returns its text,
// unescaped and trimmed of surrounding white space. An empty or blank
// value is an error.
func ParseStringValue(param, s string) (string, error) {
	v := strings.TrimSpace(unescapeSearch(s))
	if v == "" {
		return "", &ParamError{Param: param, Value: s, Reason: "empty string"}
	}
	if r := checkSearchText(v); r != "" {
		return "", &ParamError{Param: param, Value: s, Reason: r}
	}
	return v, nil
}

// ParseCount parses the value of _count: digits only, giving a whole
// number 0 or more, capped at max. An empty value gives def.
func ParseCount(s string, def, max int) (int, error) {
	if s == "" {
		return def, nil
	}
	for _, c := range []byte(s) {
		if !asciiDigit(c) {
			return 0, &ParamError{Param: "_count", Value: s, Reason: "must be a whole number, 0 or more"}
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > max { // digits only, so an error is an overflow
		n = max
	}
	return n, nil
}

// IsValidID reports whether s is a valid FHIR id: 1 to 64 characters of
// A-Z, a-z, 0-9, '-' and '.'.
func IsValidID(s string) bool {
	if len(s) < 1 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !asciiLetter(c) && !asciiDigit(c) && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, `[`, `\[`)

// LikeEscape escapes '%', '_', '\' and '[' with '\', for a SQL LIKE
// pattern whose escape character is '\'. '[' opens a character class in
// SQL Server's LIKE; the other databases take '\[' as a plain '['.
func LikeEscape(s string) string { return likeEscaper.Replace(s) }
