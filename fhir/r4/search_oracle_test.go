package r4

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/internal/spectest"
)

func hsp(name, typ, id string, paths ...string) SearchParameter {
	return SearchParameter{Name: name, Type: typ, ID: id, Paths: paths}
}

func to(p SearchParameter, target ...string) SearchParameter {
	p.Target = target
	return p
}

// handPatientOf is a parameter named patient: it finds references to a
// Patient only, so where the element may point to more, its Target says
// Patient (R4 writes subject.where(resolve() is Patient)).
func handPatientOf(path string) SearchParameter {
	return to(hsp("patient", "reference", "clinical-patient", path), "Patient")
}

// handSearchParameters is a table of the R4 parameters of the resource
// types the facade serves (UK Core Access), written by hand from the
// specification's search parameter registry (each definition's
// expression, the part about the type), independently of the generator:
// the generated table must have exactly these parameters. Left out, as
// the generated table leaves them out: the definitions of extensions and
// the examples (experimental: Patient's age, birthOrderBoolean,
// mothersMaidenName, Observation's genetics parameters), composite ones
// (Observation's code-value-*) and Location's near (special).
var handSearchParameters = map[string][]SearchParameter{
	"Patient": append(handIndividual(),
		hsp("active", "token", "Patient-active", "active"),
		hsp("birthdate", "date", "individual-birthdate", "birthDate"),
		hsp("death-date", "date", "Patient-death-date", "deceased[dateTime]"),
		hsp("general-practitioner", "reference", "Patient-general-practitioner", "generalPractitioner"),
		hsp("identifier", "token", "Patient-identifier", "identifier"),
		hsp("language", "token", "Patient-language", "communication.language"),
		hsp("link", "reference", "Patient-link", "link.other"),
		hsp("name", "string", "Patient-name", "name"),
		hsp("organization", "reference", "Patient-organization", "managingOrganization"),
	),
	"Practitioner": append(handIndividual(),
		hsp("active", "token", "Practitioner-active", "active"),
		hsp("communication", "token", "Practitioner-communication", "communication"),
		hsp("identifier", "token", "Practitioner-identifier", "identifier"),
		hsp("name", "string", "Practitioner-name", "name"),
	),
	"PractitionerRole": {
		hsp("active", "token", "PractitionerRole-active", "active"),
		hsp("date", "date", "PractitionerRole-date", "period"),
		hsp("email", "token", "individual-email", "telecom|system=email"),
		hsp("endpoint", "reference", "PractitionerRole-endpoint", "endpoint"),
		hsp("identifier", "token", "PractitionerRole-identifier", "identifier"),
		hsp("location", "reference", "PractitionerRole-location", "location"),
		hsp("organization", "reference", "PractitionerRole-organization", "organization"),
		hsp("phone", "token", "individual-phone", "telecom|system=phone"),
		hsp("practitioner", "reference", "PractitionerRole-practitioner", "practitioner"),
		hsp("role", "token", "PractitionerRole-role", "code"),
		hsp("service", "reference", "PractitionerRole-service", "healthcareService"),
		hsp("specialty", "token", "PractitionerRole-specialty", "specialty"),
		hsp("telecom", "token", "individual-telecom", "telecom"),
	},
	"Organization": append(handAddress("Organization-"),
		hsp("active", "token", "Organization-active", "active"),
		hsp("endpoint", "reference", "Organization-endpoint", "endpoint"),
		hsp("identifier", "token", "Organization-identifier", "identifier"),
		hsp("name", "string", "Organization-name", "name", "alias"),
		hsp("partof", "reference", "Organization-partof", "partOf"),
		hsp("phonetic", "string", "Organization-phonetic", "name"),
		hsp("type", "token", "Organization-type", "type"),
	),
	"Location": append(handAddress("Location-"),
		hsp("endpoint", "reference", "Location-endpoint", "endpoint"),
		hsp("identifier", "token", "Location-identifier", "identifier"),
		hsp("name", "string", "Location-name", "name", "alias"),
		hsp("operational-status", "token", "Location-operational-status", "operationalStatus"),
		hsp("organization", "reference", "Location-organization", "managingOrganization"),
		hsp("partof", "reference", "Location-partof", "partOf"),
		hsp("status", "token", "Location-status", "status"),
		hsp("type", "token", "Location-type", "type"),
	),
	"Encounter": {
		handPatientOf("subject"),
		hsp("account", "reference", "Encounter-account", "account"),
		hsp("appointment", "reference", "Encounter-appointment", "appointment"),
		hsp("based-on", "reference", "Encounter-based-on", "basedOn"),
		hsp("class", "token", "Encounter-class", "class"),
		hsp("date", "date", "clinical-date", "period"),
		hsp("diagnosis", "reference", "Encounter-diagnosis", "diagnosis.condition"),
		hsp("episode-of-care", "reference", "Encounter-episode-of-care", "episodeOfCare"),
		hsp("identifier", "token", "clinical-identifier", "identifier"),
		hsp("length", "quantity", "Encounter-length", "length"),
		hsp("location", "reference", "Encounter-location", "location.location"),
		hsp("location-period", "date", "Encounter-location-period", "location.period"),
		hsp("part-of", "reference", "Encounter-part-of", "partOf"),
		hsp("participant", "reference", "Encounter-participant", "participant.individual"),
		hsp("participant-type", "token", "Encounter-participant-type", "participant.type"),
		to(hsp("practitioner", "reference", "Encounter-practitioner", "participant.individual"), "Practitioner"),
		hsp("reason-code", "token", "Encounter-reason-code", "reasonCode"),
		hsp("reason-reference", "reference", "Encounter-reason-reference", "reasonReference"),
		hsp("service-provider", "reference", "Encounter-service-provider", "serviceProvider"),
		hsp("special-arrangement", "token", "Encounter-special-arrangement", "hospitalization.specialArrangement"),
		hsp("status", "token", "Encounter-status", "status"),
		hsp("subject", "reference", "Encounter-subject", "subject"),
		hsp("type", "token", "clinical-type", "type"),
	},
	"AllergyIntolerance": {
		// AllergyIntolerance.patient points to a Patient only.
		hsp("patient", "reference", "clinical-patient", "patient"),
		hsp("asserter", "reference", "AllergyIntolerance-asserter", "asserter"),
		hsp("category", "token", "AllergyIntolerance-category", "category"),
		hsp("clinical-status", "token", "AllergyIntolerance-clinical-status", "clinicalStatus"),
		hsp("code", "token", "clinical-code", "code", "reaction.substance"),
		hsp("criticality", "token", "AllergyIntolerance-criticality", "criticality"),
		hsp("date", "date", "clinical-date", "recordedDate"),
		hsp("identifier", "token", "clinical-identifier", "identifier"),
		hsp("last-date", "date", "AllergyIntolerance-last-date", "lastOccurrence"),
		hsp("manifestation", "token", "AllergyIntolerance-manifestation", "reaction.manifestation"),
		hsp("onset", "date", "AllergyIntolerance-onset", "reaction.onset"),
		hsp("recorder", "reference", "AllergyIntolerance-recorder", "recorder"),
		hsp("route", "token", "AllergyIntolerance-route", "reaction.exposureRoute"),
		hsp("severity", "token", "AllergyIntolerance-severity", "reaction.severity"),
		hsp("type", "token", "clinical-type", "type"),
		hsp("verification-status", "token", "AllergyIntolerance-verification-status", "verificationStatus"),
	},
	"Condition": {
		handPatientOf("subject"),
		hsp("abatement-age", "quantity", "Condition-abatement-age", "abatement[Age]", "abatement[Range]"),
		hsp("abatement-date", "date", "Condition-abatement-date", "abatement[dateTime]", "abatement[Period]"),
		hsp("abatement-string", "string", "Condition-abatement-string", "abatement[string]"),
		hsp("asserter", "reference", "Condition-asserter", "asserter"),
		hsp("body-site", "token", "Condition-body-site", "bodySite"),
		hsp("category", "token", "Condition-category", "category"),
		hsp("clinical-status", "token", "Condition-clinical-status", "clinicalStatus"),
		hsp("code", "token", "clinical-code", "code"),
		hsp("encounter", "reference", "Condition-encounter", "encounter"),
		hsp("evidence", "token", "Condition-evidence", "evidence.code"),
		to(hsp("evidence-detail", "reference", "Condition-evidence-detail", "evidence.detail"), anyButParameters()...),
		hsp("identifier", "token", "clinical-identifier", "identifier"),
		hsp("onset-age", "quantity", "Condition-onset-age", "onset[Age]", "onset[Range]"),
		hsp("onset-date", "date", "Condition-onset-date", "onset[dateTime]", "onset[Period]"),
		hsp("onset-info", "string", "Condition-onset-info", "onset[string]"),
		hsp("recorded-date", "date", "Condition-recorded-date", "recordedDate"),
		hsp("severity", "token", "Condition-severity", "severity"),
		hsp("stage", "token", "Condition-stage", "stage.summary"),
		hsp("subject", "reference", "Condition-subject", "subject"),
		hsp("verification-status", "token", "Condition-verification-status", "verificationStatus"),
	},
	"Procedure": {
		handPatientOf("subject"),
		hsp("based-on", "reference", "Procedure-based-on", "basedOn"),
		hsp("category", "token", "Procedure-category", "category"),
		hsp("code", "token", "clinical-code", "code"),
		hsp("date", "date", "clinical-date", "performed[x]"),
		hsp("encounter", "reference", "clinical-encounter", "encounter"),
		hsp("identifier", "token", "clinical-identifier", "identifier"),
		to(hsp("instantiates-canonical", "reference", "Procedure-instantiates-canonical", "instantiatesCanonical"),
			"Questionnaire", "Measure", "PlanDefinition", "OperationDefinition", "ActivityDefinition"),
		hsp("instantiates-uri", "uri", "Procedure-instantiates-uri", "instantiatesUri"),
		hsp("location", "reference", "Procedure-location", "location"),
		hsp("part-of", "reference", "Procedure-part-of", "partOf"),
		hsp("performer", "reference", "Procedure-performer", "performer.actor"),
		hsp("reason-code", "token", "Procedure-reason-code", "reasonCode"),
		hsp("reason-reference", "reference", "Procedure-reason-reference", "reasonReference"),
		hsp("status", "token", "Procedure-status", "status"),
		hsp("subject", "reference", "Procedure-subject", "subject"),
	},
	"Observation": {
		handPatientOf("subject"),
		hsp("based-on", "reference", "Observation-based-on", "basedOn"),
		hsp("category", "token", "Observation-category", "category"),
		hsp("code", "token", "clinical-code", "code"),
		hsp("combo-code", "token", "Observation-combo-code", "code", "component.code"),
		hsp("combo-data-absent-reason", "token", "Observation-combo-data-absent-reason", "dataAbsentReason", "component.dataAbsentReason"),
		hsp("combo-value-concept", "token", "Observation-combo-value-concept", "value[CodeableConcept]", "component.value[CodeableConcept]"),
		hsp("combo-value-quantity", "quantity", "Observation-combo-value-quantity", "value[Quantity]", "value[SampledData]", "component.value[Quantity]", "component.value[SampledData]"),
		hsp("component-code", "token", "Observation-component-code", "component.code"),
		hsp("component-data-absent-reason", "token", "Observation-component-data-absent-reason", "component.dataAbsentReason"),
		hsp("component-value-concept", "token", "Observation-component-value-concept", "component.value[CodeableConcept]"),
		hsp("component-value-quantity", "quantity", "Observation-component-value-quantity", "component.value[Quantity]", "component.value[SampledData]"),
		hsp("data-absent-reason", "token", "Observation-data-absent-reason", "dataAbsentReason"),
		hsp("date", "date", "clinical-date", "effective[x]"),
		hsp("derived-from", "reference", "Observation-derived-from", "derivedFrom"),
		hsp("device", "reference", "Observation-device", "device"),
		hsp("encounter", "reference", "clinical-encounter", "encounter"),
		to(hsp("focus", "reference", "Observation-focus", "focus"), anyButParameters()...),
		hsp("has-member", "reference", "Observation-has-member", "hasMember"),
		hsp("identifier", "token", "clinical-identifier", "identifier"),
		hsp("method", "token", "Observation-method", "method"),
		hsp("part-of", "reference", "Observation-part-of", "partOf"),
		hsp("performer", "reference", "Observation-performer", "performer"),
		hsp("specimen", "reference", "Observation-specimen", "specimen"),
		hsp("status", "token", "Observation-status", "status"),
		hsp("subject", "reference", "Observation-subject", "subject"),
		hsp("value-concept", "token", "Observation-value-concept", "value[CodeableConcept]"),
		hsp("value-date", "date", "Observation-value-date", "value[dateTime]", "value[Period]"),
		hsp("value-quantity", "quantity", "Observation-value-quantity", "value[Quantity]", "value[SampledData]"),
		hsp("value-string", "string", "Observation-value-string", "value[string]", "value[CodeableConcept].text"),
	},
	"Medication": {
		hsp("code", "token", "clinical-code", "code"),
		hsp("expiration-date", "date", "Medication-expiration-date", "batch.expirationDate"),
		hsp("form", "token", "Medication-form", "form"),
		hsp("identifier", "token", "Medication-identifier", "identifier"),
		hsp("ingredient", "reference", "Medication-ingredient", "ingredient.item[Reference]"),
		hsp("ingredient-code", "token", "Medication-ingredient-code", "ingredient.item[CodeableConcept]"),
		hsp("lot-number", "token", "Medication-lot-number", "batch.lotNumber"),
		hsp("manufacturer", "reference", "Medication-manufacturer", "manufacturer"),
		hsp("status", "token", "Medication-status", "status"),
	},
	"MedicationStatement": {
		handPatientOf("subject"),
		hsp("category", "token", "MedicationStatement-category", "category"),
		hsp("code", "token", "clinical-code", "medication[CodeableConcept]"),
		hsp("context", "reference", "MedicationStatement-context", "context"),
		hsp("effective", "date", "MedicationStatement-effective", "effective[x]"),
		hsp("identifier", "token", "clinical-identifier", "identifier"),
		hsp("medication", "reference", "medications-medication", "medication[Reference]"),
		hsp("part-of", "reference", "MedicationStatement-part-of", "partOf"),
		hsp("source", "reference", "MedicationStatement-source", "informationSource"),
		hsp("status", "token", "medications-status", "status"),
		hsp("subject", "reference", "MedicationStatement-subject", "subject"),
	},
	"MedicationRequest": {
		handPatientOf("subject"),
		hsp("authoredon", "date", "MedicationRequest-authoredon", "authoredOn"),
		hsp("category", "token", "MedicationRequest-category", "category"),
		hsp("code", "token", "clinical-code", "medication[CodeableConcept]"),
		hsp("date", "date", "medications-date", "dosageInstruction.timing.event"),
		hsp("encounter", "reference", "medications-encounter", "encounter"),
		hsp("identifier", "token", "clinical-identifier", "identifier"),
		hsp("intended-dispenser", "reference", "MedicationRequest-intended-dispenser", "dispenseRequest.performer"),
		hsp("intended-performer", "reference", "MedicationRequest-intended-performer", "performer"),
		hsp("intended-performertype", "token", "MedicationRequest-intended-performertype", "performerType"),
		hsp("intent", "token", "MedicationRequest-intent", "intent"),
		hsp("medication", "reference", "medications-medication", "medication[Reference]"),
		hsp("priority", "token", "MedicationRequest-priority", "priority"),
		hsp("requester", "reference", "MedicationRequest-requester", "requester"),
		hsp("status", "token", "medications-status", "status"),
		hsp("subject", "reference", "MedicationRequest-subject", "subject"),
	},
	"Immunization": {
		// Immunization.patient points to a Patient only.
		hsp("patient", "reference", "clinical-patient", "patient"),
		hsp("date", "date", "clinical-date", "occurrence[x]"),
		hsp("identifier", "token", "clinical-identifier", "identifier"),
		hsp("location", "reference", "Immunization-location", "location"),
		hsp("lot-number", "string", "Immunization-lot-number", "lotNumber"),
		hsp("manufacturer", "reference", "Immunization-manufacturer", "manufacturer"),
		hsp("performer", "reference", "Immunization-performer", "performer.actor"),
		hsp("reaction", "reference", "Immunization-reaction", "reaction.detail"),
		hsp("reaction-date", "date", "Immunization-reaction-date", "reaction.date"),
		hsp("reason-code", "token", "Immunization-reason-code", "reasonCode"),
		hsp("reason-reference", "reference", "Immunization-reason-reference", "reasonReference"),
		hsp("series", "string", "Immunization-series", "protocolApplied.series"),
		hsp("status", "token", "Immunization-status", "status"),
		hsp("status-reason", "token", "Immunization-status-reason", "statusReason"),
		hsp("target-disease", "token", "Immunization-target-disease", "protocolApplied.targetDisease"),
		hsp("vaccine-code", "token", "Immunization-vaccine-code", "vaccineCode"),
	},
}

