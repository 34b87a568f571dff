package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// generated is every row of some tables (all by default) of one data set,
// kept in memory: fine for the sizes these tests use.
type generated map[string][][]any

func generateAll(t testing.TB, opt Options, tables ...string) generated {
	t.Helper()
	if len(tables) == 0 {
		tables = Tables()
	}
	g := generated{}
	for _, table := range tables {
		rows := [][]any{} // an empty table is still present
		if err := Generate(opt, table, func(row []any) error {
			rows = append(rows, row)
			return nil
		}); err != nil {
			t.Fatalf("generate %s: %v", table, err)
		}
		g[table] = rows
	}
	return g
}

// col returns the index of column name in table, failing the test if there
// is none.
func col(t testing.TB, table, name string) int {
	t.Helper()
	i := slices.Index(Columns(table), name)
	if i < 0 {
		t.Fatalf("%s has no column %s", table, name)
	}
	return i
}

// str returns a row value as a string, "" for NULL.
func str(v any) string {
	if v == nil {
		return ""
	}
	return v.(string)
}

// encode appends a canonical, type-tagged encoding of a row value, so the
// hash of a table changes when any value or type does.
func encode(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, 'N'), nil
	case int64:
		return strconv.AppendInt(append(b, 'I'), v, 10), nil
	case string:
		b = strconv.AppendInt(append(b, 'S'), int64(len(v)), 10)
		return append(append(b, ':'), v...), nil
	case time.Time:
		return append(append(b, 'T'), v.Format(time.RFC3339Nano)...), nil
	}
	return b, fmt.Errorf("value %#v of type %T is not one the SQL drivers take (nil, int64, string, time.Time)", v, v)
}

