// Package demo is the built-in demo EPR: a legacy-looking PAS/GP schema
// (schema.sql, indexes.sql) and a deterministic generator of synthetic UK
// patients, GPs and practices to fill it. The same seed and size always make
// the same data, so tests can compute expected answers from the generator
// itself. Rows stream to the database through an adapter's Loader, so
// 100,000 patients never sit in memory at once.
package demo
