package mapping

// The STU3 → R4 rules, as data: what becomes of a Care Connect (STU3)
// mapping's profile, elements, extensions, code systems and search
// parameters when the same mapping is served as UK Core (FHIR R4 4.0.1,
// UK Core 2.0.2). They are applied once, when a mapping loads (r4.go),
// never per row; the tests hold every element and parameter they name to
// the R4 table (fhir/r4). Sources: the FHIR 3.0.1 and 4.0.1
// specifications and UK Core 2.0.2 (the digest this project works from
// lists each difference with its source). A mapping decides what the
// rules leave open in its r4 section (docs/mapping.md, "Serving R4").

// ukCoreProfiles are the UK Core 2.0.2 profiles of the types a mapping
// may serve, with the type each constrains. The first of a type is its
// default: the profile an R4 resource claims unless its mapping's r4
// section names another of its type.
var ukCoreProfiles = []struct{ URL, Type string }{
	{ukCore + "UKCore-AllergyIntolerance", "AllergyIntolerance"},
	{ukCore + "UKCore-Condition", "Condition"},
	{ukCore + "UKCore-Encounter", "Encounter"},
	{ukCore + "UKCore-Immunization", "Immunization"},
	{ukCore + "UKCore-Location", "Location"},
	{ukCore + "UKCore-Medication", "Medication"},
	{ukCore + "UKCore-MedicationAdministration", "MedicationAdministration"},
	{ukCore + "UKCore-MedicationDispense", "MedicationDispense"},
	{ukCore + "UKCore-MedicationRequest", "MedicationRequest"},
	{ukCore + "UKCore-MedicationStatement", "MedicationStatement"},
	{ukCore + "UKCore-Observation", "Observation"},
	{ukCore + "UKCore-Observation-Lab", "Observation"},
	{ukCore + "UKCore-Observation-Group-Lab", "Observation"},
	{ukCore + "UKCore-Organization", "Organization"},
	{ukCore + "UKCore-Patient", "Patient"},
	{ukCore + "UKCore-Practitioner", "Practitioner"},
	{ukCore + "UKCore-PractitionerRole", "PractitionerRole"},
	{ukCore + "UKCore-Procedure", "Procedure"},
}

const (
	ukCore    = "https://fhir.hl7.org.uk/StructureDefinition/"
	ukCoreCS  = "https://fhir.hl7.org.uk/CodeSystem/"
	ccExt     = "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-"
	ccCS      = "https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-"
	hl7CS     = "http://terminology.hl7.org/CodeSystem/"
	coreExt   = "http://hl7.org/fhir/StructureDefinition/"
	careConn  = "https://fhir.hl7.org.uk/STU3/" // every Care Connect definition's URL starts so
	stu3Hl7V3 = "http://hl7.org/fhir/v3/"
	stu3Hl7V2 = "http://hl7.org/fhir/v2/"
)

// systemRule moves the codes of an STU3 code system to the system R4 or
// UK Core has for them. With Codes, only those codes move there (a Care
// Connect system whose codes UK Core splits between two systems, or of
// which it kept only some); a code of no rule keeps its system.
type systemRule struct {
	STU3, R4 string
	Codes    []string
}

