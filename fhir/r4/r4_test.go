package r4

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/internal/spectest"
)

// The expectations of these tests are written from the R4 (4.0.1)
// specification (its resource pages, data types page and registries),
// independently of the generator, which reads google/fhir's protos.

const domainHead = "id,meta,implicitRules,language,text,contained,extension,modifierExtension,"

// The types of testdata/elements.json have their elements in order (see
// TestElementTable); a long one begins as the specification does.
func TestElementOrder(t *testing.T) {
	cs := spectest.Names(spectest.MustType(t, Release, "CapabilityStatement"))
	if !strings.HasPrefix(cs, domainHead+"url,version,name,title,status,experimental,date,publisher,contact,description,useContext,jurisdiction,purpose,copyright,kind,instantiates,imports,software,implementation,fhirVersion,format,patchFormat,implementationGuide,rest,messaging,document") {
		t.Errorf("CapabilityStatement: %s", cs)
	}
}

// The resource types of R4 (4.0.1): the concrete ones of the
// specification's resource-types code system.
var r4Resources = strings.Fields(`Account ActivityDefinition AdverseEvent
AllergyIntolerance Appointment AppointmentResponse AuditEvent Basic Binary
BiologicallyDerivedProduct BodyStructure Bundle CapabilityStatement CarePlan
CareTeam CatalogEntry ChargeItem ChargeItemDefinition Claim ClaimResponse
ClinicalImpression CodeSystem Communication CommunicationRequest
CompartmentDefinition Composition ConceptMap Condition Consent Contract
Coverage CoverageEligibilityRequest CoverageEligibilityResponse DetectedIssue
Device DeviceDefinition DeviceMetric DeviceRequest DeviceUseStatement
DiagnosticReport DocumentManifest DocumentReference EffectEvidenceSynthesis
Encounter Endpoint EnrollmentRequest EnrollmentResponse EpisodeOfCare
EventDefinition Evidence EvidenceVariable ExampleScenario
ExplanationOfBenefit FamilyMemberHistory Flag Goal GraphDefinition Group
GuidanceResponse HealthcareService ImagingStudy Immunization
ImmunizationEvaluation ImmunizationRecommendation ImplementationGuide
InsurancePlan Invoice Library Linkage List Location Measure MeasureReport
Media Medication MedicationAdministration MedicationDispense
MedicationKnowledge MedicationRequest MedicationStatement MedicinalProduct
MedicinalProductAuthorization MedicinalProductContraindication
MedicinalProductIndication MedicinalProductIngredient
MedicinalProductInteraction MedicinalProductManufactured
MedicinalProductPackaged MedicinalProductPharmaceutical
MedicinalProductUndesirableEffect MessageDefinition MessageHeader
MolecularSequence NamingSystem NutritionOrder Observation
ObservationDefinition OperationDefinition OperationOutcome Organization
OrganizationAffiliation Parameters Patient PaymentNotice
PaymentReconciliation Person PlanDefinition Practitioner PractitionerRole
Procedure Provenance Questionnaire QuestionnaireResponse RelatedPerson
RequestGroup ResearchDefinition ResearchElementDefinition ResearchStudy
ResearchSubject RiskAssessment RiskEvidenceSynthesis Schedule
SearchParameter ServiceRequest Slot Specimen SpecimenDefinition
StructureDefinition StructureMap Subscription Substance SubstanceNucleicAcid
SubstancePolymer SubstanceProtein SubstanceReferenceInformation
SubstanceSourceMaterial SubstanceSpecification SupplyDelivery SupplyRequest
Task TerminologyCapabilities TestReport TestScript ValueSet
VerificationResult VisionPrescription`)

func TestResources(t *testing.T) {
	if len(r4Resources) != 146 {
		t.Fatalf("the test's list has %d", len(r4Resources))
	}
	// Gone in R4, abstract, or not resources.
	spectest.CheckResources(t, Release, r4Resources, []string{"Resource", "DomainResource", "Element", "BackboneElement", "HumanName", "Patient.contact", "string",
		"ProcedureRequest", "ReferralRequest", "BodySite", "DataElement", "ImagingManifest", "Sequence", "ServiceDefinition", "ExpansionProfile", "patient", ""})
	if Release.Version() != "4.0.1" {
		t.Errorf("version %s", Release.Version())
	}
}

