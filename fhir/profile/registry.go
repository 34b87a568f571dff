package profile

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/ccfacade/ccfacade/textfn"
)

// The built-in definitions, written by internal/gen/profilegen.
var (
	//go:embed stu3core.json.gz
	stu3Data []byte
	//go:embed careconnect.json.gz
	careConnectData []byte
)

// Registry is a set of definitions the checker resolves URLs in: the
// built-in STU3 base definitions and Care Connect profiles, and any
// folders of definitions added to them. A Registry is read-only once
// made, and safe for use by many goroutines.
type Registry struct {
	profiles    map[string]*structure
	valueSets   map[string]*valueSet
	codeSystems map[string]*codeSystem
	// added counts the definitions read from folders (not built in).
	added int
	// r4 marks a registry of FHIR R4 definitions (BuiltinR4).
	r4 bool
}

// Builtin is the registry of the built-in definitions: every resource
// and data type of FHIR STU3 (3.0.1) with the core extensions and
// profiles, and the Care Connect STU3 profiles, extensions, value sets
// and code systems.
var Builtin = sync.OnceValue(func() *Registry {
	return newBuiltin("built-in definitions", nil, false, embedded{"stu3core.json.gz", stu3Data}, embedded{"careconnect.json.gz", careConnectData})
})

// embedded is a generated definitions file built into the binary.
type embedded struct {
	name string
	data []byte
}

// extend is a new registry holding base's definitions (nil: none), to
// which more are merged; r4 reads them as R4 has them.
func extend(base *Registry, r4 bool) *Registry {
	r := &Registry{profiles: map[string]*structure{}, valueSets: map[string]*valueSet{}, codeSystems: map[string]*codeSystem{}, r4: r4}
	if base != nil {
		maps.Copy(r.profiles, base.profiles)
		maps.Copy(r.valueSets, base.valueSets)
		maps.Copy(r.codeSystems, base.codeSystems)
	}
	return r
}

// newBuiltin makes a registry of embedded definitions: those of base
// (nil: none) and the files, read in turn (a file's definitions replace
// base's of the same URL); r4 reads them as R4 has them. A file that does
// not read or resolve is a fault of the build: it panics, naming what.
func newBuiltin(what string, base *Registry, r4 bool, files ...embedded) *Registry {
	r := extend(base, r4)
	for _, f := range files {
		d, err := readGzip("fhir/profile/"+f.name, f.data)
		if err != nil {
			panic("profile: " + what + ": " + err.Error())
		}
		r.merge(d, base != nil)
	}
	r.index()
	if errs := r.resolve(); len(errs) > 0 {
		panic("profile: " + what + ": " + errs.Error())
	}
	return r
}

// merge adds d's definitions; of two with one URL the later version is
// kept, and on a tie the one added last when later.
func (r *Registry) merge(d *Definitions, later bool) {
	for url, p := range d.Profiles {
		p.url = url
		if prev, ok := r.profiles[url]; !ok || laterVersion(p.Version, prev.Version) || later && p.Version == prev.Version {
			r.profiles[url] = p
		}
	}
	for url, v := range d.ValueSets {
		if prev, ok := r.valueSets[url]; !ok || laterVersion(v.Version, prev.Version) || later && v.Version == prev.Version {
			r.valueSets[url] = v
		}
	}
	for url, c := range d.CodeSystems {
		if prev, ok := r.codeSystems[url]; !ok || laterVersion(c.Version, prev.Version) || later && c.Version == prev.Version {
			r.codeSystems[url] = c
		}
	}
}

