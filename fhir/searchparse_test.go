package fhir

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zone tests must not depend on the host's zoneinfo
)

func loadZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// wantParamError checks that err is a *ParamError for param and returns it.
func wantParamError(t *testing.T, what string, err error, param string) *ParamError {
	t.Helper()
	var pe *ParamError
	if !errors.As(err, &pe) {
		t.Errorf("%s: want a *ParamError, got %v", what, err)
		return nil
	}
	if pe.Param != param {
		t.Errorf("%s: ParamError names %q, want %q", what, pe.Param, param)
	}
	return pe
}

func TestParamErrorMessage(t *testing.T) {
	_, err := ParseDateValue("birthdate", "20x9", time.UTC)
	want := `parameter "birthdate": value "20x9": not a valid date (expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.fff]][Z|±hh:mm], optionally after a prefix eq, ne, lt, gt, le, ge, sa, eb or ap)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	_, err = ParseParamKey("fam ily")
	if want := `parameter "fam ily": unexpected ' ' in the parameter name`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestParseParamKey(t *testing.T) {
	cases := []struct {
		in   string
		want ParamKey
	}{
		{"family", ParamKey{Name: "family"}},
		{"family:exact", ParamKey{Name: "family", Modifier: "exact"}},
		{"code:not-in", ParamKey{Name: "code", Modifier: "not-in"}},
		{"patient.identifier", ParamKey{Name: "patient", Chain: "identifier"}},
		{"subject:Patient.identifier", ParamKey{Name: "subject", Modifier: "Patient", Chain: "identifier"}},
		{"subject:Patient.organization:Organization.name:exact", ParamKey{Name: "subject", Modifier: "Patient", Chain: "organization:Organization.name:exact"}},
		{"patient._id", ParamKey{Name: "patient", Chain: "_id"}},
		{"_lastUpdated", ParamKey{Name: "_lastUpdated"}},
		{"_id", ParamKey{Name: "_id"}},
		{"address-postalcode", ParamKey{Name: "address-postalcode"}},
		{"clinical-status", ParamKey{Name: "clinical-status"}},
		{"gender:missing", ParamKey{Name: "gender", Modifier: "missing"}},
		{"_has:Observation:patient:code", ParamKey{Name: "_has", Modifier: "Observation:patient:code"}},
		{"_has", ParamKey{Name: "_has"}},
		{"a", ParamKey{Name: "a"}},
	}
	for _, c := range cases {
		got, err := ParseParamKey(c.in)
		if err != nil || got != c.want {
			t.Errorf("%q: %+v %v, want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{
		"", ":exact", "a b", "fam'ly", "x:", "1abc", "-abc", "_", "__id", "_1",
		"family:", "family:exact:", "family::exact", "family:1x", "family.",
		"patient..identifier", "patient.identifier.", "patient.:x", "patient.x:",
		"family;drop", "family[0]", "famíly", "family\x00", "a.b:c:d",
		"_has:Observation", "_has:Observation:patient", "_has:Observation::code", "_has:",
	} {
		_, err := ParseParamKey(bad)
		wantParamError(t, bad, err, bad)
	}
}

func TestSplitOr(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", []string{""}},
		{"a", []string{"a"}},
		{"a,b", []string{"a", "b"}},
		{"a,", []string{"a", ""}},
		{",", []string{"", ""}},
		{",,a", []string{"", "", "a"}},
		{`a\,b,c`, []string{`a\,b`, "c"}},
		{`x\|y,z`, []string{`x\|y`, "z"}},
		{`a\\,b`, []string{`a\\`, "b"}},     // an escaped backslash, then a separator
		{`a\\\,b`, []string{`a\\\,b`}},      // an escaped backslash, then an escaped comma
		{`a\`, []string{`a\`}},              // a trailing backslash is literal
		{`a\b,c`, []string{`a\b`, "c"}},     // so is one before another character
		{`\,\,,\,`, []string{`\,\,`, `\,`}}, //
		{"é,ü", []string{"é", "ü"}},
	}
	for _, c := range cases {
		got := SplitOr(c.in)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("SplitOr(%q) = %q, want %q", c.in, got, c.want)
		}
		if j := strings.Join(got, ","); j != c.in {
			t.Errorf("SplitOr(%q) joins back to %q", c.in, j)
		}
	}
}

func TestUnescapeSearch(t *testing.T) {
	for in, want := range map[string]string{
		"plain":    "plain",
		`a\,b`:     "a,b",
		`a\|b`:     "a|b",
		`a\$b`:     "a$b",
		`a\\b`:     `a\b`,
		`a\\\|b`:   `a\|b`,
		`a\b`:      `a\b`,
		`a\`:       `a\`,
		`\\\\`:     `\\`,
		`O\'Brien`: `O\'Brien`,
	} {
		if got := unescapeSearch(in); got != want {
			t.Errorf("unescapeSearch(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDateValue(t *testing.T) {
	london := loadZone(t, "Europe/London")
	at := func(s string) time.Time {
		tt, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tt
	}
	cases := []struct {
		in         string
		loc        *time.Location
		prefix     Prefix
		start, end string
		prec       Precision
	}{
		// each precision
		{"2019", london, "eq", "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z", PrecisionYear},
		{"2019-03", london, "eq", "2019-03-01T00:00:00Z", "2019-04-01T00:00:00+01:00", PrecisionMonth},
		{"2019-07-04", london, "eq", "2019-07-04T00:00:00+01:00", "2019-07-05T00:00:00+01:00", PrecisionDay},
		{"2019-07-04T10:00", london, "eq", "2019-07-04T10:00:00+01:00", "2019-07-04T10:01:00+01:00", PrecisionMinute},
		{"2019-07-04T10:00:30", london, "eq", "2019-07-04T10:00:30+01:00", "2019-07-04T10:00:31+01:00", PrecisionSecond},
		{"2019-07-04T10:00:30.5", london, "eq", "2019-07-04T10:00:30.5+01:00", "2019-07-04T10:00:30.6+01:00", PrecisionFraction},
		{"2019-07-04T10:00:30.123", london, "eq", "2019-07-04T09:00:30.123Z", "2019-07-04T09:00:30.124Z", PrecisionFraction},
		{"2019-07-04T10:00:30.123456789Z", london, "eq", "2019-07-04T10:00:30.123456789Z", "2019-07-04T10:00:30.12345679Z", PrecisionFraction},
		{"2019-07-04T10:00:30.1234567891Z", london, "eq", "2019-07-04T10:00:30.123456789Z", "2019-07-04T10:00:30.12345679Z", PrecisionFraction},
		// every prefix
		{"eq2019", london, "eq", "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z", PrecisionYear},
		{"ne2019", london, "ne", "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z", PrecisionYear},
		{"lt2019-07-04T10:00", london, "lt", "2019-07-04T09:00:00Z", "2019-07-04T09:01:00Z", PrecisionMinute},
		{"gt2019-07-04", london, "gt", "2019-07-03T23:00:00Z", "2019-07-04T23:00:00Z", PrecisionDay},
		{"ge2019-03", london, "ge", "2019-03-01T00:00:00Z", "2019-03-31T23:00:00Z", PrecisionMonth},
		{"le2019-12", london, "le", "2019-12-01T00:00:00Z", "2020-01-01T00:00:00Z", PrecisionMonth},
		{"sa2019-01-01T00:00Z", london, "sa", "2019-01-01T00:00:00Z", "2019-01-01T00:01:00Z", PrecisionMinute},
		{"eb2019-01-01T00:00:00Z", london, "eb", "2019-01-01T00:00:00Z", "2019-01-01T00:00:01Z", PrecisionSecond},
		{"ap2019", london, "ap", "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z", PrecisionYear},
		// leap years: 2020 and 2000 are, 1900 is not (see the bad values)
		{"2020-02-29", london, "eq", "2020-02-29T00:00:00Z", "2020-03-01T00:00:00Z", PrecisionDay},
		{"2000-02-29", london, "eq", "2000-02-29T00:00:00Z", "2000-03-01T00:00:00Z", PrecisionDay},
		{"2020-02", time.UTC, "eq", "2020-02-01T00:00:00Z", "2020-03-01T00:00:00Z", PrecisionMonth},
		{"2019-12-31", time.UTC, "eq", "2019-12-31T00:00:00Z", "2020-01-01T00:00:00Z", PrecisionDay},
		// zones: an explicit zone wins over loc
		{"2019-07-04T10:00Z", london, "eq", "2019-07-04T10:00:00Z", "2019-07-04T10:01:00Z", PrecisionMinute},
		{"2019-07-04T10:00:30.5+02:00", london, "eq", "2019-07-04T08:00:30.5Z", "2019-07-04T08:00:30.6Z", PrecisionFraction},
		{"2019-07-04T10:00-05:30", london, "eq", "2019-07-04T15:30:00Z", "2019-07-04T15:31:00Z", PrecisionMinute},
		{"2019-07-04T10:00+14:00", london, "eq", "2019-07-03T20:00:00Z", "2019-07-03T20:01:00Z", PrecisionMinute},
		{"2019-07-04T10:00-14:00", london, "eq", "2019-07-05T00:00:00Z", "2019-07-05T00:01:00Z", PrecisionMinute},
		{"2019-07-04T10:00:00+00:00", london, "eq", "2019-07-04T10:00:00Z", "2019-07-04T10:00:01Z", PrecisionSecond},
		{"ge2019-07-04T10:00 01:00", london, "ge", "2019-07-04T09:00:00Z", "2019-07-04T09:01:00Z", PrecisionMinute}, // '+' decoded to ' '
		{"2019-07-04", nil, "eq", "2019-07-04T00:00:00Z", "2019-07-05T00:00:00Z", PrecisionDay},
		{"2019-07-04", loadZone(t, "America/New_York"), "eq", "2019-07-04T04:00:00Z", "2019-07-05T04:00:00Z", PrecisionDay},
		// daylight-saving days in London are 23 and 25 hours long
		{"2019-03-31", london, "eq", "2019-03-31T00:00:00Z", "2019-03-31T23:00:00Z", PrecisionDay},
		{"2019-10-27", london, "eq", "2019-10-26T23:00:00Z", "2019-10-28T00:00:00Z", PrecisionDay},
		// where a daylight-saving change skips midnight, the day starts at the change
		{"2019-09-08", loadZone(t, "America/Santiago"), "eq", "2019-09-08T04:00:00Z", "2019-09-09T03:00:00Z", PrecisionDay},
		{"2019-09", loadZone(t, "America/Santiago"), "eq", "2019-09-01T04:00:00Z", "2019-10-01T03:00:00Z", PrecisionMonth},
		{"2020-03-29", loadZone(t, "Asia/Beirut"), "eq", "2020-03-28T22:00:00Z", "2020-03-29T21:00:00Z", PrecisionDay},
		// the extremes
		{"0001", time.UTC, "eq", "0001-01-01T00:00:00Z", "0002-01-01T00:00:00Z", PrecisionYear},
		{"9999-12-31T23:59:59.999999999Z", time.UTC, "eq", "9999-12-31T23:59:59.999999999Z", "10000-01-01T00:00:00Z", PrecisionFraction},
	}
	for _, c := range cases {
		dv, err := ParseDateValue("date", c.in, c.loc)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		var end time.Time
		if strings.HasPrefix(c.end, "10000") {
			end = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		} else {
			end = at(c.end)
		}
		if dv.Prefix != c.prefix || !dv.Start.Equal(at(c.start)) || !dv.End.Equal(end) || dv.Precision != c.prec {
			t.Errorf("%s: %s [%v, %v) %v; want %s [%s, %s) %v", c.in, dv.Prefix, dv.Start, dv.End, dv.Precision, c.prefix, c.start, c.end, c.prec)
		}
		if want := strings.TrimPrefix(c.in, string(c.prefix)); dv.Text != want {
			t.Errorf("%s: Text %q, want %q", c.in, dv.Text, want)
		}
	}

	// A local time that the spring change skips still makes a one-minute range.
	dv, err := ParseDateValue("date", "2019-03-31T01:30", london)
	if err != nil || dv.End.Sub(dv.Start) != time.Minute {
		t.Errorf("skipped local time: %+v %v", dv, err)
	}
	// A zone given in the value is kept for display.
	dv, _ = ParseDateValue("date", "2019-07-04T10:00+02:00", london)
	if _, off := dv.Start.Zone(); off != 2*3600 {
		t.Errorf("offset %d, want +02:00", off)
	}
	dv, _ = ParseDateValue("date", "2019-07-04", london)
	if dv.Start.Location() != london {
		t.Errorf("location %v, want Europe/London", dv.Start.Location())
	}
}

func TestParseDateValueBad(t *testing.T) {
	london := loadZone(t, "Europe/London")
	cases := map[string]string{ // value → part of the reason
		"":                                 "empty date",
		"eq":                               "a date must follow",
		"20x9":                             "not a valid date",
		"19":                               "not a valid date",
		"20190":                            "not a valid date",
		"2019-1":                           "not a valid date",
		"2019-1-01":                        "not a valid date",
		"2019/01/01":                       "not a valid date",
		"2019-13":                          "month 13 is out of range",
		"2019-00":                          "month 00 is out of range",
		"0000":                             "year 0000",
		"2019-02-29":                       "day 29 is out of range for 2019-02 (01-28)",
		"1900-02-29":                       "day 29 is out of range for 1900-02",
		"2020-02-30":                       "day 30 is out of range",
		"2019-04-31":                       "day 31 is out of range",
		"2019-01-00":                       "day 00 is out of range",
		"2019-01-32":                       "day 32 is out of range",
		"2019-01-01T10":                    "hours and minutes",
		"2019-01-01T10Z":                   "hours and minutes",
		"2019-01-01T":                      "not a valid date",
		"2019-01-01T1:00":                  "not a valid date",
		"2019-01-01T10:0":                  "not a valid date",
		"2019-01-01T24:00":                 "time 24:00 is out of range",
		"2019-01-01T23:60":                 "time 23:60 is out of range",
		"2019-01-01T10:00:60":              "second 60 is out of range",
		"2019-01-01T10:00:00.":             "not a valid date",
		"2019-01-01T10:00:00.5.5":          "not a valid date",
		"2019-01-01T10:00:00,5":            "not a valid date",
		"2019-01-01T10:00.5":               "not a valid date",
		"xx2019":                           "unknown prefix \"xx\"",
		"EQ2019":                           "unknown prefix \"EQ\"",
		"e2019":                            "not a valid date",
		"eqge2019":                         "not a valid date",
		" 2019":                            "not a valid date",
		"2019 ":                            "not a valid date",
		"2019-01-01Z":                      "not a valid date",
		"2019Z":                            "not a valid date",
		"2019-01-01+01:00":                 "not a valid date",
		"2019-01-01T10:00+0100":            "a time zone must be",
		"2019-01-01T10:00+01":              "a time zone must be",
		"2019-01-01T10:00+1:00":            "a time zone must be",
		"2019-01-01T10:00 ":                "a time zone must be",
		"2019-01-01T10:00+15:00":           "offset out of range",
		"2019-01-01T10:00+14:01":           "offset out of range",
		"2019-01-01T10:00+01:60":           "offset out of range",
		"2019-01-01T10:00:00Zjunk":         "not a valid date",
		"2019-01-01T10:00:00+01:00:00":     "not a valid date",
		"2019-01-01T10:00:00z":             "not a valid date",
		"2019-01-01t10:00":                 "not a valid date",
		"2019-01-01 10:00":                 "not a valid date",
		"２０１９":                             "not a valid date",
		"2019-01-01T10:00:00.5\x00":        "not a valid date",
		"2019-01-01T10:00:00.5Z,2020":      "not a valid date",
		"ge2019-01-01T10:00:00.5Z\\,2020":  "not a valid date",
		"2019-01-01T10:00:00+01:00\u00a0":  "not a valid date",
		"2019-01-01T10:00:00.5-00:00:00Z ": "not a valid date",
	}
	for in, reason := range cases {
		_, err := ParseDateValue("birthdate", in, london)
		if pe := wantParamError(t, in, err, "birthdate"); pe != nil {
			if pe.Value != in || !strings.Contains(pe.Reason, reason) {
				t.Errorf("%q: %v; want the reason to contain %q", in, err, reason)
			}
		}
	}
}

func TestPrecisionString(t *testing.T) {
	want := []string{"year", "month", "day", "minute", "second", "fraction"}
	for i, w := range want {
		if got := Precision(i + 1).String(); got != w {
			t.Errorf("Precision(%d) = %q, want %q", i+1, got, w)
		}
	}
	if got := Precision(0).String(); got != "Precision(0)" {
		t.Errorf("Precision(0) = %q", got)
	}
}

func TestParseTokenValue(t *testing.T) {
	cases := map[string]TokenValue{
		"https://fhir.nhs.uk/Id/nhs-number|9434765919": {System: "https://fhir.nhs.uk/Id/nhs-number", HasSystem: true, Code: "9434765919"},
		"male":        {Code: "male"},
		"|male":       {HasSystem: true, Code: "male"},
		"sys|":        {System: "sys", HasSystem: true},
		`a\|b`:        {Code: "a|b"},
		`s\|t|c\|d`:   {System: "s|t", HasSystem: true, Code: "c|d"},
		`a\,b`:        {Code: "a,b"},
		`a\$b`:        {Code: "a$b"},
		`a\\|b`:       {System: `a\`, HasSystem: true, Code: "b"},
		`a\\\|b`:      {Code: `a\|b`},
		`a\b`:         {Code: `a\b`},
		`\`:           {Code: `\`},
		`x|\`:         {System: "x", HasSystem: true, Code: `\`},
		"Body height": {Code: "Body height"},
		"é|ü":         {System: "é", HasSystem: true, Code: "ü"},
		`\|`:          {Code: "|"},
	}
	for in, want := range cases {
		got, err := ParseTokenValue("t", in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "|", "a|b|c", "||", "a||", `a\\|b|c`, "a|b\x00", "\xff|a", "a\x1b", "\xd1|\x9a"} {
		_, err := ParseTokenValue("code", bad)
		if pe := wantParamError(t, bad, err, "code"); pe != nil && pe.Value != bad {
			t.Errorf("%q: the error holds the value %q", bad, pe.Value)
		}
	}
}

// TestOrThenToken follows the engine's path: split on commas, then parse
// each item.
func TestOrThenToken(t *testing.T) {
	in := `http://snomed.info/sct|123,|a\,b,s\|t|c\\,x`
	var got []TokenValue
	for _, item := range SplitOr(in) {
		tv, err := ParseTokenValue("code", item)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tv)
	}
	want := []TokenValue{
		{System: "http://snomed.info/sct", HasSystem: true, Code: "123"},
		{HasSystem: true, Code: "a,b"},
		{System: "s|t", HasSystem: true, Code: `c\`},
		{Code: "x"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseReferenceValue(t *testing.T) {
	cases := []struct {
		mod, in string
		want    ReferenceValue
	}{
		{"", "123", ReferenceValue{ID: "123"}},
		{"", "Patient/123", ReferenceValue{Type: "Patient", ID: "123"}},
		{"Patient", "123", ReferenceValue{Type: "Patient", ID: "123"}},
		{"Patient", "Patient/123", ReferenceValue{Type: "Patient", ID: "123"}},
		{"", "a.b-C", ReferenceValue{ID: "a.b-C"}},
		{"", strings.Repeat("x", 64), ReferenceValue{ID: strings.Repeat("x", 64)}},
		{"", "http://example.org/fhir/Patient/123", ReferenceValue{Type: "Patient", ID: "123", Base: "http://example.org/fhir"}},
		{"", "https://example.org:8443/a/b/c/Practitioner/p-1", ReferenceValue{Type: "Practitioner", ID: "p-1", Base: "https://example.org:8443/a/b/c"}},
		{"", "http://example.org/Patient/1", ReferenceValue{Type: "Patient", ID: "1", Base: "http://example.org"}},
		{"Patient", "http://example.org/fhir/Patient/123", ReferenceValue{Type: "Patient", ID: "123", Base: "http://example.org/fhir"}},
	}
	for _, c := range cases {
		got, err := ParseReferenceValue("patient", c.mod, c.in)
		if err != nil || got != c.want {
			t.Errorf("%s %s: %+v %v, want %+v", c.mod, c.in, got, err, c.want)
		}
	}
	bad := []struct{ mod, in, reason string }{
		{"", "", "empty reference"},
		{"", "a/b/c", "expected id"},
		{"", "/Patient/1", "expected id"},
		{"", "Patient/1/", "expected id"},
		{"Practitioner", "Patient/1", "does not match the :Practitioner modifier"},
		{"Practitioner", "http://x/fhir/Patient/1", "does not match"},
		{"missing", "1", "not a resource type"},
		{"patient", "1", "not a resource type"},
		{"", "Patient/", "not a valid id"},
		{"", "/1", "expected id"},
		{"", "patient/1", "not a resource type"},
		{"", "P/1", "not a resource type"},
		{"", "Patient/1 OR 1=1", "not a valid id"},
		{"", "Patient/1'", "not a valid id"},
		{"", strings.Repeat("x", 65), "not a valid id"},
		{"", "Patient/1/_history/2", "version-specific"},
		{"", "http://x/fhir/Patient/1/_history/2", "version-specific"},
		{"", "http://Patient/1", "absolute reference"},
		{"", "http:///Patient/1", "absolute reference"},
		{"", "http://x/fhir/Patient/1?x=y", "not a valid id"},
		{"", "http://x/fhir//1", "must end in Type/id"},
		{"", "urn:uuid:1234", "not a valid id"},
		{"", "1\x00", "control character"},
		{"", "Patient/1\\,2", "not a valid id"},
		{"", "Patient/a://b", "expected id"},
	}
	for _, c := range bad {
		_, err := ParseReferenceValue("patient", c.mod, c.in)
		if pe := wantParamError(t, c.in, err, "patient"); pe != nil && !strings.Contains(pe.Reason, c.reason) {
			t.Errorf("%s %q: %v; want the reason to contain %q", c.mod, c.in, err, c.reason)
		}
	}
}

func TestParseStringValue(t *testing.T) {
	for in, want := range map[string]string{
		"smith":        "smith",
		"  Smith ":     "Smith",
		`O\,Brien`:     "O,Brien",
		"O'Brien":      "O'Brien",
		`a\\b`:         `a\b`,
		"50%_off":      "50%_off",
		"Zoë":          "Zoë",
		"tab\tinside":  "tab\tinside",
		"\n\tSmith\r ": "Smith",
	} {
		got, err := ParseStringValue("family", in)
		if err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", " ", "\t\n", "a\x00b", "\xffsmith", "a\x7f"} {
		_, err := ParseStringValue("family", bad)
		wantParamError(t, bad, err, "family")
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]int{"": 50, "0": 0, "10": 10, "010": 10, "1000": 1000, "1001": 1000, "5000": 1000, "99999999999999999999999": 1000} {
		if got, err := ParseCount(in, 50, 1000); err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"-1", "-0", "+5", "x", "1.5", "1e3", " 5", "5 ", "０"} {
		_, err := ParseCount(bad, 50, 1000)
		wantParamError(t, bad, err, "_count")
	}
}

func TestIsValidID(t *testing.T) {
	for _, ok := range []string{"1", "a", "A-b.C", strings.Repeat("9", 64), "-", "."} {
		if !IsValidID(ok) {
			t.Errorf("%q should be valid", ok)
		}
	}
	for _, bad := range []string{"", strings.Repeat("9", 65), "a b", "a_b", "a/b", "é", "1;", "a\x00"} {
		if IsValidID(bad) {
			t.Errorf("%q should be invalid", bad)
		}
	}
}

func TestLikeEscape(t *testing.T) {
	for in, want := range map[string]string{
		"smith":   "smith",
		"50%":     `50\%`,
		"a_b":     `a\_b`,
		`a\b`:     `a\\b`,
		`%_\`:     `\%\_\\`,
		`\%`:      `\\\%`,
		"O'Brien": "O'Brien",
		"[ab]c":   `\[ab]c`,
	} {
		if got := LikeEscape(in); got != want {
			t.Errorf("LikeEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDateValueEveryDay walks every day and month from 1950 to 2040 in
// zones whose daylight-saving changes fall at or across midnight: each day
// starts at its first local instant and ends where the next one starts.
func TestDateValueEveryDay(t *testing.T) {
	for _, name := range []string{"Europe/London", "America/Santiago", "America/Sao_Paulo", "America/Havana", "Asia/Beirut", "Asia/Tehran", "Australia/Lord_Howe", "Pacific/Apia"} {
		loc := loadZone(t, name)
		var prevEnd time.Time
		for day := time.Date(1950, 1, 1, 12, 0, 0, 0, time.UTC); day.Year() <= 2040; day = day.AddDate(0, 0, 1) {
			text := day.Format("2006-01-02")
			dv, err := ParseDateValue("date", text, loc)
			if name == "Pacific/Apia" && text == "2011-12-30" { // skipped whole
				if err == nil {
					t.Fatalf("%s %s: accepted as [%v, %v)", name, text, dv.Start, dv.End)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s %s: %v", name, text, err)
			}
			y, m, d := day.Date()
			if sy, sm, sd := dv.Start.In(loc).Date(); sy != y || sm != m || sd != d {
				t.Fatalf("%s %s: starts at %v", name, text, dv.Start.In(loc))
			}
			if by, bm, bd := dv.Start.Add(-time.Nanosecond).In(loc).Date(); by == y && bm == m && bd == d {
				t.Fatalf("%s %s: the day began before %v", name, text, dv.Start.In(loc))
			}
			if !prevEnd.IsZero() && !prevEnd.Equal(dv.Start) {
				t.Fatalf("%s %s: starts at %v, the day before ended at %v", name, text, dv.Start, prevEnd)
			}
			if l := dv.End.Sub(dv.Start); l < 22*time.Hour || l > 26*time.Hour {
				t.Fatalf("%s %s: lasts %v", name, text, l)
			}
			prevEnd = dv.End
			if d == 1 {
				mv, err := ParseDateValue("date", text[:7], loc)
				if err != nil || !mv.Start.Equal(dv.Start) {
					t.Fatalf("%s %s: month starts at %v (%v), its first day at %v", name, text[:7], mv.Start, err, dv.Start)
				}
			}
		}
	}
}