// r4Systems are the code systems whose URI differs in R4: HL7's own
// moved to terminology.hl7.org, Care Connect's to UK Core's.
var r4Systems = []systemRule{
	{stu3Hl7V3 + "MaritalStatus", hl7CS + "v3-MaritalStatus", nil},
	{stu3Hl7V3 + "NullFlavor", hl7CS + "v3-NullFlavor", nil},
	{stu3Hl7V3 + "ActCode", hl7CS + "v3-ActCode", nil},
	{stu3Hl7V3 + "ObservationValue", hl7CS + "v3-ObservationValue", nil},
	{stu3Hl7V3 + "Confidentiality", hl7CS + "v3-Confidentiality", nil},
	{stu3Hl7V3 + "ActReason", hl7CS + "v3-ActReason", nil},
	{stu3Hl7V2 + "0203", hl7CS + "v2-0203", nil},
	{stu3Hl7V2 + "0131", hl7CS + "v2-0131", nil},
	{"http://hl7.org/fhir/organization-type", hl7CS + "organization-type", nil},
	{"http://hl7.org/fhir/observation-category", hl7CS + "observation-category", nil},
	{"http://hl7.org/fhir/allergy-clinical-status", hl7CS + "allergyintolerance-clinical", nil},
	{"http://hl7.org/fhir/allergy-verification-status", hl7CS + "allergyintolerance-verification", nil},
	{"http://hl7.org/fhir/condition-clinical", hl7CS + "condition-clinical", nil},
	{"http://hl7.org/fhir/condition-ver-status", hl7CS + "condition-ver-status", nil},
	{"http://hl7.org/fhir/condition-category", hl7CS + "condition-category", nil},
	{ccCS + "NHSNumberVerificationStatus-1", ukCoreCS + "UKCore-NHSNumberVerificationStatusEngland", nil},
	// Care Connect's 68 ethnic categories hold two-letter sub-codes that
	// UK Core does not: those keep the Care Connect system.
	{ccCS + "EthnicCategory-1", ukCoreCS + "UKCore-EthnicCategoryEngland",
		[]string{"A", "B", "C", "D", "E", "F", "G", "H", "J", "K", "L", "M", "N", "P", "R", "S", "Z", "99"}},
	{ccCS + "ResidentialStatus-1", ukCoreCS + "UKCore-ResidentialStatus", nil},
	{ccCS + "DeathNotificationStatus-1", ukCoreCS + "UKCore-DeathNotificationStatus", nil},
	{ccCS + "ConditionCategory-1", hl7CS + "condition-category", []string{"problem-list-item", "encounter-diagnosis"}},
	{ccCS + "ConditionCategory-1", ukCoreCS + "UKCore-ConditionCategory", []string{"presenting-complaint", "co-morbidity"}},
	{ccCS + "ConditionEpisodicity-1", ukCoreCS + "UKCore-ConditionEpisodicity", nil},
	{ccCS + "AdmissionMethod-1", ukCoreCS + "UKCore-AdmissionMethodEngland", nil},
	{ccCS + "DischargeDestination-1", ukCoreCS + "UKCore-DischargeDestinationEngland", nil},
	{ccCS + "SourceOfAdmission-1", ukCoreCS + "UKCore-SourceOfAdmissionEngland", nil},
	{ccCS + "OutcomeOfAttendance-1", ukCoreCS + "UKCore-OutcomeOfAttendanceEngland", nil},
	{ccCS + "NHSDataDictionary-PersonMaritalStatus-1", ukCoreCS + "UKCore-PersonMaritalStatusEngland", nil},
}

// extensionRule says what an STU3 extension becomes in R4: the extension
// of UK Core (or R4) of URL R4, the R4 element Element on the object that
// holds it (its value becomes the element's), or nothing (Drop: UK Core
// 2.0.2 has none; a mapping that has the data states it in its r4
// section). With Up, the R4 extension sits on the object that holds the
// STU3 extension's holder (UK Core moved it one level up). With Element
// and Sub, the extension is complex: the value of its part Sub becomes
// the element, and its other parts have no R4 home. With On, the R4
// extension sits on the holder's element of that name (UK Core moved it
// onto the element). With Parts, the extension is complex and each part
// goes where its rule says; a part of no rule keeps the mapping from
// being served as R4 (R4 "": no R4 extension holds the parts that stay).
type extensionRule struct {
	STU3, R4 string
	Element  string
	Sub      string
	On       string
	Drop     bool
	Up       bool
	Parts    map[string]partRule
}

// partRule says where one part (a sub-extension, by its url) of a
// complex STU3 extension goes in R4: a part of the R4 extension, renamed
// To (or keeping its name); an extension of its own, of URL Ext, on the
// same holder; or the holder's element Element (a dotted path below it,
// made where the mapping does not build it). Type is the R4 type of its
// value where R4 changed it.
type partRule struct {
	To, Type, Ext, Element string
}

