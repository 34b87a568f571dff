package adapters

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/ccfacade/ccfacade/textfn"
)

// Constructs are SQL constructs that some dialects accept and others do
// not: what lint looks for in the raw SQL a mapping author writes (a
// query, an sql expression, a where), to say which adapters a set is tied
// to. A construct ending in "(" is a function; one of keywordCalls is a
// function called with a keyword between its arguments (the standard
// SUBSTRING(x FROM y), not SUBSTRING(x, y)); the others are operators and
// words. Each adapter package lists the ones its dialect accepts
// (Accepted), and the registry puts the lists together.
var Constructs = []string{
	"||", "::", "ILIKE", "CURRENT_DATE", "LIMIT", "TOP", "NVARCHAR",
	"SPLIT_PART(", "INITCAP(", "STRPOS(", "REGEXP_REPLACE(", "DATE_TRUNC(", "TO_CHAR(", "TO_DATE(", "NOW(", "AGE(",
	"SUBSTRING(x FROM y)", "POSITION(x IN y)",
	"LENGTH(", "SUBSTR(", "INSTR(", "IFNULL(", "STRFTIME(", "JULIANDAY(", "GROUP_CONCAT(", "DATE(",
	"GETDATE(", "ISNULL(", "LEN(", "CHARINDEX(", "DATEADD(", "DATEDIFF(", "STRING_AGG(", "CONVERT(", "FORMAT(",
}

// keywordCalls are the constructs of Constructs that are a call of a
// function with a keyword among its arguments (at the call's own level of
// parentheses).
var keywordCalls = map[string]struct{ name, keyword string }{
	"SUBSTRING(x FROM y)": {"SUBSTRING", "FROM"},
	"POSITION(x IN y)":    {"POSITION", "IN"},
}

// Uses returns the constructs of Constructs that sql uses, outside its
// string literals and quoted names, in the order of Constructs.
func Uses(sql string) []string {
	var b strings.Builder
	quote := rune(0)
	for _, r := range sql {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
			b.WriteRune(' ')
		case r == '\'' || r == '"' || r == '`':
			quote = r
			b.WriteRune(' ')
		case r == '[':
			quote = ']'
			b.WriteRune(' ')
		default:
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	text := b.String()
	var out []string
	for _, c := range Constructs {
		if hasConstruct(text, c) {
			out = append(out, c)
		}
	}
	return out
}

// hasConstruct finds c in text as a word (a function name may be followed
// by spaces before its parenthesis).
func hasConstruct(text, c string) bool {
	if kc, ok := keywordCalls[c]; ok {
		for _, at := range calls(text, kc.name) {
			if keywordInCall(text[at:], kc.keyword) {
				return true
			}
		}
		return false
	}
	name, fn := strings.CutSuffix(c, "(")
	if fn {
		return len(calls(text, name)) > 0
	}
	if !isWord(name[0]) {
		return strings.Contains(text, name) // an operator
	}
	return len(words(text, name)) > 0
}

func isWord(r byte) bool { return r == '_' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' }

// words returns the offsets just past each occurrence of name in text as
// a word of its own (not part of a longer name, nor a column after a dot).
func words(text, name string) []int {
	var out []int
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], name)
		if j < 0 {
			break
		}
		at, end := i+j, i+j+len(name)
		i = at + 1
		if at > 0 && (isWord(text[at-1]) || text[at-1] == '.') || end < len(text) && isWord(text[end]) {
			continue
		}
		out = append(out, end)
	}
	return out
}

// calls returns the offsets just past the opening parenthesis of each call
// of the function name in text.
func calls(text, name string) []int {
	var out []int
	for _, end := range words(text, name) {
		rest := strings.TrimLeft(text[end:], " \t\r\n")
		if strings.HasPrefix(rest, "(") {
			out = append(out, len(text)-len(rest)+1)
		}
	}
	return out
}

// keywordInCall reports whether args, the text after a call's opening
// parenthesis, has keyword as a word before the call's closing
// parenthesis and outside any parentheses nested in it.
func keywordInCall(args, keyword string) bool {
	depth := 0
	for i := 0; i < len(args); i++ {
		switch c := args[i]; {
		case c == '(':
			depth++
		case c == ')':
			if depth == 0 {
				return false
			}
			depth--
		case depth == 0 && strings.HasPrefix(args[i:], keyword) && (i == 0 || !isWord(args[i-1]) && args[i-1] != '.') &&
			(i+len(keyword) == len(args) || !isWord(args[i+len(keyword)])):
			return true
		}
	}
	return false
}

// TextAfter is the SQL of the text after the first sep in a value, ""
// where the value holds none (the mapping language's after): at is the
// SQL of sep's position in the value (from 1; 0 where it holds none),
// substr the SQL of the value from a position (itself SQL) on.
func TextAfter(at, sep string, substr func(from string) string) string {
	return "CASE WHEN " + at + " > 0 THEN " + substr(at+" + "+strconv.Itoa(textfn.Runes(sep))) + " ELSE '' END"
}