// tableHash is the SHA-256 of a table's rows in canonical encoding.
func tableHash(t testing.TB, opt Options, table string) (string, int) {
	t.Helper()
	h := sha256.New()
	var buf []byte
	n := 0
	err := Generate(opt, table, func(row []any) error {
		n++
		if len(row) != len(Columns(table)) {
			return fmt.Errorf("row %d has %d values for %d columns", n, len(row), len(Columns(table)))
		}
		buf = buf[:0]
		for _, v := range row {
			var err error
			if buf, err = encode(buf, v); err != nil {
				return err
			}
			buf = append(buf, '|')
		}
		h.Write(append(buf, '\n'))
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

func TestDeterministic(t *testing.T) {
	opt := Options{Patients: 700, Seed: 42}
	for _, table := range Tables() {
		a, n := tableHash(t, opt, table)
		b, m := tableHash(t, opt, table)
		if a != b || n != m {
			t.Errorf("%s: two runs differ (%d rows %s, %d rows %s)", table, n, a, m, b)
		}
	}
	// Another seed makes other data; the zero options are the defaults.
	other, _ := tableHash(t, Options{Patients: 700, Seed: 43}, "PATIENT")
	same, _ := tableHash(t, opt, "PATIENT")
	if other == same {
		t.Error("seeds 42 and 43 make the same PATIENT rows")
	}
	zero, _ := tableHash(t, Options{}, "PATIENT")
	dflt, _ := tableHash(t, Options{Patients: 200, Seed: 1}, "PATIENT")
	if zero != dflt {
		t.Error("Options{} is not Options{Patients: 200, Seed: 1}")
	}
}

// TestPrefixStable checks that a bigger data set starts with the smaller
// one: patient n is the same whatever the size (as long as the number of
// practices is), so tests may rely on patient ids across sizes.
func TestPrefixStable(t *testing.T) {
	small, big := generateAll(t, Options{Patients: 100}), generateAll(t, Options{Patients: 1000})
	for _, table := range []string{"PATIENT", "PATIENT_ADDRESS", "PATIENT_CONTACT_NO", "PATIENT_ALIAS", "CONSULTATION", "OBSERVATION"} {
		for i, row := range small[table] {
			if fmt.Sprint(row) != fmt.Sprint(big[table][i]) {
				t.Fatalf("%s row %d differs between 100 and 1000 patients:\n%v\n%v", table, i+1, row, big[table][i])
			}
		}
	}
}

// pinnedHashes pin the default data set (200 patients, seed 1) that the
// demo mappings' tests and documentation quote. A change here changes
// answers elsewhere: update these only on purpose.
var pinnedHashes = map[string]struct {
	rows int
	hash string
}{
	"GP_PRACTICE":        {3, "ae9167c9cb17ced0c4612f64f55e52c59babf09ed64d61ca592c2b88e9e81ee6"},
	"CLINICIAN":          {17, "e7907600a0387d350247c8cf835b98bbab571a08222be75dd2f7c9e84c0c940d"},
	"PATIENT":            {200, "9b9791ca943138d792cd31437f6d6bbbfb40b6d96acfe1db3d896d163dbda7c4"},
	"PATIENT_ADDRESS":    {242, "9de1fb8205783650f9446eb6264805e86367270fda6b417480cafe1f11d32f9d"},
	"PATIENT_CONTACT_NO": {310, "789f32e11924d5dab61ff39e2cc6805a51078ab8fbe5b30fb4105606ef147379"},
	"PATIENT_ALIAS":      {23, "e57e2e3a13b58abd3465cf4bf0c46a6b41bd48cec9b8784ff4bf4b6403219de5"},
}

func TestPinnedHashes(t *testing.T) {
	for _, table := range Tables() {
		want, ok := pinnedHashes[table]
		if !ok {
			continue
		}
		got, n := tableHash(t, Options{}, table)
		if n != want.rows || got != want.hash {
			t.Errorf("%s: %d rows, hash %s; want %d rows, hash %s", table, n, got, want.rows, want.hash)
		}
	}
}

// pinnedPatients are the first rows of PATIENT in the default data set
// (the standing columns last: a current regular registration, nothing
// flagged).
var pinnedPatients = []string{
	`1 "RX1000001" "900 000 0114" "04" "Mr" "Smithers" "Finley" NULL "M" "19360430" NULL "A3" NULL 8 "C81002" "19-DEC-1997" 2020-11-16T08:44:53Z "R" NULL "N" NULL NULL NULL`,
	`2 "RX1000002" "9000000238" "01" "Miss" "Richardson" "Susan" "Elizabeth" "F" "19411012" NULL "W9" "S" 1 "B81001" "09-MAR-2015" 2015-08-03T14:55:02Z "R" NULL "N" NULL NULL NULL`,
	`3 "RX1000003" "9000000335" "01" "Mr" "Webb" "Chukwuemeka" "Matthew" "M" "19661015" NULL "M9" NULL 8 "C81002" "09-SEP-2020" 2021-04-06T00:53:45Z "R" NULL "N" NULL NULL NULL`,
}

func TestPinnedSample(t *testing.T) {
	i := 0
	err := Generate(Options{}, "PATIENT", func(row []any) error {
		if i >= len(pinnedPatients) {
			return errStop
		}
		if got := render(row); got != pinnedPatients[i] {
			t.Errorf("patient %d:\n got %s\nwant %s", i+1, got, pinnedPatients[i])
		}
		i++
		return nil
	})
	if err != nil && err != errStop {
		t.Fatal(err)
	}
}

var errStop = fmt.Errorf("stop")

func render(row []any) string {
	parts := make([]string, len(row))
	for i, v := range row {
		switch v := v.(type) {
		case nil:
			parts[i] = "NULL"
		case string:
			parts[i] = strconv.Quote(v)
		case time.Time:
			parts[i] = v.Format(time.RFC3339)
		default:
			parts[i] = fmt.Sprint(v)
		}
	}
	return strings.Join(parts, " ")
}

// schemaColumn is a column as schema.sql declares it.
type schemaColumn struct {
	name, typ string
	size      int // VARCHAR(n) / CHAR(n); 0 when unsized
	notNull   bool
}

var columnLine = regexp.MustCompile(`^\s*([A-Z_0-9]+)\s+([A-Z]+)(?:\((\d+)\))?([^,-]*)`)

func parseSchema(t testing.TB) map[string][]schemaColumn {
	t.Helper()
	tables := map[string][]schemaColumn{}
	var cur string
	for _, line := range strings.Split(Schema, "\n") {
		if m := regexp.MustCompile(`^CREATE TABLE ([A-Z_0-9]+)`).FindStringSubmatch(line); m != nil {
			cur = m[1]
			tables[cur] = nil
			continue
		}
		if strings.HasPrefix(line, ")") {
			cur = ""
			continue
		}
		m := columnLine.FindStringSubmatch(line)
		if cur == "" || m == nil {
			continue
		}
		size, _ := strconv.Atoi(m[3])
		tables[cur] = append(tables[cur], schemaColumn{name: m[1], typ: m[2], size: size, notNull: strings.Contains(m[4], "NOT NULL")})
	}
	if len(tables) == 0 {
		t.Fatal("no tables found in schema.sql")
	}
	return tables
}

// TestRowsFitSchema checks that Tables and Columns cover schema.sql exactly
// and that every value suits its column: the right Go type, NOT NULL
// honoured, text no longer than its VARCHAR/CHAR size (PostgreSQL rejects
// longer text; SQLite would silently keep it), times in UTC to the second.
func TestRowsFitSchema(t *testing.T) {
	schema := parseSchema(t)
	var inSchema []string
	for name := range schema {
		inSchema = append(inSchema, name)
	}
	slices.Sort(inSchema)
	tables := slices.Sorted(slices.Values(Tables()))
	if !slices.Equal(tables, inSchema) {
		t.Fatalf("Tables() = %v; schema.sql has %v", tables, inSchema)
	}
	g := generateAll(t, Options{Patients: 3000, Seed: 7})
	for _, table := range Tables() {
		declared := map[string]schemaColumn{}
		for _, c := range schema[table] {
			declared[c.name] = c
		}
		cols := Columns(table)
		if got, want := slices.Sorted(slices.Values(cols)), slices.Sorted(func(yield func(string) bool) {
			for _, c := range schema[table] {
				if !yield(c.name) {
					return
				}
			}
		}); !slices.Equal(got, want) {
			t.Errorf("%s: Columns() = %v; schema.sql has %v", table, got, want)
			continue
		}
		if len(g[table]) == 0 {
			t.Errorf("%s: no rows for 3000 patients", table)
		}
		bad := 0
		for i, row := range g[table] {
			for j, v := range row {
				c := declared[cols[j]]
				var problem string
				switch v := v.(type) {
				case nil:
					if c.notNull {
						problem = "NULL in a NOT NULL column"
					}
				case int64:
					if c.typ != "INTEGER" {
						problem = "int64 in a " + c.typ + " column"
					}
				case string:
					if c.typ != "VARCHAR" && c.typ != "CHAR" {
						problem = "string in a " + c.typ + " column"
					} else if !utf8.ValidString(v) {
						problem = "invalid UTF-8"
					} else if n := utf8.RuneCountInString(v); n > c.size {
						problem = fmt.Sprintf("%d characters in %s(%d)", n, c.typ, c.size)
					}
				case time.Time:
					if c.typ != "TIMESTAMP" {
						problem = "time in a " + c.typ + " column"
					} else if v.Location() != time.UTC || v.Nanosecond() != 0 {
						problem = "time not in UTC to the second"
					}
				default:
					problem = fmt.Sprintf("Go type %T", v)
				}
				if problem != "" && bad < 10 {
					bad++
					t.Errorf("%s row %d %s = %#v: %s", table, i+1, cols[j], v, problem)
				}
			}
		}
	}
}

// references are the columns that point at another table's key (its first
// column).
var references = map[string]string{
	"PATIENT_ID":    "PATIENT",
	"PRACTICE_CODE": "GP_PRACTICE",
	"GP_ID":         "CLINICIAN",
	"STAFF_ID":      "CLINICIAN",
	"RECORDED_BY":   "CLINICIAN",
	"CONSULT_ID":    "CONSULTATION",
	"DRUG_ID":       "DRUG",
	"REPEAT_ID":     "REPEAT_MED",
	"SPECIALTY":     "CLIN_SERVICE",
	"REFERRAL_ID":   "REFERRAL",
}

// TestIntegrity checks keys and references across every table: ids dense
// from 1 in order, child rows ordered by patient, every reference found
// (and, between two tables of one patient's record, of the same patient),
// every patient's GP one of their practice's.
func TestIntegrity(t *testing.T) {
	g := generateAll(t, Options{Patients: 2500, Seed: 3})
	keys := map[string]map[any][]any{} // table → key → row
	for _, table := range Tables() {
		keys[table] = map[any][]any{}
		for i, row := range g[table] {
			if id, ok := row[0].(int64); ok && id != int64(i+1) {
				t.Fatalf("%s row %d has id %d: ids must be dense from 1", table, i+1, id)
			}
			if _, dup := keys[table][row[0]]; dup {
				t.Fatalf("%s: duplicate key %v", table, row[0])
			}
			keys[table][row[0]] = row
		}
	}
	for _, table := range Tables() {
		cols := Columns(table)
		patCol := slices.Index(cols, "PATIENT_ID")
		var lastPatient int64
		for _, row := range g[table] {
			if patCol > 0 {
				p := row[patCol].(int64)
				if p < lastPatient {
					t.Fatalf("%s: rows not ordered by PATIENT_ID (%d after %d)", table, p, lastPatient)
				}
				lastPatient = p
			}
			for j, name := range cols {
				target, ok := references[name]
				if !ok || j == 0 || row[j] == nil || target == table {
					continue
				}
				ref, found := keys[target][row[j]]
				if !found {
					t.Fatalf("%s %v: %s %v not found in %s", table, row[0], name, row[j], target)
				}
				if tp := slices.Index(Columns(target), "PATIENT_ID"); patCol > 0 && tp > 0 && ref[tp] != row[patCol] {
					t.Fatalf("%s %v of patient %v points at %s %v of patient %v", table, row[0], row[patCol], target, row[j], ref[tp])
				}
			}
		}
	}
	// A test group's members and header are results of one report, of
	// one patient; the header has no value and is no member.
	parent, report, value := col(t, "OBSERVATION", "PARENT_OBS_ID"), col(t, "OBSERVATION", "REPORT_ID"), col(t, "OBSERVATION", "VALUE_NUM")
	groups := 0
	for _, o := range g["OBSERVATION"] {
		if o[parent] == nil {
			continue
		}
		groups++
		h := keys["OBSERVATION"][o[parent]]
		if h == nil || h[1] != o[1] || h[report] == nil || h[report] != o[report] || h[value] != nil || h[parent] != nil {
			t.Fatalf("OBSERVATION %v: its group header %v is not a header of its report, of its patient", o[0], o[parent])
		}
	}
	if groups == 0 {
		t.Error("no observation is a member of a test group")
	}
	// A problem link points at an existing row of its table, of the
	// problem's patient: an item recorded in the problem's consultation,
	// or another problem, with the links between problems both ways.
	kinds := map[string]int{}
	both := map[[2]any]string{}
	for _, l := range g["PROBLEM_LINK"] {
		problem := keys["PROBLEM"][l[1]]
		table := l[2].(string)
		item, found := keys[table][l[3]]
		if problem == nil || !found {
			t.Fatalf("PROBLEM_LINK %v: problem %v or %s %v not found", l[0], l[1], table, l[3])
		}
		kinds[table]++
		if item[slices.Index(Columns(table), "PATIENT_ID")] != problem[1] {
			t.Fatalf("PROBLEM_LINK %v links problem %v of patient %v to %s %v of another patient", l[0], l[1], problem[1], table, l[3])
		}
		if table == "PROBLEM" {
			both[[2]any{l[1], l[3]}] = l[4].(string)
			continue
		}
		if l[4] != nil || item[slices.Index(Columns(table), "CONSULT_ID")] != problem[2] {
			t.Fatalf("PROBLEM_LINK %v: %s %v was not recorded in problem %v's consultation %v, or has a relationship", l[0], table, l[3], l[1], problem[2])
		}
	}
	for k, rel := range both {
		if back := both[[2]any{k[1], k[0]}]; back == "" || back == rel || rel != "parent" && rel != "child" {
			t.Fatalf("problems %v and %v are linked %q one way and %q the other", k[0], k[1], rel, back)
		}
	}
	for _, l := range []string{"PROBLEM", "OBSERVATION", "ALLERGY", "REPEAT_MED", "IMMUNISATION", "REFERRAL", "DIARY_ENTRY", "TEST_REPORT"} {
		if kinds[l] == 0 {
			t.Errorf("no problem is linked to a %s row", l)
		}
	}
	gp, prac := col(t, "PATIENT", "GP_ID"), col(t, "PATIENT", "PRACTICE_CODE")
	cprac := col(t, "CLINICIAN", "PRACTICE_CODE")
	for _, p := range g["PATIENT"] {
		if p[gp] == nil {
			t.Fatalf("patient %v has no GP", p[0])
		}
		if c := keys["CLINICIAN"][p[gp]]; c[cprac] != p[prac] {
			t.Fatalf("patient %v is registered at %v but their GP %v works at %v", p[0], p[prac], p[gp], c[cprac])
		}
	}
}

// nhsValid is the NHS number modulus-11 check, written independently of
// the generator.
func nhsValid(s string) bool {
	if len(s) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 10; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
		if i < 9 {
			sum += int(s[i]-'0') * (10 - i)
		}
	}
	check := (11 - sum%11) % 11
	return check != 10 && check == int(s[9]-'0')
}

func TestNHSNumberCheck(t *testing.T) {
	for s, want := range map[string]bool{"9434765919": true, "9434765918": false, "4010232137": true, "943476591": false} {
		if nhsValid(s) != want {
			t.Errorf("nhsValid(%q) = %v", s, !want)
		}
	}
}

func TestNHSNumbers(t *testing.T) {
	format := regexp.MustCompile(`^9\d{9}$|^9\d\d \d{3} \d{4}$`)
	for _, opt := range []Options{{}, {Patients: 50000, Seed: 9}} {
		nhs := col(t, "PATIENT", "NHS_NUMBER")
		seen := map[string]int64{}
		err := Generate(opt, "PATIENT", func(row []any) error {
			if row[nhs] == nil {
				return nil
			}
			s := row[nhs].(string)
			if !format.MatchString(s) {
				return fmt.Errorf("patient %v: NHS number %q is not 10 digits starting 9, bare or spaced 3-3-4", row[0], s)
			}
			bare := strings.ReplaceAll(s, " ", "")
			if !nhsValid(bare) {
				return fmt.Errorf("patient %v: NHS number %q fails the modulus-11 check", row[0], s)
			}
			if other, dup := seen[bare]; dup {
				return fmt.Errorf("patients %d and %v share NHS number %s", other, row[0], bare)
			}
			seen[bare] = row[0].(int64)
			return nil
		})
		if err != nil {
			t.Fatalf("%d patients: %v", opt.Patients, err)
		}
	}
}

// share is the fraction of rows for which f is true.
func share(rows [][]any, f func(row []any) bool) float64 {
	n := 0
	for _, r := range rows {
		if f(r) {
			n++
		}
	}
	return float64(n) / float64(len(rows))
}

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s: %.3f, want %.3f ± %.3f", what, got, want, tol)
	}
}

