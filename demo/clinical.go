package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Local clinical code lists of the demo EPR. The demo mappings translate
// them to SNOMED CT (and LOINC, UCUM); a few have no translation on purpose.
var (
	allergens = []struct{ code, text string }{
		{"PEN", "Penicillin"}, {"PEN", "Penicillin"}, {"AMOX", "Amoxicillin"}, {"ASP", "Aspirin"},
		{"NUT", "Peanuts"}, {"LATEX", "Latex"}, {"CODE", "Codeine"}, {"ELAST", "Elastoplast"},
	}
	reactions     = []string{"RASH", "RASH", "ANAPH", "WHEEZE", "SWELL", "NAUS"}
	allergyStates = []string{"Active", "Active", "Active", "Active", "Inactive", "Resolved"}
	// Each problem with the significance a GP would give it: long-term
	// and serious conditions major, the others minor.
	problems = []struct{ read, text, significance string }{
		{"G20..", "Essential hypertension", "MAJ"}, {"G20..", "Essential hypertension", "MAJ"}, {"H33..", "Asthma", "MAJ"},
		{"C10..", "Diabetes mellitus", "MAJ"}, {"H3...", "Chronic obstructive pulmonary disease", "MAJ"}, {"F25..", "Epilepsy", "MAJ"},
		{"E2002", "Anxiety states", "MIN"}, {"G30..", "Acute myocardial infarction", "MAJ"}, {"K190.", "Urinary tract infection", "MIN"},
		{"7L1H.", "Local admin code", "MIN"},
	}
	consultTypes = []string{"SURG", "SURG", "SURG", "SURG", "TEL", "TEL", "HOME"}
)

type obsKind struct {
	code, name string
	units      []string
	lo, hi     float64
	decimals   int
}

var vitalKinds = []obsKind{
	{"BPS", "Systolic blood pressure", []string{"mmHg"}, 100, 170, 0},
	{"BPD", "Diastolic blood pressure", []string{"mmHg"}, 60, 100, 0},
	{"PULSE", "Pulse rate", []string{"beats/min", "bpm"}, 52, 110, 0},
}

var otherKinds = []obsKind{
	{"WT", "Body weight", []string{"kg", "Kg"}, 45, 120, 1},
	{"HT", "Height", []string{"cm"}, 150, 195, 0},
	{"BMI", "Body mass index", []string{"kg/m2"}, 18, 40, 1},
	{"TEMP", "Temperature", []string{"C", "degC"}, 35.8, 38.9, 1},
	{"HBA1C", "HbA1c (IFCC)", []string{"mmol/mol"}, 30, 90, 0},
	{"CHOL", "Serum cholesterol", []string{"mmol/L", "mmol/l", "units"}, 3, 7.5, 2},
}

var smokingValues = []string{"NS", "NS", "NS", "EX", "CS"}

// drugs is the practice drug dictionary: dm+d codes as the EPR holds them.
var drugs = []struct{ dmd, name, form, dose, qty string }{
	{"322236009", "Paracetamol 500mg tablets", "TAB", "Two tablets up to four times a day when required", "100"},
	{"323509004", "Amoxicillin 500mg capsules", "CAP", "One capsule three times a day", "21"},
	{"320000009", "Simvastatin 40mg tablets", "TAB", "One tablet at night", "28"},
	{"325278007", "Metformin 500mg tablets", "TAB", "One tablet twice a day with meals", "56"},
	{"319283006", "Amlodipine 5mg tablets", "TAB", "One tablet once a day", "28"},
	{"320151000", "Salbutamol 100micrograms/dose inhaler", "INH", "Two puffs when required", "1"},
}

var vaccines = []struct{ code, name string }{
	{"FLU", "Influenza vaccine"}, {"FLU", "Influenza vaccine"}, {"FLU", "Influenza vaccine"},
	{"PNEU", "Pneumococcal vaccine"}, {"MMR", "MMR vaccine"}, {"TET", "Tetanus vaccine"}, {"SHING", "Shingles vaccine"},
}

var procedures = []struct{ code, text string }{
	{"ECG", "Electrocardiogram"}, {"SPIRO", "Spirometry"}, {"CERV", "Cervical screening"},
	{"WOUND", "Wound dressing"}, {"EARSY", "Ear irrigation"},
}

