package fhir

// patientCompartment lists the resource types of STU3's Patient
// compartment (CompartmentDefinition/patient, FHIR 3.0.1): the resources
// that can hold one patient's data.
var patientCompartment = map[string]bool{
	"Account": true, "AdverseEvent": true, "AllergyIntolerance": true, "Appointment": true,
	"AppointmentResponse": true, "AuditEvent": true, "Basic": true, "BodySite": true,
	"CarePlan": true, "CareTeam": true, "ChargeItem": true, "Claim": true, "ClaimResponse": true,
	"ClinicalImpression": true, "Communication": true, "CommunicationRequest": true,
	"Composition": true, "Condition": true, "Consent": true, "Coverage": true,
	"DetectedIssue": true, "DeviceRequest": true, "DeviceUseStatement": true,
	"DiagnosticReport": true, "DocumentManifest": true, "DocumentReference": true,
	"EligibilityRequest": true, "Encounter": true, "EnrollmentRequest": true,
	"EpisodeOfCare": true, "ExplanationOfBenefit": true, "FamilyMemberHistory": true,
	"Flag": true, "Goal": true, "Group": true, "ImagingManifest": true, "ImagingStudy": true,
	"Immunization": true, "ImmunizationRecommendation": true, "List": true,
	"MeasureReport": true, "Media": true, "MedicationAdministration": true,
	"MedicationDispense": true, "MedicationRequest": true, "MedicationStatement": true,
	"NutritionOrder": true, "Observation": true, "Patient": true, "Person": true,
	"Procedure": true, "ProcedureRequest": true, "Provenance": true,
	"QuestionnaireResponse": true, "ReferralRequest": true, "RelatedPerson": true,
	"RequestGroup": true, "ResearchSubject": true, "RiskAssessment": true, "Schedule": true,
	"Specimen": true, "SupplyDelivery": true, "SupplyRequest": true, "VisionPrescription": true,
}

// InPatientCompartment reports whether resources of a type can belong to a
// patient's compartment (and so hold that patient's data).
func InPatientCompartment(resourceType string) bool { return patientCompartment[resourceType] }
