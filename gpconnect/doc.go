// Package gpconnect serves GP Connect Access Record: Structured 1.6 (the
// national STU3 "get record", POST [base]/Patient/$gpc.getstructuredrecord)
// and its structured CapabilityStatement from the same engine and Care
// Connect mappings as the rest of the facade. It parses and validates the
// operation's Parameters (every parameter and part of the 1.6
// OperationDefinition, with GP Connect's status codes and Spine error
// codes), finds the patient by NHS number through the Patient mapping,
// builds the clinical areas it offers (their Lists, coded as GP Connect
// says, empty ones with their reason), answers every other area with a
// NOT_IMPLEMENTED warning, and assembles the collection Bundle.
//
// A GP Connect resource is its Care Connect rendering with an overlay
// (overlay.go): data that says only what the GP Connect profile changes
// (the profile, renamed extension and code system URIs, fixed values,
// elements derived from the rendering such as a stable business
// identifier, meta.versionId). The overlay shipped here (profiles.yaml)
// holds what is the same for every mapping set; a mapping set adds what
// its own data needs (mappingsets/gpconnect/demo.yaml for the demo).
//
// It knows nothing of HTTP: the server package routes the requests, checks
// the Spine Security Proxy headers and token (through auth) and writes the
// answers.
package gpconnect