// referralKinds are the services the practice refers to: a local
// specialty code, the service, and a reason typed by the GP.
var referralKinds = []struct{ code, service string }{
	{"CARD", "Cardiology outpatients"}, {"DERM", "Dermatology outpatients"}, {"ORTH", "Trauma and orthopaedics"},
	{"ENT", "Ear, nose and throat"}, {"GAST", "Gastroenterology"}, {"PHYS", "Physiotherapy"},
}

var referralReasons = map[string][]string{
	"CARD": {"Palpitations, ECG abnormal", "Chest pain on exertion"},
	"DERM": {"Changing pigmented lesion", "Psoriasis not controlled"},
	"ORTH": {"Knee pain, locking", "Hip pain limiting walking"},
	"ENT":  {"Recurrent tonsillitis", "Unilateral hearing loss"},
	"GAST": {"Change in bowel habit", "Dyspepsia not responding to PPI"},
	"PHYS": {"Low back pain", "Shoulder pain after fall"},
}

// diaryKinds are the recalls the practice books: a local code and its
// text.
var diaryKinds = []struct{ code, text string }{
	{"BPCHK", "Blood pressure check"}, {"MEDREV", "Medication review"}, {"ASTHR", "Asthma review"},
	{"DIABR", "Diabetes review"}, {"SMEAR", "Cervical screening recall"}, {"BLOODS", "Repeat blood tests"},
}

// laboratories are the pathology laboratories that report the
// practice's blood tests.
var laboratories = []string{
	"Blood Sciences, St James's University Hospital", "Clinical Biochemistry, Royal Infirmary",
	"Pathology Laboratory, General Hospital",
}

// labTests are the laboratory tests behind the demo's laboratory results
// (by the result's local code): the test's local code and name, the
// laboratory's discipline and the specimen taken, as the laboratory
// system codes them.
var labTests = map[string]struct{ code, name, discipline, specimen, specimenText string }{
	"HBA1C": {"HBA1C", "HbA1c (haemoglobin A1c)", "CH", "BLD", "Whole blood (EDTA)"},
	"CHOL":  {"LIPID", "Serum lipids", "CH", "SER", "Serum (clotted)"},
}

// record is one patient's clinical rows; ids are filled in by Generate.
type record struct {
	consults, allergies, problems, observations [][]any
	repeats, issues, immunisations, procedures  [][]any
	referrals, diary, reports, specimens        [][]any
	links, documents                            [][]any
	// groups gives the observations of a test group their header: an
	// observation's index → its group header's (see testGroups).
	groups map[int]int
}

// tables are a record's rows by table.
func (rec *record) tables() map[string][][]any {
	return map[string][][]any{"CONSULTATION": rec.consults, "ALLERGY": rec.allergies, "PROBLEM": rec.problems,
		"OBSERVATION": rec.observations, "REPEAT_MED": rec.repeats, "MED_ISSUE": rec.issues,
		"IMMUNISATION": rec.immunisations, "CLIN_PROCEDURE": rec.procedures, "REFERRAL": rec.referrals, "DIARY_ENTRY": rec.diary,
		"TEST_REPORT": rec.reports, "SPECIMEN": rec.specimens, "PROBLEM_LINK": rec.links, "CLIN_DOCUMENT": rec.documents}
}

