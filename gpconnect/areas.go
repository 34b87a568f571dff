package gpconnect

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Area is a clinical area of the structured record. Its row in areas holds
// what differs between areas: its parameter, its parts and their kinds,
// and its primary list.
type Area int

const (
	Allergies Area = iota + 1
	Medication
	Consultations
	Problems
	Immunisations
	Uncategorised
	Investigations
	Referrals
	DiaryEntries
	// Documents are no area one asks for (1.6 has no parameter of
	// them): documents are sent as items consultations hold and
	// problems are linked to, and with the referrals that refer to them.
	Documents
)

// kind is the type of a part's value.
type kind int

const (
	kindBoolean     kind = iota + 1
	kindPastDate         // a whole date, today or before
	kindFutureDate       // a whole date, today or after
	kindPeriod           // a Period of whole dates, today or before, start ≤ end
	kindPositiveInt      // 1 or more
	kindCode             // one of the part's codes
)

// part is a part parameter of an area.
type part struct {
	name     string
	kind     kind
	required bool
	codes    []string // kindCode
}

// area is one row of the table.
type area struct {
	name     string // in the configuration: allergies, medication, …
	param    string // the request parameter, includeAllergies, …
	repeats  bool   // may be given more than once (includeProblems)
	parts    []part
	listCode string // the primary list's SNOMED code, its display and title
	listText string
}

var areas = map[Area]area{
	Allergies: {"allergies", "includeAllergies", false, []part{{name: "includeResolvedAllergies", kind: kindBoolean, required: true}},
		"886921000000105", "Allergies and adverse reactions"},
	Medication: {"medication", "includeMedication", false, []part{{name: "includePrescriptionIssues", kind: kindBoolean}, {name: "medicationSearchFromDate", kind: kindPastDate}},
		"933361000000108", "Medications and medical devices"},
	Consultations: {"consultations", "includeConsultations", false, []part{{name: "consultationSearchPeriod", kind: kindPeriod}, {name: "includeNumberOfMostRecent", kind: kindPositiveInt}},
		"1149501000000101", "List of consultations"},
	Problems: {"problems", "includeProblems", true, []part{{name: "filterStatus", kind: kindCode, codes: []string{"active", "inactive"}}, {name: "filterSignificance", kind: kindCode, codes: []string{"major", "minor"}}},
		"717711000000103", "Problems"},
	Immunisations: {"immunisations", "includeImmunisations", false, []part{{name: "includeNotGiven", kind: kindBoolean}, {name: "includeStatus", kind: kindBoolean}},
		"1102181000000102", "Immunisations"},
	Uncategorised: {"uncategorised", "includeUncategorisedData", false, []part{{name: "uncategorisedDataSearchPeriod", kind: kindPeriod}},
		"826501000000100", "Uncategorised data"},
	Investigations: {"investigations", "includeInvestigations", false, []part{{name: "investigationSearchPeriod", kind: kindPeriod}},
		"887191000000108", "Investigations and results"},
	Referrals: {"referrals", "includeReferrals", false, []part{{name: "referralSearchPeriod", kind: kindPeriod}},
		"792931000000107", "Outbound referral"},
	DiaryEntries: {"diary", "includeDiaryEntries", false, []part{{name: "diaryEntriesSearchDate", kind: kindFutureDate}},
		"714311000000108", "Patient recall administration"},
	// No parameter and no list is sent: the code names the list its
	// builder makes for the items consultations and problems hold.
	Documents: {"documents", "", false, nil, "documents", "Documents"},
}

// documentsWarned is the name the warning of documents switched off
// gives them, as they have no parameter (SPEC §5).
const documentsWarned = "DocumentReferences"

// warned is the name an area's warnings give it: its parameter.
func (a Area) warned() string {
	if a == Documents {
		return documentsWarned
	}
	return areas[a].param
}

// listDisplay is the display of an area's list code where it is not the
// list's title (SPEC §6.1: uncategorised data is titled so, its code
// "Miscellaneous record").
var listDisplay = map[Area]string{Uncategorised: "Miscellaneous record"}

// areaOrder is the order areas are answered in, as the OperationDefinition
// lists them.
var areaOrder = []Area{Allergies, Medication, Consultations, Problems, Immunisations, Uncategorised, Investigations, Referrals, DiaryEntries}

// itemAreas are the areas whose items consultations hold and problems
// are linked to, beside those asked for: the documents too.
var itemAreas = append(slices.Clone(areaOrder), Documents)

// endedAllergies is the list of allergies that have ended: its SNOMED code,
// display and title.
const (
	endedAllergiesCode = "1103671000000101"
	endedAllergiesText = "Ended allergies"
)

// forbidden are the parts a request must not send when it asks for an area
// (SPEC §3): with consultations or problems, the filters that would
// contradict how items are linked.
var forbidden = map[Area][]string{
	Consultations: {"includeMedication.medicationSearchFromDate", "includeUncategorisedData.uncategorisedDataSearchPeriod",
		"includeProblems.filterStatus", "includeProblems.filterSignificance", "includeReferrals.referralSearchPeriod",
		"includeDiaryEntries.diaryEntriesSearchDate", "includeImmunisations.includeNotGiven", "includeImmunisations.includeStatus"},
	Problems: {"includeMedication.medicationSearchFromDate", "includeUncategorisedData.uncategorisedDataSearchPeriod",
		"includeReferrals.referralSearchPeriod", "includeDiaryEntries.diaryEntriesSearchDate",
		"includeImmunisations.includeNotGiven", "includeImmunisations.includeStatus"},
}

func (a Area) String() string { return areas[a].name }

// byParam finds the area of a request parameter.
func byParam(name string) (Area, bool) {
	for a, d := range areas {
		if d.param == name {
			return a, true
		}
	}
	return 0, false
}

// ParseAreas reads the configuration's names of areas (allergies,
// medication, consultations, problems, immunisations, uncategorised,
// investigations, referrals, diary); an unknown name is an error that
// lists the known ones. No names (nil) is nil, every area; an empty list
// is none.
func ParseAreas(names []string) ([]Area, error) {
	if names == nil {
		return nil, nil
	}
	out := make([]Area, 0, len(names))
	for _, n := range names {
		found := false
		for a, d := range areas {
			if d.name == strings.TrimSpace(n) {
				out, found = append(out, a), true
			}
		}
		if !found {
			return nil, fmt.Errorf("gpconnect.areas: %q is not a clinical area (%s)", n, strings.Join(AreaNames(), ", "))
		}
	}
	return out, nil
}

// AreaNames are the areas' configuration names, in the order the
// operation lists them, then documents (items of consultations and
// problems, which a deployment may switch off too).
func AreaNames() []string {
	out := make([]string, 0, len(itemAreas))
	for _, a := range itemAreas {
		out = append(out, areas[a].name)
	}
	return out
}

func (d area) part(name string) (part, bool) {
	for _, p := range d.parts {
		if p.name == name {
			return p, true
		}
	}
	return part{}, false
}

// paramNames are every parameter the operation defines, sorted: for
// messages.
func paramNames() []string {
	out := []string{"patientNHSNumber"}
	for _, d := range areas {
		out = append(out, d.param)
	}
	sort.Strings(out)
	return out
}
