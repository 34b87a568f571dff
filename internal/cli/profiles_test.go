package cli

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	ccObservation = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Observation-1"
	ccPatient     = "https://fhir.hl7.org.uk/STU3/StructureDefinition/CareConnect-Patient-1"
	gpcPatient    = "https://fhir.nhs.uk/STU3/StructureDefinition/CareConnect-GPC-Patient-1"
)

// demoSetEdited copies the demo mappings to a folder, replacing in file
// each old text (which must be there) with its new one, and adding the
// files of extra; it returns the folder.
func demoSetEdited(t *testing.T, file string, extra map[string]string, replace ...string) string {
	t.Helper()
	dir := t.TempDir()
	entries, _ := os.ReadDir("../../mappingsets/demo")
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join("../../mappingsets/demo", e.Name()))
		if e.Name() == file {
			for i := 0; i+1 < len(replace); i += 2 {
				if !bytes.Contains(b, []byte(replace[i])) {
					t.Fatalf("%s has no %q", file, replace[i])
				}
				b = bytes.Replace(b, []byte(replace[i]), []byte(replace[i+1]), 1)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lineCol is where text starts in a file, as line:col.
func lineCol(t *testing.T, file, text string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if c := strings.Index(line, text); c >= 0 {
			return fmt.Sprintf("%d:%d", i+1, c+1)
		}
	}
	t.Fatalf("%s has no %q", file, text)
	return ""
}

// lint, with no database, finds a mistyped profile at the line that names
// it and offers the profile meant; a mistyped resource type too.
func TestLintUnknownProfileWithoutDatabase(t *testing.T) {
	typo := strings.Replace(ccObservation, "Observation-1", "Observaton-1", 1)
	dir := demoSetEdited(t, "observation.yaml", nil, ccObservation, typo)
	code, out, errs := run(t, "lint", "-mappings", dir)
	file := filepath.Join(dir, "observation.yaml")
	want := fmt.Sprintf("%s:%s: Observation: profile %s is not a known profile (did you mean %s?)\n", file, lineCol(t, file, typo), typo, ccObservation)
	if code != 1 || !strings.HasPrefix(errs, want) || !strings.HasSuffix(errs, "ccfacade lint: 1 problem(s) in the mappings\n") {
		t.Errorf("lint of a mistyped profile: %d %q\n%s\nwant first:\n%s", code, out, errs, want)
	}

	dir = demoSetEdited(t, "observation.yaml", nil, "resource: Observation", "resource: Observaton")
	file = filepath.Join(dir, "observation.yaml")
	want = fmt.Sprintf(`%s:%s: Observaton: unknown FHIR STU3 resource type "Observaton" (did you mean "Observation"?)`, file, lineCol(t, file, "Observaton"))
	if code, _, errs := run(t, "lint", "-mappings", dir); code != 1 || !strings.Contains(errs, want) {
		t.Errorf("lint of a mistyped resource type: %d\n%s\nwant:\n%s", code, errs, want)
	}

	// A profile of another resource type.
	dir = demoSetEdited(t, "observation.yaml", nil, ccObservation, ccPatient)
	file = filepath.Join(dir, "observation.yaml")
	want = fmt.Sprintf("%s:%s: Observation: profile %s is a profile of Patient, not Observation", file, lineCol(t, file, ccPatient), ccPatient)
	if code, _, errs := run(t, "lint", "-mappings", dir); code != 1 || !strings.Contains(errs, want) {
		t.Errorf("lint of another type's profile: %d\n%s\nwant:\n%s", code, errs, want)
	}
}

// serve refuses to start with a profile it does not know, before it opens
// the database.
func TestServeRefusesUnknownProfile(t *testing.T) {
	typo := strings.Replace(ccObservation, "Observation-1", "Observaton-1", 1)
	dir := demoSetEdited(t, "observation.yaml", nil, ccObservation, typo)
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("server: { listen: 127.0.0.1:0 }\ndatabase: { adapter: postgres, dsn: \"postgres://nobody@127.0.0.1:1/none\" }\nmappings: %s\n", dir)), 0o600)
	code, _, errs := run(t, "serve", "-config", cfg)
	file := filepath.Join(dir, "observation.yaml")
	want := fmt.Sprintf("%s:%s: Observation: profile %s is not a known profile (did you mean %s?)", file, lineCol(t, file, typo), typo, ccObservation)
	if code != 1 || !strings.Contains(errs, want) || strings.Contains(errs, "127.0.0.1:1") {
		t.Errorf("serve with a mistyped profile: %d\n%s\nwant:\n%s", code, errs, want)
	}
}

