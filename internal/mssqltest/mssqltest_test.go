package mssqltest

import "testing"

func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ dsn, want string }{
		{"sqlserver://sa:p%40ss@h:1433?encrypt=disable", "sqlserver://sa:p%40ss@h:1433?database=x_1&encrypt=disable"},
		{"sqlserver://sa:p@h?database=master", "sqlserver://sa:p@h?database=x_1"},
		{"server=h;user id=sa;password=p;", "server=h;user id=sa;password=p;database=x_1"},
	} {
		got := WithDatabase(c.dsn, "x_1")
		if got != c.want {
			t.Errorf("WithDatabase(%s) = %s, want %s", c.dsn, got, c.want)
		}
		if dbName(got) != "x_1" {
			t.Errorf("dbName(%s) = %s", got, dbName(got))
		}
	}
}
