package server

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/fhir"
	"github.com/ccfacade/ccfacade/gpconnect"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/gin-gonic/gin"
	"github.com/klauspost/compress/gzip"
)

// Options configure the HTTP layer.
type Options struct {
	Engine *engine.Engine
	// BaseURL, when set, is the public base of the service used in links
	// (behind a proxy); otherwise it is made from the request's host.
	BaseURL string
	// Prefix is the path the API is served under (default /fhir).
	Prefix  string
	Logger  *slog.Logger
	Version string
	// SecurityNote describes the authentication in force, for the
	// CapabilityStatement.
	SecurityNote string
	// Verifier, when set, requires a verified bearer token on every request
	// but the CapabilityStatement.
	Verifier *auth.Verifier
	// Audit, when set, receives one record per request before the response
	// is sent; a failure to write it fails the request with 503.
	Audit audit.Sink
	// SSP, when set, requires requests to come through the Spine Security
	// Proxy: its headers and the token's claims are checked.
	SSP *SSPOptions
	// CORSOrigins are the browser origins allowed to call the API (exact
	// matches); empty sends no CORS headers.
	CORSOrigins []string
	// Metrics, when set, count and time every request.
	Metrics *Metrics
	// Limiter, when set, is admission control for the API's requests.
	Limiter *Limiter
	// TrustedProxies are the addresses or CIDRs of proxies whose
	// X-Forwarded-For and X-Real-IP headers give the client's address;
	// from anyone else those headers are ignored. Empty: trust none.
	TrustedProxies []string
	// R4Prefix, when set, serves UK Core (FHIR R4) under this path too
	// (r4.go): the same API from the same mappings. R4BaseURL is its
	// public base in links (default: BaseURL with Prefix replaced).
	R4Prefix, R4BaseURL string
	// GPConnect, when set, serves GP Connect Access Record: Structured on
	// its own FHIR base (gpconnect.go).
	GPConnect *gpconnect.Service
}

// SSPOptions configure Spine Security Proxy mode.
type SSPOptions struct {
	ASID string // this service's ASID; Ssp-To must equal it when set
	// PractitionerIdentifier, when set, is the system of the
	// requesting_practitioner identifier the token's sub must equal;
	// otherwise sub must equal the practitioner's id.
	PractitionerIdentifier string
}

// RetryAfter is the Retry-After (seconds) of a 503: the database or the
// audit trail is unavailable.
const RetryAfter = "5"

// ContentType is the media type of a JSON response; XMLContentType of an
// XML one.
const (
	ContentType    = "application/fhir+json; charset=utf-8"
	XMLContentType = "application/fhir+xml; charset=utf-8"
)

type handler struct {
	opts Options
	eng  *engine.Engine
	log  *slog.Logger
	caps fhir.Capability
	// types are the resource types served: the only values of a metric's
	// resource label besides "other".
	types map[string]bool
}

