package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters/adaptertest"
	"github.com/ccfacade/ccfacade/adapters/sqlite"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/internal/pgtest"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := run(t, "version"); code != 0 || !strings.HasPrefix(out, "ccfacade ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, errs := run(t, "frobnicate"); code != 2 || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %q", code, errs)
	}
	if code, _, _ := run(t); code != 2 {
		t.Errorf("no command: %d", code)
	}
}

func TestLintDemo(t *testing.T) {
	code, out, errs := run(t, "lint")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("ok: %d mapping(s)", strings.Count(out, " search parameters, "))) {
		t.Errorf("lint: %d %q %q", code, out, errs)
	}
}

func TestLintBadMappings(t *testing.T) {
	code, _, errs := run(t, "lint", "-mappings", "../../mapping/testdata")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if last := lines[len(lines)-1]; !strings.HasPrefix(last, "ccfacade lint: ") || !strings.HasSuffix(last, "problem(s) in the mappings") {
		t.Errorf("summary line %q", last)
	}
	lines = lines[:len(lines)-1]
	if len(lines) < 10 {
		t.Errorf("expected every error listed, got %d lines:\n%s", len(lines), errs)
	}
	pos := regexp.MustCompile(`^\.\./\.\./mapping/testdata/bad\.yaml:\d+:\d+: Patient`)
	for _, l := range lines {
		if !pos.MatchString(l) {
			t.Errorf("error without file:line:col and FHIR path: %q", l)
		}
	}
}

var demoEPR struct {
	once sync.Once
	dsn  string
	err  error
}

// demoDB is the demo EPR in a SQLite file, created with the demo command
// once per test binary (removed by demotest.Cleanup); the tests only read
// it.
func demoDB(t *testing.T) string {
	t.Helper()
	demoEPR.once.Do(func() {
		dir, err := demotest.TempDir("ccfacade-cli-")
		if err != nil {
			demoEPR.err = err
			return
		}
		dsn := "file:" + filepath.Join(dir, "epr.db")
		var out, errb bytes.Buffer
		code := Run(context.Background(), []string{"demo", "load", "-adapter", "sqlite", "-dsn", dsn, "-patients", "50"}, &out, &errb)
		if code != 0 || !strings.Contains(out.String(), "50 patients") {
			demoEPR.err = fmt.Errorf("demo load: %d %q %q", code, out.String(), errb.String())
			return
		}
		demoEPR.dsn = dsn
	})
	if demoEPR.err != nil {
		t.Fatal(demoEPR.err)
	}
	return demoEPR.dsn
}

