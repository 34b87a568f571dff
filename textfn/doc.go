// Package textfn holds the text functions of the mapping language's
// portable transforms (title case, the text before or after a separator,
// a regular-expression replace and match) in one place, so that rendering
// a value and the embedded database searching it compute the same thing.
// The other adapters spell them in their own SQL and are held to these
// by their tests. Fold, the case and accent folding of string search, is
// here too. The package is a leaf: it imports nothing of the project's, so
// the mapping language, the engine and every adapter may use it.
package textfn
