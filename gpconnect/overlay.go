package gpconnect

import (
	"bytes"
	"crypto/sha1"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"gopkg.in/yaml.v3"
)

// An overlay says how the GP Connect rendering of a resource differs from
// its Care Connect rendering, as data: the engine renders a row through
// the mapping as ever, and the overlay turns that tree into the GP Connect
// resource. Nothing in it names a column: a vendor states only what the
// GP Connect profile changes, never a second mapping.
//
// The seam: a rule is keyed by resource type and applies to a rendered
// tree. When profiles are registered centrally (one entry per profile
// with what it fixes, renames and requires) and rendering compiles one
// rule set per profile, a Rule becomes that registry's GP Connect entry
// for the type and apply a step of the compiled rendering; the overlay
// files keep their form.

// Overlay is a set of rules: URIs renamed everywhere, and per resource
// type a Rule.
type Overlay struct {
	URIs      map[string]string `yaml:"uris"`
	Resources map[string]*Rule  `yaml:"resources"`
	// Patient states the patient's standing the Care Connect Patient
	// does not say (standing.go).
	Patient *PatientRule `yaml:"patient"`

	// statusCodes are Immunization's status_records as "system|code",
	// made once (withSet) for statusRecord.
	statusCodes map[string]bool
}

// Rule is what changes for one resource type.
type Rule struct {
	// Profile is the GP Connect profile, in meta.profile; Version is its
	// version, which the CapabilityStatement names.
	Profile string `yaml:"profile"`
	Version string `yaml:"version"`
	// VersionID sets meta.versionId from meta.lastUpdated (milliseconds
	// since 1970); LastUpdated false leaves meta.lastUpdated out.
	VersionID   bool  `yaml:"version_id"`
	LastUpdated *bool `yaml:"last_updated"`
	// Identifier is the system of a business identifier made from the
	// provider's ASID and the resource's type and id, added when the
	// resource has no identifier of that system.
	Identifier string `yaml:"identifier"`
	// Fixed gives top-level code elements one value.
	Fixed map[string]string `yaml:"fixed"`
	// Derive makes top-level code elements from values of the rendering.
	Derive map[string]*Derive `yaml:"derive"`
	// Ended says how an allergy that has ended tells when and why
	// (AllergyIntolerance only).
	Ended *Ended `yaml:"ended"`
	// Drop are top-level elements GP Connect does not use, left out.
	Drop []string `yaml:"drop"`
	// Copy sets top-level elements the profile requires that the
	// rendering lacks from the string at a path of the rendering
	// (element: path); one the rendering has is kept.
	Copy map[string]string `yaml:"copy"`
	// Only are repeating Reference elements the profile allows once: the
	// item kept is the first that refers to the type given (the first
	// item when none does).
	Only map[string]string `yaml:"only"`
	// Extensions are extensions the profile requires that the rendering
	// lacks, each made from values of the rendering; one already there
	// (by url) is kept.
	Extensions []*ExtensionRule `yaml:"extensions"`
	// Panels join Observations into one with components (Observation
	// only).
	Panels []*Panel `yaml:"panels"`
	// Heading is the heading an item of the type was recorded under in
	// its consultation: a text, or a value of the row (headings.go).
	Heading yaml.Node `yaml:"heading"`
	// Authorisation says where a repeat's issues allowed, authorisation
	// expiry and prescribing agency are in its row (MedicationStatement
	// only): Care
	// Connect's statement has no element for them (authorisation.go).
	Authorisation *Authorisation `yaml:"authorisation"`
	// FilingComment is the top-level string element of a report's
	// rendering that holds the comment the practice filed it with
	// (DiagnosticReport only): GP Connect sends it as an Observation of
	// the report's results (investigations.go).
	FilingComment string `yaml:"filing_comment"`
	// StatusRecords are the codes of the Observations that are the
	// status of the patient's vaccinations (consent, dissent, invitation)
	// (Immunization only): GP Connect sends them in the immunisations
	// list, never as uncategorised data (immunisations.go).
	StatusRecords []*StatusCode `yaml:"status_records"`
}

