// Command profilegen writes fhir/profile/careconnect.json: the Care Connect
// STU3 StructureDefinitions (snapshot elements, reduced to what the profile
// checker uses), value sets and code systems, from the published JSON.
//
// Run from the repository root with the profiles beside it:
//
//	go run ./internal/gen/profilegen -in ../shared/careconnect/profiles-json
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type element struct {
	ID      string          `json:"id"`
	Path    string          `json:"path"`
	Slice   string          `json:"slice,omitempty"`
	Min     int             `json:"min"`
	Max     string          `json:"max"`
	Types   []typeRef       `json:"types,omitempty"`
	Fixed   json.RawMessage `json:"fixed,omitempty"`
	Binding *binding        `json:"binding,omitempty"`
	Slicing []string        `json:"slicing,omitempty"`
}

type typeRef struct {
	Code    string `json:"code"`
	Profile string `json:"profile,omitempty"`
	Target  string `json:"target,omitempty"`
}

type binding struct {
	Strength string `json:"strength"`
	ValueSet string `json:"valueSet"`
}

type profile struct {
	Type    string `json:"type"`
	Version string `json:"version"`
	// Context is, for an extension, where it may be used (element paths or
	// type names, STU3's context with contextType resource or datatype).
	Context  []string  `json:"context,omitempty"`
	Elements []element `json:"elements"`
}

type include struct {
	System string   `json:"system"`
	Codes  []string `json:"codes,omitempty"`
}

type out struct {
	Source      string               `json:"source"`
	Profiles    map[string]profile   `json:"profiles"`
	ValueSets   map[string][]include `json:"valueSets"`
	CodeSystems map[string][]string  `json:"codeSystems"`
}

func main() {
	in := flag.String("in", "../shared/careconnect/profiles-json", "the profiles-json folder")
	dst := flag.String("out", "fhir/profile/careconnect.json", "output")
	flag.Parse()
	o := out{
		Source:      "HL7 UK / INTEROPen Care Connect STU3 profiles (nhsconnect/CareConnect-profiles-STU3, Apache-2.0)",
		Profiles:    map[string]profile{},
		ValueSets:   map[string][]include{},
		CodeSystems: map[string][]string{},
	}
	files, _ := filepath.Glob(filepath.Join(*in, "constraints", "*.json"))
	extra, _ := filepath.Glob(filepath.Join(*in, "extra", "*.json"))
	for _, f := range append(files, extra...) {
		var sd struct {
			URL      string   `json:"url"`
			Version  string   `json:"version"`
			Type     string   `json:"type"`
			Context  []string `json:"context"`
			Snapshot struct {
				Element []map[string]json.RawMessage `json:"element"`
			} `json:"snapshot"`
		}
		read(f, &sd)
		p := profile{Type: sd.Type, Version: sd.Version}
		if sd.Type == "Extension" {
			p.Context = sd.Context
		}
		for _, e := range sd.Snapshot.Element {
			var el element
			get(e, "id", &el.ID)
			get(e, "path", &el.Path)
			get(e, "sliceName", &el.Slice)
			get(e, "min", &el.Min)
			get(e, "max", &el.Max)
			var types []map[string]any
			get(e, "type", &types)
			for _, t := range types {
				tr := typeRef{}
				tr.Code, _ = t["code"].(string)
				tr.Profile, _ = t["profile"].(string)
				tr.Target, _ = t["targetProfile"].(string)
				el.Types = append(el.Types, tr)
			}
			for k, v := range e {
				if strings.HasPrefix(k, "fixed") || strings.HasPrefix(k, "pattern") {
					el.Fixed = v
				}
			}
			var b map[string]any
			if get(e, "binding", &b) {
				bd := &binding{}
				bd.Strength, _ = b["strength"].(string)
				if r, ok := b["valueSetReference"].(map[string]any); ok {
					bd.ValueSet, _ = r["reference"].(string)
				}
				if u, ok := b["valueSetUri"].(string); ok {
					bd.ValueSet = u
				}
				if bd.Strength == "required" || bd.Strength == "extensible" {
					el.Binding = bd
				}
			}
			var slicing struct {
				Discriminator []struct{ Path string } `json:"discriminator"`
			}
			if get(e, "slicing", &slicing) {
				for _, d := range slicing.Discriminator {
					el.Slicing = append(el.Slicing, d.Path)
				}
			}
			p.Elements = append(p.Elements, el)
		}
		// A later version (extra/) replaces an earlier one.
		if prev, ok := o.Profiles[sd.URL]; !ok || prev.Version < p.Version {
			o.Profiles[sd.URL] = p
		}
	}
	vsFiles, _ := filepath.Glob(filepath.Join(*in, "valuesets", "*.json"))
	for _, f := range vsFiles {
		var vs struct {
			URL     string `json:"url"`
			Compose struct {
				Include []struct {
					System  string `json:"system"`
					Concept []struct {
						Code string `json:"code"`
					} `json:"concept"`
				} `json:"include"`
			} `json:"compose"`
		}
		read(f, &vs)
		for _, inc := range vs.Compose.Include {
			i := include{System: inc.System}
			for _, c := range inc.Concept {
				i.Codes = append(i.Codes, c.Code)
			}
			o.ValueSets[vs.URL] = append(o.ValueSets[vs.URL], i)
		}
	}
	csFiles, _ := filepath.Glob(filepath.Join(*in, "codesystems", "*.json"))
	for _, f := range csFiles {
		var cs struct {
			URL     string `json:"url"`
			Concept []struct {
				Code string `json:"code"`
			} `json:"concept"`
		}
		read(f, &cs)
		codes := []string{}
		for _, c := range cs.Concept {
			codes = append(codes, c.Code)
		}
		sort.Strings(codes)
		o.CodeSystems[cs.URL] = codes
	}
	data, err := json.Marshal(o)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*dst, append(data, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("wrote %s: %d profiles, %d value sets, %d code systems, %d bytes\n", *dst, len(o.Profiles), len(o.ValueSets), len(o.CodeSystems), len(data))
}

func read(f string, v any) {
	data, err := os.ReadFile(f)
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		log.Fatalf("%s: %v", f, err)
	}
}

func get(m map[string]json.RawMessage, k string, v any) bool {
	raw, ok := m[k]
	if !ok {
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		log.Fatalf("%s: %v", k, err)
	}
	return true
}
