package gpconnect

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"github.com/ccfacade/ccfacade/mapping"
	"gopkg.in/yaml.v3"
)

// A patient's standing at the practice (SPEC §6.3, §6.1): whether the
// record may be shared through GP Connect at all, and what warnings its
// lists carry. Care Connect says some of it on the Patient (its
// RegistrationDetails extension, meta.security); the rest, which no Care
// Connect element holds, the overlay's patient section states as
// conditions on the Patient mapping's table, in the mapping language's
// when form. They are rendered through a mapping of that table made for
// them alone, never served.

// PatientRule is the overlay's patient section: each a condition
// (`{column: X, equals: "Y"}`, `{all: […]}`, …) on a row of the Patient
// mapping's table, or, for the warnings, a date value (`{column: X,
// transform: {date: yyyy-MM-dd}}`, with an optional when).
type PatientRule struct {
	// Registered holds for a patient registered here as a regular (GMS)
	// patient who has not left; a patient for whom it does not hold is
	// not found.
	Registered yaml.Node `yaml:"registered"`
	// Sensitive holds for a record flagged sensitive: not found.
	Sensitive yaml.Node `yaml:"sensitive"`
	// Dissent holds when the patient has dissented from sharing the
	// record: 403 NO_PATIENT_CONSENT.
	Dissent yaml.Node `yaml:"dissent"`
	// DataInTransit is the date before which information may be missing
	// while a GP2GP transfer of the record to this practice is under way
	// (absent: none is).
	DataInTransit yaml.Node `yaml:"data_in_transit"`
	// DataAwaitingFiling is the date before which information may be
	// missing while received items await filing (absent: none do).
	DataAwaitingFiling yaml.Node `yaml:"data_awaiting_filing"`
}

// The extension urls the standing mapping renders each fact as.
const (
	standingURL         = "urn:ccfacade:gpconnect:standing:"
	registrationDetails = "RegistrationDetails-1"
	confidentiality     = "http://hl7.org/fhir/v3/Confidentiality"
)

// The list warning codes (SPEC §6.1).
const (
	listWarningURL     = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-ListWarningCode-1"
	dataInTransit      = "data-in-transit"
	dataAwaitingFile   = "data-awaiting-filing"
	inTransitNote      = "Patient record transfer from previous GP practice not yet complete; information recorded before %s may be missing."
	awaitingFilingNote = "Patient record contains some items in the GP practice workflow that have not been reviewed for inclusion in this message; information recorded before %s may be missing."
)

// standingFacts are the overlay's facts by name, in order: conditions
// (rendered as a valueBoolean true) and dates (a valueDateTime).
func (p *PatientRule) facts() []struct {
	name string
	node *yaml.Node
	date bool
} {
	return []struct {
		name string
		node *yaml.Node
		date bool
	}{
		{"registered", &p.Registered, false},
		{"sensitive", &p.Sensitive, false},
		{"dissent", &p.Dissent, false},
		{"data_in_transit", &p.DataInTransit, true},
		{"data_awaiting_filing", &p.DataAwaitingFiling, true},
	}
}

// standingMapping makes the mapping that renders the overlay's patient
// facts from the Patient mapping's table (nil when the overlay states
// none). Its problems (a column the table does not have, a condition
// the mapping language does not know) are the overlay's.
func standingMapping(patient *mapping.Mapping, rule *PatientRule, loc *time.Location) (*mapping.Mapping, error) {
	if rule == nil {
		return nil, nil
	}
	var exts []any
	for _, f := range rule.facts() {
		if f.node.Kind == 0 {
			continue
		}
		var v any
		if err := f.node.Decode(&v); err != nil {
			return nil, fmt.Errorf("gpconnect overlay: patient.%s: %w", f.name, err)
		}
		if f.date {
			exts = append(exts, map[string]any{"url": standingURL + f.name, "valueDateTime": v})
			continue
		}
		exts = append(exts, map[string]any{"url": standingURL + f.name, "valueBoolean": map[string]any{"value": true, "when": v}})
	}
	if len(exts) == 0 {
		return nil, nil
	}
	m, err := sideMapping(patient, "patient", exts, loc)
	if err != nil {
		return nil, fmt.Errorf("gpconnect overlay: patient: %w", err)
	}
	return m, nil
}

