package adapters

import (
	"net/url"
	"regexp"
)

var kvPassword = regexp.MustCompile(`(?i)((?:password|pwd)\s*=\s*)('[^']*'|[^;\s]*)`)

// Redact hides the password of a data source name, in URL form
// (postgres://user:pw@host/db, sqlserver://...) or key=value form
// (password=pw, Password=pw;).
func Redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.Scheme != "" && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			dsn = u.String()
		}
	}
	if u, err := url.Parse(dsn); err == nil && u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			if k == "password" || k == "Password" {
				q.Set(k, "xxxxx")
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
			dsn = u.String()
		}
	}
	return kvPassword.ReplaceAllString(dsn, "${1}xxxxx")
}
