package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/ccfacade/ccfacade/audit"
	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/catalog"
	"github.com/ccfacade/ccfacade/config"
	"github.com/ccfacade/ccfacade/engine"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/server"
)

func serve(ctx context.Context, fs *flag.FlagSet, src *sourceFlags, args []string, stdout, stderr io.Writer) error {
	listen := fs.String("listen", "", "address to listen on (default from config, else 127.0.0.1:8080)")
	baseURL := fs.String("base-url", "", "public base URL of the API in links (default from config); required to listen on a non-loopback address")
	secureDemo, secureDir, secureSSP := registerSecureDemo(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *secureDemo && (src.config != "" || src.mappings != "" || src.adapter != "" || src.dsn != "") {
		return &usageError{"-secure-demo serves the built-in demo only; with a configuration of your own, set server.tls and auth.jwt"}
	}
	boot := newLogger(&config.Config{Log: config.Default().Log}, stderr)
	s, err := src.open(ctx, true, boot)
	if err != nil {
		return err
	}
	defer s.Close()
	cfg := s.cfg
	var demoKeys demoFiles
	if *secureDemo {
		dir, err := secureDemoDir(*secureDir)
		if err != nil {
			return err
		}
		if demoKeys, err = ensureSecureDemo(dir); err != nil {
			return err
		}
		secureDemoConfig(cfg, demoKeys)
		if *secureSSP {
			cfg.Auth.SSP = config.SSP{Enabled: true, ASID: demoASID}
		}
	}
	log := newLogger(cfg, stderr)
	if *listen != "" {
		cfg.Server.Listen = *listen
	}
	if *baseURL != "" {
		cfg.Server.BaseURL = *baseURL
		if err := config.CheckBaseURL(*baseURL); err != nil {
			return err
		}
	}
	if cfg.Server.BaseURL == "" && !loopback(cfg.Server.Listen) {
		return fmt.Errorf("server.base_url is required to listen on %s, which is not a loopback address: links in responses are made from it, never from a request's Host header (or give -base-url)", cfg.Server.Listen)
	}
	if lim := cfg.Server.MemoryLimitMB; lim > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(lim) << 20)
	}
	stopTracing, err := startTracing(ctx, cfg.Tracing)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = stopTracing(sctx)
	}()
	if cfg.Tracing.Endpoint != "" {
		log.Info("tracing: OTLP/HTTP", "endpoint", cfg.Tracing.Endpoint, "sample_ratio", cfg.Tracing.SampleRatio)
	}
	metrics := server.NewMetrics()
	eng, err := engine.New(s.cat, s.db, engine.Options{
		DefaultCount: cfg.Paging.DefaultCount, MaxCount: cfg.Paging.MaxCount,
		PagingSecret: []byte(cfg.Paging.Secret), CursorTTL: time.Duration(cfg.Paging.CursorTTL),
		Logger: log, StatementTimeout: time.Duration(cfg.Database.StatementTimeout),
		StatementCache: statementCache(cfg.Database.StatementCache),
		OnStatement:    metrics.OnStatement,
		OnAbsent:       metrics.OnAbsent,
	})
	if err != nil {
		return err
	}
	metrics.Pool(eng)
	slots := cfg.Server.MaxConcurrent
	if slots == 0 {
		slots = cfg.Database.MaxOpenConns
	}
	if cfg.Paging.Secret == "" {
		log.Warn("paging.secret is not set: paging links work only on this instance and until it restarts")
	}
	opts := server.Options{Engine: eng, BaseURL: cfg.Server.BaseURL, Logger: log, Version: Version, CORSOrigins: cfg.Server.CORSOrigins,
		TrustedProxies: cfg.Server.TrustedProxies,
		Metrics:        metrics, Limiter: server.NewLimiter(slots, time.Duration(cfg.Server.QueueTimeout)),
		SecurityNote: "No authentication: this instance is open to every caller."}
	opts.R4Prefix, opts.R4BaseURL = cfg.Server.R4Path, cfg.Server.R4BaseURL
	if why := cfg.Server.R4Unplaced(); why != "" {
		log.Warn(why)
		opts.R4Prefix = ""
	}
	if cfg.Auth.Mode == "jwt" {
		j := cfg.Auth.JWT
		v, err := auth.New(ctx, auth.Config{JWKSURL: j.JWKSURL, JWKSFile: j.JWKSFile, Issuers: j.Issuers, Audiences: j.Audiences,
			Algorithms: j.Algorithms, ClockSkew: time.Duration(j.ClockSkew), MaxLifetime: time.Duration(j.MaxLifetime)})
		if err != nil {
			return err
		}
		opts.Verifier = v
		opts.SecurityNote = "OAuth2 bearer tokens (JWT, signature verified against the issuer's keys) with SMART App Launch (v1) scopes: patient/<Type>.read reaches only the resources of the token's patient context (patient or nhs_number claim) and nothing without one; user/ and system/<Type>.read reach every resource of the type."
		log.Info("authentication: JWT bearer tokens", "issuers", strings.Join(j.Issuers, ","), "audiences", strings.Join(j.Audiences, ","))
		if cfg.Auth.SSP.Enabled {
			opts.SSP = &server.SSPOptions{ASID: cfg.Auth.SSP.ASID, PractitionerIdentifier: cfg.Auth.SSP.PractitionerIdentifier}
			log.Info("Spine Security Proxy mode: SSP headers and claims are required", "asid", cfg.Auth.SSP.ASID)
		}
	} else {
		log.Warn("authentication is off: every caller can read every record; serve only on a trusted network")
	}
	switch cfg.Audit.Sink {
	case "file":
		f, err := audit.OpenFile(cfg.Audit.Path, int64(cfg.Audit.MaxSizeMB)<<20, cfg.Audit.Keep)
		if err != nil {
			return err
		}
		defer f.Close()
		opts.Audit = f
		log.Info("audit trail", "file", cfg.Audit.Path)
	case "stdout":
		opts.Audit = audit.NewWriter(stdout)
	default:
		log.Warn("the audit trail is off (audit.sink: none)")
	}
	if cfg.GPConnect.Enabled {
		if opts.GPConnect, err = gpconnectService(cfg, eng, log); err != nil {
			return err
		}
	}
	handler := server.New(opts)

	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Duration(cfg.Server.ReadTimeout),
		WriteTimeout:      time.Duration(cfg.Server.WriteTimeout),
		IdleTimeout:       time.Duration(cfg.Server.IdleTimeout),
		MaxHeaderBytes:    64 << 10,
	}
	scheme := "http"
	if t := cfg.Server.TLS; t.CertFile != "" {
		tc, err := tlsConfig(t)
		if err != nil {
			return err
		}
		srv.TLSConfig = tc
		ln = tls.NewListener(ln, tc)
		scheme = "https"
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 2)
	var admin *http.Server
	if cfg.Server.AdminListen != "" {
		aln, err := net.Listen("tcp", cfg.Server.AdminListen)
		if err != nil {
			return fmt.Errorf("server.admin_listen: %w", err)
		}
		// No write timeout: a CPU profile takes as long as it is asked to.
		admin = &http.Server{Handler: server.AdminHandler(opts, cfg.Server.Pprof), ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout: 30 * time.Second, IdleTimeout: time.Duration(cfg.Server.IdleTimeout), MaxHeaderBytes: 64 << 10}
		if cfg.Server.Pprof && !loopback(aln.Addr().String()) {
			log.Warn("server.pprof is on and server.admin_listen is reachable from other hosts: the profiler shows the process's memory and code to anyone who can connect; listen on 127.0.0.1 or a private interface", "addr", aln.Addr().String())
		}
		go func() { errc <- admin.Serve(aln) }()
		log.Info("admin listener: /metrics, /livez, /readyz", "addr", aln.Addr().String(), "pprof", cfg.Server.Pprof)
		fmt.Fprintf(stdout, "ccfacade admin on http://%s (/metrics /livez /readyz)\n", aln.Addr())
	}
	go func() { errc <- srv.Serve(ln) }()
	refreshConcepts(ctx, s, log)
	for _, line := range s.set.Summary() {
		log.Info("mapping loaded", "mapping", line)
	}
	log.Info("serving the Care Connect API", "url", scheme+"://"+ln.Addr().String()+"/fhir", "adapter", cfg.Database.Adapter, "mappings", cfg.Mappings)
	fmt.Fprintf(stdout, "ccfacade %s serving %s://%s/fhir\n", Version, scheme, ln.Addr())
	if p := cfg.Server.R4Path; p != "" {
		logR4(log, s.set, scheme+"://"+ln.Addr().String()+p)
		fmt.Fprintf(stdout, "UK Core (FHIR R4) on %s://%s%s\n", scheme, ln.Addr(), p)
	}
	if opts.GPConnect != nil {
		log.Info("serving GP Connect Access Record: Structured", "url", scheme+"://"+ln.Addr().String()+opts.GPConnect.Path())
		fmt.Fprintf(stdout, "GP Connect Access Record: Structured on %s://%s%s (tokens: ccfacade token -gpconnect record)\n", scheme, ln.Addr(), opts.GPConnect.Path())
	}
	if *secureDemo {
		for _, line := range secureDemoHints(demoKeys.cert, *secureDir, *secureSSP, scheme+"://"+ln.Addr().String()+"/fhir") {
			fmt.Fprintln(stdout, line)
		}
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", time.Duration(cfg.Server.ShutdownTimeout).String())
	sctx, cancel := context.WithTimeout(context.Background(), time.Duration(cfg.Server.ShutdownTimeout))
	defer cancel()
	if admin != nil {
		_ = admin.Shutdown(sctx)
	}
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// loopback reports whether a listen address is on a loopback interface
// only (127.0.0.0/8, ::1 or localhost).
// refreshConcepts reads again, every Refresh until ctx ends, each concept
// map read from a table; a failed read keeps the entries the map had, and
// is logged.
func refreshConcepts(ctx context.Context, s *setup, log *slog.Logger) {
	for name, cm := range s.set.Concepts {
		if cm.From == nil || cm.Refresh <= 0 {
			continue
		}
		go func() {
			t := time.NewTicker(cm.Refresh)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if err := catalog.RefreshConcepts(ctx, s.db, cm); err != nil {
					log.Warn("concept map not refreshed: it keeps its entries", "map", name, "error", err)
					continue
				}
				log.Info("concept map refreshed", "map", name, "entries", cm.Len())
			}
		}()
	}
}

func loopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// tlsConfig is TLS 1.2 or later with the configured certificate, and, with a
// client CA, client certificates required and verified (mutual TLS).
func tlsConfig(t config.TLS) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("server.tls: %w", err)
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert},
		// TLS 1.2 with forward secrecy and AEAD only (TLS 1.3's suites are
		// all of that kind and not configurable).
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		}}
	if t.ClientCAFile != "" {
		pem, err := os.ReadFile(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("server.tls: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("server.tls: no certificate in %s", t.ClientCAFile)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// statementCache turns the configuration's statement_cache (0: off) into
// the engine's option (0: the default, negative: off).
func statementCache(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// logR4 says where R4 is served, and which mappings it does not serve
// and why.
func logR4(log *slog.Logger, set *mapping.Set, url string) {
	var served []string
	for _, m := range set.Mappings {
		if m.Serves(mapping.R4) {
			served = append(served, m.Resource)
			continue
		}
		for _, e := range m.R4Problems() {
			log.Warn("mapping not served as R4 (UK Core)", "resource", m.Resource, "at", e.Pos.String(), "path", e.Path, "problem", e.Msg)
		}
	}
	log.Info("serving UK Core (FHIR R4)", "url", url, "types", strings.Join(served, ","))
}
