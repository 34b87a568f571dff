package dbtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv is the variable that makes a test binary a helper process,
// saying its mode.
const helperEnv = "CCFACADE_TEST_HELPER"

// HelperMode is the mode of this test binary when StartHelper started it
// as a helper process, else "": a package's TestHelperProcess does what
// the mode says, and its other tests skip in a helper.
func HelperMode() string { return os.Getenv(helperEnv) }

// A Helper is a helper process that StartHelper started: its standard
// input, which it waits on (see Announce), and its standard output.
type Helper struct {
	Cmd   *exec.Cmd
	Stdin io.WriteCloser
	Out   *bufio.Scanner
}

// StartHelper starts the test binary again as a helper process of a test
// that shows what a process leaves behind when it ends: it runs only the
// package's TestHelperProcess, with HelperMode mode, TMPDIR tmp, and the
// variables named in unset removed. The process is killed, if still
// running, and waited for when the test ends.
func StartHelper(t testing.TB, mode, tmp string, unset ...string) *Helper {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	drop := append([]string{helperEnv, "TMPDIR"}, unset...)
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !slices.Contains(drop, k) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, helperEnv+"="+mode, "TMPDIR="+tmp)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return &Helper{Cmd: cmd, Stdin: stdin, Out: bufio.NewScanner(stdout)}
}

// Announce is what a helper writes once it holds what its test looks at:
// a line for HelperLine to read; then it waits until the test closes its
// standard input (or ends it).
func Announce(line string) {
	fmt.Println(line)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// HelperLine waits, up to within, for the first line of a helper's output
// that starts with prefix, and returns the rest of it. A helper that ends
// without one, or does not write it in time, fails the test: what says
// what the line was to show.
func HelperLine(t testing.TB, out *bufio.Scanner, prefix string, within time.Duration, what string) string {
	t.Helper()
	type found struct {
		rest string
		ok   bool
		seen []string
	}
	ch := make(chan found, 1)
	go func() {
		var f found
		for out.Scan() {
			f.seen = append(f.seen, out.Text())
			if f.rest, f.ok = strings.CutPrefix(out.Text(), prefix); f.ok {
				break
			}
		}
		ch <- f
	}()
	select {
	case f := <-ch:
		if !f.ok {
			t.Fatalf("the helper ended without a line %q (%s); it wrote:\n%s", prefix, what, strings.Join(f.seen, "\n"))
		}
		return f.rest
	case <-time.After(within):
		t.Fatalf("the helper wrote no line %q (%s) within %v", prefix, what, within)
	}
	return ""
}

// Terminate sends a helper SIGTERM and waits for it to end, which it
// must do as pgtest.Main makes a test process end on the signal: with
// exit status 128+15.
func Terminate(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Errorf("the helper ended with %v, want exit status %d", err, 128+int(syscall.SIGTERM))
	}
}

// Kill ends a helper with SIGKILL, which nothing can catch, and waits for
// it.
func Kill(t testing.TB, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}