// index prepares what the checker looks up: each structure's children by
// parent id, fixed values decoded, code systems as sets. Structures
// already indexed (shared with the built-in registry) are left as they
// are.
func (r *Registry) index() {
	for _, p := range r.profiles {
		if p.children != nil {
			continue
		}
		p.children = map[string][]*element{}
		if len(p.Elements) > 0 {
			p.root = p.Elements[0].ID
		}
		for _, e := range p.Elements {
			if len(e.Fixed) > 0 {
				_ = json.Unmarshal(e.Fixed, &e.fixed)
			}
			i := strings.LastIndex(e.ID, ".")
			if i < 0 {
				continue
			}
			e.name, _, _ = strings.Cut(e.ID[i+1:], ":")
			p.children[e.ID[:i]] = append(p.children[e.ID[:i]], e)
		}
	}
	for _, c := range r.codeSystems {
		if c.set != nil {
			continue
		}
		c.set = make(map[string]bool, len(c.Codes))
		for _, code := range c.Codes {
			c.set[code] = true
		}
	}
}

// resolve checks that every definition's base is known and that a
// profile constrains the type its base defines.
func (r *Registry) resolve() Errors {
	var errs Errors
	for url, p := range r.profiles {
		if p.Base == "" {
			if p.Derivation == "constraint" {
				errs = append(errs, &Error{File: p.file, Msg: fmt.Sprintf("StructureDefinition %s constrains %s but names no baseDefinition", url, p.Type)})
			}
			continue
		}
		base := r.profiles[p.Base]
		switch {
		case base == nil:
			msg := fmt.Sprintf("StructureDefinition %s: baseDefinition %s is not a known definition", url, p.Base)
			if near := r.nearest(p.Base, 1, func(*structure) bool { return true }); len(near) > 0 {
				msg += " (did you mean " + near[0] + "?)"
			}
			errs = append(errs, &Error{File: p.file, Msg: msg})
		case p.Derivation == "constraint" && base.Type != p.Type:
			errs = append(errs, &Error{File: p.file, Msg: fmt.Sprintf("StructureDefinition %s constrains %s, but its baseDefinition %s defines %s", url, p.Type, p.Base, base.Type)})
		}
	}
	return errs
}

// Error is a problem in a file of definitions.
type Error struct {
	File string
	Msg  string
}

func (e *Error) Error() string { return e.File + ": " + e.Msg }

// Errors is every problem found in folders of definitions, by file.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].File != es[j].File {
			return es[i].File < es[j].File
		}
		return es[i].Msg < es[j].Msg
	})
	return es
}

// Load returns the built-in registry with the definitions of each folder
// (read with every folder below it) added: every *.json file that holds a
// StructureDefinition (with its snapshot), a ValueSet or a CodeSystem;
// other files and other resources are passed over. Of two definitions
// with one URL the later version is kept, and on a tie the folder's. Every
// base definition must resolve, in the folders or the built-in set. Any
// problem is an Errors naming each file and what is wrong with it.
func Load(dirs ...string) (*Registry, error) { return load(Builtin(), NewDefinitions, dirs) }

// load returns base with the definitions of each folder added, each read
// into a set made by newDefs (of base's release).
func load(base *Registry, newDefs func(source string) *Definitions, dirs []string) (*Registry, error) {
	if len(dirs) == 0 {
		return base, nil
	}
	var errs Errors
	r := extend(base, base.r4)
	for _, dir := range dirs {
		d := newDefs(dir)
		found := 0
		root := dir
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			root = real // a linked folder is walked too
		}
		err := filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
			if rel, rerr := filepath.Rel(root, path); rerr == nil {
				path = filepath.Join(dir, rel)
			}
			if err != nil {
				errs = append(errs, &Error{File: path, Msg: strings.TrimPrefix(err.Error(), path+": ")})
				return nil
			}
			if de.IsDir() || !strings.EqualFold(filepath.Ext(path), ".json") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				errs = append(errs, &Error{File: path, Msg: err.Error()})
				return nil
			}
			ok, err := d.Add(path, data)
			if err != nil {
				errs = append(errs, &Error{File: path, Msg: err.Error()})
			}
			if ok {
				found++
			}
			return nil
		})
		if err != nil {
			errs = append(errs, &Error{File: dir, Msg: err.Error()})
		}
		if found == 0 && len(errs) == 0 {
			errs = append(errs, &Error{File: dir, Msg: "no StructureDefinition, ValueSet or CodeSystem (FHIR JSON, *.json) in this folder"})
		}
		r.added += found
		r.merge(d, true)
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	r.index()
	if errs := r.resolve(); len(errs) > 0 {
		return nil, errs.sorted()
	}
	return r, nil
}