// clinical makes a patient's record from its own random stream. Column 0
// of every row is its id (set later); column 2 of allergy, problem and
// observation rows is the index of their consultation in consults, or -1.
func (w *world) clinical(p *patient) record {
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+17, uint64(p.id)))
	var rec record
	birth, _ := time.Parse("20060102", p.dob)
	from := time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
	if birth.After(from) {
		from = birth
	}
	until := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	if p.dod != nil {
		d, _ := time.Parse("02/01/2006", p.dod.(string))
		if d.Before(until) {
			until = d
		}
	}
	span := int(until.Sub(from).Hours() / 24)
	if span < 1 || r.Float64() < 0.10 {
		return rec // about one patient in ten has no clinical record
	}
	gps := p.gp.practice.gps
	n := 1 + r.IntN(6)
	starts := make([]time.Time, n)
	for i := range starts {
		d := from.AddDate(0, 0, r.IntN(span))
		starts[i] = time.Date(d.Year(), d.Month(), d.Day(), 8+r.IntN(10), 10*r.IntN(6), 0, 0, time.UTC)
	}
	sortTimes(starts)
	for i, st := range starts {
		gp := p.gp
		if r.IntN(4) == 0 {
			gp = gps[r.IntN(len(gps))]
		}
		end := st.Add(time.Duration(10+r.IntN(15)) * time.Minute)
		rec.consults = append(rec.consults, []any{int64(0), p.id, gp.id, gp.practice.code, pick(r, consultTypes), dt(st), dt(end), randomTime(r)})
		// Vital signs at most surgery consultations.
		if r.Float64() < 0.6 {
			for _, k := range vitalKinds {
				rec.observations = append(rec.observations, obsRow(r, p, i, k, st, gp.id))
			}
		}
		if r.Float64() < 0.3 {
			k := otherKinds[r.IntN(len(otherKinds))]
			rec.observations = append(rec.observations, obsRow(r, p, i, k, st, gp.id))
		}
		if r.Float64() < 0.15 {
			rec.observations = append(rec.observations, []any{int64(0), p.id, int64(i), "SMOK", "Smoking status", nil, nil, pick(r, smokingValues), dt(st), "F", gp.id, randomTime(r), int64(-1)})
		}
	}
	// Laboratory results arrive outside consultations.
	var labs []int
	for j, k := 0, r.IntN(3); j < k; j++ {
		kind := otherKinds[4+r.IntN(2)]
		d := from.AddDate(0, 0, r.IntN(span))
		at := time.Date(d.Year(), d.Month(), d.Day(), 9, r.IntN(60), 0, 0, time.UTC)
		labs = append(labs, len(rec.observations))
		rec.observations = append(rec.observations, obsRow(r, p, -1, kind, at, nil))
	}
	if r.Float64() < 0.25 {
		for j, k := 0, 1+r.IntN(2); j < k; j++ {
			a := allergens[r.IntN(len(allergens))]
			c := r.IntN(n)
			var reaction, severity any
			if r.Float64() < 0.7 {
				reaction, severity = pick(r, reactions), pick(r, []string{"M", "M", "O", "S"})
			}
			verified := pick(r, []string{"Y", "Y", "Y", "N"})
			rec.allergies = append(rec.allergies, []any{int64(0), p.id, int64(c), a.code, a.text, reaction, severity, pick(r, allergyStates), verified, starts[c].Format("02/01/2006"), rec.consults[c][2], randomTime(r)})
		}
	}
	if len(rec.allergies) == 0 && slices.Contains(noKnownAllergies, p.id) {
		// Recorded outside any consultation, with no draw on the stream.
		rec.allergies = append(rec.allergies, []any{int64(0), p.id, int64(-1), "NKA", "No known allergies", nil, nil, "Active", "Y",
			"14/03/2019", p.gp.id, time.Date(2019, 3, 14, 10, 12, 0, 0, time.UTC)})
	}
	// Repeat medication with monthly issues: column 9 of a repeat row is
	// the index of the consultation that started it; column 2 of an issue
	// row is the index of its repeat in rec.repeats (or -1 for an acute
	// issue), and column 9 the consultation index (-1 for the monthly
	// issues of a repeat, made outside consultations).
	if r.Float64() < 0.35 {
		for j, k := 0, 1+r.IntN(3); j < k; j++ {
			d := drugs[2+r.IntN(len(drugs)-2)]
			c := r.IntN(n)
			start := starts[c]
			status := pick(r, []string{"C", "C", "C", "S"})
			var end any
			months := 1 + r.IntN(6)
			if status == "S" {
				end = start.AddDate(0, months+1, 0).Format("20060102")
			}
			staff := rec.consults[c][2]
			// Authorised for six monthly issues, reviewed six months on.
			rec.repeats = append(rec.repeats, []any{int64(0), p.id, int64(drugIndex(d.dmd) + 1), d.dose, d.qty, start.Format("20060102"), end, status, staff, int64(c), randomTime(r),
				start.AddDate(0, 6, 0).Format("20060102"), nil, int64(6)})
			ri := int64(len(rec.repeats) - 1)
			for m := 0; m < months; m++ {
				at := start.AddDate(0, m, 0)
				if at.After(until) {
					break
				}
				rec.issues = append(rec.issues, []any{int64(0), p.id, ri, int64(drugIndex(d.dmd) + 1), d.dose, d.qty, at.Format("20060102"), "I", staff, int64(-1), randomTime(r)})
			}
		}
	}
	if slices.Contains(degradedMedication, p.id) {
		// Received with the record, outside any consultation, with no
		// draw on the stream: never issued here.
		rec.repeats = append(rec.repeats, []any{int64(0), p.id, int64(len(drugs) + 1), "One or two tablets four times a day when required", "100",
			"20170612", "20190301", "S", p.gp.id, int64(-1), time.Date(2019, 3, 1, 9, 30, 0, 0, time.UTC), nil, "GP2GP", nil})
	}
	for j, k := 0, r.IntN(3); j < k; j++ {
		d := drugs[r.IntN(2)]
		c := r.IntN(n)
		status := "I"
		if r.IntN(20) == 0 {
			status = "X"
		}
		rec.issues = append(rec.issues, []any{int64(0), p.id, int64(-1), int64(drugIndex(d.dmd) + 1), d.dose, d.qty, starts[c].Format("20060102"), status, rec.consults[c][2], int64(c), randomTime(r)})
	}
	for j, k := 0, r.IntN(3); j < k; j++ {
		c := r.IntN(n)
		var batch any
		if r.IntN(4) > 0 {
			batch = fmt.Sprintf("%c%c%04d", 'A'+rune(r.IntN(26)), 'A'+rune(r.IntN(26)), r.IntN(10000))
		}
		v := pick(r, vaccines)
		rec.immunisations = append(rec.immunisations, []any{int64(0), p.id, int64(c), v.code, v.name, starts[c].Format("2006-01-02"), batch, rec.consults[c][2], randomTime(r), nil})
	}
	if slices.Contains(declinedVaccination, p.id) {
		// Offered at the practice and declined, outside any consultation,
		// with no draw on the stream.
		rec.immunisations = append(rec.immunisations, []any{int64(0), p.id, int64(-1), "PNEU", "Pneumococcal vaccine", "2024-10-15", nil, p.gp.id,
			time.Date(2024, 10, 15, 11, 5, 0, 0, time.UTC), "DECLINED"})
	}
	if r.Float64() < 0.3 {
		pr := procedures[r.IntN(len(procedures))]
		c := r.IntN(n)
		rec.procedures = append(rec.procedures, []any{int64(0), p.id, int64(c), pr.code, pr.text, starts[c].Format("20060102"), rec.consults[c][2], randomTime(r)})
	}
	if r.Float64() < 0.4 {
		for j, k := 0, 1+r.IntN(3); j < k; j++ {
			pr := problems[r.IntN(len(problems))]
			c := r.IntN(n)
			onset := starts[c].AddDate(0, 0, -r.IntN(60))
			status := pick(r, []string{"A", "A", "A", "I", "R"})
			var end any
			if status == "R" {
				end = starts[c].AddDate(0, 1+r.IntN(12), 0).Format("20060102")
			}
			rec.problems = append(rec.problems, []any{int64(0), p.id, int64(c), pr.read, pr.text, status, pr.significance, onset.Format("20060102"), end, starts[c].Format("2006-01-02"), rec.consults[c][2], randomTime(r)})
		}
	}
	w.requests(p, starts, &rec)
	w.investigations(p, starts, until, labs, &rec)
	w.problemLinks(p, &rec)
	w.confidential(p, &rec)
	headings(&rec)
	w.filingComments(p, &rec)
	parents(&rec)
	w.letters(p, &rec)
	w.problemContext(p, &rec)
	if slices.Contains(declinedVaccination, p.id) {
		vaccinationStatus(p, &rec)
	}
	return rec
}

