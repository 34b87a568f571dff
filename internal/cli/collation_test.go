package cli

import (
	"database/sql"
	"regexp"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/internal/mysqltest"
)

// mysqlDemo loads the demo EPR into a fresh MySQL or MariaDB database
// with the demo command, and returns its DSN and a connection to it.
func mysqlDemo(t *testing.T) (string, *sql.DB) {
	t.Helper()
	dsn := mysqltest.FreshDB(t) // skips without a server
	if code, out, errs := run(t, "demo", "load", "-adapter", "mysql", "-dsn", dsn, "-patients", "20"); code != 0 {
		t.Fatalf("demo load: %d %q %q", code, out, errs)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

// recollate gives a column of the demo another character set or collation
// (spec), keeping its type.
func recollate(t *testing.T, db *sql.DB, table, column, spec string) {
	t.Helper()
	var typ string
	if err := db.QueryRow("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?", table, column).Scan(&typ); err != nil {
		t.Fatalf("%s.%s: %v", table, column, err)
	}
	if _, err := db.Exec("ALTER TABLE " + table + " MODIFY " + column + " " + typ + " " + spec); err != nil {
		t.Fatalf("%s.%s %s: %v", table, column, spec, err)
	}
}

// On MySQL and MariaDB string search folds case and accents as each
// column's collation does: lint and check name the columns of string
// search parameters whose collation counts case or accents, with what a
// search misses and the collation to give them; check's note on accents
// speaks of collations, not of PostgreSQL's unaccent.
func TestCollationWarningsOnMySQL(t *testing.T) {
	dsn, db := mysqlDemo(t)
	recollate(t, db, "PATIENT", "SURNAME", "COLLATE utf8mb4_bin")
	recollate(t, db, "PATIENT", "FORENAME2", "CHARACTER SET latin1 COLLATE latin1_general_ci")
	recollate(t, db, "PATIENT_ALIAS", "SURNAME", "COLLATE utf8mb4_unicode_520_ci")
	recollate(t, db, "PATIENT_ALIAS", "FORENAMES", "COLLATE utf8mb4_unicode_520_ci")
	// The database's own collation counts accents (as the old note read
	// it, the cue for PostgreSQL's advice); FORENAME1 keeps the demo's
	// utf8mb4_general_ci.
	if _, err := db.Exec("ALTER DATABASE COLLATE utf8mb4_bin"); err != nil {
		t.Fatal(err)
	}
	wants := []*regexp.Regexp{
		regexp.MustCompile(`patient\.yaml:\d+:\d+: warning: Patient search family: column SURNAME of PATIENT has collation utf8mb4_bin, under which case counts \(family=smith does not find Smith\) and accents count on é ë á ü ö å ñ ç ø ł \(family=Rene does not find René\), where FHIR string search ignores case and accents; give the column the collation utf8mb4_\w+_ai_ci\n`),
		regexp.MustCompile(`patient\.yaml:\d+:\d+: warning: Patient search given: column FORENAME1 of PATIENT has collation utf8mb4_general_ci, under which accents count on ø ł \(given=Soren does not find Søren\), where FHIR string search ignores accents; give the column the collation utf8mb4_\w+_ai_ci\n`),
		regexp.MustCompile(`patient\.yaml:\d+:\d+: warning: Patient search given: column FORENAME2 of PATIENT has collation latin1_general_ci, under which accents count on é ë á ü ö å ñ ç ø \(given=Rene does not find René\), where FHIR string search ignores accents; give the column the collation utf8mb4_\w+_ai_ci \(character set utf8mb4\)\n`),
		regexp.MustCompile(`patient\.yaml:\d+:\d+: warning: Patient search name: column SURNAME of PATIENT has collation utf8mb4_bin, under which case counts`),
		// A joined table's column, by its own table and name.
		regexp.MustCompile(`practitioner\.yaml:\d+:\d+: warning: Practitioner search address-postalcode: column POSTCODE of GP_PRACTICE has collation utf8mb4_general_ci, under which accents count on ø ł`),
	}
	for _, cmd := range []string{"lint", "check"} {
		code, out, errs := run(t, cmd, "-mappings", "../../mappingsets/demo", "-adapter", "mysql", "-dsn", dsn)
		if code != 0 {
			t.Fatalf("%s: %d %s %s", cmd, code, out, errs)
		}
		for _, want := range wants {
			if !want.MatchString(out) {
				t.Errorf("%s: no line matching\n  %s\nin\n%s", cmd, want, out)
			}
		}
		// Columns whose collation ignores case and every accent are not
		// named.
		if strings.Contains(out, "of PATIENT_ALIAS has collation") {
			t.Errorf("%s: a column under utf8mb4_unicode_520_ci is warned of:\n%s", cmd, out)
		}
		if cmd != "check" {
			continue
		}
		if strings.Contains(out, "unaccent") {
			t.Errorf("check gives PostgreSQL's advice on MySQL:\n%s", out)
		}
		if !regexp.MustCompile(`note: string search ignores case and accents as far as the collation of each column it compares does \(utf8mb4_\w+_ai_ci ignores both throughout Unicode\): the \d+ warning\(s\) above name the columns of string search parameters whose collation does not\n`).MatchString(out) {
			t.Errorf("check's note on accents does not speak of collations:\n%s", out)
		}
	}
}