func newHandler(opts Options) *handler {
	if opts.Prefix == "" {
		opts.Prefix = "/fhir"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &handler{opts: opts, eng: opts.Engine, log: opts.Logger, types: map[string]bool{}}
	if h.eng != nil {
		for _, m := range h.eng.Set().Mappings {
			for _, v := range mapping.Versions {
				h.types[m.ResourceIn(v)] = true
			}
		}
	}
	return h
}

// New returns the HTTP handler of the FHIR API, with /livez and /readyz
// beside it (outside the API: unauthenticated, not audited, no data).
func New(opts Options) http.Handler {
	gin.SetMode(gin.ReleaseMode)
	h := newHandler(opts)
	opts = h.opts
	h.caps = Capability(opts.Engine, opts.Version, opts.SecurityNote, time.Now())

	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	// Forwarded client addresses are believed from the trusted proxies
	// only (gin's default trusts everyone).
	if err := r.SetTrustedProxies(opts.TrustedProxies); err != nil {
		opts.Logger.Error("server.trusted_proxies is not a list of addresses or CIDRs; no proxy is trusted", "error", err.Error())
		_ = r.SetTrustedProxies(nil)
	}
	r.GET("/livez", gin.WrapF(livez))
	r.GET("/readyz", gin.WrapF(h.readyz))
	r.Use(h.lastResort, h.traced, h.observe, h.requestID, h.gpcMark, h.recover, h.hsts, h.cors, h.negotiate)
	if opts.GPConnect != nil {
		h.gpcRoutes(r)
	}
	h.routes(r)
	if opts.R4Prefix != "" {
		h.r4().routes(r)
	}
	r.NoRoute(func(c *gin.Context) {
		if c.GetBool("gpc") {
			h.gpcNoRoute(c)
			return
		}
		h.fail(c, http.StatusNotFound, fhir.Issue{Severity: "error", Code: "not-found", SpineCode: "NO_RECORD_FOUND",
			Diagnostics: "no such endpoint: the FHIR API is served under " + opts.Prefix})
	})
	r.NoMethod(func(c *gin.Context) {
		if c.GetBool("gpc") {
			h.gpcNoMethod(c)
			return
		}
		h.refuseWrite(c)
	})
	return r
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// correlationRe is what a caller's X-Request-ID may be to be kept.
var correlationRe = regexp.MustCompile(`^[A-Za-z0-9._:@/+=-]{1,200}$`)

// requestID gives every request an id of the facade's own, always unique
// (X-Request-ID in the response, request_id in the audit trail and the
// log), keeps a caller's X-Request-ID apart as its correlation id (echoed
// as X-Correlation-ID, or the facade's id when there is none), and logs
// one line per request: no query values, which may hold patient
// identifiers.
func (h *handler) requestID(c *gin.Context) {
	start := time.Now()
	id := newID()
	c.Set("rid", id)
	c.Header("X-Request-ID", id)
	corr := c.GetHeader("X-Request-ID")
	if correlationRe.MatchString(corr) {
		c.Set("corr", corr)
		c.Header("X-Correlation-ID", corr)
	} else {
		corr = ""
		c.Header("X-Correlation-ID", id)
	}
	c.Next()
	names := make([]string, 0, len(c.Request.URL.Query()))
	for k := range c.Request.URL.Query() {
		names = append(names, k)
	}
	sort.Strings(names)
	h.log.Info("request", "id", id, "correlation_id", corr, "method", c.Request.Method, "path", c.Request.URL.Path,
		"params", strings.Join(names, ","), "status", c.Writer.Status(), "duration", time.Since(start).String())
}

// lastResort is the outermost middleware: a panic that escapes the others
// (in metrics or tracing, after the handler's own recovery) is logged and
// answered with a bare 500 if nothing was sent yet, instead of the
// connection being dropped. It also forbids content sniffing on every
// response: nothing the API sends is to be run as a page.
func (h *handler) lastResort(c *gin.Context) {
	c.Header("X-Content-Type-Options", "nosniff")
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("panic outside the request's handler", "id", c.GetString("rid"), "panic", fmt.Sprint(v))
			if !c.Writer.Written() {
				c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("internal error\n"))
			}
			c.Abort()
		}
	}()
	c.Next()
}

func (h *handler) recover(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			h.log.Error("panic", "id", c.GetString("rid"), "panic", fmt.Sprint(v))
			h.fail(c, http.StatusInternalServerError, fhir.Issue{Severity: "fatal", Code: "exception", SpineCode: "INTERNAL_SERVER_ERROR",
				Diagnostics: "internal error; quote " + c.GetString("rid") + " to the service's operators"})
		}
	}()
	c.Next()
}

var jsonTypes = []string{"application/fhir+json", "application/json+fhir", "application/json", "json", "text/json"}
var xmlTypes = []string{"application/fhir+xml", "application/xml+fhir", "application/xml", "xml", "text/xml"}

