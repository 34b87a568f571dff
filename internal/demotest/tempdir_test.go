package demotest_test

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/internal/dbtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// TestHelperProcess is a helper process of TestTempDirsGoWithTheProcess
// (see dbtest.StartHelper): "dir" makes a folder with TempDir, prints it
// and waits until its standard input closes; "sweep" makes one and ends.
func TestHelperProcess(t *testing.T) {
	switch mode := dbtest.HelperMode(); mode {
	case "dir", "sweep":
		dir, err := demotest.TempDir("ccfacade-demotest-")
		if err != nil {
			t.Fatal(err)
		}
		if mode == "dir" {
			dbtest.Announce("DIR " + dir)
		}
	default:
		t.Skip("a helper process of TestTempDirsGoWithTheProcess")
	}
}

// helper starts the test binary as a helper process of the given mode
// (see dbtest.StartHelper) with tmp as its temporary folder.
func helper(t *testing.T, mode, tmp string) *dbtest.Helper {
	t.Helper()
	return dbtest.StartHelper(t, mode, tmp)
}

// dirOf waits (generously) for the helper's line that names its folder.
func dirOf(t *testing.T, h *dbtest.Helper) string {
	t.Helper()
	return dbtest.HelperLine(t, h.Out, "DIR ", 2*time.Minute, "the folder it made")
}

func exists(t *testing.T, dir string) bool {
	t.Helper()
	_, err := os.Stat(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return err == nil
}

// The folders of TempDir go with their test process: on SIGTERM through
// pgtest.Main's cleanups, which TestMain gives Cleanup; after a SIGKILL,
// which nothing can catch, the next test process that makes one removes
// them.
func TestTempDirsGoWithTheProcess(t *testing.T) {
	if dbtest.HelperMode() != "" {
		t.Skip("in a helper process")
	}
	t.Run("SIGTERM", func(t *testing.T) {
		tmp := t.TempDir()
		h := helper(t, "dir", tmp)
		dir := dirOf(t, h)
		if !exists(t, dir) {
			t.Fatalf("the helper's folder %s is not there", dir)
		}
		dbtest.Terminate(t, h.Cmd)
		if exists(t, dir) {
			t.Errorf("the folder %s outlived its process's SIGTERM", dir)
		}
	})
	t.Run("SIGKILL then the next one sweeps", func(t *testing.T) {
		tmp := t.TempDir()
		h := helper(t, "dir", tmp)
		dir := dirOf(t, h)
		dbtest.Kill(t, h.Cmd)
		if !exists(t, dir) {
			t.Fatal("the folder went with a SIGKILL: nothing left for the sweep to do")
		}
		// Neither a folder of another kind nor one whose process runs is
		// swept.
		other := tmp + "/ccfacade-other"
		if err := os.Mkdir(other, 0o755); err != nil {
			t.Fatal(err)
		}
		live := helper(t, "dir", tmp)
		liveDir := dirOf(t, live)
		next := helper(t, "sweep", tmp)
		next.Stdin.Close()
		if err := next.Cmd.Wait(); err != nil {
			t.Fatalf("the next test process: %v", err)
		}
		if exists(t, dir) {
			t.Errorf("the next test process left %s, whose process was killed", dir)
		}
		if !exists(t, other) || !exists(t, liveDir) {
			t.Errorf("the sweep removed a folder not TempDir's (%v) or one whose process runs (%v)", !exists(t, other), !exists(t, liveDir))
		}
		live.Stdin.Close()
		if err := live.Cmd.Wait(); err != nil {
			t.Errorf("the live helper: %v", err)
		}
		if exists(t, liveDir) {
			t.Errorf("the folder %s outlived its process's end", liveDir)
		}
	})
}