var (
	dmyRe      = regexp.MustCompile(`^\d{2}/\d{2}/\d{4}$`)
	postcodeRe = regexp.MustCompile(`^([A-Z]{1,2}\d{1,2}) ?(\d[ABD-HJLNP-UW-Z]{2})$`)
	landlineRe = regexp.MustCompile(`^01\d{2} \d{3} \d{4}$`)
	mobileRe   = regexp.MustCompile(`^07\d{3} \d{6}$`)
)

func parse(t *testing.T, layout, s string) time.Time {
	t.Helper()
	if layout == "02-JAN-2006" {
		s = s[:3] + s[3:4] + strings.ToLower(s[4:6]) + s[6:]
		layout = "02-Jan-2006"
	}
	d, err := time.Parse(layout, s)
	if err != nil {
		t.Fatalf("%q is not a %s date: %v", s, layout, err)
	}
	return d
}

func TestPracticesAndClinicians(t *testing.T) {
	for _, n := range []int{10, 200, 4499, 4500, 30000} {
		practices := 0
		Generate(Options{Patients: n}, "GP_PRACTICE", func([]any) error { practices++; return nil })
		if want := max(3, n/1500); practices != want {
			t.Errorf("%d patients: %d practices, want %d", n, practices, want)
		}
	}
	g := generateAll(t, Options{Patients: 30000, Seed: 5}, "GP_PRACTICE", "CLINICIAN")
	ods := regexp.MustCompile(`^[A-Z]\d{5}$`)
	outward := map[string]bool{}
	for _, tw := range towns {
		for _, o := range tw.outward {
			outward[o] = true
		}
	}
	names := map[string]bool{}
	perPractice := map[any]int{}
	for _, p := range g["GP_PRACTICE"] {
		code, name := p[0].(string), p[1].(string)
		if !ods.MatchString(code) {
			t.Errorf("practice code %q is not a letter and five digits", code)
		}
		if names[name] {
			t.Errorf("two practices are called %q", name)
		}
		names[name] = true
		if m := postcodeRe.FindStringSubmatch(str(p[col(t, "GP_PRACTICE", "POSTCODE")])); m == nil || !outward[m[1]] {
			t.Errorf("practice %s: postcode %v", code, p[col(t, "GP_PRACTICE", "POSTCODE")])
		}
		if ph := str(p[col(t, "GP_PRACTICE", "PHONE")]); !landlineRe.MatchString(ph) {
			t.Errorf("practice %s: phone %q", code, ph)
		}
		parse(t, "02/01/2006", str(p[col(t, "GP_PRACTICE", "OPEN_DATE")]))
		if f := p[col(t, "GP_PRACTICE", "CLOSED_FLAG")]; f != "Y" && f != "N" {
			t.Errorf("practice %s: CLOSED_FLAG %v", code, f)
		}
	}
	gmc, gpCode := map[string]bool{}, map[string]bool{}
	email := regexp.MustCompile(`^[a-z]+\.[a-z]+\d*@nhs\.net$`)
	c := func(name string) int { return col(t, "CLINICIAN", name) }
	for _, r := range g["CLINICIAN"] {
		perPractice[r[c("PRACTICE_CODE")]]++
		if s := str(r[c("GMC_NUMBER")]); !regexp.MustCompile(`^\d{7}$`).MatchString(s) || gmc[s] {
			t.Errorf("clinician %v: GMC number %q not 7 digits or not unique", r[0], s)
		} else {
			gmc[s] = true
		}
		if s := str(r[c("GP_CODE")]); !regexp.MustCompile(`^G\d{7}$`).MatchString(s) || gpCode[s] {
			t.Errorf("clinician %v: GP code %q not G and 7 digits or not unique", r[0], s)
		} else {
			gpCode[s] = true
		}
		if r[c("TITLE")] != "Dr" || (r[c("SEX")] != "M" && r[c("SEX")] != "F") {
			t.Errorf("clinician %v: title %v sex %v", r[0], r[c("TITLE")], r[c("SEX")])
		}
		if s := str(r[c("EMAIL")]); !email.MatchString(s) {
			t.Errorf("clinician %v: e-mail %q", r[0], s)
		}
	}
	for _, p := range g["GP_PRACTICE"] {
		if n := perPractice[p[0]]; n < 3 || n > 6 {
			t.Errorf("practice %v has %d GPs, want 3 to 6", p[0], n)
		}
	}
	if active := share(g["CLINICIAN"], func(r []any) bool { return r[c("ACTIVE_FLAG")] == "Y" }); active < 0.75 || active == 1 {
		t.Errorf("%.2f of clinicians active; want most but not all", active)
	}
}

