// Package adapters is the contract between the facade's query engine and a
// SQL database. An adapter owns one database driver and every dialect
// difference: placeholders, identifier quoting, row limits, case-insensitive
// matching, how a time is bound for comparison with a date column, and how
// driver values are normalised (DECIMAL as exact text, byte slices as
// strings, GUID byte order).
//
// To add an adapter: create a package under adapters/ that implements
// Adapter (and Loader if the demo EPR should load into it), make it pass the
// shared conformance suite in adapters/adaptertest against a real database,
// and add its Open function to the list in adapters/registry. The engine
// never switches on an adapter's name.
package adapters