// A folder of definitions under profiles: (or -profiles) makes its
// profiles known: a mapping may name one, lint checks rendered resources
// against its constraints, and the CapabilityStatement lists it.
func TestProfilesFolderGPConnect(t *testing.T) {
	dsn := demoDB(t)
	dir := demoSetEdited(t, "patient.yaml", nil, ccPatient, gpcPatient)
	gpc, _ := filepath.Abs("testdata/gpconnect")

	// Without the folder, the GP Connect profile is unknown.
	code, _, errs := run(t, "lint", "-mappings", dir)
	if code != 1 || !strings.Contains(errs, "Patient: profile "+gpcPatient+" is not a known profile") {
		t.Errorf("a GP Connect profile without its definitions: %d\n%s", code, errs)
	}
	// With it, lint runs GP Connect's constraints on sample Patients: the
	// demo gives the Care Connect NHS number verification status, where
	// GP Connect requires its own extension.
	code, out, errs := run(t, "lint", "-mappings", dir, "-profiles", gpc, "-adapter", "sqlite", "-dsn", dsn, "-sample", "3")
	want := regexp.MustCompile(`patient\.yaml:\d+:\d+: Patient/1 and 2 more of the 3 sampled: Patient\.identifier\[0\]\.extension:nhsNumberVerificationStatus: is required by the profile \(min 1\)`)
	if code != 1 || !want.MatchString(errs) {
		t.Errorf("lint against the GP Connect Patient: %d %q\n%s", code, out, errs)
	}
	// The demo's own Care Connect profile is met by the same rows.
	if code, out, errs := run(t, "lint", "-mappings", "../../mappingsets/demo", "-profiles", gpc, "-adapter", "sqlite", "-dsn", dsn, "-sample", "3"); code != 0 {
		t.Errorf("the demo with GP Connect's definitions added: %d %q\n%s", code, out, errs)
	}

	// serve: profiles: in the configuration, relative to it; the
	// CapabilityStatement lists the profile.
	cdir := t.TempDir()
	if err := os.Symlink(gpc, filepath.Join(cdir, "gpc")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(cdir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("server: { listen: 127.0.0.1:0 }\ndatabase: { adapter: sqlite, dsn: \"%s\" }\nmappings: %s\nprofiles: [gpc]\n", dsn, dir)), 0o600)
	m, stop := startServe(t, []string{"serve", "-config", cfg}, regexp.MustCompile(`serving (http://\S+/fhir)`))
	defer stop()
	res, err := http.Get(m[0][1] + "/metadata")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `"type":"Patient","profile":{"reference":"`+gpcPatient+`"}`) {
		t.Errorf("the CapabilityStatement does not list the GP Connect Patient: %s", truncateStr(string(body), 600))
	}
}

