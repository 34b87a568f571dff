package server

import (
	"net/http"

	"github.com/ccfacade/ccfacade/fhir"
	"github.com/gin-gonic/gin"
)

// routes serves the FHIR API under the handler's prefix: the same routes
// for every release the facade serves (STU3 at /fhir, R4 under its own
// prefix), each over its handler.
func (h *handler) routes(r *gin.Engine) {
	read := []string{http.MethodGet, http.MethodHead}
	open := r.Group(h.opts.Prefix)
	open.Match(read, "/metadata", h.metadata)
	open.GET("/$versions", h.versions)
	open.OPTIONS("", h.metadata)
	open.OPTIONS("/", h.metadata)
	g := r.Group(h.opts.Prefix, h.admit, h.authenticate)
	g.Match(read, "/:type", h.search)
	g.Match(read, "/:type/:id", h.read)
	g.Match(read, "/:type/:id/:comp", h.compartment)
	g.POST("/:type/:id", h.postSearch)
	vread := func(c *gin.Context) {
		if c.Param("comp") == "_history" {
			h.noHistory(c)
			return
		}
		h.fail(c, http.StatusNotFound, fhir.Issue{Severity: "error", Code: "not-found", SpineCode: "NO_RECORD_FOUND",
			Diagnostics: "no such endpoint: " + c.Request.URL.Path})
	}
	g.Match(read, "/:type/:id/:comp/:vid", vread)
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		g.Handle(m, "", h.refuseWrite)
		g.Handle(m, "/:type", h.refuseWrite)
		if m != http.MethodPost {
			g.Handle(m, "/:type/:id", h.refuseWrite)
		}
	}
}