// vaccinationStatus adds the status of a patient's vaccinations (those of
// declinedVaccination): the refusal of the vaccination they declined,
// outside any consultation, and their consent to vaccination, given at
// their latest consultation and filed under its Immunisation heading;
// OBSERVATION rows with no value, after the others (so that no random
// stream changes).
func vaccinationStatus(p *patient, rec *record) {
	row := func(consult int64, code, name, at string, staff any, updated time.Time, heading any) []any {
		return []any{int64(0), p.id, consult, code, name, nil, nil, nil, at, "F", staff, updated, int64(-1), nil, heading, int64(-1)}
	}
	rec.observations = append(rec.observations, row(-1, "VACREF", "Vaccine refused by patient", "2024-10-15 11:05", p.gp.id,
		time.Date(2024, 10, 15, 11, 6, 0, 0, time.UTC), nil))
	if c := len(rec.consults) - 1; c >= 0 {
		at, _ := time.Parse("2006-01-02 15:04", rec.consults[c][5].(string))
		rec.observations = append(rec.observations, row(int64(c), "IMMCON", "Immunisation consent given", at.Format("2006-01-02 15:04"),
			rec.consults[c][2], at.Add(10*time.Minute), "Immunisation"))
	}
}

// linkable are the tables whose items a problem may be linked to, each
// with the column of the consultation the item was recorded in.
var linkable = []struct {
	table   string
	consult int
}{
	{"OBSERVATION", 2}, {"ALLERGY", 2}, {"REPEAT_MED", 9}, {"IMMUNISATION", 2},
	{"REFERRAL", 2}, {"DIARY_ENTRY", 2}, {"TEST_REPORT", 2},
}

