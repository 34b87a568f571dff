package stu3

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/internal/spectest"
)

// The types of testdata/elements.json have their elements in order (see
// TestElementTable); a long one begins as the specification does.
func TestElementOrder(t *testing.T) {
	obs := spectest.Names(spectest.MustType(t, Release, "Observation"))
	if !strings.HasPrefix(obs, "id,meta,implicitRules,language,text,contained,extension,modifierExtension,identifier,basedOn,status,category,code,subject,context,effective[x],issued,performer,value[x],dataAbsentReason,") {
		t.Errorf("Observation: %s", obs)
	}
}

// The resource types of STU3 (3.0.1), from the specification's list.
var stu3Resources = strings.Fields(`Account ActivityDefinition AdverseEvent
AllergyIntolerance Appointment AppointmentResponse AuditEvent Basic Binary
BodySite Bundle CapabilityStatement CarePlan CareTeam ChargeItem Claim
ClaimResponse ClinicalImpression CodeSystem Communication CommunicationRequest
CompartmentDefinition Composition ConceptMap Condition Consent Contract
Coverage DataElement DetectedIssue Device DeviceComponent DeviceMetric
DeviceRequest DeviceUseStatement DiagnosticReport DocumentManifest
DocumentReference EligibilityRequest EligibilityResponse Encounter Endpoint
EnrollmentRequest EnrollmentResponse EpisodeOfCare ExpansionProfile
ExplanationOfBenefit FamilyMemberHistory Flag Goal GraphDefinition Group
GuidanceResponse HealthcareService ImagingManifest ImagingStudy Immunization
ImmunizationRecommendation ImplementationGuide Library Linkage List Location
Measure MeasureReport Media Medication MedicationAdministration
MedicationDispense MedicationRequest MedicationStatement MessageDefinition
MessageHeader NamingSystem NutritionOrder Observation OperationDefinition
OperationOutcome Organization Parameters Patient PaymentNotice
PaymentReconciliation Person PlanDefinition Practitioner PractitionerRole
Procedure ProcedureRequest ProcessRequest ProcessResponse Provenance
Questionnaire QuestionnaireResponse ReferralRequest RelatedPerson RequestGroup
ResearchStudy ResearchSubject RiskAssessment Schedule SearchParameter Sequence
ServiceDefinition Slot Specimen StructureDefinition StructureMap Subscription
Substance SupplyDelivery SupplyRequest Task TestReport TestScript ValueSet
VisionPrescription`)

func TestResources(t *testing.T) {
	if len(stu3Resources) != 117 {
		t.Fatalf("the test's list has %d", len(stu3Resources))
	}
	spectest.CheckResources(t, Release, stu3Resources, []string{"Resource", "DomainResource", "Element", "BackboneElement", "HumanName", "Patient.contact", "string", "MedicationOrder", "patient", ""})
}

func TestKinds(t *testing.T) {
	prim := "base64Binary boolean code date dateTime decimal id instant integer markdown oid positiveInt string time unsignedInt uri uuid xhtml"
	complex := "Address Age Annotation Attachment CodeableConcept Coding ContactDetail ContactPoint Contributor Count DataRequirement Distance Dosage Duration ElementDefinition Extension HumanName Identifier Meta Money Narrative ParameterDefinition Period Quantity Range Ratio Reference RelatedArtifact SampledData Signature SimpleQuantity Timing TriggerDefinition UsageContext"
	spectest.CheckKinds(t, Release, len(table), prim, complex, map[string]Kind{"Patient": Resource, "HumanName": Complex, "dateTime": Primitive, "Patient.contact": Backbone, "Bundle.entry.search": Backbone, "Timing.repeat": Backbone})
	if Resource.String() != "resource" || Backbone.String() != "backbone element" {
		t.Error("Kind.String")
	}
}

// Every type an element names is in the table, every target is a
// resource, and every JSON name of a type is unique.
func TestConsistency(t *testing.T) { spectest.CheckConsistency(t, Release) }

