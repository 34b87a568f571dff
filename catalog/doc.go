// Package catalog is what the live database says of the columns a mapping
// set names. Load checks every table, view, query and column the mappings
// use against the database (existence, read permission, and whether each
// column's kind can give the element or parameter it feeds) and keeps each
// column's type and kind, as the adapter classifies it. The engine is built
// with a catalog and asks it, never the mapping model, how to bind, cast
// and compare a column.
//
// Dependencies point one way: catalog reads mapping and adapters; mapping
// knows nothing of databases.
package catalog