func TestLintAgainstDatabase(t *testing.T) {
	dsn := demoDB(t)
	code, out, errs := run(t, "lint", "-mappings", "../../mappingsets/demo", "-adapter", "sqlite", "-dsn", dsn)
	if code != 0 || !strings.Contains(out, "every table and column exists") {
		t.Errorf("lint: %d %q %q", code, out, errs)
	}
	code, _, errs = run(t, "lint", "-mappings", "testdata/missingcol", "-adapter", "sqlite", "-dsn", dsn)
	want := `testdata/missingcol/organization.yaml:21:9: Organization.name: column "PRACTICE_TITLE" not in GP_PRACTICE`
	if code != 1 || !strings.Contains(errs, want) {
		t.Errorf("missing column: %d %q, want %q", code, errs, want)
	}
	// A configuration file drives the same checks.
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	abs, _ := filepath.Abs("../../mappingsets/demo")
	os.WriteFile(cfg, []byte(fmt.Sprintf("database:\n  adapter: sqlite\n  dsn: ${EPR_DSN}\nmappings: %s\n", abs)), 0o644)
	t.Setenv("EPR_DSN", dsn)
	if code, out, errs := run(t, "lint", "-config", cfg); code != 0 || !strings.Contains(out, "every table and column exists") {
		t.Errorf("lint -config: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, "lint", "-adapter", "oracle", "-dsn", "x", "-mappings", "../../mappingsets/demo"); code != 1 || !strings.Contains(errs, `unknown database adapter "oracle" (known: mysql, postgres, sqlite, sqlserver)`) {
		t.Errorf("unknown adapter: %d %q", code, errs)
	}
}

func TestPreview(t *testing.T) {
	dsn := demoDB(t)
	code, out, errs := run(t, "preview", "-mappings", "../../mappingsets/demo", "-adapter", "sqlite", "-dsn", dsn, "Patient", "7")
	if code != 0 {
		t.Fatalf("preview: %d %s", code, errs)
	}
	for _, want := range []string{"-- SQL\nSELECT t0.PATIENT_ID", "WHERE (t0.PATIENT_ID = ?1)", "(SELECT json_group_array(json_array(c.PATIENT_ID, c.ADDRESS_TYPE", "FROM PATIENT_ADDRESS c WHERE c.PATIENT_ID = t0.PATIENT_ID", `"resourceType": "Patient"`, `"id": "7"`} {
		if !strings.Contains(out, want) {
			t.Errorf("preview output lacks %q:\n%s", want, out)
		}
	}
	// Several ids: each resource after its statements, in the order given.
	code, out, errs = run(t, "preview", "-mappings", "../../mappingsets/demo", "-adapter", "sqlite", "-dsn", dsn, "Patient", "8", "3")
	if i8, i3 := strings.Index(out, "-- Patient/8\n{"), strings.Index(out, "-- Patient/3\n{"); code != 0 || i8 < 0 || i3 < i8 || !strings.Contains(out[i8:i3], `"id": "8"`) || !strings.Contains(out[i3:], `"id": "3"`) || strings.Count(out, "-- SQL") < 2 {
		t.Errorf("preview of two ids: %d %s\n%s", code, errs, out)
	}
	if code, _, errs := run(t, "preview", "-mappings", "../../mappingsets/demo", "-adapter", "sqlite", "-dsn", dsn, "Patient", "3", "99999"); code != 1 || !strings.Contains(errs, "Patient/99999 is not known") {
		t.Errorf("preview unknown id: %d %q", code, errs)
	}
}

func TestServeRefusesBadMappings(t *testing.T) {
	code, _, errs := run(t, "serve", "-mappings", "../../mapping/testdata", "-adapter", "sqlite", "-dsn", "file:"+filepath.Join(t.TempDir(), "x.db"), "-listen", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errs, "bad.yaml:") {
		t.Errorf("serve with bad mappings: %d %q", code, errs)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer = demotest.Buffer

func TestServeDemoAndShutDown(t *testing.T) {
	var errb syncBuffer
	m, stop := startServeLogs(t, []string{"serve", "-listen", "127.0.0.1:0"}, &errb, regexp.MustCompile(`serving (http://\S+/fhir)`))
	res, err := http.Get(m[0][1] + "/Patient?family=smi&gender=female")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"type":"searchset"`) {
		t.Errorf("search: %d %s", res.StatusCode, body)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "authentication is off") || !strings.Contains(errb.String(), "shutting down") {
		t.Errorf("log lacks the security warning or the shutdown: %s", errb.String())
	}
}

// lint with a database renders sample rows and runs the profile checker, so
// a mapping that makes non-conformant resources fails with its file:line.
func TestLintChecksProfiles(t *testing.T) {
	dsn := demoDB(t)
	code, out, errs := run(t, "lint", "-mappings", "../../mappingsets/demo", "-adapter", "sqlite", "-dsn", dsn)
	if code != 0 || !strings.Contains(out, "sample resource(s) conform to their profiles") {
		t.Fatalf("demo lint: %d %q %q", code, out, errs)
	}
	dir := demoMappingsWith(t, "    - use: official", "    - use: usual")
	code, _, errs = run(t, "lint", "-mappings", dir, "-adapter", "sqlite", "-dsn", dsn, "-sample", "3")
	// One line for the problem, naming the rows it was found in.
	want := regexp.MustCompile(`patient\.yaml:\d+:\d+: Patient/1 and 2 more of the 3 sampled: Patient\.name:official: is required by the profile \(min 1\)`)
	if code != 1 || !want.MatchString(errs) || !strings.Contains(errs, "3 resource(s)") || strings.Count(errs, "Patient.name:official") != 1 {
		t.Errorf("non-conformant mapping: %d\n%s", code, errs)
	}
}

func TestMain(m *testing.M) { pgtest.Main(m, demotest.Cleanup) }

// check reports columns whose type cannot give the element, with the
// mapping's file:line:col.
func TestCheckColumnTypes(t *testing.T) {
	dsn := demoDB(t)
	code, out, errs := run(t, "check", "-mappings", "../../mappingsets/demo", "-adapter", "sqlite", "-dsn", dsn)
	if code != 0 || !strings.Contains(out, "with types that fit") || !strings.Contains(out, "indexes were not checked") {
		t.Fatalf("check: %d %q %q", code, out, errs)
	}
	dir := demoMappingsWith(t,
		"birthDate: { column: DATE_OF_BIRTH, transform: { date: yyyyMMdd } }", "birthDate: { column: PATIENT_ID }",
		"  gender: {}", "  gender: {}\n  death-date:\n    type: date\n    column: DATE_OF_DEATH")
	code, _, errs = run(t, "check", "-mappings", dir, "-adapter", "sqlite", "-dsn", dsn)
	for _, want := range []string{
		`patient.yaml:57:14: Patient.birthDate: column "PATIENT_ID" (INTEGER): a date needs a date or timestamp column, or a text column with a date transform`,
		`Patient search birthdate: column "PATIENT_ID" (INTEGER): a date parameter needs a date, timestamp or text column`,
		`Patient search death-date: column "DATE_OF_DEATH" (VARCHAR): dates kept as text need "format"`,
	} {
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("check: %d, missing\n  %s\nin\n%s", code, want, errs)
		}
	}
}

// On PostgreSQL, check also reports search parameters that no index
// supports, from the query plans.
func TestCheckIndexesOnPostgres(t *testing.T) {
	dsn, _ := pgDemo(t, 300)
	code, out, errs := run(t, "check", "-mappings", "../../mappingsets/demo", "-adapter", "postgres", "-dsn", dsn)
	if code != 0 {
		t.Fatalf("check: %d %s %s", code, out, errs)
	}
	if !regexp.MustCompile(`practitioner\.yaml:\d+:\d+: warning: Practitioner: no index supports search parameter family`).MatchString(out) {
		t.Errorf("no index warning for Practitioner family:\n%s", out)
	}
	if strings.Contains(out, "search parameter identifier (the database reads patient") {
		t.Errorf("the NHS number search is indexed, yet reported:\n%s", out)
	}
	if !strings.Contains(out, "CREATE EXTENSION unaccent") {
		t.Errorf("check does not say how to make string search ignore accents:\n%s", out)
	}
}

// demo load leaves every table it loads analysed on PostgreSQL, so that
// the first queries are planned from the data's statistics (the server's
// autovacuum may be off, or not yet have come round).
func TestDemoLoadAnalyses(t *testing.T) {
	_, db := pgDemo(t, 20)
	for _, table := range demo.Tables() {
		var analysed bool
		var columns int
		q := `SELECT s.last_analyze IS NOT NULL, (SELECT count(*) FROM pg_stats p WHERE p.schemaname = s.schemaname AND p.tablename = s.relname)
			FROM pg_stat_user_tables s WHERE s.relid = to_regclass($1)`
		if err := db.QueryRow(q, strings.ToLower(table)).Scan(&analysed, &columns); err != nil || !analysed || columns == 0 {
			t.Errorf("%s: analysed %v, statistics of %d columns (%v)", table, analysed, columns, err)
		}
	}
}

// A role that cannot read a mapped table fails check, at the mapping line
// that names the table.
func TestCheckReadPrivilege(t *testing.T) {
	dsn, db := pgDemo(t, 20)
	role := fmt.Sprintf("ccf_ro_%d", time.Now().UnixNano())
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role,
		"REVOKE SELECT ON patient_alias FROM " + role,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		db.Exec("DROP OWNED BY " + role)
		db.Exec("DROP ROLE " + role)
	})
	u, _ := url.Parse(dsn)
	u.User = url.User(role)
	code, _, errs := run(t, "check", "-mappings", "../../mappingsets/demo", "-adapter", "postgres", "-dsn", u.String())
	if code != 1 || !regexp.MustCompile(`patient\.yaml:\d+:\d+: Patient\.name: cannot read the columns of PATIENT_ALIAS: .*permission denied`).MatchString(errs) {
		t.Errorf("check as a role without SELECT on PATIENT_ALIAS: %d %s", code, errs)
	}
}

// pgDemo loads a demo EPR of the given number of patients into a new
// PostgreSQL database with demo load, and returns its DSN and a pool of
// connections to it, closed when the test's cleanups have run.
func pgDemo(t *testing.T, patients int) (string, *sql.DB) {
	t.Helper()
	dsn := pgtest.FreshDB(t)
	if code, _, errs := run(t, "demo", "load", "-adapter", "postgres", "-dsn", dsn, "-patients", strconv.Itoa(patients)); code != 0 {
		t.Fatal(errs)
	}
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return dsn, db
}

// demoMappingsWith copies the demo mappings into a folder of the test's,
// with replacements (old, new, …) made in patient.yaml.
func demoMappingsWith(t *testing.T, replace ...string) string {
	t.Helper()
	dir := t.TempDir()
	entries, _ := os.ReadDir("../../mappingsets/demo")
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join("../../mappingsets/demo", e.Name()))
		if e.Name() == "patient.yaml" {
			for i := 0; i+1 < len(replace); i += 2 {
				if !bytes.Contains(b, []byte(replace[i])) {
					t.Fatalf("patient.yaml has no %q", replace[i])
				}
				b = bytes.Replace(b, []byte(replace[i]), []byte(replace[i+1]), 1)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Links are made from server.base_url or a loopback listener's address,
// never from the Host header: serve refuses a non-loopback listener
// without base_url, and uses base_url when given.
func TestServeBaseURLRule(t *testing.T) {
	code, _, errs := run(t, "serve", "-listen", "0.0.0.0:0")
	if code != 1 || !strings.Contains(errs, "server.base_url is required") {
		t.Errorf("a non-loopback listener without base_url: %d %q", code, errs)
	}
	if code, _, errs := run(t, "serve", "-listen", "127.0.0.1:0", "-base-url", "ftp://x"); code != 1 || !strings.Contains(errs, "base_url") {
		t.Errorf("a base_url that is not http(s): %d %q", code, errs)
	}
	for _, l := range []string{"127.0.0.1:8080", "[::1]:8080", "localhost:8080"} {
		if !loopback(l) {
			t.Errorf("%s is loopback", l)
		}
	}
	for _, l := range []string{"0.0.0.0:8080", ":8080", "[::]:8080", "10.1.2.3:8080", "fhir.example:8080"} {
		if loopback(l) {
			t.Errorf("%s is not loopback", l)
		}
	}
	m, stop := startServe(t, []string{"serve", "-listen", "0.0.0.0:0", "-base-url", "https://fhir.example.nhs.uk/fhir"}, regexp.MustCompile(`serving http://\S+:(\d+)/fhir`))
	defer stop()
	port := m[0][1]
	req, _ := http.NewRequest("GET", "http://127.0.0.1:"+port+"/fhir/Patient?_count=1", nil)
	req.Host = "evil.example"
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), "evil.example") || !strings.Contains(string(body), `"fullUrl":"https://fhir.example.nhs.uk/fhir/Patient/`) {
		t.Errorf("links: %s", truncateStr(string(body), 400))
	}
}

func truncateStr(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// A "when" inside "first" decides whether that item is used: a row where
// its condition fails gets the next item's value.
func TestWhenInsideFirst(t *testing.T) {
	dsn := demoDB(t)
	dir := demoMappingsWith(t, "gender: { column: SEX, concept: local-sex }", `gender:
    concept: local-sex
    first:
      - { value: "F", when: { column: TITLE, equals: [Mrs, Miss, Ms] } }
      - { column: SEX }`)
	title := regexp.MustCompile(`"prefix": \[\s*"(Mrs|Miss|Ms)"`)
	// One preview of the 40 patients under each mapping set; its output
	// is a "-- Patient/id" line before each resource.
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = fmt.Sprint(i + 1)
	}
	each := func(out string) map[string]string {
		got := map[string]string{}
		for _, part := range strings.Split(out, "-- Patient/")[1:] {
			id, body, _ := strings.Cut(part, "\n")
			got[id] = body
		}
		return got
	}
	code, out, errs := run(t, append([]string{"preview", "-mappings", "../../mappingsets/demo", "-adapter", "sqlite", "-dsn", dsn, "Patient"}, ids...)...)
	if code != 0 {
		t.Fatalf("preview: %d %s", code, errs)
	}
	befores := each(out)
	code, out, errs = run(t, append([]string{"preview", "-mappings", dir, "-adapter", "sqlite", "-dsn", dsn, "Patient"}, ids...)...)
	if code != 0 {
		t.Fatalf("preview: %d %s", code, errs)
	}
	afters := each(out)
	if len(befores) != len(ids) || len(afters) != len(ids) {
		t.Fatalf("preview of %d ids printed %d and %d resources", len(ids), len(befores), len(afters))
	}
	titled, others := 0, 0
	for _, id := range ids {
		before, after := befores[id], afters[id]
		want := regexp.MustCompile(`"gender": "[a-z]+"`).FindString(before)
		if title.MatchString(before) {
			want = `"gender": "female"`
			titled++
		} else {
			others++
		}
		if got := regexp.MustCompile(`"gender": "[a-z]+"`).FindString(after); got != want {
			t.Errorf("Patient/%s: %s, want %s", id, got, want)
		}
	}
	if titled == 0 || others == 0 {
		t.Fatalf("the sample needs both: %d with the titles, %d without", titled, others)
	}
	bad := demoMappingsWith(t, "gender: { column: SEX, concept: local-sex }", `gender:
    first:
      - { column: SEX, concept: local-sex }
      - { value: unknown }`)
	if code, _, errs := run(t, "lint", "-mappings", bad); code == 0 || !strings.Contains(errs, `put "concept" on the expression that holds "first"`) {
		t.Errorf("a concept inside first: %d %q", code, errs)
	}
}

// lint, without a database, warns of each element STU3 requires that a
// mapping can leave absent: one it never builds, one built only under a
// condition, one from a concept map that drops the codes it does not
// know. An element with a fixed fallback, or a map whose unknown codes
// are errors, is not warned of.
func TestLintRequiredElements(t *testing.T) {
	code, out, _ := run(t, "lint", "-mappings", "../../mappingsets/demo")
	want := `allergyintolerance.yaml:27:7: warning: AllergyIntolerance.reaction.manifestation is required (min 1 in STU3) and can be absent: AllergyIntolerance.reaction.manifestation.coding comes through concept map "reaction-snomed", which leaves out a code it does not translate`
	if code != 0 || !strings.Contains(out, want) {
		t.Errorf("the demo set: %d, want %s in\n%s", code, want, out)
	}
	if strings.Contains(out, "Observation.status is required") {
		t.Errorf("the demo's obs-status map fails on a code it lacks (unmapped: error), yet lint warns:\n%s", out)
	}
	status := "  status: { column: STATUS, concept: obs-status }\n"
	for with, want := range map[string]string{
		"": `observation.yaml:3:11: warning: Observation.status is required (min 1 in STU3) and the mapping does not build it: every Observation written lacks it`,
		"  status: { value: final, when: { column: STATUS } }\n": `observation.yaml:3:11: warning: Observation.status is required (min 1 in STU3) and can be absent: Observation.status is built only when its condition holds`,
		"  status: final\n": "",
	} {
		dir := t.TempDir()
		entries, _ := os.ReadDir("../../mappingsets/demo")
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join("../../mappingsets/demo", e.Name()))
			if e.Name() == "observation.yaml" {
				if !bytes.Contains(b, []byte(status)) {
					t.Fatalf("observation.yaml has no %q", status)
				}
				b = bytes.Replace(b, []byte(status), []byte(with), 1)
			}
			if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		code, out, errs := run(t, "lint", "-mappings", dir)
		if want == "" {
			if code != 0 || strings.Contains(out, "Observation.status") {
				t.Errorf("status %q: %d %s%s", with, code, out, errs)
			}
		} else if code != 0 || !strings.Contains(out, want) {
			t.Errorf("status %q: %d, want %s in\n%s%s", with, code, want, out, errs)
		}
	}
}

