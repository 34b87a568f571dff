package demotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ccfacade/ccfacade/demo"
)

// JSON decodes the body as a JSON object; anything else fails the test.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not JSON: %v\n%s", err, Truncate(string(r.Body), 2000))
	}
	return m
}

// At follows object keys and list indexes into a decoded JSON or YAML
// document; nil when a step is missing.
func At(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

// Entries returns a Bundle's entry resources, matches and includes.
func Entries(t testing.TB, bundle map[string]any) []map[string]any {
	t.Helper()
	raw, _ := bundle["entry"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, e := range raw {
		em, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("a Bundle entry is not an object: %v", e)
		}
		res, ok := em["resource"].(map[string]any)
		if !ok {
			t.Fatalf("a Bundle entry without a resource: %v", em)
		}
		out = append(out, res)
	}
	return out
}

// Link returns the URL of a Bundle's link of the relation, or "".
func Link(bundle map[string]any, rel string) string {
	raw, _ := bundle["link"].([]any)
	for _, l := range raw {
		lm, _ := l.(map[string]any)
		if lm["relation"] == rel {
			u, _ := lm["url"].(string)
			return u
		}
	}
	return ""
}

// IssueText joins the diagnostics of an OperationOutcome's issues; a
// response that is not an OperationOutcome fails the test.
func IssueText(t testing.TB, r Response) string {
	t.Helper()
	m := r.JSON(t)
	if m["resourceType"] != "OperationOutcome" {
		t.Fatalf("expected an OperationOutcome, got %s", Truncate(string(r.Body), 300))
	}
	var parts []string
	issues, _ := m["issue"].([]any)
	for _, is := range issues {
		im, _ := is.(map[string]any)
		if d, ok := im["diagnostics"].(string); ok {
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, "; ")
}

// Truncate cuts s to n bytes, marking the cut, for messages.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Rows returns a demo table's rows as the harness loads them (Patients
// patients), values by column name: the oracle tests check answers
// against.
func Rows(t testing.TB, table string) []map[string]any {
	t.Helper()
	cols := demo.Columns(table)
	var out []map[string]any
	err := demo.Generate(demo.Options{Patients: Patients, Seed: 1}, table, func(row []any) error {
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			m[c] = row[i]
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Str formats a row's value, nil as "".
func Str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

// NHSOf returns a demo patient's NHS number, without spaces.
func NHSOf(t testing.TB, id string) string {
	t.Helper()
	for _, r := range Rows(t, "PATIENT") {
		if Str(r["PATIENT_ID"]) == id {
			return strings.ReplaceAll(Str(r["NHS_NUMBER"]), " ", "")
		}
	}
	t.Fatalf("no demo patient %s", id)
	return ""
}

// Buffer is a bytes.Buffer safe for concurrent use: a log or audit sink a
// test reads while the facade writes.
type Buffer struct {
	mu      sync.Mutex
	b       bytes.Buffer
	changed chan struct{} // closed by the next write
}

func (l *Buffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	return l.b.Write(p)
}

// Changed returns a channel closed by the next write: a test waiting for
// some output takes it, reads the buffer, and waits on it only when what
// it looks for is not there yet.
func (l *Buffer) Changed() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	return l.changed
}

// String returns what was written.
func (l *Buffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Reset empties the buffer.
func (l *Buffer) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Reset()
}