// StatusCode is a code of an immunisation status record: an Observation
// whose code has a coding of System and Code.
type StatusCode struct {
	System  string `yaml:"system"`
	Code    string `yaml:"code"`
	Display string `yaml:"display"`
}

// Panel joins Observations that are parts of one measurement, as GP
// Connect sends a blood pressure: those of one subject, one effective
// time and one encounter, each with a code (of any system) of one of
// Parts, one for every part, become one Observation coded System, Code,
// Display, whose components are the parts' codes and values, in the
// order of Parts. It keeps the first part's id and everything else of
// it; the other parts are not sent. Parts missing, a part found twice, or
// one without a value or an effective time: the Observations stay as they
// are.
type Panel struct {
	System  string     `yaml:"system"`
	Code    string     `yaml:"code"`
	Display string     `yaml:"display"`
	Parts   [][]string `yaml:"parts"`
}

// ExtensionRule makes one extension: a valueDateTime from the path Date,
// or a valueCodeableConcept from Coding; with When, only for a resource
// it holds for (a later rule of the same url then makes the others').
type ExtensionRule struct {
	URL    string      `yaml:"url"`
	When   *PathWhen   `yaml:"when"`
	Date   string      `yaml:"date"`
	Coding *CodingRule `yaml:"coding"`
}

// PathWhen holds for a rendering that has the value Equals at the path
// Path (a boolean as true or false).
type PathWhen struct {
	Path   string `yaml:"path"`
	Equals string `yaml:"equals"`
}

// holds reports whether the condition holds for res (no condition: it
// does).
func (w *PathWhen) holds(res *fhir.Object) bool {
	return w == nil || slices.Contains(values(res, w.Path), w.Equals)
}

// CodingRule makes a CodeableConcept from the rendering: the values at
// the paths From, in order, the first that Map knows giving the coding
// (of System); none known, the CodeableConcept is the text at the path
// Text, or else the coding Default (no extension when there is none).
type CodingRule struct {
	System  string                `yaml:"system"`
	From    []string              `yaml:"from"`
	Map     map[string]MappedCode `yaml:"map"`
	Text    string                `yaml:"text"`
	Default *MappedCode           `yaml:"default"`
}

// MappedCode is a code of a CodingRule with its display.
type MappedCode struct {
	Code    string `yaml:"code"`
	Display string `yaml:"display"`
}

// Derive makes an element's code from the rendering: the values at the
// paths From, in order (a path enters every item of a list), the first
// that Map knows giving the code; Default when none does ("" for none).
type Derive struct {
	From    []string          `yaml:"from"`
	Map     map[string]string `yaml:"map"`
	Default string            `yaml:"default"`
}

// Ended says where an ended allergy's end date and reason are in its Care
// Connect rendering (dotted paths); a reason that is not there is "No
// information available", as GP Connect asks of legacy data.
type Ended struct {
	Date   string `yaml:"date"`
	Reason string `yaml:"reason"`
}

// noReason is the reason an allergy ended when the record gives none.
const noReason = "No information available"

//go:embed profiles.yaml
var profilesYAML []byte

// base is profiles.yaml: what is the same for every mapping set.
var base = func() *Overlay {
	o, err := ParseOverlay("gpconnect/profiles.yaml", profilesYAML)
	if err != nil {
		panic(err)
	}
	return o
}()