// sideMapping makes a mapping of a mapping's rows (its table or query,
// key and id prefix: the same ids) that renders the extensions given
// alone: facts the overlay states of the rows that no Care Connect
// element holds. It is searched, never served.
func sideMapping(m *mapping.Mapping, name string, exts []any, loc *time.Location) (*mapping.Mapping, error) {
	from := map[string]any{"key": m.From.Key}
	switch {
	case m.From.Table != "":
		from["table"] = m.From.Table
	default:
		from["query"] = m.From.Query
	}
	doc := map[string]any{
		"resource": m.Resource,
		"from":     from,
		"element":  map[string]any{"extension": exts},
	}
	if m.IDPrefix != "" {
		doc["id-prefix"] = m.IDPrefix
	}
	data, err := yaml.Marshal(doc)
	if err != nil {
		return nil, err
	}
	set, err := mapping.Load([]mapping.File{{Name: "gpconnect overlay (" + name + ")", Data: data}}, loc)
	if err != nil {
		return nil, err
	}
	side := set.Lookup(m.Resource)
	side.Internal = true // renders facts alone: no element the type requires
	return side, nil
}

// onlyMapping is the one mapping that serves a type, whose rows a side
// mapping reads; else why there is none to read ("no mapping serves
// Flag", "2 mappings serve ProcedureRequest").
func onlyMapping(set *mapping.Set, typ string) (*mapping.Mapping, string) {
	switch ms := set.LookupIn(mapping.STU3, typ); len(ms) {
	case 0:
		return nil, "no mapping serves " + typ
	case 1:
		return ms[0], ""
	default:
		return nil, fmt.Sprintf("%d mappings serve %s", len(ms), typ)
	}
}

// readOnce reads a side mapping once, on a row of its table, so that a
// column the table lacks stops the start rather than every record.
func (s *Service) readOnce(typ string, m *mapping.Mapping) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := s.eng.Search(ctx, engine.SearchRequest{Type: typ, Mapping: m, Params: url.Values{"_count": {"1"}}, Base: "urn:ccfacade:gpconnect"})
	return err
}

// checkStanding runs the overlay's patient conditions once (readOnce).
func (s *Service) checkStanding() error {
	if s.standingMap == nil {
		return nil
	}
	if err := s.readOnce("Patient", s.standingMap); err != nil {
		return fmt.Errorf("gpconnect overlay: patient: the conditions on the Patient mapping's table cannot be read: %w", err)
	}
	return nil
}

// standing is what a patient's record may show through GP Connect.
type standing struct {
	notFound string    // why the patient is not served (404), or ""
	dissent  bool      // the patient dissents from sharing (403)
	warnings []warning // the lists' warnings
}

type warning struct{ code, note string }

