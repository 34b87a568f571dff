// Command bench measures the facade on PostgreSQL (and, with -backends,
// on MySQL or MariaDB beside it, at the same sizes) with the demo EPR,
// for every kind of interaction, at several concurrencies and database
// sizes, next to floors that show what the database itself costs:
//
//   - statements: the very statements the facade issued for each request
//     (captured from the engine, per request variant), replayed straight
//     through database/sql and the driver (lib/pq, go-sql-driver/mysql)
//     with the facade's connection settings, unprepared;
//   - prepared: the same, each statement prepared once per connection;
//   - one statement: for a read, a search by NHS number, the Observation
//     search and the chained search, a hand-written statement that returns
//     the same resources' JSON built by the database;
//   - HTTP alone: the facade's own responses served from memory by a bare
//     HTTP server to the same load generator (the transport's cost).
//
// It also reports the facade's allocations per request and per resource
// (the handler called in-process, without the load generator) and the
// process's peak resident memory per interaction. It writes Markdown to
// -out.
//
//	go run ./test/bench -patients 100000,1000000 -out docs/benchmarks.md
//	go run ./test/bench -backends postgres,mysql -patients 100000 -out docs/benchmarks.md
//
// The MySQL or MariaDB server is -mysql-dsn's (CCFACADE_BENCH_MYSQL_DSN,
// else CCFACADE_TEST_MYSQL_DSN, else root on 127.0.0.1:3306); its user
// must be able to create databases: each size gets one of its own,
// ccfacade_bench_<patients>, kept for the next run as on PostgreSQL.
package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/postgres"
	"github.com/ccfacade/ccfacade/catalog"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/mappingsets"
	"github.com/ccfacade/ccfacade/server"
	"github.com/lib/pq"
)

