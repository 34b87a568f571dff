package gpconnect

import (
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"github.com/ccfacade/ccfacade/mapping"
)

// Extensions and code systems of the medication area (SPEC §6.2).
const (
	prescriptionTypeURL     = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescriptionType-1"
	ccPrescriptionTypeURL   = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-PrescriptionType-1"
	prescriptionTypeSystem  = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescriptionType-1"
	repeatInformationURL    = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationRepeatInformation-1"
	statusReasonURL         = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationStatusReason-1"
	prescribingAgencyEnd    = "PrescribingAgency-1"
	prescribingAgencyURL    = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-PrescribingAgency-1"
	prescribingAgencySystem = "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-PrescribingAgency-1"
	atPractice              = "prescribed-at-gp-practice"
)

// authorisation is one medication authorisation of the record: its
// MedicationStatement, its plan (a MedicationRequest, intent plan) and
// its issues (MedicationRequests, intent order).
type authorisation struct {
	statement, plan *fhir.Object
	issues          []*fhir.Object
	acute           bool
	authorised      authorised // what the row says of the repeat's authorisation
}

// medicationBuilder builds the medication area from the Care Connect
// MedicationStatement (an authorisation: a repeat, its issues the
// MedicationRequests it is derivedFrom) and MedicationRequest (an issue)
// renderings. GP Connect wants each authorisation as a statement based on
// a plan, and each issue an order based on its plan: the plan is made
// from the statement (the same medicine, dosage, dates, recorder and
// status, the prescription type of its issues), and an issue no statement
// is derived from (an acute prescription) is an authorisation of its own,
// its statement and plan made from it. The list holds the statements;
// the bundle the statements, plans, issues (unless
// includePrescriptionIssues is false) and their Medications.
var medicationBuilder = &builder{
	needs: func(set *mapping.Set) string {
		for typ, params := range map[string]map[string]string{
			"MedicationStatement": {"patient": "reference"},
			"MedicationRequest":   {"patient": "reference"},
		} {
			if why := needsSearch(set, typ, params); why != "" {
				return why
			}
		}
		if set.Lookup("Medication") == nil {
			return "the mappings have no Medication"
		}
		return ""
	},
	build: func(r *record, req *Request) error {
		patient := url.Values{"patient": {"Patient/" + r.pid}}
		statements, err := r.search("MedicationStatement", patient)
		if err != nil {
			return err
		}
		orders, err := r.search("MedicationRequest", patient)
		if err != nil {
			return err
		}
		byID := map[string]*fhir.Object{}
		for _, o := range orders {
			byID[o.GetString("id")] = o
		}
		facts, err := r.authorisations(statements)
		if err != nil {
			return err
		}
		claimed := map[string]bool{}
		var auths []*authorisation
		for _, st := range statements {
			a := &authorisation{statement: st, authorised: facts[st.GetString("id")]}
			if code := a.authorised.prescribed; code != "" {
				prescribedBy(st, code)
			}
			for _, ref := range values(st, "derivedFrom.reference") {
				if id, ok := strings.CutPrefix(ref, "MedicationRequest/"); ok && byID[id] != nil && !claimed[id] {
					claimed[id] = true
					a.issues = append(a.issues, byID[id])
				}
			}
			a.plan = r.planOf(a)
			auths = append(auths, a)
		}
		for _, o := range orders {
			if !claimed[o.GetString("id")] {
				auths = append(auths, r.acuteOf(o))
			}
		}
		if from, ok := req.Date(Medication, "medicationSearchFromDate"); ok {
			keep := auths[:0]
			for _, a := range auths {
				if a.activeSince(from.Format("2006-01-02")) {
					keep = append(keep, a)
				}
			}
			auths = keep
		}
		issues := req.Bool(Medication, "includePrescriptionIssues", true)
		d := areas[Medication]
		refs := make([]string, len(auths))
		for i, a := range auths {
			refs[i] = "MedicationStatement/" + a.statement.GetString("id")
		}
		r.sections = append(r.sections, r.list(snomed, d.listCode, d.listText, refs, nil))
		var meds []string
		seen := map[string]bool{}
		add := func(res *fhir.Object) {
			r.have[res.GetString("resourceType")+"/"+res.GetString("id")] = true
			r.sections = append(r.sections, res)
			for _, ref := range values(res, "medicationReference.reference") {
				if id, ok := strings.CutPrefix(ref, "Medication/"); ok && !seen[id] && fhir.IsValidID(id) {
					seen[id] = true
					meds = append(meds, id)
				}
			}
		}
		for _, a := range auths {
			add(a.statement)
			if !r.isWithheld(a.statement) {
				r.listed[key(a.statement)] = Medication // an item of the list, which problems may be linked to
			}
			add(a.plan)
			if issues {
				for _, o := range a.issues {
					r.asOrder(o, a.plan)
					add(o)
				}
			}
		}
		if len(meds) == 0 {
			return nil
		}
		found, err := r.searchIDs("Medication", nil, meds, nil)
		if err != nil {
			return err
		}
		for _, m := range found {
			if key := "Medication/" + m.GetString("id"); !r.have[key] {
				r.have[key] = true
				r.sections = append(r.sections, m)
			}
		}
		return nil
	},
}

