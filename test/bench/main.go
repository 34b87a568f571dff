// Command bench measures the facade against the SQL floor on PostgreSQL
// with the demo EPR: Patient read by id and Patient search by NHS number,
// at several concurrencies. The floor is the same SQL statements the facade
// issues for each request, run straight against the database by the same
// number of workers. It prints a table and writes it (with the machine's
// description) to -out.
//
//	go run ./test/bench -dsn postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable -out docs/benchmarks.md
package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"sort"
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
	patients := flag.Int("patients", 100000, "demo patients")
	dur := flag.Duration("duration", 5*time.Second, "measuring time per cell")
	concs := flag.String("concurrency", "1,4,16,64", "concurrencies")
	out := flag.String("out", "", "write the results as Markdown here")
	flag.Parse()
	ctx := context.Background()

	dbName := fmt.Sprintf("ccfacade_bench_%d", *patients)
	benchDSN, err := ensureDemo(ctx, *dsn, dbName, *patients)
	if err != nil {
		log.Fatal(err)
	}
	db, err := postgres.Open(ctx, benchDSN, adapters.Options{ReadOnly: true, MaxOpenConns: 64, MaxIdleConns: 64})
	if err != nil {
		log.Fatal(err)
	}
	set, err := mapping.LoadFS(mappingsets.Demo, "demo", "mappingsets/demo", time.UTC)
	if err != nil {
		log.Fatal(err)
	}
	cat, err := catalog.Load(ctx, set, db)
	if err != nil {
		log.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	// Capture the SQL the facade issues for one request of each kind.
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
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: server.New(server.Options{Engine: eng, Logger: quiet})}
	go srv.Serve(ln)
	base := "http://" + ln.Addr().String() + "/fhir"

	// The request sets: random patients, by id and by NHS number.
	var ids, nhs []string
	_ = demo.Generate(demo.Options{Patients: *patients, Seed: 1}, "PATIENT", func(row []any) error {
		if row[2] != nil {
			ids = append(ids, fmt.Sprint(row[0]))
			nhs = append(nhs, strings.ReplaceAll(fmt.Sprint(row[2]), " ", ""))
		}
		return nil
	})
	kinds := []kind{
		{name: "Patient read by id", url: func(i int) string { return base + "/Patient/" + ids[i] }},
		{name: "Patient search by NHS number", url: func(i int) string {
			return base + "/Patient?identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|"+nhs[i])
		}},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}
	// Learn the statements of each kind (their shapes; arguments vary with i).
	for k := range kinds {
		mu.Lock()
		captured, capture = nil, true
		mu.Unlock()
		get(client, kinds[k].url(0))
		mu.Lock()
		kinds[k].stmts, capture = captured, false
		mu.Unlock()
	}
	raw, err := sql.Open("postgres", benchDSN)
	if err != nil {
		log.Fatal(err)
	}
	raw.SetMaxOpenConns(64)
	raw.SetMaxIdleConns(64)

	var rows []result
	for _, k := range kinds {
		for _, c := range parseInts(*concs) {
			facade := measure(c, *dur, len(ids), func(i int) error { return get(client, k.url(i)) })
			floor := measure(c, *dur, len(ids), func(i int) error { return k.floor(ctx, raw, ids[i], nhs[i]) })
			r := result{kind: k.name, conc: c, facade: facade, floor: floor}
			rows = append(rows, r)
			fmt.Println(r.line())
		}
	}
	report := render(rows, kinds, *patients, *dur)
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
	srv.Close()
}

type stmt struct {
	sql  string
	args []any
}

type kind struct {
	name  string
	url   func(i int) string
	stmts []stmt
}

