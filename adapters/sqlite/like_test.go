package sqlite

import (
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
)

func TestLikeMatch(t *testing.T) {
	for _, tc := range []struct {
		s, p string
		want bool
	}{
		{"Smith", "Smi%", true},
		{"Smith", "smi%", false},
		{"Smith", "%ith", true},
		{"Smith", "%IT%", false},
		{"Smith", "S_ith", true},
		{"Smith", "S_th", false},
		{"", "%", true},
		{"", "_", false},
		{"a%b", `a\%b`, true},
		{"axb", `a\%b`, false},
		{"a_b", `a\_b`, true},
		{"axb", `a\_b`, false},
		{`a\b`, `a\\b`, true},
		{"Zoë", "Zo_", true},
		{"mississippi", "%ss%ss%pi", true},
		{"mississippi", "%ss%ss%ss%", false},
		{strings.Repeat("a", 200), strings.Repeat("%a", 30) + "b", false},
	} {
		if got := likeMatch(tc.s, tc.p); got != tc.want {
			t.Errorf("likeMatch(%q, %q) = %v", tc.s, tc.p, got)
		}
	}
}

// FuzzLikeMatch checks likeMatch against SQLite's own LIKE on ASCII text,
// where SQLite ignores case: both sides are lower-cased first.
func FuzzLikeMatch(f *testing.F) {
	db, err := Open(f.Context(), "file:"+f.TempDir()+"/fuzz.db", adapters.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	for _, seed := range [][2]string{{"Smith", "smi%"}, {"a%b", `a\%b`}, {"abcabc", "%b_a%"}, {`x\y`, `x\\%`}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, s, p string) {
		for _, c := range s + p {
			if c == 0 || c > 127 {
				return
			}
		}
		if strings.HasSuffix(strings.ReplaceAll(p, `\\`, ""), `\`) {
			return // a pattern never ends in a lone escape
		}
		s, p = strings.ToLower(s), strings.ToLower(p)
		var want bool
		if err := db.DB().Get(&want, `SELECT ?1 LIKE ?2 ESCAPE '\'`, s, p); err != nil {
			t.Fatal(err)
		}
		if got := likeMatch(s, p); got != want {
			t.Errorf("likeMatch(%q, %q) = %v, SQLite says %v", s, p, got, want)
		}
	})
}