// lint warns when a parameter bound to columns leaves out values the
// element shows (the previous names of PATIENT_ALIAS, for family), and
// refuses a parameter that cannot follow an element.
func TestLintParameterCoverage(t *testing.T) {
	code, out, _ := run(t, "lint", "-mappings", "../../mappingsets/demo")
	if code != 0 || regexp.MustCompile(`warning: \S+ search`).MatchString(out) {
		t.Errorf("the demo set: %d %s", code, out)
	}
	dir := demoMappingsWith(t, "  family: {}\n", "  family:\n    type: string\n    sql: RTRIM(SURNAME)\n")
	code, out, errs := run(t, "lint", "-mappings", dir)
	if code != 0 || !regexp.MustCompile(`patient\.yaml:\d+:3: warning: Patient search family: the resource also shows a value from PATIENT_ALIAS\.SURNAME at name\.family`).MatchString(out) {
		t.Errorf("a family bound to SURNAME only: %d %s %s", code, out, errs)
	}
	for replace, want := range map[string]string{
		"  gender: {}\n": "  gender: {}\n  npi: {}\n",
		"  email: {}\n":  "  email: {}\n  animal-species: {}\n",
		"  family: {}\n": "  family:\n    type: token\n",
	} {
		dir := demoMappingsWith(t, replace, want)
		code, _, errs := run(t, "lint", "-mappings", dir)
		msg := map[string]string{
			"  gender: {}\n": "npi is not an STU3 search parameter of Patient",
			"  email: {}\n":  "the mapping shows nothing at Patient.animal.species",
			"  family: {}\n": "family is a string parameter in STU3, not token",
		}[replace]
		if code == 0 || !strings.Contains(errs, msg) {
			t.Errorf("%q: %d %q", want, code, errs)
		}
	}
}

