package fhir

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseParamKey(t *testing.T) {
	cases := map[string]ParamKey{
		"family":                     {Name: "family"},
		"family:exact":               {Name: "family", Modifier: "exact"},
		"patient.identifier":         {Name: "patient", Chain: "identifier"},
		"subject:Patient.identifier": {Name: "subject", Modifier: "Patient", Chain: "identifier"},
		"_lastUpdated":               {Name: "_lastUpdated"},
		"address-postalcode":         {Name: "address-postalcode"},
	}
	for in, want := range cases {
		got, err := ParseParamKey(in)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", ":exact", "a b", "fam'ly", "x:", "1abc"} {
		if _, err := ParseParamKey(bad); err == nil {
			t.Errorf("%q should be refused", bad)
		}
	}
}

func TestSplitOr(t *testing.T) {
	cases := map[string]string{
		"a,b":    "a|b",
		`a\,b,c`: "a,b|c",
		"a":      "a",
		"a,":     "a|",
		`x\|y,z`: `x\|y|z`,
	}
	for in, want := range cases {
		if got := strings.Join(SplitOr(in), "|"); got != want {
			t.Errorf("SplitOr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseDateValue(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	utc := func(s string) time.Time { tt, _ := time.Parse(time.RFC3339Nano, s); return tt }
	cases := []struct {
		in         string
		prefix     Prefix
		start, end string
		prec       Precision
	}{
		{"2019", "", "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z", PrecisionYear},
		{"ge2019-03", "ge", "2019-03-01T00:00:00Z", "2019-04-01T00:00:00+01:00", PrecisionMonth},
		{"2020-02-29", "", "2020-02-29T00:00:00Z", "2020-03-01T00:00:00Z", PrecisionDay},
		{"lt2019-07-04T10:00", "lt", "2019-07-04T10:00:00+01:00", "2019-07-04T10:01:00+01:00", PrecisionMinute},
		{"2019-07-04T10:00:30Z", "", "2019-07-04T10:00:30Z", "2019-07-04T10:00:31Z", PrecisionSecond},
		{"2019-07-04T10:00:30.5+02:00", "", "2019-07-04T08:00:30.5Z", "2019-07-04T08:00:30.6Z", PrecisionFraction},
		{"ap2019", "ap", "2019-01-01T00:00:00Z", "2020-01-01T00:00:00Z", PrecisionYear},
	}
	for _, c := range cases {
		dv, err := ParseDateValue("date", c.in, london)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if dv.Prefix != c.prefix || !dv.Start.Equal(utc(c.start)) || !dv.End.Equal(utc(c.end)) || dv.Precision != c.prec {
			t.Errorf("%s: %s %v..%v %v; want %s %s..%s %v", c.in, dv.Prefix, dv.Start, dv.End, dv.Precision, c.prefix, c.start, c.end, c.prec)
		}
	}
	for _, bad := range []string{"", "20x9", "2019-13", "2019-02-29", "2019-04-31", "2019-01-01T10", "2019-01-01T24:00", "xx2019", "2019-01-01T10:00+15:00", "eq"} {
		_, err := ParseDateValue("birthdate", bad, london)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Param != "birthdate" {
			t.Errorf("%q: want a ParamError naming birthdate, got %v", bad, err)
		}
	}
}

func TestParseTokenValue(t *testing.T) {
	cases := map[string]TokenValue{
		"https://fhir.nhs.uk/Id/nhs-number|9434765919": {System: "https://fhir.nhs.uk/Id/nhs-number", HasSystem: true, Code: "9434765919"},
		"male":  {Code: "male"},
		"|male": {HasSystem: true, Code: "male"},
		"sys|":  {System: "sys", HasSystem: true},
		`a\|b`:  {Code: "a|b"},
	}
	for in, want := range cases {
		got, err := ParseTokenValue("t", in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "|", "a|b|c"} {
		if _, err := ParseTokenValue("t", bad); err == nil {
			t.Errorf("%q should be refused", bad)
		}
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
		{"", "http://example.org/fhir/Patient/123", ReferenceValue{Type: "Patient", ID: "123"}},
	}
	for _, c := range cases {
		got, err := ParseReferenceValue("patient", c.mod, c.in)
		if err != nil || got != c.want {
			t.Errorf("%s %s: %+v %v", c.mod, c.in, got, err)
		}
	}
	for _, bad := range [][2]string{{"", ""}, {"", "a/b/c"}, {"Practitioner", "Patient/1"}, {"", "Patient/"}, {"", "patient/1"}, {"", "Patient/1 OR 1=1"}} {
		if _, err := ParseReferenceValue("patient", bad[0], bad[1]); err == nil {
			t.Errorf("%v should be refused", bad)
		}
	}
}

func TestParseCount(t *testing.T) {
	for in, want := range map[string]int{"": 50, "0": 0, "10": 10, "5000": 1000} {
		if got, err := ParseCount(in, 50, 1000); err != nil || got != want {
			t.Errorf("%q: %d %v", in, got, err)
		}
	}
	for _, bad := range []string{"-1", "x", "1.5"} {
		if _, err := ParseCount(bad, 50, 1000); err == nil {
			t.Errorf("%q should be refused", bad)
		}
	}
}

func FuzzParseDateValue(f *testing.F) {
	for _, s := range []string{"2019", "ge2019-03", "2020-02-29", "lt2019-07-04T10:00", "2019-07-04T10:00:30.5+02:00", "eq", "20x9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dv, err := ParseDateValue("d", s, time.UTC)
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("%q: error is not a ParamError: %v", s, err)
			}
			return
		}
		if !dv.Start.Before(dv.End) {
			t.Fatalf("%q: empty range %v..%v", s, dv.Start, dv.End)
		}
	})
}

func FuzzParseTokenValue(f *testing.F) {
	for _, s := range []string{"a|b", "|b", "a|", `a\|b`, "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tv, err := ParseTokenValue("t", s)
		if err != nil {
			return
		}
		if !tv.HasSystem && tv.System != "" {
			t.Fatalf("%q: system without a bar", s)
		}
		if tv.Code == "" && tv.System == "" {
			t.Fatalf("%q: empty token accepted", s)
		}
	})
}

func FuzzParseReferenceValue(f *testing.F) {
	for _, s := range []string{"123", "Patient/123", "http://x/fhir/Patient/1", "a/b/c", ""} {
		f.Add(s, "")
		f.Add(s, "Patient")
	}
	f.Fuzz(func(t *testing.T, s, mod string) {
		rv, err := ParseReferenceValue("r", mod, s)
		if err != nil {
			return
		}
		if !IsValidID(rv.ID) {
			t.Fatalf("%q: invalid id %q accepted", s, rv.ID)
		}
		if mod != "" && rv.Type != mod {
			t.Fatalf("%q :%s: type %q", s, mod, rv.Type)
		}
	})
}

func FuzzSearchParams(f *testing.F) {
	for _, s := range []string{"family:exact", "patient.identifier", "a,b", `x\,y`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := ParseParamKey(s); err == nil && k.Name == "" {
			t.Fatalf("%q: empty name accepted", s)
		}
		parts := SplitOr(s)
		if len(parts) == 0 {
			t.Fatal("SplitOr returned nothing")
		}
	})
}
