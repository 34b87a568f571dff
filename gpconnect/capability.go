package gpconnect

import (
	"slices"

	"github.com/ccfacade/ccfacade/fhir"
)

// Versions the structured CapabilityStatement names.
const (
	// SpecVersion is the GP Connect release implemented.
	SpecVersion = "1.6.2"
	// OperationDefinition is the get structured record operation, at the
	// version its parameters are read by.
	OperationDefinition = "https://fhir.nhs.uk/STU3/OperationDefinition/GPConnect-GetStructuredRecord-Operation-1/_history/1.16"
)

// capabilityTypes are the types whose profiles a record may hold, in the
// order the CapabilityStatement lists them.
var capabilityTypes = []string{"Bundle", "OperationOutcome", "Patient", "Organization", "Practitioner", "PractitionerRole", "Location", "HealthcareService", "List",
	"AllergyIntolerance", "Medication", "MedicationStatement", "MedicationRequest", "Condition", "Immunization", "Observation", "Encounter", "ReferralRequest", "ProcedureRequest",
	"DiagnosticReport", "Specimen", "DocumentReference"}

// Capability is the structured CapabilityStatement (SPEC §11): this
// provider's GP Connect release, the get structured record operation, and
// the profiles (with their versions) of the resources it may send.
func (s *Service) Capability() *fhir.Object {
	cs := fhir.NewObject(16)
	cs.Add("resourceType", fhir.String("CapabilityStatement"))
	cs.Add("version", fhir.String(SpecVersion))
	cs.Add("name", fhir.String("GP Connect Access Record: Structured"))
	cs.Add("status", fhir.String("active"))
	cs.Add("date", fhir.String(s.opts.Now().In(s.opts.Location).Format("2006-01-02")))
	cs.Add("publisher", fhir.String("ccfacade"))
	cs.Add("description", fhir.String("GP Connect Access Record: Structured 1.6 ($gpc.getstructuredrecord), served by ccfacade from the Care Connect mappings. Clinical areas answered: "+joinOr(s.Offered(), "none")+"; every other area asked for is answered with a NOT_IMPLEMENTED warning."))
	cs.Add("kind", fhir.String("capability"))
	version := s.opts.SoftwareVersion
	if version == "" {
		version = "dev"
	}
	cs.Add("software", fhir.NewObject(2).Add("name", fhir.String("ccfacade")).Add("version", fhir.String(version)))
	cs.Add("fhirVersion", fhir.String("3.0.1"))
	cs.Add("acceptUnknown", fhir.String("both"))
	cs.Add("format", fhir.Array{fhir.String("application/fhir+json"), fhir.String("application/fhir+xml")})
	var profiles fhir.Array
	for _, typ := range capabilityTypes {
		if !s.sends(typ) {
			continue
		}
		r := s.overlay.Resources[typ]
		if r == nil || r.Profile == "" {
			continue
		}
		ref := r.Profile
		if r.Version != "" {
			ref += "/_history/" + r.Version
		}
		profiles = append(profiles, fhir.NewObject(1).Add("reference", fhir.String(ref)))
	}
	cs.Add("profile", profiles)
	op := fhir.NewObject(2).Add("name", fhir.String("gpc.getstructuredrecord")).
		Add("definition", fhir.NewObject(1).Add("reference", fhir.String(OperationDefinition)))
	rest := fhir.NewObject(3).
		Add("mode", fhir.String("server")).
		Add("security", fhir.NewObject(1).Add("cors", fhir.Bool(true))).
		Add("operation", fhir.Array{op})
	cs.Add("rest", fhir.Array{rest})
	return cs
}

// sends tells whether a record may hold a resource of the type: the
// record's own, the administrative types mapped, and the types of the
// areas offered.
func (s *Service) sends(typ string) bool {
	switch typ {
	case "Bundle", "OperationOutcome", "Patient", "List":
		return true
	}
	if s.eng.Set().Lookup(typ) == nil {
		return false
	}
	if as, ok := areasOfType[typ]; ok {
		return slices.ContainsFunc(as, func(a Area) bool { return s.offered[a] })
	}
	return true
}

// areasOfType are the areas whose items are resources of a type (an
// Observation is uncategorised data, an investigation's result or an
// immunisation's status).
var areasOfType = map[string][]Area{
	"AllergyIntolerance":  {Allergies},
	"Medication":          {Medication},
	"MedicationStatement": {Medication},
	"MedicationRequest":   {Medication},
	"Condition":           {Problems},
	"Immunization":        {Immunisations},
	"Observation":         {Uncategorised, Investigations, Immunisations},
	"Encounter":           {Consultations},
	"ReferralRequest":     {Referrals},
	"ProcedureRequest":    {DiaryEntries},
	"DiagnosticReport":    {Investigations},
	"Specimen":            {Investigations},
	"DocumentReference":   {Documents},
}

func joinOr(list []string, none string) string {
	if len(list) == 0 {
		return none
	}
	out := list[0]
	for _, x := range list[1:] {
		out += ", " + x
	}
	return out
}