func TestKinds(t *testing.T) {
	prim := "base64Binary boolean canonical code date dateTime decimal id instant integer markdown oid positiveInt string time unsignedInt uri url uuid xhtml"
	complex := "Address Age Annotation Attachment CodeableConcept Coding ContactDetail ContactPoint Contributor Count DataRequirement Distance Dosage Duration ElementDefinition Expression Extension HumanName Identifier MarketingStatus Meta Money MoneyQuantity Narrative ParameterDefinition Period Population ProdCharacteristic ProductShelfLife Quantity Range Ratio Reference RelatedArtifact SampledData Signature SimpleQuantity SubstanceAmount Timing TriggerDefinition UsageContext"
	spectest.CheckKinds(t, Release, len(table), prim, complex, map[string]Kind{"Patient": Resource, "HumanName": Complex, "canonical": Primitive, "Patient.contact": Backbone, "Bundle.entry.search": Backbone, "Timing.repeat": Backbone, "Dosage.doseAndRate": Backbone})
}

// Every type an element names is in the table, every target is a
// resource, and every JSON name of a type is unique.
func TestConsistency(t *testing.T) { spectest.CheckConsistency(t, Release) }

func TestChoice(t *testing.T) {
	v := spectest.MustElement(t, Release, "Observation", "valueQuantity")
	if want := "Quantity,CodeableConcept,string,boolean,integer,Range,Ratio,SampledData,time,dateTime,Period"; strings.Join(v.Types, ",") != want || v.Name != "value[x]" {
		t.Errorf("Observation.value[x]: %+v, want types %s", v, want)
	}
	if _, _, ok := spectest.MustType(t, Release, "Observation").Element("valueAttachment"); ok {
		t.Error("R4 Observation has a valueAttachment")
	}
	occ := spectest.MustElement(t, Release, "Immunization", "occurrenceDateTime")
	if occ.Min != 1 || strings.Join(occ.Types, ",") != "dateTime,string" {
		t.Errorf("Immunization.occurrence[x]: %+v", occ)
	}
	allowed := spectest.MustElement(t, Release, "MedicationRequest.substitution", "allowedBoolean")
	if allowed.Min != 1 || strings.Join(allowed.Types, ",") != "boolean,CodeableConcept" {
		t.Errorf("MedicationRequest.substitution.allowed[x]: %+v", allowed)
	}

	ext := spectest.MustElement(t, Release, "Extension", "value[x]")
	want := strings.Fields(`base64Binary boolean canonical code date dateTime decimal id instant integer
		markdown oid positiveInt string time unsignedInt uri url uuid Address Age Annotation Attachment
		CodeableConcept Coding ContactPoint Count Distance Duration HumanName Identifier Money Period
		Quantity Range Ratio Reference SampledData Signature Timing ContactDetail Contributor
		DataRequirement Expression ParameterDefinition RelatedArtifact TriggerDefinition UsageContext
		Dosage Meta`)
	if !slices.Equal(ext.Types, want) {
		t.Errorf("Extension.value[x] has %d types:\n got %v\nwant %v", len(ext.Types), ext.Types, want)
	}
	if !slices.Equal(ext.Targets, []string{"Resource"}) {
		t.Errorf("Extension.valueReference targets %v", ext.Targets)
	}
	for _, n := range []string{"valueMeta", "valueCanonical", "valueUrl", "valueCodeableConcept"} {
		if _, _, ok := spectest.MustType(t, Release, "Extension").Element(n); !ok {
			t.Errorf("Extension has no %s", n)
		}
	}

	// SimpleQuantity is a profile of Quantity: doseQuantity in JSON.
	d := spectest.MustType(t, Release, "Dosage.doseAndRate")
	if el, typ, ok := d.Element("doseQuantity"); !ok || typ != "SimpleQuantity" || el.Name != "dose[x]" {
		t.Errorf("doseQuantity: %v %q %v", el, typ, ok)
	}
	if _, _, ok := spectest.MustType(t, Release, "Dosage").Element("doseQuantity"); ok {
		t.Error("R4 Dosage has a dose[x] of its own")
	}

	med := spectest.MustElement(t, Release, "MedicationStatement", "medicationCodeableConcept")
	if med.Min != 1 || !slices.Equal(med.Types, []string{"CodeableConcept", "Reference"}) || !slices.Equal(med.Targets, []string{"Medication"}) {
		t.Errorf("MedicationStatement.medication[x]: %+v", med)
	}
}