func TestChoice(t *testing.T) {
	v := spectest.MustElement(t, Release, "Observation", "valueQuantity")
	for _, want := range []string{"Quantity", "CodeableConcept", "string", "boolean", "Range", "Ratio", "SampledData", "Attachment", "time", "dateTime", "Period"} {
		if !slices.Contains(v.Types, want) {
			t.Errorf("Observation.value[x] lacks %s: %v", want, v.Types)
		}
	}
	if len(v.Types) != 11 || v.Name != "value[x]" || v.Max != "1" {
		t.Errorf("Observation.value[x]: %+v", v)
	}

	p := spectest.MustType(t, Release, "Patient")
	el, typ, ok := p.Element("deceasedBoolean")
	if !ok || el.Name != "deceased[x]" || typ != "boolean" || !el.Choice() {
		t.Errorf("deceasedBoolean: %v %q %v", el, typ, ok)
	}
	if _, typ, _ := p.Element("deceasedDateTime"); typ != "dateTime" {
		t.Errorf("deceasedDateTime: %q", typ)
	}
	for _, bad := range []string{"deceasedString", "deceased", "deceasedboolean", "DeceasedBoolean", "Deceased", "", "resourceType", "_birthDate"} {
		if _, _, ok := p.Element(bad); ok {
			t.Errorf("%q is not a Patient element", bad)
		}
	}
	if el, typ, ok := p.Element("deceased[x]"); !ok || typ != "" || el.Name != "deceased[x]" {
		t.Errorf("deceased[x]: %v %q %v", el, typ, ok)
	}
	if el, typ, ok := p.Element("gender"); !ok || typ != "code" || el.Name != "gender" {
		t.Errorf("gender: %v %q %v", el, typ, ok)
	}

	ext := spectest.MustElement(t, Release, "Extension", "value[x]")
	if len(ext.Types) != 38 {
		t.Errorf("Extension.value[x] has %d types: %v", len(ext.Types), ext.Types)
	}
	for _, want := range []string{"base64Binary", "boolean", "code", "dateTime", "string", "uri", "Address", "CodeableConcept", "Coding", "HumanName", "Identifier", "Quantity", "Reference", "Timing", "Meta"} {
		if !slices.Contains(ext.Types, want) {
			t.Errorf("Extension.value[x] lacks %s", want)
		}
	}
	if !slices.Equal(ext.Targets, []string{"Resource"}) {
		t.Errorf("Extension.valueReference targets %v", ext.Targets)
	}
	if _, typ, _ := spectest.MustType(t, Release, "Extension").Element("valueCodeableConcept"); typ != "CodeableConcept" {
		t.Errorf("valueCodeableConcept: %q", typ)
	}

	// SimpleQuantity is a profile of Quantity: valueQuantity in JSON.
	d := spectest.MustType(t, Release, "Dosage")
	if el, typ, ok := d.Element("doseQuantity"); !ok || typ != "SimpleQuantity" || el.Name != "dose[x]" {
		t.Errorf("doseQuantity: %v %q %v", el, typ, ok)
	}
	if _, _, ok := d.Element("doseSimpleQuantity"); ok {
		t.Error("doseSimpleQuantity is not a JSON name")
	}

	med := spectest.MustElement(t, Release, "MedicationRequest", "medicationCodeableConcept")
	if med.Min != 1 || !slices.Equal(med.Types, []string{"CodeableConcept", "Reference"}) || !slices.Equal(med.Targets, []string{"Medication"}) {
		t.Errorf("MedicationRequest.medication[x]: %+v", med)
	}
}

