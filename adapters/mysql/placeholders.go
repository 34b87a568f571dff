package mysql

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MySQL marks parameters with a bare "?", each taking the next argument.
// The engine numbers its placeholders and may write one twice, or in
// another order than it bound them (a child aggregate in the select list
// binds after the WHERE it precedes). So the dialect writes "?n", and the
// connections of the pool rewrite each statement's text to bare "?" and
// pass the arguments in the order the marks appear.

// The connections also read CONCAT( as CONCAT_WS('', so that a NULL part
// adds nothing, as in PostgreSQL's and SQL Server's CONCAT (MySQL's is
// NULL when any part is): the engine's SQL and a mapping's raw SQL then
// mean the same on every database.
//
// And they spell a CAST's type as MySQL 8 has it where MariaDB takes
// another spelling too: CAST(x AS VARCHAR(n)) is CAST(x AS CHAR(n)) and
// CAST(x AS INTEGER) (or INT) CAST(x AS SIGNED), which mean the same on
// MariaDB; MySQL 8 refuses VARCHAR and INTEGER there. So a mapping's raw
// SQL written for PostgreSQL, SQL Server and SQLite runs on both.

// rewritten is a statement's text with bare "?" marks and CONCAT_WS, and
// for each mark the 1-based number of the argument it takes (nil: the
// text had no numbered marks, and the arguments pass unchanged).
type rewritten struct {
	query string
	order []int
	n     int // the highest argument number
}

// rewrite turns "?n" marks outside literals, quoted names and comments
// into "?", the function CONCAT( into CONCAT_WS(”, , and a CAST's
// VARCHAR into CHAR and INTEGER or INT into SIGNED. Quoting is
// read as the adapter's sessions have it (ANSI_QUOTES,
// NO_BACKSLASH_ESCAPES): '…' and "…" and `…` with the quote doubled
// inside. A text mixing bare and numbered marks is refused.
func rewrite(q string) (rewritten, error) {
	if !strings.Contains(q, "?") && !containsFold(q, "CONCAT") && !containsFold(q, "CAST") {
		return rewritten{query: q}, nil
	}
	changed := false
	// casts tells for each open parenthesis whether it is a CAST's.
	var casts []bool
	castNext := false // the next parenthesis opens a CAST
	var b strings.Builder
	b.Grow(len(q))
	var order []int
	bare, maxN := false, 0
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			j = min(j+1, len(q))
			b.WriteString(q[i:j])
			i = j
		case c == '#' || c == '-' && strings.HasPrefix(q[i:], "-- ") || c == '-' && strings.HasPrefix(q[i:], "--\n") || c == '-' && strings.HasPrefix(q[i:], "--\t"):
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j
		case c == '/' && strings.HasPrefix(q[i:], "/*"):
			j := strings.Index(q[i+2:], "*/")
			if j < 0 {
				j = len(q) - i - 2
			} else {
				j += 2
			}
			b.WriteString(q[i : i+2+j])
			i += 2 + j
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			b.WriteByte('?')
			if j == i+1 {
				bare = true
			} else {
				n, err := strconv.Atoi(q[i+1 : j])
				if err != nil || n < 1 {
					return rewritten{}, fmt.Errorf("mysql: bad placeholder %q", q[i:j])
				}
				order = append(order, n)
				maxN = max(maxN, n)
			}
			i = j
		case isWordByte(c):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			word := q[i:j]
			k := j
			for k < len(q) && (q[k] == ' ' || q[k] == '\t' || q[k] == '\n' || q[k] == '\r') {
				k++
			}
			call := k < len(q) && q[k] == '(' && (i == 0 || q[i-1] != '.')
			if strings.EqualFold(word, "CONCAT") && call {
				b.WriteString("CONCAT_WS(''" + ", ")
				i, changed = k+1, true
				casts = append(casts, false)
				continue
			}
			if strings.EqualFold(word, "AS") && len(casts) > 0 && casts[len(casts)-1] {
				// A CAST's type: the next word, and what follows it.
				t := k
				for t < len(q) && isWordByte(q[t]) {
					t++
				}
				after := t
				for after < len(q) && (q[after] == ' ' || q[after] == '\t' || q[after] == '\n' || q[after] == '\r') {
					after++
				}
				typ := strings.ToUpper(q[k:t])
				spelt := ""
				switch {
				case typ == "VARCHAR":
					spelt = "CHAR"
				case (typ == "INTEGER" || typ == "INT") && after < len(q) && q[after] == ')':
					spelt = "SIGNED"
				}
				if spelt != "" {
					b.WriteString(q[i:k] + spelt)
					i, changed = t, true
					continue
				}
			}
			castNext = strings.EqualFold(word, "CAST") && call
			b.WriteString(word)
			i = j
		case c == '(':
			casts = append(casts, castNext)
			castNext = false
			b.WriteByte(c)
			i++
		case c == ')':
			if len(casts) > 0 {
				casts = casts[:len(casts)-1]
			}
			b.WriteByte(c)
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	if len(order) == 0 {
		if changed {
			return rewritten{query: b.String()}, nil
		}
		return rewritten{query: q}, nil
	}
	if bare {
		return rewritten{}, errors.New("mysql: a statement mixes ? and numbered placeholders")
	}
	return rewritten{query: b.String(), order: order, n: maxN}, nil
}