// negotiate picks the response's format: _format if given (415 when it
// names none we write), else the Accept header's most preferred format
// (406 when it accepts neither), else JSON. XML is FHIR XML.
func (h *handler) negotiate(c *gin.Context) {
	if !h.negotiateVersion(c) {
		return
	}
	if f := c.Query("_format"); f != "" {
		// An unencoded + in the query arrives as a space: fhir+xml.
		mt := strings.ReplaceAll(strings.TrimSpace(strings.SplitN(f, ";", 2)[0]), " ", "+")
		switch {
		case containsFold(jsonTypes, mt):
			c.Set("format", "json")
		case containsFold(xmlTypes, mt):
			c.Set("format", "xml")
		default:
			h.abort(c, http.StatusUnsupportedMediaType, fhir.Issue{Severity: "error", Code: "not-supported", SpineCode: "BAD_REQUEST",
				Diagnostics: "_format " + echo(f) + " is not supported; this server speaks FHIR JSON (json, application/fhir+json) and FHIR XML (xml, application/fhir+xml)"})
			return
		}
		c.Next()
		return
	}
	if accept := c.GetHeader("Accept"); accept != "" {
		format, ok := fromAccept(accept)
		if !ok {
			h.abort(c, http.StatusNotAcceptable, fhir.Issue{Severity: "error", Code: "not-supported", SpineCode: "BAD_REQUEST",
				Diagnostics: "cannot produce " + echo(accept) + "; this server speaks FHIR JSON (application/fhir+json) and FHIR XML (application/fhir+xml)"})
			return
		}
		c.Set("format", format)
	}
	c.Next()
}