// r4Extensions are the rules of the extensions that differ in R4. An
// extension of no rule is kept as it is, unless it is a Care Connect one
// (its URL starts with https://fhir.hl7.org.uk/STU3/): those all changed,
// so one with no rule keeps its mapping from being served as R4 until the
// mapping's r4 section says what it becomes.
var r4Extensions = []extensionRule{
	{STU3: ccExt + "NHSNumberVerificationStatus-1", R4: ukCore + "Extension-UKCore-NHSNumberVerificationStatus"},
	{STU3: ccExt + "EthnicCategory-1", R4: ukCore + "Extension-UKCore-EthnicCategory"},
	{STU3: ccExt + "ResidentialStatus-1", R4: ukCore + "Extension-UKCore-ResidentialStatus"},
	{STU3: ccExt + "DeathNotificationStatus-1", R4: ukCore + "Extension-UKCore-DeathNotificationStatus"},
	{STU3: ccExt + "Evidence-1", R4: ukCore + "Extension-UKCore-Evidence"},
	{STU3: ccExt + "ConditionEpisode-1", R4: ukCore + "Extension-UKCore-ConditionEpisode"},
	{STU3: ccExt + "AdmissionMethod-1", R4: ukCore + "Extension-UKCore-AdmissionMethod"},
	{STU3: ccExt + "EmergencyCareDischargeStatus-1", R4: ukCore + "Extension-UKCore-EmergencyCareDischargeStatus"},
	{STU3: ccExt + "OutcomeOfAttendance-1", R4: ukCore + "Extension-UKCore-OutcomeOfAttendance"},
	{STU3: ccExt + "MedicationStatementLastIssueDate-1", R4: ukCore + "Extension-UKCore-MedicationStatementLastIssueDate"},
	{STU3: ccExt + "ParentPresent-1", R4: ukCore + "Extension-UKCore-ParentPresent"},
	{STU3: ccExt + "VaccinationProcedure-1", R4: ukCore + "Extension-UKCore-VaccinationProcedure"},
	{STU3: ccExt + "MainLocation-1", R4: ukCore + "Extension-UKCore-MainLocation"},
	{STU3: ccExt + "AllergyIntoleranceEnd-1", R4: ukCore + "Extension-UKCore-AllergyIntoleranceEnd", On: "clinicalStatus"},
	{STU3: ccExt + "DischargeMethod-1", R4: ukCore + "Extension-UKCore-DischargeMethod", Up: true}, // Encounter.hospitalization → Encounter
	{STU3: coreExt + "birthPlace", R4: coreExt + "patient-birthPlace"},
	// The repeats allowed became an element of the prescription; the
	// repeats issued a part renamed, of another type.
	{STU3: ccExt + "MedicationRepeatInformation-1", R4: ukCore + "Extension-UKCore-MedicationRepeatInformation", Parts: map[string]partRule{
		"numberOfRepeatPrescriptionsAllowed": {Element: "dispenseRequest.numberOfRepeatsAllowed", Type: "unsignedInt"},
		"numberOfRepeatPrescriptionsIssued":  {To: "numberOfPrescriptionsIssued", Type: "unsignedInt"},
		"authorisationExpiryDate":            {},
	}},
	// The SNOMED description of a Coding: two simple extensions, R4's own
	// for the id and UK Core's for the text.
	{STU3: "https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-coding-sctdescid", Parts: map[string]partRule{
		"descriptionId":      {Ext: coreExt + "coding-sctdescid"},
		"descriptionDisplay": {Ext: ukCore + "Extension-UKCore-CodingSCTDescDisplay"},
	}},
	{STU3: coreExt + "encounter-associatedEncounter", Element: "encounter"},
	{STU3: ccExt + "DateRecorded-1", Element: "recorded"},
	// The value of its statusReason part; its change date has no home.
	{STU3: ccExt + "MedicationStatusReason-1", Element: "statusReason", Sub: "statusReason"},
	{STU3: ccExt + "PrescriptionType-1", Drop: true}, // R4 MedicationRequest.courseOfTherapyType says it (r4 section)
	{STU3: ccExt + "ReligiousAffiliation-1", Drop: true},
	{STU3: ccExt + "TreatmentCategory-1", Drop: true},
	{STU3: ccExt + "NominatedPharmacy-1", Drop: true},
	{STU3: ccExt + "RegistrationDetails-1", Drop: true},
	{STU3: ccExt + "EncounterTransport-1", Drop: true},
	{STU3: ccExt + "NHSCommunication-1", Drop: true}, // R4 Patient.communication says it (r4 section)
	{STU3: ccExt + "MedicationQuantityText-1", Drop: true},
	{STU3: ccExt + "MedicationChangeSummary-1", Drop: true},
	{STU3: ccExt + "AnaestheticIssues-1", Drop: true},
	{STU3: ccExt + "ReasonCondition-1", Drop: true},
}