// A broken file of definitions is an error naming the file and what is
// wrong with it.
func TestBrokenDefinitions(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"no-snapshot.json":   `{"resourceType":"StructureDefinition","url":"https://example.org/StructureDefinition/A","type":"Patient","kind":"resource","derivation":"constraint","baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient"}`,
		"not-json.json":      "{\"resourceType\": \"ValueSet\",\n \"url\": }",
		"unknown-base.json":  `{"resourceType":"StructureDefinition","url":"https://example.org/StructureDefinition/B","type":"Patient","kind":"resource","derivation":"constraint","baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patiant","snapshot":{"element":[{"id":"Patient","path":"Patient","min":0,"max":"*"}]}}`,
		"r4.json":            `{"resourceType":"StructureDefinition","url":"https://example.org/StructureDefinition/C","fhirVersion":"4.0.1","type":"Patient","kind":"resource"}`,
		"operation.json":     `{"resourceType":"OperationDefinition","url":"https://example.org/OperationDefinition/x"}`,
		"notes.md":           "not a definition",
		"sub/wrong-max.json": `{"resourceType":"StructureDefinition","url":"https://example.org/StructureDefinition/D","type":"Patient","kind":"resource","derivation":"constraint","baseDefinition":"http://hl7.org/fhir/StructureDefinition/Patient","snapshot":{"element":[{"id":"Patient","path":"Patient","min":0,"max":"*"},{"id":"Patient.name","path":"Patient.name","min":1,"max":"many"}]}}`,
	}
	for name, body := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
	}
	code, _, errs := run(t, "lint", "-profiles", dir)
	want := []string{
		filepath.Join(dir, "no-snapshot.json") + ": StructureDefinition https://example.org/StructureDefinition/A: has no snapshot",
		filepath.Join(dir, "not-json.json") + ": not valid JSON: line 2: invalid character '}'",
		filepath.Join(dir, "r4.json") + ": StructureDefinition https://example.org/StructureDefinition/C is for FHIR 4.0.1; the facade serves STU3 (3.0.x)",
		filepath.Join(dir, "sub", "wrong-max.json") + `: StructureDefinition https://example.org/StructureDefinition/D: snapshot element Patient.name: max "many" is neither a number nor *`,
		"ccfacade lint: 4 problem(s) in the profile definitions",
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if code != 1 || len(lines) != len(want) {
		t.Fatalf("lint with broken definitions: %d\n%s", code, errs)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d:\n got %s\nwant %s", i+1, lines[i], w)
		}
	}
	// Once the files read, base definitions must resolve.
	for _, f := range []string{"no-snapshot.json", "not-json.json", "r4.json", "sub/wrong-max.json"} {
		os.Remove(filepath.Join(dir, f))
	}
	code, _, errs = run(t, "lint", "-profiles", dir)
	w := filepath.Join(dir, "unknown-base.json") + ": StructureDefinition https://example.org/StructureDefinition/B: baseDefinition http://hl7.org/fhir/StructureDefinition/Patiant is not a known definition (did you mean http://hl7.org/fhir/StructureDefinition/Patient?)"
	if code != 1 || !strings.Contains(errs, w) {
		t.Errorf("an unknown base definition: %d\n%s\nwant %s", code, errs, w)
	}
}

// A mapping that names no profile is checked against the STU3 definition
// of its resource type, here one outside the demo's: FamilyMemberHistory's
// relationship is 1..1.
func TestLintBaseDefinition(t *testing.T) {
	dsn := demoDB(t)
	const fmh = `resource: FamilyMemberHistory
from:
  table: PROBLEM
  key: PROBLEM_ID
element:
  status: completed
  patient:
    reference: { resource: Patient, key: PATIENT_ID }
  condition:
    - code: { text: { column: PROBLEM_TEXT } }
`
	dir := demoSetEdited(t, "", map[string]string{"familymemberhistory.yaml": fmh})
	code, _, errs := run(t, "lint", "-mappings", dir, "-adapter", "sqlite", "-dsn", dsn, "-sample", "3")
	want := regexp.MustCompile(`familymemberhistory\.yaml:1:11: FamilyMemberHistory/\d+ and 2 more of the 3 sampled: FamilyMemberHistory\.relationship: is required by the profile \(min 1\)`)
	if code != 1 || !want.MatchString(errs) {
		t.Errorf("FamilyMemberHistory without its relationship: %d\n%s", code, errs)
	}
	dir = demoSetEdited(t, "", map[string]string{"familymemberhistory.yaml": fmh + "  relationship: { text: relative }\n"})
	if code, out, errs := run(t, "lint", "-mappings", dir, "-adapter", "sqlite", "-dsn", dsn, "-sample", "3"); code != 0 {
		t.Errorf("FamilyMemberHistory with its relationship: %d %q\n%s", code, out, errs)
	}
}