// serve with server.admin_listen: metrics, health and (asked for) pprof on
// the admin listener, none of them on the API's.
func TestServeAdminListener(t *testing.T) {
	dir := t.TempDir()
	mappings, _ := filepath.Abs("../../mappingsets/demo")
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("server:\n  listen: 127.0.0.1:0\n  admin_listen: 127.0.0.1:0\n  pprof: true\ndatabase: { adapter: sqlite, dsn: \"%s\" }\nmappings: %s\n", demoDB(t), mappings)), 0o600)
	m, stop := startServe(t, []string{"serve", "-config", cfg}, regexp.MustCompile(`serving (http://\S+/fhir)`), regexp.MustCompile(`admin on (http://\S+) `))
	defer stop()
	api, admin := m[0][1], m[1][1]
	fetch := func(u string) (int, string) {
		res, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	fetch(api + "/Patient/1")
	if code, body := fetch(admin + "/metrics"); code != 200 || !strings.Contains(body, `ccfacade_requests_total{interaction="read",resource="Patient",status="200"} 1`) || !strings.Contains(body, "ccfacade_db_connections_open") {
		t.Errorf("admin /metrics: %d %s", code, truncateStr(body, 300))
	}
	for _, p := range []string{"/livez", "/readyz", "/debug/pprof/"} {
		if code, _ := fetch(admin + p); code != 200 {
			t.Errorf("admin %s: %d", p, code)
		}
	}
	base := strings.TrimSuffix(api, "/fhir")
	for _, p := range []string{"/metrics", "/debug/pprof/"} {
		if code, body := fetch(base + p); code == 200 || strings.Contains(body, "ccfacade_requests_total") {
			t.Errorf("API port %s: %d", p, code)
		}
	}
	if code, _ := fetch(base + "/readyz"); code != 200 {
		t.Errorf("API port /readyz: %d", code)
	}
}

