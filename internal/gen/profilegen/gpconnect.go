package main

import (
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/ccfacade/ccfacade/fhir/profile"
)

// gpConnect reads the GP Connect STU3 conformance resources of a
// profiles-json folder (every *.json below it) for gpconnect.json.gz:
// GP Connect's profiles and extensions, the Care Connect extensions they
// use, and the value sets and code systems of their required bindings,
// taken from the folder or, when only the STU3 core or Care Connect sets
// hold them, from those (core and care are read before they are
// pruned).
func gpConnect(dir string, core, care *profile.Definitions) *profile.Definitions {
	gpc := profile.NewDefinitions("GP Connect STU3 profiles (nhsconnect/gpconnect-fhir release/1.5.0 and Care Connect extensions, Apache-2.0)")
	err := filepath.WalkDir(dir, func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if _, err := gpc.Add(path, data); err != nil {
			log.Fatalf("%s: %v", path, err)
		}
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, from := range []*profile.Definitions{care, core} {
		for url, vs := range from.ValueSets {
			if gpc.ValueSets[url] == nil {
				gpc.ValueSets[url] = vs
			}
		}
		for url, cs := range from.CodeSystems {
			if gpc.CodeSystems[url] == nil {
				gpc.CodeSystems[url] = cs
			}
		}
	}
	gpc.Prune(func(string, string, string, string) bool { return true })
	return gpc
}

// dropShared removes from gpc what the written core and Care Connect sets
// already hold in the same version.
func dropShared(gpc *profile.Definitions, sets ...*profile.Definitions) {
	for _, s := range sets {
		for url, p := range s.Profiles {
			if q := gpc.Profiles[url]; q != nil && q.Version == p.Version {
				delete(gpc.Profiles, url)
			}
		}
		for url, v := range s.ValueSets {
			if w := gpc.ValueSets[url]; w != nil && w.Version == v.Version {
				delete(gpc.ValueSets, url)
			}
		}
		for url, c := range s.CodeSystems {
			if d := gpc.CodeSystems[url]; d != nil && d.Version == c.Version {
				delete(gpc.CodeSystems, url)
			}
		}
	}
}
