package gpconnect

import (
	"fmt"
	"net/http"

	"github.com/ccfacade/ccfacade/fhir"
)

// OperationOutcomeProfile is the profile of every OperationOutcome GP
// Connect sends: the errors and the warnings in a record.
const OperationOutcomeProfile = "https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-OperationOutcome-1"

// SpineCodeSystem is the system of the Spine error and warning codes.
const SpineCodeSystem = fhir.SpineErrorCodeSystem

// spineDisplays are the Spine error and warning codes with their
// displays, as CodeSystem Spine-ErrorOrWarningCode-1 (1.6.0) gives them.
var spineDisplays = map[string]string{
	"NO_RECORD_FOUND":              "No record found",
	"PATIENT_NOT_FOUND":            "Patient not found",
	"INVALID_NHS_NUMBER":           "Invalid NHS number",
	"INVALID_CODE_SYSTEM":          "Invalid code system",
	"INVALID_CODE_VALUE":           "Invalid code value",
	"INVALID_VALUE":                "An input field has an invalid value for its type",
	"INVALID_IDENTIFIER_SYSTEM":    "Invalid identifier system",
	"INVALID_IDENTIFIER_VALUE":     "Invalid identifier value",
	"CONFLICTING_VALUES":           "Conflicting values have been specified in different fields",
	"INVALID_ELEMENT":              "Invalid element",
	"AUTHOR_CREDENTIALS_ERROR":     "Author credentials error",
	"INVALID_PARAMETER":            "Invalid parameter",
	"REQUEST_UNMATCHED":            "Request does not match authorisation token",
	"MESSAGE_NOT_WELL_FORMED":      "Message not well formed",
	"NO_PATIENT_CONSENT":           "Patient has not provided consent to share data",
	"NO_ORGANISATIONAL_CONSENT":    "Organisation has not provided consent to share data",
	"BAD_REQUEST":                  "Bad request",
	"INVALID_RESOURCE":             "Invalid validation of resource",
	"ORGANISATION_NOT_FOUND":       "Organisation not found",
	"PRACTITIONER_NOT_FOUND":       "Practitioner not found",
	"PATIENT_SENSITIVE":            "Patient sensitive",
	"NO_RELATIONSHIP":              "No legitimate relationship exists with this patient",
	"FHIR_CONSTRAINT_VIOLATION":    "FHIR constraint violated",
	"FLAG_ALREADY_SET":             "Flag value was already set",
	"INVALID_REQUEST_STATE":        "The request exists but is not in an appropriate state for the call to succeed",
	"INVALID_REQUEST_TYPE":         "The type of request is not supported by the API call",
	"ACCESS DENIED":                "Access has been denied to process this request",
	"ASID_CHECK_FAILED":            "The sender or receiver's ASID is not authorised for this interaction",
	"MISSING_OR_INVALID_HEADER":    "There is a required header missing or invalid",
	"ACCESS_DENIED_SSL":            "SSL Protocol or Cipher requirements not met",
	"MSG_RESOURCE_ID_FAIL":         "Client is not permitted to assign an id",
	"DUPLICATE_REJECTED":           "Create would lead to creation of a duplicate resource",
	"RESOURCE_CREATED":             "New resource created",
	"RESOURCE_DELETED":             "Resource removed",
	"RESOURCE_UPDATED":             "Resource has been successfully updated",
	"INVALID_REQUEST_MESSAGE":      "Invalid request message",
	"INTERNAL_SERVER_ERROR":        "Unexpected internal server error",
	"INVALID_PATIENT_DEMOGRAPHICS": "Invalid patient demographics",
	"NOT_IMPLEMENTED":              "Not implemented",
	"REFERENCE_NOT_FOUND":          "Reference not found",
	"DEPRECATED":                   "Event message type has been deprecated",
	"NO_LONGER_SUPPORTED":          "Event message type is no longer supported",
	"WITHDRAWN":                    "Event message type has been withdrawn",
	"UNSUPPORTED_MEDIA_TYPE":       "Unsupported media type",
}