// Definition is what the registry holds of one StructureDefinition.
type Definition struct {
	URL     string
	Type    string // the resource or data type it defines or constrains
	Kind    string // resource, complex-type, primitive-type or logical
	Version string
	// Profile is true for a constraint on a type (a profile or an
	// extension), false for the type's own definition.
	Profile bool
	File    string // where it was read from
}

// Lookup returns the definition of a URL.
func (r *Registry) Lookup(url string) (Definition, bool) {
	p := r.profiles[url]
	if p == nil {
		return Definition{}, false
	}
	return Definition{URL: url, Type: p.Type, Kind: p.Kind, Version: p.Version, Profile: p.Derivation == "constraint", File: p.file}, true
}

// Known reports whether a URL names a definition in the registry.
func (r *Registry) Known(url string) bool { return r.profiles[url] != nil }

// Added is how many definitions the registry's folders added to the
// built-in ones.
func (r *Registry) Added() int { return r.added }

// Nearest returns up to n URLs of the definitions that a mistyped url
// most likely meant, nearest first: by edit distance over the whole URL,
// or over its last part when url has no slash (CareConnect-Observaton-1).
// When typ is given, only definitions of resources of that type count,
// else those of any resource type. Only names a few edits away are
// offered.
func (r *Registry) Nearest(url, typ string, n int) []string {
	return r.nearest(url, n, func(p *structure) bool { return p.Kind == "resource" && (typ == "" || p.Type == typ) })
}

func (r *Registry) nearest(url string, n int, keep func(*structure) bool) []string {
	type cand struct {
		url string
		d   int
	}
	bare := !strings.Contains(url, "/")
	want := strings.ToLower(url)
	limit := max(2, len(lastPart(url))/4)
	var cands []cand
	for u, p := range r.profiles {
		if !keep(p) {
			continue
		}
		have := strings.ToLower(u)
		if bare {
			have = strings.ToLower(lastPart(u))
		}
		if d := textfn.EditDistance(want, have); d <= limit {
			cands = append(cands, cand{u, d})
		}
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].d != cands[j].d {
			return cands[i].d < cands[j].d
		}
		return cands[i].url < cands[j].url
	})
	var out []string
	for _, c := range cands[:min(n, len(cands))] {
		out = append(out, c.url)
	}
	return out
}

func lastPart(url string) string { return url[strings.LastIndex(url, "/")+1:] }

// CheckProfile checks that url names a profile of the resource type typ
// (or typ's own definition); the error says what is wrong and offers the
// nearest known profiles of the type.
func (r *Registry) CheckProfile(url, typ string) error {
	p := r.profiles[url]
	switch {
	case p == nil:
		msg := fmt.Sprintf("%s is not a known profile", url)
		near := r.Nearest(url, typ, 3)
		if len(near) == 0 {
			near = r.Nearest(url, "", 3)
		}
		if len(near) > 0 {
			msg += " (did you mean " + strings.Join(near, ", or ") + "?)"
		} else if r.r4 {
			msg += " (known: the R4 base definitions and UK Core's)"
		} else {
			msg += " (known: the STU3 base definitions, Care Connect's, and those of the folders under profiles: in the configuration)"
		}
		return errors.New(msg)
	case p.Kind != "resource":
		return fmt.Errorf("%s defines the data type %s, not a resource", url, p.Type)
	case p.Type != typ:
		return fmt.Errorf("%s is a profile of %s, not %s", url, p.Type, typ)
	}
	return nil
}