func TestIndex(t *testing.T) {
	p := spectest.MustType(t, Release, "Patient")
	for name, want := range map[string]int{
		"id": 0, "birthDate": 13, "_birthDate": 13, "deceasedBoolean": 14, "deceased[x]": 14,
		"multipleBirthInteger": 17, "link": 24, "_gender": 12, "_name": -1, "_contact": -1,
		"nope": -1, "resourceType": -1, "deceasedString": -1,
	} {
		if got := p.Index(name); got != want {
			t.Errorf("Index(%q) = %d, want %d", name, got, want)
		}
	}
	if Lookup("nope").Index("id") != -1 {
		t.Error("Index on a nil type")
	}
	if _, _, ok := Lookup("nope").Element("id"); ok {
		t.Error("Element on a nil type")
	}
	// Sorting JSON names by Index gives FHIR order.
	keys := []string{"link", "_birthDate", "gender", "deceasedDateTime", "birthDate", "name", "identifier", "id"}
	sort.SliceStable(keys, func(i, j int) bool { return p.Index(keys[i]) < p.Index(keys[j]) })
	if got := strings.Join(keys, ","); got != "id,identifier,name,gender,_birthDate,birthDate,deceasedDateTime,link" {
		t.Errorf("sorted: %s", got)
	}
	// A type built by the caller works too.
	own := &Type{Name: "X", Kind: Complex, Elements: []Element{{Name: "a", Max: "1", Types: []string{"string"}}, {Name: "b[x]", Max: "1", Types: []string{"string", "Quantity"}}}}
	if own.Index("bQuantity") != 1 || own.Index("a") != 0 {
		t.Error("Index on a caller's type")
	}
}

// Every search parameter of every resource type names elements of the
// table along each path, with types its search type can search; a filter
// is on a ContactPoint's system; a Target names resource types its
// elements may point to, and leaves some out. The few parameters where
// the specification itself searches an element of a type the search type
// does not fit are listed, so that no new one goes unseen.
func TestSearchParameterPaths(t *testing.T) {
	fits := map[string][]string{
		"string":    {"string", "markdown", "HumanName", "Address"},
		"token":     {"code", "Coding", "CodeableConcept", "Identifier", "ContactPoint", "boolean", "string", "uri", "id"},
		"reference": {"Reference", "uri"},
		"date":      {"date", "dateTime", "instant", "Period", "Timing"},
		"number":    {"decimal", "integer", "positiveInt", "unsignedInt"},
		"quantity":  {"Quantity", "SimpleQuantity", "Age", "Duration", "Money", "Count", "Distance"},
		"uri":       {"uri", "oid"},
	}
	// The specification's own misfits: parameter → element type.
	misfits := map[string]string{
		"CarePlan.activity-date":     "string", // scheduled[x]
		"Condition.abatement-age":    "Range",  // abatement.as(Range)
		"Condition.onset-age":        "Range",  // onset.as(Range)
		"Consent.source":             "Attachment Identifier",
		"Device.udi-carrier":         "base64Binary", // udi.carrierAIDC
		"Encounter.length":           "Duration",     // a number on a Duration
		"Group.value":                "Quantity Range",
		"Location.near":              "Location.position",
		"Location.near-distance":     "Location.position",
		"RiskAssessment.probability": "Range",
	}
	n := spectest.CheckSearchPaths(t, Release, searchParameters, fits, misfits, nil)
	if len(searchParameters) != len(Resources())-2 {
		t.Errorf("search parameters of %d resource types", len(searchParameters))
	}
	for _, r := range []string{"OperationOutcome", "Parameters"} {
		if len(searchParameters[r]) > 0 {
			t.Errorf("%s has search parameters", r)
		}
	}
	if n < 1300 {
		t.Errorf("only %d paths", n)
	}
}

// The elements of the hand-written table (testdata/elements.json, see
// spectest.CheckElementTable) are as the STU3 definitions say: codes of
// required bindings, cardinality and types (an element that reuses a
// backbone element defined earlier, by contentReference, names its type),
// reference targets and summary flags (a choice element has it under its
// [x] name; every resource's id and meta have it).
func TestElementTable(t *testing.T) { spectest.CheckElementTable(t, Release, "testdata/elements.json") }
