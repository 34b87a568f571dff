package mapping

import (
	"regexp"
	"testing"
)

var fhirID = regexp.MustCompile(`^[A-Za-z0-9\-\.]{1,64}$`)

func TestIDRoundTrip(t *testing.T) {
	cases := []struct {
		key  []any
		want string
	}{
		{[]any{int64(123)}, "123"},
		{[]any{"A81001"}, "A81001"},
		{[]any{"RX1", int64(7)}, "RX1.7"},
		{[]any{"a-b"}, "a-2Db"},
		{[]any{"a.b c"}, "a-2Eb-20c"},
		{[]any{"Zoë"}, "Zo-C3-AB"},
	}
	for _, c := range cases {
		id, err := EncodeID(c.key)
		if err != nil || id != c.want {
			t.Errorf("EncodeID(%v) = %q, %v; want %q", c.key, id, err, c.want)
			continue
		}
		back, err := DecodeID(id, len(c.key))
		if err != nil {
			t.Errorf("DecodeID(%q): %v", id, err)
			continue
		}
		for i, k := range c.key {
			if back[i] != toString(k) {
				t.Errorf("DecodeID(%q)[%d] = %q, want %v", id, i, back[i], k)
			}
		}
	}
	for _, bad := range []string{"", "a..b", "a-2", "a-zz", "a/b", "a.b"} {
		if _, err := DecodeID(bad, 1); err == nil {
			t.Errorf("DecodeID(%q) should fail", bad)
		}
	}
	if _, err := EncodeID([]any{nil}); err == nil {
		t.Error("a NULL key must not make an id")
	}
}

func FuzzID(f *testing.F) {
	for _, s := range []string{"123", "a-b", "a.b c", "Zoë", ""} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		id, err := EncodeID([]any{a, b})
		if err != nil {
			return
		}
		if !fhirID.MatchString(id) {
			t.Fatalf("id %q is not a valid FHIR id", id)
		}
		back, err := DecodeID(id, 2)
		if err != nil || back[0] != a || back[1] != b {
			t.Fatalf("round trip of %q,%q via %q gave %q (%v)", a, b, id, back, err)
		}
	})
}
