package adapters

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/internal/tabletest"
)

// Redact hides the password of each connection string of
// testdata/redact.json (a connection string, what Redact makes of it):
// URLs, key=value lists, SQL Server's and MySQL's forms.
func TestRedact(t *testing.T) { tabletest.CheckFunc(t, "testdata/redact.json", "Redact", Redact) }

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
