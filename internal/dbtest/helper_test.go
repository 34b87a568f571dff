package dbtest

import (
	"bufio"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// HelperLine gives the rest of the first line with the prefix; output
// that ends without one fails the test, showing what the helper wrote.
func TestHelperLine(t *testing.T) {
	out := bufio.NewScanner(strings.NewReader("starting\nDIR /tmp/x\nDIR /tmp/y\n"))
	if got := HelperLine(t, out, "DIR ", time.Minute, "its folder"); got != "/tmp/x" {
		t.Errorf("HelperLine = %q, want /tmp/x", got)
	}
	r := &fatalfT{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		HelperLine(r, bufio.NewScanner(strings.NewReader("starting\nfailed: no room\n")), "DIR ", time.Minute, "its folder")
	}()
	<-done
	if want := "the helper ended without a line \"DIR \" (its folder); it wrote:\nstarting\nfailed: no room"; r.msg != want {
		t.Errorf("Fatalf(%q), want %q", r.msg, want)
	}
}

// fatalfT records Fatalf's message and ends the goroutine, as testing.T
// does.
type fatalfT struct {
	testing.TB
	msg string
}

func (f *fatalfT) Helper() {}

func (f *fatalfT) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
