package profile

import (
	"cmp"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Known reports whether a URL names a definition built in.
func Known(url string) bool { return Builtin().Known(url) }

// Problem is one way a resource does not conform.
type Problem struct {
	Path string // FHIR path, e.g. Patient.name[0].family
	Msg  string
}

func (p Problem) String() string { return p.Path + ": " + p.Msg }

// CheckJSON checks a resource given as JSON against the built-in
// definitions.
func CheckJSON(b []byte) ([]Problem, error) { return Builtin().CheckJSON(b) }

// Check checks a resource (decoded JSON) against the built-in definitions.
func Check(res map[string]any) []Problem { return Builtin().Check(res) }

// CheckJSON checks a resource given as JSON.
func (r *Registry) CheckJSON(b []byte) ([]Problem, error) {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not a JSON resource: %w", err)
	}
	return r.Check(m), nil
}

// Check checks a resource (decoded JSON) against every profile in its
// meta.profile, or, when it names none, against the definition of its
// type in the registry's release (STU3, or R4 for BuiltinR4's). A
// profile the registry does not hold is a problem (and the resource is
// checked against its type's definition instead).
func (r *Registry) Check(res map[string]any) []Problem {
	typ, _ := res["resourceType"].(string)
	c := &checker{r: r}
	base := r.profiles[BaseURL(typ)]
	if base == nil || base.Kind != "resource" {
		c.add("resourceType", fmt.Sprintf("%q is not an %s resource type", typ, c.r.releaseName()))
		return c.problems
	}
	var urls []string
	if meta, ok := res["meta"].(map[string]any); ok {
		if ps, ok := meta["profile"].([]any); ok {
			for _, p := range ps {
				if s, ok := p.(string); ok {
					urls = append(urls, s)
				}
			}
		}
	}
	checked := 0
	for _, u := range urls {
		p := r.profiles[u]
		if p == nil {
			c.add(typ+".meta.profile", "names no known profile: "+u)
			continue
		}
		checked++
		if p.Type != typ || p.Kind != "resource" {
			c.add(typ, fmt.Sprintf("meta.profile %s is a profile of %s, not %s", u, p.Type, typ))
			continue
		}
		c.object(res, typ, p, p.root)
	}
	if checked == 0 {
		c.object(res, typ, base, base.root)
	}
	c.claims = urls
	c.walk(res, typ, typ)
	// An extension that is both in a slice and an item of its element is
	// checked twice: each problem is told once.
	seen := map[Problem]bool{}
	c.problems = slices.DeleteFunc(c.problems, func(p Problem) bool {
		dup := seen[p]
		seen[p] = true
		return dup
	})
	sort.SliceStable(c.problems, func(i, j int) bool { return c.problems[i].Path < c.problems[j].Path })
	return c.problems
}

type checker struct {
	r        *Registry
	problems []Problem
	claims   []string // the profiles the resource names
}

// quantityTypes are the data types with a unit system and code.
var quantityTypes = map[string]bool{"Quantity": true, "SimpleQuantity": true, "Age": true, "Duration": true, "Distance": true, "Count": true}

// walk checks what holds anywhere in a resource, whatever its profile
// says: each extension is used where its definition allows (the element
// that holds it is its context, or lies inside it), and a Quantity's unit
// system and code come together (qty-3: a code needs its system; and a
// system without a code says nothing). path is for messages; fhirPath is
// the element path without indexes, typ the FHIR type at it.
func (c *checker) walk(v any, path, fhirPath string) {
	o, ok := v.(map[string]any)
	if !ok {
		if list, ok := v.([]any); ok {
			for i, x := range list {
				c.walk(x, fmt.Sprintf("%s[%d]", path, i), fhirPath)
			}
		}
		return
	}
	if c.r.r4 {
		c.invariants(o, path, fhirPath, c.claims)
	}
	if _, hasValue := o["value"]; hasValue || o["unit"] != nil {
		if typ := c.r.typeAt(fhirPath); quantityTypes[typ] {
			_, sys := o["system"]
			_, code := o["code"]
			switch {
			case code && !sys:
				c.add(path, "a unit code without its system (qty-3)")
			case sys && !code && !c.r.r4:
				// The Care Connect (STU3) rule; R4 and UK Core (whose
				// own examples carry a system and a unit) hold to qty-3.
				c.add(path, "a unit system without a code: give the system only with the code")
			}
		}
	}
	if exts, ok := o["extension"].([]any); ok {
		for i, x := range exts {
			e, _ := x.(map[string]any)
			url, _ := e["url"].(string)
			def := c.r.profiles[url]
			if def == nil || len(def.Context) == 0 || inContext(fhirPath, c.r.typeAt(fhirPath), def.Context) || c.sliced(fhirPath, url) {
				continue
			}
			c.add(fmt.Sprintf("%s.extension[%d]", path, i), fmt.Sprintf("extension %s is defined for %s, not %s", url, strings.Join(def.Context, ", "), fhirPath))
		}
	}
	for k, x := range o {
		if k == "extension" || k == "modifierExtension" || k == "contained" || strings.HasPrefix(k, "_") {
			continue
		}
		c.walk(x, path+"."+k, fhirPath+"."+k)
	}
}