// anyButParameters is what R4 definitions whose element may point to any
// resource list as their target: every resource type but Parameters.
func anyButParameters() []string {
	return slices.DeleteFunc(slices.Clone(r4Resources), func(r string) bool { return r == "Parameters" })
}

// handAddress are the address parameters of Organization and Location,
// whose ids start with prefix.
func handAddress(prefix string) []SearchParameter {
	return []SearchParameter{
		hsp("address", "string", prefix+"address", "address"),
		hsp("address-city", "string", prefix+"address-city", "address.city"),
		hsp("address-country", "string", prefix+"address-country", "address.country"),
		hsp("address-postalcode", "string", prefix+"address-postalcode", "address.postalCode"),
		hsp("address-state", "string", prefix+"address-state", "address.state"),
		hsp("address-use", "token", prefix+"address-use", "address.use"),
	}
}

// handIndividual are the parameters Patient and Practitioner share (R4's
// individual-* definitions, but individual-birthdate, which Practitioner
// has not).
func handIndividual() []SearchParameter {
	return append(handAddress("individual-"),
		hsp("email", "token", "individual-email", "telecom|system=email"),
		hsp("family", "string", "individual-family", "name.family"),
		hsp("gender", "token", "individual-gender", "gender"),
		hsp("given", "string", "individual-given", "name.given"),
		hsp("phone", "token", "individual-phone", "telecom|system=phone"),
		hsp("phonetic", "string", "individual-phonetic", "name"),
		hsp("telecom", "token", "individual-telecom", "telecom"),
	)
}

