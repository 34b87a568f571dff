package mapping

import (
	"strings"

	"github.com/ccfacade/ccfacade/fhir"
)

// maxSizeHint bounds the sizes the usual size is averaged over: a huge
// resource counts as this large.
const maxSizeHint = 16 << 10

// RenderJSON renders a row's resource straight into compact JSON: the
// same bytes as fhir.AppendJSON of what Render builds, without building
// the value tree. Objects and lists are written as they are walked, and an
// element that turns out empty (FHIR forbids empty elements) is cut off
// the buffer again. The values of leaves are computed as Render computes
// them.
func (m *Mapping) RenderJSON(row *Row, cov *Coverage) (*fhir.Rendered, []Problem) {
	r := &renderer{m: m, row: row, cov: cov}
	avg := m.jsonSize.Load()
	w := &jsonWriter{r: r, buf: make([]byte, 0, avg+avg/4+64)}
	id, err := m.ID(row.Vals)
	if err != nil {
		r.problem(m.From.KeyPos, m.Resource+".id", err.Error(), true)
	}
	out := &fhir.Rendered{Type: m.Resource, ID: id}
	if m.Resource == "Patient" {
		out.Patient = id
	}
	b := append(w.buf, `{"resourceType":`...)
	b = fhir.AppendString(b, m.Resource)
	if id != "" {
		b = append(b, `,"id":`...)
		b = fhir.AppendString(b, id)
	}
	// meta: lastUpdated and the profile, as Render makes it.
	metaAt := len(b)
	b = append(b, `,"meta":{`...)
	metaFields := 0
	if m.From.Updated != "" {
		if v := row.Vals[len(m.From.Key)]; v != nil {
			if lu, _, ok := r.primitiveText(Pos{File: m.File}, m.Resource+".meta.lastUpdated", "instant", v); ok && lu != "" {
				b = append(b, `"lastUpdated":`...)
				b = fhir.AppendString(b, lu)
				metaFields++
				out.LastUpdated = lu
			}
		}
	}
	if m.Profile != "" {
		if metaFields > 0 {
			b = append(b, ',')
		}
		b = append(b, `"profile":[`...)
		b = fhir.AppendString(b, m.Profile)
		b = append(b, ']')
		metaFields++
	}
	if metaFields == 0 {
		b = b[:metaAt]
	} else {
		b = append(b, '}')
	}
	w.buf = b
	for _, f := range m.Root.Fields {
		at := len(w.buf)
		w.buf = append(w.buf, ',')
		w.name(f.Name)
		if !w.node(f, row.Vals) {
			w.buf = w.buf[:at]
		}
	}
	w.buf = append(w.buf, '}')
	out.JSON = w.buf
	// The next resource's buffer starts a quarter over the mapping's
	// usual size (a moving average), so that most are written without
	// growing it and a rare large one leaves no lasting mark.
	n, avg := min(int64(len(w.buf)), maxSizeHint), m.jsonSize.Load()
	m.jsonSize.Store(avg + (n-avg)/8)
	if out.Patient == "" {
		out.Patient = w.patient
	}
	return out, r.problems
}

// jsonWriter writes a resource's elements as JSON.
type jsonWriter struct {
	r   *renderer
	buf []byte
	// patient is the id of the Patient the resource's subject or patient
	// refers to, seen as it is written.
	patient string
}

func (w *jsonWriter) name(n string) {
	w.buf = fhir.AppendString(w.buf, n)
	w.buf = append(w.buf, ':')
}

// node writes an element's value; false when it is empty (nothing is
// left written then).
func (w *jsonWriter) node(n *Node, vals []any) bool {
	if !n.List {
		return w.single(n, vals)
	}
	at := len(w.buf)
	w.buf = append(w.buf, '[')
	items := 0
	item := func(it *Node, v []any) {
		mark := len(w.buf)
		if items > 0 {
			w.buf = append(w.buf, ',')
		}
		if w.single(it, v) {
			items++
		} else {
			w.buf = w.buf[:mark]
		}
	}
	for _, it := range n.Items {
		if it.Rows != nil {
			for _, child := range w.r.row.Children[it.Rows.Index] {
				item(it, child)
			}
			continue
		}
		item(it, vals)
	}
	if items == 0 {
		w.buf = w.buf[:at]
		return false
	}
	w.buf = append(w.buf, ']')
	return true
}