func TestPatientProportions(t *testing.T) {
	const n = 20000
	g := generateAll(t, Options{Patients: n, Seed: 11}, "PATIENT")
	pats := g["PATIENT"]
	if len(pats) != n {
		t.Fatalf("%d patients, want %d", len(pats), n)
	}
	c := func(name string) int { return col(t, "PATIENT", name) }
	is := func(name string, v any) func([]any) bool { return func(r []any) bool { return r[c(name)] == v } }
	nhs := c("NHS_NUMBER")
	near(t, "NHS_NUMBER NULL", share(pats, is("NHS_NUMBER", nil)), 0.02, 0.006)
	near(t, "NHS_NUMBER with spaces", share(pats, func(r []any) bool { return strings.Contains(str(r[nhs]), " ") }), 0.20, 0.02)
	near(t, "NHS_NO_STATUS 01", share(pats, is("NHS_NO_STATUS", "01")), 0.71, 0.03)
	for _, st := range []string{"02", "03", "04"} {
		near(t, "NHS_NO_STATUS "+st, share(pats, is("NHS_NO_STATUS", st)), 0.09, 0.02)
	}
	near(t, "SURNAME padded", share(pats, func(r []any) bool { return strings.HasSuffix(r[c("SURNAME")].(string), " ") }), 0.15, 0.02)
	near(t, "FORENAME2 NULL", share(pats, is("FORENAME2", nil)), 0.40, 0.03)
	near(t, "SEX M", share(pats, is("SEX", "M")), 0.49, 0.03)
	near(t, "SEX F", share(pats, is("SEX", "F")), 0.49, 0.03)
	near(t, "SEX U", share(pats, is("SEX", "U")), 0.01, 0.005)
	near(t, "SEX I", share(pats, is("SEX", "I")), 0.01, 0.005)
	near(t, "DATE_OF_DEATH set", 1-share(pats, is("DATE_OF_DEATH", nil)), 0.03, 0.008)
	near(t, "ETHNIC_ORIGIN NULL", share(pats, is("ETHNIC_ORIGIN", nil)), 0.08, 0.02)
	near(t, "ETHNIC_ORIGIN XX (unmapped)", share(pats, is("ETHNIC_ORIGIN", "XX")), 0.04, 0.015)
	near(t, "MARITAL_STATUS NULL", share(pats, is("MARITAL_STATUS", nil)), 0.10, 0.02)

	ethnic := map[string]bool{}
	for _, e := range ethnicCodes {
		ethnic[e] = true
	}
	seenNames := map[string]bool{}
	hosp := map[string]bool{}
	male, female := toSet(maleNames), toSet(femaleNames)
	titles := map[string][]string{"M": {"Mr", "Dr", "Master"}, "F": {"Mrs", "Ms", "Miss", "Dr"}, "U": {"", "Mx", "Dr"}, "I": {"", "Mx", "Dr"}}
	lo, hi := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	regRe := regexp.MustCompile(`^\d{2}-(JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)-\d{4}$`)
	for _, r := range pats {
		id := r[0]
		if h := r[c("HOSPITAL_NO")].(string); !regexp.MustCompile(`^RX1\d{6}$`).MatchString(h) || hosp[h] {
			t.Fatalf("patient %v: HOSPITAL_NO %q", id, h)
		} else {
			hosp[h] = true
		}
		if (r[nhs] == nil) != (r[c("NHS_NO_STATUS")] == nil) {
			t.Fatalf("patient %v: NHS number %v with status %v", id, r[nhs], r[c("NHS_NO_STATUS")])
		}
		sex := r[c("SEX")].(string)
		if !slices.Contains(titles[sex], str(r[c("TITLE")])) {
			t.Fatalf("patient %v: title %v for sex %s", id, r[c("TITLE")], sex)
		}
		f1, f2 := r[c("FORENAME1")].(string), str(r[c("FORENAME2")])
		switch sex {
		case "M":
			if !male[f1] || (f2 != "" && !male[f2]) {
				t.Fatalf("patient %v: male with forenames %q %q", id, f1, f2)
			}
		case "F":
			if !female[f1] || (f2 != "" && !female[f2]) {
				t.Fatalf("patient %v: female with forenames %q %q", id, f1, f2)
			}
		}
		if f1 == f2 {
			t.Fatalf("patient %v: forenames %q %q", id, f1, f2)
		}
		surname := r[c("SURNAME")].(string)
		if surname == "" || surname[0] == ' ' {
			t.Fatalf("patient %v: surname %q", id, surname)
		}
		seenNames[strings.TrimRight(surname, " ")] = true
		seenNames[f1] = true
		dob := parse(t, "20060102", r[c("DATE_OF_BIRTH")].(string))
		if dob.Year() < 1925 || dob.Year() > 2024 {
			t.Fatalf("patient %v: born %v", id, dob)
		}
		end := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		if d := r[c("DATE_OF_DEATH")]; d != nil {
			if !dmyRe.MatchString(d.(string)) {
				t.Fatalf("patient %v: DATE_OF_DEATH %q", id, d)
			}
			if end = parse(t, "02/01/2006", d.(string)); !end.After(dob) || end.Year() > 2024 {
				t.Fatalf("patient %v: born %v, died %v", id, dob, end)
			}
		}
		// Age-appropriate titles and marital status.
		child, young := end.Before(dob.AddDate(16, 0, 0)), end.Before(dob.AddDate(25, 0, 0))
		title := str(r[c("TITLE")])
		switch {
		case child && sex == "M" && title != "Master",
			child && sex == "F" && title != "Miss",
			!child && title == "Master",
			young && title == "Dr":
			t.Fatalf("patient %v: %s aged %d, sex %s", id, title, end.Year()-dob.Year(), sex)
		}
		if m := str(r[c("MARITAL_STATUS")]); child && m != "" && m != "S" && m != "N" {
			t.Fatalf("patient %v: a child with marital status %s", id, m)
		}
		if e := r[c("ETHNIC_ORIGIN")]; e != nil && !ethnic[e.(string)] {
			t.Fatalf("patient %v: ETHNIC_ORIGIN %q", id, e)
		}
		if m := r[c("MARITAL_STATUS")]; m != nil && !strings.Contains("SMDWPN", m.(string)) {
			t.Fatalf("patient %v: MARITAL_STATUS %q", id, m)
		}
		reg := r[c("REGISTERED_DATE")].(string)
		if !regRe.MatchString(reg) || parse(t, "02-JAN-2006", reg).Before(dob) || parse(t, "02-JAN-2006", reg).After(end) {
			t.Fatalf("patient %v: REGISTERED_DATE %q (born %v, died or 2025 %v)", id, reg, dob, end)
		}
		if u := r[c("LAST_UPDATED")].(time.Time); u.Before(lo) || !u.Before(hi) || u.Before(parse(t, "02-JAN-2006", reg)) {
			t.Fatalf("patient %v: LAST_UPDATED %v (registered %s)", id, u, reg)
		}
	}
	for _, name := range []string{"Smith", "Smithson", "Smyth", "O'Brien", "Brontë", "Zoë", "Siobhán"} {
		if !seenNames[name] {
			t.Errorf("no patient is called %s", name)
		}
	}
	for _, e := range []string{"W1", "A1", "B1", "C1", "NS", "XX"} {
		if share(pats, is("ETHNIC_ORIGIN", e)) == 0 {
			t.Errorf("ETHNIC_ORIGIN %s never used", e)
		}
	}
}