// The generated table has, for each of the served types, exactly the
// parameters of the hand-written one, field by field.
func TestSearchParametersMatchHandTable(t *testing.T) {
	if len(handSearchParameters) != 14 {
		t.Fatalf("the hand-written table has %d types", len(handSearchParameters))
	}
	for res, hand := range handSearchParameters {
		var want, got []string
		for _, h := range hand {
			want = append(want, h.Name)
			g, ok := LookupSearchParameter(res, h.Name)
			if !ok {
				t.Errorf("%s.%s is not in the generated table", res, h.Name)
				continue
			}
			if g.Name != h.Name || g.Type != h.Type || g.ID != h.ID || !slices.Equal(g.Paths, h.Paths) || !sameSet(g.Target, h.Target) {
				t.Errorf("%s.%s:\n generated %+v\n      hand %+v", res, h.Name, g, h)
			}
		}
		for _, p := range searchParameters[res] {
			got = append(got, p.Name)
		}
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n generated %v\n      hand %v", res, got, want)
		}
	}
	// Not translatable: true for a deceasedDateTime too, which no path
	// of deceased[boolean] would say.
	if p, ok := LookupSearchParameter("Patient", "deceased"); ok {
		t.Errorf("Patient.deceased (Patient.deceased.exists() and Patient.deceased != false) is in the table: %+v", p)
	}
}