// inContext reports whether an extension on the element at fhirPath fits
// one of its contexts: the element is the context or lies inside it, or
// is of the type the context names (typ, the type at fhirPath).
func inContext(fhirPath, typ string, contexts []string) bool {
	for _, ctx := range contexts {
		switch {
		case ctx == "*" || ctx == "Element" || ctx == "Resource" || ctx == "DomainResource":
			return true
		case fhirPath == ctx || strings.HasPrefix(fhirPath, ctx+"."):
			return true
		case ctx == typ:
			return true
		}
	}
	return false
}

// typeAt is the FHIR type of the element at a path of JSON names
// (Observation.valueQuantity is a Quantity), or "".
func (r *Registry) typeAt(fhirPath string) string {
	rel := r.spec()
	parts := strings.Split(fhirPath, ".")
	t := rel.Lookup(parts[0])
	typ := parts[0]
	for _, step := range parts[1:] {
		if t == nil {
			return ""
		}
		_, et, ok := t.Element(step)
		if !ok {
			return ""
		}
		typ = et
		t = rel.Lookup(et)
	}
	return typ
}

// sliced says whether a profile the resource claims names the extension
// url on the element at fhirPath (a slice of its extension typed with
// it): the profile's authors put it there, whatever the extension's own
// context says (GP Connect's List takes Care Connect's
// RelatedProblemHeader, defined for Condition, on its Topics).
func (c *checker) sliced(fhirPath, url string) bool {
	for _, u := range c.claims {
		p := c.r.profiles[u]
		if p == nil {
			continue
		}
		for _, e := range p.Elements {
			if e.Slice == "" || !slices.ContainsFunc(e.Types, func(t typeRef) bool { return t.Profile == url }) {
				continue
			}
			// Only a slice of an element no slice lies above: one under a
			// slice (coding:snomedCT.extension:…) would need the item
			// checked to be in that slice too.
			at, _, _ := strings.Cut(e.ID, ":")
			if at == fhirPath+".extension" && strings.Count(e.ID, ":") == 1 {
				return true
			}
		}
	}
	return false
}

func (c *checker) add(path, msg string) {
	c.problems = append(c.problems, Problem{Path: path, Msg: msg})
}

// values returns the values of the named element (a choice name collects
// every typed form) as a list, with the JSON names they were found under.
func values(o map[string]any, name string) ([]any, []string) {
	var vals []any
	var keys []string
	add := func(k string, v any) {
		if arr, ok := v.([]any); ok {
			for range arr {
				keys = append(keys, k)
			}
			vals = append(vals, arr...)
			return
		}
		vals = append(vals, v)
		keys = append(keys, k)
	}
	if base, ok := strings.CutSuffix(name, "[x]"); ok {
		ks := make([]string, 0, 1)
		for k := range o {
			if strings.HasPrefix(k, base) && len(k) > len(base) && k[len(base)] >= 'A' && k[len(base)] <= 'Z' {
				ks = append(ks, k)
			}
		}
		sort.Strings(ks)
		for _, k := range ks {
			add(k, o[k])
		}
		return vals, keys
	}
	if v, ok := o[name]; ok {
		add(name, v)
	}
	return vals, keys
}