func toSet(list []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range list {
		m[s] = true
	}
	return m
}

func TestPatientChildren(t *testing.T) {
	const n = 20000
	g := generateAll(t, Options{Patients: n, Seed: 13}, "PATIENT", "PATIENT_ADDRESS", "PATIENT_CONTACT_NO", "PATIENT_ALIAS")
	sex := map[int64]string{}
	for _, p := range g["PATIENT"] {
		sex[p[0].(int64)] = p[col(t, "PATIENT", "SEX")].(string)
	}
	outward := map[string]bool{}
	for _, tw := range towns {
		for _, o := range tw.outward {
			outward[o] = true
		}
	}

	a := func(name string) int { return col(t, "PATIENT_ADDRESS", name) }
	homes, others := map[int64]int{}, map[int64]int{}
	tidy, lower, nospace := 0, 0, 0
	for _, r := range g["PATIENT_ADDRESS"] {
		pid := r[a("PATIENT_ID")].(int64)
		typ := r[a("ADDRESS_TYPE")].(string)
		switch typ {
		case "H":
			homes[pid]++
		case "C", "T":
			others[pid]++
		default:
			t.Fatalf("address %v: type %q", r[0], typ)
		}
		pc := str(r[a("POSTCODE")])
		m := postcodeRe.FindStringSubmatch(strings.ToUpper(pc))
		if m == nil || !outward[m[1]] {
			t.Fatalf("address %v: postcode %q", r[0], pc)
		}
		switch {
		case pc != strings.ToUpper(pc):
			lower++
		case !strings.Contains(pc, " "):
			nospace++
		default:
			tidy++
		}
		from := parse(t, "2006-01-02", r[a("FROM_DATE")].(string))
		to := r[a("TO_DATE")]
		if (typ == "T") != (to != nil) {
			t.Fatalf("address %v: type %s with TO_DATE %v", r[0], typ, to)
		}
		if to != nil && !parse(t, "2006-01-02", to.(string)).After(from) {
			t.Fatalf("address %v: from %v to %v", r[0], from, to)
		}
	}
	for id := int64(1); id <= n; id++ {
		if homes[id] != 1 || others[id] > 1 {
			t.Fatalf("patient %d: %d home and %d other addresses", id, homes[id], others[id])
		}
	}
	total := float64(len(g["PATIENT_ADDRESS"]))
	near(t, "patients with a second address", float64(len(others))/n, 0.20, 0.02)
	near(t, "tidy postcodes", float64(tidy)/total, 0.80, 0.03)
	near(t, "lower-case postcodes", float64(lower)/total, 0.10, 0.02)
	near(t, "postcodes without the space", float64(nospace)/total, 0.10, 0.02)

	k := func(name string) int { return col(t, "PATIENT_CONTACT_NO", name) }
	contacts, preferred := map[int64]int{}, map[int64]int{}
	types := map[string]int{}
	for _, r := range g["PATIENT_CONTACT_NO"] {
		pid := r[k("PATIENT_ID")].(int64)
		contacts[pid]++
		v := r[k("CONTACT_VALUE")].(string)
		typ := r[k("CONTACT_TYPE")].(string)
		types[typ]++
		ok := false
		switch typ {
		case "HT", "WT":
			ok = landlineRe.MatchString(v)
		case "MT":
			ok = mobileRe.MatchString(v)
		case "EM":
			ok = regexp.MustCompile(`^[a-z]+\.[a-z]+\d*@[a-z.]+$`).MatchString(v)
		}
		if !ok {
			t.Fatalf("contact %v: %s %q", r[0], typ, v)
		}
		switch r[k("PREFERRED")] {
		case "Y":
			preferred[pid]++
		case nil:
		default:
			t.Fatalf("contact %v: PREFERRED %v", r[0], r[k("PREFERRED")])
		}
	}
	for id := int64(1); id <= n; id++ {
		if contacts[id] > 3 || preferred[id] > 1 {
			t.Fatalf("patient %d: %d contacts, %d preferred", id, contacts[id], preferred[id])
		}
	}
	near(t, "contacts per patient", float64(len(g["PATIENT_CONTACT_NO"]))/n, 1.5, 0.1)
	near(t, "patients with no contact", 1-float64(len(contacts))/n, 0.25, 0.03)
	for _, typ := range []string{"HT", "MT", "WT", "EM"} {
		near(t, "contacts "+typ, float64(types[typ])/float64(len(g["PATIENT_CONTACT_NO"])), 0.25, 0.03)
	}

	l := func(name string) int { return col(t, "PATIENT_ALIAS", name) }
	aliased := map[int64]bool{}
	maiden := 0
	for _, r := range g["PATIENT_ALIAS"] {
		pid := r[l("PATIENT_ID")].(int64)
		aliased[pid] = true
		switch r[l("ALIAS_TYPE")] {
		case "M":
			maiden++
			if sex[pid] != "F" {
				t.Fatalf("alias %v: maiden name of a patient of sex %s", r[0], sex[pid])
			}
		case "P", "K":
		default:
			t.Fatalf("alias %v: type %v", r[0], r[l("ALIAS_TYPE")])
		}
		if r[l("SURNAME")] == nil {
			t.Fatalf("alias %v has no surname", r[0])
		}
	}
	near(t, "patients with an alias", float64(len(aliased))/n, 0.10, 0.015)
	if maiden == 0 {
		t.Error("no maiden names")
	}
}

