package server_test

import (
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/internal/demotest"
)

// HEAD answers as GET without a body; OPTIONS on the base is the
// CapabilityStatement.
func TestHeadAndOptions(t *testing.T) {
	e := demotest.SQLite(t, demotest.Config{})
	for _, p := range []string{"/Patient?_count=1", "/Patient/3", "/Patient/3/Observation"} {
		if r := demotest.Do(t, "HEAD", e.Base+p, nil); r.Status != 200 || len(r.Body) != 0 {
			t.Errorf("HEAD %s: %d, %d bytes", p, r.Status, len(r.Body))
		}
	}
	for _, p := range []string{"", "/"} {
		if r := demotest.Do(t, "OPTIONS", e.Base+p, nil); r.Status != 200 || !strings.Contains(string(r.Body), "CapabilityStatement") {
			t.Errorf("OPTIONS %q: %d", p, r.Status)
		}
	}
}
