package textfn

import "testing"

func TestTitle(t *testing.T) {
	for in, want := range map[string]string{
		"SMITH":         "Smith",
		"o'BRIEN-smith": "O'Brien-Smith",
		"mc donald":     "Mc Donald",
		"3RD floor":     "3rd Floor",
		"élise ZOË":     "Élise Zoë",
		"":              "",
		"  a  b ":       "  A  B ",
	} {
		if got := Title(in); got != want {
			t.Errorf("Title(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBeforeAfter(t *testing.T) {
	for _, c := range []struct{ s, sep, before, after string }{
		{"SMITH, John", ",", "SMITH", " John"},
		{"SMITH", ",", "SMITH", ""},
		{"a, b, c", ", ", "a", "b, c"},
		{"", ",", "", ""},
		{",x", ",", "", "x"},
		{"Zoë–Ann", "–", "Zoë", "Ann"},
	} {
		if got := Before(c.s, c.sep); got != c.before {
			t.Errorf("Before(%q, %q) = %q, want %q", c.s, c.sep, got, c.before)
		}
		if got := After(c.s, c.sep); got != c.after {
			t.Errorf("After(%q, %q) = %q, want %q", c.s, c.sep, got, c.after)
		}
	}
}