// planOf makes the plan of an authorisation from its statement, and
// bases the statement on it.
func (r *record) planOf(a *authorisation) *fhir.Object {
	st := a.statement
	p := fhir.NewObject(16)
	p.Add("resourceType", fhir.String("MedicationRequest"))
	p.Add("id", fhir.String(r.planID(st.GetString("id"))))
	p.Add("meta", st.Get("meta"))
	var exts fhir.Array
	kind := ""
	for _, o := range a.issues {
		if k := prescriptionType(o); k != "" {
			kind = k
			break
		}
	}
	if kind == "" {
		kind = "repeat" // a statement with no issue of a known type: a repeat not yet issued
	}
	exts = append(exts, prescriptionTypeExt(kind))
	if kind != "acute" {
		var parts fhir.Array
		if v := a.authorised.allowed; v != nil {
			parts = append(parts, fhir.NewObject(2).Add("url", fhir.String("numberOfRepeatPrescriptionsAllowed")).Add("valueUnsignedInt", v))
		}
		parts = append(parts, fhir.NewObject(2).Add("url", fhir.String("numberOfRepeatPrescriptionsIssued")).Add("valueUnsignedInt", fhir.Number(strconv.Itoa(len(a.issues)))))
		if v := a.authorised.expiry; v != nil {
			parts = append(parts, fhir.NewObject(2).Add("url", fhir.String("authorisationExpiryDate")).Add("valueDateTime", v))
		}
		exts = append(exts, fhir.NewObject(2).Add("url", fhir.String(repeatInformationURL)).Add("extension", parts))
	}
	status := statementToRequestStatus[st.GetString("status")]
	if status == "" {
		status = "unknown"
	}
	if status == "stopped" {
		when := values(st, "effectivePeriod.end")
		if len(when) == 0 {
			when = values(st, "meta.lastUpdated")
		}
		if len(when) > 0 {
			exts = append(exts, fhir.NewObject(2).Add("url", fhir.String(statusReasonURL)).Add("extension", fhir.Array{
				fhir.NewObject(2).Add("url", fhir.String("statusReason")).Add("valueCodeableConcept", fhir.NewObject(1).Add("text", fhir.String(noReason))),
				fhir.NewObject(2).Add("url", fhir.String("statusChangeDate")).Add("valueDateTime", fhir.String(when[0])),
			}))
		}
	}
	p.Add("extension", exts)
	p.Add("status", fhir.String(status))
	p.Add("intent", fhir.String("plan"))
	p.Add("medicationReference", st.Get("medicationReference"))
	p.Add("subject", st.Get("subject"))
	start := values(st, "effectivePeriod.start")
	if len(start) > 0 {
		p.Add("authoredOn", fhir.String(start[0]))
	} else if da := st.GetString("dateAsserted"); da != "" {
		p.Add("authoredOn", fhir.String(da))
	}
	recorder := st.Get("informationSource")
	if recorder == nil && len(a.issues) > 0 {
		recorder = fhir.Path(a.issues[0], "requester.agent")
	}
	p.Add("recorder", recorder)
	if text := values(st, "dosage.text"); len(text) > 0 {
		p.Add("dosageInstruction", fhir.Array{fhir.NewObject(1).Add("text", fhir.String(text[0]))})
	}
	if period, ok := st.Get("effectivePeriod").(*fhir.Object); ok {
		p.Add("dispenseRequest", fhir.NewObject(1).Add("validityPeriod", period))
	}
	put(st, stu3.Lookup("MedicationStatement"), "basedOn", fhir.Array{fhir.NewObject(1).Add("reference", fhir.String("MedicationRequest/"+p.GetString("id")))})
	if r.isWithheld(st) {
		r.withheld[key(p)] = true // the plan of a withheld statement is withheld with it
	}
	return p
}