// echoable is what a media type or list of them, as a caller sends it, may
// be to be quoted back in a message: no markup, no control characters.
var echoable = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~/;=, -]{1,200}$`)

// echo quotes a value the caller sent for a message, or names it without
// quoting it when it could be read as markup (or is too long).
func echo(v string) string {
	if echoable.MatchString(v) {
		return strconv.Quote(v)
	}
	return "(the value sent)"
}

// fromAccept chooses json or xml by the Accept header: each format takes
// the q-value of its most specific matching range (an exact type, then
// application/*, then */*), as RFC 9110 says; the higher wins, JSON a tie.
func fromAccept(accept string) (string, bool) {
	type match struct {
		q           float64
		specificity int // 0 none, 1 */*, 2 application/* or text/*, 3 exact
	}
	var js, xs match
	better := func(m *match, q float64, spec int) {
		if spec > m.specificity {
			*m = match{q, spec}
		}
	}
	for _, part := range strings.Split(accept, ",") {
		fields := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && f >= 0 && f <= 1 {
					q = f
				} else {
					q = 0
				}
			}
		}
		switch {
		case mt == "*/*":
			better(&js, q, 1)
			better(&xs, q, 1)
		case mt == "application/*":
			better(&js, q, 2)
			better(&xs, q, 2)
		case mt == "text/*":
			better(&xs, q, 2)
		case containsFold(jsonTypes, mt):
			better(&js, q, 3)
		case containsFold(xmlTypes, mt):
			better(&xs, q, 3)
		}
	}
	switch {
	case js.q > 0 && js.q >= xs.q:
		return "json", true
	case xs.q > 0:
		return "xml", true
	}
	return "", false
}

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// hsts tells browsers to keep to HTTPS when the facade serves TLS.
func (h *handler) hsts(c *gin.Context) {
	if c.Request.TLS != nil {
		c.Header("Strict-Transport-Security", "max-age=31536000")
	}
	c.Next()
}

// base is the service's base URL in links: the configured base_url, or
// else the address the connection was accepted on. Never the Host header,
// which any client can set.
func (h *handler) base(c *gin.Context) string {
	if h.opts.BaseURL != "" {
		return strings.TrimRight(h.opts.BaseURL, "/")
	}
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	host := "127.0.0.1"
	if a, ok := c.Request.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		host = a.String()
	}
	return scheme + "://" + host + h.opts.Prefix
}

func (h *handler) write(c *gin.Context, status int, v fhir.Value) {
	buf := bodies.Get().(*[]byte)
	defer releaseBody(buf)
	body := h.encode(c, v, (*buf)[:0])
	*buf = body
	// A read answers conditional requests: a weak ETag of its content and
	// Last-Modified from meta.lastUpdated; a match is 304 without a body.
	notModified := false
	if status == http.StatusOK && c.GetBool("conditional") {
		sum := sha256.Sum256(body)
		etag := `W/"` + hex.EncodeToString(sum[:12]) + `"`
		c.Header("ETag", etag)
		var modified time.Time
		lastUpdated := ""
		switch o := v.(type) {
		case *fhir.Object:
			if meta, ok := o.Get("meta").(*fhir.Object); ok {
				lastUpdated = meta.GetString("lastUpdated")
			}
		case *fhir.Rendered:
			lastUpdated = o.LastUpdated
		}
		if t, err := time.Parse(time.RFC3339Nano, lastUpdated); err == nil {
			modified = t.UTC().Truncate(time.Second)
			c.Header("Last-Modified", modified.Format(http.TimeFormat))
		}
		if inm := c.GetHeader("If-None-Match"); inm != "" {
			notModified = etagMatches(inm, etag)
		} else if since := c.GetHeader("If-Modified-Since"); since != "" && !modified.IsZero() {
			if ims, err := http.ParseTime(since); err == nil {
				notModified = !modified.After(ims)
			}
		}
		if notModified {
			status = http.StatusNotModified
		}
	}
	if h.opts.Audit != nil {
		if err := h.opts.Audit.Write(h.record(c, status, v)); err != nil {
			// No disclosure without a record: the response is withheld.
			h.log.Error("audit record not written; request refused", "id", c.GetString("rid"), "error", err.Error())
			if h.opts.Metrics != nil {
				h.opts.Metrics.auditFailures.Inc()
			}
			c.Writer.Header().Del("ETag")
			c.Writer.Header().Del("Last-Modified")
			v = fhir.OperationOutcome(c.GetString("rid"), fhir.Issue{Severity: "fatal", Code: "transient", SpineCode: "INTERNAL_SERVER_ERROR",
				Diagnostics: "the service cannot record this access, so it does not answer; quote " + c.GetString("rid") + " to the service's operators"})
			status, notModified = http.StatusServiceUnavailable, false
			c.Header("Retry-After", RetryAfter)
			body = h.encode(c, v, body[:0])
			*buf = body
		}
	}
	c.Writer.Header().Add("Vary", "Accept, Accept-Encoding")
	if notModified {
		c.Status(http.StatusNotModified)
		return
	}
	h.send(c, status, body)
}

// compactJSON tells whether the response is compact JSON, which the
// engine may fill with resources rendered straight to JSON.
func compactJSON(c *gin.Context) bool {
	return c.GetString("format") != "xml" && c.Query("_pretty") != "true"
}

// encode appends a value to dst in the response's format.
func (h *handler) encode(c *gin.Context, v fhir.Value, dst []byte) []byte {
	if c.GetString("fhirVersion") == mimeVersions[mapping.R4] {
		v = fhir.InR4(v) // its OperationOutcomes
	}
	if o, ok := v.(*fhir.Object); ok && c.GetString("format") == "xml" {
		return fhir.AppendXML(dst, o)
	}
	if c.Query("_pretty") == "true" {
		return fhir.AppendIndentedJSON(dst, v)
	}
	return fhir.AppendJSON(dst, v)
}

// bodies are response buffers, reused once a response is written (gin
// writes it through before Data returns).
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// keepBodyBelow bounds the buffers kept for reuse: a rare large response
// is left to the collector rather than held.
const keepBodyBelow = 1 << 20

func releaseBody(b *[]byte) {
	if cap(*b) <= keepBodyBelow {
		*b = (*b)[:0]
		bodies.Put(b)
	}
}

// gzipAbove is the size past which a response is compressed for a client
// that accepts gzip.
const gzipAbove = 1024

// send writes the body, compressed when the client accepts gzip and it
// is worth it.
func (h *handler) send(c *gin.Context, status int, body []byte) {
	if len(body) > gzipAbove && acceptsGzip(c.GetHeader("Accept-Encoding")) {
		zbuf := zipped.Get().(*bytes.Buffer)
		zbuf.Reset()
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(zbuf)
		_, _ = zw.Write(body)
		if zw.Close() == nil {
			c.Header("Content-Encoding", "gzip")
			body = zbuf.Bytes()
		}
		zw.Reset(nil)
		gzipWriters.Put(zw)
		defer func() {
			if zbuf.Cap() <= keepBodyBelow {
				zipped.Put(zbuf)
			}
		}()
	}
	c.Data(status, contentType(c), body)
}

// gzipWriters are reused: a new writer allocates most of a megabyte of
// compressor state, more than a small response costs to make. The
// compressor is klauspost/compress's: standard gzip at its fastest level,
// in about half the time of the standard library's (and a little smaller).
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// zipped are the compressed responses' buffers, reused like bodies.
var zipped = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func contentType(c *gin.Context) string {
	ct := ContentType
	if c.GetString("format") == "xml" {
		ct = XMLContentType
	}
	if v := c.GetString("fhirVersion"); v != "" {
		ct += "; fhirVersion=" + v
	}
	return ct
}

// acceptsGzip reads Accept-Encoding (RFC 9110 12.5.3): gzip (or x-gzip)
// with a q above zero, or else * with one; parameter names and spacing in
// any case, and a q that is not a number refuses.
func acceptsGzip(h string) bool {
	gzipQ, anyQ := -1.0, -1.0
	for _, part := range strings.Split(h, ",") {
		fields := strings.Split(part, ";")
		name := strings.ToLower(strings.TrimSpace(fields[0]))
		q := 1.0
		for _, p := range fields[1:] {
			k, v, _ := strings.Cut(p, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil || f < 0 || f > 1 {
					f = 0
				}
				q = f
			}
		}
		switch name {
		case "gzip", "x-gzip":
			gzipQ = q
		case "*":
			anyQ = q
		}
	}
	if gzipQ >= 0 {
		return gzipQ > 0
	}
	return anyQ > 0
}

// etagMatches compares If-None-Match (a list, or *) with a weak ETag, by
// the weak comparison HTTP prescribes for it.
func etagMatches(header, etag string) bool {
	strip := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, t := range strings.Split(header, ",") {
		if strings.TrimSpace(t) == "*" || strip(t) == strip(etag) {
			return true
		}
	}
	return false
}

// failUnaudited answers with an OperationOutcome that discloses nothing
// and is not audited (admission control under load: no access happened).
func (h *handler) failUnaudited(c *gin.Context, status int, msg string) {
	issue := fhir.Issue{Severity: "error", Code: "transient", SpineCode: "INTERNAL_SERVER_ERROR", Diagnostics: msg}
	var v fhir.Value = fhir.OperationOutcome(c.GetString("rid"), issue)
	if c.GetBool("gpc") {
		v = gpcOutcome(issue)
	}
	c.Data(status, contentType(c), h.encode(c, v, make([]byte, 0, 1024)))
}

func (h *handler) fail(c *gin.Context, status int, issue fhir.Issue) {
	if c.GetBool("gpc") {
		h.write(c, status, gpcOutcome(issue))
		return
	}
	h.write(c, status, fhir.OperationOutcome(c.GetString("rid"), issue))
}

// abort answers the request with an OperationOutcome of issue and stops
// the handlers after this one.
func (h *handler) abort(c *gin.Context, status int, issue fhir.Issue) {
	h.fail(c, status, issue)
	c.Abort()
}

func (h *handler) metadata(c *gin.Context) {
	caps := h.caps
	caps.ImplementationURL = h.base(c)
	h.write(c, http.StatusOK, h.capabilityStatement(caps))
}

func (h *handler) read(c *gin.Context) {
	if c.Param("id") == "_history" {
		h.noHistory(c)
		return
	}
	if c.Param("id") == "$everything" && c.Param("type") == "Patient" {
		h.everything(c, "")
		return
	}
	if c.Param("type") == "OperationDefinition" && c.Param("id") == fhir.EverythingOperationID {
		h.write(c, http.StatusOK, h.everythingOperation(c))
		return
	}
	var res fhir.Value
	var err error
	if q := c.Request.URL.Query(); q.Has("_elements") || q.Has("_summary") {
		res, err = h.eng.ReadSubset(c.Request.Context(), c.Param("type"), c.Param("id"), q["_elements"], q["_summary"])
	} else if compactJSON(c) {
		res, err = h.eng.ReadJSON(c.Request.Context(), c.Param("type"), c.Param("id"))
	} else {
		res, err = h.eng.Read(c.Request.Context(), c.Param("type"), c.Param("id"))
	}
	if err != nil {
		h.error(c, err)
		return
	}
	c.Set("conditional", true)
	h.write(c, http.StatusOK, res)
}

func (h *handler) search(c *gin.Context) {
	if c.Param("type") == "_history" {
		h.noHistory(c)
		return
	}
	h.runSearch(c, c.Request.URL.Query())
}

func (h *handler) postSearch(c *gin.Context) {
	if c.Param("id") != "_search" {
		h.refuseWrite(c)
		return
	}
	ct := c.ContentType()
	if ct != "application/x-www-form-urlencoded" && ct != "" {
		h.fail(c, http.StatusUnsupportedMediaType, fhir.Issue{Severity: "error", Code: "not-supported", SpineCode: "BAD_REQUEST",
			Diagnostics: "POST _search takes an application/x-www-form-urlencoded body"})
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, 64<<10)
	if err := c.Request.ParseForm(); err != nil {
		h.fail(c, http.StatusBadRequest, fhir.Issue{Severity: "error", Code: "invalid", SpineCode: "BAD_REQUEST",
			Diagnostics: "the form body cannot be read"})
		return
	}
	params := url.Values{}
	for k, v := range c.Request.URL.Query() {
		params[k] = append(params[k], v...)
	}
	for k, v := range c.Request.PostForm {
		if k == "_format" || k == "_pretty" {
			continue // the response's form is the URL's and the Accept header's: the links keep what chose it
		}
		params[k] = append(params[k], v...)
	}
	h.runSearch(c, params)
}

func (h *handler) runSearch(c *gin.Context, params url.Values) {
	c.Set("params", params) // for the audit record: the names of what was searched
	lenient := strings.Contains(strings.ToLower(c.GetHeader("Prefer")), "handling=lenient")
	b, err := h.eng.Search(c.Request.Context(), engine.SearchRequest{
		Type: c.Param("type"), Params: params, Base: h.base(c), Lenient: lenient, JSON: compactJSON(c),
	})
	if err != nil {
		h.error(c, err)
		return
	}
	h.write(c, http.StatusOK, b)
}

// compartment serves GET [base]/Patient/{id}/{type}?…: a search of type
// within the patient's compartment.
func (h *handler) compartment(c *gin.Context) {
	if c.Param("comp") == "_history" {
		h.noHistory(c)
		return
	}
	if c.Param("comp") == "$everything" && c.Param("type") == "Patient" {
		h.everything(c, c.Param("id"))
		return
	}
	lenient := strings.Contains(strings.ToLower(c.GetHeader("Prefer")), "handling=lenient")
	b, err := h.eng.Search(c.Request.Context(), engine.SearchRequest{
		Type: c.Param("comp"), Params: c.Request.URL.Query(), Base: h.base(c), Lenient: lenient,
		Compartment: &engine.Compartment{Type: c.Param("type"), ID: c.Param("id")}, JSON: compactJSON(c),
	})
	if err != nil {
		h.error(c, err)
		return
	}
	h.write(c, http.StatusOK, b)
}

// everything serves the record of one patient, by id or by identifier.
func (h *handler) everything(c *gin.Context, id string) {
	b, err := h.eng.Everything(c.Request.Context(), engine.EverythingRequest{PatientID: id, Params: c.Request.URL.Query(), Base: h.base(c)})
	if err != nil {
		h.error(c, err)
		return
	}
	h.write(c, http.StatusOK, b)
}

// cors answers browsers from the allowed origins only; a preflight request
// gets 204 with the methods and headers the API takes.
func (h *handler) cors(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin == "" || !containsFold(h.opts.CORSOrigins, origin) {
		c.Next()
		return
	}
	c.Header("Access-Control-Allow-Origin", origin)
	c.Header("Vary", "Origin")
	c.Header("Access-Control-Expose-Headers", "X-Correlation-ID, WWW-Authenticate")
	if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
		c.Header("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS")
		c.Header("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Prefer, X-Request-ID, Ssp-TraceID, Ssp-From, Ssp-To, Ssp-InteractionID")
		c.Header("Access-Control-Max-Age", "600")
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	c.Next()
}

// authenticate verifies the bearer token (when a verifier is configured),
// checks the Spine Security Proxy headers and claims (in SSP mode),
// resolves the token's patient context, and puts the request's access
// (how far its scopes reach for each type, and the patient) into the
// request context, which the engine turns into SQL.
func (h *handler) authenticate(c *gin.Context) {
	v := h.opts.Verifier
	if v == nil || c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead && c.Request.Method != http.MethodPost {
		c.Next()
		return
	}
	header := strings.TrimSpace(c.GetHeader("Authorization"))
	token := ""
	if scheme, rest, ok := strings.Cut(header, " "); ok && strings.EqualFold(scheme, "Bearer") {
		token = strings.TrimSpace(rest)
	}
	p, err := v.Verify(c.Request.Context(), token)
	if err != nil {
		challenge := `Bearer realm="ccfacade"`
		if header != "" {
			challenge += `, error="invalid_token", error_description="` + strings.ReplaceAll(err.Error(), `"`, "'") + `"`
		}
		c.Header("WWW-Authenticate", challenge)
		h.log.Warn("token refused", "id", c.GetString("rid"), "reason", err.Error())
		h.abort(c, http.StatusUnauthorized, fhir.Issue{Severity: "error", Code: "security", SpineCode: "ACCESS DENIED",
			Diagnostics: "authentication failed: " + err.Error()})
		return
	}
	c.Set("principal", p)
	if h.opts.SSP != nil {
		ssp, err := auth.CheckSSP(c.GetHeader, p, h.interactions(c), auth.SSPConfig{ASID: h.opts.SSP.ASID, PractitionerIdentifier: h.opts.SSP.PractitionerIdentifier})
		if err != nil {
			c.Set("ssp", auth.SSPReceived(c.GetHeader)) // for the audit trail: what came, where it has its form
			h.log.Warn("Spine Security Proxy request refused", "id", c.GetString("rid"), "reason", err.Error())
			h.abort(c, http.StatusBadRequest, fhir.Issue{Severity: "error", Code: "invalid", SpineCode: "BAD_REQUEST",
				Diagnostics: "Spine Security Proxy: " + err.Error()})
			return
		}
		c.Set("ssp", ssp)
	}
	deny := func(msg string) {
		c.Header("WWW-Authenticate", `Bearer realm="ccfacade", error="insufficient_scope", error_description="`+msg+`"`)
		h.abort(c, http.StatusForbidden, fhir.Issue{Severity: "error", Code: "forbidden", SpineCode: "ACCESS DENIED", Diagnostics: msg})
	}
	patient := p.Patient
	if patient != "" {
		// The patient must be one of ours, named exactly as we name it.
		if err := h.eng.CanonicalPatient(c.Request.Context(), patient); err != nil {
			if e, ok := engine.AsError(err); !ok || e.Kind == engine.KindUnavailable {
				h.error(c, err)
				c.Abort()
				return
			}
			deny("the token's patient is not the id of a patient of this service")
			return
		}
	}
	if p.NHSNumber != "" {
		// A patient context given as an NHS number: the patient it names.
		id, err := h.eng.PatientByNHSNumber(c.Request.Context(), p.NHSNumber)
		if e, ok := engine.AsError(err); err != nil && (!ok || e.Kind == engine.KindUnavailable) {
			h.error(c, err)
			c.Abort()
			return
		}
		switch {
		case err != nil:
			deny("the token's NHS number does not name exactly one patient here")
			return
		case patient != "" && patient != id:
			deny("the token's patient and nhs_number claims name different patients")
			return
		}
		patient = id
	}
	if !p.Grants(patient != "") {
		if p.HasPatientContext() || patient != "" {
			deny("the token's scopes grant no read access")
		} else {
			deny("the token's patient/ scopes need a patient context (a patient or nhs_number claim), and it has none")
		}
		return
	}
	hasPatient := patient != ""
	reach := func(typ string) engine.Reach {
		switch p.Reach(typ, hasPatient) {
		case auth.ReachAll:
			return engine.ReachAll
		case auth.ReachPatient:
			return engine.ReachPatient
		}
		return engine.ReachNone
	}
	c.Request = c.Request.WithContext(engine.WithAccess(c.Request.Context(), engine.Access{Patient: patient, Reach: reach}))
	c.Next()
}