// startServe runs the CLI with args until its output matches every
// pattern (waiting generously: CI machines are loaded), and returns the
// matches and a function that stops it, waits for it to end and returns
// its exit code.
func startServe(t *testing.T, args []string, patterns ...*regexp.Regexp) ([][]string, func() int) {
	t.Helper()
	return startServeLogs(t, args, new(syncBuffer), patterns...)
}

// startServeLogs is startServe with the program's log (its stderr) kept
// in errb.
func startServeLogs(t *testing.T, args []string, errb *syncBuffer, patterns ...*regexp.Regexp) ([][]string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, args, &out, errb) }()
	matches := make([][]string, len(patterns))
	changed := awake() // the output is looked at first, then at each write
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d: %s", code, errb.String())
		case <-changed:
		case <-time.After(time.Until(deadline)):
		}
		changed = out.Changed()
		all := true
		for i, p := range patterns {
			if matches[i] = p.FindStringSubmatch(out.String()); matches[i] == nil {
				all = false
			}
		}
		if all {
			return matches, func() int {
				cancel()
				select {
				case code := <-done:
					return code
				case <-time.After(time.Minute):
					t.Fatal("serve did not shut down")
					return 0
				}
			}
		}
	}
	cancel()
	t.Fatalf("serve did not start: %s %s", out.String(), errb.String())
	return nil, nil
}