// ParseOverlay reads an overlay file; name is used in errors, which carry
// the line and column of what is wrong, and are all reported.
func ParseOverlay(name string, data []byte) (*Overlay, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s:%s", name, strings.TrimPrefix(strings.TrimPrefix(err.Error(), "yaml: "), "line "))
	}
	o := &Overlay{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(o); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs := make([]string, len(te.Errors))
			for i, m := range te.Errors {
				msgs[i] = name + ":" + strings.TrimPrefix(m, "line ")
			}
			return nil, errors.New(strings.Join(msgs, "\n"))
		}
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the overlay is empty", name)
		}
		return nil, fmt.Errorf("%s:%s", name, strings.TrimPrefix(strings.TrimPrefix(err.Error(), "yaml: "), "line "))
	}
	type problem struct {
		line, col int
		msg       string
	}
	var problems []problem
	bad := func(path []string, format string, args ...any) {
		line, col := position(&root, path)
		problems = append(problems, problem{line, col, fmt.Sprintf("%s:%d:%d: %s", name, line, col, fmt.Sprintf(format, args...))})
	}
	for k, v := range o.URIs {
		if !absolute(k) || !absolute(v) {
			bad([]string{"uris", k}, "uris: %q → %q: both must be absolute URIs", k, v)
		}
	}
	for typ, r := range o.Resources {
		at := func(more ...string) []string { return append([]string{"resources", typ}, more...) }
		t := stu3.Lookup(typ)
		if t == nil || t.Kind != stu3.Resource {
			bad(at(), "%s is not an STU3 resource type", typ)
			continue
		}
		if r == nil {
			bad(at(), "%s: the rule is empty", typ)
			continue
		}
		if r.Profile != "" && !absolute(r.Profile) {
			bad(at("profile"), "%s.profile %q is not an absolute URL", typ, r.Profile)
		}
		if r.Identifier != "" && !absolute(r.Identifier) {
			bad(at("identifier"), "%s.identifier %q is not an absolute URI (the identifier's system)", typ, r.Identifier)
		}
		check := func(where []string, el, code string) {
			e := element(t, el)
			switch {
			case e == nil:
				bad(where, "%s has no element %s", typ, el)
			case !slices.Contains(e.Types, "code"):
				bad(where, "%s.%s is a %s, not a code", typ, el, strings.Join(e.Types, "|"))
			case code != "" && e.Codes != nil && !slices.Contains(e.Codes, code):
				bad(where, "%s.%s: %q is not one of its codes (%s)", typ, el, code, strings.Join(e.Codes, ", "))
			}
		}
		for el, v := range r.Fixed {
			check(at("fixed", el), el, v)
		}
		for el, d := range r.Derive {
			if d == nil || len(d.From) == 0 {
				bad(at("derive", el), "%s.derive.%s: from names no path", typ, el)
				continue
			}
			check(at("derive", el, "default"), el, d.Default)
			for k, v := range d.Map {
				check(at("derive", el, "map", k), el, v)
			}
		}
		for _, el := range r.Drop {
			if element(t, el) == nil {
				bad(at("drop"), "%s has no element %s", typ, el)
			}
		}
		if r.Authorisation != nil {
			switch a := r.Authorisation; {
			case typ != "MedicationStatement":
				bad(at("authorisation"), "%s: authorisation is for MedicationStatement", typ)
			case a.Allowed.Kind == 0 && a.Expiry.Kind == 0 && a.Prescribed.Kind == 0:
				bad(at("authorisation"), "%s.authorisation: give allowed, expiry or prescribed, each a value of the row ({column: …})", typ)
			case a.Allowed.Kind != 0 && a.Allowed.Kind != yaml.MappingNode:
				bad(at("authorisation", "allowed"), "%s.authorisation.allowed is a value of the row ({column: ISSUES_ALLOWED})", typ)
			case a.Expiry.Kind != 0 && a.Expiry.Kind != yaml.MappingNode:
				bad(at("authorisation", "expiry"), "%s.authorisation.expiry is a value of the row ({column: REVIEW_DATE, transform: …})", typ)
			case a.Prescribed.Kind != 0 && a.Prescribed.Kind != yaml.MappingNode:
				bad(at("authorisation", "prescribed"), "%s.authorisation.prescribed is a value of the row ({value: prescribed-by-previous-practice, when: …})", typ)
			}
		}
		if r.FilingComment != "" {
			e := element(t, r.FilingComment)
			switch {
			case typ != "DiagnosticReport":
				bad(at("filing_comment"), "%s: filing_comment is for DiagnosticReport", typ)
			case e == nil:
				bad(at("filing_comment"), "%s has no element %s", typ, r.FilingComment)
			case e.Max == "*" || len(e.Types) != 1 || e.Types[0] != "string":
				bad(at("filing_comment"), "%s.%s is not a single string", typ, r.FilingComment)
			}
		}
		for i, c := range r.StatusRecords {
			switch {
			case typ != "Immunization":
				bad(at("status_records"), "%s: status_records is for Immunization", typ)
			case c == nil || !absolute(c.System) || strings.TrimSpace(c.Code) == "":
				bad(at("status_records", strconv.Itoa(i)), "%s.status_records[%d]: give the code's system (an absolute URI) and code", typ, i)
			}
		}
		for el, path := range r.Copy {
			switch e := element(t, el); {
			case e == nil:
				bad(at("copy", el), "%s has no element %s", typ, el)
			case e.Max == "*" || len(e.Types) != 1 || !stu3Primitive(e.Types[0]):
				bad(at("copy", el), "%s.%s is not a single primitive", typ, el)
			case path == "":
				bad(at("copy", el), "%s.copy.%s: the path is empty", typ, el)
			}
		}
		for el, to := range r.Only {
			e := element(t, el)
			switch {
			case e == nil:
				bad(at("only", el), "%s has no element %s", typ, el)
			case e.Max != "*" || !slices.Contains(e.Types, "Reference"):
				bad(at("only", el), "%s.%s is not a repeating Reference", typ, el)
			case stu3.Lookup(to) == nil || stu3.Lookup(to).Kind != stu3.Resource:
				bad(at("only", el), "%s.only.%s: %s is not an STU3 resource type", typ, el, to)
			}
		}
		if r.Ended != nil && typ != "AllergyIntolerance" {
			bad(at("ended"), "%s: ended is for AllergyIntolerance", typ)
		}
		if r.Ended != nil && r.Ended.Date == "" {
			bad(at("ended"), "%s.ended.date: the path of the end date is required", typ)
		}
		if len(r.Panels) > 0 && typ != "Observation" {
			bad(at("panels"), "%s: panels are for Observation", typ)
		}
		for i, pn := range r.Panels {
			switch {
			case pn == nil || !absolute(pn.System) || pn.Code == "" || pn.Display == "":
				bad(at("panels"), "%s.panels[%d]: the panel's code needs an absolute system, a code and a display", typ, i)
			case len(pn.Parts) < 2:
				bad(at("panels"), "%s.panels[%d] (%s): parts needs two parts or more, each a list of codes", typ, i, pn.Code)
			case slices.ContainsFunc(pn.Parts, func(p []string) bool { return len(p) == 0 || slices.Contains(p, "") }):
				bad(at("panels"), "%s.panels[%d] (%s): a part with no code", typ, i, pn.Code)
			}
		}
		for i, x := range r.Extensions {
			where := at("extensions")
			switch {
			case x == nil || !absolute(x.URL):
				bad(where, "%s.extensions[%d]: url must be an absolute URL", typ, i)
			case (x.Date == "") == (x.Coding == nil):
				bad(where, "%s.extensions[%d] (%s): give one of date (a path) or coding", typ, i, x.URL)
			case x.When != nil && (x.When.Path == "" || x.When.Equals == ""):
				bad(where, "%s.extensions[%d] (%s): when needs a path and the value it equals", typ, i, x.URL)
			case x.When != nil && elementType(t, strings.Split(x.When.Path, ".")[0]) == "":
				bad(where, "%s.extensions[%d] (%s): when.path: %s has no element %s", typ, i, x.URL, typ, strings.Split(x.When.Path, ".")[0])
			case x.When != nil && elementType(t, x.When.Path) == "boolean" && x.When.Equals != "true" && x.When.Equals != "false":
				bad(where, "%s.extensions[%d] (%s): when: %s.%s is a boolean: equals true or false, not %q", typ, i, x.URL, typ, x.When.Path, x.When.Equals)
			case x.When == nil && slices.ContainsFunc(r.Extensions[i+1:], func(y *ExtensionRule) bool { return y != nil && y.URL == x.URL }):
				// The first rule of a url that applies makes the
				// extension: one after a rule without when is never used.
				bad(where, "%s.extensions[%d] (%s): a rule without when comes before another of the same url, which it leaves unused: put the rules with when first", typ, i, x.URL)
			case x.Coding != nil && (!absolute(x.Coding.System) || len(x.Coding.From) == 0 && x.Coding.Text == "" && x.Coding.Default == nil):
				bad(where, "%s.extensions[%d] (%s): coding needs an absolute system and from paths, a text path or a default", typ, i, x.URL)
			case x.Coding != nil && x.Coding.Default != nil && (x.Coding.Default.Code == "" || x.Coding.Default.Display == ""):
				bad(where, "%s.extensions[%d] (%s): the default needs a code and a display", typ, i, x.URL)
			}
			if x != nil && x.Coding != nil {
				for k, v := range x.Coding.Map {
					if v.Code == "" || v.Display == "" {
						bad(where, "%s.extensions[%d] (%s): %q maps to no code and display", typ, i, x.URL, k)
					}
				}
			}
		}
	}
	if o.Patient != nil {
		for _, f := range o.Patient.facts() {
			if f.node.Kind != 0 && f.node.Kind != yaml.MappingNode {
				what := "a condition on a column of the Patient mapping's table ({column: …})"
				if f.date {
					what = "a date value of a column of the Patient mapping's table ({column: …, transform: …})"
				}
				bad([]string{"patient", f.name}, "patient.%s is not %s", f.name, what)
			}
		}
	}
	if len(problems) > 0 {
		sort.Slice(problems, func(i, j int) bool {
			a, b := problems[i], problems[j]
			if a.line != b.line {
				return a.line < b.line
			}
			if a.col != b.col {
				return a.col < b.col
			}
			return a.msg < b.msg
		})
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = p.msg
		}
		return nil, errors.New(strings.Join(msgs, "\n"))
	}
	return o, nil
}