// object checks the children of element id of profile p in object o.
func (c *checker) object(o map[string]any, path string, p *structure, id string) {
	kids := p.children[id]
	base := map[string]bool{}
	for _, e := range kids {
		if e.Slice == "" {
			base[e.name] = true
		}
	}
	for _, e := range kids {
		// A slice with no element of its name is a type slice of a choice
		// (Extension.valueCodeableConcept:valueCodeableConcept): checked as
		// an element of its own.
		if e.Slice != "" && base[e.name] {
			continue
		}
		vals, keys := values(o, e.name)
		n := len(vals)
		if _, ok := o["_"+e.name].(map[string]any); ok && n == 0 {
			// A primitive present with extensions only (a
			// data-absent-reason, say) is present: FHIR counts the
			// element, not its value.
			n = 1
		}
		c.card(e, n, path+"."+strings.TrimSuffix(e.name, "[x]"))
		var sliced []*element
		for _, s := range kids {
			if e.Slice == "" && s.Slice != "" && s.name == e.name {
				sliced = append(sliced, s)
			}
		}
		inSlice := make([][]int, len(sliced))
		for i, v := range vals {
			vp := itemPath(path, keys[i], i, keys)
			if choice, ok := strings.CutSuffix(e.name, "[x]"); ok && len(e.Types) > 0 && e.typeOf(keys[i]) == nil {
				var allowed []string
				for _, t := range e.Types {
					if !slices.Contains(allowed, t.Code) {
						allowed = append(allowed, t.Code)
					}
				}
				c.add(vp, fmt.Sprintf("is a %s; the profile allows %s[x] as %s", strings.TrimPrefix(keys[i], choice), choice, strings.Join(allowed, ", ")))
			}
			c.value(e, v, vp, len(p.children[e.ID]) > 0)
			described := false // an extension in a slice whose inside the profile describes
			for si, s := range sliced {
				if p.inSlice(e, s, v) {
					inSlice[si] = append(inSlice[si], i)
					described = described || len(p.children[s.ID]) > 0
				}
			}
			if obj, ok := v.(map[string]any); ok && !(described && e.typeOf(keys[i]) != nil && e.typeOf(keys[i]).Code == "Extension") {
				c.descend(obj, vp, p, e, keys[i]) // else checked against the slice's description (below)
			}
		}
		for si, s := range sliced {
			c.card(s, len(inSlice[si]), path+"."+strings.TrimSuffix(e.name, "[x]")+":"+s.Slice)
			for _, i := range inSlice[si] {
				vp := itemPath(path, keys[i], i, keys)
				c.value(s, vals[i], vp, len(p.children[s.ID]) > 0)
				if obj, ok := vals[i].(map[string]any); ok {
					c.descend(obj, vp, p, s, keys[i])
				}
			}
		}
	}
	if len(kids) > 0 && (p.Derivation == "specialization" || c.r.r4) {
		// An STU3 profile's snapshot may leave its base's elements out;
		// R4's (UK Core's, generated in full) list them all.
		c.unknown(o, path, kids)
	}
}

