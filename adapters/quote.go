package adapters

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

var plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// InsertInto is the head of an INSERT of columns into a table, up to and
// with VALUES and a space, every name quoted by quote:
// INSERT INTO "t" ("a", "b") VALUES .
func InsertInto(quote func(string) string, table string, columns []string) string {
	return "INSERT INTO " + quote(table) + " (" + QuotedList(quote, columns) + ") VALUES "
}

// QuotedList is names quoted by quote, separated by ", ".
func QuotedList(quote func(string) string, names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = quote(n)
	}
	return strings.Join(quoted, ", ")
}

// QuoteIdent quotes an identifier the way most databases need: a plain name
// ([A-Za-z_][A-Za-z0-9_]*, not a reserved word) is left unquoted so that the
// database folds its case exactly as it would for a name typed by hand
// (PostgreSQL finds PATIENT as patient); any other name is put between
// open and close (e.g. '"' and '"', or '[' and ']'), with close doubled
// inside. A dotted name (schema.table) is handled part by part.
func QuoteIdent(ident string, open, close byte, reserved map[string]bool) string {
	// Names come from mappings, a bounded set, and are quoted for every
	// statement: each is worked out once per dialect (told apart by its
	// quote character).
	key := quoteKey{ident, open}
	if q, ok := quoted.Load(key); ok {
		return q.(string)
	}
	q := quoteIdent(ident, open, close, reserved)
	quoted.Store(key, q)
	return q
}

type quoteKey struct {
	ident string
	open  byte
}

var quoted sync.Map // quoteKey → string

func quoteIdent(ident string, open, close byte, reserved map[string]bool) string {
	parts := strings.Split(ident, ".")
	for i, p := range parts {
		if plainIdent.MatchString(p) && !reserved[strings.ToUpper(p)] {
			continue
		}
		parts[i] = string(open) + strings.ReplaceAll(p, string(close), string(close)+string(close)) + string(close)
	}
	return strings.Join(parts, ".")
}

// SQLReserved is the set of SQL words that must be quoted when used as names
// (the SQL standard's core reserved words that legacy schemas use most).
var SQLReserved = toSet(`ALL AND ANY AS ASC BETWEEN BY CASE CAST CHECK COLUMN CONSTRAINT CREATE CROSS
CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DEFAULT DELETE DESC DISTINCT DROP ELSE END
EXCEPT EXISTS FALSE FETCH FOR FOREIGN FROM FULL GRANT GROUP HAVING IN INNER INSERT INTERSECT INTO IS
JOIN KEY LEFT LIKE LIMIT NATURAL NOT NULL OFFSET ON OR ORDER OUTER PRIMARY REFERENCES RIGHT SELECT
SET SOME TABLE THEN TO TRUE UNION UNIQUE UPDATE USER USING VALUES WHEN WHERE WITH`)

func toSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// SplitScript splits an SQL script into statements at semicolons that end a
// line, dropping comment-only chunks.
func SplitScript(script string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		s := strings.TrimSpace(cur.String())
		cur.Reset()
		var code []string
		for _, line := range strings.Split(s, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
				code = append(code, line)
			}
		}
		if len(code) > 0 {
			out = append(out, strings.Join(code, "\n"))
		}
	}
	for _, line := range strings.Split(script, "\n") {
		trimmed := strings.TrimSpace(line)
		if i := strings.Index(trimmed, "--"); i >= 0 {
			trimmed = strings.TrimSpace(trimmed[:i])
		}
		if strings.HasSuffix(trimmed, ";") {
			cur.WriteString(strings.TrimSuffix(strings.TrimRight(line[:strings.LastIndex(line, ";")+1], " "), ";"))
			flush()
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
	}
	flush()
	return out
}

// ExecScript runs a script of statements separated by ";" at line ends, one
// by one, so that an error names the first line of its statement. name
// prefixes errors (the adapter's name).
func ExecScript(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, name, script string) error {
	for _, stmt := range SplitScript(script) {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w in: %s", name, err, strings.SplitN(stmt, "\n", 2)[0])
		}
	}
	return nil
}

// WordSet is the set of the words of a space-separated list: an SQL
// dialect's reserved words, for QuoteIdent.
func WordSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}