// stu3Primitive reports whether an STU3 type is a primitive one (written
// with a lower-case initial).
func stu3Primitive(typ string) bool { return typ != "" && typ[0] >= 'a' && typ[0] <= 'z' }

func absolute(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "urn:")
}

// position finds the line and column of the node at a path of mapping
// keys and list indexes (the deepest found).
func position(root *yaml.Node, path []string) (int, int) {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line, col := n.Line, n.Column
	for _, key := range path {
		if i, err := strconv.Atoi(key); err == nil && n.Kind == yaml.SequenceNode && i >= 0 && i < len(n.Content) {
			n = n.Content[i] // an item of a list, by its index
			line, col = n.Line, n.Column
			continue
		}
		found := false
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				line, col = n.Content[i].Line, n.Content[i].Column
				n, found = n.Content[i+1], true
				break
			}
		}
		if !found {
			break
		}
	}
	return line, col
}

// element is a type's element by JSON name.
func element(t *stu3.Type, name string) *stu3.Element {
	for i := range t.Elements {
		if t.Elements[i].Name == name {
			return &t.Elements[i]
		}
	}
	return nil
}

// noInformation gives an allergy's reaction that has no manifestation
// (a severity alone) the manifestation GP Connect asks for then: NullFlavor
// NI, no information (SPEC §6.2).
func noInformation(a *fhir.Object) {
	rs, _ := a.Get("reaction").(fhir.Array)
	for _, x := range rs {
		if r, ok := x.(*fhir.Object); ok && r.Get("manifestation") == nil {
			put(r, stu3.Lookup("AllergyIntolerance.reaction"), "manifestation", fhir.Array{fhir.NewObject(1).Add("coding",
				fhir.Array{coding("http://hl7.org/fhir/v3/NullFlavor", "NI", "NoInformation")})})
		}
	}
}

