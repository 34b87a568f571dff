package stu3

// SearchParameter is an STU3 (3.0.1) search parameter of a resource type:
// its type, the elements it searches and the id of its definition
// (http://hl7.org/fhir/SearchParameter/{ID}).
//
// Paths are relative to the resource, in JSON names: dotted steps through
// the element tree; "effective[x]" is every type of a choice element and
// "medication[Reference]" one of them; a trailing "|system=email" keeps
// only the ContactPoints of that system. Target, for a reference, limits
// it to references to those types (patient: Patient).
type SearchParameter struct {
	Name   string
	Type   string // string | token | date | reference | number | quantity | uri
	Paths  []string
	Target []string
	ID     string
}

// Definition is the canonical URL of the parameter's definition.
func (p SearchParameter) Definition() string { return "http://hl7.org/fhir/SearchParameter/" + p.ID }

func sp(name, typ, id string, paths ...string) SearchParameter {
	return SearchParameter{Name: name, Type: typ, ID: id, Paths: paths}
}

func patientOf(path, id string) SearchParameter {
	return SearchParameter{Name: "patient", Type: "reference", ID: id, Paths: []string{path}, Target: []string{"Patient"}}
}

// searchParameters are the STU3 parameters of the resource types the Care
// Connect API serves, from the specification's search parameter
// registry.
var searchParameters = map[string][]SearchParameter{
	"AllergyIntolerance": {
		patientOf("patient", "clinical-patient"),
		sp("asserter", "reference", "AllergyIntolerance-asserter", "asserter"),
		sp("category", "token", "AllergyIntolerance-category", "category"),
		sp("clinical-status", "token", "AllergyIntolerance-clinical-status", "clinicalStatus"),
		sp("code", "token", "clinical-code", "code", "reaction.substance"),
		sp("criticality", "token", "AllergyIntolerance-criticality", "criticality"),
		sp("date", "date", "clinical-date", "assertedDate"),
		sp("identifier", "token", "clinical-identifier", "identifier"),
		sp("last-date", "date", "AllergyIntolerance-last-date", "lastOccurrence"),
		sp("manifestation", "token", "AllergyIntolerance-manifestation", "reaction.manifestation"),
		sp("onset", "date", "AllergyIntolerance-onset", "reaction.onset"),
		sp("recorder", "reference", "AllergyIntolerance-recorder", "recorder"),
		sp("severity", "token", "AllergyIntolerance-severity", "reaction.severity"),
		sp("type", "token", "AllergyIntolerance-type", "type"),
		sp("verification-status", "token", "AllergyIntolerance-verification-status", "verificationStatus"),
	},
	"Condition": {
		patientOf("subject", "clinical-patient"),
		sp("abatement-date", "date", "Condition-abatement-date", "abatement[dateTime]", "abatement[Period]"),
		sp("asserted-date", "date", "Condition-asserted-date", "assertedDate"),
		sp("asserter", "reference", "Condition-asserter", "asserter"),
		sp("body-site", "token", "Condition-body-site", "bodySite"),
		sp("category", "token", "Condition-category", "category"),
		sp("clinical-status", "token", "Condition-clinical-status", "clinicalStatus"),
		sp("code", "token", "clinical-code", "code"),
		sp("context", "reference", "Condition-context", "context"),
		sp("encounter", "reference", "clinical-encounter", "context"),
		sp("identifier", "token", "clinical-identifier", "identifier"),
		sp("onset-date", "date", "Condition-onset-date", "onset[dateTime]", "onset[Period]"),
		sp("severity", "token", "Condition-severity", "severity"),
		sp("subject", "reference", "Condition-subject", "subject"),
		sp("verification-status", "token", "Condition-verification-status", "verificationStatus"),
	},
	"Encounter": {
		patientOf("subject", "clinical-patient"),
		sp("class", "token", "Encounter-class", "class"),
		sp("date", "date", "clinical-date", "period"),
		sp("episodeofcare", "reference", "Encounter-episodeofcare", "episodeOfCare"),
		sp("identifier", "token", "clinical-identifier", "identifier"),
		sp("location", "reference", "Encounter-location", "location.location"),
		sp("participant", "reference", "Encounter-participant", "participant.individual"),
		sp("participant-type", "token", "Encounter-participant-type", "participant.type"),
		sp("practitioner", "reference", "Encounter-practitioner", "participant.individual"),
		sp("reason", "token", "Encounter-reason", "reason"),
		sp("service-provider", "reference", "Encounter-service-provider", "serviceProvider"),
		sp("status", "token", "Encounter-status", "status"),
		sp("subject", "reference", "Encounter-subject", "subject"),
		sp("type", "token", "clinical-type", "type"),
	},
	"Immunization": {
		patientOf("patient", "clinical-patient"),
		sp("date", "date", "clinical-date", "date"),
		sp("identifier", "token", "clinical-identifier", "identifier"),
		sp("location", "reference", "Immunization-location", "location"),
		sp("lot-number", "string", "Immunization-lot-number", "lotNumber"),
		sp("manufacturer", "reference", "Immunization-manufacturer", "manufacturer"),
		sp("notgiven", "token", "Immunization-notgiven", "notGiven"),
		sp("practitioner", "reference", "Immunization-practitioner", "practitioner.actor"),
		sp("reason", "token", "Immunization-reason", "explanation.reason"),
		sp("reason-not-given", "token", "Immunization-reason-not-given", "explanation.reasonNotGiven"),
		sp("status", "token", "Immunization-status", "status"),
		sp("vaccine-code", "token", "Immunization-vaccine-code", "vaccineCode"),
	},
	"Location": {
		sp("address", "string", "Location-address", "address"),
		sp("address-city", "string", "Location-address-city", "address.city"),
		sp("address-country", "string", "Location-address-country", "address.country"),
		sp("address-postalcode", "string", "Location-address-postalcode", "address.postalCode"),
		sp("address-state", "string", "Location-address-state", "address.state"),
		sp("address-use", "token", "Location-address-use", "address.use"),
		sp("identifier", "token", "Location-identifier", "identifier"),
		sp("name", "string", "Location-name", "name", "alias"),
		sp("operational-status", "token", "Location-operational-status", "operationalStatus"),
		sp("organization", "reference", "Location-organization", "managingOrganization"),
		sp("partof", "reference", "Location-partof", "partOf"),
		sp("status", "token", "Location-status", "status"),
		sp("type", "token", "Location-type", "type"),
	},
	"Medication": {
		sp("code", "token", "medications-code", "code"),
		sp("form", "token", "Medication-form", "form"),
		sp("ingredient", "reference", "Medication-ingredient", "ingredient.item[Reference]"),
		sp("ingredient-code", "token", "Medication-ingredient-code", "ingredient.item[CodeableConcept]"),
		sp("manufacturer", "reference", "Medication-manufacturer", "manufacturer"),
		sp("over-the-counter", "token", "Medication-over-the-counter", "isOverTheCounter"),
		sp("status", "token", "Medication-status", "status"),
	},
	"MedicationRequest": {
		patientOf("subject", "medications-patient"),
		sp("authoredon", "date", "MedicationRequest-authoredon", "authoredOn"),
		sp("category", "token", "MedicationRequest-category", "category"),
		sp("code", "token", "medications-code", "medication[CodeableConcept]"),
		sp("context", "reference", "MedicationRequest-context", "context"),
		sp("date", "date", "medications-date", "dosageInstruction.timing.event"),
		sp("identifier", "token", "medications-identifier", "identifier"),
		sp("intended-dispenser", "reference", "MedicationRequest-intended-dispenser", "dispenseRequest.performer"),
		sp("intent", "token", "MedicationRequest-intent", "intent"),
		sp("medication", "reference", "medications-medication", "medication[Reference]"),
		sp("priority", "token", "MedicationRequest-priority", "priority"),
		sp("requester", "reference", "MedicationRequest-requester", "requester.agent"),
		sp("status", "token", "medications-status", "status"),
		sp("subject", "reference", "MedicationRequest-subject", "subject"),
	},
	"MedicationStatement": {
		patientOf("subject", "medications-patient"),
		sp("category", "token", "MedicationStatement-category", "category"),
		sp("code", "token", "medications-code", "medication[CodeableConcept]"),
		sp("context", "reference", "MedicationStatement-context", "context"),
		sp("effective", "date", "MedicationStatement-effective", "effective[x]"),
		sp("identifier", "token", "medications-identifier", "identifier"),
		sp("medication", "reference", "medications-medication", "medication[Reference]"),
		sp("part-of", "reference", "MedicationStatement-part-of", "partOf"),
		sp("source", "reference", "MedicationStatement-source", "informationSource"),
		sp("status", "token", "medications-status", "status"),
		sp("subject", "reference", "MedicationStatement-subject", "subject"),
	},
	"Observation": {
		patientOf("subject", "clinical-patient"),
		sp("based-on", "reference", "Observation-based-on", "basedOn"),
		sp("category", "token", "Observation-category", "category"),
		sp("code", "token", "clinical-code", "code"),
		sp("context", "reference", "Observation-context", "context"),
		sp("data-absent-reason", "token", "Observation-data-absent-reason", "dataAbsentReason"),
		sp("date", "date", "clinical-date", "effective[x]"),
		sp("device", "reference", "Observation-device", "device"),
		sp("encounter", "reference", "clinical-encounter", "context"),
		sp("identifier", "token", "clinical-identifier", "identifier"),
		sp("method", "token", "Observation-method", "method"),
		sp("performer", "reference", "Observation-performer", "performer"),
		sp("specimen", "reference", "Observation-specimen", "specimen"),
		sp("status", "token", "Observation-status", "status"),
		sp("subject", "reference", "Observation-subject", "subject"),
		sp("value-concept", "token", "Observation-value-concept", "value[CodeableConcept]"),
		sp("value-date", "date", "Observation-value-date", "value[dateTime]", "value[Period]"),
		sp("value-string", "string", "Observation-value-string", "value[string]"),
	},
	"Organization": {
		sp("active", "token", "Organization-active", "active"),
		sp("address", "string", "Organization-address", "address"),
		sp("address-city", "string", "Organization-address-city", "address.city"),
		sp("address-country", "string", "Organization-address-country", "address.country"),
		sp("address-postalcode", "string", "Organization-address-postalcode", "address.postalCode"),
		sp("address-state", "string", "Organization-address-state", "address.state"),
		sp("address-use", "token", "Organization-address-use", "address.use"),
		sp("identifier", "token", "Organization-identifier", "identifier"),
		sp("name", "string", "Organization-name", "name", "alias"),
		sp("partof", "reference", "Organization-partof", "partOf"),
		sp("phonetic", "string", "Organization-phonetic", "name"),
		sp("type", "token", "Organization-type", "type"),
	},
	"Patient": append(individual(),
		sp("active", "token", "Patient-active", "active"),
		sp("animal-breed", "token", "Patient-animal-breed", "animal.breed"),
		sp("animal-species", "token", "Patient-animal-species", "animal.species"),
		sp("birthdate", "date", "individual-birthdate", "birthDate"),
		sp("death-date", "date", "Patient-death-date", "deceased[dateTime]"),
		sp("deceased", "token", "Patient-deceased", "deceased[boolean]"),
		sp("general-practitioner", "reference", "Patient-general-practitioner", "generalPractitioner"),
		sp("identifier", "token", "Patient-identifier", "identifier"),
		sp("language", "token", "Patient-language", "communication.language"),
		sp("link", "reference", "Patient-link", "link.other"),
		sp("name", "string", "Patient-name", "name"),
		sp("organization", "reference", "Patient-organization", "managingOrganization"),
	),
	"Practitioner": append(individual(),
		sp("active", "token", "Practitioner-active", "active"),
		sp("communication", "token", "Practitioner-communication", "communication"),
		sp("identifier", "token", "Practitioner-identifier", "identifier"),
		sp("name", "string", "Practitioner-name", "name"),
	),
	"PractitionerRole": {
		sp("active", "token", "PractitionerRole-active", "active"),
		sp("date", "date", "PractitionerRole-date", "period"),
		sp("email", "token", "individual-email", "telecom|system=email"),
		sp("endpoint", "reference", "PractitionerRole-endpoint", "endpoint"),
		sp("identifier", "token", "PractitionerRole-identifier", "identifier"),
		sp("location", "reference", "PractitionerRole-location", "location"),
		sp("organization", "reference", "PractitionerRole-organization", "organization"),
		sp("phone", "token", "individual-phone", "telecom|system=phone"),
		sp("practitioner", "reference", "PractitionerRole-practitioner", "practitioner"),
		sp("role", "token", "PractitionerRole-role", "code"),
		sp("service", "reference", "PractitionerRole-service", "healthcareService"),
		sp("specialty", "token", "PractitionerRole-specialty", "specialty"),
		sp("telecom", "token", "individual-telecom", "telecom"),
	},
	"Procedure": {
		patientOf("subject", "clinical-patient"),
		sp("based-on", "reference", "Procedure-based-on", "basedOn"),
		sp("category", "token", "Procedure-category", "category"),
		sp("code", "token", "clinical-code", "code"),
		sp("context", "reference", "Procedure-context", "context"),
		sp("date", "date", "clinical-date", "performed[x]"),
		sp("definition", "reference", "Procedure-definition", "definition"),
		sp("encounter", "reference", "clinical-encounter", "context"),
		sp("identifier", "token", "clinical-identifier", "identifier"),
		sp("location", "reference", "Procedure-location", "location"),
		sp("part-of", "reference", "Procedure-part-of", "partOf"),
		sp("performer", "reference", "Procedure-performer", "performer.actor"),
		sp("status", "token", "Procedure-status", "status"),
		sp("subject", "reference", "Procedure-subject", "subject"),
	},
}

