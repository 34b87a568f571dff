package main

import (
	"bytes"
	"fmt"
	"go/format"
	"maps"
	"slices"
	"sort"
	"strings"
)

// compartments.txt (compartments-r4.txt) holds the compartment definitions
// of the base specification (Patient, Encounter, RelatedPerson,
// Practitioner, Device), read from the CompartmentDefinition-*.json of the
// release's core package (CC0-1.0) and kept here, so that generating needs
// no copy of the specification. Rewrite it with:
// go run ./internal/gen/stu3gen [-fhir r4] -spec DIR.

// compartmentHeader is the header of a release's compartment list.
func compartmentHeader(r *release) string {
	return fmt.Sprintf(`# The compartment definitions of FHIR %s (%s): the
# CompartmentDefinition-*.json of the %s package
# (CC0-1.0) that define the base compartments (those whose url is
# http://hl7.org/fhir/CompartmentDefinition/{code, first letter lower
# case}; the package's example is not one), one resource type of a
# compartment a line, sorted by compartment and resource type, with
# tab-separated fields: compartment, resource type, the search parameters
# that put a resource of the type in the compartment (comma-separated, in
# the definition's order; {def} is the compartment's own resource). A
# resource type the definition lists without parameters is never in the
# compartment, and is not listed.
# Written by: %s (DIR holds the
# package's CompartmentDefinition-*.json). Do not edit.
`, r.Title, r.Version, r.Core, r.command())
}

// compartmentDef is one resource type of a compartment.
type compartmentDef struct {
	Compartment, Resource string
	Params                []string
}

// compartmentFromSpec reads the CompartmentDefinitions in dir and returns
// the compartment list.
func compartmentFromSpec(r *release, dir string) ([]byte, error) {
	type compartmentDefinition struct {
		ResourceType string `json:"resourceType"`
		URL          string `json:"url"`
		Code         string `json:"code"`
		Resource     []struct {
			Code  string   `json:"code"`
			Param []string `json:"param"`
		} `json:"resource"`
	}
	var defs []compartmentDef
	seen := map[string]string{}
	err := eachSpecFile(dir, "CompartmentDefinition-*.json", func(f string, cd *compartmentDefinition) error {
		if cd.ResourceType != "CompartmentDefinition" || cd.Code == "" {
			return nil
		}
		if cd.URL != "http://hl7.org/fhir/CompartmentDefinition/"+strings.ToLower(cd.Code[:1])+cd.Code[1:] {
			return nil // an example, not the base definition of its compartment
		}
		if other, dup := seen[cd.Code]; dup {
			return fmt.Errorf("%s: a second definition of the %s compartment (the first: %s)", f, cd.Code, other)
		}
		seen[cd.Code] = f
		for _, res := range cd.Resource {
			if len(res.Param) == 0 {
				continue
			}
			for _, s := range append([]string{res.Code}, res.Param...) {
				if s == "" || strings.ContainsAny(s, "\t\n\r ,") {
					return fmt.Errorf("%s: %s: field %q is empty or holds a separator", f, res.Code, s)
				}
			}
			defs = append(defs, compartmentDef{cd.Code, res.Code, res.Param})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(defs) == 0 {
		return nil, fmt.Errorf("%s: no compartment definition lists a resource type with a parameter", dir)
	}
	sort.Slice(defs, func(i, j int) bool {
		if defs[i].Compartment != defs[j].Compartment {
			return defs[i].Compartment < defs[j].Compartment
		}
		return defs[i].Resource < defs[j].Resource
	})
	lines := make([]string, len(defs))
	for i, d := range defs {
		lines[i] = d.Compartment + "\t" + d.Resource + "\t" + strings.Join(d.Params, ",")
	}
	return writeList(compartmentHeader(r), lines), nil
}

// parseCompartmentList reads a compartment list.
func parseCompartmentList(data []byte) ([]compartmentDef, error) {
	var defs []compartmentDef
	for n, line := range listLines(data) {
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[0] == "" || f[1] == "" || f[2] == "" {
			return nil, fmt.Errorf("compartment list line %d: want 3 fields, none empty: %q", n, line)
		}
		defs = append(defs, compartmentDef{f[0], f[1], strings.Split(f[2], ",")})
	}
	return defs, nil
}

// generateCompartment returns the source of compartment_gen.go, and a
// summary of what it holds, from the compartment list, checked against
// the element table and the search table (generate and generateSearch
// built them): every compartment and resource is a resource type, and
// every parameter one of the search table's for its type, but for a chain
// through another resource (STU3 AuditEvent's agent.patient), which no
// parameter of the table is: those are listed in the file's header.
func (g *gen) generateCompartment() ([]byte, string, error) {
	defs, err := parseCompartmentList(g.rel.Compartment)
	if err != nil {
		return nil, "", err
	}
	if len(defs) == 0 {
		return nil, "", fmt.Errorf("stu3gen: the %s compartment list is empty", g.rel.Title)
	}
	var problems, chains []string
	byComp := map[string][]compartmentDef{}
	for _, d := range defs {
		for _, n := range []string{d.Compartment, d.Resource} {
			if !g.isResourceName(n) {
				problems = append(problems, fmt.Sprintf("compartment %s, %s: %s is not a resource", d.Compartment, d.Resource, n))
			}
		}
		for _, p := range d.Params {
			switch {
			case p == "{def}":
				if d.Resource != d.Compartment {
					problems = append(problems, fmt.Sprintf("compartment %s, %s: {def} is for the compartment's own resource", d.Compartment, d.Resource))
				}
			case slices.ContainsFunc(g.search[d.Resource], func(sp searchParam) bool { return sp.Name == p }):
			case strings.Contains(p, "."):
				chains = append(chains, fmt.Sprintf("%s %s %s", d.Compartment, d.Resource, p))
			default:
				problems = append(problems, fmt.Sprintf("compartment %s, %s: %s is not one of its search parameters", d.Compartment, d.Resource, p))
			}
		}
		byComp[d.Compartment] = append(byComp[d.Compartment], d)
	}
	if len(problems) > 0 {
		return nil, "", fmt.Errorf("stu3gen: the %s compartments:\n  %s", g.rel.Title, strings.Join(problems, "\n  "))
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by internal/gen/stu3gen from the CompartmentDefinitions of the %s package (internal/gen/stu3gen/%s). DO NOT EDIT.\n\npackage %s\n\n", g.rel.Core, g.rel.CompartmentFile, g.rel.Name)
	fmt.Fprintf(&b, "// compartments are the resource types of each %s compartment, with the\n// search parameters that put a resource of the type in it, in the\n// definition's order (\"{def}\": the compartment's own resource): %d\n// compartments, %d resource types in all.\n", g.rel.Title, len(byComp), len(defs))
	if len(chains) > 0 {
		fmt.Fprintf(&b, "//\n// Chains through another resource, which no search parameter of the\n// table is (%d):\n", len(chains))
		for _, c := range chains {
			fmt.Fprintf(&b, "//   - %s\n", c)
		}
	}
	b.WriteString("var compartments = map[string]map[string][]string{\n")
	for _, c := range slices.Sorted(maps.Keys(byComp)) {
		fmt.Fprintf(&b, "\t%q: {\n", c)
		for _, d := range byComp[c] {
			fmt.Fprintf(&b, "\t\t%q: %s,\n", d.Resource, strings.TrimPrefix(quoteList(d.Params), "[]string"))
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, "", err
	}
	return src, fmt.Sprintf("%d compartments, %d resource types in all; %d chains", len(byComp), len(defs), len(chains)), nil
}
