// Package sqlgen writes the SQL text of the engine's statements for one
// dialect: the SELECT of a page, its keyset and search predicates, the
// EXISTS of a child table, the IN-list of a batch of keys, the COUNT of a
// total. The engine decides what to ask; sqlgen is the only place outside
// the adapters themselves where SQL is spelled, and the dialect decides
// everything that differs between databases (placeholders, quoting, row
// limits, case-insensitive and exact matching, casts, binding).
//
// Predicates are strings of SQL; True and False are the constants the
// combinators simplify.
package sqlgen