// individual are the parameters Patient and Practitioner share (STU3's
// individual-* definitions).
func individual() []SearchParameter {
	return []SearchParameter{
		sp("address", "string", "individual-address", "address"),
		sp("address-city", "string", "individual-address-city", "address.city"),
		sp("address-country", "string", "individual-address-country", "address.country"),
		sp("address-postalcode", "string", "individual-address-postalcode", "address.postalCode"),
		sp("address-state", "string", "individual-address-state", "address.state"),
		sp("address-use", "token", "individual-address-use", "address.use"),
		sp("email", "token", "individual-email", "telecom|system=email"),
		sp("family", "string", "individual-family", "name.family"),
		sp("gender", "token", "individual-gender", "gender"),
		sp("given", "string", "individual-given", "name.given"),
		sp("phone", "token", "individual-phone", "telecom|system=phone"),
		sp("phonetic", "string", "individual-phonetic", "name"),
		sp("telecom", "token", "individual-telecom", "telecom"),
	}
}

// LookupSearchParameter returns a resource type's STU3 search parameter by
// name.
func LookupSearchParameter(resource, name string) (SearchParameter, bool) {
	for _, p := range searchParameters[resource] {
		if p.Name == name {
			return p, true
		}
	}
	return SearchParameter{}, false
}
