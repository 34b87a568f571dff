package mapping

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ccfacade/ccfacade/fhir/profile"
)

// Set is every mapping of a deployment, with the concept maps they share.
type Set struct {
	Mappings []*Mapping
	Concepts map[string]*ConceptMap
	// Location is the zone of date-times stored without one, and of search
	// values given without one.
	Location *time.Location
	// Profiles are the definitions the set's profiles were found in, and
	// the checker's, which lint runs on sample resources.
	Profiles *profile.Registry
	// ProfilesR4 are the R4 definitions the R4 forms' profiles were found
	// in, and the checker's for them.
	ProfilesR4 *profile.Registry
	// Warnings are what lint reports without failing: a parameter bound to
	// columns that does not search every value its element shows, an
	// element STU3 requires that the mapping can leave absent.
	Warnings []string
	byType   map[string]*Mapping
	// served are the mappings served as each type in each release.
	served map[Version]map[string][]*Mapping
}

// LookupIn returns the mappings served as a resource type in a release:
// one, or several whose ids start with their id-prefix (on R4,
// ServiceRequest from ReferralRequest and ProcedureRequest), or none.
func (s *Set) LookupIn(v Version, resourceType string) []*Mapping {
	return s.served[v][resourceType]
}

// Today is the current date in the set's zone, YYYY-MM-DD.
func (s *Set) Today() time.Time {
	t := time.Now().In(s.Location)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.Location)
}

// Lookup returns the mapping that serves a resource type, or nil; of a
// type several mappings serve, the first (LookupIn gives them all).
func (s *Set) Lookup(resourceType string) *Mapping { return s.byType[resourceType] }

// Mapping is one compiled mapping file: one FHIR resource type and profile.
type Mapping struct {
	// jsonSize is the usual size of a resource rendered straight to JSON
	// (a moving average), which its buffer starts a little over.
	jsonSize atomic.Int64

	File        string
	Pos         Pos
	Resource    string
	Profile     string
	Description string
	// IDPrefix starts every id the mapping makes (its id-prefix): the
	// resources of mappings served as one type (on R4, ServiceRequest
	// from ReferralRequest and ProcedureRequest) keep apart by it.
	IDPrefix string
	From     Source
	Root     *Node // the resource object; its Fields exclude id, and its meta holds only security and tag
	Search   []*SearchParam
	// Cols is the select list of the main query: the key columns first,
	// then the updated column (if any), then every column the elements use.
	Cols *ColumnSet
	// Children are the child-row sources used by repeating elements, each
	// fetched with one batched query per page of parents.
	Children []*Rows
	// Internal marks a mapping the facade makes for its own use and never
	// serves (facts of a row no element holds): the elements STU3
	// requires are not checked of what it renders.
	Internal bool
	set      *Set
	// plan is the mapping compiled for rendering (compile.go).
	plan *plan
	// r4 is the mapping's R4 (UK Core) form, derived from the rest when
	// it loads (r4.go); r4src is what its r4 section says (nil: none).
	r4    *r4Form
	r4src *r4Section
}

