package test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// Byte-exact output for fixed requests over the demo on SQLite. Cursors and
// the CapabilityStatement's date change per run and are masked.
func TestGolden(t *testing.T) {
	t.Parallel()
	e := sqliteEnv(t)
	cases := map[string]string{
		"patient-6.json":           "/Patient/6",
		"practitioner-1.json":      "/Practitioner/1",
		"organization.json":        "/Organization/B81001",
		"search-smi-female.json":   "/Patient?family=smi&gender=female&_count=2",
		"search-postcode.json":     "/Organization?address-postalcode=ls",
		"error-unknown-param.json": "/Patient?colour=blue",
		"metadata.json":            "/metadata",
		"patient-6.xml":            "/Patient/6?_format=xml",
		"search-smi-female.xml":    "/Patient?family=smi&gender=female&_count=2&_format=xml",
		"error-unknown-param.xml":  "/Patient?colour=blue&_format=xml",
	}
	masks := []*regexp.Regexp{
		regexp.MustCompile(`_cursor=[A-Za-z0-9_-]+`),
		regexp.MustCompile(`"date":"[^"]+"`),
		regexp.MustCompile(`127\.0\.0\.1:[0-9]+`),
		regexp.MustCompile(`"OperationOutcome","id":"[0-9a-f]+"`),
		regexp.MustCompile(`<OperationOutcome xmlns="http://hl7.org/fhir"><id value="[0-9a-f]+"/>`),
	}
	repl := []string{"_cursor=CURSOR", `"date":"DATE"`, "HOST", `"OperationOutcome","id":"ID"`, `<OperationOutcome xmlns="http://hl7.org/fhir"><id value="ID"/>`}
	for file, path := range cases {
		r := get(t, e.base+path)
		got := r.body
		for i, m := range masks {
			got = m.ReplaceAll(got, []byte(repl[i]))
		}
		got = append(got, '\n')
		golden := filepath.Join("testdata", "golden", file)
		want := goldenFile(t, golden, got)
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run make golden if the change is intended)\n got: %s\nwant: %s", path, golden, truncate(string(got), 800), truncate(string(want), 800))
		}
	}
}

// goldenFile returns what the golden file at path holds; under -update
// (make golden) it first writes got there.
func goldenFile(t *testing.T, path string, got []byte) []byte {
	t.Helper()
	if *update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run make golden to create it)", err)
	}
	return want
}