// elementType is the type of a top-level element named as JSON names it
// (a choice by its chosen form, valueBoolean: boolean): "" when the type
// has no such element, "*" when the element has several types.
func elementType(t *stu3.Type, name string) string {
	for _, e := range t.Elements {
		if e.Name == name {
			if len(e.Types) == 1 {
				return e.Types[0]
			}
			return "*"
		}
		if base, ok := strings.CutSuffix(e.Name, "[x]"); ok {
			if rest, ok := strings.CutPrefix(name, base); ok && rest != "" {
				for _, typ := range e.Types {
					if strings.EqualFold(typ, rest) {
						return typ
					}
				}
			}
		}
	}
	return ""
}

// withSet is the base overlay with a mapping set's over it: its URIs
// added, and per type its rule's settings over the base's (a set's
// derive and fixed elements are added to the base's, replacing the same
// element's).
func withSet(set *Overlay) *Overlay {
	out := &Overlay{URIs: map[string]string{}, Resources: map[string]*Rule{}}
	for _, o := range []*Overlay{base, set} {
		if o == nil {
			continue
		}
		maps.Copy(out.URIs, o.URIs)
		if o.Patient != nil {
			out.Patient = o.Patient
		}
		for typ, r := range o.Resources {
			m := out.Resources[typ]
			if m == nil {
				m = &Rule{Fixed: map[string]string{}, Derive: map[string]*Derive{}, Only: map[string]string{}, Copy: map[string]string{}}
				out.Resources[typ] = m
			}
			if r.Profile != "" {
				m.Profile, m.Version = r.Profile, r.Version
			}
			m.VersionID = m.VersionID || r.VersionID
			if r.LastUpdated != nil {
				m.LastUpdated = r.LastUpdated
			}
			if r.Identifier != "" {
				m.Identifier = r.Identifier
			}
			maps.Copy(m.Fixed, r.Fixed)
			maps.Copy(m.Derive, r.Derive)
			maps.Copy(m.Only, r.Only)
			maps.Copy(m.Copy, r.Copy)
			m.Drop = append(m.Drop, r.Drop...)
			if r.Ended != nil {
				m.Ended = r.Ended
			}
			m.Extensions = append(m.Extensions, r.Extensions...)
			m.Panels = append(m.Panels, r.Panels...)
			m.StatusRecords = append(m.StatusRecords, r.StatusRecords...)
			if r.Heading.Kind != 0 {
				m.Heading = r.Heading
			}
			if r.FilingComment != "" {
				m.FilingComment = r.FilingComment
			}
			if r.Authorisation != nil {
				m.Authorisation = r.Authorisation
			}
		}
	}
	if r := out.Resources["Immunization"]; r != nil && len(r.StatusRecords) > 0 {
		out.statusCodes = map[string]bool{}
		for _, c := range r.StatusRecords {
			out.statusCodes[c.System+"|"+c.Code] = true
		}
	}
	return out
}