// args are the arguments in the order of the marks.
func (r rewritten) args(in []driver.NamedValue) ([]driver.NamedValue, error) {
	if r.order == nil {
		return in, nil
	}
	if len(in) != r.n {
		return nil, fmt.Errorf("mysql: %d arguments for %d placeholders", len(in), r.n)
	}
	out := make([]driver.NamedValue, len(r.order))
	for i, n := range r.order {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: in[n-1].Value}
	}
	return out, nil
}

// connector opens the driver's connections wrapped in conn, and runs the
// session's own statements on each.
type connector struct {
	inner driver.Connector
	init  []string // run on every new connection
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.inner.Connect(ctx)
	if err != nil {
		return nil, err
	}
	ex, ok := dc.(driver.ExecerContext)
	if !ok {
		dc.Close()
		return nil, errors.New("mysql: the driver's connection cannot execute statements")
	}
	for _, s := range c.init {
		if _, err := ex.ExecContext(ctx, s, nil); err != nil {
			dc.Close()
			return nil, fmt.Errorf("%s: %w", s, err)
		}
	}
	return &conn{dc}, nil
}

func (c *connector) Driver() driver.Driver { return c.inner.Driver() }

// conn is a driver connection whose statements are rewritten (see
// rewrite). Everything else is the driver's.
type conn struct{ driver.Conn }

// conn is every optional interface of a driver connection that
// database/sql looks for.
var _ interface {
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.ConnBeginTx
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
} = (*conn)(nil)

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	r, err := rewrite(query)
	if err != nil {
		return nil, err
	}
	s, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, r.query)
	if err != nil {
		return nil, err
	}
	return &stmt{Stmt: s, r: r}, nil
}

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	query, args, err := rewriteWith(query, args)
	if err != nil {
		return nil, err
	}
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	query, args, err := rewriteWith(query, args)
	if err != nil {
		return nil, err
	}
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

// rewriteWith rewrites a statement run at once with its arguments.
func rewriteWith(query string, args []driver.NamedValue) (string, []driver.NamedValue, error) {
	r, err := rewrite(query)
	if err != nil {
		return "", nil, err
	}
	if args, err = r.args(args); err != nil {
		return "", nil, err
	}
	return r.query, args, nil
}

func (c *conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *conn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *conn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *conn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

func (c *conn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

// stmt is a prepared statement taking its arguments by number.
type stmt struct {
	driver.Stmt
	r rewritten
}

var (
	_ driver.StmtQueryContext  = (*stmt)(nil)
	_ driver.StmtExecContext   = (*stmt)(nil)
	_ driver.NamedValueChecker = (*stmt)(nil)
)

// NumInput is how many arguments the caller passes: the highest number.
func (s *stmt) NumInput() int {
	if s.r.order == nil {
		return s.Stmt.NumInput()
	}
	return s.r.n
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	args, err := s.r.args(args)
	if err != nil {
		return nil, err
	}
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	args, err := s.r.args(args)
	if err != nil {
		return nil, err
	}
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *stmt) CheckNamedValue(nv *driver.NamedValue) error {
	if c, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return c.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

// containsFold tells whether s holds word, in any case (ASCII).
func containsFold(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(word)], word) {
			return true
		}
	}
	return false
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}