// Every search parameter of every resource type names elements of the
// table along each path, with types its search type can search; a filter
// is on a ContactPoint's system; a Target names resource types its
// elements may point to, and leaves some out. The parameters where the
// specification itself searches an element of a type the search type does
// not fit are listed, so that no new one goes unseen.
func TestSearchParameterPaths(t *testing.T) {
	fits := map[string][]string{
		"string":    {"string", "markdown", "HumanName", "Address"},
		"token":     {"code", "Coding", "CodeableConcept", "Identifier", "ContactPoint", "boolean", "string", "uri", "id", "canonical"},
		"reference": {"Reference", "canonical", "uri"},
		"date":      {"date", "dateTime", "instant", "Period", "Timing"},
		"number":    {"decimal", "integer", "positiveInt", "unsignedInt"},
		"quantity":  {"Quantity", "SimpleQuantity", "Age", "Duration", "Money", "Count", "Distance"},
		"uri":       {"uri", "url", "canonical", "oid"},
	}
	// The specification's own misfits: parameter → element types. A
	// choice element is searched whole (Procedure's date on performed[x],
	// which may be a string, an Age or a Range), or a quantity or number
	// parameter searches a Range or SampledData too.
	misfits := map[string]string{
		"CarePlan.activity-date":               "string", // activity.detail.scheduled[x]
		"Condition.abatement-age":              "Range",
		"Condition.onset-age":                  "Range",
		"Consent.source-reference":             "Attachment", // source[x]
		"Immunization.date":                    "string",     // occurrence[x]
		"Observation.combo-value-quantity":     "SampledData",
		"Observation.component-value-quantity": "SampledData",
		"Observation.value-quantity":           "SampledData",
		"Procedure.date":                       "Age Range string", // performed[x]
		"RiskAssessment.probability":           "Range",            // prediction.probability[x]
	}
	// context-quantity, of every definitional resource, searches
	// useContext.value[Range] beside value[Quantity].
	misfitNames := map[string]string{"context-quantity": "Range"}
	n := spectest.CheckSearchPaths(t, Release, searchParameters, fits, misfits, misfitNames)
	// The types no definition but the resource-wide ones is for.
	var none []string
	for _, r := range Resources() {
		if len(searchParameters[r]) == 0 {
			none = append(none, r)
		}
	}
	if want := "Binary BiologicallyDerivedProduct CatalogEntry MedicinalProductIngredient MedicinalProductManufactured ObservationDefinition OperationOutcome Parameters SubstanceNucleicAcid SubstancePolymer SubstanceProtein SubstanceReferenceInformation SubstanceSourceMaterial"; strings.Join(none, " ") != want {
		t.Errorf("types without search parameters: %v", none)
	}
	if len(searchParameters) != len(Resources())-len(none) {
		t.Errorf("search parameters of %d resource types", len(searchParameters))
	}
	if n < 1500 {
		t.Errorf("only %d paths", n)
	}
}