// problemLinks links each problem to items recorded in the consultation
// it was recorded in (three in four of them; an item recorded with two
// problems goes under one), and about one later problem in three to the
// patient's first problem as its child. A blood pressure is linked by its
// systolic reading, which stands for the pair. Column 1 of a link is its
// problem's index in rec.problems, column 3 the linked row's index in its
// table; the links come from a random stream of their own, so that the
// other tables stay as they were.
func (w *world) problemLinks(p *patient, rec *record) {
	if len(rec.problems) == 0 {
		return
	}
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+19, uint64(p.id)))
	tables := rec.tables()
	byConsult := map[int64][]int{} // the problems recorded in each consultation
	for i, pr := range rec.problems {
		byConsult[pr[2].(int64)] = append(byConsult[pr[2].(int64)], i)
	}
	link := func(problem int, table string, item int, relationship any) {
		rec.links = append(rec.links, []any{int64(0), int64(problem), table, int64(item), relationship})
	}
	for _, l := range linkable {
		for i, row := range tables[l.table] {
			c, _ := row[l.consult].(int64)
			under := byConsult[c]
			if c < 0 || len(under) == 0 || l.table == "OBSERVATION" && row[3] == "BPD" || r.Float64() >= 0.75 {
				continue
			}
			link(under[r.IntN(len(under))], l.table, i, nil)
		}
	}
	for i := 1; i < len(rec.problems); i++ {
		if r.IntN(3) == 0 {
			link(i, "PROBLEM", 0, "parent")
			link(0, "PROBLEM", i, "child")
		}
	}
}

// confidential marks some problems (one in twenty) and observations (one
// in thirty; never a blood pressure or a laboratory result) confidential,
// as a practice does an item the patient asked to keep private: their
// CONFIDENTIAL column is 'Y', else NULL. The marks come from a random
// stream of their own, so that the other tables stay as they were.
func (w *world) confidential(p *patient, rec *record) {
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+37, uint64(p.id)))
	for i, row := range rec.problems {
		var mark any
		if r.IntN(20) == 0 {
			mark = "Y"
		}
		rec.problems[i] = append(row, mark)
	}
	for i, row := range rec.observations {
		var mark any
		if r.IntN(30) == 0 && row[3] != "BPS" && row[3] != "BPD" && row[12] == int64(-1) {
			mark = "Y"
		}
		rec.observations[i] = append(row, mark)
	}
}

// filingComments are what a GP writes on filing a laboratory report.
var filingComments = []string{"Normal - no action", "Satisfactory - no further action", "Borderline - repeat in 3 months",
	"Abnormal - discussed with the patient", "Reviewed - see the patient at the next appointment"}

// filingComments gives one laboratory report in two the comment the GP
// filed it with (the FILING_COMMENT column; else NULL), from a random
// stream of its own, so that the other tables stay as they were.
func (w *world) filingComments(p *patient, rec *record) {
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+41, uint64(p.id)))
	for i, row := range rec.reports {
		var c any
		if r.IntN(2) == 0 {
			c = pick(r, filingComments)
		}
		rec.reports[i] = append(row, c)
	}
}