// The secure demo: HTTPS with a certificate of its own and JWT on; tokens
// from `ccfacade token` (for the demo only) reach what their scopes say.
func TestSecureDemoAndToken(t *testing.T) {
	dir := t.TempDir()
	if code, _, errs := run(t, "token", "-dir", dir, "-patient", "3"); code == 0 || !strings.Contains(errs, "serve -secure-demo") {
		t.Errorf("a token without the secure demo: %d %q", code, errs)
	}
	if code, _, errs := run(t, "serve", "-secure-demo", "-secure-demo-dir", dir, "-mappings", "builtin:demo", "-adapter", "sqlite", "-dsn", "file:"+filepath.Join(dir, "x.db")); code == 0 || !strings.Contains(errs, "built-in demo only") {
		t.Errorf("-secure-demo with other mappings: %d %q", code, errs)
	}
	m, stop := startServe(t, []string{"serve", "-secure-demo", "-secure-demo-dir", dir, "-listen", "127.0.0.1:0"},
		regexp.MustCompile(`serving (https://\S+/fhir)`), regexp.MustCompile(`try: curl --cacert (\S+) `))
	defer stop()
	base := m[0][1]
	pem, err := os.ReadFile(m[1][1])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("the printed certificate is not PEM")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 30 * time.Second}
	tok := func(args ...string) string {
		code, out, errs := run(t, append([]string{"token", "-dir", dir}, args...)...)
		if code != 0 {
			t.Fatalf("token %v: %d %s", args, code, errs)
		}
		return strings.TrimSpace(out)
	}
	call := func(path, token string) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	p3 := tok("-patient", "3")
	for _, c := range []struct {
		path, token string
		want        int
	}{
		{"/Patient/3", p3, 200},
		{"/Patient/4", p3, 403},
		{"/Observation?patient=3", p3, 200},
		{"/Patient/3", "", 401},
		{"/Patient/4", tok(), 200},                                  // user/*.read
		{"/Patient/4", tok("-scope", "user/Observation.read"), 403}, // no Patient scope
		{"/Observation?patient.family=smi", tok("-scope", "user/Observation.read"), 403},
		{"/metadata", "", 200},
	} {
		if got := call(c.path, c.token); got != c.want {
			t.Errorf("%s: %d, want %d", c.path, got, c.want)
		}
	}
	// A token of the demo is refused by a service configured otherwise:
	// another issuer's keys do not verify it.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "c.yaml"), []byte(fmt.Sprintf("database: { adapter: sqlite, dsn: \"%s\" }\nmappings: %s\nserver: { listen: 127.0.0.1:0 }\nauth: { mode: jwt, jwt: { jwks_file: %s, issuers: [https://auth.example.nhs.uk], audiences: [ccfacade] } }\n",
		demoDB(t), mustAbs(t, "../../mappingsets/demo"), filepath.Join(dir, "jwks.json"))), 0o600)
	m2, stop2 := startServe(t, []string{"serve", "-config", filepath.Join(other, "c.yaml")}, regexp.MustCompile(`serving (http://\S+/fhir)`))
	defer stop2()
	req, _ := http.NewRequest("GET", m2[0][1]+"/Patient/3", nil)
	req.Header.Set("Authorization", "Bearer "+p3)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 401 {
		t.Errorf("the demo's token against another configuration: %v %v", err, res)
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// probe, the health check of images without curl: 0 on 200, else 1.
func TestProbe(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) }))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		w.Write([]byte("database: not reachable\n"))
	}))
	defer down.Close()
	if code, out, errs := run(t, "probe", ok.URL+"/readyz"); code != 0 || out != "ok\n" {
		t.Errorf("probe of a ready server: %d %q %q", code, out, errs)
	}
	if code, _, errs := run(t, "probe", down.URL+"/readyz"); code != 1 || !strings.Contains(errs, "503: database: not reachable") {
		t.Errorf("probe of a server that is not ready: %d %q", code, errs)
	}
}

