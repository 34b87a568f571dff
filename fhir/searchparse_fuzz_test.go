package fhir

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// escapeSearch is the inverse of unescapeSearch: it escapes '\', '|', ',' and '$'.
func escapeSearch(s string) string {
	return strings.NewReplacer(`\`, `\\`, `|`, `\|`, `,`, `\,`, `$`, `\$`).Replace(s)
}

// asParamError fails unless err is a *ParamError naming param.
func asParamError(t *testing.T, err error, param string) {
	t.Helper()
	var pe *ParamError
	if !errors.As(err, &pe) {
		t.Fatalf("error is not a *ParamError: %v", err)
	}
	if pe.Param != param {
		t.Fatalf("ParamError names %q, want %q", pe.Param, param)
	}
	if pe.Error() == "" {
		t.Fatal("empty error message")
	}
}

func FuzzParseParamKey(f *testing.F) {
	for _, s := range []string{
		"family", "family:exact", "patient.identifier", "subject:Patient.identifier",
		"subject:Patient.organization:Organization.name:exact", "_lastUpdated",
		"_has:Observation:patient:code", "address-postalcode", "x:", "a..b", "", "famíly",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseParamKey(s)
		if err != nil {
			asParamError(t, err, s)
			return
		}
		if k.Name == "" {
			t.Fatalf("%q: empty name accepted", s)
		}
		back := k.Name
		if k.Modifier != "" {
			back += ":" + k.Modifier
		}
		if k.Chain != "" {
			back += "." + k.Chain
		}
		if back != s {
			t.Fatalf("%q: parsed as %+v, which reads back as %q", s, k, back)
		}
		if strings.ContainsAny(k.Name, ":.") || strings.Contains(k.Modifier, ".") && k.Name != "_has" {
			t.Fatalf("%q: separators inside a part: %+v", s, k)
		}
		for _, c := range []byte(s) {
			if !asciiLetter(c) && !asciiDigit(c) && !strings.ContainsRune("_-:.", rune(c)) {
				t.Fatalf("%q: accepted the character %q", s, c)
			}
		}
		if k.Chain != "" {
			if _, err := ParseParamKey(k.Chain); err != nil && !strings.HasPrefix(k.Chain, "_has:") {
				t.Fatalf("%q: the chain %q is not itself a parameter name: %v", s, k.Chain, err)
			}
		}
	})
}

func FuzzSplitOr(f *testing.F) {
	for _, s := range []string{"a,b", `a\,b,c`, `x\|y,z`, `a\\,b`, `a\`, ",", "", `\\\,`} {
		f.Add(s, "item")
	}
	f.Fuzz(func(t *testing.T, s, item string) {
		parts := SplitOr(s)
		if len(parts) == 0 {
			t.Fatal("SplitOr returned nothing")
		}
		if j := strings.Join(parts, ","); j != s {
			t.Fatalf("%q: parts %q join back to %q", s, parts, j)
		}
		for _, p := range parts {
			if indexUnescaped(p, ',') >= 0 {
				t.Fatalf("%q: part %q holds an unescaped comma", s, p)
			}
		}
		// Escaped items survive a join, a split and an unescapeSearch unchanged.
		items := []string{s, item, ""}
		var esc []string
		for _, x := range items {
			esc = append(esc, escapeSearch(x))
		}
		got := SplitOr(strings.Join(esc, ","))
		if len(got) != len(items) {
			t.Fatalf("%q: %d items split into %d", items, len(items), len(got))
		}
		for i := range got {
			if u := unescapeSearch(got[i]); u != items[i] {
				t.Fatalf("item %q came back as %q", items[i], u)
			}
		}
	})
}

var fuzzZones = []string{"UTC", "Europe/London", "America/Santiago", "Asia/Beirut", "Australia/Lord_Howe", "Pacific/Apia", "Asia/Tehran"}

func FuzzParseDateValue(f *testing.F) {
	for _, s := range []string{
		"2019", "ge2019-03", "2020-02-29", "lt2019-07-04T10:00", "2019-07-04T10:00:30.5+02:00",
		"2019-03-31T01:30", "2019-10-27T01:30:00", "2019-07-04T10:00:30.1234567891Z", "eq", "20x9",
		"2019-01-01T10:00 01:00", "9999-12-31T23:59:59.999Z", "0001-01-01T00:00-14:00",
		"2019-09-08", "2020-03-29", "2011-12-30", "2011-12-30T10:00", "1978-08-05", // midnights skipped or repeated, a day skipped
	} {
		for z := range fuzzZones {
			f.Add(s, uint8(z))
		}
	}
	locs := make([]*time.Location, len(fuzzZones))
	for i, name := range fuzzZones {
		locs[i] = loadZone(f, name)
	}
	f.Fuzz(func(t *testing.T, s string, zone uint8) {
		loc := locs[int(zone)%len(locs)]
		dv, err := ParseDateValue("d", s, loc)
		if err != nil {
			asParamError(t, err, "d")
			return
		}
		if !dv.Start.Before(dv.End) {
			t.Fatalf("%q in %v: empty range [%v, %v)", s, loc, dv.Start, dv.End)
		}
		if !dv.Prefix.valid() {
			t.Fatalf("%q: prefix %q", s, dv.Prefix)
		}
		if dv.Precision < PrecisionYear || dv.Precision > PrecisionFraction {
			t.Fatalf("%q: precision %d", s, dv.Precision)
		}
		if !strings.HasSuffix(s, dv.Text) || len(s)-len(dv.Text) != 0 && string(dv.Prefix) != s[:2] {
			t.Fatalf("%q: prefix %q and text %q do not make the value", s, dv.Prefix, dv.Text)
		}
		// Sub-day ranges are exact lengths; day and longer ones are at least
		// a day less a zone change and at most a year plus one.
		d := dv.End.Sub(dv.Start)
		switch dv.Precision {
		case PrecisionMinute:
			if d != time.Minute {
				t.Fatalf("%q: minute range %v", s, d)
			}
		case PrecisionSecond:
			if d != time.Second {
				t.Fatalf("%q: second range %v", s, d)
			}
		case PrecisionFraction:
			if d <= 0 || d > 100*time.Millisecond {
				t.Fatalf("%q: fraction range %v", s, d)
			}
		default:
			if d < 20*time.Hour || d > 367*24*time.Hour {
				t.Fatalf("%q: %v range %v", s, dv.Precision, d)
			}
		}
		// A day, month or year read in loc starts at the first instant of
		// its first local day.
		if dv.Precision <= PrecisionDay {
			first, err := time.Parse("2006-01-02", (dv.Text + "-01-01")[:10])
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			fy, fm, fd := first.Date()
			if y, m, d := dv.Start.In(loc).Date(); y != fy || m != fm || d != fd {
				t.Fatalf("%q in %v: starts at %v", s, loc, dv.Start)
			}
			if y, m, d := dv.Start.Add(-time.Nanosecond).In(loc).Date(); y == fy && m == fm && d == fd {
				t.Fatalf("%q in %v: the day began before %v", s, loc, dv.Start)
			}
		}
		// The text alone parses to the same range, with the default prefix.
		again, err := ParseDateValue("d", dv.Text, loc)
		if err != nil || !again.Start.Equal(dv.Start) || !again.End.Equal(dv.End) || again.Precision != dv.Precision || again.Prefix != PrefixEq {
			t.Fatalf("%q: the text %q parses to %+v %v", s, dv.Text, again, err)
		}
		// With an explicit zone, formatting the start gives the text back
		// (fractions and a space for '+' aside).
		if dv.Precision == PrecisionSecond && strings.ContainsAny(dv.Text[len(dv.Text)-1:], "Z0123456789") && len(dv.Text) > 19 {
			want := strings.Replace(dv.Text, " ", "+", 1)
			if strings.HasSuffix(want, "+00:00") || strings.HasSuffix(want, "-00:00") {
				want = want[:len(want)-6] + "Z"
			}
			if got := dv.Start.Format(time.RFC3339); got != want {
				t.Fatalf("%q: start formats as %q", s, got)
			}
		}
	})
}

func FuzzParseTokenValue(f *testing.F) {
	for _, s := range []string{"a|b", "|b", "a|", `a\|b`, "x", `a\\|b`, `a\`, "|", "a|b|c", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tv, err := ParseTokenValue("t", s)
		if err != nil {
			asParamError(t, err, "t")
			return
		}
		if !tv.HasSystem && tv.System != "" {
			t.Fatalf("%q: system without a bar", s)
		}
		if tv.Code == "" && tv.System == "" {
			t.Fatalf("%q: empty token accepted", s)
		}
		if !utf8.ValidString(tv.System) || !utf8.ValidString(tv.Code) {
			t.Fatalf("%q: invalid UTF-8 accepted", s)
		}
		// The raw code is what follows the one unescaped bar, and it holds
		// no unescaped bar itself.
		raw := s
		if i := indexUnescaped(s, '|'); i >= 0 {
			if !tv.HasSystem {
				t.Fatalf("%q: a bar but no system", s)
			}
			raw = s[i+1:]
		} else if tv.HasSystem {
			t.Fatalf("%q: a system but no bar", s)
		}
		if indexUnescaped(raw, '|') >= 0 {
			t.Fatalf("%q: code part %q holds an unescaped bar", s, raw)
		}
		if unescapeSearch(raw) != tv.Code {
			t.Fatalf("%q: code %q, want %q", s, tv.Code, unescapeSearch(raw))
		}
		// Escaping the parts again gives the same token.
		back := escapeSearch(tv.Code)
		if tv.HasSystem {
			back = escapeSearch(tv.System) + "|" + back
		}
		again, err := ParseTokenValue("t", back)
		if err != nil || again != tv {
			t.Fatalf("%q: re-escaped as %q, parses to %+v %v", s, back, again, err)
		}
		// An escaped item of an OR list parses the same.
		parts := SplitOr(escapeSearch(s) + ",x")
		if len(parts) != 2 || unescapeSearch(parts[0]) != s {
			t.Fatalf("%q: escaped list split into %q", s, parts)
		}
	})
}

func FuzzParseReferenceValue(f *testing.F) {
	for _, s := range []string{"123", "Patient/123", "http://x/fhir/Patient/1", "a/b/c", "", "Patient/1/_history/2", "urn:uuid:1"} {
		f.Add(s, "")
		f.Add(s, "Patient")
	}
	f.Fuzz(func(t *testing.T, s, mod string) {
		rv, err := ParseReferenceValue("r", mod, s)
		if err != nil {
			asParamError(t, err, "r")
			return
		}
		if !IsValidID(rv.ID) {
			t.Fatalf("%q: invalid id %q accepted", s, rv.ID)
		}
		if rv.Type != "" && !isResourceTypeName(rv.Type) {
			t.Fatalf("%q: invalid type %q accepted", s, rv.Type)
		}
		if mod != "" && rv.Type != mod {
			t.Fatalf("%q :%s: type %q", s, mod, rv.Type)
		}
		v := unescapeSearch(s)
		if !strings.HasSuffix(v, rv.ID) {
			t.Fatalf("%q: id %q is not the end of the value", s, rv.ID)
		}
		if rv.Base != "" && v != rv.Base+"/"+rv.Type+"/"+rv.ID {
			t.Fatalf("%q: base %q type %q id %q", s, rv.Base, rv.Type, rv.ID)
		}
		// The relative form parses back to the same type and id.
		rel := rv.ID
		if rv.Type != "" {
			rel = rv.Type + "/" + rv.ID
		}
		again, err := ParseReferenceValue("r", mod, rel)
		if err != nil || again.Type != rv.Type || again.ID != rv.ID || again.Base != "" {
			t.Fatalf("%q: %q parses to %+v %v", s, rel, again, err)
		}
	})
}
