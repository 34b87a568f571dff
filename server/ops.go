package server

import (
	"context"
	"net/http"
	"net/http/pprof"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ccfacade/ccfacade/engine"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Limiter is admission control: at most n requests are served at once
// (sized from the database pool); a request that finds no free slot within
// wait is answered 503 with Retry-After, so that load beyond the database's
// pace queues briefly and is then refused rather than piling up in memory.
type Limiter struct {
	slots chan struct{}
	wait  time.Duration
}

// NewLimiter makes a limiter of n slots.
func NewLimiter(n int, wait time.Duration) *Limiter {
	if n < 1 {
		n = 1
	}
	return &Limiter{slots: make(chan struct{}, n), wait: wait}
}

// Acquire takes a slot, waiting at most the limiter's wait.
func (l *Limiter) Acquire(ctx context.Context) bool {
	select {
	case l.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

// Release gives a slot back.
func (l *Limiter) Release() { <-l.slots }

// Metrics are the facade's Prometheus metrics, in a registry of their own.
type Metrics struct {
	reg           *prometheus.Registry
	requests      *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	statements    prometheus.Histogram
	stmtDuration  *prometheus.HistogramVec
	auditFailures prometheus.Counter
	inFlight      prometheus.Gauge
	refused       prometheus.Counter
	absent        *prometheus.CounterVec
}

// NewMetrics registers the facade's metrics and the Go runtime's; Pool
// adds the database pool's.
func NewMetrics() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ccfacade_requests_total",
			Help: "Requests answered, by interaction, resource type and HTTP status."}, []string{"interaction", "resource", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ccfacade_request_duration_seconds",
			Help: "Time to answer a request, by interaction and resource type.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"interaction", "resource"}),
		statements: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "ccfacade_statements_per_request",
			Help: "SQL statements a request ran.", Buckets: []float64{0, 1, 2, 4, 8, 16, 32, 64}}),
		stmtDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "ccfacade_statement_duration_seconds",
			Help: "Time a SQL statement took, by outcome.", Buckets: prometheus.ExponentialBuckets(0.0001, 2, 18)}, []string{"outcome"}),
		auditFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "ccfacade_audit_failures_total",
			Help: "Audit records that could not be written (each request was refused)."}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "ccfacade_requests_in_flight",
			Help: "Requests being served."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "ccfacade_requests_refused_total",
			Help: "Requests refused with 503 because every slot was busy (admission control)."}),
		absent: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "ccfacade_required_element_absent_total",
			Help: "Resources served without an element their FHIR release requires (min 1; STU3 on /fhir, R4 on /R4), so not valid FHIR, by resource type and element path."}, []string{"resource", "element"}),
	}
	reg.MustRegister(m.requests, m.duration, m.statements, m.stmtDuration, m.auditFailures, m.inFlight, m.refused, m.absent,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Pool adds the statistics of the engine's database pool.
func (m *Metrics) Pool(eng *engine.Engine) { m.reg.MustRegister(poolCollector{eng}) }

// poolCollector reports the database pool's statistics.
type poolCollector struct{ eng *engine.Engine }

var (
	poolOpen  = prometheus.NewDesc("ccfacade_db_connections_open", "Open database connections.", nil, nil)
	poolInUse = prometheus.NewDesc("ccfacade_db_connections_in_use", "Database connections in use.", nil, nil)
	poolIdle  = prometheus.NewDesc("ccfacade_db_connections_idle", "Idle database connections.", nil, nil)
	poolWaits = prometheus.NewDesc("ccfacade_db_wait_total", "Times a request waited for a database connection.", nil, nil)
	poolWait  = prometheus.NewDesc("ccfacade_db_wait_seconds_total", "Time spent waiting for database connections.", nil, nil)
	poolMax   = prometheus.NewDesc("ccfacade_db_connections_max", "The pool's limit of open connections.", nil, nil)
)

func (p poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolOpen, poolInUse, poolIdle, poolWaits, poolWait, poolMax} {
		ch <- d
	}
}

func (p poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.eng.Stats()
	ch <- prometheus.MustNewConstMetric(poolOpen, prometheus.GaugeValue, float64(s.OpenConnections))
	ch <- prometheus.MustNewConstMetric(poolInUse, prometheus.GaugeValue, float64(s.InUse))
	ch <- prometheus.MustNewConstMetric(poolIdle, prometheus.GaugeValue, float64(s.Idle))
	ch <- prometheus.MustNewConstMetric(poolWaits, prometheus.CounterValue, float64(s.WaitCount))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, s.WaitDuration.Seconds())
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxOpenConnections))
}

type statementsKey struct{}

