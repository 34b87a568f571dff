package sqlgen

import (
	"strings"

	"github.com/ccfacade/ccfacade/adapters"
)

// Pred is a predicate as a tree of nodes, which a Builder spells as SQL
// (Spell). The engine builds it from a search and the mapping; the nodes
// are the kinds of condition it asks for:
//
//	True, False            the constants (1 = 1, 1 = 0)
//	And, Group, AndAll     all of several: in parentheses (And leaves one
//	                       alone), or bare for a statement's conditions
//	Or, AnyOf              any of several, in parentheses (Or leaves one
//	                       alone), many in a balanced tree
//	Not, NotGroup          the negation, of a grouped predicate or in
//	                       parentheses of its own
//	Otherwise              true where a predicate is false or NULL
//	Cmp                    x op y, between two expressions
//	IsNull, NotNull        x IS [NOT] NULL
//	NotBlank               text that holds a value that is not empty
//	Builder.In             x among bound values (an array where bound as one)
//	Builder.Exact          text equal to a bound value, case included
//	Builder.CodeIn         a code among bound values
//	Builder.ILike          the dialect's case-insensitive LIKE
//	Builder.Matches        the dialect's regular-expression match
//	Builder.Exists         a linked row of a child table (correlated EXISTS)
//	InSelect               x among the values a subquery selects
//	Beyond                 the keyset condition of a page
//	Raw, Cond              SQL written whole: a dialect's own predicate, a
//	                       mapping author's condition
//
// A leaf holds the placeholders its values were bound at when it was
// built, so the arguments keep the order the engine built the tree in;
// spelling binds nothing. Expressions inside a predicate (a column, a
// mapping's sql:, a transform) are SQL text.
type Pred interface {
	spell(b *Builder) string
}

// Spell writes a predicate as SQL in the builder's dialect.
func (b *Builder) Spell(p Pred) string { return p.spell(b) }

// SpellAll writes each predicate as SQL, to be ANDed by a statement.
func (b *Builder) SpellAll(ps []Pred) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.spell(b)
	}
	return out
}

// constant is True or False.
type constant bool

// The constant predicates; a predicate is one of them when it equals it
// (p == False).
const (
	True  constant = true
	False constant = false
)

const falseSQL = "1 = 0"

func (c constant) spell(*Builder) string {
	if c {
		return "1 = 1"
	}
	return falseSQL
}

// raw is SQL kept whole.
type raw string

func (r raw) spell(*Builder) string { return string(r) }

// Raw is a predicate already written as SQL, kept as it is.
func Raw(sql string) Pred { return raw(sql) }

// Cond is a condition written by a mapping's author (a table's where),
// kept whole in parentheses.
func Cond(sql string) Pred { return raw(Expr(sql)) }

// cmpPred is x op y.
type cmpPred struct{ x, op, y string }

func (c cmpPred) spell(*Builder) string { return c.x + " " + c.op + " " + c.y }

// Cmp is x op y, op one of = <> < <= > >=.
func Cmp(x, op, y string) Pred { return cmpPred{x, op, y} }

// nullPred is x IS NULL, or IS NOT NULL.
type nullPred struct {
	x   string
	not bool
}

func (n nullPred) spell(*Builder) string {
	if n.not {
		return n.x + " IS NOT NULL"
	}
	return n.x + " IS NULL"
}

// IsNull is x IS NULL.
func IsNull(x string) Pred { return nullPred{x: x} }

// NotNull is x IS NOT NULL.
func NotNull(x string) Pred { return nullPred{x: x, not: true} }

// notBlank is text that holds a value that is not empty.
type notBlank struct{ x string }

func (n notBlank) spell(*Builder) string { return "(" + n.x + " IS NOT NULL AND " + n.x + " <> '')" }

// NotBlank is true where the text x holds a value that is not empty.
func NotBlank(x string) Pred { return notBlank{x} }

// allOf is predicates joined with AND, in parentheses unless bare.
type allOf struct {
	parts []Pred
	bare  bool
}

func (a allOf) spell(b *Builder) string {
	s := strings.Join(b.SpellAll(a.parts), " AND ")
	if a.bare {
		return s
	}
	return "(" + s + ")"
}

// And joins predicates, in parentheses; one stays as it is.
func And(parts ...Pred) Pred {
	if len(parts) == 1 {
		return parts[0]
	}
	return Group(parts...)
}

// Group joins predicates with AND in parentheses, even one.
func Group(parts ...Pred) Pred { return allOf{parts: parts} }

// AndAll joins a statement's conditions, without parentheses.
func AndAll(parts []Pred) Pred { return allOf{parts: parts, bare: true} }

// anyOf is predicates joined with OR in parentheses.
type anyOf struct{ parts []Pred }

// spell groups many predicates in a balanced tree of parentheses: a
// parser that nests "a OR b OR c …" one level per OR (SQLite stops at a
// depth of 1,000) then nests only as deep as the logarithm of their
// number.
func (a anyOf) spell(b *Builder) string { return orTree(b.SpellAll(a.parts)) }

func orTree(parts []string) string {
	if len(parts) <= orRun {
		return "(" + strings.Join(parts, " OR ") + ")"
	}
	groups := make([]string, 0, (len(parts)+orRun-1)/orRun)
	for i := 0; i < len(parts); i += orRun {
		groups = append(groups, orTree(parts[i:min(i+orRun, len(parts))]))
	}
	return orTree(groups)
}

// orRun is how many predicates one level of AnyOf joins.
const orRun = 32

// Or joins predicates in parentheses; one stays as it is.
func Or(parts ...Pred) Pred {
	if len(parts) == 1 {
		return parts[0]
	}
	return AnyOf(parts...)
}

