// Package mapping is the mapping language: it loads YAML mapping files (every
// node keeps its file:line:col), checks them against the FHIR STU3 element
// table and each profile against a profile registry (collecting every
// problem, sorted), and compiles each into a Mapping
// that the engine uses to build SQL and to render rows into FHIR resources,
// as STU3 (Care Connect) and, from the same mapping, as R4 (UK Core).
//
// One mapping file describes one resource type: where its rows come from and
// how its id is made from the key, how each element is built from columns,
// literals, named transforms and concept maps, which repeating elements come
// from child tables (fetched in one batched query per page), and which search
// parameters bind to which columns. The reference is docs/mapping.md.
//
// Where each part lives:
//   - load.go reads the files into the element tree (Node, Expr, Cond) and
//     the search parameters (search.go; derive.go follows a parameter
//     declared without columns to the places the element is rendered).
//   - compile.go turns each mapping's element tree, once it has loaded,
//     into its plan for rendering, and states every rendering rule (what
//     makes an element absent, what keeps an object, how a reference or a
//     concept map's target is written), each with the function that
//     applies it.
//   - render.go executes the plan over a row: the one walk every output
//     shares, calling a writer. rendertree.go is the writer of the value
//     tree (Render: XML, _summary, _elements), renderjson.go the writer of
//     compact JSON (RenderJSON: searches and reads answered in JSON). A new
//     output is a new writer; the rules stay in render.go.
//   - transform.go, lexical.go and cond.go compute values, check their
//     lexical forms and evaluate conditions; coverage.go counts what
//     rendering loses, for lint.
//   - walk.go visits the element tree (the catalog checks every column a
//     mapping reads with it).
//   - r4rules.go holds the STU3 → R4 rules as data (profiles, code
//     systems, extensions, elements, search parameter names); r4.go
//     derives each mapping's R4 form by them when it loads (with the
//     mapping's r4 section), checks it against the R4 table and compiles
//     its plan, which render.go executes like the STU3 one; version.go
//     names the releases.
package mapping
