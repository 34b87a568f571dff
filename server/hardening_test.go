package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
)

// metricSeries scrapes the metrics and returns the label sets of one
// metric's series.
func metricSeries(t *testing.T, m *server.Metrics, name string) []string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	r := demotest.Get(t, srv.URL)
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics: %d", r.Status)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, name+"{") {
			out = append(out, line[len(name):strings.LastIndexByte(line, '}')+1])
		}
	}
	return out
}

var resourceLabel = regexp.MustCompile(`resource="([^"]*)"`)

// No caller, with or without a token, can add series to the metrics: the
// resource label takes the mapped types, "other" or nothing, the
// interaction label a fixed set, whatever the path and method; and a path
// that is not UTF-8 is answered like any other.
func TestMetricLabelsAreAClosedSet(t *testing.T) {
	keys := authtest.New(t)
	v, err := auth.New(context.Background(), auth.Config{JWKSURL: keys.URL, Issuers: []string{authtest.Issuer}, Audiences: []string{authtest.Audience}})
	if err != nil {
		t.Fatal(err)
	}
	for _, withAuth := range []bool{false, true} {
		t.Run(fmt.Sprintf("auth=%v", withAuth), func(t *testing.T) {
			m := server.NewMetrics()
			cfg := demotest.Config{Server: server.Options{Metrics: m}}
			if withAuth {
				cfg.Server.Verifier = v
			}
			e := demotest.SQLite(t, cfg)
			known := map[string]bool{"": true, "other": true}
			for _, mp := range e.Eng.Set().Mappings {
				known[mp.Resource] = true
			}
			for i := range 200 {
				demotest.Get(t, fmt.Sprintf("%s/Junk%d/1", e.Base, i))
				demotest.Get(t, fmt.Sprintf("%s/Junk%d", e.Base, i))
				demotest.Get(t, fmt.Sprintf("%s/Patient/1/Junk%d", e.Base, i))
				demotest.Do(t, fmt.Sprintf("M%d", i), e.Base+"/Patient", nil)
			}
			for _, p := range []string{"/Pat%FFient/1", "/Pat%FFient", "/Patient/1/Obs%C0ervation", "/%FF%FE/%80"} {
				r := demotest.Get(t, e.Base+p)
				if r.Status >= 500 {
					t.Errorf("GET %s: %d\n%s", p, r.Status, r.Body)
				}
			}
			series := metricSeries(t, m, "ccfacade_requests_total")
			if len(series) == 0 {
				t.Fatal("no ccfacade_requests_total series")
			}
			if len(series) > 40 {
				t.Errorf("%d series of ccfacade_requests_total after requests to made-up paths and methods (a closed set has far fewer):\n%s",
					len(series), strings.Join(series[:40], "\n"))
			}
			for _, s := range series {
				mm := resourceLabel.FindStringSubmatch(s)
				if mm == nil || !known[mm[1]] {
					t.Errorf("series %s: the resource label is not a mapped type, other or empty", s)
				}
			}
		})
	}
}

// A client that refuses gzip (q=0, in any spelling) gets no gzip.
func TestGzipRefusedByQZero(t *testing.T) {
	e := demotest.SQLite(t, demotest.Config{})
	for ae, want := range map[string]bool{
		"gzip": true, "gzip;q=0.001": true, "deflate, gzip;q=0.5": true, "GZIP": true,
		"gzip;q=0": false, "gzip;Q=0": false, "gzip; q=0.000": false, "gzip ; q = 0": false, "gzip;q=0.": false,
		"gzip;q=0, *;q=1": false, "identity": false, "*": true, "*;q=0": false, "gzip;q=abc": false,
	} {
		r := demotest.Get(t, e.Base+"/Patient?_count=20", "Accept-Encoding", ae)
		if r.Status != http.StatusOK {
			t.Fatalf("%q: %d", ae, r.Status)
		}
		if got := r.Header.Get("Content-Encoding") == "gzip"; got != want {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", ae, got, want)
		}
	}
}

// Nothing a caller sends is echoed back as markup, and no response may be
// sniffed as another type.
func TestNoEchoAndNoSniff(t *testing.T) {
	e := demotest.SQLite(t, demotest.Config{})
	for _, c := range []struct {
		path   string
		header []string
		status int
	}{
		{"/Patient?_format=%3Cscript%3Ealert(1)%3C/script%3E", nil, http.StatusUnsupportedMediaType},
		{"/Patient/1?_format=%3Cimg%20src=x%3E", nil, http.StatusUnsupportedMediaType},
		{"/Patient", []string{"Accept", "text/<script>alert(1)</script>"}, http.StatusNotAcceptable},
		{"/Patient/1", nil, http.StatusOK},
		{"/metadata", nil, http.StatusOK},
		{"/Nothing", nil, http.StatusNotFound},
	} {
		r := demotest.Get(t, e.Base+c.path, c.header...)
		if r.Status != c.status {
			t.Errorf("%s: %d, want %d\n%s", c.path, r.Status, c.status, r.Body)
		}
		if bytes.Contains(r.Body, []byte("<script")) || bytes.Contains(r.Body, []byte("<img")) {
			t.Errorf("%s: the response echoes markup the caller sent:\n%s", c.path, r.Body)
		}
		if r.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", c.path, r.Header.Get("X-Content-Type-Options"))
		}
	}
}

// When the audit trail cannot be written, every request is refused, and
// /readyz says so, so that a load balancer stops sending traffic.
func TestReadyzSeesAFullAuditDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system: " + err.Error())
	}
	sink, err := audit.OpenFile("/dev/full", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	e := demotest.SQLite(t, demotest.Config{Server: server.Options{Audit: sink}})
	if r := demotest.Get(t, e.Base+"/Patient/1"); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("a read with a full audit disk: %d, want 503\n%s", r.Status, r.Body)
	}
	r := demotest.Get(t, e.Srv.URL+"/readyz")
	if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), "audit") {
		t.Errorf("/readyz with a full audit disk: %d %q, want 503 naming the audit trail", r.Status, r.Body)
	}
}
