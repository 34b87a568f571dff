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

// Patterns outside the portable subset are refused, and "." matches a
// newline as in PostgreSQL.
func TestCompilePortable(t *testing.T) {
	for _, p := range []string{`^[0-9]+$`, `[^0-9+]`, `\d{3}-\d{4}`, `a|b`, `\.`, `(ab)+`, `[]a]`, `\w+\s\W`, `[a\-z]`} {
		if _, err := Compile(p); err != nil {
			t.Errorf("%s refused: %v", p, err)
		}
	}
	for _, p := range []string{`\bMR\b`, `\pL`, `(?i)mr`, `a\z`, `\Aa`, `[\D]`, `\Qa.b\E`, `a\`} {
		if _, err := Compile(p); err == nil {
			t.Errorf("%s taken", p)
		}
	}
	re, _ := Compile("a.b")
	if !re.MatchString("a\nb") {
		t.Error(". does not match a newline")
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "ab", 2}, {"observaton", "observation", 1},
		{"kitten", "sitting", 3}, {"flaw", "lawn", 2},
	} {
		if got := EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