func main() {
	dsn := flag.String("dsn", envOr("CCFACADE_BENCH_PG_DSN", envOr("CCFACADE_TEST_PG_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")), "PostgreSQL maintenance DSN")
	mysqlDSN := flag.String("mysql-dsn", envOr("CCFACADE_BENCH_MYSQL_DSN", envOr("CCFACADE_TEST_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test")), "MySQL or MariaDB DSN of a user who may create databases")
	backendList := flag.String("backends", "postgres", "the databases to measure, in order: postgres, mysql (MySQL or MariaDB), comma-separated")
	sizes := flag.String("patients", "100000,1000000", "demo patients, one run per size")
	dur := flag.Duration("duration", 5*time.Second, "measuring time per cell")
	concs := flag.String("concurrency", "1,4,16,64", "concurrencies")
	only := flag.String("only", "", "measure only the interactions whose name matches this regular expression")
	out := flag.String("out", "", "write the results as Markdown here")
	memProfile := flag.String("memprofile", "", "write an allocation profile of the in-process requests (the allocations table) here")
	cpuProfile := flag.String("cpuprofile", "", "measure the facade only, and write a CPU profile of it (server and load generator) here")
	flag.Parse()
	if *memProfile != "" {
		runtime.MemProfileRate = 0 // only the in-process requests
		profileAllocs = true
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		profileTo = f
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
	}
	ctx := context.Background()
	filter := regexp.MustCompile(*only)
	backends, err := backendsNamed(ctx, *backendList, *dsn, *mysqlDSN)
	if err != nil {
		log.Fatal(err)
	}
	// Size by size, each backend in turn: the backends are compared at
	// one size before the next is loaded.
	var runs []*run
	for _, n := range parseInts(*sizes) {
		for _, be := range backends {
			r, err := measureSize(ctx, be, n, *dur, parseInts(*concs), filter)
			if err != nil {
				log.Fatalf("%s, %d patients: %v", be.label, n, err)
			}
			runs = append(runs, r)
		}
	}
	if profileTo != nil {
		pprof.StopCPUProfile()
		profileTo.Close()
	}
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	report := render(runs, backends, *dur)
	fmt.Print(report)
	if *out != "" {
		// The memory section (make bench-memory) is kept as it is.
		if old, err := os.ReadFile(*out); err == nil {
			if i := strings.Index(string(old), memorySection); i >= 0 {
				report = strings.TrimRight(report, "\n") + "\n" + string(old[i:])
			}
		}
		if err := os.WriteFile(*out, []byte(report), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// stmt is one statement the facade issued, with its arguments.
type stmt struct {
	sql  string
	args []any
}

// interaction is one kind of request.
type interaction struct {
	name string
	url  func(i int) string // the request for variant i
	n    int                // variants
	// oneStatement, when set, is the hand-written statement that returns
	// the same resources' JSON, and its arguments for variant i.
	oneStatement func(i int) (string, []any)
	variants     [][]stmt // the facade's statements per variant
	bare         [][]stmt // the same as the driver is handed them
}

// cell is one measurement.
type cell struct {
	rps      float64
	p50, p99 time.Duration
	errors   int64
}

// row is one interaction at one concurrency.
type row struct {
	name                             string
	conc                             int
	facade, stmts, prepared, oneStmt cell
	httpOnly                         cell // the same responses served from memory
}

// run is everything measured on one backend at one size.
type run struct {
	be           *backend
	patients     int
	rows         []row
	interactions []*interaction
	allocs       map[string][4]float64 // allocations and bytes per request, resources per request, µs in the handler per request
	rss          map[string]float64    // peak RSS MB during the interaction's facade cells
	loaded       string
}

func measureSize(ctx context.Context, be *backend, patients int, dur time.Duration, concs []int, filter *regexp.Regexp) (*run, error) {
	benchDSN, loaded, err := be.ensure(ctx, patients)
	if err != nil {
		return nil, err
	}
	db, err := be.open(ctx, benchDSN)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	set, err := mapping.LoadFS(mappingsets.Demo, "demo", "mappingsets/demo", time.UTC)
	if err != nil {
		return nil, err
	}
	cat, err := catalog.Load(ctx, set, db)
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	var mu sync.Mutex
	var captured []stmt
	capture := false
	eng, err := engine.New(cat, db, engine.Options{Logger: quiet, Trace: func(q string, args []any) {
		mu.Lock()
		defer mu.Unlock()
		if capture {
			captured = append(captured, stmt{q, append([]any(nil), args...)})
		}
	}})
	if err != nil {
		return nil, err
	}
	handler := server.New(server.Options{Engine: eng, Logger: quiet})
	addr, stop, err := serveLocal(handler)
	if err != nil {
		return nil, err
	}
	defer stop()
	base := addr + "/fhir"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}

	// Patients with an NHS number, in a random order.
	var ids, nhs []string
	_ = demo.Generate(demo.Options{Patients: patients, Seed: 1}, "PATIENT", func(row []any) error {
		if row[2] != nil {
			ids = append(ids, fmt.Sprint(row[0]))
			nhs = append(nhs, strings.ReplaceAll(fmt.Sprint(row[2]), " ", ""))
		}
		return nil
	})
	rnd := rand.New(rand.NewPCG(7, 7))
	rnd.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i]; nhs[i], nhs[j] = nhs[j], nhs[i] })
	const variants = 200
	nhsSystem := "https://fhir.nhs.uk/Id/nhs-number|"
	vital := strings.Join(set.Concepts["obs-category"].Reverse("http://hl7.org/fhir/observation-category", true, "vital-signs"), "','")
	its := []*interaction{
		{name: "Patient read by id", n: variants, url: func(i int) string { return base + "/Patient/" + ids[i] },
			oneStatement: func(i int) (string, []any) {
				return be.patientJSON + " WHERE p.PATIENT_ID = " + be.ph(1), []any{ids[i]}
			}},
		{name: "Patient search by NHS number", n: variants, url: func(i int) string {
			return base + "/Patient?identifier=" + url.QueryEscape(nhsSystem+nhs[i])
		}, oneStatement: func(i int) (string, []any) {
			return be.patientJSON + " WHERE REPLACE(REPLACE(p.NHS_NUMBER, ' ', ''), '-', '') = " + be.ph(1) + " ORDER BY p.PATIENT_ID LIMIT 51", []any{nhs[i]}
		}},
		{name: "Observation search by patient (_count=50)", n: variants, url: func(i int) string { return base + "/Observation?patient=" + ids[i] + "&_count=50" },
			oneStatement: func(i int) (string, []any) {
				return be.observationJSON + " WHERE o.PATIENT_ID = " + be.ph(1) + " ORDER BY o.OBS_ID LIMIT 51", []any{ids[i]}
			}},
		{name: "MedicationRequest search by patient (child collections)", n: variants, url: func(i int) string { return base + "/MedicationRequest?patient=" + ids[i] }},
		{name: "Chained search patient.identifier + category", n: variants, url: func(i int) string {
			return base + "/Observation?patient.identifier=" + url.QueryEscape(nhsSystem+nhs[i]) + "&category=vital-signs"
		}, oneStatement: func(i int) (string, []any) {
			return be.observationJSON + " WHERE o.PATIENT_ID IN (SELECT PATIENT_ID FROM PATIENT WHERE REPLACE(REPLACE(NHS_NUMBER, ' ', ''), '-', '') = " + be.ph(1) + ") AND o.OBS_CODE IN ('" + vital + "') ORDER BY o.OBS_ID LIMIT 51", []any{nhs[i]}
		}},
		{name: "$everything, first page", n: variants, url: func(i int) string { return base + "/Patient/" + ids[i] + "/$everything" }},
		{name: "_include (MedicationRequest → Medication)", n: variants, url: func(i int) string {
			return base + "/MedicationRequest?patient=" + ids[i] + "&_include=MedicationRequest:medication"
		}},
	}
	for _, depth := range []int{1, 100, 1000} {
		pages, err := walk(client, base+"/Patient?_count=50", depth, 50)
		if err != nil {
			return nil, err
		}
		if len(pages) == 0 {
			fmt.Fprintf(os.Stderr, "%d patients: there is no page %d of 50 patients; it is not measured\n", patients, depth)
			continue
		}
		its = append(its, &interaction{name: fmt.Sprintf("Patient page %d (_count=50)", depth), n: len(pages), url: func(i int) string { return pages[i] }})
	}
	var kept []*interaction
	for _, it := range its {
		if filter.MatchString(it.name) {
			kept = append(kept, it)
		}
	}
	r := &run{be: be, patients: patients, interactions: kept, allocs: map[string][4]float64{}, rss: map[string]float64{}, loaded: loaded}
	// The statements of every variant.
	for _, it := range kept {
		it.variants = make([][]stmt, it.n)
		it.bare = make([][]stmt, it.n)
		for v := 0; v < it.n; v++ {
			mu.Lock()
			captured, capture = nil, true
			mu.Unlock()
			if err := get(client, it.url(v)); err != nil {
				return nil, err
			}
			mu.Lock()
			it.variants[v], capture = captured, false
			mu.Unlock()
			for _, s := range it.variants[v] {
				b, err := be.bare(s)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", s.sql, err)
				}
				it.bare[v] = append(it.bare[v], b)
			}
		}
	}
	// HTTP alone: every variant's response as the facade sent it (gzip
	// included), served from memory by a bare net/http server to the same
	// client, which decompresses and reads it as it does the facade's.
	canned, err := recordResponses(kept)
	if err != nil {
		return nil, err
	}
	cannedBase, stopCanned, err := serveLocal(canned)
	if err != nil {
		return nil, err
	}
	defer stopCanned()
	raw, err := be.raw(benchDSN)
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(64)
	shed := func() { // close idle connections between cells: both pools together exceed max_connections
		db.DB().SetMaxIdleConns(0)
		db.DB().SetMaxIdleConns(64)
		raw.SetMaxIdleConns(0)
		raw.SetMaxIdleConns(64)
	}
	for _, it := range kept {
		r.allocs[it.name] = allocations(handler, it, base)
		resetPeak()
		for _, c := range concs {
			shed()
			rw := row{name: it.name, conc: c}
			rw.facade = measure(c, dur, it.n, func(_ int, i int) error { return get(client, it.url(i)) })
			if profileTo != nil {
				r.rows = append(r.rows, rw)
				fmt.Fprintln(os.Stderr, be.name, patients, rw.line())
				continue
			}
			rw.httpOnly = measure(c, dur, it.n, func(_ int, i int) error {
				u, _ := url.Parse(it.url(i))
				return get(client, cannedBase+u.RequestURI())
			})
			shed()
			rw.stmts = measure(c, dur, it.n, func(_ int, i int) error { return replay(ctx, raw, nil, it.bare[i]) })
			shed()
			rw.prepared = measurePrepared(ctx, raw, c, dur, it)
			if it.oneStatement != nil {
				shed()
				rw.oneStmt = measure(c, dur, it.n, func(_ int, i int) error {
					q, args := it.oneStatement(i)
					return replay(ctx, raw, nil, []stmt{{q, args}})
				})
			}
			r.rows = append(r.rows, rw)
			fmt.Fprintln(os.Stderr, be.name, patients, rw.line())
		}
		r.rss[it.name] = peakRSS()
	}
	return r, nil
}

