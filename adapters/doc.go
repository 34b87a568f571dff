// Package adapters is the contract between the facade's query engine and a
// SQL database. An adapter owns one database driver and every dialect
// difference: placeholders, identifier quoting, row limits, case-insensitive
// matching, how a time is bound for comparison with a date column, and how
// driver values are normalised (DECIMAL as exact text, byte slices as
// strings, GUID byte order).
//
// Names in mappings are written as a person would type them in SQL, and
// Quote keeps them that way: a plain name ([A-Za-z_][A-Za-z0-9_]*, not one
// of the database's reserved words) is left unquoted, so the database
// applies its usual case folding. The demo DDL creates PATIENT unquoted;
// PostgreSQL stores it as patient, and a mapping's PATIENT (or Patient)
// finds it. Any other name (spaces, other characters, a reserved word) is
// quoted, with embedded quote characters doubled, and then matches exactly
// as written: a mapping names a column Given Name or order exactly as the
// catalogue shows it. A dotted name (schema.table) is handled part by
// part. Columns and Loader.Load resolve names by the same rule. One
// consequence: in PostgreSQL a table or column created quoted in mixed case
// ("PatientId") cannot be named, since PatientId is plain and folds to
// patientid.
//
// To add an adapter: create a package under adapters/ that implements
// Adapter (and Loader if the demo EPR should load into it), make it pass
// the shared conformance suite in adapters/adaptertest against a real
// database, and add its Open function to the list in adapters/registry.
// An adapter over a database/sql driver can embed Conn for DB, Close and
// Normalize, report Open's failures with OpenError and load in InTx. The
// engine never switches on an adapter's name.
package adapters
