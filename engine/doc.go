// Package engine answers FHIR reads and searches from a database. For each
// request it compiles the mapping's declarations into SQL for the adapter's
// dialect (every request value a bound parameter), runs one query for the
// page of resources and one batched query per child collection, renders the
// rows through the mapping, and builds the Bundle with keyset paging links
// whose cursors are sealed (encrypted and authenticated) so they are opaque,
// tamper-proof and valid on any instance that shares the paging secret.
package engine