// TestDefaultDataSet checks what the demo mappings' tests rely on in the
// default data set: a surname search for "smi" finds several patients of
// several surnames, and every local code list shows up.
func TestDefaultDataSet(t *testing.T) {
	g := generateAll(t, Options{}, "PATIENT", "PATIENT_ADDRESS", "PATIENT_CONTACT_NO", "PATIENT_ALIAS")
	smi := map[string]int{}
	for _, p := range g["PATIENT"] {
		s := strings.ToLower(strings.TrimRight(p[col(t, "PATIENT", "SURNAME")].(string), " "))
		if strings.HasPrefix(s, "smi") {
			smi[s]++
		}
	}
	if total := func() (n int) {
		for _, c := range smi {
			n += c
		}
		return
	}(); total < 3 || len(smi) < 2 {
		t.Errorf("surnames starting smi: %v; want several patients of at least two surnames", smi)
	}
	for table, column := range map[string]string{"PATIENT": "SEX", "PATIENT_ADDRESS": "ADDRESS_TYPE", "PATIENT_CONTACT_NO": "CONTACT_TYPE", "PATIENT_ALIAS": "ALIAS_TYPE"} {
		seen := map[any]bool{}
		for _, r := range g[table] {
			seen[r[col(t, table, column)]] = true
		}
		if len(seen) < 3 {
			t.Errorf("%s.%s takes only %d values in the default data set", table, column, len(seen))
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	core := []string{"GP_PRACTICE", "CLINICIAN", "PATIENT", "PATIENT_ADDRESS", "PATIENT_CONTACT_NO", "PATIENT_ALIAS"}
	for _, bc := range []struct {
		name   string
		tables []string
	}{{"patients", core}, {"all", Tables()}} {
		b.Run(bc.name, func(b *testing.B) {
			rows := 0
			for b.Loop() {
				rows = 0
				for _, table := range bc.tables {
					if err := Generate(Options{Patients: 100000}, table, func([]any) error { rows++; return nil }); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(rows), "rows/op")
		})
	}
}

// TestStandings checks that each patient of a standing case is one who
// would otherwise be served (a verified NHS number, alive but for the
// case of one who died, with the date of death set), so that the case
// alone decides how GP Connect answers.
func TestStandings(t *testing.T) {
	err := Generate(Options{}, "PATIENT", func(row []any) error {
		id := row[0].(int64)
		st, ok := standings[id]
		if ok && (row[3] != "01" || row[10] != st.died) {
			t.Errorf("patient %d of a standing case is not otherwise served: NHS number status %v, died %v", id, row[3], row[10])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
