package demo

// A patient's standing at the practice, as a GP system holds it beside the
// demographics: how the patient is registered (REG_TYPE: 'R' regular/GMS,
// 'T' temporary, 'E' emergency, 'I' immediately necessary) and when they
// left (DEREG_DATE), whether the record is flagged sensitive
// (SENSITIVE_FLAG 'Y'/'N'), whether the patient has dissented from
// sharing the record (SHARING_DISSENT 'Y' or NULL: the national data
// opt-out as it applies to record sharing), since when a GP2GP transfer
// of the record from the previous practice has been under way
// (GP2GP_STARTED: information recorded before it may be missing until
// the transfer completes), and since when received items have been
// waiting to be filed into the record (UNFILED_SINCE). Every patient is a
// current regular registration with none of these, but a few fixed ones,
// one a case; their other columns are as generated, but for one who has
// died (DATE_OF_DEATH, DD/MM/YYYY).

// standing is the extra columns of a patient's PATIENT row, and a date
// of death.
type standing struct {
	regType, deregDate, sensitive, dissent, gp2gp, unfiled any
	died                                                   any
}

// standings are the fixed patients of each case, by PATIENT_ID (each a
// patient otherwise served: verified NHS number, alive).
var standings = map[int64]standing{
	11: {regType: "T"},                               // a temporary resident
	12: {deregDate: "2023-05-31"},                    // left the practice
	14: {sensitive: "Y"},                             // record flagged sensitive
	16: {dissent: "Y"},                               // dissents from sharing
	19: {gp2gp: "2025-11-03"},                        // GP2GP transfer under way
	21: {unfiled: "2025-10-14"},                      // items awaiting filing
	22: {gp2gp: "2025-09-01", unfiled: "2025-12-02"}, // both
	42: {died: "20/11/2024"},                         // deceased
}

// noKnownAllergies are the patients, of no allergy, whose record says so
// in an ALLERGY row of its own (ALLERGEN_CODE 'NKA', "No known
// allergies"), as GP systems record it.
var noKnownAllergies = []int64{24}

// degradedMedication are the patients whose record came from their
// previous practice by GP2GP with a repeat the practice could not match
// to dm+d: it holds it as a degraded entry (the DRUG row degradedDrug,
// under the name sent), stopped when they joined.
var degradedMedication = []int64{27}

// declinedVaccination are the patients who declined a vaccination the
// practice offered (pneumococcal): the IMMUNISATION row says why it was
// not given (NOT_GIVEN 'DECLINED').
var declinedVaccination = []int64{28}

// degradedDrug is the drug dictionary's degraded entry: SNOMED's code for
// a transfer-degraded medication entry, and the name as received.
var degradedDrug = struct{ dmd, name, form string }{"196421000000109", "Co-codamol 30mg/500mg tablets", "TAB"}

// standingOf is a patient's standing columns: REG_TYPE, DEREG_DATE,
// SENSITIVE_FLAG, SHARING_DISSENT, GP2GP_STARTED, UNFILED_SINCE.
func standingOf(id int64) []any {
	s := standings[id]
	if s.regType == nil {
		s.regType = "R"
	}
	if s.sensitive == nil {
		s.sensitive = "N"
	}
	return []any{s.regType, s.deregDate, s.sensitive, s.dissent, s.gp2gp, s.unfiled}
}