// AnyOf is Or in parentheses even for one.
func AnyOf(parts ...Pred) Pred { return anyOf{parts} }

// notPred negates a predicate.
type notPred struct {
	p     Pred
	group bool
}

func (n notPred) spell(b *Builder) string {
	if n.group {
		return "NOT (" + n.p.spell(b) + ")"
	}
	return "NOT " + n.p.spell(b)
}

// Not negates a predicate; a NULL stays NULL (no match either way).
func Not(p Pred) Pred { return notPred{p: p} }

// NotGroup negates a predicate in parentheses.
func NotGroup(p Pred) Pred { return notPred{p: p, group: true} }

// otherwise is true where p is false or unknown.
type otherwise struct{ p Pred }

func (o otherwise) spell(b *Builder) string {
	return "CASE WHEN " + o.p.spell(b) + " THEN 0 ELSE 1 END = 1"
}

// Otherwise is true where p is false or unknown (NULL): a missing value
// matches :not.
func Otherwise(p Pred) Pred { return otherwise{p} }

// inList is x IN (…) over placeholders, or over one array placeholder.
type inList struct {
	x     string
	phs   []string
	array bool
}

func (in inList) spell(b *Builder) string {
	if in.array {
		return b.d.(adapters.ArrayBinder).AnyOf(in.x, in.phs[0])
	}
	return in.x + " IN (" + strings.Join(in.phs, ", ") + ")"
}

// In is x IN (…) over values it binds now; over none, False.
func (b *Builder) In(x string, vals []any) Pred {
	if len(vals) == 0 {
		return False // IN () is not SQL everywhere (PostgreSQL, SQL Server)
	}
	if ab, ok := b.d.(adapters.ArrayBinder); ok {
		if arr, ok := ab.BindArray(vals); ok {
			b.args = append(b.args, arr)
			return inList{x: x, phs: []string{b.d.Placeholder(len(b.args))}, array: true}
		}
	}
	phs := make([]string, len(vals))
	for i, v := range vals {
		phs[i] = b.Arg(v)
	}
	return inList{x: x, phs: phs}
}

// exact is text equal to a placeholder's, case included.
type exact struct{ x, ph string }

func (e exact) spell(b *Builder) string {
	if ex, ok := b.d.(adapters.Exacter); ok {
		return ex.Exact(e.x, e.ph)
	}
	return e.x + " = " + e.ph
}

// Exact is true where the text x equals the text at ph, case included.
func (b *Builder) Exact(x, ph string) Pred { return exact{x, ph} }

// codeIn is x equal to one of the values at phs.
type codeIn struct {
	x       string
	phs     []string
	numeric bool
}

func (c codeIn) spell(b *Builder) string {
	ex, isExact := b.d.(adapters.Exacter)
	isExact = isExact && !c.numeric
	if len(c.phs) == 1 {
		if isExact {
			return ex.Exact(c.x, c.phs[0])
		}
		return c.x + " = " + c.phs[0]
	}
	if isExact {
		return ex.ExactIn(c.x, c.phs)
	}
	return c.x + " IN (" + strings.Join(c.phs, ", ") + ")"
}

// CodeIn is true where x equals one of the values bound at phs, case
// included for text (a code is case-sensitive).
func (b *Builder) CodeIn(x string, phs []string, numeric bool) Pred {
	return codeIn{x, phs, numeric}
}

// iLike is the dialect's case-insensitive LIKE.
type iLike struct{ x, ph string }

func (l iLike) spell(b *Builder) string { return b.d.ILike(l.x, l.ph) }

// ILike is the dialect's case-insensitive LIKE of x and the pattern at ph.
func (b *Builder) ILike(x, ph string) Pred { return iLike{x, ph} }

// exists is a correlated EXISTS over a child table.
type exists struct {
	table, alias string
	link         []Pred
	where        string
	p            Pred
}

func (e exists) spell(b *Builder) string {
	conds := b.SpellAll(e.link)
	if e.where != "" {
		conds = append(conds, Expr(e.where))
	}
	return "EXISTS (SELECT 1 FROM " + b.Table(e.table, e.alias) + " WHERE " + strings.Join(conds, " AND ") + " AND " + e.p.spell(b) + ")"
}

// Exists is true where the table (aliased alias) has a row meeting the
// link conditions, the table's fixed where (an author's SQL, "" for none)
// and p.
func (b *Builder) Exists(table, alias string, link []Pred, where string, p Pred) Pred {
	return exists{table, alias, link, where, p}
}

// inSelect is x among a subquery's values.
type inSelect struct {
	x, col, from string
	where        Pred
}

func (s inSelect) spell(b *Builder) string {
	return s.x + " IN (SELECT " + s.col + " FROM " + s.from + " WHERE " + s.where.spell(b) + ")"
}

// InSelect is true where x is among the values of col in the rows of from
// that meet where.
func InSelect(x, col, from string, where Pred) Pred { return inSelect{x, col, from, where} }

// beyond is the keyset condition over ordered levels.
type beyond struct{ eq, gt []Pred }

func (k beyond) spell(b *Builder) string {
	eq, gt := b.SpellAll(k.eq), b.SpellAll(k.gt)
	var ors []string
	for i := range gt {
		ands := append(append([]string{}, eq[:i]...), gt[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return "(" + strings.Join(ors, " OR ") + ")"
}

// Beyond is the keyset condition over ordered levels: rows after a
// position, given each level's equality with the position (eq) and its
// strict comparison (gt). Written without row values so every dialect
// accepts it.
func Beyond(eq, gt []Pred) Pred { return beyond{eq, gt} }