// With tracing.endpoint, serve sends its spans to the OTLP/HTTP collector
// (flushed when it stops).
func TestServeExportsTraces(t *testing.T) {
	var mu sync.Mutex
	var bodies [][]byte
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		if r.URL.Path == "/v1/traces" && r.Method == "POST" {
			bodies = append(bodies, b)
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("server: { listen: 127.0.0.1:0 }\ndatabase: { adapter: sqlite, dsn: \"%s\" }\nmappings: %s\ntracing: { endpoint: %s, service_name: ccfacade-under-test }\n",
		demoDB(t), mustAbs(t, "../../mappingsets/demo"), collector.URL)), 0o600)
	m, stop := startServe(t, []string{"serve", "-config", cfg}, regexp.MustCompile(`serving (http://\S+/fhir)`))
	res, err := http.Get(m[0][1] + "/Patient/3")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("read: %v %v", err, res)
	}
	res.Body.Close()
	stop()
	mu.Lock()
	defer mu.Unlock()
	all := bytes.Join(bodies, nil)
	for _, want := range []string{"ccfacade-under-test", "GET /fhir/:type/:id", "patient.yaml", "db.statement"} {
		if !bytes.Contains(all, []byte(want)) {
			t.Errorf("the exported spans lack %q (%d exports, %d bytes)", want, len(bodies), len(all))
		}
	}
}