// interactions are the Care Connect interaction ids a request may carry in
// Ssp-InteractionID: its read or search, the get record call, and for a
// compartment search either the searched type's or the compartment's.
func (h *handler) interactions(c *gin.Context) []string {
	typ, id, comp := c.Param("type"), c.Param("id"), c.Param("comp")
	switch {
	case typ == "Patient" && (id == "$everything" || comp == "$everything"):
		return []string{auth.EverythingInteraction}
	case comp != "":
		return []string{auth.Interaction("search", comp), auth.Interaction("search", typ)}
	case id != "" && id != "_search":
		return []string{auth.Interaction("read", typ)}
	}
	return []string{auth.Interaction("search", typ)}
}

// noHistory answers history and vread: resources here have no versions.
func (h *handler) noHistory(c *gin.Context) {
	h.fail(c, http.StatusBadRequest, fhir.Issue{Severity: "error", Code: "not-supported", SpineCode: "BAD_REQUEST",
		Diagnostics: "history and vread are not supported: the resources of this server have no versions; read them for the current one"})
}

func (h *handler) refuseWrite(c *gin.Context) {
	c.Header("Allow", "GET, HEAD")
	h.fail(c, http.StatusMethodNotAllowed, fhir.Issue{Severity: "error", Code: "not-supported", SpineCode: "BAD_REQUEST",
		Diagnostics: fmt.Sprintf("%s is not allowed: this is a read-only FHIR server (read and search only)", c.Request.Method)})
}

