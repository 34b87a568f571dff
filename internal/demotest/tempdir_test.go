package demotest_test

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/internal/dbtest"
	"github.com/ccfacade/ccfacade/internal/demotest"
)

// envHelper makes the test binary a helper process of
// TestTempDirsGoWithTheProcess: "dir" makes a folder with TempDir, prints
// it and waits until its standard input closes; "sweep" makes one and
// ends.
const envHelper = "CCFACADE_DEMOTEST_HELPER"

func TestHelperProcess(t *testing.T) {
	switch os.Getenv(envHelper) {
	case "dir", "sweep":
		dir, err := demotest.TempDir("ccfacade-demotest-")
		if err != nil {
			t.Fatal(err)
		}
		if os.Getenv(envHelper) == "dir" {
			dbtest.Announce("DIR " + dir)
		}
	default:
		t.Skip("a helper process of TestTempDirsGoWithTheProcess")
	}
}

// helper starts the test binary as a helper process of the given mode
// (see dbtest.StartHelper) with tmp as its temporary folder.
func helper(t *testing.T, mode, tmp string) (*exec.Cmd, io.WriteCloser, *bufio.Scanner) {
	t.Helper()
	return dbtest.StartHelper(t, envHelper, mode, tmp)
}

// dirOf waits (generously) for the helper's line that names its folder.
func dirOf(t *testing.T, out *bufio.Scanner) string {
	t.Helper()
	return dbtest.HelperLine(t, out, "DIR ", 2*time.Minute, "the folder it made")
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
	if os.Getenv(envHelper) != "" {
		t.Skip("in a helper process")
	}
	t.Run("SIGTERM", func(t *testing.T) {
		tmp := t.TempDir()
		cmd, _, out := helper(t, "dir", tmp)
		dir := dirOf(t, out)
		if !exists(t, dir) {
			t.Fatalf("the helper's folder %s is not there", dir)
		}
		dbtest.Terminate(t, cmd)
		if exists(t, dir) {
			t.Errorf("the folder %s outlived its process's SIGTERM", dir)
		}
	})
	t.Run("SIGKILL then the next one sweeps", func(t *testing.T) {
		tmp := t.TempDir()
		cmd, _, out := helper(t, "dir", tmp)
		dir := dirOf(t, out)
		dbtest.Kill(t, cmd)
		if !exists(t, dir) {
			t.Fatal("the folder went with a SIGKILL: nothing left for the sweep to do")
		}
		// Neither a folder of another kind nor one whose process runs is
		// swept.
		other := tmp + "/ccfacade-other"
		if err := os.Mkdir(other, 0o755); err != nil {
			t.Fatal(err)
		}
		live, stdin, liveOut := helper(t, "dir", tmp)
		liveDir := dirOf(t, liveOut)
		next, nextIn, _ := helper(t, "sweep", tmp)
		nextIn.Close()
		if err := next.Wait(); err != nil {
			t.Fatalf("the next test process: %v", err)
		}
		if exists(t, dir) {
			t.Errorf("the next test process left %s, whose process was killed", dir)
		}
		if !exists(t, other) || !exists(t, liveDir) {
			t.Errorf("the sweep removed a folder not TempDir's (%v) or one whose process runs (%v)", !exists(t, other), !exists(t, liveDir))
		}
		stdin.Close()
		if err := live.Wait(); err != nil {
			t.Errorf("the live helper: %v", err)
		}
		if exists(t, liveDir) {
			t.Errorf("the folder %s outlived its process's end", liveDir)
		}
	})
}