// prescribedBy sets a statement's prescribing agency (a code of
// agencies), in place of the one it has.
func prescribedBy(st *fhir.Object, code string) {
	exts, _ := st.Get("extension").(fhir.Array)
	exts = slices.DeleteFunc(slices.Clone(exts), func(x fhir.Value) bool {
		o, ok := x.(*fhir.Object)
		return ok && strings.HasSuffix(o.GetString("url"), prescribingAgencyEnd)
	})
	agency := fhir.NewObject(2).Add("url", fhir.String(prescribingAgencyURL)).Add("valueCodeableConcept",
		fhir.NewObject(1).Add("coding", fhir.Array{coding(prescribingAgencySystem, code, agencies[code])}))
	put(st, stu3.Lookup("MedicationStatement"), "extension", append(exts, agency))
}

// acuteOf makes an authorisation of an issue no statement is derived
// from: an acute prescription, its plan and statement made from it.
func (r *record) acuteOf(o *fhir.Object) *authorisation {
	id := o.GetString("id")
	authored := o.GetString("authoredOn")
	status := "completed"
	switch o.GetString("status") {
	case "cancelled", "stopped":
		status = "stopped"
	case "entered-in-error":
		status = "entered-in-error"
	case "active", "draft", "on-hold", "suspended":
		status = "active"
	}
	st := fhir.NewObject(12)
	st.Add("resourceType", fhir.String("MedicationStatement"))
	st.Add("id", fhir.String(uuid5(r.s.ns, "MedicationRequest/"+id+"#statement")))
	st.Add("meta", o.Get("meta"))
	if authored != "" {
		st.Add("extension", fhir.Array{fhir.NewObject(2).Add("url", fhir.String(lastIssueURL)).Add("valueDateTime", fhir.String(authored))})
	}
	st.Add("status", fhir.String(status))
	st.Add("medicationReference", o.Get("medicationReference"))
	if authored != "" {
		st.Add("effectivePeriod", fhir.NewObject(2).Add("start", fhir.String(authored)).Add("end", fhir.String(authored)))
	}
	st.Add("informationSource", fhir.Path(o, "requester.agent"))
	st.Add("subject", o.Get("subject"))
	st.Add("taken", fhir.String("unk"))
	if text := values(o, "dosageInstruction.text"); len(text) > 0 {
		st.Add("dosage", fhir.Array{fhir.NewObject(1).Add("text", fhir.String(text[0]))})
	}
	if c := o.Get("context"); c != nil {
		put(st, stu3.Lookup("MedicationStatement"), "context", c) // the consultation it was prescribed in
	}
	if r.isWithheld(o) {
		r.withheld[key(st)] = true // made from a withheld issue: withheld with it
	}
	a := &authorisation{statement: st, issues: []*fhir.Object{o}, acute: true}
	a.plan = r.planOf(a)
	return a
}

// lastIssueURL is the extension of a statement's last issue date.
const lastIssueURL = "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-CareConnect-GPC-MedicationStatementLastIssueDate-1"

// asOrder makes an issue the order GP Connect wants: based on its plan,
// recorded by whoever requested it, valid from when it was issued, its
// status one of GP Connect's three (an issue cancelled is stopped; one
// not yet done, active).
func (r *record) asOrder(o, plan *fhir.Object) {
	t := stu3.Lookup("MedicationRequest")
	put(o, t, "intent", fhir.String("order"))
	switch o.GetString("status") {
	case "cancelled":
		put(o, t, "status", fhir.String("stopped"))
	case "draft", "on-hold", "suspended":
		put(o, t, "status", fhir.String("active"))
	}
	put(o, t, "basedOn", fhir.Array{fhir.NewObject(1).Add("reference", fhir.String("MedicationRequest/"+plan.GetString("id")))})
	if o.Get("recorder") == nil {
		put(o, t, "recorder", fhir.Path(o, "requester.agent"))
	}
	if fhir.Path(o, "dispenseRequest.validityPeriod.start") == nil && o.GetString("authoredOn") != "" {
		dr, _ := o.Get("dispenseRequest").(*fhir.Object)
		if dr == nil {
			dr = fhir.NewObject(1)
		}
		vp := fhir.NewObject(1).Add("start", fhir.String(o.GetString("authoredOn")))
		put(dr, stu3.Lookup("MedicationRequest.dispenseRequest"), "validityPeriod", vp)
		put(o, t, "dispenseRequest", dr)
	}
}

