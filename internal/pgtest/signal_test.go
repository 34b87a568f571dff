package pgtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envHelper makes the test binary a helper process of
// TestThrowawayClusterEnds: "cluster" starts a throwaway cluster, prints
// where it is and waits until its standard input closes; "none" does
// nothing (Main's startup sweep is what runs).
const envHelper = "CCFACADE_PGTEST_HELPER"

func TestHelperProcess(t *testing.T) {
	switch os.Getenv(envHelper) {
	case "cluster":
		DSN(t)
		c := mainCluster()
		if c == nil {
			t.Fatal("no throwaway cluster was started")
		}
		pid, err := postmasterPID(c.dir)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("CLUSTER %d %s\n", pid, c.dir)
		_, _ = io.Copy(io.Discard, os.Stdin)
	case "none":
	default:
		t.Skip("a helper process of TestThrowawayClusterEnds")
	}
}

// postmasterPID reads the postmaster's pid from a cluster's folder.
func postmasterPID(dir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

// helperTmp is a temporary folder of the test's own for the helpers'
// clusters, where no other test process sweeps (the postgres user can
// reach it).
func helperTmp(t *testing.T) string {
	t.Helper()
	tmp, err := os.MkdirTemp("", "ccfacade-pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	return tmp
}

// helper starts the test binary as a helper process of the given mode,
// with tmp as its temporary folder and without CCFACADE_TEST_PG_DSN, so
// that it starts a cluster of its own there.
func helper(t *testing.T, mode, tmp string) (*exec.Cmd, io.WriteCloser, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != EnvDSN && k != envHelper && k != "TMPDIR" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, envHelper+"="+mode, "TMPDIR="+tmp)
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
	// Whatever the test finds, the helper ends and its cluster, whose
	// owner is then gone, is swept.
	t.Cleanup(func() { stdin.Close(); _ = cmd.Process.Kill(); _ = cmd.Wait(); sweep(tmp) })
	return cmd, stdin, bufio.NewScanner(stdout)
}

// clusterOf waits (generously) for the helper's line that says where its
// cluster is.
func clusterOf(t *testing.T, out *bufio.Scanner) (int, string) {
	t.Helper()
	type found struct {
		pid  int
		dir  string
		seen []string
	}
	ch := make(chan found, 1)
	go func() {
		var f found
		for out.Scan() {
			line := out.Text()
			f.seen = append(f.seen, line)
			if rest, ok := strings.CutPrefix(line, "CLUSTER "); ok {
				p, d, _ := strings.Cut(rest, " ")
				f.pid, _ = strconv.Atoi(p)
				f.dir = d
				break
			}
		}
		ch <- f
	}()
	select {
	case f := <-ch:
		if f.dir == "" {
			t.Fatalf("the helper started no cluster: %s", strings.Join(f.seen, "\n"))
		}
		return f.pid, f.dir
	case <-time.After(3 * time.Minute):
		t.Fatal("the helper did not start its cluster within 3 minutes")
	}
	return 0, ""
}

// waitGone waits (generously) until the postmaster has ended and the
// cluster's folder is removed.
func waitGone(t *testing.T, pid int, dir string, after string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, err := os.Stat(dir)
		gone := errors.Is(err, os.ErrNotExist)
		if !alive(pid) && gone {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the postmaster (pid %d) runs: %v; the folder %s is still there: %v", after, pid, alive(pid), dir, !gone)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A throwaway cluster ends with its test process: on SIGTERM the process
// stops the cluster and removes its folder; after a SIGKILL, which nothing
// can catch, the next test process's startup sweep does it.
func TestThrowawayClusterEnds(t *testing.T) {
	if os.Getenv(envHelper) != "" {
		t.Skip("in a helper process")
	}
	if findBinary("initdb") == "" || findBinary("pg_ctl") == "" {
		t.Skip("initdb/pg_ctl are not installed: no throwaway cluster to test")
	}
	t.Run("SIGTERM", func(t *testing.T) {
		tmp := helperTmp(t)
		cmd, _, out := helper(t, "cluster", tmp)
		pid, dir := clusterOf(t, out)
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		err := cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 128+int(syscall.SIGTERM) {
			t.Errorf("the helper ended with %v, want exit status %d", err, 128+int(syscall.SIGTERM))
		}
		waitGone(t, pid, dir, "after SIGTERM")
		if _, err := os.Stat(filepath.Join(tmp, cleanedMark)); err != nil {
			t.Errorf("the cleanups given to Main did not run on SIGTERM: %v", err)
		}
	})
	t.Run("SIGKILL then the next start sweeps", func(t *testing.T) {
		tmp := helperTmp(t)
		cmd, _, out := helper(t, "cluster", tmp)
		pid, dir := clusterOf(t, out)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if !alive(pid) {
			t.Fatal("the postmaster ended with its owner's SIGKILL: nothing left for the sweep to do")
		}
		next, stdin, _ := helper(t, "none", tmp)
		stdin.Close()
		if err := next.Wait(); err != nil {
			t.Fatalf("the next test process: %v", err)
		}
		waitGone(t, pid, dir, "after the next test process started")
	})
}