// single writes one object or value, as renderer.single builds it.
func (w *jsonWriter) single(n *Node, vals []any) bool {
	r := w.r
	if n.When != nil && !n.When.holds(vals, r.today) {
		return false
	}
	if n.Expr != nil {
		if r.cov == nil {
			return w.leaf(n, vals)
		}
		before := len(r.problems)
		wrote := w.leaf(n, vals)
		r.cov.note(r, n.Expr, vals, !wrote, r.problems[before:])
		return wrote
	}
	at := len(w.buf)
	w.buf = append(w.buf, '{')
	alive := !n.Dynamic
	fields := 0
	for _, f := range n.Fields {
		mark := len(w.buf)
		if fields > 0 {
			w.buf = append(w.buf, ',')
		}
		w.name(f.Name)
		if !w.node(f, vals) {
			w.buf = w.buf[:mark]
			if f.Expr != nil && f.Expr.Required {
				w.buf = w.buf[:at]
				return false
			}
			continue
		}
		fields++
		if f.Dynamic {
			alive = true
		}
	}
	if fields == 0 || !alive {
		w.buf = w.buf[:at]
		return false
	}
	w.buf = append(w.buf, '}')
	return true
}

// isPatientRef tells whether a path is the reference of a resource's
// subject or patient (Observation.subject.reference).
func isPatientRef(path string) bool {
	i := strings.IndexByte(path, '.')
	if i < 0 {
		return false
	}
	rest := path[i+1:]
	return rest == "subject.reference" || rest == "patient.reference"
}

// leaf writes an expression's value, as renderer.exprValue computes it,
// without boxing it in a value tree; false when there is none (or it is
// empty).
func (w *jsonWriter) leaf(n *Node, vals []any) bool {
	r, e := w.r, n.Expr
	if e.When != nil && !e.When.holds(vals, r.today) {
		return false
	}
	if e.Ref != nil {
		id, ok := r.refID(e, vals)
		if !ok {
			return false
		}
		if w.patient == "" && e.Ref.Resource == "Patient" && isPatientRef(n.Path) {
			w.patient = id
		}
		w.buf = append(w.buf, '"')
		w.buf = append(w.buf, e.Ref.Resource...)
		w.buf = append(w.buf, '/')
		w.buf = appendJSONText(w.buf, id)
		w.buf = append(w.buf, '"')
		return true
	}
	v, ok := r.eval(e, vals)
	if !ok || v == nil {
		return false
	}
	if e.Concept != nil {
		t, found := r.concept(e, v)
		if !found {
			return false
		}
		switch n.Type {
		case "Coding":
			return w.coding(t)
		case "CodeableConcept":
			at := len(w.buf)
			w.buf = append(w.buf, `{"coding":[`...)
			if !w.coding(t) {
				w.buf = w.buf[:at]
				return false
			}
			w.buf = append(w.buf, "]}"...)
			return true
		}
		return w.text(t.Code)
	}
	s, kind, ok := r.primitiveText(e.Pos, e.Path, n.Type, v)
	if !ok {
		return false
	}
	switch kind {
	case kindNumber:
		if s == "" {
			return false
		}
		w.buf = append(w.buf, s...)
		return true
	case kindBool:
		w.buf = append(w.buf, s...)
		return true
	}
	if w.patient == "" && strings.HasPrefix(s, "Patient/") && isPatientRef(n.Path) {
		w.patient = strings.TrimPrefix(s, "Patient/")
	}
	return w.text(s)
}

// text writes a JSON string; false (nothing written) for an empty one.
func (w *jsonWriter) text(s string) bool {
	if s == "" {
		return false
	}
	w.buf = fhir.AppendString(w.buf, s)
	return true
}

// coding writes a concept map's target as a Coding, its empty fields left
// out; false when all are.
func (w *jsonWriter) coding(t Coding) bool {
	at := len(w.buf)
	w.buf = append(w.buf, '{')
	fields := 0
	for _, f := range [3][2]string{{"system", t.System}, {"code", t.Code}, {"display", t.Display}} {
		if f[1] == "" {
			continue
		}
		if fields > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = append(w.buf, '"')
		w.buf = append(w.buf, f[0]...)
		w.buf = append(w.buf, `":`...)
		w.text(f[1])
		fields++
	}
	if fields == 0 {
		w.buf = w.buf[:at]
		return false
	}
	w.buf = append(w.buf, '}')
	return true
}

// appendJSONText appends s escaped as the inside of a JSON string, as
// fhir.AppendJSON writes it.
func appendJSONText(dst []byte, s string) []byte {
	// AppendString writes it between quotes: its inside is what lies
	// between the first and the last byte.
	start := len(dst)
	dst = fhir.AppendString(dst, s)
	copy(dst[start:], dst[start+1:len(dst)-1])
	return dst[:len(dst)-2]
}
