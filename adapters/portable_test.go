package adapters

import (
	"strings"
	"testing"
)

// The standard forms SUBSTRING(x FROM y) and POSITION(x IN y), and
// LENGTH (SQL Server's is LEN), are found as calls only: not in a column's
// name, a string literal, a quoted name or the comma form of SUBSTRING.
func TestUsesStandardForms(t *testing.T) {
	for _, c := range []struct{ sql, want string }{
		{"SUBSTRING(p.nhs_no FROM 1 FOR 3)", "SUBSTRING(x FROM y)"},
		{"substring ( name from '^[A-Z]+' )", "SUBSTRING(x FROM y)"},
		{"SUBSTRING(COALESCE(a, b) FROM POSITION(',' IN a) + 1)", "SUBSTRING(x FROM y),POSITION(x IN y)"},
		{"POSITION(' ' IN full_name)", "POSITION(x IN y)"},
		{"CASE WHEN position('x' in (a)) > 0 THEN 1 END", "POSITION(x IN y)"},
		{"LENGTH(TRIM(name))", "LENGTH("},
		{"length (name) > 3", "LENGTH("},
		{"LEN(name)", "LEN("},
		// not the forms
		{"SUBSTRING(d, 7, 4)", ""},
		{"SUBSTRING(d, 1, 2) FROM x", ""},                  // FROM after the call
		{"SUBSTRING(d, 1, 2) IN (SELECT x FROM t)", ""},    // FROM inside another parenthesis
		{"SUBSTRING(d, (SELECT MAX(x) FROM t), 2)", ""},    // FROM in a subquery argument
		{"POSITION(a) + b IN (1, 2)", ""},                  // IN after the call
		{"o.length_cm * 10 + total_length + t.length", ""}, // columns
		{"my_length(x) + strlength(y)", ""},                // other functions
		{`"LENGTH"(x) + 'LENGTH(y)'`, ""},                  // a quoted name, a literal
		{"'SUBSTRING(a FROM b)' || ' '", "||"},
		{"position_code IN ('a', 'b')", ""},
	} {
		if got := strings.Join(Uses(c.sql), ","); got != c.want {
			t.Errorf("%s: uses %q, want %q", c.sql, got, c.want)
		}
	}
}
