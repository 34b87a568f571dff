package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/gin-gonic/gin"
)

// UK Core (FHIR R4) is served beside Care Connect (STU3), each release at
// a base of its own: /fhir for STU3, Options.R4Prefix (/R4 by default in
// the configuration) for R4. A consumer chooses the release by the base
// it calls; a fhirVersion parameter on Accept (or _format) that names the
// other release is answered 406 with the base that serves it (R4
// http.html#version-parameter), and every R4 response says
// fhirVersion=4.0 in its Content-Type.
//
// The R4 base is the same handler over the engine's R4 view: the same
// routes, and the same middleware (admission, authentication and
// scopes, Spine Security Proxy checks, audit, metrics, tracing, CORS)
// with the same options, so that access control applies exactly as on
// /fhir. What differs is the engine's release (its rendering, parameter
// names and system URIs), the base in links, and the
// CapabilityStatement.

// DefaultR4Prefix is where the configuration serves R4 unless it says
// otherwise.
const DefaultR4Prefix = "/R4"

// mimeVersions are the fhirVersion MIME parameter of each release
// (major.minor, as R4 http.html says it).
var mimeVersions = map[mapping.Version]string{mapping.STU3: "3.0", mapping.R4: "4.0"}

// r4 is the handler of the R4 base.
func (h *handler) r4() *handler {
	r := *h
	r.eng = h.eng.In(mapping.R4)
	r.opts.Prefix = h.opts.R4Prefix
	r.opts.BaseURL = h.opts.R4BaseURL
	if r.opts.BaseURL == "" && h.opts.BaseURL != "" {
		r.opts.BaseURL = strings.TrimSuffix(strings.TrimRight(h.opts.BaseURL, "/"), h.opts.Prefix) + h.opts.R4Prefix
	}
	made, _ := time.Parse(time.RFC3339, h.caps.Date) // the moment the STU3 statement was made
	r.caps = Capability(r.eng, h.opts.Version, h.opts.SecurityNote, made)
	return &r
}

// onR4 tells whether a request is for the R4 base.
func (h *handler) onR4(c *gin.Context) bool {
	p, path := h.opts.R4Prefix, c.Request.URL.Path
	return p != "" && (path == p || strings.HasPrefix(path, p+"/"))
}

// negotiateVersion marks a request for the R4 base (its responses say
// fhirVersion=4.0), and refuses one whose Accept or _format names only
// the other release's fhirVersion; false when it has answered.
func (h *handler) negotiateVersion(c *gin.Context) bool {
	ver := mapping.STU3
	if h.onR4(c) {
		ver = mapping.R4
		c.Set("fhirVersion", mimeVersions[mapping.R4])
	}
	asked := fhirVersions(c.GetHeader("Accept"))
	if f := c.Query("_format"); f != "" {
		asked = fhirVersions(f)
	}
	if len(asked) == 0 {
		return true
	}
	for _, v := range asked {
		if v == mimeVersions[ver] || strings.HasPrefix(v, mimeVersions[ver]+".") {
			return true
		}
	}
	where := "/fhir (STU3, fhirVersion=3.0)"
	if h.opts.R4Prefix != "" {
		where += " and " + h.opts.R4Prefix + " (R4, fhirVersion=4.0)"
	}
	h.abort(c, http.StatusNotAcceptable, fhir.Issue{Severity: "error", Code: "not-supported", SpineCode: "BAD_REQUEST",
		Diagnostics: "this base serves FHIR " + ver.FHIRVersion() + " (fhirVersion=" + mimeVersions[ver] + "), not the fhirVersion asked for; each release is served at a base of its own: " + where})
	return false
}

// fhirVersions are the values of the fhirVersion parameters of a list of
// media types (an Accept header, or _format).
func fhirVersions(list string) []string {
	var out []string
	for _, part := range strings.Split(list, ",") {
		for _, p := range strings.Split(part, ";")[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "fhirVersion") {
				out = append(out, strings.Trim(strings.TrimSpace(v), `"`))
			}
		}
	}
	return out
}

// versions answers GET [base]/$versions: the one release the base serves,
// which is also its default (a fhirVersion naming the other release is
// refused there, see negotiateVersion).
func (h *handler) versions(c *gin.Context) {
	v := mimeVersions[mapping.STU3]
	if h.eng != nil {
		v = mimeVersions[h.eng.Version()]
	}
	h.write(c, http.StatusOK, fhir.Versions([]string{v}, v))
}

// capabilityStatement is the CapabilityStatement in the handler's
// release.
func (h *handler) capabilityStatement(caps fhir.Capability) *fhir.Object {
	if h.eng == nil || h.eng.Version() != mapping.R4 {
		return fhir.CapabilityStatement(caps)
	}
	// R4 names an operation's definition by its canonical URL.
	ops := make([]fhir.CapabilityOperation, len(caps.Operations))
	for i, op := range caps.Operations {
		if !strings.Contains(op.Definition, "://") {
			op.Definition = caps.ImplementationURL + "/" + op.Definition
		}
		ops[i] = op
	}
	caps.Operations = ops
	return fhir.CapabilityStatementR4(caps)
}

// everythingOperation is the OperationDefinition of $everything in the
// handler's release.
func (h *handler) everythingOperation(c *gin.Context) *fhir.Object {
	if h.eng != nil && h.eng.Version() == mapping.R4 {
		return fhir.EverythingOperationR4(h.base(c))
	}
	return fhir.EverythingOperation(h.base(c))
}

// ukCoreAccess is what UK Core Access's Clinical Data Provider requires
// (draft 0.1.0): Patient searched by identifier, and of each other type
// it lists that a server offers, its SHALL parameters. The R4
// CapabilityStatement instantiates it when the mappings meet it.
var ukCoreAccess = struct {
	URL    string
	Shall  map[string][]string
	Needed []string
}{
	URL: "https://fhir.hl7.org.uk/uk-core-access/CapabilityStatement/UKCoreAccessClinicalDataProvider",
	Shall: map[string][]string{
		"Patient":                  {"identifier"},
		"AllergyIntolerance":       {"patient", "clinical-status"},
		"Immunization":             {"patient", "status"},
		"MedicationAdministration": {"patient", "status", "effective-time"},
		"MedicationDispense":       {"patient", "status"},
		"MedicationRequest":        {"patient", "status"},
		"MedicationStatement":      {"patient", "status"},
	},
	Needed: []string{"Patient"},
}

// meetsUKCoreAccess tells whether the resources of an R4 statement meet
// UK Core Access's Clinical Data Provider requirements.
func meetsUKCoreAccess(resources []fhir.CapabilityResource) bool {
	offered := map[string]map[string]bool{}
	for _, r := range resources {
		offered[r.Type] = map[string]bool{}
		for _, p := range r.SearchParams {
			offered[r.Type][p.Name] = true
		}
	}
	for _, t := range ukCoreAccess.Needed {
		if offered[t] == nil {
			return false
		}
	}
	for t, params := range ukCoreAccess.Shall {
		for _, p := range params {
			if offered[t] != nil && !offered[t][p] {
				return false
			}
		}
	}
	return true
}
