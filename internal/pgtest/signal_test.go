package pgtest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/internal/dbtest"
)

// TestHelperProcess is a helper process of TestThrowawayClusterEnds (see
// dbtest.StartHelper): "cluster" starts a throwaway cluster, prints where
// it is and waits until its standard input closes; "none" does nothing
// (Main's startup sweep is what runs).
func TestHelperProcess(t *testing.T) {
	switch dbtest.HelperMode() {
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
		dbtest.Announce(fmt.Sprintf("CLUSTER %d %s", pid, c.dir))
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

// helper starts the test binary as a helper process of the given mode
// (see dbtest.StartHelper), with tmp as its temporary folder and without
// CCFACADE_TEST_PG_DSN, so that it starts a cluster of its own there.
// Whatever the test finds, the helper ends and its cluster, whose owner
// is then gone, is swept.
func helper(t *testing.T, mode, tmp string) *dbtest.Helper {
	t.Helper()
	t.Cleanup(func() { sweep(tmp) }) // after the helper's end, which is registered later
	return dbtest.StartHelper(t, mode, tmp, EnvDSN)
}

// clusterOf waits (generously) for the helper's line that says where its
// cluster is.
func clusterOf(t *testing.T, h *dbtest.Helper) (int, string) {
	t.Helper()
	p, dir, _ := strings.Cut(dbtest.HelperLine(t, h.Out, "CLUSTER ", 3*time.Minute, "where its cluster is"), " ")
	pid, err := strconv.Atoi(p)
	if err != nil || dir == "" {
		t.Fatalf("the helper's line CLUSTER %s %s does not give a pid and a folder", p, dir)
	}
	return pid, dir
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
	if dbtest.HelperMode() != "" {
		t.Skip("in a helper process")
	}
	if findBinary("initdb") == "" || findBinary("pg_ctl") == "" {
		t.Skip("initdb/pg_ctl are not installed: no throwaway cluster to test")
	}
	t.Run("SIGTERM", func(t *testing.T) {
		tmp := helperTmp(t)
		h := helper(t, "cluster", tmp)
		pid, dir := clusterOf(t, h)
		dbtest.Terminate(t, h.Cmd)
		waitGone(t, pid, dir, "after SIGTERM")
		if _, err := os.Stat(filepath.Join(tmp, cleanedMark)); err != nil {
			t.Errorf("the cleanups given to Main did not run on SIGTERM: %v", err)
		}
	})
	t.Run("SIGKILL then the next start sweeps", func(t *testing.T) {
		tmp := helperTmp(t)
		h := helper(t, "cluster", tmp)
		pid, dir := clusterOf(t, h)
		dbtest.Kill(t, h.Cmd)
		if !alive(pid) {
			t.Fatal("the postmaster ended with its owner's SIGKILL: nothing left for the sweep to do")
		}
		next := helper(t, "none", tmp)
		next.Stdin.Close()
		if err := next.Cmd.Wait(); err != nil {
			t.Fatalf("the next test process: %v", err)
		}
		waitGone(t, pid, dir, "after the next test process started")
	})
}