// lint, against the database, fails on an extension used outside its
// context and on a Quantity with a unit system but no code.
func TestLintExtensionContextAndQuantity(t *testing.T) {
	dsn := demoDB(t)
	for file, c := range map[string]struct{ old, new, want string }{
		"medicationstatement.yaml": {"  status: { column: STATUS, concept: repeat-status }",
			"    - url: https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-PrescriptionType-1\n      valueCodeableConcept:\n        coding:\n          - system: https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1\n            code: repeat\n  status: { column: STATUS, concept: repeat-status }",
			"Extension-CareConnect-PrescriptionType-1 is defined for MedicationRequest, not MedicationStatement"},
		"observation.yaml": {"system: { value: http://unitsofmeasure.org, when: { column: UNITS, concept: ucum } }", "system: http://unitsofmeasure.org",
			"a unit system without a code"},
	} {
		dir := t.TempDir()
		entries, _ := os.ReadDir("../../mappingsets/demo")
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join("../../mappingsets/demo", e.Name()))
			if e.Name() == file {
				if !bytes.Contains(b, []byte(c.old)) {
					t.Fatalf("%s has no %q", file, c.old)
				}
				b = bytes.Replace(b, []byte(c.old), []byte(c.new), 1)
			}
			os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
		}
		code, _, errs := run(t, "lint", "-mappings", dir, "-adapter", "sqlite", "-dsn", dsn, "-sample", "200")
		if code == 0 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: %d, want %q in\n%s", file, code, c.want, truncateStr(errs, 600))
		}
	}
	if code, _, errs := run(t, "lint", "-mappings", "../../mappingsets/demo", "-adapter", "sqlite", "-dsn", dsn, "-sample", "200"); code != 0 {
		t.Errorf("the demo set: %d %s", code, truncateStr(errs, 600))
	}
}

// A table the database does not have, named without a schema: the message
// says names are looked up in the default schema only.
func TestMissingTableNamesTheSchema(t *testing.T) {
	dir := demoMappingsWith(t, "  table: PATIENT\n", "  table: PATIENTS\n")
	code, _, errs := run(t, "lint", "-mappings", dir, "-adapter", "sqlite", "-dsn", demoDB(t))
	if code == 0 || !strings.Contains(errs, `table "PATIENTS" does not exist in the connection's default schema (a table of another schema needs its schema's name: schema.PATIENTS)`) {
		t.Errorf("%d %s", code, truncateStr(errs, 500))
	}
}

// awake is a channel already closed: a wait on it returns at once.
func awake() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// The admin listener closes idle kept-alive connections after
// server.idle_timeout, like the API's, and a profiler reachable from
// other hosts is warned of.
func TestAdminListenerClosesIdleConnections(t *testing.T) {
	dir := t.TempDir()
	mappings, _ := filepath.Abs("../../mappingsets/demo")
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("server:\n  listen: 127.0.0.1:0\n  admin_listen: 0.0.0.0:0\n  pprof: true\n  idle_timeout: 300ms\ndatabase: { adapter: sqlite, dsn: \"%s\" }\nmappings: %s\n", demoDB(t), mappings)), 0o600)
	var logs syncBuffer
	m, stop := startServeLogs(t, []string{"serve", "-config", cfg}, &logs, regexp.MustCompile(`serving (http://\S+/fhir)`), regexp.MustCompile(`admin on http://(\S+) `))
	defer stop()
	if !strings.Contains(logs.String(), "server.pprof is on and server.admin_listen is reachable from other hosts") {
		t.Errorf("no warning of a profiler on every interface:\n%s", logs.String())
	}
	api, err := url.Parse(m[0][1])
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(m[1][1])
	for name, addr := range map[string]string{"admin": "127.0.0.1:" + port, "api": api.Host} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		// The server must close the connection: a generous deadline, far
		// past the idle timeout, on a loaded machine.
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("%s listener: an idle kept-alive connection was not closed: %v", name, err)
		}
	}
}

// lossDB is a SQLite database of patients whose birth dates are yyyyMMdd
// text; bad of them are not dates at all.
func lossDB(t *testing.T, rows, bad int) string {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "loss.db")
	script := "CREATE TABLE PT (ID INTEGER PRIMARY KEY, SURNAME VARCHAR(30), DOB VARCHAR(8), SEX CHAR(1));\n"
	for i := 1; i <= rows; i++ {
		dob := fmt.Sprintf("1980%02d%02d", i%12+1, i%28+1)
		if i <= bad {
			dob = "UNKNOWN"
		}
		script += fmt.Sprintf("INSERT INTO PT VALUES (%d, 'SMITH', '%s', 'F');\n", i, dob)
	}
	adaptertest.Load(t, sqlite.Open, dsn, script).Close()
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