// standing finds a patient's standing: from the Care Connect Patient
// (its registration details, meta.security) and the overlay's facts,
// read before anything of the record is.
func (s *Service) standing(r *record, patient *fhir.Object) (standing, error) {
	var st standing
	today := s.Today().Format("2006-01-02")
	// Care Connect's registration details, when the mapping renders them.
	exts, _ := patient.Get("extension").(fhir.Array)
	for _, x := range exts {
		o, ok := x.(*fhir.Object)
		if !ok || !strings.HasSuffix(o.GetString("url"), registrationDetails) {
			continue
		}
		sub, _ := o.Get("extension").(fhir.Array)
		for _, y := range sub {
			so, ok := y.(*fhir.Object)
			if !ok {
				continue
			}
			switch so.GetString("url") {
			case "registrationType":
				if codes := values(so, "valueCodeableConcept.coding.code"); len(codes) > 0 && codes[0] != "R" {
					st.notFound = fmt.Sprintf("the registration type is %q, not R (regular/GMS)", codes[0])
				}
			case "registrationPeriod":
				if end := values(so, "valuePeriod.end"); len(end) > 0 && end[0] != "" && end[0][:min(10, len(end[0]))] < today {
					st.notFound = "the registration ended on " + end[0] + " (the patient has left the practice)"
				}
			}
		}
	}
	if c := restricted(patient); c != "" {
		st.notFound = "the record is restricted (meta.security " + c + ")"
	}
	if s.standingMap == nil {
		return st, nil
	}
	b, err := s.eng.Search(r.ctx, engine.SearchRequest{Type: "Patient", Mapping: s.standingMap, Params: url.Values{"_id": {r.pid}}, Base: "urn:ccfacade:gpconnect"})
	if err != nil {
		return st, engineRefusal(err)
	}
	facts := map[string]string{}
	entries, _ := b.Get("entry").(fhir.Array)
	for _, e := range entries {
		eo, _ := e.(*fhir.Object)
		res, _ := eo.Get("resource").(*fhir.Object)
		if res == nil {
			continue
		}
		exts, _ := res.Get("extension").(fhir.Array)
		for _, x := range exts {
			o, ok := x.(*fhir.Object)
			if !ok || !strings.HasPrefix(o.GetString("url"), standingURL) {
				continue
			}
			name := strings.TrimPrefix(o.GetString("url"), standingURL)
			if v := o.GetString("valueDateTime"); v != "" {
				facts[name] = v
			} else if bv, ok := o.Get("valueBoolean").(fhir.Bool); ok && bool(bv) {
				facts[name] = "true"
			}
		}
	}
	rule := s.overlay.Patient
	switch {
	case st.notFound != "":
	case rule.Registered.Kind != 0 && facts["registered"] == "":
		st.notFound = "the patient is not registered here as a regular (GMS) patient, or has left"
	case facts["sensitive"] != "":
		st.notFound = "the record is flagged sensitive"
	}
	st.dissent = facts["dissent"] != ""
	if d := facts["data_in_transit"]; d != "" {
		st.warnings = append(st.warnings, warning{dataInTransit, fmt.Sprintf(inTransitNote, noteDate(d))})
	}
	if d := facts["data_awaiting_filing"]; d != "" {
		st.warnings = append(st.warnings, warning{dataAwaitingFile, fmt.Sprintf(awaitingFilingNote, noteDate(d))})
	}
	return st, nil
}

// noteDate writes a date of a list warning's note as dd-Mmm-yyyy.
func noteDate(v string) string {
	if len(v) >= 10 {
		if t, err := time.Parse("2006-01-02", v[:10]); err == nil {
			return t.Format("02-Jan-2006")
		}
	}
	return v
}

// noConsent is the refusal of a patient who dissents from sharing.
func noConsent(format string, args ...any) *Error {
	return refuse(http.StatusForbidden, "forbidden", "NO_PATIENT_CONSENT", format, args...)
}

// warn adds the record's warnings to a query list (one without an id:
// the consultation-structure lists never carry them): each code in a
// ListWarningCode extension, its text in a note.
func warn(l *fhir.Object, ws []warning) {
	if len(ws) == 0 || l.GetString("id") != "" {
		return
	}
	exts, _ := l.Get("extension").(fhir.Array)
	notes, _ := l.Get("note").(fhir.Array)
	for _, w := range ws {
		exts = append(exts, fhir.NewObject(2).Add("url", fhir.String(listWarningURL)).Add("valueCode", fhir.String(w.code)))
		notes = append(notes, fhir.NewObject(1).Add("text", fhir.String(w.note)))
	}
	t := stu3.Lookup("List")
	put(l, t, "extension", exts)
	put(l, t, "note", notes)
}