func TestCodes(t *testing.T) {
	if codes := spectest.MustElement(t, Release, "CapabilityStatement", "fhirVersion").Codes; !slices.Contains(codes, "4.0.1") || !slices.Contains(codes, "3.0.1") {
		t.Errorf("CapabilityStatement.fhirVersion codes %v", codes)
	}
	when := spectest.MustElement(t, Release, "Timing.repeat", "when").Codes
	for _, c := range []string{"MORN", "MORN.early", "NOON", "AFT", "EVE", "NIGHT", "PHS", "HS", "WAKE", "C", "CM", "CD", "CV", "AC", "ACM", "ACD", "ACV", "PC", "PCM", "PCD", "PCV"} {
		if !slices.Contains(when, c) {
			t.Errorf("Timing.repeat.when lacks %s: %v", c, when)
		}
	}
	// The statuses that became CodeableConcepts in R4.
	for _, c := range [][2]string{{"AllergyIntolerance", "clinicalStatus"}, {"AllergyIntolerance", "verificationStatus"}, {"Condition", "clinicalStatus"}, {"Condition", "verificationStatus"}} {
		if el := spectest.MustElement(t, Release, c[0], c[1]); el.Codes != nil || !slices.Equal(el.Types, []string{"CodeableConcept"}) {
			t.Errorf("%s.%s: %+v", c[0], c[1], el)
		}
	}
}

// Elements of STU3 that R4 no longer has.
func TestGoneInR4(t *testing.T) {
	for _, c := range [][2]string{
		{"Patient", "animal"}, {"MedicationStatement", "taken"}, {"Immunization", "notGiven"}, {"Immunization", "date"},
		{"Immunization", "practitioner"}, {"Procedure", "notDone"}, {"Condition", "assertedDate"}, {"Observation", "context"},
		{"CapabilityStatement", "acceptUnknown"}, {"CapabilityStatement", "profile"}, {"AllergyIntolerance", "assertedDate"},
	} {
		if _, _, ok := spectest.MustType(t, Release, c[0]).Element(c[1]); ok {
			t.Errorf("R4 %s has %s", c[0], c[1])
		}
	}
}

func TestIndex(t *testing.T) {
	p := spectest.MustType(t, Release, "Patient")
	for name, want := range map[string]int{
		"id": 0, "birthDate": 13, "_birthDate": 13, "deceasedBoolean": 14, "deceased[x]": 14,
		"multipleBirthInteger": 17, "link": 23, "_gender": 12, "_name": -1, "_contact": -1,
		"nope": -1, "resourceType": -1, "deceasedString": -1, "animal": -1,
	} {
		if got := p.Index(name); got != want {
			t.Errorf("Index(%q) = %d, want %d", name, got, want)
		}
	}
	keys := []string{"link", "_birthDate", "gender", "deceasedDateTime", "birthDate", "name", "identifier", "id"}
	sort.SliceStable(keys, func(i, j int) bool { return p.Index(keys[i]) < p.Index(keys[j]) })
	if got := strings.Join(keys, ","); got != "id,identifier,name,gender,_birthDate,birthDate,deceasedDateTime,link" {
		t.Errorf("sorted: %s", got)
	}
}

// The elements of the hand-written table (testdata/elements.json, see
// spectest.CheckElementTable) are as the R4 definitions say: codes of
// required bindings, cardinality and types (an element that reuses a
// backbone element defined earlier, by contentReference, names its type),
// reference targets and summary flags (a choice element has it under its
// [x] name; every resource's id and meta have it).
func TestElementTable(t *testing.T) { spectest.CheckElementTable(t, Release, "testdata/elements.json") }

// The compartments of R4 (its CompartmentDefinitions): the five types,
// the resource types the facade serves that belong to a patient's, with
// the parameters that put them there, and those that do not; the
// compartment's own resource by its id ({def}) (testdata/search.json).
func TestCompartments(t *testing.T) {
	if got := CompartmentTypes(); !slices.Equal(got, []string{"Device", "Encounter", "Patient", "Practitioner", "RelatedPerson"}) {
		t.Errorf("compartment types: %v", got)
	}
	spectest.CheckSearchTable(t, Release, "testdata/search.json")
	if got := len(compartments["Patient"]); got != 66 {
		t.Errorf("%d resource types in the patient compartment", got)
	}
	// Every parameter is one of the type's search parameters: R4 names no
	// chains.
	for comp, members := range compartments {
		for res, params := range members {
			for _, p := range params {
				if _, ok := LookupSearchParameter(res, p); !ok && p != "{def}" {
					t.Errorf("%s in %s: %s is not a search parameter", res, comp, p)
				}
			}
		}
	}
}
