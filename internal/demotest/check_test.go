package demotest_test

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/internal/demotest"
)

// The validator must be able to fail: a Patient with a gender outside its
// required value set, or an unknown element, is rejected.
func TestValidatorRejectsInvalidResources(t *testing.T) {
	v := demotest.Validator(t)
	for _, bad := range []string{
		`{"resourceType":"Patient","gender":"mail"}`,
		`{"resourceType":"Patient","colour":"blue"}`,
		`{"resourceType":"Patient","birthDate":"1980-13-01"}`,
		`{"resourceType":"Bundle"}`,
	} {
		if _, err := v.Unmarshal([]byte(bad)); err == nil {
			t.Errorf("validator accepted %s", bad)
		}
	}
}

// Await returns once every pattern matches what was written, however the
// writes fall, and gives up when its context is done.
func TestBufferAwait(t *testing.T) {
	var b demotest.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() {
		for _, s := range []string{"starting\n", "serving http://127.0.0", ".1:80/fhir\n", "admin on :81\n"} {
			b.Write([]byte(s))
		}
	}()
	m, err := b.Await(ctx, regexp.MustCompile(`serving (\S+)\n`), regexp.MustCompile(`admin on (\S+)`))
	if err != nil {
		t.Fatal(err)
	}
	if m[0][1] != "http://127.0.0.1:80/fhir" || m[1][1] != ":81" {
		t.Errorf("matches %q", m)
	}
	stopped, stop := context.WithCancel(context.Background())
	stop()
	if m, err := b.Await(stopped, regexp.MustCompile(`never`)); err == nil {
		t.Errorf("Await with nothing to match and a done context = %q", m)
	}
}
