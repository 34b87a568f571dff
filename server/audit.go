package server

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/fhir/r4"
	"github.com/ccfacade/ccfacade/fhir/spec"
	"github.com/ccfacade/ccfacade/fhir/stu3"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/gin-gonic/gin"
)

// record describes a request and its answer for the audit trail.
func (h *handler) record(c *gin.Context, status int, v fhir.Value) audit.Record {
	r := audit.Record{
		Time:          time.Now().UTC(),
		RequestID:     c.GetString("rid"),
		CorrelationID: c.GetString("corr"),
		Path:          clip(c.Request.URL.Path, 1024),
		Status:        status,
		Outcome:       "success",
		ClientIP:      c.ClientIP(),
		Patients:      []string{},
	}
	if status >= 400 {
		r.Outcome = strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "-"))
	}
	if p, ok := c.Get("principal"); ok {
		if pr, ok := p.(*auth.Principal); ok {
			r.Issuer, r.Subject, r.ClientID, r.TokenID = pr.Issuer, pr.Subject, pr.ClientID, pr.TokenID
		}
	}
	if sp, ok := c.Get("ssp"); ok {
		if ssp, ok := sp.(*auth.SSP); ok {
			r.Practitioner, r.Organisation, r.Purpose = ssp.Practitioner, ssp.Organisation, ssp.Reason
			r.Role, r.Device = ssp.Role, ssp.Device
			r.SSPFrom, r.SSPTo, r.SSPInteraction = ssp.From, ssp.To, ssp.InteractionID
			r.SSPTraceID = ssp.TraceID // checked: a UUID
		}
	}
	params := c.Request.URL.Query()
	if ps, ok := c.Get("params"); ok { // a search's parameters, POST _search bodies included
		params, _ = ps.(url.Values)
	}
	for k := range params {
		r.Params = append(r.Params, clip(k, 100))
	}
	sort.Strings(r.Params)
	if len(r.Params) > 100 {
		r.Params = append(r.Params[:100], "…")
	}
	r.Interaction, r.Resource = interactionOf(c)
	patients := map[string]bool{}
	rel := stu3.Release
	if c.GetString("fhirVersion") == mimeVersions[mapping.R4] {
		rel = r4.Release
	}
	add := func(res *fhir.Object) {
		if res == nil || res.GetString("resourceType") == "OperationOutcome" {
			return
		}
		r.Count++
		if id := patientOf(rel, res); id != "" {
			patients[id] = true
		}
	}
	if o, ok := v.(*fhir.Object); ok {
		if o.GetString("resourceType") == "Bundle" {
			entries, _ := o.Get("entry").(fhir.Array)
			for _, e := range entries {
				if eo, ok := e.(*fhir.Object); ok {
					switch res := eo.Get("resource").(type) {
					case *fhir.Object:
						add(res)
					case *fhir.Rendered: // rendered straight to JSON, with its patient
						r.Count++
						if res.Patient != "" {
							patients[res.Patient] = true
						}
					}
				}
			}
		} else if o.GetString("resourceType") != "CapabilityStatement" && o.GetString("resourceType") != "OperationDefinition" {
			add(o)
		}
	}
	if rd, ok := v.(*fhir.Rendered); ok { // a read rendered straight to JSON
		r.Count++
		if rd.Patient != "" {
			patients[rd.Patient] = true
		}
	}
	for id := range patients {
		r.Patients = append(r.Patients, id)
	}
	sort.Strings(r.Patients)
	return r
}

// interactionOf names a request's interaction (read, search-type,
// search-compartment, operation, capabilities) and the resource type it
// is about, bounded in length.
func interactionOf(c *gin.Context) (interaction, resource string) {
	resource = clip(c.Param("type"), 64)
	path := c.Request.URL.Path
	if c.GetBool("gpc") && c.FullPath() != "" { // GP Connect: its two endpoints
		if strings.HasSuffix(c.FullPath(), gpcMetadataPath) {
			return "capabilities", ""
		}
		return "operation", "Patient"
	}
	switch {
	case strings.HasSuffix(path, "/metadata") || c.Request.Method == http.MethodOptions:
		return "capabilities", resource
	case strings.Contains(path, "$"):
		return "operation", resource
	case c.Param("comp") == "_history" || c.Param("id") == "_history" || resource == "_history":
		return "history", resource
	case c.Param("comp") != "":
		return "search-compartment", clip(c.Param("comp"), 64)
	case c.Param("id") != "" && c.Param("id") != "_search":
		return "read", resource
	case resource != "":
		return "search-type", resource
	}
	switch m := c.Request.Method; m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return strings.ToLower(m), resource
	}
	return "other", resource // a method of the caller's invention: not a label of its own
}

// clip shortens what a caller sent to at most n bytes, so that no request
// can make a record of any size.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// patientOf returns the id of the patient a resource is about: a Patient's
// own id, or the first Patient it references through the elements that
// put it in a patient's compartment (the CompartmentDefinition of rel, the
// release the resource is in).
func patientOf(rel *spec.Release, res *fhir.Object) string {
	typ := res.GetString("resourceType")
	if typ == "Patient" {
		return res.GetString("id")
	}
	if !rel.InCompartment("Patient", typ) {
		// Outside the compartment (STU3 Task, Contract), the first
		// Patient it references is whose data it holds.
		return anyPatient(res)
	}
	for _, el := range rel.CompartmentElements("Patient", typ) {
		if id := patientAt(res, strings.Split(el, ".")); id != "" {
			return id
		}
	}
	return ""
}

// anyPatient returns the id of the first Patient referenced anywhere in v,
// or "".
func anyPatient(v fhir.Value) string {
	switch v := v.(type) {
	case fhir.Array:
		for _, item := range v {
			if id := anyPatient(item); id != "" {
				return id
			}
		}
	case *fhir.Object:
		if s, ok := strings.CutPrefix(v.GetString("reference"), "Patient/"); ok {
			return s
		}
		for _, f := range v.Fields {
			if id := anyPatient(f.Value); id != "" {
				return id
			}
		}
	}
	return ""
}

// patientAt returns the id of the first Patient referenced at the element
// path below v (through lists), or "".
func patientAt(v fhir.Value, path []string) string {
	switch v := v.(type) {
	case fhir.Array:
		for _, item := range v {
			if id := patientAt(item, path); id != "" {
				return id
			}
		}
	case *fhir.Object:
		if len(path) == 0 {
			if s, ok := strings.CutPrefix(v.GetString("reference"), "Patient/"); ok {
				return s
			}
			return ""
		}
		if next := v.Get(path[0]); next != nil {
			return patientAt(next, path[1:])
		}
	}
	return ""
}
