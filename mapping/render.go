package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Row is one source row of a mapping: the values of its select list
// (Mapping.Cols) and, per child source (Mapping.Children), the child rows
// that belong to it (each in Rows.Cols order).
type Row struct {
	Vals     []any
	Children [][][]any
}

// Problem is a value that could not be rendered. The element is left out;
// a Fatal problem (a concept map whose policy is "error") fails the read.
type Problem struct {
	Pos   Pos
	Path  string
	Msg   string
	Fatal bool
	// Absent marks an element STU3 requires (min 1) that the resource
	// lacks: Path names it (Observation.code). The resource is served
	// without it, and so is not valid FHIR.
	Absent bool
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s: %s", p.Pos, p.Path, p.Msg) }

// ID returns the resource id of a row.
func (m *Mapping) ID(vals []any) (string, error) {
	id, err := EncodeID(vals[:len(m.From.Key)])
	if err != nil || m.IDPrefix == "" {
		return id, err
	}
	if len(m.IDPrefix)+len(id) > 64 {
		return "", ErrIDTooLong
	}
	return m.IDPrefix + id, nil
}

// KeyOf is the key an id of the mapping stands for: ErrBadID when the id
// is not one the mapping makes (another prefix, too few or many parts).
func (m *Mapping) KeyOf(id string) ([]string, error) {
	rest, ok := strings.CutPrefix(id, m.IDPrefix)
	if !ok {
		return nil, ErrBadID
	}
	return DecodeID(rest, len(m.From.Key))
}

// writer is an output the plan is executed into: the value tree or
// compact JSON. The renderer calls it as it walks the plan, and cuts back
// to a mark what turns out empty; a writer only spells what it is told.
type writer interface {
	// mark is the writer's position, to cut back to.
	mark() mark
	// cut drops everything written since m.
	cut(m mark)
	// name names the next value, inside an object.
	name(m member)
	openObject(size int)
	closeObject()
	openArray()
	closeArray()
	// text, number and boolean write a primitive (text and number are
	// never empty).
	text(s string)
	number(s string)
	boolean(b bool)
	// ref writes the reference "Type/id".
	ref(resource, id string)
}

// mark is a writer's position: the depth of its open containers and the
// length of the innermost (the value tree), or the length of its bytes
// (JSON).
type mark struct{ depth, n int }

// renderer executes a mapping's plan over one row into a writer.
type renderer struct {
	m        *Mapping
	p        *plan // the mapping's plan in the release rendered
	out      writer
	day      time.Time // today, once asked for
	cov      *Coverage
	row      *Row
	problems []Problem
	// id, lastUpdated and patient are what the resource says of itself:
	// its id, its meta.lastUpdated and the Patient it is about (its own
	// id, or the one its subject or patient refers to).
	id, lastUpdated, patient string
}

// today is the date conditions compare with, the same for the whole
// resource.
func (r *renderer) today() time.Time {
	if r.day.IsZero() {
		r.day = r.m.set.Today()
	}
	return r.day
}

func (r *renderer) problem(pos Pos, path, msg string, fatal bool) {
	r.problems = append(r.problems, Problem{Pos: pos, Path: path, Msg: msg, Fatal: fatal})
}

// resource writes the row's resource: resourceType, id, meta
// (lastUpdated, profile, and the security labels and tags the mapping
// gives), then the mapping's elements in FHIR order.
func (r *renderer) resource() {
	m, out, root := r.m, r.out, r.p.root
	id, err := m.ID(r.row.Vals)
	if err != nil {
		r.problem(m.From.KeyPos, m.Resource+".id", err.Error(), true)
	}
	r.id = id
	if m.Resource == "Patient" {
		r.patient = id
	}
	out.openObject(len(root.fields) + 3)
	out.name(memResourceType)
	out.text(r.p.resource)
	if id != "" {
		out.name(memID)
		out.text(id)
	}
	at := out.mark()
	out.name(memMeta)
	out.openObject(2)
	meta := 0
	if m.From.Updated != "" {
		if v := r.row.Vals[len(m.From.Key)]; v != nil {
			if lu, _, ok := r.primitiveText(Pos{File: m.File}, r.p.lastUpdatedPath, "instant", v); ok && lu != "" {
				out.name(memLastUpdated)
				out.text(lu)
				r.lastUpdated = lu
				meta++
			}
		}
	}
	if prof := r.profile(); prof != "" {
		out.name(memProfile)
		out.openArray()
		out.text(prof)
		out.closeArray()
		meta++
	}
	if ms := r.p.meta; ms != nil {
		for _, f := range ms.fields {
			at := out.mark()
			out.name(f.member)
			if !r.node(f, r.row.Vals) {
				out.cut(at)
				continue
			}
			meta++
		}
	}
	if meta == 0 {
		out.cut(at)
	} else {
		out.closeObject()
	}
	r.fields(root, r.row.Vals, true)
	out.closeObject()
}

// profile is the profile the row's resource claims: the plan's, or its
// laboratory profile when the row's category is laboratory.
func (r *renderer) profile() string {
	if r.p.labProfile == "" {
		return r.p.profile
	}
	for _, e := range r.p.labCodes {
		if e.When != nil && !e.When.holds(r.row.Vals, r.today) {
			continue
		}
		v, ok := r.eval(e, r.row.Vals)
		if !ok || v == nil {
			continue
		}
		code := strings.TrimSpace(toString(v))
		if e.Concept != nil {
			t, found := e.Concept.Lookup(code)
			if !found || !isObservationCategory(t.System) {
				continue
			}
			code = t.Code
		}
		if code == "laboratory" {
			return r.p.labProfile
		}
	}
	return r.p.profile
}

// fields writes an object's fields; it returns how many were written and
// whether one of them came from the row, or ok false when a field marked
// required is absent (what was written is then for the caller to cut).
// The resource's root is written whatever it holds. Of an object that is
// kept, the elements STU3 requires are checked.
func (r *renderer) fields(s *step, vals []any, root bool) (n int, alive, ok bool) {
	out := r.out
	var written uint64 // the fields written, by position
	for i, f := range s.fields {
		at := out.mark()
		out.name(f.member)
		if !r.node(f, vals) {
			out.cut(at)
			if f.required && !root {
				return n, alive, false
			}
			continue
		}
		n++
		if i < 64 {
			written |= 1 << i
		}
		alive = alive || f.dynamic
	}
	if s.needs != nil && !r.m.Internal && (root || n > 0 && (alive || !s.dynamic)) {
		r.checkNeeds(s, written)
	}
	return n, alive, true
}

// unreport withdraws the absent elements reported since the first
// problems: they were of objects that are not written after all.
func (r *renderer) unreport(first int) {
	kept := r.problems[:first]
	for _, p := range r.problems[first:] {
		if !p.Absent {
			kept = append(kept, p)
		}
	}
	r.problems = kept
}

// checkNeeds reports each element STU3 requires of an object that is
// written without it.
func (r *renderer) checkNeeds(s *step, written uint64) {
	for i := range s.needs {
		if nd := &s.needs[i]; !nd.unchecked && nd.fields&written == 0 {
			r.problems = append(r.problems, Problem{Pos: s.node.Pos, Path: nd.path, Msg: "required element (min 1) is absent", Absent: true})
		}
	}
}

// node writes an element's value, a list or a single one; false when it
// is absent (nothing of it is left written).
func (r *renderer) node(s *step, vals []any) bool {
	if s.kind != stepList {
		return r.single(s, vals)
	}
	out := r.out
	at := out.mark()
	out.openArray()
	items := 0
	for _, it := range s.items {
		if it.rows >= 0 {
			for _, child := range r.row.Children[it.rows] {
				if r.single(it, child) {
					items++
				}
			}
			continue
		}
		if r.single(it, vals) {
			items++
		}
	}
	if items == 0 {
		out.cut(at)
		return false
	}
	out.closeArray()
	return true
}

// single writes one object or value; false when it is absent (nothing of
// it is left written).
func (r *renderer) single(s *step, vals []any) bool {
	if s.when != nil && !s.when.holds(vals, r.today) {
		return false
	}
	if s.expr != nil {
		if r.cov == nil {
			return r.leaf(s, vals)
		}
		before := len(r.problems)
		wrote := r.leaf(s, vals)
		r.cov.note(r, s.expr, vals, !wrote, r.problems[before:])
		return wrote
	}
	out := r.out
	at, reported := out.mark(), len(r.problems)
	out.openObject(len(s.fields))
	n, alive, ok := r.fields(s, vals, false)
	if !ok || n == 0 || !(alive || !s.dynamic) {
		out.cut(at)
		r.unreport(reported)
		return false
	}
	out.closeObject()
	return true
}

// leaf writes an expression's value; false when there is none.
func (r *renderer) leaf(s *step, vals []any) bool {
	e, out := s.expr, r.out
	if e.When != nil && !e.When.holds(vals, r.today) {
		return false
	}
	if s.kind == stepRef {
		if e.Ref == nil { // a reference chosen by the row: the first alternative that makes one
			// The first alternative whose condition holds and whose key
			// has no NULL is the one: a key that makes no id (empty, too
			// long) leaves the reference out rather than falling through
			// to another type.
			for _, a := range e.First {
				if (a.When == nil || a.When.holds(vals, r.today)) && a.Ref.keyPresent(vals) {
					return r.ref(s, a, vals)
				}
			}
			return false
		}
		return r.ref(s, e, vals)
	}
	v, ok := r.eval(e, vals)
	if !ok || v == nil {
		return false
	}
	switch s.kind {
	case stepCode, stepCoding, stepCodeableConcept:
		var t Coding
		if e.Concept != nil {
			var found bool
			if t, found = r.concept(e, v); !found {
				return false
			}
		} else {
			t.Code = strings.TrimSpace(toString(v)) // an STU3 code written as R4's CodeableConcept
		}
		if s.system != "" || s.codes != nil {
			if t, ok = s.recode(t); !ok {
				return false
			}
		}
		switch s.kind {
		case stepCoding:
			return r.coding(t)
		case stepCodeableConcept:
			at := out.mark()
			out.openObject(2)
			if s.ext != nil {
				ext := out.mark()
				out.name(memExtension)
				if !r.node(s.ext, vals) {
					out.cut(ext)
				}
			}
			out.name(memCoding)
			out.openArray()
			if !r.coding(t) {
				out.cut(at)
				return false
			}
			out.closeArray()
			out.closeObject()
			return true
		}
		return r.text(t.Code)
	}
	text, kind, ok := r.primitiveText(e.Pos, e.Path, s.node.Type, v)
	if !ok {
		return false
	}
	switch kind {
	case kindNumber:
		if text == "" {
			return false
		}
		out.number(text)
		return true
	case kindBool:
		out.boolean(text == "true")
		return true
	}
	if s.patientRef && r.patient == "" && strings.HasPrefix(text, "Patient/") {
		r.patient = strings.TrimPrefix(text, "Patient/")
	}
	if s.codes != nil {
		if to, ok := s.codes[text]; ok {
			text = to
		}
	}
	return r.text(text)
}

// recode gives a code of an R4 plan its R4 form: its R4 code (false when
// it has none) and the system of the CodeableConcept it is written as.
func (s *step) recode(t Coding) (Coding, bool) {
	if to, ok := s.codes[t.Code]; ok {
		if to == "" {
			return t, false
		}
		t.Code = to
	}
	if s.system != "" {
		t.System = s.system
	}
	return t, true
}

// text writes a text; false (nothing written) for an empty one.
func (r *renderer) text(s string) bool {
	if s == "" {
		return false
	}
	r.out.text(s)
	return true
}

// coding writes a concept map's target as a Coding, its empty fields left
// out; false when all are.
func (r *renderer) coding(t Coding) bool {
	out := r.out
	if r.p.moveSystems {
		t.System = R4System(t.System, t.Code)
	}
	at := out.mark()
	out.openObject(3)
	n := 0
	for i, v := range [3]string{t.System, t.Code, t.Display} {
		if v != "" {
			out.name(codingMembers[i])
			out.text(v)
			n++
		}
	}
	if n == 0 {
		out.cut(at)
		return false
	}
	out.closeObject()
	return true
}

func toStringOrEmpty(v any) string {
	if v == nil {
		return ""
	}
	return toString(v)
}

// ref writes a reference expression's reference; false when its key
// makes none.
func (r *renderer) ref(s *step, e *Expr, vals []any) bool {
	id, ok := r.refID(e, vals)
	if !ok {
		return false
	}
	if s.patientRef && r.patient == "" && e.Ref.Resource == "Patient" {
		r.patient = id
	}
	r.out.ref(e.Ref.typeIn(r.p.ver), id)
	return true
}

// refID is the id a reference's key columns make; false when a key value
// is NULL or makes no id.
func (r *renderer) refID(e *Expr, vals []any) (string, bool) {
	key := make([]any, len(e.Ref.cols))
	for i, c := range e.Ref.cols {
		if vals[c] == nil {
			return "", false
		}
		key[i] = vals[c]
	}
	id, err := EncodeID(key)
	if err == nil && e.Ref.target != nil && e.Ref.target.IDPrefix != "" {
		id = e.Ref.target.IDPrefix + id
		if len(id) > 64 {
			err = ErrIDTooLong
		}
	}
	if err != nil {
		r.problem(e.Pos, e.Path, err.Error(), false)
		return "", false
	}
	return id, true
}

// keyPresent tells whether none of the key's columns is NULL in the row.
func (r *RefExpr) keyPresent(vals []any) bool {
	for _, c := range r.cols {
		if vals[c] == nil {
			return false
		}
	}
	return true
}

// typeIn is the referenced type's name in a release: its mapping's.
func (r *RefExpr) typeIn(v Version) string {
	if r.target != nil {
		return r.target.ResourceIn(v)
	}
	return r.Resource
}

// concept translates a value through the expression's concept map; false
// for a blank value or one the map does not know (reported).
func (r *renderer) concept(e *Expr, v any) (Coding, bool) {
	code := strings.TrimSpace(toString(v))
	if code == "" {
		return Coding{}, false
	}
	t, found := e.Concept.Lookup(code)
	if !found {
		r.problem(e.Pos, e.Path, fmt.Sprintf("code %q has no entry in concept map %q", code, e.Concept.Name), e.Concept.Unmapped == "error")
	}
	return t, found
}

// eval computes an expression's raw value; ok is false after a problem.
func (r *renderer) eval(e *Expr, vals []any) (any, bool) {
	var v any
	switch {
	case e.HasLiteral:
		v = e.Literal
	case len(e.First) > 0:
		for _, sub := range e.First {
			if sub.When != nil && !sub.When.holds(vals, r.today) {
				continue // its condition does not hold: the next one is tried
			}
			sv, ok := r.eval(sub, vals)
			if ok && sv != nil && strings.TrimSpace(toString(sv)) != "" {
				v = sv
				break
			}
		}
	case len(e.Concat) > 0:
		var sb strings.Builder
		for _, part := range e.Concat {
			if pv, ok := r.eval(part, vals); ok && pv != nil {
				sb.WriteString(toString(pv))
			}
		}
		if sb.Len() > 0 {
			v = sb.String()
		}
	default:
		v = vals[e.col]
	}
	for _, t := range e.Transforms {
		out, err := t.Apply(v)
		if err != nil {
			r.problem(e.Pos, e.Path, fmt.Sprintf("transform %s: %v", t.Name, err), false)
			return nil, false
		}
		v = out
	}
	return v, true
}

// The JSON kinds of a primitive's text.
const (
	kindString = iota
	kindNumber
	kindBool
)

// primitiveText is a row value as a FHIR primitive of type typ: its text
// and JSON kind; ok is false (and a problem reported) for a value the type
// cannot hold.
func (r *renderer) primitiveText(pos Pos, path, typ string, v any) (string, int, bool) {
	bad := func(why string) (string, int, bool) {
		r.problem(pos, path, why, false)
		return "", 0, false
	}
	loc := r.m.set.Location
	switch typ {
	case "boolean":
		b, err := toBool(v)
		if err != nil {
			return bad(err.Error())
		}
		if b.(bool) {
			return "true", kindBool, true
		}
		return "false", kindBool, true
	case "integer", "positiveInt", "unsignedInt":
		var s string
		switch t := v.(type) {
		case int64:
			s = strconv.FormatInt(t, 10)
		case float64:
			if t != float64(int64(t)) {
				return bad(fmt.Sprintf("%v is not an integer", t))
			}
			s = strconv.FormatInt(int64(t), 10)
		default:
			s = strings.TrimSpace(toString(v))
		}
		if !isInteger(s) || (typ == "positiveInt" && (s == "0" || s[0] == '-')) || (typ == "unsignedInt" && s[0] == '-') {
			return bad(fmt.Sprintf("%q is not a valid %s", s, typ))
		}
		return s, kindNumber, true
	case "decimal":
		var s string
		if f, ok := v.(float64); ok {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		} else {
			s = strings.TrimSpace(toString(v))
		}
		if !isDecimal(s) {
			return bad(fmt.Sprintf("%q is not a decimal", s))
		}
		return s, kindNumber, true
	case "date", "dateTime", "instant":
		var s string
		if t, ok := v.(time.Time); ok {
			if typ == "date" {
				s = t.Format("2006-01-02")
			} else {
				s = formatDateTime(t, loc)
			}
		} else {
			s = strings.TrimSpace(toString(v))
		}
		if !validDateText(typ, s) {
			return bad(fmt.Sprintf("%q is not a valid FHIR %s (add a date or datetime transform with the column's format)", s, typ))
		}
		return s, kindString, true
	case "code", "id", "uri", "oid", "uuid":
		return strings.TrimSpace(toString(v)), kindString, true
	}
	return toString(v), kindString, true
}