// letters files the letter each referral was sent with (a CLIN_DOCUMENT row
// of type REFL, a PDF), written by the referring GP on the day of the
// referral and filed within two days, from a random stream of its own,
// so that the other tables stay as they were. Column 2 is the
// consultation's index, column 3 the referral's.
func (w *world) letters(p *patient, rec *record) {
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+53, uint64(p.id)))
	for i, ref := range rec.referrals {
		day, _ := time.Parse("2006-01-02", ref[8].(string))
		at := time.Date(day.Year(), day.Month(), day.Day(), 9+r.IntN(8), r.IntN(60), 0, 0, time.UTC)
		rec.documents = append(rec.documents, []any{int64(0), p.id, ref[2], int64(i), "REFL", "Referral letter: " + ref[5].(string),
			fmt.Sprintf("referral-%s.pdf", at.Format("20060102")), "application/pdf", int64(20_000 + r.IntN(180_000)), dt(at), ref[3],
			at.Add(time.Duration(1+r.IntN(48)) * time.Hour)}) // filed within two days
	}
}

// problemContext links about one problem in two to the consultation it
// was recorded in, and each problem linked to a referral to the letter
// the referral was sent with, after the other links, from a random
// stream of its own (so that the other tables stay as they were).
func (w *world) problemContext(p *patient, rec *record) {
	if len(rec.problems) == 0 {
		return
	}
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+59, uint64(p.id)))
	n := len(rec.links)
	for i, pr := range rec.problems {
		if c := pr[2].(int64); c >= 0 && r.IntN(2) == 0 {
			rec.links = append(rec.links, []any{int64(0), int64(i), "CONSULTATION", c, nil})
		}
	}
	for _, l := range rec.links[:n] {
		if l[2] != "REFERRAL" {
			continue
		}
		for j, d := range rec.documents {
			if d[3] == l[3] { // the referral's letter
				rec.links = append(rec.links, []any{int64(0), l[1], "CLIN_DOCUMENT", int64(j), nil})
			}
		}
	}
}

// observationHeadings are the headings of a consultation an observation
// is recorded under, by its local code: a measurement under Examination,
// smoking under Social, a test done in the surgery under Results.
var observationHeadings = map[string]string{
	"BPS": "Examination", "BPD": "Examination", "PULSE": "Examination", "TEMP": "Examination",
	"HT": "Examination", "WT": "Examination", "BMI": "Examination",
	"SMOK": "Social", "HBA1C": "Results", "CHOL": "Results",
	"LIPID": "Results", "HDL": "Results", "TRIG": "Results",
}

// headings gives each observation recorded in a consultation its
// heading (the HEADING column; NULL outside a consultation).
func headings(rec *record) {
	for i, row := range rec.observations {
		var h any
		if row[2] != int64(-1) {
			if v, ok := observationHeadings[row[3].(string)]; ok {
				h = v
			}
		}
		rec.observations[i] = append(row, h)
	}
}

// investigations adds the laboratory reports of a patient's laboratory
// results (the rows labs indexes in rec.observations), one report a
// result, each with the specimen taken, from a random stream of their
// own (so that the other tables stay as they were). The specimen was
// collected when the result took effect; the laboratory issued its
// report one to three days later (the same afternoon when that would be
// after until). The test was requested at the latest consultation of the
// 90 days before (column 2 of a report: its index, or -1), by its
// clinician, else by the usual GP. Column 12 of the result becomes the
// report's index; column 2 of a specimen is its report's.
func (w *world) investigations(p *patient, starts []time.Time, until time.Time, labs []int, rec *record) {
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+31, uint64(p.id)))
	for _, i := range labs {
		obs := rec.observations[i]
		test := labTests[obs[3].(string)]
		collected, _ := time.Parse("2006-01-02 15:04", obs[8].(string))
		consult, staff := int64(-1), any(p.gp.id)
		for c := len(starts) - 1; c >= 0; c-- {
			if !starts[c].After(collected) && collected.Sub(starts[c]) <= 90*24*time.Hour {
				consult, staff = int64(c), rec.consults[c][2]
				break
			}
		}
		d := collected.AddDate(0, 0, 1+r.IntN(3))
		issued := time.Date(d.Year(), d.Month(), d.Day(), 11+r.IntN(7), r.IntN(60), 0, 0, time.UTC)
		if issued.After(until.Add(24*time.Hour - time.Minute)) {
			issued = time.Date(collected.Year(), collected.Month(), collected.Day(), 16, r.IntN(60), 0, 0, time.UTC)
		}
		report := int64(len(rec.reports))
		obs[12] = report
		rec.reports = append(rec.reports, []any{int64(0), p.id, consult, staff, test.code, test.name, test.discipline,
			pick(r, laboratories), obs[9], dt(issued), randomTime(r)})
		rec.specimens = append(rec.specimens, []any{int64(0), p.id, report, test.specimen, test.specimenText, dt(collected), randomTime(r)})
	}
	w.testGroups(p, rec)
}

