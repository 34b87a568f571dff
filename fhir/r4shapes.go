package fhir

// The resources the facade writes itself whose shape differs in R4
// (4.0.1): the CapabilityStatement and the OperationDefinition of
// $everything. Bundles and OperationOutcomes are the same in both
// releases (R4 adds only Bundle.timestamp, which the facade leaves out).

// CapabilityStatementR4 builds an R4 CapabilityStatement (fhirVersion
// 4.0.1): no acceptUnknown, profiles and definitions as canonical URLs,
// instantiates, and R4's order of elements.
func CapabilityStatementR4(c Capability) *Object { return capabilityStatement(c, true) }

// EverythingOperationR4 is EverythingOperation in R4's shape: its base is
// a canonical URL, and R4 requires affectsState.
func EverythingOperationR4(base string) *Object {
	od := EverythingOperation(base)
	out := NewObject(len(od.Fields) + 1)
	for _, f := range od.Fields {
		switch f.Name {
		case "idempotent": // STU3's; R4 says affectsState (its opposite), after kind
			continue
		case "code":
			out.Add("affectsState", Bool(false))
		case "base":
			out.Add("base", String("http://hl7.org/fhir/OperationDefinition/Patient-everything"))
			continue
		}
		out.Add(f.Name, f.Value)
	}
	return out
}

// SpineErrorCodeSystemR4 is the Spine error code system of NHS R4 APIs.
const SpineErrorCodeSystemR4 = "https://fhir.nhs.uk/R4/CodeSystem/Spine-ErrorOrWarningCode"

// InR4 gives the OperationOutcomes of a response (the response itself, or
// the outcome entries of a Bundle) their R4 form: the Spine codes of R4's
// code system, and no claim of the STU3 Spine profile. Anything else is
// returned as it is.
func InR4(v Value) Value {
	o, ok := v.(*Object)
	if !ok {
		return v
	}
	switch o.GetString("resourceType") {
	case "OperationOutcome":
		return outcomeInR4(o)
	case "Bundle":
		entries, _ := o.Get("entry").(Array)
		changed := false
		for _, e := range entries {
			if eo, ok := e.(*Object); ok {
				if res, ok := eo.Get("resource").(*Object); ok && res.GetString("resourceType") == "OperationOutcome" {
					changed = true
				}
			}
		}
		if !changed {
			return o
		}
		out := NewObject(len(o.Fields))
		for _, f := range o.Fields {
			if f.Name != "entry" {
				out.Add(f.Name, f.Value)
				continue
			}
			ea := make(Array, len(entries))
			for i, e := range entries {
				ea[i] = e
				eo, ok := e.(*Object)
				if !ok {
					continue
				}
				if res, ok := eo.Get("resource").(*Object); ok && res.GetString("resourceType") == "OperationOutcome" {
					ne := NewObject(len(eo.Fields))
					for _, ef := range eo.Fields {
						if ef.Name == "resource" {
							ne.Add("resource", outcomeInR4(res))
						} else {
							ne.Add(ef.Name, ef.Value)
						}
					}
					ea[i] = ne
				}
			}
			out.Add("entry", ea)
		}
		return out
	}
	return o
}

// outcomeInR4 is an OperationOutcome in its R4 form.
func outcomeInR4(o *Object) *Object {
	out := NewObject(len(o.Fields))
	for _, f := range o.Fields {
		switch f.Name {
		case "meta": // the STU3 Spine profile
			continue
		case "issue":
			issues, _ := f.Value.(Array)
			na := make(Array, len(issues))
			for i, is := range issues {
				na[i] = is
				io, ok := is.(*Object)
				if !ok {
					continue
				}
				details, ok := io.Get("details").(*Object)
				if !ok {
					continue
				}
				ni := NewObject(len(io.Fields))
				for _, x := range io.Fields {
					if x.Name != "details" {
						ni.Add(x.Name, x.Value)
						continue
					}
					codings, _ := details.Get("coding").(Array)
					nc := make(Array, len(codings))
					for j, c := range codings {
						nc[j] = c
						if co, ok := c.(*Object); ok && co.GetString("system") == SpineErrorCodeSystem {
							cc := NewObject(len(co.Fields))
							for _, y := range co.Fields {
								if y.Name == "system" {
									y.Value = String(SpineErrorCodeSystemR4)
								}
								cc.Add(y.Name, y.Value)
							}
							nc[j] = cc
						}
					}
					ni.Add("details", NewObject(1).Add("coding", nc))
				}
				na[i] = ni
			}
			out.Add("issue", na)
			continue
		}
		out.Add(f.Name, f.Value)
	}
	return out
}