// profileAllocs records every allocation of the in-process requests.
var profileAllocs bool

// profileTo, when set, receives a CPU profile of the facade cells
// (server and load generator); the floors are then not measured.
var profileTo *os.File

// walk follows next links from first to page depth and returns the URLs of
// pages depth … depth+n-1 (fewer at the end, none when there are fewer
// than depth pages).
func walk(c *http.Client, first string, depth, n int) ([]string, error) {
	var out []string
	u := first
	for page := 1; u != "" && len(out) < n; page++ {
		if page >= depth {
			out = append(out, u)
		}
		res, err := c.Get(u)
		if err != nil {
			return nil, err
		}
		var b struct {
			Link []struct{ Relation, URL string }
		}
		err = json.NewDecoder(res.Body).Decode(&b)
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		u = ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				u = l.URL
			}
		}
		if depth == 1 {
			break // the first page only: a search without a cursor
		}
	}
	return out, nil
}

// replay runs statements, reading every row; through prepared statements
// when stmts is not nil.
func replay(ctx context.Context, db *sql.DB, prep func(string) (*sql.Stmt, error), list []stmt) error {
	for _, s := range list {
		var rows *sql.Rows
		var err error
		if prep != nil {
			st, perr := prep(s.sql)
			if perr != nil {
				return perr
			}
			rows, err = st.QueryContext(ctx, s.args...)
		} else {
			rows, err = db.QueryContext(ctx, s.sql, s.args...)
		}
		if err != nil {
			return err
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// measurePrepared replays the statements prepared, each worker on a
// connection of its own that prepares each statement once.
func measurePrepared(ctx context.Context, raw *sql.DB, c int, d time.Duration, it *interaction) cell {
	conns := make([]*sql.Conn, c)
	caches := make([]map[string]*sql.Stmt, c)
	for w := range conns {
		conn, err := raw.Conn(ctx)
		if err != nil {
			return cell{errors: 1}
		}
		conns[w], caches[w] = conn, map[string]*sql.Stmt{}
	}
	defer func() {
		for w, conn := range conns {
			for _, st := range caches[w] {
				st.Close()
			}
			conn.Close()
		}
	}()
	return measure(c, d, it.n, func(w int, i int) error {
		return replay(ctx, raw, func(q string) (*sql.Stmt, error) {
			if st, ok := caches[w][q]; ok {
				return st, nil
			}
			st, err := conns[w].PrepareContext(ctx, q)
			if err == nil {
				caches[w][q] = st
			}
			return st, err
		}, it.bare[i])
	})
}

// allocations calls the handler in-process for every variant (twice, the
// first round to warm up) and returns the allocations and bytes per
// request, and the resources per response.
func allocations(h http.Handler, it *interaction, base string) [4]float64 {
	call := func(i int) int {
		u, _ := url.Parse(it.url(i))
		req := httptest.NewRequest("GET", u.RequestURI(), nil)
		req.Host = u.Host
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Body.Len()
	}
	for i := 0; i < it.n; i++ {
		call(i)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if profileAllocs {
		runtime.MemProfileRate = 1
	}
	for i := 0; i < it.n; i++ {
		call(i)
	}
	if profileAllocs {
		runtime.MemProfileRate = 0
	}
	runtime.ReadMemStats(&after)
	// Time in the handler, one request at a time (the database's round
	// trips included, HTTP and the load generator not).
	start := time.Now()
	for i := 0; i < it.n; i++ {
		call(i)
	}
	took := time.Since(start)
	// Resources per response, from the uncompressed body.
	resources := 0
	for i := 0; i < it.n; i++ {
		u, _ := url.Parse(it.url(i))
		req := httptest.NewRequest("GET", u.RequestURI(), nil)
		req.Host = u.Host
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var b struct {
			ResourceType string
			Entry        []json.RawMessage
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &b)
		if b.ResourceType == "Bundle" {
			resources += len(b.Entry)
		} else {
			resources++
		}
	}
	n := float64(it.n)
	return [4]float64{float64(after.Mallocs-before.Mallocs) / n, float64(after.TotalAlloc-before.TotalAlloc) / n, float64(resources) / n, float64(took.Microseconds()) / n}
}

func get(c *http.Client, u string) error {
	res, err := c.Get(u)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("%s: %d", u, res.StatusCode)
	}
	return nil
}

// cannedResponses answers each recorded request with the facade's response
// to it, bytes and encoding as they were.
type cannedResponses map[string]cannedResponse

type cannedResponse struct {
	contentType, encoding string
	body                  []byte
}

func (cr cannedResponses) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, ok := cr[r.URL.RequestURI()]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", res.contentType)
	if res.encoding != "" {
		w.Header().Set("Content-Encoding", res.encoding)
	}
	w.Write(res.body)
}

// recordResponses asks the facade for every variant once, as the load
// generator does (gzip accepted), and keeps the responses as sent.
func recordResponses(its []*interaction) (cannedResponses, error) {
	// A transport that leaves the body compressed: it asks for gzip
	// itself, so it does not decompress.
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	out := cannedResponses{}
	for _, it := range its {
		for i := 0; i < it.n; i++ {
			req, _ := http.NewRequest("GET", it.url(i), nil)
			req.Header.Set("Accept-Encoding", "gzip")
			res, err := tr.RoundTrip(req)
			if err != nil {
				return nil, err
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				return nil, err
			}
			if res.StatusCode != 200 {
				return nil, fmt.Errorf("%s: %d", it.url(i), res.StatusCode)
			}
			out[req.URL.RequestURI()] = cannedResponse{res.Header.Get("Content-Type"), res.Header.Get("Content-Encoding"), body}
		}
	}
	return out, nil
}

// measure runs fn from c workers for d (after a warm-up of d/5), each
// request on a random variant, and returns throughput and latency.
func measure(c int, d time.Duration, n int, fn func(worker, variant int) error) cell {
	warm := time.Now().Add(d / 5)
	end := warm.Add(d)
	var errs atomic.Int64
	lat := make([][]time.Duration, c)
	var wg sync.WaitGroup
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for {
				now := time.Now()
				if now.After(end) {
					return
				}
				if err := fn(w, r.IntN(n)); err != nil {
					if errs.Add(1) == 1 {
						fmt.Fprintln(os.Stderr, "error:", err)
					}
				}
				if now.After(warm) {
					lat[w] = append(lat[w], time.Since(now))
				}
			}
		}(w)
	}
	wg.Wait()
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) == 0 {
		return cell{errors: errs.Load()}
	}
	return cell{rps: float64(len(all)) / d.Seconds(), p50: all[len(all)/2], p99: all[len(all)*99/100], errors: errs.Load()}
}

