package mapping

import (
	"github.com/ccfacade/ccfacade/fhir"
)

// maxSizeHint bounds the sizes the usual size is averaged over: a huge
// resource counts as this large.
const maxSizeHint = 16 << 10

// RenderJSON renders a row's resource straight into compact JSON: the
// same bytes as fhir.AppendJSON of what Render builds (both execute the
// mapping's plan), without building the value tree. Objects and lists are
// written as they are walked, and an element that turns out empty is cut
// off the buffer again.
func (m *Mapping) RenderJSON(row *Row, cov *Coverage) (*fhir.Rendered, []Problem) {
	return m.RenderJSONIn(STU3, row, cov)
}

// RenderJSONIn renders a row as RenderJSON does, in a release (see
// RenderIn).
func (m *Mapping) RenderJSONIn(v Version, row *Row, cov *Coverage) (*fhir.Rendered, []Problem) {
	p, problems := m.planIn(v)
	if p == nil {
		return nil, problems
	}
	j := &jsonRender{renderer: renderer{m: m, p: p, row: row, cov: cov}}
	avg := m.jsonSize.Load()
	j.buf = make([]byte, 0, avg+avg/4+64)
	j.out = &j.jsonWriter
	j.resource()
	out := &fhir.Rendered{JSON: j.buf, Type: m.Resource, ID: j.id, LastUpdated: j.lastUpdated, Patient: j.patient}
	// The next resource's buffer starts a quarter over the mapping's
	// usual size (a moving average), so that most are written without
	// growing it and a rare large one leaves no lasting mark.
	n, avg := min(int64(len(j.buf)), maxSizeHint), m.jsonSize.Load()
	m.jsonSize.Store(avg + (n-avg)/8)
	return out, j.problems
}

// jsonRender is a renderer with its JSON writer, made in one allocation.
type jsonRender struct {
	renderer
	jsonWriter
}

// jsonWriter writes compact JSON into buf. A value or a name is preceded
// by a comma unless it opens its container or follows its name.
type jsonWriter struct {
	buf []byte
}

func (w *jsonWriter) mark() mark { return mark{n: len(w.buf)} }
func (w *jsonWriter) cut(m mark) { w.buf = w.buf[:m.n] }

// sep writes the comma before a name or a value, where one is due.
func (w *jsonWriter) sep() {
	if n := len(w.buf); n > 0 {
		if c := w.buf[n-1]; c != '{' && c != '[' && c != ':' {
			w.buf = append(w.buf, ',')
		}
	}
}

func (w *jsonWriter) name(m member) {
	w.sep()
	w.buf = append(w.buf, m.json...)
}

func (w *jsonWriter) openObject(int) {
	w.sep()
	w.buf = append(w.buf, '{')
}

func (w *jsonWriter) closeObject() { w.buf = append(w.buf, '}') }

func (w *jsonWriter) openArray() {
	w.sep()
	w.buf = append(w.buf, '[')
}

func (w *jsonWriter) closeArray() { w.buf = append(w.buf, ']') }

func (w *jsonWriter) text(s string) {
	w.sep()
	w.buf = fhir.AppendString(w.buf, s)
}

func (w *jsonWriter) number(s string) {
	w.sep()
	w.buf = append(w.buf, s...)
}

func (w *jsonWriter) boolean(b bool) {
	w.sep()
	if b {
		w.buf = append(w.buf, "true"...)
	} else {
		w.buf = append(w.buf, "false"...)
	}
}

// ref writes "Type/id" without making the string.
func (w *jsonWriter) ref(resource, id string) {
	w.sep()
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, resource...)
	w.buf = append(w.buf, '/')
	w.buf = appendJSONText(w.buf, id)
	w.buf = append(w.buf, '"')
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
