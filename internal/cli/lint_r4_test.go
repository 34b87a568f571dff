package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// lint with a database checks the R4 form of the sample too, against UK
// Core: the demo's MedicationRequest mapping without its r4 section's
// substitution (UK Core requires one) fails, at the mapping's line, and
// only on R4; the demo set as shipped meets UK Core.
func TestLintChecksUKCore(t *testing.T) {
	dsn := demoDB(t)
	code, out, errs := run(t, "lint", "-mappings", "../../mappingsets/demo", "-adapter", "sqlite", "-dsn", dsn, "-sample", "5")
	if code != 0 || !regexp.MustCompile(`\d+ sample resource\(s\) conform to their profiles, and their [1-9]\d* R4 form\(s\) to UK Core`).MatchString(out) {
		t.Fatalf("demo lint: %d %q %q", code, out, errs)
	}
	dir := t.TempDir()
	entries, _ := os.ReadDir("../../mappingsets/demo")
	const substitution = "    substitution:\n      allowedBoolean: true\n"
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join("../../mappingsets/demo", e.Name()))
		if e.Name() == "medicationrequest.yaml" {
			if !bytes.Contains(b, []byte(substitution)) {
				t.Fatalf("medicationrequest.yaml has no %q", substitution)
			}
			b = bytes.Replace(b, []byte(substitution), nil, 1)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644)
	}
	code, _, errs = run(t, "lint", "-mappings", dir, "-adapter", "sqlite", "-dsn", dsn, "-sample", "3")
	want := regexp.MustCompile(`medicationrequest\.yaml:\d+:\d+: R4 \(UK Core\) MedicationRequest/1 and 2 more of the 3 sampled: MedicationRequest\.substitution: is required by the profile \(min 1\)`)
	if code != 1 || !want.MatchString(errs) || strings.Count(errs, "sampled:") != 1 {
		t.Errorf("a MedicationRequest without substitution on R4: %d\n%s", code, errs)
	}
}
