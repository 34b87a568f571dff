// Package adaptertest is the conformance suite every database adapter must
// pass against a real database: placeholders (1,500 in one statement),
// identifier quoting and case folding (plain, mixed-case, reserved, dotted
// and hostile names), row limits, case-insensitive and case-sensitive
// matching with escaped wildcards, time binding, value normalisation,
// column introspection (ErrNoTable for what is missing), bound values as
// data never SQL, the Loader, and read-only pools. An adapter's own test
// calls Run with a function that opens the adapter on an empty database;
// the suite makes its own tables there.
package adaptertest
