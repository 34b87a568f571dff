package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
	"github.com/lestrrat-go/jwx/v2/jwa"
)

// lockedBuffer is an audit trail in memory that requests may write at
// once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) records(t *testing.T) []audit.Record {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []audit.Record
	dec := json.NewDecoder(bytes.NewReader(b.buf.Bytes()))
	for {
		var r audit.Record
		if err := dec.Decode(&r); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
}

// The R4 base is the STU3 base's middleware over the engine's R4 view:
// the same token is needed, reaches exactly as far (its patient and
// nothing of another's, in SQL), and every request is audited with the
// patients it returned and counted in the metrics, on /fhir and /R4
// alike.
func TestSameAccessAuditAndMetricsOnBothBases(t *testing.T) {
	keys := authtest.New(t)
	pp := twoPatients(t)
	demotest.Each(t, demotest.Config{}, func(t *testing.T, e *demotest.Env) {
		trail := &lockedBuffer{}
		metrics := server.NewMetrics()
		stu3 := jwtServer(t, e, keys, func(o *server.Options) {
			o.R4Prefix = server.DefaultR4Prefix
			o.Audit = audit.NewWriter(trail)
			o.Metrics = metrics
		})
		r4 := strings.TrimSuffix(stu3, "/fhir") + "/R4"
		mine := keys.SignScope(t, "patient/*.read", map[string]any{"patient": pp.me})
		practitioners := keys.SignScope(t, "user/Practitioner.read", nil)
		cases := []struct {
			path, token string
			status      int // 0: whatever /fhir answers
		}{
			{"/Patient/" + pp.me, mine, 200},
			{"/Patient/" + pp.other, mine, 403},
			{"/Observation?patient=" + pp.other, mine, 403},
			{"/Observation/" + pp.otherObs, mine, 403},
			{"/Observation?_count=100", mine, 200},
			{"/Observation?patient.identifier=https://fhir.nhs.uk/Id/nhs-number|" + pp.otherNHS, mine, 0},
			{"/Patient/" + pp.me + "/$everything?_count=100", mine, 200},
			{"/Patient?_revinclude=Observation:patient&_count=100", mine, 200},
			{"/Patient/" + pp.me, "", 401},
			{"/Patient/" + pp.me, practitioners, 403},
			{"/Practitioner?_count=5", practitioners, 200},
		}
		for _, c := range cases {
			var header []string
			if c.token != "" {
				header = []string{"Authorization", "Bearer " + c.token}
			}
			want := c.status
			for _, base := range []string{stu3, r4} {
				r := demotest.Get(t, base+c.path, header...)
				if want == 0 {
					want = r.Status
				}
				if r.Status != want {
					t.Errorf("%s%s: %d, want %d: %s", base, c.path, r.Status, want, demotest.Truncate(string(r.Body), 300))
					continue
				}
				if got := leaks(t, r, pp.me); len(got) > 0 {
					t.Errorf("%s%s leaks %v", base, c.path, got)
				}
				if r.Status == 200 && strings.Contains(c.path, "_count=100") && len(demotest.Entries(t, r.JSON(t))) == 0 {
					t.Errorf("%s%s: no entries: the test shows nothing", base, c.path)
				}
				if want == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("%s%s: 401 without a challenge", base, c.path)
				}
			}
		}
		// Each base's requests are audited alike: the same records but
		// for the path.
		recs := trail.records(t)
		byBase := map[string][]string{}
		for _, rec := range recs {
			base := "/fhir"
			if strings.HasPrefix(rec.Path, "/R4/") {
				base = "/R4"
			}
			byBase[base] = append(byBase[base], rec.Interaction+" "+rec.Resource+" "+strings.Join(rec.Patients, ",")+" "+rec.Outcome+" "+strings.TrimPrefix(rec.Path, base))
		}
		if len(byBase["/R4"]) != len(cases) || strings.Join(byBase["/R4"], "\n") != strings.Join(byBase["/fhir"], "\n") {
			t.Errorf("audit records differ between the bases:\n/fhir:\n%s\n/R4:\n%s", strings.Join(byBase["/fhir"], "\n"), strings.Join(byBase["/R4"], "\n"))
		}
		// Both bases' requests are counted, under the same labels.
		srv := httptest.NewServer(metrics.Handler())
		defer srv.Close()
		body := string(demotest.Get(t, srv.URL).Body)
		if want := `ccfacade_requests_total{interaction="read",resource="Patient",status="200"} 2`; !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%s", want, grepLines(body, "ccfacade_requests_total"))
		}
	})
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A consumer chooses the release by the base it calls; each base says
// its fhirVersion in every Content-Type, and a fhirVersion asked of the
// other base is a 406 that names where it is served.
func TestEachBaseServesItsRelease(t *testing.T) {
	e := demotest.SQLite(t, demotest.Config{})
	for _, c := range []struct {
		url, accept string
		status      int
		ctype       string
	}{
		{e.Base + "/Patient/3", "application/fhir+json", 200, "application/fhir+json; charset=utf-8"},
		{e.R4 + "/Patient/3", "application/fhir+json", 200, "application/fhir+json; charset=utf-8; fhirVersion=4.0"},
		{e.R4 + "/Patient/3", "application/fhir+xml", 200, "application/fhir+xml; charset=utf-8; fhirVersion=4.0"},
		{e.R4 + "/Patient/3", "application/fhir+json; fhirVersion=4.0", 200, "application/fhir+json; charset=utf-8; fhirVersion=4.0"},
		{e.Base + "/Patient/3", "application/fhir+json; fhirVersion=3.0", 200, "application/fhir+json; charset=utf-8"},
		{e.R4 + "/Patient/3", "application/fhir+json; fhirVersion=3.0", 406, "application/fhir+json; charset=utf-8; fhirVersion=4.0"},
		{e.Base + "/Patient/3", "application/fhir+json; fhirVersion=4.0", 406, "application/fhir+json; charset=utf-8"},
		{e.R4 + "/Patient/3?_format=application/fhir%2Bjson%3BfhirVersion%3D3.0", "", 406, "application/fhir+json; charset=utf-8; fhirVersion=4.0"},
		{e.R4 + "/Unicorn", "", 404, "application/fhir+json; charset=utf-8; fhirVersion=4.0"},
	} {
		var header []string
		if c.accept != "" {
			header = []string{"Accept", c.accept}
		}
		r := demotest.Get(t, c.url, header...)
		if r.Status != c.status || r.Header.Get("Content-Type") != c.ctype {
			t.Errorf("%s (Accept %s): %d %q, want %d %q: %s", c.url, c.accept, r.Status, r.Header.Get("Content-Type"), c.status, c.ctype, demotest.Truncate(string(r.Body), 300))
		}
		if c.status == 406 && !strings.Contains(demotest.IssueText(t, r), "/R4 (R4, fhirVersion=4.0)") {
			t.Errorf("%s: the 406 does not say where each release is served: %s", c.url, demotest.IssueText(t, r))
		}
	}
}