// elementRule says what an STU3 element becomes in R4. Key is the STU3
// type and the element's JSON name: "Condition.assertedDate",
// "MedicationRequest.requester.agent" (an element of a backbone type),
// "Dosage.doseQuantity" (of a data type, wherever it is used).
type elementRule struct {
	Key string
	// To renames it.
	To string
	// Drop leaves it out; DropFixed leaves it out when it is that fixed
	// value (which R4 says otherwise), and any other value of it is a
	// problem the mapping's r4 section must settle.
	Drop      bool
	DropFixed any
	// Hoist replaces the element by its one child of this name: the
	// STU3 requester's agent is R4's requester.
	Hoist string
	// System makes a code a CodeableConcept of one Coding of this system.
	System string
	// Codes translates code values: an STU3 code to its R4 code; a code
	// mapped to "" has no R4 code and is left out. Codes not listed stay.
	Codes map[string]string
	// Into wraps the value into the element Into of a new object, put at
	// To: Observation.comment becomes note[{text}]. Two rules into the
	// same To of one object fill one object.
	Into string
	// Spread moves each child of an STU3 backbone element to an R4
	// element of the object that holds it (child name → R4 name); a child
	// of no entry has no R4 home. A list the R4 element does not repeat
	// must be of one item.
	Spread map[string]string
	// Single makes a list of one item (an STU3 element that repeats) the
	// R4 element To, which holds one value.
	Single bool
	// ByType splits a list of STU3 links by their fixed type (the child
	// "type"): each becomes its child "target", in the R4 element of its
	// type (type → R4 name); a type of no entry has no R4 home.
	ByType map[string]string
}