// floor runs the kind's statements straight against the database, with the
// arguments of request i: the first statement's key or NHS number argument
// replaced, each child statement keyed by the patient found.
func (k kind) floor(ctx context.Context, db *sql.DB, id, nhs string) error {
	var patientID any
	for n, s := range k.stmts {
		args := append([]any(nil), s.args...)
		if n == 0 {
			switch {
			case strings.Contains(k.name, "read"):
				args[0] = id
			default:
				args[0] = nhs
			}
		} else if patientID != nil {
			for a := range args {
				args[a] = patientID
			}
		}
		rows, err := db.QueryContext(ctx, s.sql, args...)
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
			if n == 0 && patientID == nil {
				patientID = vals[0]
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
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

type stats struct {
	rps      float64
	p50, p99 time.Duration
	errors   int64
}

// measure runs fn from c workers for d (after a short warm-up) and returns
// throughput and latency percentiles.
func measure(c int, d time.Duration, n int, fn func(i int) error) stats {
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
				err := fn(r.IntN(n))
				if err != nil {
					errs.Add(1)
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
		return stats{}
	}
	return stats{
		rps:    float64(len(all)) / d.Seconds(),
		p50:    all[len(all)/2],
		p99:    all[len(all)*99/100],
		errors: errs.Load(),
	}
}

type result struct {
	kind          string
	conc          int
	facade, floor stats
}

func (r result) line() string {
	return fmt.Sprintf("| %s | %d | %.0f | %s | %s | %.0f | %s | %s | %.2f |", r.kind, r.conc,
		r.facade.rps, ms(r.facade.p50), ms(r.facade.p99), r.floor.rps, ms(r.floor.p50), ms(r.floor.p99), r.facade.rps/r.floor.rps)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func render(rows []result, kinds []kind, patients int, d time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Produced by `make bench` (`go run ./test/bench`) on %s.\n\n", time.Now().UTC().Format("2006-01-02"))
	fmt.Fprintf(&b, "**Set-up.** The demo EPR with %d patients in PostgreSQL (%s); the facade in-process over the `postgres` adapter (read-only sessions, pool of 64) and HTTP on loopback; a Go load generator with keep-alive connections; %s measured per cell after a warm-up. ", patients, pgVersion(), d)
	fmt.Fprintf(&b, "The **SQL floor** runs, from the same number of workers, the very statements the facade issues for each request (captured from the engine), straight through database/sql and lib/pq: the cost of the data alone. Ratio = facade ÷ floor throughput.\n\n")
	fmt.Fprintf(&b, "**Machine.** %s, %d CPUs (%s/%s), %s; database, facade and load generator share it.\n\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(&b, "| request | concurrency | facade req/s | p50 ms | p99 ms | SQL floor req/s | p50 ms | p99 ms | ratio |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		b.WriteString(r.line() + "\n")
	}
	fmt.Fprintf(&b, "\nStatements per request (the floor runs the same):\n\n")
	for _, k := range kinds {
		fmt.Fprintf(&b, "- %s: %d statements\n", k.name, len(k.stmts))
		for _, s := range k.stmts {
			fmt.Fprintf(&b, "  - `%s`\n", s.sql)
		}
	}
	return b.String()
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
func ensureDemo(ctx context.Context, base, name string, patients int) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	dsn := u.String()
	admin, err := sql.Open("postgres", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	var exists bool
	if err := admin.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("connect to %s: %w", adapters.Redact(base), err)
	}
	if exists {
		db, err := sql.Open("postgres", dsn)
		if err == nil {
			// Reused only when it holds this size and was loaded with the
			// current schema and indexes (their digest is the table's
			// comment).
			var n, tables int
			var digest sql.NullString
			err = db.QueryRowContext(ctx, "SELECT COUNT(*), obj_description('patient'::regclass, 'pg_class') FROM patient").Scan(&n, &digest)
			if err == nil && digest.String != schemaDigest() {
				n = -1
			}
			if err == nil {
				names := make([]string, len(demo.Tables()))
				for i, t := range demo.Tables() {
					names[i] = strings.ToLower(t)
				}
				err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = ANY($1)", pq.Array(names)).Scan(&tables)
			}
			db.Close()
			if err == nil && n == patients && tables == len(demo.Tables()) {
				return dsn, nil
			}
		}
		if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			return "", err
		}
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	start := time.Now()
	db, err := postgres.Open(ctx, dsn, adapters.Options{})
	if err != nil {
		return "", err
	}
	defer db.Close()
	if err := demo.Load(ctx, db.(adapters.Loader), demo.Options{Patients: patients, Seed: 1}); err != nil {
		return "", err
	}
	if _, err := db.DB().ExecContext(ctx, "ANALYZE"); err != nil {
		return "", err
	}
	if _, err := db.DB().ExecContext(ctx, "COMMENT ON TABLE patient IS '"+schemaDigest()+"'"); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "loaded %d patients in %s\n", patients, time.Since(start).Round(time.Millisecond))
	return dsn, nil
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
