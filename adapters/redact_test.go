package adapters

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://u:secret@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgresql://u:se%2Fcret@h/db", "postgresql://u:xxxxx@h/db"},
		{"postgres://u:se/cr@t@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"postgres://h/db?user=u&password=secret&sslmode=disable", "postgres://h/db?user=u&password=xxxxx&sslmode=disable"},
		{"sqlserver://sa:secret@h:1433?database=epr", "sqlserver://sa:xxxxx@h:1433?database=epr"},
		{"host=h user=u password=secret dbname=db", "host=h user=u password=xxxxx dbname=db"},
		{"host=h password='s e c' dbname=db", "host=h password=xxxxx dbname=db"},
		{"host=h sslpassword=secret", "host=h sslpassword=xxxxx"},
		{"Server=h;User Id=sa;Password=secret;Database=epr", "Server=h;User Id=sa;Password=xxxxx;Database=epr"},
		{"server=h;pwd={se;cret};database=epr", "server=h;pwd=xxxxx;database=epr"},
		{"file:/tmp/demo.db?_pragma=busy_timeout(5000)", "file:/tmp/demo.db?_pragma=busy_timeout(5000)"},
		{"/var/lib/epr.db", "/var/lib/epr.db"},
		{"u:secret@tcp(h:3306)/epr?tls=true", "u:xxxxx@tcp(h:3306)/epr?tls=true"},
		{"u:se:c@r/et@tcp(h)/epr", "u:xxxxx@tcp(h)/epr"},
		{"u:secret@tcp(h:3306/epr", "u:xxxxx@tcp(h:3306/epr"},
		{"root@tcp(127.0.0.1:3306)/test", "root@tcp(127.0.0.1:3306)/test"},
		{"u:secret@/epr", "u:xxxxx@/epr"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

var errBase = errors.New("base")

func TestRedactError(t *testing.T) {
	dsn := "postgres://u:s3cr%40t@h/db"
	err := RedactError(fmt.Errorf("connect %q: password s3cr@t rejected: %w", dsn, errBase), dsn)
	if strings.Contains(err.Error(), "s3cr") {
		t.Errorf("password in %q", err)
	}
	if !errors.Is(err, errBase) {
		t.Error("RedactError hides the wrapped error")
	}
	plain := errors.New("no password here")
	if RedactError(plain, dsn) != plain || RedactError(nil, dsn) != nil {
		t.Error("an error without a password must be returned as is")
	}
	kv := "Server=h;Password=hunter22;"
	if got := RedactError(errors.New("bad: Password=hunter22;"), kv).Error(); strings.Contains(got, "hunter22") {
		t.Errorf("password in %q", got)
	}
}
