package cli

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// The built-in demo serves GP Connect: serve prints where, `token
// -gpconnect` prints an audit token and the Ssp- headers it takes, and
// with them a record of every area the demo serves and the structured
// CapabilityStatement are answered.
func TestDemoServesGPConnect(t *testing.T) {
	m, stop := startServe(t, []string{"serve", "-listen", "127.0.0.1:0"}, regexp.MustCompile(`GP Connect Access Record: Structured on (http://\S+/gpconnect/fhir)`))
	defer stop()
	base := m[0][1]
	headers := regexp.MustCompile(`-H '([A-Za-z-]+): ([^']+)'`)
	call := func(what, method, path, body string) (int, string) {
		code, tok, errs := run(t, "token", "-gpconnect", what)
		if code != 0 || strings.Count(tok, ".") != 2 || !strings.HasSuffix(strings.TrimSpace(tok), ".") {
			t.Fatalf("token -gpconnect %s: %d %q %q", what, code, tok, errs)
		}
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for _, h := range headers.FindAllStringSubmatch(errs, -1) {
			req.Header.Set(h[1], h[2])
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok))
		req.Header.Set("Content-Type", "application/fhir+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, body := call("record", http.MethodPost, "/Patient/$gpc.getstructuredrecord",
		`{"resourceType":"Parameters","parameter":[{"name":"patientNHSNumber","valueIdentifier":{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9000000238"}},`+
			`{"name":"includeAllergies","part":[{"name":"includeResolvedAllergies","valueBoolean":true}]},{"name":"includeMedication"},`+
			`{"name":"includeProblems"},{"name":"includeImmunisations"},{"name":"includeUncategorisedData"}]}`)
	if code != http.StatusOK || !strings.Contains(body, `"type":"collection"`) || strings.Contains(body, "has been disabled") {
		t.Errorf("record: %d %s", code, body)
	}
	// The areas the demo serves: allergies, medication, problems,
	// immunisations, uncategorised data.
	for _, list := range []string{"886921000000105", "933361000000108", "717711000000103", "1102181000000102", "826501000000100"} {
		if !strings.Contains(body, `"code":"`+list+`"`) {
			t.Errorf("the record has no list %s", list)
		}
	}
	code, body = call("metadata", http.MethodGet, "/metadata", "")
	if code != http.StatusOK || !strings.Contains(body, `"resourceType":"CapabilityStatement"`) || !strings.Contains(body, "gpc.getstructuredrecord") {
		t.Errorf("metadata: %d %s", code, body)
	}
	if code, _, errs := run(t, "token", "-gpconnect", "everything"); code != 2 || !strings.Contains(errs, "record or metadata") {
		t.Errorf("token -gpconnect everything: %d %q", code, errs)
	}
}
