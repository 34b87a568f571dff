package fhir

// Capability describes what a server implements; CapabilityStatement turns
// it into the resource. The facade fills it from its loaded mappings, so the
// statement lists exactly what works.
type Capability struct {
	Name, Title, Publisher string
	Date                   string // FHIR dateTime
	SoftwareName           string
	SoftwareVersion        string
	ImplementationURL      string
	Description            string
	Formats                []string
	SecurityDescription    string
	Resources              []CapabilityResource
	Operations             []CapabilityOperation // rest.operation (STU3 lists operations for the whole server)
	// Instantiates are the canonical URLs of the requirement statements
	// the server meets (R4 only: CapabilityStatementR4).
	Instantiates []string
}

// CapabilityResource is one rest.resource entry.
type CapabilityResource struct {
	Type    string
	Profile string
	// SupportedProfiles are profiles some resources claim besides
	// (R4's supportedProfile; STU3 has no such element).
	SupportedProfiles []string
	Interactions      []string // read, search-type
	SearchParams      []CapabilitySearchParam
	Includes          []string // _include values, e.g. Patient:general-practitioner
	RevIncludes       []string // _revinclude values, e.g. Observation:patient
}

// CapabilityOperation is one rest.operation entry.
type CapabilityOperation struct {
	Name       string // e.g. everything
	Definition string // the OperationDefinition's reference
}

// CapabilitySearchParam is one rest.resource.searchParam entry.
type CapabilitySearchParam struct {
	Name, Type, Documentation string
	Definition                string
}

// CapabilityStatement builds an STU3 CapabilityStatement (fhirVersion 3.0.1).
func CapabilityStatement(c Capability) *Object { return capabilityStatement(c, false) }

// capabilityStatement builds the CapabilityStatement of STU3 or, r4, of
// R4 (see CapabilityStatementR4): the elements both have in the order
// both give them, and each release's own.
func capabilityStatement(c Capability, r4 bool) *Object {
	cs := NewObject(16)
	cs.Add("resourceType", String("CapabilityStatement"))
	cs.AddString("name", c.Name)
	cs.AddString("title", c.Title)
	cs.Add("status", String("active"))
	cs.AddString("date", c.Date)
	cs.AddString("publisher", c.Publisher)
	cs.AddString("description", c.Description)
	cs.Add("kind", String("instance"))
	if r4 {
		cs.Add("instantiates", stringArray(c.Instantiates))
	}
	if c.SoftwareName != "" {
		cs.Add("software", NewObject(2).AddString("name", c.SoftwareName).AddString("version", c.SoftwareVersion))
	}
	if c.ImplementationURL != "" {
		cs.Add("implementation", NewObject(2).
			AddString("description", c.Title).
			AddString("url", c.ImplementationURL))
	}
	if r4 {
		cs.Add("fhirVersion", String("4.0.1"))
		cs.Add("format", stringArray(c.Formats))
	} else {
		cs.Add("fhirVersion", String("3.0.1"))
		cs.Add("acceptUnknown", String("no"))
		fa := make(Array, 0, len(c.Formats))
		for _, f := range c.Formats {
			fa = append(fa, String(f))
		}
		cs.Add("format", fa)
	}

	rest := NewObject(4)
	rest.Add("mode", String("server"))
	if c.SecurityDescription != "" {
		rest.Add("security", NewObject(1).AddString("description", c.SecurityDescription))
	}
	ra := make(Array, 0, len(c.Resources))
	for _, r := range c.Resources {
		if r4 {
			ra = append(ra, capabilityResource(r, 12, func(ro *Object) {
				ro.AddString("profile", r.Profile)
				ro.Add("supportedProfile", stringArray(r.SupportedProfiles))
			}))
			continue
		}
		ra = append(ra, capabilityResource(r, 8, func(ro *Object) {
			if r.Profile != "" {
				ro.Add("profile", NewObject(1).Add("reference", String(r.Profile)))
			}
		}))
	}
	rest.Add("resource", ra)
	if r4 {
		addOperations(rest, c.Operations, func(def string) Value { return String(def) })
	} else {
		addOperations(rest, c.Operations, func(def string) Value { return NewObject(1).Add("reference", String(def)) })
	}
	cs.Add("rest", Array{rest})
	return cs
}

// capabilityResource is a rest.resource of a CapabilityStatement: its
// type, the profiles as the release states them (profiles adds them), and
// what both releases say alike.
func capabilityResource(r CapabilityResource, size int, profiles func(ro *Object)) *Object {
	ro := NewObject(size)
	ro.Add("type", String(r.Type))
	profiles(ro)
	ia := make(Array, 0, len(r.Interactions))
	for _, i := range r.Interactions {
		ia = append(ia, NewObject(1).Add("code", String(i)))
	}
	ro.Add("interaction", ia)
	ro.Add("versioning", String("no-version"))
	ro.Add("readHistory", Bool(false))
	ro.Add("updateCreate", Bool(false))
	ro.Add("conditionalRead", String("full-support")) // If-None-Match and If-Modified-Since
	ro.Add("searchInclude", stringArray(r.Includes))
	ro.Add("searchRevInclude", stringArray(r.RevIncludes))
	sa := make(Array, 0, len(r.SearchParams))
	for _, p := range r.SearchParams {
		po := NewObject(4)
		po.Add("name", String(p.Name))
		po.AddString("definition", p.Definition)
		po.Add("type", String(p.Type))
		po.AddString("documentation", p.Documentation)
		sa = append(sa, po)
	}
	ro.Add("searchParam", sa)
	return ro
}

// addOperations adds rest.operation, each operation's definition as the
// release states it (def), when there are any.
func addOperations(rest *Object, ops []CapabilityOperation, def func(string) Value) {
	if len(ops) == 0 {
		return
	}
	oa := make(Array, 0, len(ops))
	for _, op := range ops {
		oa = append(oa, NewObject(2).Add("name", String(op.Name)).Add("definition", def(op.Definition)))
	}
	rest.Add("operation", oa)
}

func stringArray(list []string) Value {
	if len(list) == 0 {
		return nil
	}
	a := make(Array, len(list))
	for i, s := range list {
		a[i] = String(s)
	}
	return a
}