// resetPeak resets the process's peak resident memory (VmHWM).
func resetPeak() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's peak resident memory in MB since resetPeak.
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

func (r row) line() string {
	one := "–"
	if r.oneStmt.rps > 0 {
		one = fmt.Sprintf("%.0f (%s)", r.oneStmt.rps, ms(r.oneStmt.p50))
	}
	ratio := func(a, b float64) string {
		if b == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	errs := ""
	if n := r.facade.errors + r.stmts.errors + r.prepared.errors + r.oneStmt.errors + r.httpOnly.errors; n > 0 {
		errs = fmt.Sprintf(" (%d errors)", n)
	}
	// The data and the transport together: the time of a prepared
	// replay plus that of serving the response from memory.
	both := 0.0
	if r.prepared.rps > 0 && r.httpOnly.rps > 0 {
		both = 1 / (1/r.prepared.rps + 1/r.httpOnly.rps)
	}
	return fmt.Sprintf("| %s | %d | %.0f | %s | %s | %.0f (%s) | %.0f (%s) | %s | %.0f (%s) | %s | %s | %s | %s | %s%s |", r.name, r.conc,
		r.facade.rps, ms(r.facade.p50), ms(r.facade.p99), r.stmts.rps, ms(r.stmts.p50), r.prepared.rps, ms(r.prepared.p50), one,
		r.httpOnly.rps, ms(r.httpOnly.p50),
		ratio(r.facade.rps, r.stmts.rps), ratio(r.facade.rps, r.prepared.rps), ratio(r.facade.rps, r.oneStmt.rps),
		ratio(r.facade.rps, r.httpOnly.rps), ratio(r.facade.rps, both), errs)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func render(runs []*run, backends []*backend, d time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Produced by `make bench` (`go run ./test/bench`) on %s.\n\n", time.Now().UTC().Format("2006-01-02"))
	// The set-up as the first backend has it, then what differs on each
	// other one.
	first := backends[0]
	fmt.Fprintf(&b, "**Set-up.** The demo EPR in %s (%s); the facade in-process over the `%s` adapter (read-only sessions, pool of 64) and HTTP on loopback; a Go load generator with keep-alive connections asking for 200 variants of each request (patients in a random order); %s measured per cell after a warm-up. ", first.label, first.version, first.name, d)
	fmt.Fprintf(&b, "Next to the facade, in the same run: **statements**, the very statements the facade issued for each variant (captured from the engine), replayed straight through database/sql and %s with the facade's connection settings; **prepared**, the same statements each prepared once per connection; **one statement**, for a read, a search by NHS number, the Observation search and the chained search, a hand-written statement that returns the same resources' JSON built by %s; **HTTP alone**, the facade's own responses to the same requests (recorded once, gzip as sent) served from memory by a bare Go HTTP server to the same load generator, which decompresses and reads them as it does the facade's: the transport's cost with no work behind it. **prepared + HTTP** adds the two costs (1 / (1/prepared + 1/HTTP alone)): what a facade that spent nothing on planning and rendering could reach on this machine. Each floor reads every row it is sent. Throughput in requests a second, p50 and p99 in milliseconds; ratios are the facade's throughput over each floor's.\n\n", first.driver, first.label)
	for _, be := range backends {
		if be.notes == "" {
			continue
		}
		if be != first {
			fmt.Fprintf(&b, "**%s** (%s), measured in the same way at each size after %s: the facade over the `%s` adapter, the floors through %s. ", be.label, be.version, first.label, be.name, be.driver)
		}
		fmt.Fprintf(&b, "%s\n\n", be.notes)
	}
	fmt.Fprintf(&b, "**Machine.** %s, %d CPUs (%s/%s), %s; database, facade and load generator share it.\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	for _, be := range backends {
		var of []*run
		for _, r := range runs {
			if r.be == be {
				of = append(of, r)
			}
		}
		renderBackend(&b, be, of)
	}
	for _, be := range backends[1:] {
		renderBeside(&b, first, be, runs)
	}
	return b.String()
}

// renderBackend writes one backend's sections: each size, the growth from
// the first size to the last, and the statements of each request.
func renderBackend(b *strings.Builder, be *backend, runs []*run) {
	for _, r := range runs {
		fmt.Fprintf(b, "\n## %d patients%s\n\n%s\n\n", r.patients, be.heading, r.loaded)
		fmt.Fprintf(b, "| request | clients | facade req/s | p50 | p99 | statements req/s (p50) | prepared req/s (p50) | one statement req/s (p50) | HTTP alone req/s (p50) | ÷ statements | ÷ prepared | ÷ one statement | ÷ HTTP alone | ÷ prepared + HTTP |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, rw := range r.rows {
			b.WriteString(rw.line() + "\n")
		}
		fmt.Fprintf(b, "\nThe facade's allocations and time (the handler called in-process, one request at a time, gzip asked for: the database's round trips included, HTTP not) and the process's peak resident memory while the interaction was measured (load generator included):\n\n| request | statements | resources a response | allocations a request | allocations a resource | KB allocated a request | µs in the handler a request | peak RSS MB |\n|---|---|---|---|---|---|---|---|\n")
		for _, it := range r.interactions {
			a := r.allocs[it.name]
			stmts := 0
			for _, v := range it.variants {
				stmts += len(v)
			}
			per := a[0]
			if a[2] > 0 {
				per = a[0] / a[2]
			}
			fmt.Fprintf(b, "| %s | %.1f | %.1f | %.0f | %.0f | %.0f | %.0f | %.0f |\n", it.name, float64(stmts)/float64(len(it.variants)), a[2], a[0], per, a[1]/1024, a[3], r.rss[it.name])
		}
	}
	if len(runs) > 1 {
		first, last := runs[0], runs[len(runs)-1]
		fmt.Fprintf(b, "\n## From %d to %d patients%s\n\np99 in milliseconds at each concurrency, and its growth; next to it, the same for the facade's statements run prepared (the database's share of the growth):\n\n| request | clients | p99 at %d | p99 at %d | × | prepared p99 at %d | prepared p99 at %d | prepared × |\n|---|---|---|---|---|---|---|---|\n", first.patients, last.patients, be.heading, first.patients, last.patients, first.patients, last.patients)
		for _, a := range first.rows {
			for _, z := range last.rows {
				if z.name == a.name && z.conc == a.conc && a.facade.p99 > 0 {
					fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", a.name, a.conc, ms(a.facade.p99), ms(z.facade.p99), growth(a.facade.p99, z.facade.p99),
						ms(a.prepared.p99), ms(z.prepared.p99), growth(a.prepared.p99, z.prepared.p99))
				}
			}
		}
	}
	if len(runs) > 0 {
		on := ""
		if be.heading != "" {
			on = ", " + be.label
		}
		fmt.Fprintf(b, "\nStatements of the first variant of each request (%d patients%s):\n\n", runs[0].patients, on)
		for _, it := range runs[0].interactions {
			fmt.Fprintf(b, "- %s: %d statements\n", it.name, len(it.variants[0]))
			for _, s := range it.variants[0] {
				fmt.Fprintf(b, "  - `%s`\n", s.sql)
			}
		}
	}
}

// renderBeside sets another backend's facade and prepared statements
// beside the first backend's, request by request at each size.
func renderBeside(b *strings.Builder, ref, be *backend, runs []*run) {
	fmt.Fprintf(b, "\n## %s beside %s\n\nAt each size and concurrency, the facade's throughput (p50, p99) on each database and their ratio, and the same for the facade's statements run prepared (the databases alone):\n\n", be.label, ref.label)
	fmt.Fprintf(b, "| request | patients | clients | %[1]s req/s (p50, p99) | %[2]s req/s (p50, p99) | %[2]s ÷ %[1]s | %[1]s prepared req/s (p50) | %[2]s prepared req/s (p50) | prepared %[2]s ÷ %[1]s |\n|---|---|---|---|---|---|---|---|---|\n", ref.label, be.label)
	ratio := func(a, z float64) string {
		if a == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", z/a)
	}
	for _, ra := range runs {
		if ra.be != ref {
			continue
		}
		for _, rz := range runs {
			if rz.be != be || rz.patients != ra.patients {
				continue
			}
			for _, a := range ra.rows {
				for _, z := range rz.rows {
					if z.name == a.name && z.conc == a.conc {
						fmt.Fprintf(b, "| %s | %d | %d | %.0f (%s, %s) | %.0f (%s, %s) | %s | %.0f (%s) | %.0f (%s) | %s |\n", a.name, ra.patients, a.conc,
							a.facade.rps, ms(a.facade.p50), ms(a.facade.p99), z.facade.rps, ms(z.facade.p50), ms(z.facade.p99), ratio(a.facade.rps, z.facade.rps),
							a.prepared.rps, ms(a.prepared.p50), z.prepared.rps, ms(z.prepared.p50), ratio(a.prepared.rps, z.prepared.rps))
					}
				}
			}
		}
	}
}

// growth is z over a, or "–" without a.
func growth(a, z time.Duration) string {
	if a == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(z)/float64(a))
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "model name") {
			return strings.TrimSpace(strings.SplitN(line, ":", 2)[1])
		}
	}
	return "unknown CPU"
}

