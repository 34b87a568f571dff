package profile

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Definitions are FHIR STU3 StructureDefinitions (with snapshots), value
// sets and code systems reduced to what the checker reads. The embedded
// sets are stored in this form (internal/gen/profilegen writes them); a
// folder of definitions is read into it with Add.
type Definitions struct {
	Source      string                 `json:"source,omitempty"`
	Profiles    map[string]*structure  `json:"profiles"`
	ValueSets   map[string]*valueSet   `json:"valueSets"`
	CodeSystems map[string]*codeSystem `json:"codeSystems"`

	r4 bool // definitions of FHIR R4 (4.0.x), read by NewDefinitionsR4
}

// NewDefinitions returns an empty set; source says where it comes from.
func NewDefinitions(source string) *Definitions {
	return &Definitions{Source: source, Profiles: map[string]*structure{}, ValueSets: map[string]*valueSet{}, CodeSystems: map[string]*codeSystem{}}
}

type structure struct {
	Type string `json:"type"`
	// Kind is resource, complex-type, primitive-type or logical;
	// Derivation specialization (a type of its own) or constraint (a
	// profile of its base).
	Kind       string `json:"kind"`
	Derivation string `json:"derivation,omitempty"`
	Base       string `json:"base,omitempty"`
	Version    string `json:"version,omitempty"`
	// Context is, for an extension, where it may be used (element paths or
	// type names, STU3's context with contextType resource or datatype).
	Context  []string   `json:"context,omitempty"`
	Elements []*element `json:"elements"`

	url      string
	file     string // where it was read from, for messages
	root     string // the id of the first element (Quantity:simplequantity)
	children map[string][]*element
}

type element struct {
	ID      string          `json:"id"`
	Slice   string          `json:"slice,omitempty"`
	Min     int             `json:"min"`
	Max     string          `json:"max"`
	Types   []typeRef       `json:"types,omitempty"`
	Fixed   json.RawMessage `json:"fixed,omitempty"`
	Binding string          `json:"binding,omitempty"` // the value set of a required binding
	Slicing []string        `json:"slicing,omitempty"` // discriminator paths
	// ContentRef is the id of the element whose children this one has
	// (Questionnaire.item.item: #Questionnaire.item).
	ContentRef string `json:"contentRef,omitempty"`

	name  string // the element's name in its parent, e.g. "identifier", "value[x]"
	fixed any
}

type typeRef struct {
	Code    string `json:"code"`
	Profile string `json:"profile,omitempty"`
	Target  string `json:"target,omitempty"`
}

type valueSet struct {
	Version string    `json:"version,omitempty"`
	Include []include `json:"include"`
	file    string
}

// include is one part of a value set: codes of a system (every code of it
// when Codes is empty), or every code of other value sets.
type include struct {
	System    string   `json:"system,omitempty"`
	Codes     []string `json:"codes,omitempty"`
	ValueSets []string `json:"valueSets,omitempty"`
}

type codeSystem struct {
	Version string   `json:"version,omitempty"`
	Codes   []string `json:"codes"`
	file    string
	set     map[string]bool
}

// BaseURL is the URL of the STU3 definition of a resource or data type.
func BaseURL(typ string) string { return "http://hl7.org/fhir/StructureDefinition/" + typ }

