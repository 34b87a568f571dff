package mapping

import "slices"

// Walk visits a mapping's element tree depth first, in document order:
// each node with the rows it is read from (the Rows of the nearest node
// at or above it that has its own; nil for the mapping's main rows). The
// catalog checks every column a mapping reads by one walk, and tools that
// look over a mapping use the same.
func (m *Mapping) Walk(visit func(n *Node, scope *Rows)) {
	if m.Root != nil {
		walkNode(m.Root, nil, visit)
	}
}

func walkNode(n *Node, scope *Rows, visit func(*Node, *Rows)) {
	if n.Rows != nil {
		scope = n.Rows
	}
	visit(n, scope)
	for _, f := range n.Fields {
		walkNode(f, scope, visit)
	}
	for _, it := range n.Items {
		walkNode(it, scope, visit)
	}
}

// Walk visits the expression and each alternative of its first, depth
// first (the parts of a concat are the expression's own).
func (e *Expr) Walk(visit func(*Expr)) {
	visit(e)
	for _, f := range e.First {
		f.Walk(visit)
	}
}

// Walk visits the condition and every condition combined in it (any,
// all), the combined ones first.
func (cd *Cond) Walk(visit func(*Cond)) {
	for _, sub := range cd.Any {
		sub.Walk(visit)
	}
	for _, sub := range cd.All {
		sub.Walk(visit)
	}
	visit(cd)
}

// Refs are a reference expression's references: itself, or the
// alternatives of its first (a reference chosen by the row: the first
// whose condition holds and whose key is not NULL); nil when it makes no
// reference.
func (e *Expr) Refs() []*Expr {
	if e.Ref != nil {
		return []*Expr{e}
	}
	if len(e.First) == 0 || slices.ContainsFunc(e.First, func(a *Expr) bool { return a.Ref == nil }) {
		return nil // not a reference, or a mistake the loader reports
	}
	return e.First
}
