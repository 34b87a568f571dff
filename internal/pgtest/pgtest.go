package pgtest

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/internal/dbtest"
	"github.com/lib/pq" // the driver, for set-up only
)

// EnvDSN names the server to use; EnvRequire=1 turns skips into failures.
const (
	EnvDSN     = "CCFACADE_TEST_PG_DSN"
	EnvRequire = "CCFACADE_REQUIRE_PG"
)

var (
	once       sync.Once
	server     = dbtest.Server{Name: "PostgreSQL", EnvDSN: EnvDSN, EnvRequire: EnvRequire, Example: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"}
	shared     *Cluster
	mainCalled bool
)

// Main first removes the clusters that test processes now gone left
// behind, then runs the tests, then the cleanups, then stops the clusters
// this package started, and exits. Call it from TestMain. On SIGINT,
// SIGTERM or SIGHUP it runs the cleanups (for up to 10 s), stops the
// clusters (the shared one and those of NewCluster) and removes their
// folders, and exits with 128 plus
// the signal's number, as a shell reports a process the signal ended.
func Main(m *testing.M, cleanups ...func()) {
	mainCalled = true
	sweep(os.TempDir())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sig
		// The cleanups (databases made on a shared server, folders) are
		// given a while to run; a cleanup stuck behind a test still
		// running does not keep the process alive.
		done := make(chan struct{})
		go func() {
			for _, c := range cleanups {
				c()
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
		}
		stopAll()
		n, _ := s.(syscall.Signal)
		os.Exit(128 + int(n))
	}()
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	stopAll()
	os.Exit(code)
}

var (
	// starting is held while a cluster starts, so that stopAll, on a
	// signal, waits for a cluster being started and stops it too.
	starting sync.Mutex
	liveMu   sync.Mutex
	live     = map[*Cluster]bool{} // the clusters started and not stopped
)

// stopAll stops every cluster this process started and removes their
// folders.
func stopAll() {
	starting.Lock()
	defer starting.Unlock()
	liveMu.Lock()
	var cs []*Cluster
	for c := range live {
		cs = append(cs, c)
	}
	liveMu.Unlock()
	for _, c := range cs {
		c.stop()
	}
}

// DSN returns the DSN of a PostgreSQL server's maintenance database (a
// superuser's, able to create databases), or skips the test.
func DSN(t testing.TB) string {
	t.Helper()
	once.Do(setup)
	return server.Need(t)
}

// FreshDB creates an empty, uniquely named database for the test, drops
// it when the test ends, and returns its DSN.
func FreshDB(t testing.TB) string {
	t.Helper()
	return dbtest.FreshDB(t, DSN(t), CreateDB, DropDB)
}

// CreateDB creates an empty database named prefix_<pid>_<n>_<time> on the
// server of base and returns its DSN. prefix should be a lower-case name.
func CreateDB(base, prefix string) (string, error) {
	name := dbtest.Name(prefix)
	if err := dbtest.Exec("postgres", base, "CREATE DATABASE "+pq.QuoteIdentifier(name)); err != nil {
		return "", fmt.Errorf("create test database %s: %w", name, adapters.RedactError(err, base))
	}
	return withDB(base, name), nil
}

// DropDB drops the database of dsn, made by CreateDB on the server of
// base, closing its connections first. Errors are ignored: it is cleanup.
func DropDB(base, dsn string) {
	name := dbName(dsn)
	if name == "" {
		return
	}
	drop := "DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name)
	if dbtest.Exec("postgres", base, drop+" WITH (FORCE)") != nil {
		_ = dbtest.Exec("postgres", base, drop) // before PostgreSQL 13
	}
}

var kvDBName = regexp.MustCompile(`(?:^|\s)dbname\s*=\s*(\S+)`)

func dbName(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		return strings.TrimPrefix(u.Path, "/")
	}
	m := kvDBName.FindAllStringSubmatch(dsn, -1)
	if len(m) == 0 {
		return ""
	}
	return strings.Trim(m[len(m)-1][1], "'")
}

func withDB(base, name string) string {
	if u, err := url.Parse(base); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + name
		return u.String()
	}
	return base + " dbname=" + name // the last dbname wins
}

func setup() {
	if server.FromEnv(ping) {
		return
	}
	initdb, pgctl := findBinary("initdb"), findBinary("pg_ctl")
	if initdb == "" || pgctl == "" {
		server.Why = EnvDSN + " is not set and initdb/pg_ctl are not installed"
		return
	}
	if !mainCalled {
		server.Why, server.Broken = "pgtest would start a PostgreSQL cluster, but this package's TestMain does not call pgtest.Main to stop it", true
		return
	}
	c, err := startCluster(initdb, pgctl)
	if err != nil {
		server.Why = EnvDSN + " is not set and a throwaway cluster could not be started: " + err.Error()
		return
	}
	server.DSN, shared = c.DSN, c
}

// mainCluster is the cluster DSN started, if it started one.
func mainCluster() *Cluster { return shared }

// sweep stops and removes the clusters in the folder tmp whose test
// process is gone.
func sweep(tmp string) {
	pgctl := findBinary("pg_ctl")
	run, err := runner()
	if pgctl == "" || err != nil {
		return
	}
	reapStale(pgctl, run, tmp)
}

// Cluster is a throwaway PostgreSQL server of one test's own, for tests
// that stop or restart the server.
type Cluster struct {
	DSN     string // the postgres database, as the superuser postgres
	dir     string // its folder: data/, the socket, the log and owner.pid
	halt    func()
	once    sync.Once
	restart func() error
}

// stop stops the server and removes its folder, once.
func (c *Cluster) stop() {
	c.once.Do(func() {
		c.halt()
		liveMu.Lock()
		delete(live, c)
		liveMu.Unlock()
	})
}

