// Package engine answers FHIR reads and searches from a database. For each
// request it compiles the mapping's declarations into SQL for the adapter's
// dialect (every request value a bound parameter), runs one query for the
// page of resources and one batched query per child collection, renders the
// rows through the mapping, and builds the Bundle with keyset paging links
// whose cursors are sealed (encrypted and authenticated) so they are opaque,
// tamper-proof and valid on any instance that shares the paging secret.
//
// A search goes parse → plan → run, each step in a file of its own:
//
//   - search.go: the entry point (Search) and the Bundle it answers with;
//     request.go parses the query once into a searchReq (its controls and
//     typed values), with the bounds on what one search may ask.
//   - params.go: the search parameter types (one table row a type) and the
//     typed values they parse; date.go the date grains; sort.go _sort.
//   - plan.go: the parsed request compiled against the mapping and the
//     catalog into a plan (predicates, order, keyset); params.go and
//     date.go compile each value against one source. Predicates are
//     sqlgen.Pred trees, never SQL text: the engine says what to match
//     and sqlgen spells it for the dialect. query.go is the statement of
//     a plan, spelling its predicates; access.go the rows a token may see,
//     as predicates added to every query.
//   - fetch.go: fetching a page of rows and their child rows (inlined as
//     JSON where the adapter can, else batched by parent keys); rows.go
//     running a statement and scanning its rows; stmtcache.go the
//     prepared statements.
//   - include.go: _include and _revinclude; everything.go Patient
//     $everything; compartment.go which mappings' resources belong to a
//     compartment, and through which parameters, by the
//     CompartmentDefinitions of the engine's release (compartment
//     searches, $everything and a patient's token all use it); page.go
//     and cursor.go the paging links and cursors.
//   - read.go: reads by id and the reporting of rows that cannot be
//     served or are served without an element STU3 requires (logged,
//     and told to Options.OnAbsent); errors.go the error kinds the HTTP layer maps to statuses.
//   - engine.go: the Engine, its Options and New, and In: the view of
//     an engine that answers in another FHIR release (R4), sharing
//     everything but the plans it renders through, the parameter
//     names it takes and the release's tables (elements for _elements
//     and _summary, compartments).
package engine