// OnStatement is the engine's statement hook: it counts the statements of
// the request in ctx and times each.
func (m *Metrics) OnStatement(ctx context.Context, took time.Duration, err error) {
	if n, ok := ctx.Value(statementsKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.stmtDuration.WithLabelValues(outcome).Observe(took.Seconds())
}

// OnAbsent is the engine's hook for a resource served without an element
// its release requires (STU3, or R4 on /R4): it counts it by type and element. Both labels come from
// the mapping set (a mapped type, an element path of its plan), never
// from a request, so the series are bounded by the mappings.
func (m *Metrics) OnAbsent(resource, element string) {
	m.absent.WithLabelValues(resource, element).Inc()
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// observe is the middleware that counts and times every request.
func (h *handler) observe(c *gin.Context) {
	m := h.opts.Metrics
	if m == nil {
		c.Next()
		return
	}
	start := time.Now()
	var n atomic.Int64
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), statementsKey{}, &n))
	m.inFlight.Inc()
	defer m.inFlight.Dec()
	c.Next()
	interaction, resource := interactionOf(c)
	switch {
	case c.FullPath() == "" || resource == "":
		resource = "" // no route: the path is the caller's, not a type
	case !h.types[resource]:
		resource = "other" // labels come from a closed set: no caller adds a series
	}
	m.requests.WithLabelValues(interaction, resource, strconv.Itoa(c.Writer.Status())).Inc()
	m.duration.WithLabelValues(interaction, resource).Observe(time.Since(start).Seconds())
	m.statements.Observe(float64(n.Load()))
}

// admit is admission control for the API's requests.
func (h *handler) admit(c *gin.Context) {
	l := h.opts.Limiter
	if l == nil {
		c.Next()
		return
	}
	if !l.Acquire(c.Request.Context()) {
		if h.opts.Metrics != nil {
			h.opts.Metrics.refused.Inc()
		}
		c.Header("Retry-After", RetryAfter)
		c.Set("refused", true)
		h.failUnaudited(c, http.StatusServiceUnavailable, "the service is at capacity; try again shortly")
		c.Abort()
		return
	}
	defer l.Release()
	c.Next()
}

// livez says the process is up: no dependency is checked.
func livez(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// Writable is what an audit sink that can tell whether it could write a
// record now implements (the file sink does).
type Writable interface{ Writable() error }

// readyz says whether the facade can serve: the mappings are loaded, the
// database answers within a short time and the audit sink can be written.
// It names what fails, never data.
func (h *handler) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	var failed []string
	if h.eng == nil || len(h.eng.Set().Mappings) == 0 {
		failed = append(failed, "mappings: none loaded")
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if h.eng != nil {
		if err := h.eng.Ping(ctx); err != nil {
			failed = append(failed, "database: not reachable")
			h.log.Warn("readiness: the database does not answer", "error", err.Error())
		}
	}
	if wr, ok := h.opts.Audit.(Writable); ok {
		if err := wr.Writable(); err != nil {
			failed = append(failed, "audit: cannot write")
			h.log.Warn("readiness: the audit sink cannot be written", "error", err.Error())
		}
	}
	if len(failed) > 0 {
		w.Header().Set("Retry-After", RetryAfter)
		w.WriteHeader(http.StatusServiceUnavailable)
		for _, f := range failed {
			_, _ = w.Write([]byte(f + "\n"))
		}
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// AdminHandler serves what operators need and consumers must not reach:
// /metrics, /livez, /readyz, and with pprof, /debug/pprof/. Serve it on
// its own listener (server.admin_listen).
func AdminHandler(opts Options, pprofOn bool) http.Handler {
	h := newHandler(opts)
	mux := http.NewServeMux()
	mux.HandleFunc("/livez", livez)
	mux.HandleFunc("/readyz", h.readyz)
	if opts.Metrics != nil {
		mux.Handle("/metrics", opts.Metrics.Handler())
	}
	if pprofOn {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return mux
}

// tracer makes a span of every request (a no-op until the program sets a
// tracer provider); traceContext reads and writes W3C traceparent.
var (
	tracer       = otel.Tracer("github.com/ccfacade/ccfacade/server")
	traceContext = propagation.TraceContext{}
)

// traced starts a span for the request, as a child of the caller's W3C
// traceparent when it sends one, and returns the trace in the response's
// traceparent so that a consumer can quote it.
func (h *handler) traced(c *gin.Context) {
	ctx := traceContext.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
	route := c.FullPath()
	if route == "" {
		route = "(no route)"
	}
	ctx, span := tracer.Start(ctx, c.Request.Method+" "+route, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", c.Request.Method), attribute.String("http.route", route)))
	defer span.End()
	if span.SpanContext().IsValid() {
		traceContext.Inject(ctx, propagation.HeaderCarrier(c.Writer.Header()))
	}
	c.Request = c.Request.WithContext(ctx)
	c.Next()
	status := c.Writer.Status()
	span.SetAttributes(attribute.Int("http.response.status_code", status), attribute.String("ccfacade.request_id", c.GetString("rid")))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}
