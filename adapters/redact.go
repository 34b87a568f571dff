package adapters

import (
	"net/url"
	"regexp"
	"strings"
)

// redacted replaces a password in a data source name or an error message.
const redacted = "xxxxx"

var (
	// kvPassword finds password=... (also pwd=, sslpassword=) in key=value
	// DSNs (PostgreSQL "password=pw host=h", SQL Server "Password=pw;"),
	// with the value bare, quoted or in braces.
	kvPassword = regexp.MustCompile(`(?i)((?:password|pwd)\s*=\s*)('(?:[^'\\]|\\.)*'|"[^"]*"|\{[^}]*\}|[^;\s]*)`)
	// queryPassword is the same inside a URL's query, where & ends a value.
	queryPassword = regexp.MustCompile(`(?i)((?:password|pwd)=)([^&#;]*)`)
)

// Redact hides the password of a data source name so that it can appear in
// logs and error messages. It handles URLs (postgres://user:pw@host/db,
// sqlserver://user:pw@host?database=db, a password=... query parameter) and
// key=value forms (password=pw dbname=db, Server=h;Password=pw;) and the
// MySQL driver's user:pw@tcp(host:3306)/db. The rest
// of the DSN is kept as written. When in doubt it hides too much rather
// than too little: a URL's userinfo runs to the last '@', so a password
// holding an unescaped '/' or '@' is still hidden.
func Redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i > 0 && isScheme(dsn[:i]) {
		rest := dsn[i+3:]
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			if c := strings.IndexByte(rest[:at], ':'); c >= 0 {
				rest = rest[:c+1] + redacted + rest[at:]
			}
		}
		return dsn[:i+3] + queryPassword.ReplaceAllString(rest, "${1}"+redacted)
	}
	if from, to, ok := userinfoPassword(dsn); ok {
		return dsn[:from] + redacted + dsn[to:]
	}
	return kvPassword.ReplaceAllString(dsn, "${1}"+redacted)
}

// userinfoPassword finds the password of a DSN in the MySQL driver's form,
// user:password@net(address)/database?params: from the first ':' to the
// last '@', where no '=', ';' or space comes before that ':' (which would
// make it a key=value DSN).
func userinfoPassword(dsn string) (from, to int, ok bool) {
	at := strings.LastIndexByte(dsn, '@')
	if at < 0 {
		return 0, 0, false
	}
	c := strings.IndexByte(dsn[:at], ':')
	if c < 0 || strings.ContainsAny(dsn[:c], "=; ") {
		return 0, 0, false
	}
	return c + 1, at, true
}

func isScheme(s string) bool {
	for i, r := range s {
		letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
		if !letter && (i == 0 || !(r >= '0' && r <= '9' || r == '+' || r == '-' || r == '.')) {
			return false
		}
	}
	return s != ""
}

// secrets returns the passwords written in dsn, as written and, for a URL,
// unescaped.
func secrets(dsn string) []string {
	var out []string
	add := func(s string) {
		s = strings.Trim(s, `'"{}`)
		if s != "" {
			out = append(out, s)
			if u, err := url.QueryUnescape(s); err == nil && u != s {
				out = append(out, u)
			}
		}
	}
	if i := strings.Index(dsn, "://"); i > 0 && isScheme(dsn[:i]) {
		rest := dsn[i+3:]
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			if c := strings.IndexByte(rest[:at], ':'); c >= 0 {
				add(rest[c+1 : at])
			}
		}
		for _, m := range queryPassword.FindAllStringSubmatch(rest, -1) {
			add(m[2])
		}
		return out
	}
	if from, to, ok := userinfoPassword(dsn); ok {
		add(dsn[from:to])
		return out
	}
	for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
		add(m[2])
	}
	return out
}

// RedactError returns err with every password of dsn hidden from its
// message (drivers and net/url quote DSNs, or parts of them, in their
// errors). errors.Is and errors.As still see the original error. A nil
// error stays nil; an error whose message holds no password is returned
// as is.
func RedactError(err error, dsn string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := strings.ReplaceAll(msg, dsn, Redact(dsn))
	for _, s := range secrets(dsn) {
		clean = strings.ReplaceAll(clean, s, redacted)
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
