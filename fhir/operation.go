package fhir

// EverythingOperationID is the id of the OperationDefinition of the
// facade's Patient $everything: the standard operation, also invocable on
// the type with an identifier (an NHS number) instead of an id.
const EverythingOperationID = "Patient-everything-by-identifier"

// EverythingOperation describes Patient $everything as served: start, end,
// _since, _type, _count, and identifier at type level.
func EverythingOperation(base string) *Object {
	param := func(name, use string, min int, max, typ, doc string) *Object {
		p := NewObject(6)
		p.Add("name", String(name))
		p.Add("use", String(use))
		p.Add("min", Number(itoa(min)))
		p.Add("max", String(max))
		p.AddString("documentation", doc)
		if typ == "token" {
			p.Add("type", String("string"))
			p.Add("searchType", String("token"))
		} else {
			p.AddString("type", typ)
		}
		return p
	}
	od := NewObject(16)
	od.Add("resourceType", String("OperationDefinition"))
	od.Add("id", String(EverythingOperationID))
	od.Add("url", String(base+"/OperationDefinition/"+EverythingOperationID))
	od.Add("name", String("Patient everything, by id or by NHS number"))
	od.Add("status", String("active"))
	od.Add("kind", String("operation"))
	od.Add("description", String("The standard Patient $everything (GET [base]/Patient/{id}/$everything), also invocable on the type with the patient's identifier, usually an NHS number: GET [base]/Patient/$everything?identifier=https://fhir.nhs.uk/Id/nhs-number|{NHS number}. It returns a searchset Bundle, paged: the Patient, the resources it references (GP, practice), then every resource of the patient's compartment with the resources they reference. An unknown identifier is a 404 OperationOutcome (PATIENT_NOT_FOUND); an identifier held by more than one patient, a list of alternatives, or an identifier given twice is a 400 (MULTIPLE_MATCHES or INVALID_PARAMETER)."))
	od.Add("idempotent", Bool(true))
	od.Add("code", String("everything"))
	od.Add("base", NewObject(1).Add("reference", String("http://hl7.org/fhir/OperationDefinition/Patient-everything")))
	od.Add("resource", Array{String("Patient")})
	od.Add("system", Bool(false))
	od.Add("type", Bool(true))
	od.Add("instance", Bool(true))
	od.Add("parameter", Array{
		param("identifier", "in", 0, "1", "token", "At type level: the patient's identifier, system|value (e.g. https://fhir.nhs.uk/Id/nhs-number|9434765919). Required when no id is given."),
		param("start", "in", 0, "1", "date", "Care dated on or after this date (by each resource type's date parameter)."),
		param("end", "in", 0, "1", "date", "Care dated on or before this date."),
		param("_since", "in", 0, "1", "instant", "Resources updated since this instant."),
		param("_type", "in", 0, "*", "code", "Resource types to include (comma-separated)."),
		param("_count", "in", 0, "1", "integer", "Page size."),
		param("return", "out", 1, "1", "Bundle", "The patient's record, a searchset Bundle with next links."),
	})
	return od
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

// VersionsOperationURL is the definition of $versions (R4
// versioning.html#mt-version): the FHIR versions a server supports at
// its base, and its default.
const VersionsOperationURL = "http://hl7.org/fhir/OperationDefinition/CapabilityStatement-versions"

// Versions is the answer of GET [base]/$versions: a Parameters with a
// version (major.minor, as the fhirVersion MIME parameter gives it) for
// each of versions, and default. The shape is the same in STU3 and R4.
func Versions(versions []string, def string) *Object {
	ps := make(Array, 0, len(versions)+1)
	for _, v := range versions {
		ps = append(ps, NewObject(2).Add("name", String("version")).Add("valueCode", String(v)))
	}
	ps = append(ps, NewObject(2).Add("name", String("default")).Add("valueCode", String(def)))
	return NewObject(2).Add("resourceType", String("Parameters")).Add("parameter", ps)
}
