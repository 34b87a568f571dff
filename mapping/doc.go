// Package mapping is the mapping language: it loads YAML mapping files (every
// node keeps its file:line:col), checks them against the FHIR STU3 element
// table and each profile against a profile registry (collecting every
// problem, sorted), and compiles each into a Mapping
// that the engine uses to build SQL and to render rows into FHIR resources.
//
// One mapping file describes one resource type: where its rows come from and
// how its id is made from the key, how each element is built from columns,
// literals, named transforms and concept maps, which repeating elements come
// from child tables (fetched in one batched query per page), and which search
// parameters bind to which columns. The reference is docs/mapping.md.
package mapping