// Issue is one issue of a GP Connect OperationOutcome: its severity, FHIR
// issue type, Spine code, the text of its details (warnings have one) and
// its diagnostics.
type Issue struct {
	Severity, Code, Spine, Text, Diagnostics string
}

// Error is a request GP Connect refuses: its HTTP status and the one issue
// that says why.
type Error struct {
	Status int
	Issue
	// Log is what the operators' log says beside the diagnostics (why a
	// patient is not served, say); it is never sent.
	Log string
}

func (e *Error) Error() string { return e.Spine + ": " + e.Diagnostics }

// Outcome is the error's OperationOutcome.
func (e *Error) Outcome() *fhir.Object { return Outcome(e.Issue) }

func refuse(status int, code, spine, format string, args ...any) *Error {
	return &Error{Status: status, Issue: Issue{Severity: "error", Code: code, Spine: spine, Diagnostics: fmt.Sprintf(format, args...)}}
}

// The refusals of this interaction, by Spine code (SPEC §7).
func invalidParameter(format string, args ...any) *Error {
	return refuse(http.StatusUnprocessableEntity, "invalid", "INVALID_PARAMETER", format, args...)
}

func invalidResource(format string, args ...any) *Error {
	return refuse(http.StatusUnprocessableEntity, "invalid", "INVALID_RESOURCE", format, args...)
}

// BadRequest is a request the Spine Security Proxy rules refuse (a
// header, the token, the HTTP method).
func BadRequest(format string, args ...any) *Error {
	return refuse(http.StatusBadRequest, "invalid", "BAD_REQUEST", format, args...)
}

// NoRecord is a path under the GP Connect base that names nothing.
func NoRecord(format string, args ...any) *Error {
	return refuse(http.StatusNotFound, "not-found", "NO_RECORD_FOUND", format, args...)
}

func patientNotFound(format string, args ...any) *Error {
	return refuse(http.StatusNotFound, "not-found", "PATIENT_NOT_FOUND", format, args...)
}

// Outcome builds a GP Connect OperationOutcome (GPConnect-OperationOutcome-1):
// each issue with exactly one Spine coding.
func Outcome(issues ...Issue) *fhir.Object {
	o := fhir.NewObject(3)
	o.Add("resourceType", fhir.String("OperationOutcome"))
	o.Add("meta", fhir.NewObject(1).Add("profile", fhir.Array{fhir.String(OperationOutcomeProfile)}))
	arr := make(fhir.Array, 0, len(issues))
	for _, is := range issues {
		io := fhir.NewObject(4)
		io.Add("severity", fhir.String(is.Severity))
		io.Add("code", fhir.String(is.Code))
		coding := fhir.NewObject(3).
			Add("system", fhir.String(SpineCodeSystem)).
			Add("code", fhir.String(is.Spine)).
			Add("display", fhir.String(spineDisplays[is.Spine]))
		details := fhir.NewObject(2).Add("coding", fhir.Array{coding})
		details.AddString("text", is.Text)
		io.Add("details", details)
		io.AddString("diagnostics", is.Diagnostics)
		arr = append(arr, io)
	}
	o.Add("issue", arr)
	return o
}

// unrecognised is the warning of a parameter, or a part, that this
// provider does not recognise (SPEC §4).
func unrecognised(name string) Issue {
	return Issue{Severity: "warning", Code: "not-supported", Spine: "NOT_IMPLEMENTED",
		Text: name + " is an unrecognised parameter", Diagnostics: name}
}

// disabled is the warning of a clinical area requested but not offered
// here (SPEC §5).
func disabled(param string) Issue {
	return Issue{Severity: "warning", Code: "not-supported", Spine: "NOT_IMPLEMENTED",
		Text: param + " has been disabled", Diagnostics: param}
}

// KnownSpineCode tells whether a code is in the Spine code system.
func KnownSpineCode(code string) bool {
	_, ok := spineDisplays[code]
	return ok
}
