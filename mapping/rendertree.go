package mapping

import "github.com/ccfacade/ccfacade/fhir"

// Render builds the resource for a row as a value tree, in FHIR element
// order, with empty elements left out. Values that cannot be rendered are
// reported as problems.
func (m *Mapping) Render(row *Row) (*fhir.Object, []Problem) { return m.RenderWith(row, nil) }

// RenderWith renders as Render does, counting into cov (when not nil)
// which column values reached the resource.
func (m *Mapping) RenderWith(row *Row, cov *Coverage) (*fhir.Object, []Problem) {
	return m.RenderIn(STU3, row, cov)
}

// RenderIn renders a row as RenderWith does, in a release: STU3, or R4
// through the mapping's R4 plan (a mapping not served as R4 gives a fatal
// problem and no resource).
func (m *Mapping) RenderIn(v Version, row *Row, cov *Coverage) (*fhir.Object, []Problem) {
	p, problems := m.planIn(v)
	if p == nil {
		return nil, problems
	}
	t := &treeRender{renderer: renderer{m: m, p: p, row: row, cov: cov}}
	t.stack = t.frames[:0]
	t.out = &t.treeWriter
	t.resource()
	return t.root, t.problems
}

// treeRender is a renderer with its tree writer, made in one allocation.
type treeRender struct {
	renderer
	treeWriter
}

// treeWriter builds the value tree: a stack of the objects and lists
// being filled. An object or list opened inside an object takes its field
// there at once (its value is set when it is closed); one opened inside a
// list is appended to it when it is closed.
type treeWriter struct {
	stack  []frame
	frames [8]frame // the stack's first frames, without an allocation
	// next is the name of the next value put into an object.
	next string
	root *fhir.Object
}

// frame is an open object or list.
type frame struct {
	obj *fhir.Object
	arr fhir.Array
}

func (w *treeWriter) mark() mark {
	if len(w.stack) == 0 {
		return mark{}
	}
	top := &w.stack[len(w.stack)-1]
	if top.obj != nil {
		return mark{len(w.stack), len(top.obj.Fields)}
	}
	return mark{len(w.stack), len(top.arr)}
}

func (w *treeWriter) cut(m mark) {
	clear(w.stack[m.depth:])
	w.stack = w.stack[:m.depth]
	if m.depth == 0 {
		return
	}
	top := &w.stack[len(w.stack)-1]
	if top.obj != nil {
		clear(top.obj.Fields[m.n:])
		top.obj.Fields = top.obj.Fields[:m.n]
	} else {
		clear(top.arr[m.n:])
		top.arr = top.arr[:m.n]
	}
}

func (w *treeWriter) name(m member) { w.next = m.name }

// put adds a value to the innermost open object (under the name given
// last) or list.
func (w *treeWriter) put(v fhir.Value) {
	top := &w.stack[len(w.stack)-1]
	if top.obj != nil {
		top.obj.Fields = append(top.obj.Fields, fhir.Field{Name: w.next, Value: v})
	} else {
		top.arr = append(top.arr, v)
	}
}

// open pushes a container, its field taken in the enclosing object.
func (w *treeWriter) open(f frame) {
	if n := len(w.stack); n > 0 && w.stack[n-1].obj != nil {
		w.put(nil)
	}
	w.stack = append(w.stack, f)
}

// close pops the innermost container and gives its value to its field,
// or appends it to the enclosing list.
func (w *treeWriter) close(v fhir.Value) {
	w.stack[len(w.stack)-1] = frame{}
	w.stack = w.stack[:len(w.stack)-1]
	if len(w.stack) == 0 {
		return
	}
	top := &w.stack[len(w.stack)-1]
	if top.obj != nil {
		top.obj.Fields[len(top.obj.Fields)-1].Value = v
	} else {
		top.arr = append(top.arr, v)
	}
}

func (w *treeWriter) openObject(size int) { w.open(frame{obj: fhir.NewObject(size)}) }

func (w *treeWriter) closeObject() {
	obj := w.stack[len(w.stack)-1].obj
	if len(w.stack) == 1 {
		w.root = obj
	}
	w.close(obj)
}

func (w *treeWriter) openArray() { w.open(frame{}) }

func (w *treeWriter) closeArray() { w.close(w.stack[len(w.stack)-1].arr) }

func (w *treeWriter) text(s string)   { w.put(fhir.String(s)) }
func (w *treeWriter) number(s string) { w.put(fhir.Number(s)) }
func (w *treeWriter) boolean(b bool)  { w.put(fhir.Bool(b)) }

func (w *treeWriter) ref(resource, id string) { w.put(fhir.String(resource + "/" + id)) }
