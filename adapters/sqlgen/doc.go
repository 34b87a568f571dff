// Package sqlgen writes the SQL text of the engine's statements for one
// dialect: the SELECT of a page, its keyset and search predicates, the
// EXISTS of a child table, the IN-list of a batch of keys, the COUNT of a
// total. The engine decides what to ask; sqlgen is the only place outside
// the adapters themselves where SQL is spelled, and the dialect decides
// everything that differs between databases (placeholders, quoting, row
// limits, case-insensitive and exact matching, casts, binding).
//
// Conditions are a typed tree, Pred (pred.go): the engine builds the
// nodes of a search, an access restriction, a keyset or a batch of keys
// (and, or, not, comparisons, IN-lists, exact and case-insensitive
// matches, a child table's EXISTS, a chain's IN (SELECT …), the keyset's
// Beyond, SQL written whole as Raw), and Builder.Spell writes them as
// SQL. Values are bound, and their placeholders handed out, when a leaf
// is built; spelling binds nothing. The dialect's own predicates (ILike,
// Exact, ANY of an array) are asked for when a node is spelled.
// Expressions inside a condition (a column, a transform, a mapping's sql:)
// stay SQL text. True and False are the constants the engine simplifies
// by (p == sqlgen.False).
package sqlgen