// SearchParam looks up a search parameter by name.
func (m *Mapping) SearchParam(name string) *SearchParam {
	for _, p := range m.Search {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Sources are every single-source search parameter of the mapping: each
// parameter bound to columns, and each branch of a derived one.
func (m *Mapping) Sources() []*SearchParam {
	var out []*SearchParam
	for _, p := range m.Search {
		out = append(out, p.Sources()...)
	}
	return out
}

// Source says where a mapping's rows come from.
type Source struct {
	Pos     Pos
	Table   string // a table or view, or
	Query   string // a read-only SELECT used as a derived table
	Key     []string
	KeyPos  Pos
	Updated string // column giving meta.lastUpdated and _lastUpdated
	// Joins are tables joined to Table (LEFT JOIN): their columns are
	// written ALIAS.COLUMN in the mapping and named JoinedName(ALIAS,
	// COLUMN) in its rows.
	Joins []*Join
	// Distinct makes the rows those of the distinct values of the key
	// columns of Table (rows with a NULL key left out); every other
	// column takes its least value for the key.
	Distinct bool
}

// Join is a table joined to a mapping's table.
type Join struct {
	Pos   Pos
	Table string
	As    string
	// On pairs a column of the joined table with the main table's column
	// it equals.
	On [][2]string
	// Cols are the joined table's columns the mapping uses.
	Cols []string
}

// JoinedName is the name a joined table's column has in a mapping's rows.
func JoinedName(as, column string) string { return as + "__" + column }

// ColumnSet is an ordered, de-duplicated select list.
type ColumnSet struct {
	Names []string
	index map[string]int
	// joins, on a mapping's own select list, are its joins by alias: a
	// column written ALIAS.COLUMN is one of a joined table.
	joins map[string]*Join
}

// Canon is the name a column written in the mapping has in the rows: a
// joined table's ALIAS.COLUMN is JoinedName(ALIAS, COLUMN), recorded as
// used by its join; any other name is itself.
func (c *ColumnSet) Canon(name string) string {
	if c == nil || len(c.joins) == 0 {
		return name
	}
	as, col, ok := strings.Cut(name, ".")
	j := c.joins[strings.ToLower(as)]
	if !ok || j == nil || col == "" {
		return name
	}
	found := false
	for _, x := range j.Cols {
		if strings.EqualFold(x, col) {
			found = true
		}
	}
	if !found {
		j.Cols = append(j.Cols, col)
	}
	return JoinedName(j.As, col)
}

func newColumnSet() *ColumnSet { return &ColumnSet{index: map[string]int{}} }

// Add returns the position of the column, adding it if new. Names compare
// case-insensitively, as unquoted SQL identifiers do.
func (c *ColumnSet) Add(name string) int {
	name = c.Canon(name)
	k := strings.ToUpper(name)
	if i, ok := c.index[k]; ok {
		return i
	}
	c.Names = append(c.Names, name)
	c.index[k] = len(c.Names) - 1
	return len(c.Names) - 1
}

// Rows is a child table whose rows repeat an element (addresses, telecoms,
// names, identifiers).
type Rows struct {
	Pos   Pos
	Path  string
	Table string
	// Link pairs child columns with the parent columns they equal.
	Link       []string // child columns
	ParentCols []int    // positions in the parent's select list
	ParentName []string
	Where      string // optional fixed SQL condition written by the mapping author
	Order      []string
	Cols       *ColumnSet // link columns first
	Index      int        // position in Mapping.Children
}

// Node is one element of the resource being built.
type Node struct {
	Pos  Pos
	Path string // FHIR path, e.g. Patient.name.family
	Name string // JSON name, e.g. valueCodeableConcept
	Type string // FHIR type of the value
	List bool   // max cardinality "*"

	Expr   *Expr   // a value computed from the row
	Fields []*Node // an object, fields in FHIR order
	Items  []*Node // a list
	When   *Cond   // present only when the condition holds
	Rows   *Rows   // (list items) repeat once per child row

	// Of a node of a mapping's R4 form (r4.go): r4System makes a code a
	// CodeableConcept of that system, r4Codes translates its codes (to
	// "": none), r4Into marks an object the rules made to hold values
	// moved into it.
	r4System string
	r4Codes  map[string]string
	r4Into   bool
	// r4Ext, of a code R4 writes as a CodeableConcept, is the extension
	// list written inside it (an extension UK Core moved onto the
	// element).
	r4Ext *Node
}

// Expr computes one value from a row.
type Expr struct {
	Pos        Pos
	Path       string
	Literal    any // string, bool, int64 or float64 when the value is fixed
	HasLiteral bool
	Column     string
	col        int
	scope      *ColumnSet
	First      []*Expr
	// Concat joins the text of its parts (columns with their transforms,
	// and fixed text); a NULL part adds nothing, as SQL's CONCAT.
	Concat     []*Expr
	Transforms []Transform
	Concept    *ConceptMap
	conceptRef string // the concept map's name as written
	Ref        *RefExpr
	When       *Cond // present only when the condition holds
	// Required leaves the enclosing object out when this value is absent
	// (an identifier without its value, a coding without its code).
	Required bool
}

// RefExpr makes "Type/id" from key columns of the current row.
type RefExpr struct {
	Resource string
	Key      []string
	cols     []int
	// target is the mapping of Resource (set when the set loads): its id
	// prefix and its type in each release. With several mappings of
	// Resource, the reference names one by its id-prefix (prefix).
	target   *Mapping
	prefix   string
	byPrefix bool
}

// Cond is a condition on the current row: on one column (its presence,
// its value among some, a concept map knowing it, a comparison, a
// regular expression), or any or all of other conditions.
type Cond struct {
	Pos    Pos
	Column string
	col    int
	Equals []string // any of these values (after trimming); empty: any non-blank value
	// Concept, when set, holds for a value the concept map translates.
	Concept *ConceptMap
	// Op compares the column's value with Than: lt, le, gt or ge. A NULL
	// on either side fails the comparison.
	Op   string
	Than *Operand
	// Format is the text format of the dates a text column holds, for a
	// comparison with a date (yyyyMMdd); it must sort as text. layout is
	// its Go layout, worked out at load.
	Format string
	layout string
	// Matches is a regular expression the column's text must match.
	Matches string
	re      *regexp.Regexp
	// Forms, on a presence test (no other test), are transforms the
	// column's value is put through before it is tested for blankness: the
	// presence of an alternative of a "first" as rendering sees it.
	Forms []Transform
	// Any and All combine conditions; a Cond with either has no column.
	Any, All []*Cond
	// Not inverts the whole condition.
	Not bool
}

// Operand is what a comparison compares a column with: today's date (in
// the configured zone), a fixed date, a fixed number, or another column
// of the row.
type Operand struct {
	Today bool
	// Years, Months and Days move today: today-30d, today+1y.
	Years, Months, Days int
	Date                string    // YYYY-MM-DD
	date                time.Time // Date, parsed at load (UTC)
	Number              string
	Column              string
	col                 int
}

// ByDay tells whether a comparison is by the day: with today or a date.
func (o *Operand) ByDay() bool { return o.Today || o.Date != "" }

// Day is the date a comparison by the day compares with, given today.
func (o *Operand) Day(today time.Time) time.Time {
	if o.Date != "" {
		return time.Date(o.date.Year(), o.date.Month(), o.date.Day(), 0, 0, 0, 0, today.Location())
	}
	d := today
	if o.Years != 0 || o.Months != 0 {
		// A month or a year back from the 31st (or 29 February) is the
		// last day of the shorter month, not the start of the next.
		first := time.Date(today.Year()+o.Years, today.Month()+time.Month(o.Months), 1, 0, 0, 0, 0, today.Location())
		last := first.AddDate(0, 1, -1).Day()
		d = time.Date(first.Year(), first.Month(), min(today.Day(), last), 0, 0, 0, 0, today.Location())
	}
	return d.AddDate(0, 0, o.Days)
}

// Layout is the Go layout of the condition's Format ("2006-01-02" without
// one: a DATE read as text).
func (c *Cond) Layout() string {
	if c.layout == "" {
		return "2006-01-02"
	}
	return c.layout
}

// Columns are the columns a condition reads, itself and below.
func (c *Cond) Columns() []string {
	var out []string
	if c.Column != "" {
		out = append(out, c.Column)
	}
	if c.Than != nil && c.Than.Column != "" {
		out = append(out, c.Than.Column)
	}
	for _, sub := range append(append([]*Cond(nil), c.Any...), c.All...) {
		out = append(out, sub.Columns()...)
	}
	return out
}

// SearchParam binds a FHIR search parameter to SQL.
type SearchParam struct {
	Pos        Pos
	Name       string
	Type       string // one of SearchTypes
	Columns    []string
	SQL        string        // an SQL expression instead of columns
	System     string        // token: the system of the codes in the column
	SystemFrom *SystemSource // token: where each row's system is, for codes of several systems
	Transforms []Transform
	Concepts   []*ConceptMap // token: search through these maps (any may match)
	Rows       *Rows         // value lives in a child table (EXISTS)
	Format     string
	// ColumnFormat is the format the column's text is written in: Format,
	// or the format Format was rearranged from (dd/MM/yyyy compared as
	// yyyyMMdd).
	ColumnFormat string
	// To, for a date parameter, is the column holding the end of a period
	// that starts at Columns[0] (NULL: still open), as an encounter's start
	// and end; searches compare the period as a range.
	To string
	// DateGrain is the precision of the values a date parameter compares:
	// 1 year, 2 month, 3 day, 4 minute, 5 second. A format sets it;
	// otherwise 5 (the engine compares a native DATE column by the day).
	DateGrain     int
	Target        []string // reference: allowed target types
	Documentation string
	// Col is, for a reference parameter on one column of the main table,
	// its position in the select list (so _include can follow it); else -1.
	Col int

	// Path is, for a parameter derived from the element, the STU3 path it
	// searches (Patient.name.family); "" for one bound to columns.
	Path string
	// Branches are the sources of a parameter derived from several places
	// of the element (an official name and the names of a child table, two
	// identifier systems, references to two types): each a parameter of
	// one source. The parameter matches when any branch does.
	Branches []*SearchParam
	// Conds are the conditions under which the element shows the value
	// (its "when"s): a parameter of one source matches only where they hold.
	Conds []*Cond
	// R4Codes, of a token parameter as offered on R4 whose element's
	// codes the rules translate (Procedure.status: STU3 aborted is R4
	// stopped), are the STU3 codes each R4 code stands for; a code of no
	// entry stands for itself, and one of an empty entry is STU3's only.
	R4Codes map[string][]string
	// ColumnForms are the forms the column is compared in, from the
	// transforms that render it: trim, compact, upper, lower, nhs-number.
	ColumnForms []Transform
	// Constant is a value the element shows without a column.
	Constant *string
	// Concat, for a source derived from a concat expression, are its
	// parts: each a column compared in its forms, or fixed text.
	Concat []ConcatPart
	// PresenceOnly marks a source that shows the element without a value
	// the parameter can match (a CodeableConcept's text): it counts for
	// :missing only.
	PresenceOnly bool
}

// Sources returns the parameter's single-source parts: its branches, or
// the parameter itself.
func (p *SearchParam) Sources() []*SearchParam {
	if len(p.Branches) > 0 {
		return p.Branches
	}
	return []*SearchParam{p}
}

// ConcatPart is a part of a concat a parameter searches: a column in its
// forms, or fixed text.
type ConcatPart struct {
	Column string
	Forms  []Transform
	Text   *string
}

// SystemSource is the column or SQL expression that holds the code system
// of each row's code, for a token parameter over codes of several systems.
// Its values are system URIs, or, with Concept, local names (a vocabulary
// id) that the map translates into system URIs: each entry's code is the
// URI.
type SystemSource struct {
	Pos     Pos
	Column  string
	SQL     string
	Concept *ConceptMap
}

// Locals returns the values of the system column that stand for the system
// URI: the URI itself, or the local names the concept map translates to it.
func (s *SystemSource) Locals(system string) []string {
	if s.Concept == nil {
		return []string{system}
	}
	out := s.Concept.Reverse("", false, system)
	d := s.Concept.data()
	for _, local := range d.order {
		if t := d.entries[local]; t.Code != system && sameCareConnectSystem(t.Code, system) {
			out = append(out, local)
		}
	}
	return out
}

// Known returns every value of the system column that stands for a system
// (nil without a concept map: any value is a system URI).
func (s *SystemSource) Known() []string {
	if s.Concept == nil {
		return nil
	}
	return s.Concept.Locals()
}

// ConceptMap translates local codes into FHIR codings. Its entries are
// written in the mapping file, or read from a table (From) when the
// catalog loads and again every Refresh; readers always see one whole
// version of them.
type ConceptMap struct {
	Pos      Pos
	Name     string
	System   string
	Unmapped string // drop | error
	// From, when set, is the table the entries are read from.
	From *ConceptSource
	// Refresh, when positive, is how often a serving facade reads From
	// again.
	Refresh time.Duration
	// Uses are the elements with a required binding the map translates
	// into, for checking entries read from a table.
	Uses    []ConceptUse
	entries atomic.Pointer[conceptData]
}

// ConceptSource is the table (or view) a concept map's entries are read
// from: a column of local codes, one of target codes, and optionally the
// target display and system (else the map's system).
type ConceptSource struct {
	Pos                          Pos
	Table                        string
	Local, Code, Display, System string
}

// ConceptUse is an element the map translates into whose codes a required
// value set limits.
type ConceptUse struct {
	Pos   Pos
	Path  string
	Codes []string
}

type conceptData struct {
	entries map[string]Coding // by local code (trimmed)
	order   []string
}

var noConcepts = &conceptData{entries: map[string]Coding{}}

func (c *ConceptMap) data() *conceptData {
	if d := c.entries.Load(); d != nil {
		return d
	}
	return noConcepts
}

// SetEntries replaces the map's entries: locals[i] translates to
// targets[i]; a local code given twice keeps its first target. Local codes
// are trimmed.
func (c *ConceptMap) SetEntries(locals []string, targets []Coding) {
	d := &conceptData{entries: make(map[string]Coding, len(locals))}
	for i, l := range locals {
		l = strings.TrimSpace(l)
		if _, dup := d.entries[l]; dup {
			continue
		}
		d.entries[l] = targets[i]
		d.order = append(d.order, l)
	}
	c.entries.Store(d)
}

// TrySetEntries puts new entries in place as SetEntries does, unless one
// translates to a code that an element the map is used on does not allow:
// then the map keeps the entries it had, and the problems are returned.
func (c *ConceptMap) TrySetEntries(locals []string, targets []Coding) []*Error {
	old := c.entries.Load()
	c.SetEntries(locals, targets)
	if bad := c.Disallowed(); len(bad) > 0 {
		if old != nil {
			c.entries.Store(old)
		}
		return bad
	}
	return nil
}

// Lookup translates a (trimmed) local code.
func (c *ConceptMap) Lookup(local string) (Coding, bool) {
	t, ok := c.data().entries[local]
	return t, ok
}

// Len is the number of entries.
func (c *ConceptMap) Len() int { return len(c.data().order) }

// Disallowed lists, for each use of the map on an element a required value
// set limits, the entries whose code it does not allow.
func (c *ConceptMap) Disallowed() []*Error {
	var out []*Error
	d := c.data()
	for _, u := range c.Uses {
		for _, local := range d.order {
			if code := d.entries[local].Code; !slices.Contains(u.Codes, code) {
				out = append(out, &Error{Pos: u.Pos, Path: u.Path, Msg: fmt.Sprintf("concept map %q translates %q to %q, which is not an allowed code (one of: %s)", c.Name, local, code, strings.Join(u.Codes, ", "))})
			}
		}
	}
	return out
}

// Coding is a concept map target.
type Coding struct {
	System, Code, Display string
}

// Locals returns every local code the map translates.
func (c *ConceptMap) Locals() []string { return append([]string(nil), c.data().order...) }

// InSystem returns the local codes whose target is in system.
func (c *ConceptMap) InSystem(system string) []string {
	var out []string
	d := c.data()
	for _, local := range d.order {
		if d.entries[local].System == system {
			out = append(out, local)
		}
	}
	return out
}

// ByDisplay returns the local codes whose target display starts with text,
// ignoring case.
func (c *ConceptMap) ByDisplay(text string) []string {
	var out []string
	t := strings.ToLower(text)
	d := c.data()
	for _, local := range d.order {
		if strings.HasPrefix(strings.ToLower(d.entries[local].Display), t) {
			out = append(out, local)
		}
	}
	return out
}

// Reverse returns the local codes whose target matches the token: code
// equal, and system equal when hasSystem.
func (c *ConceptMap) Reverse(system string, hasSystem bool, code string) []string {
	var out []string
	d := c.data()
	for _, local := range d.order {
		t := d.entries[local]
		if t.Code != code {
			continue
		}
		if hasSystem && t.System != system && !sameCareConnectSystem(t.System, system) {
			continue
		}
		out = append(out, local)
	}
	return out
}

// PosOf returns where in the mapping file the element at a FHIR path is
// built: the deepest mapped element on the path (indexes and slice names
// ignored), or the mapping's resource line when none is mapped.
func (m *Mapping) PosOf(fhirPath string) Pos {
	var clean []string
	for _, part := range strings.Split(fhirPath, ".") {
		if i := strings.IndexAny(part, "[:"); i >= 0 {
			part = part[:i]
		}
		clean = append(clean, part)
	}
	best := m.Pos
	var walk func(n *Node, depth int)
	walk = func(n *Node, depth int) {
		if depth >= len(clean) {
			return
		}
		for _, f := range n.Fields {
			if f.Name == clean[depth] {
				best = f.Pos
				walk(f, depth+1)
			}
		}
		for _, it := range n.Items {
			walk(it, depth)
		}
	}
	if len(clean) > 0 && clean[0] == m.Resource {
		walk(m.Root, 1)
	}
	return best
}

// sameCareConnectSystem accepts the older spellings of Care Connect code
// system URLs (…/STU3/CareConnect-X-1, …/CareConnect-X-1) for the current
// …/STU3/CodeSystem/CareConnect-X-1.
func sameCareConnectSystem(want, given string) bool {
	canon := func(s string) string {
		for _, old := range []string{"https://fhir.hl7.org.uk/STU3/CodeSystem/", "https://fhir.hl7.org.uk/STU3/", "https://fhir.hl7.org.uk/"} {
			if rest, ok := strings.CutPrefix(s, old); ok && strings.HasPrefix(rest, "CareConnect-") {
				return "https://fhir.hl7.org.uk/STU3/CodeSystem/" + rest
			}
		}
		return s
	}
	return want != "" && canon(want) == canon(given)
}
