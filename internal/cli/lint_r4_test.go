package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/fhir/r4"
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

// A folder of R4 definitions under profiles_r4: (or -profiles-r4) makes
// its profiles known to a mapping's r4 section, and lint checks the R4
// form of the sample against them; a definition of another release in
// it is an error naming its file.
func TestProfilesR4Folder(t *testing.T) {
	dsn := demoDB(t)
	const url = "https://example.org/fhir/StructureDefinition/Practice-Patient"
	dir := demoSetEdited(t, "patient.yaml", nil, "resource: Patient\n", "resource: Patient\nr4:\n  profile: "+url+"\n")
	// The practice's profile: UK Core's Patient, with a multiple-birth
	// indicator required (the demo records none). Its snapshot is R4's
	// Patient, from the R4 table.
	defs := t.TempDir()
	var elems []map[string]any
	elems = append(elems, map[string]any{"path": "Patient", "min": 0, "max": "*"})
	for _, e := range r4.Lookup("Patient").Elements {
		var types []map[string]string
		for _, ty := range e.Types {
			if strings.Contains(ty, ".") {
				ty = "BackboneElement"
			}
			types = append(types, map[string]string{"code": ty})
		}
		min := e.Min
		if e.Name == "multipleBirth[x]" {
			min = 1
		}
		elems = append(elems, map[string]any{"path": "Patient." + e.Name, "min": min, "max": e.Max, "type": types})
	}
	sd, _ := json.Marshal(map[string]any{"resourceType": "StructureDefinition", "url": url, "fhirVersion": "4.0.1", "kind": "resource", "type": "Patient",
		"derivation": "constraint", "baseDefinition": "https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient", "snapshot": map[string]any{"element": elems}})
	if err := os.WriteFile(filepath.Join(defs, "practice-patient.json"), sd, 0o644); err != nil {
		t.Fatal(err)
	}

	// Without the folder, the profile is unknown, at the mapping's line.
	code, _, errs := run(t, "lint", "-mappings", dir)
	if code != 1 || !regexp.MustCompile(`patient\.yaml:\d+:\d+: Patient r4\.profile: "`+regexp.QuoteMeta(url)+`" is not a UK Core profile of Patient \(known: [^)]+\), nor one of the R4 definitions \(profiles_r4\): .* is not a known profile`).MatchString(errs) {
		t.Errorf("an R4 profile without its definitions: %d\n%s", code, errs)
	}
	// With it, lint checks the R4 Patients against it, and only them.
	code, out, errs := run(t, "lint", "-mappings", dir, "-profiles-r4", defs, "-adapter", "sqlite", "-dsn", dsn, "-sample", "3")
	if code != 1 || !regexp.MustCompile(`R4 \(UK Core\) .*Patient/1 and 2 more of the 3 sampled: Patient\.multipleBirth: is required by the profile \(min 1\)`).MatchString(errs) ||
		strings.Count(errs, "multipleBirth") != 1 {
		t.Errorf("lint against the practice's R4 Patient: %d %q\n%s", code, out, errs)
	}
	// The same folder in a configuration, relative to it: the profile is
	// known there too (serve would load it the same way).
	cdir := t.TempDir()
	if err := os.Symlink(defs, filepath.Join(cdir, "r4defs")); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(cdir, "c.yaml")
	os.WriteFile(cfg, []byte("database: { adapter: sqlite, dsn: \""+dsn+"\" }\nmappings: "+dir+"\nprofiles_r4: [r4defs]\n"), 0o600)
	if code, _, errs := run(t, "lint", "-config", cfg); code != 1 || !strings.Contains(errs, "Patient.multipleBirth: is required by the profile (min 1)") {
		t.Errorf("lint -config with profiles_r4: %d\n%s", code, errs)
	}

	// An STU3 definition in an R4 folder.
	stu3 := filepath.Join(defs, "stu3.json")
	os.WriteFile(stu3, []byte(`{"resourceType":"StructureDefinition","url":"https://example.org/S","fhirVersion":"3.0.1","type":"Patient","kind":"resource"}`), 0o644)
	code, _, errs = run(t, "lint", "-mappings", dir, "-profiles-r4", defs)
	if want := stu3 + ": StructureDefinition https://example.org/S is for FHIR 3.0.1; the R4 definitions are of 4.0.x"; code != 1 || !strings.Contains(errs, want) {
		t.Errorf("an STU3 definition among R4 ones: %d\n%s\nwant %s", code, errs, want)
	}
}