// lipidMembers are the results a lipid report gives beside the serum
// cholesterol, each with its range and decimals.
var lipidMembers = []obsKind{
	{"HDL", "Serum HDL cholesterol", []string{"mmol/L"}, 0.8, 2.2, 2},
	{"TRIG", "Serum triglycerides", []string{"mmol/L"}, 0.5, 3.5, 2},
}

// testGroups makes each lipid report's results a test group, as the
// laboratory reports them: a group header (LIPID "Serum lipids", no
// value) whose members are the serum cholesterol and an HDL cholesterol
// and triglycerides result, all results of the report (REPORT_ID), only
// the header a result of the report itself (PARENT_OBS_ID NULL). The new
// rows follow the patient's others, their values from a random stream of
// their own, so that the other tables stay as they were.
func (w *world) testGroups(p *patient, rec *record) {
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+47, uint64(p.id)))
	n := len(rec.observations)
	for i := 0; i < n; i++ {
		obs := rec.observations[i]
		if obs[3] != "CHOL" || obs[12] == int64(-1) {
			continue
		}
		if rec.groups == nil {
			rec.groups = map[int]int{}
		}
		header := len(rec.observations)
		rec.observations = append(rec.observations, []any{int64(0), p.id, obs[2], "LIPID", "Serum lipids", nil, nil, nil, obs[8], obs[9], obs[10], obs[11], obs[12]})
		rec.groups[i] = header
		for _, k := range lipidMembers {
			m := obsRow(r, p, -1, k, time.Time{}, obs[10])
			m[2], m[8], m[9], m[11], m[12] = obs[2], obs[8], obs[9], obs[11], obs[12]
			rec.groups[len(rec.observations)] = header
			rec.observations = append(rec.observations, m)
		}
	}
}

// parents gives each observation its group header's index (the
// PARENT_OBS_ID column; -1, NULL, for none).
func parents(rec *record) {
	for i, row := range rec.observations {
		h, ok := rec.groups[i]
		if !ok {
			h = -1
		}
		rec.observations[i] = append(row, int64(h))
	}
}

// requests adds a patient's referrals and diary entries, made in their
// consultations, from a random stream of their own (so that the other
// tables stay as they were). Column 2 of both is the consultation index.
// About one consultation in eight refers the patient on; a recall is
// booked at about one in five, due months or years ahead (often after
// the record's last day, as recalls are).
func (w *world) requests(p *patient, starts []time.Time, rec *record) {
	r := rand.New(rand.NewPCG(w.opt.Seed*1_000_003+29, uint64(p.id)))
	for c, st := range starts {
		staff := rec.consults[c][2]
		if r.IntN(8) == 0 {
			k := referralKinds[r.IntN(len(referralKinds))]
			priority := pick(r, []string{"R", "R", "R", "U", "T"})
			rec.referrals = append(rec.referrals, []any{int64(0), p.id, int64(c), staff, k.code, k.service, pick(r, referralReasons[k.code]), priority, st.Format("2006-01-02"), randomTime(r)})
		}
		if r.IntN(5) == 0 {
			k := diaryKinds[r.IntN(len(diaryKinds))]
			due := st.AddDate(0, 3*(1+r.IntN(16)), 0)
			rec.diary = append(rec.diary, []any{int64(0), p.id, int64(c), staff, k.code, k.text, st.Format("2006-01-02"), due.Format("2006-01-02"), randomTime(r)})
		}
	}
}

func obsRow(r *rand.Rand, p *patient, consult int, k obsKind, at time.Time, staff any) []any {
	v := k.lo + r.Float64()*(k.hi-k.lo)
	status := "F"
	if r.IntN(40) == 0 {
		status = pick(r, []string{"P", "C"})
	}
	return []any{int64(0), p.id, int64(consult), k.code, k.name, fmt.Sprintf("%.*f", k.decimals, v), pick(r, k.units), nil, dt(at), status, staff, randomTime(r), int64(-1)}
}

func dt(t time.Time) string { return t.Format("2006-01-02 15:04") }

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func drugIndex(dmd string) int {
	for i, d := range drugs {
		if d.dmd == dmd {
			return i
		}
	}
	return -1
}
