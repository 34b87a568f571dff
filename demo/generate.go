package demo

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
)

// Schema creates the demo EPR's tables; Indexes adds the indexes its
// mappings' search parameters use.
var (
	//go:embed schema.sql
	Schema string
	//go:embed indexes.sql
	Indexes string
)

// Options size the generated data.
type Options struct {
	Patients int    // default 200
	Seed     uint64 // default 1
}

func (o Options) norm() Options {
	if o.Patients <= 0 {
		o.Patients = 200
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

var columns = map[string][]string{
	"GP_PRACTICE":        {"PRACTICE_CODE", "PRACTICE_NAME", "ADDR_LINE1", "ADDR_LINE2", "TOWN", "COUNTY", "POSTCODE", "PHONE", "OPEN_DATE", "CLOSED_FLAG", "LAST_UPDATED"},
	"CLINICIAN":          {"STAFF_ID", "GMC_NUMBER", "GP_CODE", "TITLE", "SURNAME", "FORENAMES", "SEX", "PRACTICE_CODE", "WORK_PHONE", "EMAIL", "ACTIVE_FLAG", "LAST_UPDATED"},
	"PATIENT":            {"PATIENT_ID", "HOSPITAL_NO", "NHS_NUMBER", "NHS_NO_STATUS", "TITLE", "SURNAME", "FORENAME1", "FORENAME2", "SEX", "DATE_OF_BIRTH", "DATE_OF_DEATH", "ETHNIC_ORIGIN", "MARITAL_STATUS", "GP_ID", "PRACTICE_CODE", "REGISTERED_DATE", "LAST_UPDATED", "REG_TYPE", "DEREG_DATE", "SENSITIVE_FLAG", "SHARING_DISSENT", "GP2GP_STARTED", "UNFILED_SINCE"},
	"PATIENT_ADDRESS":    {"ADDRESS_ID", "PATIENT_ID", "ADDRESS_TYPE", "LINE1", "LINE2", "LINE3", "LINE4", "POSTCODE", "FROM_DATE", "TO_DATE"},
	"PATIENT_CONTACT_NO": {"CONTACT_ID", "PATIENT_ID", "CONTACT_TYPE", "CONTACT_VALUE", "PREFERRED"},
	"PATIENT_ALIAS":      {"ALIAS_ID", "PATIENT_ID", "ALIAS_TYPE", "SURNAME", "FORENAMES"},
	"CONSULTATION":       {"CONSULT_ID", "PATIENT_ID", "STAFF_ID", "PRACTICE_CODE", "CONSULT_TYPE", "START_DT", "END_DT", "LAST_UPDATED"},
	"ALLERGY":            {"ALLERGY_ID", "PATIENT_ID", "CONSULT_ID", "ALLERGEN_CODE", "ALLERGEN_TEXT", "REACTION_CODE", "SEVERITY", "STATUS", "VERIFIED", "RECORDED_DATE", "RECORDED_BY", "LAST_UPDATED"},
	"PROBLEM":            {"PROBLEM_ID", "PATIENT_ID", "CONSULT_ID", "READ_CODE", "PROBLEM_TEXT", "STATUS", "SIGNIFICANCE", "ONSET_DATE", "END_DATE", "RECORDED_DATE", "STAFF_ID", "LAST_UPDATED", "CONFIDENTIAL"},
	"DRUG":               {"DRUG_ID", "DMD_CODE", "DRUG_NAME", "FORM", "LAST_UPDATED"},
	"REPEAT_MED":         {"REPEAT_ID", "PATIENT_ID", "DRUG_ID", "DOSAGE", "QUANTITY", "START_DATE", "END_DATE", "STATUS", "STAFF_ID", "CONSULT_ID", "LAST_UPDATED", "REVIEW_DATE", "ORIGIN", "ISSUES_ALLOWED"},
	"MED_ISSUE":          {"ISSUE_ID", "PATIENT_ID", "REPEAT_ID", "DRUG_ID", "DOSAGE", "QUANTITY", "ISSUE_DATE", "STATUS", "STAFF_ID", "CONSULT_ID", "LAST_UPDATED"},
	"IMMUNISATION":       {"IMM_ID", "PATIENT_ID", "CONSULT_ID", "VACCINE_CODE", "VACCINE_NAME", "GIVEN_DATE", "BATCH_NO", "STAFF_ID", "LAST_UPDATED", "NOT_GIVEN"},
	"CLIN_PROCEDURE":     {"PROC_ID", "PATIENT_ID", "CONSULT_ID", "PROC_CODE", "PROC_TEXT", "PROC_DATE", "STAFF_ID", "LAST_UPDATED"},
	"CLIN_SERVICE":       {"SPECIALTY", "SERVICE_NAME", "LAST_UPDATED"},
	"REFERRAL":           {"REFERRAL_ID", "PATIENT_ID", "CONSULT_ID", "STAFF_ID", "SPECIALTY", "SERVICE_NAME", "REASON_TEXT", "PRIORITY", "REFERRAL_DATE", "LAST_UPDATED"},
	"CLIN_DOCUMENT":      {"DOC_ID", "PATIENT_ID", "CONSULT_ID", "REFERRAL_ID", "DOC_TYPE", "TITLE", "FILE_NAME", "MIME_TYPE", "SIZE_BYTES", "CREATED", "STAFF_ID", "LAST_UPDATED"},
	"DIARY_ENTRY":        {"DIARY_ID", "PATIENT_ID", "CONSULT_ID", "STAFF_ID", "ENTRY_CODE", "ENTRY_TEXT", "RECORDED_DATE", "DUE_DATE", "LAST_UPDATED"},
	"OBSERVATION":        {"OBS_ID", "PATIENT_ID", "CONSULT_ID", "OBS_CODE", "OBS_NAME", "VALUE_NUM", "UNITS", "VALUE_CODE", "OBS_DATETIME", "STATUS", "STAFF_ID", "LAST_UPDATED", "REPORT_ID", "CONFIDENTIAL", "HEADING", "PARENT_OBS_ID"},
	"TEST_REPORT":        {"REPORT_ID", "PATIENT_ID", "CONSULT_ID", "STAFF_ID", "TEST_CODE", "TEST_NAME", "DISCIPLINE", "LAB_NAME", "STATUS", "ISSUED_DT", "LAST_UPDATED", "FILING_COMMENT"},
	"SPECIMEN":           {"SPECIMEN_ID", "PATIENT_ID", "REPORT_ID", "SPEC_TYPE", "SPEC_TEXT", "COLLECTED_DT", "LAST_UPDATED"},
	"PROBLEM_LINK":       {"LINK_ID", "PROBLEM_ID", "LINKED_TABLE", "LINKED_ID", "RELATIONSHIP"},
}

// Tables lists the demo tables in load order.
func Tables() []string {
	return []string{"GP_PRACTICE", "CLINICIAN", "PATIENT", "PATIENT_ADDRESS", "PATIENT_CONTACT_NO", "PATIENT_ALIAS",
		"CONSULTATION", "ALLERGY", "PROBLEM", "OBSERVATION", "TEST_REPORT", "SPECIMEN", "DRUG", "REPEAT_MED", "MED_ISSUE", "IMMUNISATION", "CLIN_PROCEDURE", "CLIN_SERVICE", "REFERRAL", "DIARY_ENTRY", "PROBLEM_LINK", "CLIN_DOCUMENT"}
}

// Columns lists a table's columns in the order Generate fills them.
func Columns(table string) []string { return columns[table] }

// Load creates the schema, streams every table through l, then adds the
// indexes and, where l is an adapters.Analyzer, gathers the planner's
// statistics. Each table is generated on another goroutine while l inserts
// it, a batch of rows at a time, so memory stays small whatever the size.
//
// The DDL is written for SQLite and PostgreSQL. For SQL Server (a loader
// named "sqlserver") TIMESTAMP, its row version type, becomes DATETIME2;
// for MySQL and MariaDB ("mysql"), where a TIMESTAMP is an instant,
// DATETIME(6). For both the indexes on expressions, which SQL Server
// builds only on computed columns and MariaDB not at all, are left out.
func Load(ctx context.Context, l adapters.Loader, opt Options) error {
	schema, indexes := Schema, Indexes
	name := ""
	if n, ok := l.(interface{ Name() string }); ok {
		name = n.Name()
	}
	switch name {
	case "sqlserver", "mysql":
		// A date-time without a zone: SQL Server's TIMESTAMP is a row
		// version, MySQL's an instant in the session's zone. Indexes on
		// expressions are left out (MariaDB has none).
		if name == "sqlserver" {
			schema = strings.ReplaceAll(schema, " TIMESTAMP ", " DATETIME2 ")
		} else {
			schema = strings.ReplaceAll(schema, " TIMESTAMP ", " DATETIME(6) ")
		}
		var keep []string
		for _, line := range strings.Split(indexes, "\n") {
			if !strings.Contains(line, "((") {
				keep = append(keep, line)
			}
		}
		indexes = strings.Join(keep, "\n")
	}
	if err := l.Exec(ctx, schema); err != nil {
		return fmt.Errorf("demo schema: %w", err)
	}
	for _, table := range Tables() {
		if err := loadTable(ctx, l, opt, table); err != nil {
			return fmt.Errorf("demo %s: %w", table, err)
		}
	}
	if err := l.Exec(ctx, indexes); err != nil {
		return fmt.Errorf("demo indexes: %w", err)
	}
	// Statistics last, so that those of the expression indexes are
	// gathered too.
	if a, ok := l.(adapters.Analyzer); ok {
		if err := a.Analyze(ctx, Tables()); err != nil {
			return fmt.Errorf("demo statistics: %w", err)
		}
	}
	return nil
}

// errStopped is the error of a table whose loader returned before reading
// every row; it also ends that table's generation.
var errStopped = errors.New("loader stopped reading")

func loadTable(ctx context.Context, l adapters.Loader, opt Options, table string) error {
	const batchSize = 512
	batches := make(chan [][]any, 4)
	stop := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		defer close(batches)
		var batch [][]any
		send := func() error {
			select {
			case batches <- batch:
				batch = make([][]any, 0, batchSize)
				return nil
			case <-stop:
				return errStopped
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		err := Generate(opt, table, func(row []any) error {
			if batch = append(batch, row); len(batch) == batchSize {
				return send()
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			err = send()
		}
		errc <- err
	}()
	var cur [][]any
	drained := false
	err := l.Load(ctx, table, Columns(table), func(dst []any) bool {
		for len(cur) == 0 {
			b, ok := <-batches
			if !ok {
				drained = true
				return false
			}
			cur = b
		}
		copy(dst, cur[0])
		cur = cur[1:]
		return true
	})
	close(stop)
	gerr := <-errc
	switch {
	case err != nil:
	case gerr != nil:
		// A cancelled context ends the rows early: the table is short, and
		// that is an error even if the loader committed what it had.
		err = gerr
	case !drained:
		err = errStopped
	}
	return err
}

// Generate calls fn with each row of table, in key order (see Columns for
// the values' order). Values are nil, int64, string or time.Time (UTC, whole
// seconds). Each row is a fresh slice that fn may keep. An error from fn
// stops generation and is returned.
func Generate(opt Options, table string, fn func(row []any) error) error {
	opt = opt.norm()
	w := newWorld(opt)
	switch table {
	case "GP_PRACTICE":
		for _, p := range w.practices {
			if err := fn([]any{p.code, p.name, p.line1, p.line2, p.town.name, p.town.county, p.postcode, p.phone, p.openDate, p.closed, p.updated}); err != nil {
				return err
			}
		}
	case "CLINICIAN":
		for _, c := range w.clinicians {
			if err := fn([]any{c.id, c.gmc, c.gpCode, "Dr", c.surname, c.forename, c.sex, c.practice.code, c.phone, c.email, c.active, c.updated}); err != nil {
				return err
			}
		}
	case "PATIENT":
		for id := int64(1); id <= int64(opt.Patients); id++ {
			p := w.patient(id)
			row := []any{p.id, p.hospNo, p.nhs, p.nhsStatus, p.title, p.surname, p.forename1, p.forename2, p.sex, p.dob, p.dod, p.ethnic, p.marital, p.gp.id, p.gp.practice.code, p.registered, p.updated}
			if d := standings[p.id].died; d != nil {
				row[10] = d
			}
			if err := fn(append(row, standingOf(p.id)...)); err != nil {
				return err
			}
		}
	case "PATIENT_ADDRESS", "PATIENT_CONTACT_NO", "PATIENT_ALIAS":
		var next int64 = 1
		for id := int64(1); id <= int64(opt.Patients); id++ {
			p := w.patient(id)
			for _, row := range w.children(p, table) {
				row[0] = next
				next++
				if err := fn(row); err != nil {
					return err
				}
			}
		}
	case "CLIN_SERVICE":
		r := rand.New(rand.NewPCG(opt.Seed, 3))
		for _, k := range referralKinds {
			if err := fn([]any{k.code, k.service, randomTime(r)}); err != nil {
				return err
			}
		}
	case "DRUG":
		r := rand.New(rand.NewPCG(opt.Seed, 2))
		for i, d := range drugs {
			if err := fn([]any{int64(i + 1), d.dmd, d.name, d.form, randomTime(r)}); err != nil {
				return err
			}
		}
		if err := fn([]any{int64(len(drugs) + 1), degradedDrug.dmd, degradedDrug.name, degradedDrug.form, randomTime(r)}); err != nil {
			return err
		}
	case "CONSULTATION", "ALLERGY", "PROBLEM", "OBSERVATION", "TEST_REPORT", "SPECIMEN", "REPEAT_MED", "MED_ISSUE", "IMMUNISATION", "CLIN_PROCEDURE", "REFERRAL", "DIARY_ENTRY", "PROBLEM_LINK", "CLIN_DOCUMENT":
		var next int64 = 1
		before := map[string]int64{} // rows of each table the earlier patients had
		for id := int64(1); id <= int64(opt.Patients); id++ {
			rec := w.clinical(w.patient(id))
			tables := rec.tables()
			for _, row := range tables[table] {
				row[0] = next
				next++
				// Indexes within the patient's record become ids; -1 is NULL.
				switch table {
				case "OBSERVATION":
					row[2] = indexToID(row[2], before["CONSULTATION"])
					row[12] = indexToID(row[12], before["TEST_REPORT"])
					row[15] = indexToID(row[15], before["OBSERVATION"])
				case "ALLERGY", "PROBLEM", "IMMUNISATION", "CLIN_PROCEDURE", "REFERRAL", "DIARY_ENTRY", "TEST_REPORT":
					row[2] = indexToID(row[2], before["CONSULTATION"])
				case "SPECIMEN":
					row[2] = indexToID(row[2], before["TEST_REPORT"])
				case "REPEAT_MED":
					row[9] = indexToID(row[9], before["CONSULTATION"])
				case "MED_ISSUE":
					row[2] = indexToID(row[2], before["REPEAT_MED"])
					row[9] = indexToID(row[9], before["CONSULTATION"])
				case "CLIN_DOCUMENT":
					row[2] = indexToID(row[2], before["CONSULTATION"])
					row[3] = indexToID(row[3], before["REFERRAL"])
				case "PROBLEM_LINK":
					row[1] = indexToID(row[1], before["PROBLEM"])
					row[3] = indexToID(row[3], before[row[2].(string)])
				}
				if err := fn(row); err != nil {
					return err
				}
			}
			for t, rows := range tables {
				before[t] += int64(len(rows))
			}
		}
	default:
		return fmt.Errorf("demo: unknown table %q", table)
	}
	return nil
}

type practice struct {
	code, name, line1, line2, postcode, phone, openDate, closed string
	town                                                        town
	updated                                                     time.Time
	gps                                                         []*clinician
}

type clinician struct {
	id                                                        int64
	gmc, gpCode, surname, forename, sex, phone, email, active string
	practice                                                  *practice
	updated                                                   time.Time
}

type patient struct {
	id                                                     int64
	hospNo                                                 string
	nhs, nhsStatus, title, forename2, dod, ethnic, marital any
	surname, forename1, sex, dob, registered               string
	gp                                                     *clinician
	updated                                                time.Time
	rnd                                                    *rand.Rand
}

type world struct {
	opt        Options
	practices  []*practice
	clinicians []*clinician
}

func newWorld(opt Options) *world {
	w := &world{opt: opt}
	r := rand.New(rand.NewPCG(opt.Seed, 1))
	n := max(3, opt.Patients/1500)
	for i := 0; i < n; i++ {
		t := towns[i%len(towns)]
		name := practiceNames[i%len(practiceNames)]
		if i >= len(practiceNames) {
			name = fmt.Sprintf("%s, %s %d", name, t.name, i/len(practiceNames)+1)
		}
		p := &practice{
			code:     fmt.Sprintf("%c%05d", 'B'+rune(i%20), 81001+i),
			name:     name,
			line1:    fmt.Sprintf("%d %s", 1+r.IntN(200), streets[r.IntN(len(streets))]),
			town:     t,
			postcode: postcode(r, t),
			phone:    fmt.Sprintf("%s %03d %04d", t.dial, r.IntN(1000), r.IntN(10000)),
			openDate: formatDMY(randomDate(r, 1948, 2010)),
			closed:   pick(r, []string{"N", "N", "N", "N", "N", "N", "N", "N", "N", "Y"}),
			updated:  randomTime(r),
		}
		if r.IntN(3) == 0 {
			p.line2 = "Health Centre"
		}
		w.practices = append(w.practices, p)
		for j, k := 0, 3+r.IntN(4); j < k; j++ {
			c := &clinician{id: int64(len(w.clinicians) + 1), practice: p, updated: randomTime(r)}
			c.gmc = fmt.Sprintf("%07d", 2000000+int(c.id)*37)
			c.gpCode = fmt.Sprintf("G%07d", 8000000+int(c.id)*13)
			c.sex = pick(r, []string{"M", "F"})
			if c.sex == "M" {
				c.forename = pick(r, maleNames)
			} else {
				c.forename = pick(r, femaleNames)
			}
			c.surname = surnames[weighted(r, len(surnames))]
			c.phone = p.phone
			c.email = strings.ToLower(ascii(c.forename) + "." + ascii(c.surname) + fmt.Sprint(c.id) + "@nhs.net")
			c.active = pick(r, []string{"Y", "Y", "Y", "Y", "Y", "Y", "Y", "Y", "Y", "N"})
			p.gps = append(p.gps, c)
			w.clinicians = append(w.clinicians, c)
		}
	}
	return w
}

// patient makes patient id from its own random stream, so every table can
// recompute it.
func (w *world) patient(id int64) *patient {
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+7, uint64(id)))
	p := &patient{id: id, rnd: rand.New(rand.NewPCG(w.opt.Seed*1_000_003+11, uint64(id)))}
	p.hospNo = fmt.Sprintf("RX1%06d", id)
	switch x := r.Float64(); {
	case x < 0.49:
		p.sex = "M"
	case x < 0.98:
		p.sex = "F"
	case x < 0.99:
		p.sex = "U"
	default:
		p.sex = "I"
	}
	switch p.sex {
	case "M":
		p.title = pick(r, []string{"Mr", "Mr", "Mr", "Mr", "Dr"})
		p.forename1 = pick(r, maleNames)
	case "F":
		p.title = pick(r, []string{"Mrs", "Ms", "Miss", "Mrs", "Dr"})
		p.forename1 = pick(r, femaleNames)
	default:
		p.title = nil
		if r.IntN(2) == 0 {
			p.forename1 = pick(r, maleNames)
		} else {
			p.forename1 = pick(r, femaleNames)
		}
	}
	if r.Float64() < 0.6 {
		names := femaleNames
		if p.sex == "M" {
			names = maleNames
		}
		i := r.IntN(len(names))
		if names[i] == p.forename1 { // never "Gary Gary"
			i = (i + 1) % len(names)
		}
		p.forename2 = names[i]
	}
	p.surname = surnames[weighted(r, len(surnames))]
	if r.Float64() < 0.15 {
		p.surname += strings.Repeat(" ", 1+r.IntN(12))
	}
	birth := randomDate(r, 1925, 2024)
	p.dob = birth.Format("20060102")
	end := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) // the data set's "now"
	dead := false
	if r.Float64() < 0.03 {
		end = birth.AddDate(0, 0, 1+r.IntN(max(1, int(end.Sub(birth).Hours()/24)-1)))
		p.dod = formatDMY(end)
		dead = true
	}
	if r.Float64() >= 0.08 {
		p.ethnic = pick(r, ethnicCodes)
	}
	if r.Float64() >= 0.10 {
		p.marital = pick(r, maritalCodes)
	}
	// Titles and marital status suit the age reached (by death, or by the
	// end of 2024): Master and Miss for children, who are never married;
	// no doctor under 25.
	switch age := yearsBetween(birth, end); {
	case age < 16:
		switch p.sex {
		case "M":
			p.title = "Master"
		case "F":
			p.title = "Miss"
		}
		if p.marital != nil && p.marital != "S" && p.marital != "N" {
			p.marital = "S"
		}
	case age < 25 && p.title == "Dr":
		if p.sex == "M" {
			p.title = "Mr"
		} else {
			p.title = "Ms"
		}
	}
	// NHS numbers: unique by construction (each patient owns eleven
	// nine-digit stems), starting 9 as test numbers do, with the
	// modulus-11 check digit.
	var nhs string
	for k := int64(0); k < 11; k++ {
		stem := fmt.Sprintf("%09d", 900000000+id*11+k)
		if d := checkDigit(stem); d >= 0 {
			nhs = stem + fmt.Sprint(d)
			break
		}
	}
	switch x := r.Float64(); {
	case x < 0.02:
		p.nhs = nil
	case x < 0.22:
		p.nhs = nhs[:3] + " " + nhs[3:6] + " " + nhs[6:]
	default:
		p.nhs = nhs
	}
	if p.nhs != nil {
		p.nhsStatus = pick(r, nhsStatuses)
	}
	prac := w.practices[r.IntN(len(w.practices))]
	p.gp = prac.gps[r.IntN(len(prac.gps))]
	reg := randomDate(r, max(birth.Year(), 1990), 2024)
	if reg.Before(birth) {
		reg = birth
	}
	if dead && reg.After(end) {
		// Registered in life: between birth (or 1990) and death.
		from := birth
		if y1990 := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC); y1990.After(from) && y1990.Before(end) {
			from = y1990
		}
		reg = from.AddDate(0, 0, r.IntN(max(1, int(end.Sub(from).Hours()/24))))
	}
	p.registered = fmt.Sprintf("%02d-%s-%04d", reg.Day(), monthsUpper[reg.Month()-1], reg.Year())
	p.updated = randomTime(r)
	if p.updated.Before(reg) {
		// Never updated before registration: move into registration..2025.
		start, stop := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		f := float64(p.updated.Sub(start)) / float64(stop.Sub(start))
		p.updated = reg.Add(time.Duration(f * float64(stop.Sub(reg)))).Truncate(time.Second)
	}
	return p
}

// children returns a patient's rows of a child table (id column left 0).
func (w *world) children(p *patient, table string) [][]any {
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+13, uint64(p.id)*8+uint64(len(table))))
	t := p.gp.practice.town
	var out [][]any
	switch table {
	case "PATIENT_ADDRESS":
		home := []any{int64(0), p.id, "H", fmt.Sprintf("%d %s", 1+r.IntN(300), pick(r, streets)), nil, nil, t.name, messyPostcode(r, t), formatISO(randomDate(r, 1990, 2024)), nil}
		if r.IntN(4) == 0 {
			home[4] = pick(r, []string{"Headingley", "Chapel Allerton", "Didsbury", "Moseley", "Jesmond", "Clifton", "Ecclesall"})
		}
		out = append(out, home)
		if r.Float64() < 0.2 {
			if r.IntN(2) == 0 {
				out = append(out, []any{int64(0), p.id, "C", fmt.Sprintf("Flat %d", 1+r.IntN(40)), fmt.Sprintf("%d %s", 1+r.IntN(300), pick(r, streets)), nil, t.name, messyPostcode(r, t), formatISO(randomDate(r, 2000, 2024)), nil})
			} else {
				from := randomDate(r, 2005, 2023)
				out = append(out, []any{int64(0), p.id, "T", fmt.Sprintf("%d %s", 1+r.IntN(300), pick(r, streets)), nil, nil, t.name, messyPostcode(r, t), formatISO(from), formatISO(from.AddDate(0, 1+r.IntN(10), 0))})
			}
		}
	case "PATIENT_CONTACT_NO":
		n := r.IntN(4)
		preferred := r.IntN(max(n, 1))
		for i := 0; i < n; i++ {
			var typ, val string
			switch r.IntN(4) {
			case 0:
				typ, val = "HT", fmt.Sprintf("%s %03d %04d", t.dial, r.IntN(1000), r.IntN(10000))
			case 1:
				typ, val = "MT", fmt.Sprintf("07%03d %06d", 700+r.IntN(300), r.IntN(1000000))
			case 2:
				typ, val = "WT", fmt.Sprintf("%s %03d %04d", t.dial, r.IntN(1000), r.IntN(10000))
			default:
				typ, val = "EM", strings.ToLower(fmt.Sprintf("%s.%s%d@example.com", ascii(p.forename1), ascii(strings.TrimSpace(p.surname)), p.id))
			}
			var pref any
			if i == preferred && r.IntN(3) > 0 {
				pref = "Y"
			}
			out = append(out, []any{int64(0), p.id, typ, val, pref})
		}
	case "PATIENT_ALIAS":
		if r.Float64() < 0.10 {
			typ := "P"
			if p.sex == "F" && p.marital == "M" {
				typ = "M"
			} else if r.IntN(4) == 0 {
				typ = "K"
			}
			out = append(out, []any{int64(0), p.id, typ, surnames[weighted(r, len(surnames))], p.forename1})
		}
	}
	return out
}