// profile is a type's GP Connect profile, "" if none is known.
func (o *Overlay) profile(typ string) string {
	if r := o.Resources[typ]; r != nil {
		return r.Profile
	}
	return ""
}

// apply turns a resource's Care Connect rendering into its GP Connect
// one, in place; ns is the provider's namespace of identifiers.
func (o *Overlay) apply(res *fhir.Object, ns [16]byte) {
	typ := res.GetString("resourceType")
	renameURIs(res, o.URIs)
	if typ == "AllergyIntolerance" {
		noInformation(res)
	}
	r := o.Resources[typ]
	if r == nil {
		return
	}
	t := stu3.Lookup(typ)
	// Copies first, from the rendering as it came (meta.lastUpdated too).
	for _, el := range sortedKeys(r.Copy) {
		if res.Get(el) == nil {
			if v := values(res, r.Copy[el]); len(v) > 0 && v[0] != "" {
				put(res, t, el, fhir.String(v[0]))
			}
		}
	}
	// meta: versionId, lastUpdated, profile, in that order, and nothing else.
	old, _ := res.Get("meta").(*fhir.Object)
	lastUpdated := old.GetString("lastUpdated")
	meta := fhir.NewObject(3)
	if r.VersionID && lastUpdated != "" {
		if ts, err := time.Parse(time.RFC3339Nano, lastUpdated); err == nil {
			meta.Add("versionId", fhir.String(strconv.FormatInt(ts.UnixMilli(), 10)))
		}
	}
	if r.LastUpdated == nil || *r.LastUpdated {
		meta.AddString("lastUpdated", lastUpdated)
	}
	if r.Profile != "" {
		meta.Add("profile", fhir.Array{fhir.String(r.Profile)})
	}
	put(res, t, "meta", fhir.Prune(meta))
	if r.Identifier != "" && !hasIdentifier(res, r.Identifier) {
		id := fhir.NewObject(2).Add("system", fhir.String(r.Identifier)).Add("value", fhir.String(uuid5(ns, typ+"/"+res.GetString("id"))))
		ids, _ := res.Get("identifier").(fhir.Array)
		put(res, t, "identifier", append(ids[:len(ids):len(ids)], id))
	}
	for _, el := range sortedKeys(r.Derive) {
		d := r.Derive[el]
		code := d.Default
	find:
		for _, p := range d.From {
			for _, v := range values(res, p) {
				if c, ok := d.Map[v]; ok {
					code = c
					break find
				}
			}
		}
		if code != "" {
			put(res, t, el, codeValue(t, el, code))
		}
	}
	for _, el := range sortedKeys(r.Fixed) {
		put(res, t, el, codeValue(t, el, r.Fixed[el]))
	}
	for _, el := range r.Drop {
		put(res, t, el, nil)
	}
	for _, el := range sortedKeys(r.Only) {
		if items, ok := res.Get(el).(fhir.Array); ok && len(items) > 1 {
			keep := items[0]
			for _, x := range items {
				if o, ok := x.(*fhir.Object); ok && strings.HasPrefix(o.GetString("reference"), r.Only[el]+"/") {
					keep = x
					break
				}
			}
			put(res, t, el, fhir.Array{keep})
		}
	}
	for _, x := range r.Extensions {
		addExtension(res, t, x)
	}
}

