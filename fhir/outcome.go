package fhir

// Spine error code system used in OperationOutcome.issue.details.
const SpineErrorCodeSystem = "https://fhir.nhs.uk/STU3/CodeSystem/Spine-ErrorOrWarningCode-1"

// SpineOperationOutcomeProfile is the profile Spine consumers expect on an
// OperationOutcome.
const SpineOperationOutcomeProfile = "https://fhir.nhs.uk/STU3/StructureDefinition/Spine-OperationOutcome-1"

// Issue is one OperationOutcome.issue.
type Issue struct {
	Severity    string // fatal | error | warning | information
	Code        string // FHIR issue-type, e.g. invalid, not-found, not-supported
	SpineCode   string // optional Spine code, e.g. INVALID_PARAMETER
	Diagnostics string
	Expression  []string // optional FHIRPath/parameter names the issue is about
}

// spineDisplays are the displays of the Spine codes the facade uses.
var spineDisplays = map[string]string{
	"INVALID_PARAMETER":         "Invalid parameter",
	"INVALID_REQUEST_MESSAGE":   "Invalid request message",
	"BAD_REQUEST":               "Bad request",
	"NO_RECORD_FOUND":           "No record found",
	"PATIENT_NOT_FOUND":         "Patient not found",
	"MULTIPLE_MATCHES":          "Multiple matches",
	"INVALID_IDENTIFIER_SYSTEM": "Invalid identifier system",
	"INVALID_IDENTIFIER_VALUE":  "Invalid identifier value",
	"INVALID_NHS_NUMBER":        "Invalid NHS number",
	"INVALID_RESOURCE":          "Invalid validation of resource",
	"NOT_IMPLEMENTED":           "Not implemented",
	"ACCESS DENIED":             "Access denied",
	"INTERNAL_SERVER_ERROR":     "Unexpected internal server error",
}

// OperationOutcome builds an OperationOutcome resource from issues.
func OperationOutcome(id string, issues ...Issue) *Object {
	o := NewObject(4)
	o.Add("resourceType", String("OperationOutcome"))
	o.AddString("id", id)
	o.Add("meta", NewObject(1).Add("profile", Array{String(SpineOperationOutcomeProfile)}))
	arr := make(Array, 0, len(issues))
	for _, is := range issues {
		io := NewObject(5)
		io.Add("severity", String(is.Severity))
		io.Add("code", String(is.Code))
		if is.SpineCode != "" {
			coding := NewObject(3).
				Add("system", String(SpineErrorCodeSystem)).
				Add("code", String(is.SpineCode))
			coding.AddString("display", spineDisplays[is.SpineCode])
			io.Add("details", NewObject(1).Add("coding", Array{coding}))
		}
		io.AddString("diagnostics", is.Diagnostics)
		if len(is.Expression) > 0 {
			ex := make(Array, len(is.Expression))
			for i, e := range is.Expression {
				ex[i] = String(e)
			}
			io.Add("expression", ex)
		}
		arr = append(arr, io)
	}
	o.Add("issue", arr)
	return o
}