func pgVersion() string {
	out, err := exec.Command("psql", "--version").Output()
	if err != nil {
		return "PostgreSQL"
	}
	return strings.TrimSpace(string(out))
}

// ensureDemo creates and fills the bench database unless it is already
// there with the right number of patients.
func ensureDemo(ctx context.Context, base, name string, patients int) (dsn, loaded string, err error) {
	defer func() {
		if err != nil {
			dsn = ""
		}
	}()
	u, err := url.Parse(base)
	if err != nil {
		return "", "", err
	}
	u.Path = "/" + name
	dsn = u.String()
	admin, err := sql.Open("postgres", base)
	if err != nil {
		return "", "", err
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", "", fmt.Errorf("connect to %s: %w", adapters.Redact(base), err)
	}
	if exists {
		names := make([]string, len(demo.Tables()))
		for i, t := range demo.Tables() {
			names[i] = strings.ToLower(t)
		}
		if loadedBefore(ctx, "postgres", dsn, patients,
			"SELECT COUNT(*), obj_description('patient'::regclass, 'pg_class') FROM patient",
			"SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ANY($1)", pq.Array(names)) {
			return dsn, reusedNote, nil
		}
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			return "", "", err
		}
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", "", err
	}
	took, err := loadDemo(ctx, postgres.Open, dsn, patients, "ANALYZE", "COMMENT ON TABLE patient IS '"+schemaDigest()+"'")
	if err != nil {
		return "", "", err
	}
	fmt.Fprintf(os.Stderr, "loaded %d patients in %s\n", patients, took)
	return dsn, fmt.Sprintf("Loaded with the demo generator in %s.", took), nil
}