// addExtension adds an extension made by a rule, unless the resource has
// one of its url or the rendering holds nothing to make it from.
func addExtension(res *fhir.Object, t *stu3.Type, x *ExtensionRule) {
	if !x.When.holds(res) {
		return
	}
	exts, _ := res.Get("extension").(fhir.Array)
	for _, e := range exts {
		if o, ok := e.(*fhir.Object); ok && o.GetString("url") == x.URL {
			return
		}
	}
	ext := fhir.NewObject(2).Add("url", fhir.String(x.URL))
	switch {
	case x.Date != "":
		v := values(res, x.Date)
		if len(v) == 0 || v[0] == "" {
			return
		}
		ext.Add("valueDateTime", fhir.String(v[0]))
	default:
		c := x.Coding
		var cc *fhir.Object
	find:
		for _, p := range c.From {
			for _, v := range values(res, p) {
				if m, ok := c.Map[v]; ok {
					cc = fhir.NewObject(1).Add("coding", fhir.Array{coding(c.System, m.Code, m.Display)})
					break find
				}
			}
		}
		if cc == nil && c.Text != "" {
			if v := values(res, c.Text); len(v) > 0 && v[0] != "" {
				cc = fhir.NewObject(1).Add("text", fhir.String(v[0]))
			}
		}
		if cc == nil && c.Default != nil {
			cc = fhir.NewObject(1).Add("coding", fhir.Array{coding(c.System, c.Default.Code, c.Default.Display)})
		}
		if cc == nil {
			return
		}
		ext.Add("valueCodeableConcept", cc)
	}
	put(res, t, "extension", append(exts[:len(exts):len(exts)], ext))
}

