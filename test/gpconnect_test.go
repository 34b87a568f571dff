package test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// GP Connect's record, its warnings, an error and the structured
// CapabilityStatement as FHIR XML, read back by FHIR.js into the very JSON
// the facade serves.
func TestGPConnectXML(t *testing.T) {
	t.Parallel()
	e := demotest.SQLite(t, demotest.Config{GPConnect: &gpconnect.Options{ASID: authtest.GPCProviderASID}})
	const trace = "0f7d5b1e-8a41-4d36-9c2e-6e0b7a3c1d55"
	nhs := nhsOf(t, "2")
	record := func(accept, body string) response {
		h := authtest.GPCHeaders(trace, auth.GPConnectStructuredInteraction, authtest.Unsigned(t, authtest.GPCClaims(auth.GPConnectPatientScope)))
		return do(t, http.MethodPost, e.GPC+"/Patient/$gpc.getstructuredrecord", strings.NewReader(body), append(h, "Accept", accept, "Content-Type", "application/fhir+json")...)
	}
	metadata := func(accept string) response {
		h := authtest.GPCHeaders(trace, auth.GPConnectMetadataInteraction, authtest.Unsigned(t, authtest.GPCClaims(auth.GPConnectOrganizationScope)))
		return get(t, e.GPC+"/metadata", append(h, "Accept", accept)...)
	}
	bodies := []string{
		`{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"` + nhs + `"}},` +
			`{"name":"includeAllergies","part":[{"name":"includeResolvedAllergies","valueBoolean":true}]},{"name":"includeProblems"},{"name":"includeInvestigations"},{"name":"includeNewThing"}]}`,
		`{"resourceType":"Parameters","parameter":[{"name":"includeAllergies"}]}`,
	}
	var answers jsonAndXML
	for i, b := range bodies {
		answers.add(t, "record "+string(rune('0'+i)), record("application/fhir+json", b), record("application/fhir+xml", b))
	}
	answers.add(t, "metadata", metadata("application/fhir+json"), metadata("application/fhir+xml"))
	jsons, got := answers.jsons, parseXML(t, answers.xmls)
	for i := range jsons {
		want, have := canon(jsons[i]), canon(got[i])
		if !reflect.DeepEqual(want, have) {
			wj, _ := json.Marshal(want)
			hj, _ := json.Marshal(have)
			t.Errorf("document %d reads back differently from XML\n json: %s\n  xml: %s", i, truncate(string(wj), 1500), truncate(string(hj), 1500))
		}
	}
	if r := jsons[0].(map[string]any); r["id"] != trace {
		t.Errorf("the record's id %v, want the trace id", r["id"])
	}
}
