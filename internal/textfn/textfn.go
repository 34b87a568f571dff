package textfn

import (
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

// Compile compiles a pattern of the portable subset: RE2 syntax, which
// PostgreSQL's regular expressions read the same way for the usual
// classes, anchors, alternation and repetition.
func Compile(pattern string) (*regexp.Regexp, error) { return regexp.Compile(pattern) }

// Replace replaces every match of re in s with the literal text with.
func Replace(re *regexp.Regexp, s, with string) string { return re.ReplaceAllLiteralString(s, with) }
