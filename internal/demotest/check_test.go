package demotest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/internal/demotest"
)

// Changed wakes a waiter at the next write, and not before: a test that
// takes it, looks at the text, and waits on it misses no write.
func TestBufferChanged(t *testing.T) {
	var b demotest.Buffer
	changed := b.Changed()
	select {
	case <-changed:
		t.Fatal("Changed is closed before any write")
	default:
	}
	if b.Changed() != changed {
		t.Error("two calls before a write give two channels")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Write([]byte("serving http://127.0.0.1:80/fhir\n"))
	}()
	select {
	case <-changed:
	case <-time.After(2 * time.Minute):
		t.Fatal("a write did not close Changed")
	}
	<-done
	if !strings.Contains(b.String(), "serving") {
		t.Errorf("the buffer holds %q", b.String())
	}
	select {
	case <-b.Changed():
		t.Error("Changed after the last write is already closed")
	default:
	}
}
