package adapters

import (
	"strings"
	"unicode"
)

// Constructs are SQL constructs that some dialects accept and others do
// not: what lint looks for in the raw SQL a mapping author writes (a
// query, an sql expression, a where), to say which adapters a set is tied
// to. A construct ending in "(" is a function; the others are operators
// and words. Each adapter package lists the ones its dialect accepts
// (Accepted), and the registry puts the lists together.
var Constructs = []string{
	"||", "::", "ILIKE", "CURRENT_DATE", "LIMIT", "TOP", "NVARCHAR",
	"SPLIT_PART(", "INITCAP(", "STRPOS(", "REGEXP_REPLACE(", "DATE_TRUNC(", "TO_CHAR(", "TO_DATE(", "NOW(", "AGE(",
	"SUBSTR(", "INSTR(", "IFNULL(", "STRFTIME(", "JULIANDAY(", "GROUP_CONCAT(", "DATE(",
	"GETDATE(", "ISNULL(", "LEN(", "CHARINDEX(", "DATEADD(", "DATEDIFF(", "STRING_AGG(", "CONVERT(", "FORMAT(",
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
	word := func(r byte) bool { return r == '_' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' }
	name, fn := strings.CutSuffix(c, "(")
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], name)
		if j < 0 {
			return false
		}
		at, end := i+j, i+j+len(name)
		i = at + 1
		if !word(name[0]) {
			return true // an operator
		}
		if at > 0 && (word(text[at-1]) || text[at-1] == '.') || end < len(text) && word(text[end]) {
			continue
		}
		if !fn {
			return true
		}
		rest := strings.TrimLeft(text[end:], " \t\r\n")
		if strings.HasPrefix(rest, "(") {
			return true
		}
	}
	return false
}