// serveLocal serves a handler on a free port of the loopback address, and
// returns its base URL (http://127.0.0.1:port) and what stops it.
func serveLocal(h http.Handler) (base string, stop func() error, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), srv.Close, nil
}

// reusedNote is what the report says of a database an earlier run loaded.
const reusedNote = "The database was loaded by an earlier run (same schema and indexes)."

// loadedBefore reports whether the database at dsn can be reused: it holds
// this many patients, loaded with the current schema and indexes (their
// digest is the patient table's comment, which countAndDigest reads beside
// the count), in every table of the demo (tablesQuery, with its arguments,
// counts them).
func loadedBefore(ctx context.Context, driver, dsn string, patients int, countAndDigest, tablesQuery string, tablesArgs ...any) bool {
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return false
	}
	defer db.Close()
	var n, tables int
	var digest sql.NullString
	if err := db.QueryRowContext(ctx, countAndDigest).Scan(&n, &digest); err != nil || digest.String != schemaDigest() {
		return false
	}
	if err := db.QueryRowContext(ctx, tablesQuery, tablesArgs...).Scan(&tables); err != nil {
		return false
	}
	return n == patients && tables == len(demo.Tables())
}

// loadDemo opens the empty database at dsn with an adapter, fills it with
// the demo generator's patients through the adapter's loader, then runs
// the statements after (statistics, the schema digest), and says how long
// it took.
func loadDemo(ctx context.Context, open func(context.Context, string, adapters.Options) (adapters.Adapter, error), dsn string, patients int, after ...string) (time.Duration, error) {
	start := time.Now()
	db, err := open(ctx, dsn, adapters.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if err := demo.Load(ctx, db.(adapters.Loader), demo.Options{Patients: patients, Seed: 1}); err != nil {
		return 0, err
	}
	for _, q := range after {
		if _, err := db.DB().ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	return time.Since(start).Round(time.Second), nil
}

func parseInts(s string) []int {
	var out []int
	for _, p := range strings.Split(s, ",") {
		var n int
		fmt.Sscan(p, &n)
		if n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// memorySection heads the part of the report make bench-memory writes.
const memorySection = "\n## Memory under the heaviest requests"

// schemaDigest identifies the demo schema and indexes a load was made with.
func schemaDigest() string {
	sum := sha256.Sum256([]byte(demo.Schema + demo.Indexes))
	return hex.EncodeToString(sum[:8])
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// patientJSON is the one-statement floor for a Patient: the resource's JSON
// as the demo mapping shows it (identifiers, names with the previous names,
// telecoms, addresses, codes), built by PostgreSQL; a WHERE follows.
const patientJSON = `SELECT json_strip_nulls(json_build_object(
 'resourceType', 'Patient', 'id', p.PATIENT_ID::text,
 'meta', json_build_object('lastUpdated', to_char(p.LAST_UPDATED, 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00',
   'profile', json_build_array('https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1')),
 'extension', json_build_array(json_build_object('url', 'https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-EthnicCategory-1',
   'valueCodeableConcept', json_build_object('coding', json_build_array(json_build_object('system', 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-EthnicCategory-1', 'code', p.ETHNIC_ORIGIN))))),
 'identifier', json_build_array(
   json_build_object('extension', json_build_array(json_build_object('url', 'https://fhir.hl7.org.uk/STU3/StructureDefinition/Extension-CareConnect-NHSNumberVerificationStatus-1',
       'valueCodeableConcept', json_build_object('coding', json_build_array(json_build_object('system', 'https://fhir.hl7.org.uk/STU3/CodeSystem/CareConnect-NHSNumberVerificationStatus-1', 'code', p.NHS_NO_STATUS))))),
     'system', 'https://fhir.nhs.uk/Id/nhs-number', 'value', REPLACE(p.NHS_NUMBER, ' ', '')),
   json_build_object('system', 'https://fhir.example.nhs.uk/Id/hospital-number', 'value', TRIM(p.HOSPITAL_NO))),
 'name', (SELECT json_agg(n.x) FROM (
     SELECT json_build_object('use', 'official', 'family', TRIM(p.SURNAME), 'given', json_build_array(TRIM(p.FORENAME1), TRIM(p.FORENAME2)), 'prefix', json_build_array(TRIM(p.TITLE))) AS x
     UNION ALL
     SELECT json_build_object('use', CASE a.ALIAS_TYPE WHEN 'M' THEN 'maiden' WHEN 'P' THEN 'old' ELSE 'usual' END, 'family', TRIM(a.SURNAME), 'given', json_build_array(TRIM(a.FORENAMES)))
       FROM PATIENT_ALIAS a WHERE a.PATIENT_ID = p.PATIENT_ID) n),
 'telecom', (SELECT json_agg(json_build_object('system', CASE c.CONTACT_TYPE WHEN 'EM' THEN 'email' ELSE 'phone' END, 'value', TRIM(c.CONTACT_VALUE),
     'use', CASE c.CONTACT_TYPE WHEN 'HT' THEN 'home' WHEN 'MT' THEN 'mobile' WHEN 'WT' THEN 'work' END, 'rank', CASE WHEN c.PREFERRED = 'Y' THEN 1 END) ORDER BY c.CONTACT_ID)
   FROM PATIENT_CONTACT_NO c WHERE c.PATIENT_ID = p.PATIENT_ID),
 'gender', CASE p.SEX WHEN 'M' THEN 'male' WHEN 'F' THEN 'female' WHEN 'U' THEN 'unknown' ELSE 'other' END,
 'birthDate', CASE WHEN p.DATE_OF_BIRTH ~ '^[0-9]{8}$' THEN to_char(to_date(p.DATE_OF_BIRTH, 'YYYYMMDD'), 'YYYY-MM-DD') END,
 'deceasedDateTime', CASE WHEN p.DATE_OF_DEATH ~ '^[0-9]{2}/[0-9]{2}/[0-9]{4}$' THEN to_char(to_date(p.DATE_OF_DEATH, 'DD/MM/YYYY'), 'YYYY-MM-DD') END,
 'address', (SELECT json_agg(json_build_object('use', CASE a.ADDRESS_TYPE WHEN 'H' THEN 'home' WHEN 'T' THEN 'temp' ELSE 'work' END,
     'line', json_build_array(TRIM(a.LINE1), TRIM(a.LINE2), TRIM(a.LINE3)), 'city', TRIM(a.LINE4), 'postalCode', a.POSTCODE,
     'period', json_build_object('start', a.FROM_DATE, 'end', a.TO_DATE)) ORDER BY a.ADDRESS_ID)
   FROM PATIENT_ADDRESS a WHERE a.PATIENT_ID = p.PATIENT_ID),
 'maritalStatus', json_build_object('coding', json_build_array(json_build_object('system', 'http://hl7.org/fhir/v3/MaritalStatus', 'code', p.MARITAL_STATUS))),
 'generalPractitioner', json_build_array(json_build_object('reference', 'Practitioner/' || p.GP_ID), json_build_object('reference', 'Organization/' || p.PRACTICE_CODE)),
 'managingOrganization', json_build_object('reference', 'Organization/' || p.PRACTICE_CODE)
)) FROM PATIENT p`

// observationJSON is the one-statement floor for an Observation, as
// patientJSON is for a Patient.
const observationJSON = `SELECT json_strip_nulls(json_build_object(
 'resourceType', 'Observation', 'id', o.OBS_ID::text,
 'meta', json_build_object('lastUpdated', to_char(o.LAST_UPDATED, 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00',
   'profile', json_build_array('https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1')),
 'status', CASE o.STATUS WHEN 'F' THEN 'final' WHEN 'P' THEN 'preliminary' WHEN 'A' THEN 'amended' ELSE 'entered-in-error' END,
 'category', json_build_array(json_build_object('coding', json_build_array(json_build_object('system', 'http://hl7.org/fhir/observation-category', 'code', 'vital-signs', 'display', 'Vital Signs')))),
 'code', json_build_object('coding', json_build_array(json_build_object('system', 'http://snomed.info/sct', 'code', o.OBS_CODE), json_build_object('system', 'http://loinc.org', 'code', o.OBS_CODE)), 'text', TRIM(o.OBS_NAME)),
 'subject', json_build_object('reference', 'Patient/' || o.PATIENT_ID),
 'context', json_build_object('reference', 'Encounter/' || o.CONSULT_ID),
 'effectiveDateTime', REPLACE(o.OBS_DATETIME, ' ', 'T') || ':00+00:00',
 'performer', json_build_array(json_build_object('reference', 'Practitioner/' || o.STAFF_ID)),
 'valueQuantity', json_build_object('value', CASE WHEN o.VALUE_NUM ~ '^-?[0-9]+(\.[0-9]+)?$' THEN o.VALUE_NUM::numeric END, 'unit', TRIM(o.UNITS), 'system', 'http://unitsofmeasure.org', 'code', o.UNITS)
)) FROM OBSERVATION o`
