package mapping

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/fhir"
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
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s: %s", p.Pos, p.Path, p.Msg) }

// ID returns the resource id of a row.
func (m *Mapping) ID(vals []any) (string, error) {
	return EncodeID(vals[:len(m.From.Key)])
}

// Render builds the resource for a row, in FHIR element order, with empty
// elements pruned. Values that cannot be rendered are reported as problems.
func (m *Mapping) Render(row *Row) (*fhir.Object, []Problem) { return m.RenderWith(row, nil) }

// RenderWith renders as Render does, counting into cov (when not nil)
// which column values reached the resource.
func (m *Mapping) RenderWith(row *Row, cov *Coverage) (*fhir.Object, []Problem) {
	r := &renderer{m: m, row: row, cov: cov}
	id, err := m.ID(row.Vals)
	if err != nil {
		r.problem(m.From.KeyPos, m.Resource+".id", err.Error(), true)
	}
	res := fhir.NewObject(len(m.Root.Fields) + 3)
	res.Add("resourceType", fhir.String(m.Resource))
	res.AddString("id", id)
	meta := fhir.NewObject(2)
	if m.From.Updated != "" {
		if v := row.Vals[len(m.From.Key)]; v != nil {
			meta.Add("lastUpdated", r.primitive(Pos{File: m.File}, m.Resource+".meta.lastUpdated", "instant", v))
		}
	}
	if m.Profile != "" {
		meta.Add("profile", fhir.Array{fhir.String(m.Profile)})
	}
	res.Add("meta", meta)
	for _, f := range m.Root.Fields {
		res.Add(f.Name, r.node(f, row.Vals))
	}
	fhir.Prune(res)
	return res, r.problems
}

type renderer struct {
	m        *Mapping
	day      time.Time // today, once asked for
	cov      *Coverage
	row      *Row
	problems []Problem
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

func (r *renderer) node(n *Node, vals []any) fhir.Value {
	if n.List {
		var out fhir.Array
		for _, it := range n.Items {
			if it.Rows != nil {
				for _, child := range r.row.Children[it.Rows.Index] {
					if v := r.single(it, child); v != nil {
						out = append(out, v)
					}
				}
				continue
			}
			if v := r.single(it, vals); v != nil {
				out = append(out, v)
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	return r.single(n, vals)
}

func (r *renderer) single(n *Node, vals []any) fhir.Value {
	if n.When != nil && !n.When.holds(vals, r.today) {
		return nil
	}
	if n.Expr != nil {
		return r.expr(n, vals)
	}
	o := fhir.NewObject(len(n.Fields))
	alive := !n.Dynamic
	for _, f := range n.Fields {
		v := fhir.Prune(r.node(f, vals))
		if v == nil {
			if f.Expr != nil && f.Expr.Required {
				return nil
			}
			continue
		}
		if f.Dynamic {
			alive = true
		}
		o.Add(f.Name, v)
	}
	if !alive {
		return nil
	}
	return o
}

func toStringOrEmpty(v any) string {
	if v == nil {
		return ""
	}
	return toString(v)
}

// expr renders an expression node as a FHIR value of the node's type.
func (r *renderer) expr(n *Node, vals []any) fhir.Value {
	if r.cov == nil {
		return r.exprValue(n, vals)
	}
	before := len(r.problems)
	out := r.exprValue(n, vals)
	r.cov.note(r, n.Expr, vals, fhir.Prune(out) == nil, r.problems[before:])
	return out
}

func (r *renderer) exprValue(n *Node, vals []any) fhir.Value {
	e := n.Expr
	if e.When != nil && !e.When.holds(vals, r.today) {
		return nil
	}
	if e.Ref != nil {
		id, ok := r.refID(e, vals)
		if !ok {
			return nil
		}
		return fhir.String(e.Ref.Resource + "/" + id)
	}
	v, ok := r.eval(e, vals)
	if !ok || v == nil {
		return nil
	}
	if e.Concept != nil {
		t, found := r.concept(e, v)
		if !found {
			return nil
		}
		switch n.Type {
		case "Coding":
			return coding(t)
		case "CodeableConcept":
			return fhir.NewObject(1).Add("coding", fhir.Array{coding(t)})
		}
		return fhir.String(t.Code)
	}
	return r.primitive(e.Pos, e.Path, n.Type, v)
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
	if err != nil {
		r.problem(e.Pos, e.Path, err.Error(), false)
		return "", false
	}
	return id, true
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

func coding(t Coding) *fhir.Object {
	return fhir.NewObject(3).AddString("system", t.System).AddString("code", t.Code).AddString("display", t.Display)
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

// primitive converts a row value into a FHIR primitive of type typ.
func (r *renderer) primitive(pos Pos, path, typ string, v any) fhir.Value {
	s, kind, ok := r.primitiveText(pos, path, typ, v)
	if !ok {
		return nil
	}
	switch kind {
	case kindBool:
		return fhir.Bool(s == "true")
	case kindNumber:
		return fhir.Number(s)
	}
	return fhir.String(s)
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
