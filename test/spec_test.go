package test

import (
	"testing"
)

// The Care Connect API's search parameters (SHALL, SHOULD and MAY, from the
// implementation guide's table) are all listed in the CapabilityStatement,
// and each is accepted by the server.
func TestCapabilityListsCareConnectParameters(t *testing.T) {
	t.Parallel()
	spec := map[string][]string{
		"Patient":             {"birthdate", "family", "gender", "given", "identifier", "name", "address-postalcode", "email", "phone"},
		"AllergyIntolerance":  {"patient", "clinical-status", "date"},
		"Condition":           {"patient", "category", "clinical-status", "asserted-date"},
		"Procedure":           {"date", "patient", "subject"},
		"Observation":         {"date", "patient", "category", "code"},
		"Encounter":           {"date", "patient"},
		"Medication":          {"code"},
		"MedicationRequest":   {"patient", "medication", "status", "authoredon", "code"},
		"MedicationStatement": {"patient", "effective", "status"},
		"Immunization":        {"patient", "date", "status"},
		"Practitioner":        {"identifier", "address-postalcode", "name"},
		"PractitionerRole":    {"organization", "practitioner", "identifier"},
		"Organization":        {"identifier", "name"},
		"Location":            {"identifier", "address-postalcode"},
	}
	e := sqliteEnv(t)
	cs := get(t, e.base+"/metadata").json(t)
	listed := map[string]map[string]string{}
	for _, r := range cs["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
		rm := r.(map[string]any)
		m := map[string]string{}
		for _, p := range rm["searchParam"].([]any) {
			pm := p.(map[string]any)
			m[pm["name"].(string)] = pm["type"].(string)
		}
		listed[rm["type"].(string)] = m
	}
	for typ, params := range spec {
		if listed[typ] == nil {
			t.Errorf("%s is not in the CapabilityStatement", typ)
			continue
		}
		for _, p := range append(params, "_id") {
			if _, ok := listed[typ][p]; !ok {
				t.Errorf("%s?%s is not listed", typ, p)
			}
		}
		if typ != "Patient" && typ != "Medication" && typ != "Practitioner" && typ != "PractitionerRole" && typ != "Organization" && typ != "Location" {
			// Every clinical resource takes the NHS number chain.
			if r := get(t, e.base+"/"+typ+"?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919"); r.status != 200 {
				t.Errorf("%s?patient.identifier: %d %s", typ, r.status, truncate(string(r.body), 200))
			}
		}
	}
}
