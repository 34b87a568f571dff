package demotest

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ownerFile, in a folder TempDir made, holds the pid of the test process
// that made it.
const ownerFile = "demotest.owner"

var (
	dirs      []string
	dirsMu    sync.Mutex
	sweepOnce sync.Once
)

// TempDir makes a folder for what a test binary shares between its tests
// (a database file loaded once), removed by Cleanup: when the tests end,
// or on SIGINT, SIGTERM or SIGHUP through pgtest.Main. prefix starts the
// folder's name. The folders that test processes now gone left behind
// (killed, or stopped by go test's -timeout) are removed first.
func TempDir(prefix string) (string, error) {
	sweepOnce.Do(func() { sweep(os.TempDir()) })
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	dirsMu.Lock()
	dirs = append(dirs, dir)
	dirsMu.Unlock()
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return "", err
	}
	return dir, nil
}

// removeDirs removes the folders TempDir made.
func removeDirs() {
	dirsMu.Lock()
	defer dirsMu.Unlock()
	for _, d := range dirs {
		_ = os.RemoveAll(d)
	}
	dirs = nil
}

// sweep removes the folders of TempDir in tmp whose test process is gone.
func sweep(tmp string) {
	entries, _ := os.ReadDir(tmp)
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "ccfacade-") {
			continue
		}
		dir := filepath.Join(tmp, e.Name())
		b, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue // not one of TempDir's
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || alive(pid) {
			continue
		}
		_ = os.RemoveAll(dir)
	}
}

// alive tells whether the process of pid runs (a zombie, which has ended
// but whose parent has not reaped it, counts as gone).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	if err := p.Signal(syscall.Signal(0)); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // no /proc: assume it runs
	}
	// The state follows the command's closing parenthesis.
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