// kinds are the HTTP status and OperationOutcome issue code of each kind
// of engine error.
var kinds = map[engine.Kind]struct {
	status int
	code   string
}{
	engine.KindInvalid:       {http.StatusBadRequest, "invalid"},
	engine.KindNotSupported:  {http.StatusBadRequest, "not-supported"},
	engine.KindAmbiguous:     {http.StatusBadRequest, "invalid"},
	engine.KindNotFound:      {http.StatusNotFound, "not-found"},
	engine.KindUnknownType:   {http.StatusNotFound, "not-supported"},
	engine.KindForbidden:     {http.StatusForbidden, "forbidden"},
	engine.KindUnprocessable: {http.StatusInternalServerError, "processing"},
	engine.KindUnavailable:   {http.StatusServiceUnavailable, "transient"},
}

// error maps an engine error to its status and OperationOutcome. Causes
// (database messages) are logged with the request id, never returned.
func (h *handler) error(c *gin.Context, err error) {
	rid := c.GetString("rid")
	e, ok := engine.AsError(err)
	if !ok {
		h.log.Error("request failed", "id", rid, "error", err.Error())
		h.fail(c, http.StatusInternalServerError, fhir.Issue{Severity: "fatal", Code: "exception", SpineCode: "INTERNAL_SERVER_ERROR",
			Diagnostics: "internal error; quote " + rid + " to the service's operators"})
		return
	}
	issue := fhir.Issue{Severity: "error", SpineCode: e.SpineCode, Diagnostics: e.Msg}
	if e.Param != "" {
		issue.Expression = []string{e.Param}
	}
	status, code := http.StatusInternalServerError, "exception"
	if k, ok := kinds[e.Kind]; ok {
		status, code = k.status, k.code
	}
	issue.Code = code
	switch e.Kind {
	case engine.KindUnprocessable:
		h.log.Error("resource cannot be served", "id", rid, "error", e.Msg)
	case engine.KindUnavailable:
		c.Header("Retry-After", RetryAfter)
		issue.SpineCode = "INTERNAL_SERVER_ERROR"
		issue.Diagnostics = e.Msg + "; quote " + rid + " to the service's operators"
		h.log.Error("database error", "id", rid, "error", err.Error())
	}
	h.fail(c, status, issue)
}
