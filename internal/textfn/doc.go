// Package textfn holds the text functions of the mapping language's
// portable transforms (title case, the text before or after a separator,
// a regular-expression replace and match) in one place, so that rendering
// a value and the embedded database searching it compute the same thing.
// The other adapters spell them in their own SQL and are held to these
// by their tests.
package textfn
