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
	open := r.Group(h.opts.Prefix)
	open.GET("/metadata", h.metadata)
	open.HEAD("/metadata", h.metadata)
	open.GET("/$versions", h.versions)
	open.OPTIONS("", h.metadata)
	open.OPTIONS("/", h.metadata)
	g := r.Group(h.opts.Prefix, h.admit, h.authenticate)
	g.GET("/:type", h.search)
	g.HEAD("/:type", h.search)
	g.HEAD("/:type/:id/:comp", h.compartment)
	g.POST("/:type/:id", h.postSearch)
	g.GET("/:type/:id", h.read)
	g.GET("/:type/:id/:comp", h.compartment)
	vread := func(c *gin.Context) {
		if c.Param("comp") == "_history" {
			h.noHistory(c)
			return
		}
		h.fail(c, http.StatusNotFound, fhir.Issue{Severity: "error", Code: "not-found", SpineCode: "NO_RECORD_FOUND",
			Diagnostics: "no such endpoint: " + c.Request.URL.Path})
	}
	g.GET("/:type/:id/:comp/:vid", vread)
	g.HEAD("/:type/:id/:comp/:vid", vread)
	g.HEAD("/:type/:id", h.read)
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		g.Handle(m, "", h.refuseWrite)
		g.Handle(m, "/:type", h.refuseWrite)
		if m != http.MethodPost {
			g.Handle(m, "/:type/:id", h.refuseWrite)
		}
	}
}