// codeValue is a code as the element holds it: a list of one for a
// repeating element.
func codeValue(t *stu3.Type, el, code string) fhir.Value {
	if e := element(t, el); e != nil && e.Max == "*" {
		return fhir.Array{fhir.String(code)}
	}
	return fhir.String(code)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// renameURIs renames every url and system equal to a key of uris.
func renameURIs(v fhir.Value, uris map[string]string) {
	switch t := v.(type) {
	case *fhir.Object:
		for i, f := range t.Fields {
			if s, ok := f.Value.(fhir.String); ok && (f.Name == "url" || f.Name == "system") {
				if to, ok := uris[string(s)]; ok {
					t.Fields[i].Value = fhir.String(to)
				}
				continue
			}
			renameURIs(f.Value, uris)
		}
	case fhir.Array:
		for _, x := range t {
			renameURIs(x, uris)
		}
	}
}

// put sets a field of a resource, in the place FHIR orders it; a nil
// value removes it.
func put(res *fhir.Object, t *stu3.Type, name string, v fhir.Value) {
	for i, f := range res.Fields {
		if f.Name == name {
			if v == nil {
				res.Fields = slices.Delete(res.Fields, i, i+1)
			} else {
				res.Fields[i].Value = v
			}
			return
		}
	}
	if v == nil {
		return
	}
	rank := func(n string) int {
		if n == "resourceType" {
			return -1
		}
		if t != nil {
			for i, e := range t.Elements {
				if e.Name == n || e.Choice() && strings.HasPrefix(n, strings.TrimSuffix(e.Name, "[x]")) {
					return i
				}
			}
		}
		return len(res.Fields) + 1000
	}
	r := rank(name)
	at := len(res.Fields)
	for i, f := range res.Fields {
		if rank(f.Name) > r {
			at = i
			break
		}
	}
	res.Fields = slices.Insert(res.Fields, at, fhir.Field{Name: name, Value: v})
}

// values are the strings at a dotted path, every item of a list entered.
func values(v fhir.Value, path string) []string {
	cur := []fhir.Value{v}
	for _, part := range strings.Split(path, ".") {
		var next []fhir.Value
		for _, c := range cur {
			if a, ok := c.(fhir.Array); ok {
				for _, x := range a {
					if o, ok := x.(*fhir.Object); ok {
						next = appendField(next, o.Get(part))
					}
				}
				continue
			}
			if o, ok := c.(*fhir.Object); ok {
				next = appendField(next, o.Get(part))
			}
		}
		cur = next
	}
	var out []string
	for _, c := range cur {
		switch t := c.(type) {
		case fhir.String:
			out = append(out, string(t))
		case fhir.Bool:
			out = append(out, strconv.FormatBool(bool(t)))
		case fhir.Array:
			for _, x := range t {
				if s, ok := x.(fhir.String); ok {
					out = append(out, string(s))
				}
			}
		}
	}
	return out
}

func appendField(to []fhir.Value, v fhir.Value) []fhir.Value {
	if v != nil {
		to = append(to, v)
	}
	return to
}

func hasIdentifier(res *fhir.Object, system string) bool {
	return slices.Contains(values(res, "identifier.system"), system)
}

// uuid5 is the name-based (SHA-1) UUID of name in the namespace ns (RFC
// 9562 §5.5).
func uuid5(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// namespaceURL is the RFC 9562 namespace of URLs.
var namespaceURL = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// namespace is a provider's namespace of identifiers: the UUID of its
// ASID's URN in the namespace of URLs.
func namespace(asid string) [16]byte {
	var ns [16]byte
	s := strings.ReplaceAll(uuid5(namespaceURL, "urn:nhs:asid:"+asid), "-", "")
	for i := range ns {
		v, _ := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		ns[i] = byte(v)
	}
	return ns
}
