package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
)

// lossDB is a SQLite database of patients whose birth dates are yyyyMMdd
// text; bad of them are not dates at all.
func lossDB(t *testing.T, rows, bad int) string {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "loss.db")
	db, err := sqlite.Open(context.Background(), dsn, adapters.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	script := "CREATE TABLE PT (ID INTEGER PRIMARY KEY, SURNAME VARCHAR(30), DOB VARCHAR(8), SEX CHAR(1));\n"
	for i := 1; i <= rows; i++ {
		dob := fmt.Sprintf("1980%02d%02d", i%12+1, i%28+1)
		if i <= bad {
			dob = "UNKNOWN"
		}
		script += fmt.Sprintf("INSERT INTO PT VALUES (%d, 'SMITH', '%s', 'F');\n", i, dob)
	}
	if err := db.(adapters.Loader).Exec(context.Background(), script); err != nil {
		t.Fatal(err)
	}
	return dsn
}

func lossMapping(t *testing.T, birthDate, search string) string {
	t.Helper()
	dir := t.TempDir()
	m := `resource: Patient
profile: https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1
from: { table: PT, key: ID }
element:
  name:
    - use: official
      family: { column: SURNAME }
  gender: { column: SEX, concept: sex }
  birthDate: ` + birthDate + `
search:
  ` + search + `
concepts:
  sex: { system: http://hl7.org/fhir/administrative-gender, map: { F: female, M: male } }
`
	if err := os.WriteFile(filepath.Join(dir, "patient.yaml"), []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Lint with a database fails when an element shows none of the values its
// column holds in the sampled rows, naming the element, the column and a
// value, and warns when it shows fewer than half; a date parameter whose
// format fits none of the column's values fails too. Each problem is
// reported once, with its count.
func TestLintCatchesLoss(t *testing.T) {
	clean, mostlyBad := lossDB(t, 20, 0), lossDB(t, 20, 15)
	for _, c := range []struct {
		name, db, birthDate, search string
		code                        int
		want                        *regexp.Regexp
	}{
		{"no transform", clean, "{ column: DOB }", "family: {}", 1,
			regexp.MustCompile(`patient\.yaml:9:14: Patient\.birthDate: 20 of the 20 sampled row\(s\) with a value in DOB show nothing here \(e\.g\. "\d{8}": "\d{8}" is not a valid FHIR date \(add a date or datetime transform with the column's format\)\)`)},
		{"wrong format", clean, "{ column: DOB, transform: { date: dd/MM/yyyy } }", "birthdate: { type: date, column: DOB, format: yyyyMMdd }", 1,
			regexp.MustCompile(`patient\.yaml:9:14: Patient\.birthDate: 20 of the 20 sampled row\(s\) with a value in DOB show nothing here \(e\.g\. "\d{8}": transform date: `)},
		{"search format", clean, "{ column: DOB, transform: { date: yyyyMMdd } }", "birthdate: { type: date, column: DOB, format: yyyy-MM-dd }", 1,
			regexp.MustCompile(`patient\.yaml:11:3: Patient search birthdate: format yyyy-MM-dd does not fit 20 of 20 sampled value\(s\) of DOB \(e\.g\. "\d{8}"\)`)},
		{"mostly lost", mostlyBad, "{ column: DOB, transform: { date: yyyyMMdd } }", "birthdate: {}", 0,
			regexp.MustCompile(`warning: \S*patient\.yaml:9:14: Patient\.birthDate: 15 of the 20 sampled row\(s\) with a value in DOB show nothing here \(e\.g\. "UNKNOWN": transform date: `)},
		{"right", clean, "{ column: DOB, transform: { date: yyyyMMdd } }", "birthdate: {}", 0, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errs := run(t, "lint", "-mappings", lossMapping(t, c.birthDate, c.search), "-adapter", "sqlite", "-dsn", c.db)
			if code != c.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, c.code, out, errs)
			}
			if c.want == nil {
				if strings.Contains(out+errs, "show nothing") || strings.Contains(out+errs, "does not fit") {
					t.Errorf("a right mapping reported loss:\n%s\n%s", out, errs)
				}
				return
			}
			if got := c.want.FindAllString(out+errs, -1); len(got) != 1 {
				t.Errorf("found %d times, want once: %s\nin\n%s\n%s", len(got), c.want, out, errs)
			}
		})
	}
}