// Restart stops the server (fast: sessions are ended) and starts it again
// on the same port.
func (c *Cluster) Restart() error { return c.restart() }

// NewCluster starts a cluster for the test and stops it when the test
// ends. Without initdb and pg_ctl the test is skipped, or fails under
// CCFACADE_REQUIRE_PG=1.
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	initdb, pgctl := findBinary("initdb"), findBinary("pg_ctl")
	if initdb == "" || pgctl == "" {
		msg := "initdb/pg_ctl are not installed: this test needs a PostgreSQL server of its own"
		if os.Getenv(EnvRequire) == "1" {
			t.Fatal(msg + ", and " + EnvRequire + "=1 requires it")
		}
		t.Skip(msg)
	}
	c, err := startCluster(initdb, pgctl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop)
	return c
}

// ping reaches the server of dsn; its error hides the password.
func ping(dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return adapters.RedactError(err, dsn)
	}
	defer db.Close()
	return adapters.RedactError(db.Ping(), dsn)
}

// findBinary finds a PostgreSQL program on PATH or, failing that, in the
// newest /usr/lib/postgresql/<version>/bin.
func findBinary(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	version := func(p string) float64 {
		v, _ := strconv.ParseFloat(filepath.Base(filepath.Dir(filepath.Dir(p))), 64)
		return v
	}
	sort.Slice(matches, func(i, j int) bool { return version(matches[i]) < version(matches[j]) })
	if len(matches) > 0 {
		return matches[len(matches)-1]
	}
	return ""
}

// clusterPrefix starts the name of a throwaway cluster's directory.
const clusterPrefix = "ccfacade-pg-"

// startCluster runs initdb and pg_ctl in a temporary directory, as the
// postgres user when running as root (initdb refuses root), and adds the
// cluster to those stopAll stops.
func startCluster(initdb, pgctl string) (*Cluster, error) {
	starting.Lock()
	defer starting.Unlock()
	run, err := runner()
	if err != nil {
		return nil, err
	}
	var owner *user.User
	if os.Geteuid() == 0 {
		owner, _ = user.Lookup("postgres")
	}
	reapStale(pgctl, run, os.TempDir())
	dir, err := os.MkdirTemp("", clusterPrefix)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	if owner != nil {
		uid, _ := strconv.Atoi(owner.Uid)
		gid, _ := strconv.Atoi(owner.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	// UTF-8 whatever the environment's locale; C.UTF-8 where the system
	// has it, so that lower() folds more than ASCII.
	for _, locale := range []string{"C.UTF-8", "C"} {
		out, err := run(initdb, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale="+locale).CombinedOutput()
		if err == nil {
			break
		}
		if locale == "C" {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("initdb: %v: %s", err, out)
		}
		_ = run("rm", "-rf", data).Run()
	}
	for attempt := 0; ; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		opts := fmt.Sprintf("-p %d -k %s -h 127.0.0.1 -F", port, dir)
		out, err := run(pgctl, "-D", data, "-o", opts, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "start").CombinedOutput()
		if err == nil {
			c := &Cluster{
				dir: dir,
				DSN: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port),
				halt: func() {
					_ = run(pgctl, "-D", data, "-m", "immediate", "stop").Run()
					os.RemoveAll(dir)
				},
				restart: func() error {
					if out, err := run(pgctl, "-D", data, "-l", filepath.Join(dir, "log"), "-m", "fast", "-w", "-t", "60", "restart").CombinedOutput(); err != nil {
						return fmt.Errorf("pg_ctl restart: %v: %s", err, out)
					}
					return nil
				},
			}
			liveMu.Lock()
			live[c] = true
			liveMu.Unlock()
			return c, nil
		}
		if attempt == 2 {
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pg_ctl start: %v: %s%s", err, out, log)
		}
	}
}

// runner runs PostgreSQL's programs: as the postgres user when running as
// root (initdb refuses root), through runuser.
func runner() (func(args ...string) *exec.Cmd, error) {
	if os.Geteuid() != 0 {
		return func(args ...string) *exec.Cmd { return exec.Command(args[0], args[1:]...) }, nil
	}
	if _, err := user.Lookup("postgres"); err != nil {
		return nil, errors.New("running as root, which initdb refuses, and there is no postgres user to run it as")
	}
	runuser, err := exec.LookPath("runuser")
	if err != nil {
		return nil, errors.New("running as root, which initdb refuses, and runuser is not available to run it as postgres")
	}
	return func(args ...string) *exec.Cmd {
		return exec.Command(runuser, append([]string{"-u", "postgres", "--"}, args...)...)
	}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// reapStale stops and removes the throwaway clusters in the folder tmp
// whose test binary is gone (killed, or timed out, before Main could stop
// them).
func reapStale(pgctl string, run func(args ...string) *exec.Cmd, tmp string) {
	dirs, _ := filepath.Glob(filepath.Join(tmp, clusterPrefix+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || alive(pid) {
			continue
		}
		_ = run(pgctl, "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop").Run()
		os.RemoveAll(dir)
	}
}

// alive reports whether a process runs: it exists and, where /proc tells,
// is not a zombie (ended, waiting for its parent to read its status).
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
		// pid (comm) state ...: comm may hold spaces and parentheses.
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) {
			return b[i+2] != 'Z'
		}
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || errors.Is(err, syscall.EPERM)
}

// Unaccent installs the unaccent extension in the database of dsn, so
// that string search there ignores accents as the facade's users would set
// it up.
func Unaccent(dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Exec("CREATE EXTENSION IF NOT EXISTS unaccent"); err != nil {
		return fmt.Errorf("the unaccent extension (PostgreSQL's contrib modules) is needed by the tests: %w", err)
	}
	return nil
}
