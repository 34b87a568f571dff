package main

import (
	"fmt"
	"sort"
	"strings"
)

// searchparams.txt (searchparams-r4.txt) holds the search parameter
// definitions of the base specification, read from the
// SearchParameter-*.json of the release's core package (CC0-1.0) and kept
// here, one definition a line, so that generating needs no copy of the
// specification. Rewrite it with:
// go run ./internal/gen/stu3gen [-fhir r4] -spec DIR.

// searchHeader is the header of a release's search list.
func searchHeader(r *release) string {
	return fmt.Sprintf(`# The search parameter definitions of FHIR %s (%s): the
# SearchParameter-*.json of the %s package (CC0-1.0) that
# are not experimental (those are the definitions of extensions and the
# examples), one a line, sorted by id, with tab-separated fields:
# id, code, type, base types (comma-separated), target types
# (comma-separated), FHIRPath expression.
# Written by: %s (DIR holds the
# package's SearchParameter-*.json). Do not edit.
`, r.Title, r.Version, r.Core, r.command())
}

// searchDef is one SearchParameter definition.
type searchDef struct {
	ID, Code, Type string
	Base, Target   []string
	Expression     string
}

// searchFromSpec reads the SearchParameter definitions in dir and returns
// the search list, and how many experimental definitions it left out.
func searchFromSpec(r *release, dir string) ([]byte, int, error) {
	type searchParameter struct {
		ResourceType string   `json:"resourceType"`
		ID           string   `json:"id"`
		URL          string   `json:"url"`
		Experimental bool     `json:"experimental"`
		Code         string   `json:"code"`
		Type         string   `json:"type"`
		Base         []string `json:"base"`
		Target       []string `json:"target"`
		Expression   string   `json:"expression"`
	}
	var defs []searchDef
	experimental := 0
	err := eachSpecFile(dir, "SearchParameter-*.json", func(f string, sp *searchParameter) error {
		if sp.ResourceType != "SearchParameter" {
			return nil
		}
		if sp.Experimental {
			experimental++
			return nil
		}
		if sp.URL != "http://hl7.org/fhir/SearchParameter/"+sp.ID {
			return fmt.Errorf("%s: url %s is not that of id %s", f, sp.URL, sp.ID)
		}
		d := searchDef{ID: sp.ID, Code: sp.Code, Type: sp.Type, Base: sp.Base, Target: sp.Target, Expression: strings.Join(strings.Fields(sp.Expression), " ")}
		// The expression's white space is folded above; the other
		// fields are names, which hold no separator.
		for _, s := range append([]string{d.ID, d.Code, d.Type}, append(d.Base, d.Target...)...) {
			if s == "" || strings.ContainsAny(s, "\t\n\r ,") {
				return fmt.Errorf("%s: field %q is empty or holds a separator", f, s)
			}
		}
		if len(d.Base) == 0 {
			return fmt.Errorf("%s: no base", f)
		}
		defs = append(defs, d)
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if len(defs) == 0 {
		return nil, 0, fmt.Errorf("%s: no search parameter definitions", dir)
	}
	sort.Slice(defs, func(i, j int) bool { return defs[i].ID < defs[j].ID })
	lines := make([]string, len(defs))
	for i, d := range defs {
		lines[i] = strings.Join([]string{d.ID, d.Code, d.Type, strings.Join(d.Base, ","), strings.Join(d.Target, ","), d.Expression}, "\t")
	}
	return writeList(searchHeader(r), lines), experimental, nil
}

// parseSearchList reads a search list.
func parseSearchList(data []byte) ([]searchDef, error) {
	var defs []searchDef
	for n, line := range listLines(data) {
		f := strings.Split(line, "\t")
		if len(f) != 6 {
			return nil, fmt.Errorf("search list line %d: %d fields, want 6", n, len(f))
		}
		split := func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, ",")
		}
		defs = append(defs, searchDef{ID: f[0], Code: f[1], Type: f[2], Base: split(f[3]), Target: split(f[4]), Expression: f[5]})
	}
	return defs, nil
}