// Add reads one file of FHIR JSON into the set: a StructureDefinition, a
// ValueSet or a CodeSystem. It reports false, and no error, for JSON of
// any other kind (an OperationDefinition, a package.json); an error says
// what is wrong with a definition.
func (d *Definitions) Add(file string, data []byte) (bool, error) {
	var head struct {
		ResourceType string `json:"resourceType"`
		URL          string `json:"url"`
		Version      string `json:"version"`
		FHIRVersion  string `json:"fhirVersion"`
		Kind         string `json:"kind"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return false, nil // JSON, but not an object
		}
		return false, fmt.Errorf("not valid JSON: %s", jsonErr(data, err))
	}
	switch head.ResourceType {
	case "StructureDefinition", "ValueSet", "CodeSystem":
	default:
		return false, nil
	}
	if head.Kind == "logical" {
		return false, nil // a logical model: no resource conforms to it
	}
	if head.URL == "" {
		return false, fmt.Errorf("%s has no url", head.ResourceType)
	}
	if v := head.FHIRVersion; d.r4 {
		if v != "" && !strings.HasPrefix(v, "4.0") {
			return false, fmt.Errorf("%s %s is for FHIR %s; the R4 definitions are of 4.0.x", head.ResourceType, head.URL, v)
		}
	} else if v != "" && !strings.HasPrefix(v, "3.0") && !strings.HasPrefix(v, "1.8") && !strings.HasPrefix(v, "1.9") {
		return false, fmt.Errorf("%s %s is for FHIR %s; the facade serves STU3 (3.0.x)", head.ResourceType, head.URL, v)
	}
	switch head.ResourceType {
	case "StructureDefinition":
		s, err := reduceStructure(data, d.r4)
		if err != nil {
			return false, fmt.Errorf("StructureDefinition %s: %w", head.URL, err)
		}
		keepLatest(d.Profiles, head.URL, file, s)
	case "ValueSet":
		vs, err := reduceValueSet(data)
		if err != nil {
			return false, fmt.Errorf("ValueSet %s: %w", head.URL, err)
		}
		keepLatest(d.ValueSets, head.URL, file, vs)
	case "CodeSystem":
		cs, err := reduceCodeSystem(data)
		if err != nil {
			return false, fmt.Errorf("CodeSystem %s: %w", head.URL, err)
		}
		if cs == nil {
			return true, nil // codes not listed (content not-present, example, fragment)
		}
		keepLatest(d.CodeSystems, head.URL, file, cs)
	}
	return true, nil
}

// A definition is a StructureDefinition, ValueSet or CodeSystem as read.
type definition interface {
	version() string
	readFrom(file string)
}

func (s *structure) version() string    { return s.Version }
func (v *valueSet) version() string     { return v.Version }
func (c *codeSystem) version() string   { return c.Version }
func (s *structure) readFrom(f string)  { s.file = f }
func (v *valueSet) readFrom(f string)   { v.file = f }
func (c *codeSystem) readFrom(f string) { c.file = f }

// keepLatest files a definition read from a file under its URL, unless a
// later version of it is there already.
func keepLatest[D definition](m map[string]D, url, file string, def D) {
	def.readFrom(file)
	if prev, ok := m[url]; !ok || laterVersion(def.version(), prev.version()) {
		m[url] = def
	}
}

// jsonErr places a JSON syntax error in its line.
func jsonErr(data []byte, err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Sprintf("line %d: %v", line, err)
	}
	return err.Error()
}

// laterVersion reports whether version a is later than b: dotted numbers
// compared as numbers, anything else as text.
func laterVersion(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, errx := strconv.Atoi(as[i])
		y, erry := strconv.Atoi(bs[i])
		switch {
		case errx == nil && erry == nil && x != y:
			return x > y
		case (errx != nil || erry != nil) && as[i] != bs[i]:
			return as[i] > bs[i]
		}
	}
	return len(as) > len(bs)
}

func reduceStructure(data []byte, r4 bool) (*structure, error) {
	var sd struct {
		Version        string          `json:"version"`
		Kind           string          `json:"kind"`
		Type           string          `json:"type"`
		Derivation     string          `json:"derivation"`
		BaseDefinition string          `json:"baseDefinition"`
		Context        json.RawMessage `json:"context"`
		Snapshot       *struct {
			Element []map[string]json.RawMessage `json:"element"`
		} `json:"snapshot"`
	}
	if err := json.Unmarshal(data, &sd); err != nil {
		return nil, err
	}
	if sd.Type == "" {
		return nil, errors.New("has no type (the resource or data type it defines or constrains)")
	}
	if sd.Snapshot == nil || len(sd.Snapshot.Element) == 0 {
		return nil, errors.New("has no snapshot: the checker reads the snapshot's elements (publish the definition with its snapshot, e.g. with the IG Publisher, Forge or SUSHI)")
	}
	s := &structure{Type: sd.Type, Kind: sd.Kind, Derivation: sd.Derivation, Base: sd.BaseDefinition, Version: sd.Version}
	if sd.Type == "Extension" && sd.Derivation == "constraint" && len(sd.Context) > 0 {
		var err error
		if s.Context, err = readContext(sd.Context, r4); err != nil {
			return nil, fmt.Errorf("context: %w", err)
		}
	}
	// An element without an id (older tools wrote none) is given the one
	// FHIR defines: its parent's (the slice it lies in) and its name.
	current := map[string]string{}
	seen := map[string]bool{}
	for i, raw := range sd.Snapshot.Element {
		var e element
		var path string
		if err := get(raw, "path", &path); err != nil || path == "" {
			return nil, fmt.Errorf("snapshot element %d has no path", i+1)
		}
		if i == 0 && path != sd.Type {
			return nil, fmt.Errorf("snapshot element 1 is %s, not the type %s", path, sd.Type)
		}
		if head, _, _ := strings.Cut(path, "."); head != sd.Type {
			return nil, fmt.Errorf("snapshot element %s is outside the type %s", path, sd.Type)
		}
		for _, f := range []struct {
			key string
			dst any
		}{{"id", &e.ID}, {"sliceName", &e.Slice}, {"min", &e.Min}, {"max", &e.Max}, {"contentReference", &e.ContentRef}} {
			if err := get(raw, f.key, f.dst); err != nil {
				return nil, fmt.Errorf("snapshot element %s: %s: %w", path, f.key, err)
			}
		}
		if e.ID == "" {
			parent, last := "", path
			if j := strings.LastIndex(path, "."); j >= 0 {
				parent, last = path[:j], path[j+1:]
				if id, ok := current[parent]; ok {
					parent = id
				}
				parent += "."
			}
			e.ID = parent + last
			if e.Slice != "" {
				e.ID += ":" + e.Slice
			}
		}
		current[path] = e.ID
		if seen[e.ID] {
			return nil, fmt.Errorf("snapshot element %s appears twice", e.ID)
		}
		seen[e.ID] = true
		if e.Max == "" {
			e.Max = "*"
		} else if _, err := strconv.Atoi(e.Max); err != nil && e.Max != "*" {
			return nil, fmt.Errorf("snapshot element %s: max %q is neither a number nor *", e.ID, e.Max)
		}
		e.ContentRef = strings.TrimPrefix(e.ContentRef, "#")
		var types []struct {
			Code          string          `json:"code"`
			Profile       json.RawMessage `json:"profile"`
			TargetProfile json.RawMessage `json:"targetProfile"`
		}
		if err := get(raw, "type", &types); err != nil {
			return nil, fmt.Errorf("snapshot element %s: type: %w", e.ID, err)
		}
		for _, t := range types {
			if r4 {
				trs, err := r4Types(t.Code, t.Profile, t.TargetProfile)
				if err != nil {
					return nil, fmt.Errorf("snapshot element %s: %w", e.ID, err)
				}
				e.Types = append(e.Types, trs...)
				continue
			}
			tr := typeRef{Code: t.Code}
			if err := oneURL(t.Profile, &tr.Profile); err != nil {
				return nil, fmt.Errorf("snapshot element %s: type %s: profile: %w", e.ID, t.Code, err)
			}
			if err := oneURL(t.TargetProfile, &tr.Target); err != nil {
				return nil, fmt.Errorf("snapshot element %s: type %s: targetProfile: %w", e.ID, t.Code, err)
			}
			if tr.Code == "" {
				continue // a primitive's value: no FHIR type
			}
			e.Types = append(e.Types, tr)
		}
		keys := make([]string, 0, 1)
		for k := range raw {
			if strings.HasPrefix(k, "fixed") || strings.HasPrefix(k, "pattern") {
				keys = append(keys, k)
			}
		}
		if len(keys) > 1 {
			sort.Strings(keys)
			return nil, fmt.Errorf("snapshot element %s has more than one fixed or pattern value (%s)", e.ID, strings.Join(keys, ", "))
		}
		if len(keys) == 1 {
			e.Fixed = raw[keys[0]]
		}
		var b struct {
			Strength          string `json:"strength"`
			ValueSetURI       string `json:"valueSetUri"`
			ValueSet          string `json:"valueSet"` // R4: a canonical, perhaps with |version
			ValueSetReference struct {
				Reference string `json:"reference"`
			} `json:"valueSetReference"`
		}
		if err := get(raw, "binding", &b); err != nil {
			return nil, fmt.Errorf("snapshot element %s: binding: %w", e.ID, err)
		}
		if b.Strength == "required" {
			e.Binding = b.ValueSetURI
			if e.Binding == "" {
				e.Binding = b.ValueSetReference.Reference
			}
			if r4 {
				e.Binding, _, _ = strings.Cut(b.ValueSet, "|")
			}
		}
		var slicing struct {
			Discriminator []struct {
				Path string `json:"path"`
			} `json:"discriminator"`
		}
		if err := get(raw, "slicing", &slicing); err != nil {
			return nil, fmt.Errorf("snapshot element %s: slicing: %w", e.ID, err)
		}
		for _, d := range slicing.Discriminator {
			e.Slicing = append(e.Slicing, d.Path)
		}
		s.Elements = append(s.Elements, &e)
	}
	return s, nil
}

// oneURL reads an STU3 type profile (one URL); an R4 list of them is an
// error that says so.
func oneURL(raw json.RawMessage, dst *string) error {
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '[' {
		return errors.New("a list (FHIR R4's form); STU3 has one URL")
	}
	return json.Unmarshal(raw, dst)
}

func get(m map[string]json.RawMessage, k string, v any) error {
	raw, ok := m[k]
	if !ok {
		return nil
	}
	return json.Unmarshal(raw, v)
}

func reduceValueSet(data []byte) (*valueSet, error) {
	var vs struct {
		Version string `json:"version"`
		Compose struct {
			Include []struct {
				System   string   `json:"system"`
				ValueSet []string `json:"valueSet"`
				Concept  []struct {
					Code string `json:"code"`
				} `json:"concept"`
			} `json:"include"`
		} `json:"compose"`
	}
	if err := json.Unmarshal(data, &vs); err != nil {
		return nil, err
	}
	out := &valueSet{Version: vs.Version, Include: []include{}}
	for _, inc := range vs.Compose.Include {
		i := include{System: inc.System, ValueSets: inc.ValueSet}
		for _, c := range inc.Concept {
			i.Codes = append(i.Codes, c.Code)
		}
		if i.System == "" && len(i.ValueSets) == 0 {
			return nil, errors.New("an include names neither a system nor a value set")
		}
		out.Include = append(out.Include, i)
	}
	return out, nil
}

// reduceCodeSystem returns the codes of a code system that lists them
// all (nested concepts included), or nil for one that does not.
func reduceCodeSystem(data []byte) (*codeSystem, error) {
	type concept struct {
		Code    string            `json:"code"`
		Concept []json.RawMessage `json:"concept"`
	}
	var cs struct {
		Version string            `json:"version"`
		Content string            `json:"content"`
		Concept []json.RawMessage `json:"concept"`
	}
	if err := json.Unmarshal(data, &cs); err != nil {
		return nil, err
	}
	if cs.Content != "" && cs.Content != "complete" {
		return nil, nil
	}
	out := &codeSystem{Version: cs.Version, Codes: []string{}}
	var walk func([]json.RawMessage) error
	walk = func(list []json.RawMessage) error {
		for _, raw := range list {
			var c concept
			if err := json.Unmarshal(raw, &c); err != nil {
				return err
			}
			out.Codes = append(out.Codes, c.Code)
			if err := walk(c.Concept); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(cs.Concept); err != nil {
		return nil, err
	}
	sort.Strings(out.Codes)
	return out, nil
}

// WriteGzip writes the set as gzipped JSON (the embedded form).
func (d *Definitions) WriteGzip(w io.Writer) error {
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(append(data, '\n')); err != nil {
		return err
	}
	return zw.Close()
}

// readGzip reads the embedded form.
func readGzip(name string, data []byte) (*Definitions, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := NewDefinitions("")
	if err := json.Unmarshal(raw, d); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, p := range d.Profiles {
		p.file = name
	}
	for _, v := range d.ValueSets {
		v.file = name
	}
	for _, c := range d.CodeSystems {
		c.file = name
	}
	return d, nil
}

// Prune keeps what the checker can reach from the definitions of keep:
// the value sets of their required bindings (and the value sets those
// include) and the code systems of those, and drops the rest.
func (d *Definitions) Prune(keep func(url string, kind, typ, derivation string) bool, also ...*Definitions) {
	for url, p := range d.Profiles {
		if !keep(url, p.Kind, p.Type, p.Derivation) {
			delete(d.Profiles, url)
		}
	}
	vsUsed := map[string]bool{}
	var use func(string)
	use = func(url string) {
		if vsUsed[url] {
			return
		}
		vsUsed[url] = true
		vs := d.ValueSets[url]
		if vs == nil {
			return
		}
		for _, inc := range vs.Include {
			for _, u := range inc.ValueSets {
				use(u)
			}
		}
	}
	for _, set := range append([]*Definitions{d}, also...) {
		for _, p := range set.Profiles {
			for _, e := range p.Elements {
				if e.Binding != "" {
					use(e.Binding)
				}
			}
		}
		for _, vs := range set.ValueSets {
			for _, inc := range vs.Include {
				for _, u := range inc.ValueSets {
					use(u)
				}
			}
		}
	}
	csUsed := map[string]bool{}
	for url, vs := range d.ValueSets {
		if !vsUsed[url] {
			delete(d.ValueSets, url)
			continue
		}
		for _, inc := range vs.Include {
			csUsed[inc.System] = true
		}
	}
	for _, set := range also {
		for _, vs := range set.ValueSets {
			for _, inc := range vs.Include {
				csUsed[inc.System] = true
			}
		}
	}
	for url := range d.CodeSystems {
		if !csUsed[url] {
			delete(d.CodeSystems, url)
		}
	}
}

// Drop removes the definitions other defines too (the later set's copy
// is the one kept).
func (d *Definitions) Drop(other *Definitions) {
	for url := range other.Profiles {
		delete(d.Profiles, url)
	}
	for url := range other.ValueSets {
		delete(d.ValueSets, url)
	}
	for url := range other.CodeSystems {
		delete(d.CodeSystems, url)
	}
}

// Counts says how many definitions of each kind the set holds.
func (d *Definitions) Counts() string {
	return fmt.Sprintf("%d structure definitions, %d value sets, %d code systems", len(d.Profiles), len(d.ValueSets), len(d.CodeSystems))
}
