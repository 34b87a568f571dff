package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/ccfacade/ccfacade/fhir/profile"
)

// ukCoreFolders are the folders of UK Core's profiles-json read for R4:
// its profiles, extensions, value sets and code systems, and the R4 core
// definitions it publishes copies of (core-profiles, core-terminology).
var ukCoreFolders = []string{"constraints", "extensions", "core-profiles", "valuesets", "codesystems", "core-terminology"}

// writeR4 writes r4core.json.gz (the R4 core package, files by name) and
// ukcore.json.gz (the UK Core folder uk) to out.
func writeR4(uk string, coreFiles map[string][]byte, out string) {
	ukc := profile.NewDefinitionsR4("HL7 UK Core 2.0.2 R4 profiles (NHSDigital/FHIR-R4-UKCORE-STAGING-MAIN, tag 2.0.2; Apache-2.0)")
	for _, sub := range ukCoreFolders {
		files, _ := filepath.Glob(filepath.Join(uk, sub, "*.json"))
		if len(files) == 0 {
			log.Fatalf("%s: no *.json files", filepath.Join(uk, sub))
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				log.Fatal(err)
			}
			if _, err := ukc.Add(f, data); err != nil {
				log.Fatalf("%s: %v", f, err)
			}
		}
	}
	core := profile.NewDefinitionsR4("HL7 FHIR R4 4.0.1 core definitions (hl7.fhir.r4.core 4.0.1, CC0)")
	for name, data := range coreFiles {
		if _, err := core.Add(name, data); err != nil {
			fmt.Printf("left out %s: %v\n", name, err)
		}
	}
	// UK Core's copies of core definitions are the ones kept.
	core.Drop(ukc)
	core.Prune(func(url, kind, typ, derivation string) bool { return kind != "logical" }, ukc)
	ukc.Prune(func(string, string, string, string) bool { return true })
	for _, w := range []struct {
		name string
		defs *profile.Definitions
	}{{"r4core.json.gz", core}, {"ukcore.json.gz", ukc}} {
		var buf bytes.Buffer
		if err := w.defs.WriteGzip(&buf); err != nil {
			log.Fatal(err)
		}
		dst := filepath.Join(out, w.name)
		if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("wrote %s: %s, %d bytes\n", dst, w.defs.Counts(), buf.Len())
	}
}
