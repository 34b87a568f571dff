package server

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/gin-gonic/gin"
)

// GP Connect Access Record: Structured is served on a FHIR base of its own
// (Options.GPConnect): POST [base]/Patient/$gpc.getstructuredrecord and GET
// [base]/metadata. Every request under that base is checked as the Spine
// Security Proxy forwards it (its Ssp- headers and unsigned audit token,
// not the API's bearer tokens: the proxy's mutual TLS is the
// authentication), is audited, answers Cache-Control: no-store, and fails
// with a GP Connect OperationOutcome.

// gpcRecordPath and gpcMetadataPath are the endpoints, under the base.
const (
	gpcRecordPath   = "/Patient/$gpc.getstructuredrecord"
	gpcMetadataPath = "/metadata"
)

// gpcRoutes adds the GP Connect endpoints.
func (h *handler) gpcRoutes(r *gin.Engine) {
	g := r.Group(h.opts.GPConnect.Path())
	g.POST(gpcRecordPath, h.admit, h.gpcRecord)
	g.GET(gpcMetadataPath, h.gpcMetadata)
}

// underGPC tells whether a path is under the GP Connect base.
func (h *handler) underGPC(path string) bool {
	g := h.opts.GPConnect
	return g != nil && (path == g.Path() || strings.HasPrefix(path, g.Path()+"/"))
}

// gpcMark marks the requests under the GP Connect base, before anything
// may answer them: no-store on every answer, and GP Connect's
// OperationOutcome for every failure.
func (h *handler) gpcMark(c *gin.Context) {
	if h.underGPC(c.Request.URL.Path) {
		c.Set("gpc", true)
		c.Header("Cache-Control", "no-store")
	}
	c.Next()
}

// gpcRecord answers $gpc.getstructuredrecord.
func (h *handler) gpcRecord(c *gin.Context) {
	svc := h.opts.GPConnect
	ssp, ok := h.gpcAuthorize(c, auth.GPConnectStructuredInteraction, auth.GPConnectPatientScope)
	if !ok {
		return
	}
	parse := gpconnect.ParseRequest
	switch ct := c.ContentType(); {
	case ct == "" || containsFold(jsonTypes, ct):
	case containsFold(xmlTypes, ct):
		parse = gpconnect.ParseRequestXML
	default:
		h.gpcFail(c, &gpconnect.Error{Status: http.StatusUnsupportedMediaType, Issue: gpconnect.Issue{Severity: "error", Code: "not-supported",
			Spine: "UNSUPPORTED_MEDIA_TYPE", Diagnostics: "the request body is read as FHIR JSON or XML (application/fhir+json, application/fhir+xml), not " + echo(ct)}})
		return
	}
	req, err := parse(c.Request.Body, svc.Today())
	if err != nil {
		h.gpcFail(c, err)
		return
	}
	names := url.Values{}
	for _, n := range req.Names {
		names[n] = nil
	}
	c.Set("params", names) // the audit trail names the parameters, never their values
	b, err := svc.Record(c.Request.Context(), req, ssp.TraceID)
	if err != nil {
		h.gpcFail(c, err)
		return
	}
	h.write(c, http.StatusOK, b)
}

// gpcMetadata answers the structured CapabilityStatement.
func (h *handler) gpcMetadata(c *gin.Context) {
	if _, ok := h.gpcAuthorize(c, auth.GPConnectMetadataInteraction, auth.GPConnectOrganizationScope); ok {
		h.write(c, http.StatusOK, h.opts.GPConnect.Capability())
	}
}

// gpcAuthorize checks a GP Connect request's SSP headers and token for
// the interaction and scope, and keeps who asked for the audit trail; a
// refusal is answered, and ok is false.
func (h *handler) gpcAuthorize(c *gin.Context, interaction, scope string) (ssp *auth.SSP, ok bool) {
	ssp, p, err := h.opts.GPConnect.Authorize(c.GetHeader, interaction, scope)
	if err != nil {
		c.Set("ssp", auth.SSPReceived(c.GetHeader)) // for the audit trail: what came, where it has its form
		h.gpcFail(c, err)
		return nil, false
	}
	c.Set("principal", p)
	c.Set("ssp", ssp)
	return ssp, true
}

// gpcFail answers a GP Connect request's failure: a refusal with its
// status and OperationOutcome (what the log is told beside it logged with
// the request id), the database's unavailability as 503, anything else as
// 500 with the request id to quote.
func (h *handler) gpcFail(c *gin.Context, err error) {
	rid := c.GetString("rid")
	var ge *gpconnect.Error
	if errors.As(err, &ge) {
		if ge.Log != "" || ge.Status >= 500 {
			h.log.Info("GP Connect request refused", "id", rid, "spine", ge.Spine, "reason", ge.Log)
		}
		h.write(c, ge.Status, ge.Outcome())
		return
	}
	if e, ok := engine.AsError(err); ok && e.Kind == engine.KindUnavailable {
		h.log.Error("database error", "id", rid, "error", err.Error())
		c.Header("Retry-After", RetryAfter)
		h.write(c, http.StatusServiceUnavailable, gpconnect.Outcome(gpconnect.Issue{Severity: "error", Code: "transient", Spine: "INTERNAL_SERVER_ERROR",
			Diagnostics: e.Msg + "; quote " + rid + " to the service's operators"}))
		return
	}
	h.log.Error("GP Connect request failed", "id", rid, "error", err.Error())
	h.write(c, http.StatusInternalServerError, gpconnect.Outcome(gpconnect.Issue{Severity: "error", Code: "exception", Spine: "INTERNAL_SERVER_ERROR",
		Diagnostics: "internal error; quote " + rid + " to the service's operators"}))
}

// gpcOutcome is an OperationOutcome of the API's as GP Connect sends it
// (for the failures middleware answers: format, capacity, routing).
func gpcOutcome(issue fhir.Issue) fhir.Value {
	spine := issue.SpineCode
	if !gpconnect.KnownSpineCode(spine) {
		spine = "BAD_REQUEST"
		if issue.Severity == "fatal" {
			spine = "INTERNAL_SERVER_ERROR"
		}
	}
	sev := issue.Severity
	if sev == "fatal" {
		sev = "error"
	}
	return gpconnect.Outcome(gpconnect.Issue{Severity: sev, Code: issue.Code, Spine: spine, Diagnostics: issue.Diagnostics})
}

// gpcNoRoute answers a path under the GP Connect base that names no
// endpoint, and gpcNoMethod an endpoint asked with another method: GP
// Connect answers both as failures with an OperationOutcome (400 for the
// method, as its error table says).
func (h *handler) gpcNoRoute(c *gin.Context) {
	h.write(c, http.StatusNotFound, gpconnect.NoRecord("no such endpoint: GP Connect serves POST %s%s and GET %s%s",
		h.opts.GPConnect.Path(), gpcRecordPath, h.opts.GPConnect.Path(), gpcMetadataPath).Outcome())
}

func (h *handler) gpcNoMethod(c *gin.Context) {
	allow := http.MethodGet
	if strings.HasSuffix(c.Request.URL.Path, gpcRecordPath) {
		allow = http.MethodPost
	}
	c.Header("Allow", allow)
	h.write(c, http.StatusBadRequest, gpconnect.BadRequest("%s is not allowed here: this endpoint takes %s", c.Request.Method, allow).Outcome())
}