// checkDigit returns the NHS modulus-11 check digit of nine digits, or -1
// when it would be 10 (such stems are never issued).
func checkDigit(stem string) int {
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(stem[i]-'0') * (10 - i)
	}
	d := 11 - sum%11
	if d == 11 {
		d = 0
	}
	if d == 10 {
		return -1
	}
	return d
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// weighted picks an index in [0, n) with the first indexes most likely.
func weighted(r *rand.Rand, n int) int {
	return min(n-1, int(float64(n)*math.Pow(r.Float64(), 1.6)))
}

func randomDate(r *rand.Rand, fromYear, toYear int) time.Time {
	start := time.Date(fromYear, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(toYear+1, 1, 1, 0, 0, 0, 0, time.UTC).Sub(start).Hours() / 24)
	return start.AddDate(0, 0, r.IntN(days))
}

func randomTime(r *rand.Rand) time.Time {
	start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	end := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	return time.Unix(start+r.Int64N(end-start), 0).UTC()
}

// yearsBetween is the age in whole years on date to of someone born on from.
func yearsBetween(from, to time.Time) int {
	years := to.Year() - from.Year()
	if to.Month() < from.Month() || (to.Month() == from.Month() && to.Day() < from.Day()) {
		years--
	}
	return years
}

func formatDMY(t time.Time) string { return t.Format("02/01/2006") }
func formatISO(t time.Time) string { return t.Format("2006-01-02") }

const inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"

func postcode(r *rand.Rand, t town) string {
	return fmt.Sprintf("%s %d%c%c", pick(r, t.outward), r.IntN(10), inwardLetters[r.IntN(len(inwardLetters))], inwardLetters[r.IntN(len(inwardLetters))])
}

// messyPostcode is a postcode as legacy data holds them: mostly tidy, some
// lower-case, some without the space.
func messyPostcode(r *rand.Rand, t town) string {
	pc := postcode(r, t)
	switch r.IntN(10) {
	case 0:
		return strings.ToLower(pc)
	case 1:
		return strings.ReplaceAll(pc, " ", "")
	}
	return pc
}

// ascii drops accents and apostrophes for e-mail addresses.
func ascii(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
			b.WriteRune(c)
		case c == 'ë' || c == 'é':
			b.WriteRune('e')
		case c == 'á':
			b.WriteRune('a')
		case c == 'í':
			b.WriteRune('i')
		}
	}
	return b.String()
}

// indexToID turns an index within a patient's record (or -1) into the id of
// that row (or NULL), given how many rows earlier patients had.
func indexToID(v any, before int64) any {
	i := v.(int64)
	if i < 0 {
		return nil
	}
	return before + i + 1
}
