package textfn

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Title upper-cases the first letter of each word and lower-cases the
// rest; a word is a run of letters and digits (as PostgreSQL's initcap):
// "o'BRIEN-smith" is "O'Brien-Smith".
func Title(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	inWord := false
	for _, r := range s {
		alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
		switch {
		case alnum && !inWord:
			b.WriteRune(unicode.ToUpper(r))
		case alnum:
			b.WriteRune(unicode.ToLower(r))
		default:
			b.WriteRune(r)
		}
		inWord = alnum
	}
	return b.String()
}

// Before is the text before the first sep, or all of s when sep is not in
// it: Before("SMITH, John", ",") is "SMITH".
func Before(s, sep string) string {
	if i := strings.Index(s, sep); i >= 0 {
		return s[:i]
	}
	return s
}

// After is the text after the first sep, or "" when sep is not in it:
// After("SMITH, John", ",") is " John".
func After(s, sep string) string {
	if i := strings.Index(s, sep); i >= 0 {
		return s[i+len(sep):]
	}
	return ""
}

// Runes is the length of s in characters, as SQL's LENGTH counts them.
func Runes(s string) int { return utf8.RuneCountInString(s) }

// Compile compiles a pattern of the portable subset: the syntax that Go
// (RE2) and PostgreSQL's regular expressions read the same way: literal
// characters, ., bracket classes, anchors ^ and $, groups, alternation,
// repetition (* + ? {n,m}), and the escapes \d \s \w (and, outside
// brackets, \D \S \W) and of punctuation. Flags ((?i)), word boundaries
// (\b, which PostgreSQL reads as a backspace), Unicode classes (\pL) and
// \A \z \Q are refused. "." matches a newline, as in PostgreSQL.
func Compile(pattern string) (*regexp.Regexp, error) {
	if err := portable(pattern); err != nil {
		return nil, err
	}
	return regexp.Compile("(?s)" + pattern)
}

// portable checks a pattern against the subset Compile takes.
func portable(p string) error {
	inClass := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\':
			if i+1 >= len(p) {
				return fmt.Errorf("the pattern ends with a lone \\")
			}
			e := p[i+1]
			i++
			switch {
			case e == 'd' || e == 's' || e == 'w':
			case (e == 'D' || e == 'S' || e == 'W') && !inClass:
			case e == 'D' || e == 'S' || e == 'W':
				return fmt.Errorf("\\%c inside brackets is read differently by PostgreSQL; write the class out", e)
			case strings.IndexByte(`.\()[]{}*+?|^$-/`, e) >= 0:
			default:
				return fmt.Errorf("the escape \\%c is not read the same way by every database (use \\d \\s \\w, bracket classes and escaped punctuation)", e)
			}
		case c == '[' && !inClass:
			inClass = true
			if i+1 < len(p) && p[i+1] == '^' {
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				i++ // a ] first in a class is a literal
			}
		case c == ']' && inClass:
			inClass = false
		case c == '(' && !inClass && i+1 < len(p) && p[i+1] == '?':
			return fmt.Errorf("flags and special groups ((?…)) are not read the same way by every database")
		}
	}
	return nil
}

// Replace replaces every match of re in s with the literal text with.
func Replace(re *regexp.Regexp, s, with string) string { return re.ReplaceAllLiteralString(s, with) }

// EditDistance is the Levenshtein distance between a and b, in bytes: how
// far a mistyped name is from a known one, for "did you mean" messages.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
