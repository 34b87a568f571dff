// Command profilegen writes the profile checker's built-in definitions:
// fhir/profile/stu3core.json.gz, every resource and data type of FHIR
// STU3 (3.0.1) with the core profiles and extensions, and
// fhir/profile/careconnect.json.gz, the Care Connect STU3 profiles,
// extensions, value sets and code systems, and fhir/profile/gpconnect.json.gz,
// the GP Connect STU3 ones (gpconnect.go). All are reduced by
// profile.Definitions to what the checker reads (snapshot elements, the
// value sets of required bindings and their code systems) and gzipped.
//
// Run from the repository root:
//
//	go run ./internal/gen/profilegen \
//	  -careconnect ../shared/careconnect/profiles-json \
//	  -gpconnect ../shared/gpconnect/profiles-json \
//	  -core-git /work/.mirror/google+fhir/repo -core-path spec/hl7.fhir.core/3.0.1/package
//
// With -release r4 it writes fhir/profile/r4core.json.gz, every resource
// and data type of FHIR R4 (4.0.1) with the core profiles and extensions,
// and fhir/profile/ukcore.json.gz, the UK Core profiles, extensions,
// value sets and code systems, with the R4 core definitions UK Core
// publishes copies of (see r4.go):
//
//	go run ./internal/gen/profilegen -release r4 \
//	  -ukcore ../shared/ukcore/profiles-json \
//	  -core-git /work/.mirror/google+fhir/repo -core-path spec/hl7.fhir.core/4.0.1/package
//
// The STU3 core package (hl7.fhir.core 3.0.1, CC0) is read from a git
// repository that holds it (google/fhir keeps it under spec/), without a
// work tree; -core reads an unpacked package folder instead.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ccfacade/ccfacade/fhir/profile"
)

func main() {
	cc := flag.String("careconnect", "../shared/careconnect/profiles-json", "the Care Connect profiles-json folder")
	coreDir := flag.String("core", "", "an unpacked hl7.fhir.core 3.0.1 package folder (instead of -core-git)")
	coreGit := flag.String("core-git", "/work/.mirror/google+fhir/repo", "a git repository holding the hl7.fhir.core 3.0.1 package")
	corePath := flag.String("core-path", "spec/hl7.fhir.core/3.0.1/package", "the package's folder in -core-git")
	coreRev := flag.String("core-rev", "HEAD", "the revision of -core-git")
	gpcDir := flag.String("gpconnect", "../shared/gpconnect/profiles-json", "the GP Connect profiles-json folder")
	out := flag.String("out", "fhir/profile", "the folder to write to")
	release := flag.String("release", "stu3", "the release to write: stu3 (core and Care Connect) or r4 (core and UK Core)")
	uk := flag.String("ukcore", "../shared/ukcore/profiles-json", "the UK Core profiles-json folder (-release r4)")
	flag.Parse()
	switch *release {
	case "stu3":
	case "r4":
		path := *corePath
		if path == "spec/hl7.fhir.core/3.0.1/package" {
			path = "spec/hl7.fhir.core/4.0.1/package"
		}
		files, err := coreFiles(*coreDir, *coreGit, path, *coreRev)
		if err != nil {
			log.Fatal(err)
		}
		writeR4(*uk, files, *out)
		return
	default:
		log.Fatalf("-release %q: stu3 or r4", *release)
	}

	care := profile.NewDefinitions("HL7 UK / INTEROPen Care Connect STU3 profiles (nhsconnect/CareConnect-profiles-STU3, Apache-2.0)")
	for _, sub := range []string{"constraints", "extra", "valuesets", "codesystems"} {
		files, _ := filepath.Glob(filepath.Join(*cc, sub, "*.json"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				log.Fatal(err)
			}
			if _, err := care.Add(f, data); err != nil {
				log.Fatalf("%s: %v", f, err)
			}
		}
	}

	core := profile.NewDefinitions("HL7 FHIR STU3 3.0.1 core definitions (hl7.fhir.core 3.0.1, CC0)")
	files, err := coreFiles(*coreDir, *coreGit, *corePath, *coreRev)
	if err != nil {
		log.Fatal(err)
	}
	for name, data := range files {
		if _, err := core.Add(name, data); err != nil {
			// The package's examples (StructureDefinition-example, a
			// DSTU2 one) are not definitions of STU3.
			fmt.Printf("left out %s: %v\n", name, err)
		}
	}
	gpc := gpConnect(*gpcDir, core, care)
	// Care Connect's copies of core definitions (its extensions of
	// hl7.org/fhir URLs) are the ones kept.
	core.Drop(care)
	core.Prune(func(url, kind, typ, derivation string) bool { return kind != "logical" }, care)
	care.Prune(func(string, string, string, string) bool { return true })
	dropShared(gpc, core, care)

	for _, w := range []struct {
		name string
		defs *profile.Definitions
	}{{"stu3core.json.gz", core}, {"careconnect.json.gz", care}, {"gpconnect.json.gz", gpc}} {
		var buf bytes.Buffer
		if err := w.defs.WriteGzip(&buf); err != nil {
			log.Fatal(err)
		}
		dst := filepath.Join(*out, w.name)
		if err := os.WriteFile(dst, buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("wrote %s: %s, %d bytes\n", dst, w.defs.Counts(), buf.Len())
	}
}

// coreFiles returns the StructureDefinition, ValueSet and CodeSystem
// files of the core package, by name.
func coreFiles(dir, repo, path, rev string) (map[string][]byte, error) {
	want := func(name string) bool {
		for _, p := range []string{"StructureDefinition-", "ValueSet-", "CodeSystem-"} {
			if strings.HasPrefix(name, p) && strings.HasSuffix(name, ".json") {
				return true
			}
		}
		return false
	}
	out := map[string][]byte{}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if want(e.Name()) {
				data, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					return nil, err
				}
				out[e.Name()] = data
			}
		}
		return out, nil
	}
	list, err := exec.Command("git", "-C", repo, "ls-tree", "-z", rev+":"+path).Output()
	if err != nil {
		return nil, fmt.Errorf("git ls-tree %s:%s in %s: %w", rev, path, repo, err)
	}
	var names, hashes []string
	for _, line := range strings.Split(strings.TrimRight(string(list), "\x00"), "\x00") {
		meta, name, ok := strings.Cut(line, "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[1] != "blob" || !want(name) {
			continue
		}
		names, hashes = append(names, name), append(hashes, f[2])
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no StructureDefinition files in %s:%s of %s", rev, path, repo)
	}
	cmd := exec.Command("git", "-C", repo, "cat-file", "--batch")
	cmd.Stdin = strings.NewReader(strings.Join(hashes, "\n") + "\n")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := bufio.NewReader(stdout)
	for i, h := range hashes {
		head, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		f := strings.Fields(head)
		if len(f) != 3 || f[0] != h {
			return nil, fmt.Errorf("%s: git cat-file: %s", names[i], strings.TrimSpace(head))
		}
		size, _ := strconv.Atoi(f[2])
		data := make([]byte, size+1) // and the newline after it
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, err
		}
		out[names[i]] = data[:size]
	}
	if err := cmd.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
