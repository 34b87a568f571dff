package mysqltest

import (
	"strings"
	"testing"
)

func TestWithDatabase(t *testing.T) {
	for _, dsn := range []string{"root@tcp(127.0.0.1:3306)/test", "u:p%40ss@tcp(h:3307)/?tls=skip-verify", "u:p@tcp(h)/x?parseTime=true"} {
		got, err := WithDatabase(dsn, "x_1")
		if err != nil {
			t.Fatalf("WithDatabase(%s): %v", dsn, err)
		}
		if !strings.Contains(got, ")/x_1") {
			t.Errorf("WithDatabase(%s) = %s", dsn, got)
		}
	}
}

func TestFreshDB(t *testing.T) {
	dsn := FreshDB(t)
	if err := Exec(dsn, "CREATE TABLE T (ID INTEGER)"); err != nil {
		t.Fatal(err)
	}
}
