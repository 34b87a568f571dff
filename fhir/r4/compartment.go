package r4

// InPatientCompartment reports whether resources of a type can belong to a
// patient's compartment (and so hold that patient's data): the types R4's
// CompartmentDefinition/patient lists with a search parameter.
func InPatientCompartment(resourceType string) bool { return patientCompartment[resourceType] != nil }

// PatientCompartmentParams lists the search parameters that make a
// resource of the type one of a patient's (Observation: subject,
// performer), in the order of the definition; nil for a type outside the
// compartment. A patient is in its own compartment by its id too: Patient
// lists only link.
func PatientCompartmentParams(resourceType string) []string {
	return append([]string(nil), patientCompartment[resourceType]...)
}