// r4Elements are the rules of the elements that differ in R4 (removed,
// renamed, retyped, moved, or with codes that differ). An element of no
// rule is kept as it is; one that R4 does not have keeps its mapping from
// being served as R4 (the check names it).
var r4Elements = []elementRule{
	{Key: "Patient.animal", Drop: true},
	{Key: "AllergyIntolerance.assertedDate", To: "recordedDate"},
	{Key: "AllergyIntolerance.clinicalStatus", System: hl7CS + "allergyintolerance-clinical"},
	{Key: "AllergyIntolerance.verificationStatus", System: hl7CS + "allergyintolerance-verification"},
	{Key: "Condition.clinicalStatus", System: hl7CS + "condition-clinical"},
	// STU3 unknown has no R4 code.
	{Key: "Condition.verificationStatus", System: hl7CS + "condition-ver-status", Codes: map[string]string{"unknown": ""}},
	{Key: "Condition.context", To: "encounter"},
	// The date the record was made (UK Core's examples); a true
	// assertion date goes into R4's condition-assertedDate extension
	// through the r4 section.
	{Key: "Condition.assertedDate", To: "recordedDate"},
	{Key: "Condition.abatementBoolean", Drop: true}, // said by clinicalStatus
	{Key: "Observation.context", To: "encounter"},
	{Key: "Observation.comment", To: "note", Into: "text"},
	{Key: "Procedure.context", To: "encounter"},
	{Key: "Procedure.notDone", DropFixed: false},
	{Key: "Procedure.status", Codes: map[string]string{"aborted": "stopped", "suspended": "on-hold"}},
	{Key: "Procedure.performer.role", To: "function"},
	{Key: "Encounter.reason", To: "reasonCode"},
	{Key: "Encounter.incomingReferral", To: "basedOn"}, // its ReferralRequests are ServiceRequests
	{Key: "Encounter.diagnosis.role", To: "use"},
	{Key: "MedicationRequest.context", To: "encounter"},
	{Key: "MedicationRequest.requester", Hoist: "agent"},
	{Key: "MedicationRequest.substitution.allowed", To: "allowedBoolean"},
	{Key: "MedicationStatement.taken", DropFixed: "y"}, // taken: the status says it
	{Key: "MedicationStatement.reasonNotTaken", To: "statusReason"},
	{Key: "Medication.ingredient.amount", To: "strength"},
	{Key: "Immunization.notGiven", DropFixed: false},
	{Key: "Immunization.date", To: "occurrenceDateTime"},
	{Key: "Immunization.practitioner", To: "performer"},
	{Key: "Immunization.practitioner.role", To: "function"},
	// The dose status has no R4 home: a mapping omits it in its r4 section.
	{Key: "Immunization.vaccinationProtocol", To: "protocolApplied"},
	{Key: "Immunization.vaccinationProtocol.doseSequence", To: "doseNumberPositiveInt"},
	{Key: "Immunization.vaccinationProtocol.seriesDoses", To: "seriesDosesPositiveInt"},
	{Key: "Immunization.explanation", Spread: map[string]string{"reason": "reasonCode", "reasonNotGiven": "statusReason"}},
	{Key: "Observation.related", ByType: map[string]string{"has-member": "hasMember", "derived-from": "derivedFrom"}},
	// ReferralRequest and ProcedureRequest became ServiceRequest
	// (r4Types).
	{Key: "ReferralRequest.serviceRequested", To: "code", Single: true},
	{Key: "ReferralRequest.context", To: "encounter"},
	{Key: "ReferralRequest.requester", Hoist: "agent"},
	{Key: "ReferralRequest.recipient", To: "performer"},
	{Key: "ReferralRequest.description", To: "note", Into: "text"},
	{Key: "ReferralRequest.status", Codes: map[string]string{"suspended": "on-hold", "cancelled": "revoked"}},
	{Key: "ProcedureRequest.context", To: "encounter"},
	{Key: "ProcedureRequest.requester", Hoist: "agent"},
	{Key: "ProcedureRequest.status", Codes: map[string]string{"suspended": "on-hold", "cancelled": "revoked"}},
	{Key: "Dosage.doseQuantity", To: "doseAndRate", Into: "doseQuantity"},
	{Key: "Dosage.doseRange", To: "doseAndRate", Into: "doseRange"},
	{Key: "Dosage.rateRatio", To: "doseAndRate", Into: "rateRatio"},
	{Key: "Dosage.rateRange", To: "doseAndRate", Into: "rateRange"},
	{Key: "Dosage.rateQuantity", To: "doseAndRate", Into: "rateQuantity"},
}

// paramRule renames an STU3 search parameter in R4. With Element, it
// holds only when the R4 form of the mapping has that element (the one
// the R4 parameter searches).
type paramRule struct {
	Resource, STU3, R4 string
	Element            string
}

// r4Params are the search parameters whose name differs in R4. A
// parameter of no rule keeps its name; one that the STU3 specification
// defines and R4 does not (or with another type) is not offered on R4.
var r4Params = []paramRule{
	{"Condition", "asserted-date", "recorded-date", "recordedDate"},
	{"Condition", "context", "encounter", "encounter"},
	{"Observation", "context", "encounter", "encounter"},
	{"Procedure", "context", "encounter", "encounter"},
	{"MedicationRequest", "context", "encounter", "encounter"},
	{"Immunization", "practitioner", "performer", "performer"},
	{"ReferralRequest", "authored-on", "authored", ""},
	{"ReferralRequest", "context", "encounter", "encounter"},
	{"ProcedureRequest", "context", "encounter", "encounter"},
}

// r4Types are the STU3 types R4 replaced: a mapping of one is served on
// R4 as the type that replaced it, through its element rules.
var r4Types = map[string]string{
	"ReferralRequest":  "ServiceRequest",
	"ProcedureRequest": "ServiceRequest",
}

// r4TypeOf is the R4 type of an STU3 type: its own, or the one that
// replaced it.
func r4TypeOf(stu3Type string) string {
	if t, ok := r4Types[stu3Type]; ok {
		return t
	}
	return stu3Type
}