// unknown reports the keys of o that name no element of kids, the
// elements of a base definition (a primitive's companion _name goes with
// its element).
func (c *checker) unknown(o map[string]any, path string, kids []*element) {
	var bad []string
	for k := range o {
		name := strings.TrimPrefix(k, "_")
		if k == "resourceType" || name == "" {
			continue
		}
		known := false
		for _, e := range kids {
			if e.Slice != "" {
				continue
			}
			if e.name == name {
				known = true
				break
			}
			if choice, ok := strings.CutSuffix(e.name, "[x]"); ok {
				if rest, ok := strings.CutPrefix(name, choice); ok && rest != "" && rest[0] >= 'A' && rest[0] <= 'Z' {
					known = true
					break
				}
			}
		}
		if !known {
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	for _, k := range bad {
		c.add(path+"."+k, "is not an element the definition has")
	}
}

// descend checks object o, a value of element e of p: against the
// element's children in p, or, where p does not list them, against the
// definition of its type (a data type or a profile of one, an extension's
// own definition, a contained resource's type).
func (c *checker) descend(o map[string]any, path string, p *structure, e *element, key string) {
	if len(p.children[e.ID]) > 0 {
		c.object(o, path, p, e.ID)
		return
	}
	if e.ContentRef != "" {
		c.object(o, path, p, e.ContentRef)
		return
	}
	t := e.typeOf(key)
	if t == nil {
		return
	}
	var def *structure
	switch t.Code {
	case "Extension":
		url, _ := o["url"].(string)
		if t.Profile != "" && url == t.Profile {
			return // checked against its profile by value
		}
		if d := c.r.profiles[url]; d != nil && d.Type == "Extension" {
			def = d
		} else {
			def = c.r.profiles[BaseURL("Extension")]
		}
	case "Resource", "DomainResource":
		rt, _ := o["resourceType"].(string)
		def = c.r.profiles[BaseURL(rt)]
		if def == nil || def.Kind != "resource" {
			c.add(path, fmt.Sprintf("resourceType %q is not an %s resource type", rt, c.r.releaseName()))
			return
		}
	default:
		if def = c.r.profiles[t.Profile]; def == nil || def.Type != t.Code && def.Kind == "resource" {
			def = c.r.profiles[BaseURL(t.Code)]
		}
	}
	if def == nil || def.Kind == "primitive-type" {
		return
	}
	c.object(o, path, def, def.root)
}

// typeOf is the type of the element's value found under key: of a
// choice, the one key names (valueQuantity: Quantity), else its type.
func (e *element) typeOf(key string) *typeRef {
	if len(e.Types) == 0 {
		return nil
	}
	if base, ok := strings.CutSuffix(e.name, "[x]"); ok {
		suffix, _ := strings.CutPrefix(key, base)
		for i := range e.Types {
			if strings.EqualFold(e.Types[i].Code, suffix) {
				return &e.Types[i]
			}
		}
		return nil
	}
	return &e.Types[0]
}

// itemPath names the i-th value: name[i] when the element repeats.
func itemPath(path, key string, i int, keys []string) string {
	n, first := 0, -1
	for j, k := range keys {
		if k == key {
			if first < 0 {
				first = j
			}
			n++
		}
	}
	if n <= 1 {
		return path + "." + key
	}
	return path + "." + key + "[" + strconv.Itoa(i-first) + "]"
}

func (c *checker) card(e *element, n int, path string) {
	if n < e.Min {
		if n == 0 {
			c.add(path, fmt.Sprintf("is required by the profile (min %d)", e.Min))
		} else {
			c.add(path, fmt.Sprintf("has %d, the profile requires at least %d", n, e.Min))
		}
	}
	if e.Max == "0" && n > 0 {
		c.add(path, "is not allowed by the profile (max 0)")
		return
	}
	if max, err := strconv.Atoi(e.Max); err == nil && n > max {
		c.add(path, fmt.Sprintf("has %d, the profile allows at most %d", n, max))
	}
}

// value checks one value against an element's fixed value, required
// binding, reference targets and extension profile. An extension whose
// inside the profile describes (described: its snapshot has the
// element's children) is checked against that description alone
// (descend), not against the extension's own definition as well: the
// snapshot is the profile's word on it, and where the two disagree (GP
// Connect's MedicationRequest says unsignedInt where its repeat
// information's 1.0.0 definition says positiveInt) a resource can follow
// only one.
func (c *checker) value(e *element, v any, path string, described bool) {
	if e.fixed != nil && !matches(e.fixed, v) {
		c.add(path, fmt.Sprintf("must be %v (fixed by the profile), found %v", show(e.fixed), show(v)))
	}
	if e.Binding != "" {
		if ok, known := c.r.inValueSet(e.Binding, v); known && !ok {
			c.add(path, fmt.Sprintf("%s is not in the required value set %s", show(v), e.Binding))
		}
	}
	var targets []string
	for _, t := range e.Types {
		if t.Code != "Reference" {
			continue
		}
		// A Reference with no target profile may refer to any resource;
		// one whose target an author wrote as its profile (GP Connect's
		// Device.note.author) refers to that.
		rt := "Resource"
		if target := cmp.Or(t.Target, t.Profile); target != "" {
			rt = c.r.typeOfProfile(target)
		}
		if !slices.Contains(targets, rt) {
			targets = append(targets, rt)
		}
	}
	// A target of any type (Resource: a Reference type with no target
	// profile, or one to Resource; GP Connect's relatedClinicalContent
	// lists both kinds), or one whose profile the registry does not hold,
	// leaves the reference unchecked.
	if len(targets) > 0 && !slices.Contains(targets, "Resource") && !slices.Contains(targets, "") {
		if o, ok := v.(map[string]any); ok {
			if ref, ok := o["reference"].(string); ok {
				ref, _, _ = strings.Cut(ref, "/_history/")
				parts := strings.Split(ref, "/")
				if len(parts) >= 2 {
					rt := parts[len(parts)-2]
					if !slices.Contains(targets, rt) {
						c.add(path, fmt.Sprintf("refers to a %s; the profile allows %s", rt, strings.Join(targets, ", ")))
					}
				}
			}
		}
	}
	for _, t := range e.Types {
		if t.Code == "Extension" && t.Profile != "" && !described {
			if ext := c.r.profiles[t.Profile]; ext != nil {
				if o, ok := v.(map[string]any); ok && o["url"] == t.Profile {
					c.object(o, path, ext, ext.root)
				}
			}
		}
	}
}

// inSlice reports whether v belongs to slice s of element e, by the
// element's discriminators.
func (p *structure) inSlice(e, s *element, v any) bool {
	if len(e.Slicing) == 0 {
		return false
	}
	for _, d := range e.Slicing {
		want, ok := p.discriminator(s, d)
		if !ok {
			return false
		}
		if !pathHas(v, strings.Split(d, "."), want) {
			return false
		}
	}
	return true
}

// discriminator finds the value a slice requires at discriminator path d:
// the fixed value of the slice's element at d, or the extension profile url.
func (p *structure) discriminator(s *element, d string) (string, bool) {
	if d == "url" {
		for _, t := range s.Types {
			if t.Profile != "" {
				return t.Profile, true
			}
		}
	}
	for _, e := range p.Elements {
		if e.ID == s.ID+"."+d {
			if str, ok := e.fixed.(string); ok {
				return str, true
			}
		}
	}
	// The Care Connect profiles name SNOMED CT coding slices snomedCT but
	// do not always fix their system.
	if s.Slice == "snomedCT" && strings.HasSuffix(d, "system") {
		return "http://snomed.info/sct", true
	}
	return "", false
}

func pathHas(v any, path []string, want string) bool {
	if len(path) == 0 {
		s, ok := v.(string)
		return ok && s == want
	}
	switch t := v.(type) {
	case map[string]any:
		return pathHas(t[path[0]], path[1:], want)
	case []any:
		for _, x := range t {
			if pathHas(x, path, want) {
				return true
			}
		}
	}
	return false
}

// inValueSet reports whether a code, Coding or CodeableConcept is in a value
// set; known is false when the value set is not one the registry has.
func (r *Registry) inValueSet(url string, v any) (ok, known bool) {
	if r.valueSets[url] == nil {
		return false, false
	}
	member := func(system, code string, anySystem bool) bool {
		return r.member(url, system, code, anySystem, 0)
	}
	switch t := v.(type) {
	case string:
		return member("", t, true), true
	case map[string]any:
		if codings, ok := t["coding"].([]any); ok {
			for _, cd := range codings {
				if m, ok := cd.(map[string]any); ok {
					s, _ := m["system"].(string)
					code, _ := m["code"].(string)
					if member(s, code, false) {
						return true, true
					}
				}
			}
			return len(codings) == 0, true
		}
		if code, ok := t["code"].(string); ok {
			s, _ := t["system"].(string)
			return member(s, code, false), true
		}
	}
	return true, true
}

// member reports whether value set url holds code (of system, or of any
// system); codes of a system or a value set the registry cannot
// enumerate (SNOMED CT, ...) are taken to be in it.
func (r *Registry) member(url, system, code string, anySystem bool, depth int) bool {
	vs := r.valueSets[url]
	if vs == nil || depth > 8 {
		return true
	}
	for _, inc := range vs.Include {
		if inc.System == "" {
			for _, u := range inc.ValueSets {
				if r.member(u, system, code, anySystem, depth+1) {
					return true
				}
			}
			continue
		}
		if !anySystem && inc.System != system {
			continue
		}
		if len(inc.Codes) > 0 {
			if slices.Contains(inc.Codes, code) {
				return true
			}
			continue
		}
		if cs := r.codeSystems[inc.System]; cs != nil {
			if cs.set[code] {
				return true
			}
			continue
		}
		return true
	}
	return false
}

// typeOfProfile turns a profile URL into the resource type it constrains.
// Of a profile the registry does not hold it is the one resource type its
// name holds (CareConnect-GPC-Organization-1: Organization), else "".
func (r *Registry) typeOfProfile(url string) string {
	if p := r.profiles[url]; p != nil {
		return p.Type
	}
	typ := ""
	for _, part := range strings.Split(url[strings.LastIndex(url, "/")+1:], "-") {
		if r.spec().IsResource(part) {
			if typ != "" {
				return ""
			}
			typ = part
		}
	}
	return typ
}

// matches reports whether v has the fixed value (primitives equal; objects
// contain every fixed field).
func matches(fixed, v any) bool {
	switch f := fixed.(type) {
	case map[string]any:
		o, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for k, fv := range f {
			if !matches(fv, o[k]) {
				return false
			}
		}
		return true
	case []any:
		arr, ok := v.([]any)
		if !ok {
			return false
		}
		for _, fv := range f {
			found := false
			for _, x := range arr {
				found = found || matches(fv, x)
			}
			if !found {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(fixed, v)
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
