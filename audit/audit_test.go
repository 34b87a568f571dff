package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func record(i int) Record {
	return Record{Time: time.Now().UTC(), RequestID: fmt.Sprintf("r%06d", i), Interaction: "read", Path: "/fhir/Patient/" + strconv.Itoa(i),
		Patients: []string{strconv.Itoa(i)}, Status: 200, Outcome: "success"}
}

// openTrail opens a file sink for the test, closed when it ends.
func openTrail(t *testing.T, path string, maxBytes int64, keep int) *File {
	t.Helper()
	s, err := OpenFile(path, maxBytes, keep)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// write writes record(i) to s, and fails the test if it cannot.
func write(t *testing.T, s *File, i int) {
	t.Helper()
	if err := s.Write(record(i)); err != nil {
		t.Fatal(err)
	}
}

// lines reads a JSON-lines file; every line must be a whole record.
func lines(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Errorf("%s ends in a partial line: %q", path, tail(data))
	}
	var out []Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Errorf("%s: an unparseable line %q: %v", path, tail(sc.Bytes()), err)
			continue
		}
		out = append(out, r)
	}
	return out
}

func tail(b []byte) string {
	if len(b) > 80 {
		b = b[len(b)-80:]
	}
	return string(b)
}

// fillChildEnv marks the child process of TestNoFragmentWhenTheDiskFills.
const fillChildEnv = "CCFACADE_AUDIT_FILL_CHILD"

// A write that fails part-way leaves no fragment, and the next record
// after space returns is whole. The "disk" is filled for real: a child
// process runs with a file size limit (RLIMIT_FSIZE), so the kernel
// accepts part of a write and then refuses the rest, as on a full disk.
func TestNoFragmentWhenTheDiskFills(t *testing.T) {
	if path := os.Getenv(fillChildEnv); path != "" {
		fillChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoFragmentWhenTheDiskFills$", "-test.v")
	cmd.Env = append(os.Environ(), fillChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var ok, failed int
	for _, l := range strings.Split(string(out), "\n") {
		if _, err := fmt.Sscanf(l, "written %d failed %d", &ok, &failed); err == nil {
			break
		}
	}
	if failed == 0 {
		t.Fatalf("no write failed under the size limit:\n%s", out)
	}
	recs := lines(t, path)
	if len(recs) != ok {
		t.Errorf("%d records in the file, %d writes reported success", len(recs), ok)
	}
}

// A file truncated in place (logrotate's copytruncate) is written on from
// its real end: its size is read again, so a failed write is cut back to
// that (not to the old size, which would pad the file with NULs) and the
// file rotates by what it holds.
func TestTruncatedInPlace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	one, _ := json.Marshal(record(1))
	s := openTrail(t, path, int64(15*(len(one)+1)), 2)
	for i := 0; i < 10; i++ {
		s.Write(record(i))
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 20; i++ {
		write(t, s, i)
	}
	if _, err := os.Stat(path + ".1"); err == nil {
		t.Error("the file rotated by its size before it was truncated")
	}
	data, _ := os.ReadFile(path)
	if bytes.IndexByte(data, 0) >= 0 || len(lines(t, path)) != 10 {
		t.Errorf("after copytruncate: %d records, NULs: %v", len(lines(t, path)), bytes.IndexByte(data, 0) >= 0)
	}
}

func fillChild(path string) {
	signal.Ignore(syscall.SIGXFSZ) // write returns EFBIG instead of killing the process
	s, err := OpenFile(path, 1<<30, 2)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		fmt.Println("getrlimit:", err)
		os.Exit(2)
	}
	lim := old
	lim.Cur = 5000 // not a multiple of a record's length: some write is cut short
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		os.Exit(2)
	}
	ok, failed := 0, 0
	for i := 0; i < 200 && failed < 3; i++ {
		if err := s.Write(record(i)); err != nil {
			failed++
		} else {
			ok++
		}
	}
	// Space returns: the next record is written whole, after the others.
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &old); err != nil {
		fmt.Println("setrlimit:", err)
		os.Exit(2)
	}
	if err := s.Write(record(999)); err != nil {
		fmt.Println("write after space returned:", err)
		os.Exit(2)
	}
	ok++
	fmt.Printf("written %d failed %d\n", ok, failed)
}

// A record after the file was renamed away or deleted goes to a new file
// at the path, not to the moved or unlinked one.
func TestReopenAfterRenameOrDelete(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.jsonl")
	s := openTrail(t, path, 1<<30, 2)
	write(t, s, 1)
	if err := os.Rename(path, path+".rotated"); err != nil {
		t.Fatal(err)
	}
	write(t, s, 2)
	if got := lines(t, path); len(got) != 1 || got[0].RequestID != "r000002" {
		t.Errorf("after a rename, the file at the path holds %+v", got)
	}
	if got := lines(t, path+".rotated"); len(got) != 1 || got[0].RequestID != "r000001" {
		t.Errorf("the renamed file holds %+v", got)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	write(t, s, 3)
	if got := lines(t, path); len(got) != 1 || got[0].RequestID != "r000003" {
		t.Errorf("after a delete, the file at the path holds %+v", got)
	}
}

// A partial last line left by a crash is cut off when the file is opened.
func TestOpenCutsAPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	whole, _ := json.Marshal(record(1))
	if err := os.WriteFile(path, append(append(whole, '\n'), `{"time":"2026-`...), 0o640); err != nil {
		t.Fatal(err)
	}
	s := openTrail(t, path, 1<<30, 2)
	write(t, s, 2)
	if got := lines(t, path); len(got) != 2 {
		t.Errorf("%d records, want 2", len(got))
	}
}

// Writable asks the disk for room without changing the trail, and a sink
// whose last write failed on a file that cannot be asked stays unwritable.
func TestWritableSeesFailedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	s := openTrail(t, path, 0, 0)
	write(t, s, 1)
	before, _ := os.ReadFile(path)
	if err := s.Writable(); err != nil {
		t.Errorf("a file on a disk with room: %v", err)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("the readiness probe changed the trail:\n%q\n%q", before, after)
	}
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full on this system")
	}
	full := openTrail(t, "/dev/full", 0, 0)
	if err := full.Write(record(2)); err == nil {
		t.Fatal("a write to /dev/full succeeded")
	}
	if err := full.Writable(); err == nil || !strings.Contains(err.Error(), "no space") {
		t.Errorf("after a failed write: Writable() = %v, want the write's error", err)
	}
}
