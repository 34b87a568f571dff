package textfn

import (
	"testing"

	"github.com/ccfacade/ccfacade/internal/tabletest"
)

// Title, Before and After answer as testdata/title.json (value, its title
// case) and testdata/before-after.json (value, separator, the text
// before it, the text after it) say.
func TestTitle(t *testing.T) { tabletest.CheckFunc(t, "testdata/title.json", "Title", Title) }

func TestBeforeAfter(t *testing.T) {
	for _, c := range tabletest.Rows(t, "testdata/before-after.json", 4) {
		if got := Before(c[0], c[1]); got != c[2] {
			t.Errorf("Before(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
		if got := After(c[0], c[1]); got != c[3] {
			t.Errorf("After(%q, %q) = %q, want %q", c[0], c[1], got, c[3])
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
