package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// lint with a configuration that serves GP Connect checks its rendering
// as serve makes it: the overlay against the mappings and the database
// (a heading read from a column the table lacks fails, naming it), then
// the whole record of sample patients against the GP Connect profiles
// (an overlay that drops an element the profile requires fails, naming
// the element once with how many resources lack it).
func TestLintGPConnect(t *testing.T) {
	dsn := demoDB(t)
	demoSet, _ := filepath.Abs("../../mappingsets/demo")
	overlay, err := os.ReadFile("../../mappingsets/gpconnect/demo.yaml")
	if err != nil {
		t.Fatal(err)
	}
	lintWith := func(t *testing.T, overlay string) (int, string, string) {
		dir := t.TempDir()
		ov := filepath.Join(dir, "overlay.yaml")
		if err := os.WriteFile(ov, []byte(overlay), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "c.yaml")
		body := fmt.Sprintf("database:\n  adapter: sqlite\n  dsn: %s\nmappings: %s\ngpconnect:\n  enabled: true\n  asid: \"200000000359\"\n  overlay: %s\n", dsn, demoSet, ov)
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return run(t, "lint", "-config", cfg)
	}
	code, out, errs := lintWith(t, string(overlay))
	m := regexp.MustCompile(`ok: GP Connect: the records \(every area\) of (\d+) sample patient\(s\), (\d+) resource\(s\), conform`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("lint: %d\n%s\n%s", code, out, errs)
	}
	if n, _ := strconv.Atoi(m[1]); n < 5 {
		t.Errorf("%s records checked, want 5 at least", m[1])
	}
	observation := "  Observation:\n    heading: { column: HEADING }\n"
	if !strings.Contains(string(overlay), observation) {
		t.Fatalf("the demo overlay no longer reads %q", observation)
	}
	code, _, errs = lintWith(t, strings.Replace(string(overlay), observation, "  Observation:\n    heading: { column: NO_SUCH_COLUMN }\n", 1))
	if code != 1 || !strings.Contains(errs, "resources.Observation.heading") || !strings.Contains(errs, "NO_SUCH_COLUMN") {
		t.Errorf("a heading from a column OBSERVATION lacks: %d %q", code, errs)
	}
	code, _, errs = lintWith(t, strings.Replace(string(overlay), observation, observation+"    drop: [status]\n", 1))
	if code != 1 || !regexp.MustCompile(`gpconnect: Observation.status: is required by the profile \(min 1\): \d+ resource\(s\) in the records of \d+ patient\(s\), e.g. Observation/\d+\n`).MatchString(errs) ||
		strings.Count(errs, "Observation.status") != 1 {
		t.Errorf("an element the profile requires dropped: %d %q", code, errs)
	}
}
