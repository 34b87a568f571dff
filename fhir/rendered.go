package fhir

// Rendered is a resource already encoded as compact JSON (what AppendJSON
// would write for its value tree), with the facts the server reads of it:
// its type, id, meta.lastUpdated and the patient it is about. Searches
// answered in JSON carry their resources this way, built without a tree.
// Only JSON writes it; a caller that needs the tree (XML, _elements) asks
// the engine for one instead.
type Rendered struct {
	JSON        []byte
	Type, ID    string
	LastUpdated string
	// Patient is the id of the patient the resource is about: a Patient's
	// own id, or the Patient its subject or patient refers to.
	Patient string
}

func (*Rendered) isValue() {}