// Spine Security Proxy mode applies on the R4 base as on /fhir: the SSP
// headers and claims are required, and the interaction must be the
// request's.
func TestSpineSecurityProxyOnR4(t *testing.T) {
	keys := authtest.New(t)
	e := demotest.SQLite(t, demotest.Config{})
	stu3 := jwtServer(t, e, keys, func(o *server.Options) {
		o.SSP = &server.SSPOptions{ASID: "200000000359"}
		o.R4Prefix = server.DefaultR4Prefix
	})
	tok := authtest.SignClaims(t, keys.RSA, jwa.RS256, sspClaims())
	const urn = "urn:nhs:names:services:careconnect:fhir:rest:"
	for _, base := range []string{stu3, strings.TrimSuffix(stu3, "/fhir") + "/R4"} {
		for _, h := range []struct {
			interaction, trace string
			status             int
		}{
			{urn + "search:patient", "09a01679-2564-0fb4-5129-aecc81ea2706", 200},
			{urn + "search:patient", "", 400},
			{urn + "read:patient", "09a01679-2564-0fb4-5129-aecc81ea2706", 400},
		} {
			r := demotest.Get(t, base+"/Patient?_count=2", "Authorization", "Bearer "+tok, "Ssp-TraceID", h.trace,
				"Ssp-From", "200000000117", "Ssp-To", "200000000359", "Ssp-InteractionID", h.interaction)
			if r.Status != h.status {
				t.Errorf("%s with %s, trace %q: %d, want %d: %s", base, h.interaction, h.trace, r.Status, h.status, demotest.Truncate(string(r.Body), 300))
			}
		}
	}
}
