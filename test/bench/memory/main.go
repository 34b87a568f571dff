// Command memory measures what the heaviest requests cost the facade in
// memory: it serves the demo on PostgreSQL (the database `make bench`
// loads) with the ccfacade binary, as a process of its own, sends each
// request from 64 concurrent clients, and reads the process's peak and
// current resident memory from /proc. Run it with `make bench-memory`.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/ccfacade", "the facade's binary")
	dsn := flag.String("dsn", envOr("CCFACADE_BENCH_PG_DSN", envOr("CCFACADE_TEST_PG_DSN", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")), "PostgreSQL DSN of the server holding the benchmark database")
	db := flag.String("db", "ccfacade_bench_100000", "the benchmark database (make bench loads it)")
	clients := flag.Int("clients", 64, "concurrent clients")
	dur := flag.Duration("duration", 20*time.Second, "load time per request")
	out := flag.String("out", "", "write the results as a section of this Markdown file")
	flag.Parse()

	u, err := url.Parse(*dsn)
	if err != nil {
		log.Fatal(err)
	}
	u.Path = "/" + *db
	cmd := exec.Command(*bin, "serve", "-mappings", "builtin:demo", "-adapter", "postgres", "-dsn", u.String(), "-listen", "127.0.0.1:0")
	cmd.Stderr = io.Discard
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := ""
	sc := bufio.NewScanner(stdout)
	re := regexp.MustCompile(`serving (http://\S+/fhir)`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	if base == "" {
		log.Fatal("the facade did not start")
	}
	go io.Copy(io.Discard, stdout)
	pid := cmd.Process.Pid
	time.Sleep(2 * time.Second)
	idle := rss(pid, "VmRSS")

	revinclude100 := "/Patient?_count=1000"
	for i := 0; i < 100; i++ {
		revinclude100 += "&_revinclude=Observation:patient"
	}
	requests := []string{
		"/Patient?_count=1000",
		"/Patient/358/$everything?_count=1000",
		"/Patient?_count=1000&_revinclude=Observation:patient",
		revinclude100,
		"/Observation?_count=1000&_include=*",
		"/Encounter?_count=1000&_include=*&_include:iterate=Patient:general-practitioner",
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients, MaxIdleConns: *clients}, Timeout: 5 * time.Minute}
	type result struct {
		req              string
		n, refused, errs int64
		peak, after      int64
		slowest          time.Duration
		size             int64
	}
	var results []result
	for _, r := range requests {
		resetPeak(pid)
		var n, refused, errs, size atomic.Int64
		var mu sync.Mutex
		var slowest time.Duration
		ctx, cancel := context.WithTimeout(context.Background(), *dur)
		var wg sync.WaitGroup
		for c := 0; c < *clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					start := time.Now()
					res, err := client.Get(base + r)
					if err != nil {
						errs.Add(1)
						continue
					}
					b, _ := io.Copy(io.Discard, res.Body)
					res.Body.Close()
					took := time.Since(start)
					switch res.StatusCode {
					case 200:
						n.Add(1)
						size.Store(b)
					case 503:
						refused.Add(1)
					default:
						errs.Add(1)
					}
					mu.Lock()
					if took > slowest {
						slowest = took
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		cancel()
		res := result{req: r, n: n.Load(), refused: refused.Load(), errs: errs.Load(), peak: rss(pid, "VmHWM"), slowest: slowest, size: size.Load()}
		res.after = rss(pid, "VmRSS")
		results = append(results, res)
		fmt.Fprintf(os.Stderr, "%s: %d answered, %d refused (503), %d errors; peak RSS %d MB; slowest %s\n", short(r), res.n, res.refused, res.errs, res.peak>>20, slowest.Round(time.Millisecond))
	}
	// Memory after the load: the Go runtime returns freed memory to the
	// system over a few minutes.
	var settled []string
	for _, wait := range []time.Duration{10 * time.Second, 50 * time.Second, 120 * time.Second} {
		time.Sleep(wait)
		settled = append(settled, fmt.Sprintf("%d MB", rss(pid, "VmRSS")>>20))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n## Memory under the heaviest requests\n\nProduced by `make bench-memory` (`go run ./test/bench/memory`) on %s: the facade's own binary (default configuration: %d requests at once, from the database pool's size, others waiting 2 s before a 503; a soft memory limit of 192 MB) serving the 100,000-patient demo on PostgreSQL; %d clients send each request for %s; the peak resident memory (VmHWM, reset before each request) and the slowest answer.\n\n", time.Now().Format("2006-01-02"), 16, *clients, *dur)
	fmt.Fprintf(&b, "Idle: %d MB.\n\n| request | answered | 503 | errors | response bytes | peak RSS MB | slowest s |\n|---|---|---|---|---|---|---|\n", idle>>20)
	for _, r := range results {
		fmt.Fprintf(&b, "| `%s` | %d | %d | %d | %d | %d | %.1f |\n", short(r.req), r.n, r.refused, r.errs, r.size, r.peak>>20, r.slowest.Seconds())
	}
	fmt.Fprintf(&b, "\nResident memory 10 s, 1 min and 3 min after the load: %s.\n", strings.Join(settled, ", "))
	fmt.Print(b.String())
	if *out != "" {
		// Replaces the section of an earlier run, keeping the rest.
		old, err := os.ReadFile(*out)
		if err != nil {
			log.Fatal(err)
		}
		doc := string(old)
		if i := strings.Index(doc, "\n## Memory under the heaviest requests"); i >= 0 {
			doc = doc[:i]
		}
		if err := os.WriteFile(*out, []byte(strings.TrimRight(doc, "\n")+"\n"+b.String()), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// rss reads a field of /proc/pid/status in bytes.
func rss(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// resetPeak resets the process's peak RSS (VmHWM) to its current RSS.
func resetPeak(pid int) {
	_ = os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

func short(r string) string {
	if len(r) > 90 {
		return r[:60] + "…(" + strconv.Itoa(strings.Count(r, "&_revinclude")) + " × _revinclude)"
	}
	return r
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