// activeSince reports whether an authorisation is active on or after a
// date (SPEC §6.2, medicationSearchFromDate): its period ends then or
// later; with no end, an acute one starts then or later and any other
// is active from its start on. One prescribed elsewhere always is.
func (a *authorisation) activeSince(from string) bool {
	st := a.statement
	for _, x := range extensionsOf(st) {
		if strings.HasSuffix(x.GetString("url"), prescribingAgencyEnd) {
			if code := values(x, "valueCodeableConcept.coding.code"); len(code) > 0 && code[0] != atPractice {
				return true
			}
		}
	}
	if end := values(st, "effectivePeriod.end"); len(end) > 0 {
		return upper(end[0]) >= from
	}
	if a.acute || prescriptionType(a.plan) == "acute" {
		start := values(st, "effectivePeriod.start")
		return len(start) > 0 && upper(start[0]) >= from
	}
	return true
}

// upper is the last day a (partial) date or date-time stands for, as
// YYYY-MM-DD: a year is up to 31 December, a month to its last day.
func upper(d string) string {
	switch len(d) {
	case 4:
		return d + "-12-31"
	case 7:
		return d + "-31" // compared as text: later than any day of the month
	}
	if len(d) > 10 {
		return d[:10]
	}
	return d
}

func extensionsOf(res *fhir.Object) []*fhir.Object {
	var out []*fhir.Object
	a, _ := res.Get("extension").(fhir.Array)
	for _, x := range a {
		if o, ok := x.(*fhir.Object); ok {
			out = append(out, o)
		}
	}
	return out
}

// prescriptionType is a MedicationRequest's prescription type code, "".
func prescriptionType(res *fhir.Object) string {
	for _, x := range extensionsOf(res) {
		if u := x.GetString("url"); u == prescriptionTypeURL || u == ccPrescriptionTypeURL {
			if code := values(x, "valueCodeableConcept.coding.code"); len(code) > 0 {
				return code[0]
			}
		}
	}
	return ""
}

func prescriptionTypeExt(code string) *fhir.Object {
	display := map[string]string{"acute": "Acute", "repeat": "Repeat", "repeat-dispensing": "Repeat dispensing",
		"delayed-prescribing": "Delayed prescribing", "acute-handwritten": "Acute handwritten"}[code]
	return fhir.NewObject(2).Add("url", fhir.String(prescriptionTypeURL)).
		Add("valueCodeableConcept", fhir.NewObject(1).Add("coding", fhir.Array{coding(prescriptionTypeSystem, code, display)}))
}

// statementToRequestStatus is the status of an authorisation's plan by
// its statement's.
var statementToRequestStatus = map[string]string{
	"active": "active", "completed": "completed", "entered-in-error": "entered-in-error",
	"intended": "draft", "stopped": "stopped", "on-hold": "suspended",
}

// toPlans makes the references to a medication its plan's, where GP
// Connect's consultation and problem guidance say a medication is
// referred to by its plan (a MedicationRequest of intent plan): a
// problem's link, and the entries of a consultation's Topics and
// Categories. The Medications list and the secondary lists ("Problems -
// medications related to problems", …) list the statements, as GP
// Connect's provider tests expect. A plan's id is made from its
// statement's (planOf), so a link to a statement the record does not send
// (a linked problem's reference only) names its plan too.
func (r *record) toPlans() {
	swap := func(ref *fhir.Object) {
		if id, ok := strings.CutPrefix(ref.GetString("reference"), "MedicationStatement/"); ok {
			put(ref, stu3.Lookup("Reference"), "reference", fhir.String("MedicationRequest/"+r.planID(id)))
		}
	}
	for _, v := range r.sections {
		switch v.GetString("resourceType") {
		case "Condition":
			for _, x := range extensionsOf(v) {
				if ref, ok := x.Get("valueReference").(*fhir.Object); ok && x.GetString("url") == relatedContentURL {
					swap(ref)
				}
			}
		case "List":
			if code := first(values(v, "code.coding.code")); code != topicCode && code != headingCode {
				continue
			}
			entries, _ := v.Get("entry").(fhir.Array)
			for _, e := range entries {
				if eo, ok := e.(*fhir.Object); ok {
					if ref, ok := eo.Get("item").(*fhir.Object); ok {
						swap(ref)
					}
				}
			}
		}
	}
}

// planID is the id of the plan of the statement of an id.
func (r *record) planID(statement string) string {
	return uuid5(r.s.ns, "MedicationStatement/"+statement+"#plan")
}
