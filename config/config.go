package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// BuiltinPrefix starts a mappings setting that names a set shipped in the
// binary (builtin:omop) rather than a folder.
const BuiltinPrefix = "builtin:"

// Config is the whole configuration.
type Config struct {
	Server   Server   `yaml:"server"`
	Database Database `yaml:"database"`
	// Mappings is the folder of mapping files, relative to the config file,
	// or BuiltinPrefix and the name of a set shipped in the binary.
	Mappings string `yaml:"mappings"`
	// Profiles are folders of FHIR STU3 definitions (StructureDefinitions
	// with snapshots, ValueSets, CodeSystems as JSON), relative to the
	// config file, added to the built-in STU3 and Care Connect ones.
	Profiles []string `yaml:"profiles"`
	// ProfilesR4 are folders of FHIR R4 definitions, relative to the
	// config file, added to the built-in R4 and UK Core ones: profiles a
	// mapping's r4 section may name, checked by lint.
	ProfilesR4 []string `yaml:"profiles_r4"`
	// Timezone is the zone of date-times the database stores without one,
	// and of search values given without one.
	Timezone string  `yaml:"timezone"`
	Paging   Paging  `yaml:"paging"`
	Log      Log     `yaml:"log"`
	Auth     Auth    `yaml:"auth"`
	Audit    Audit   `yaml:"audit"`
	Tracing  Tracing `yaml:"tracing"`
	// GPConnect serves GP Connect Access Record: Structured beside the
	// Care Connect API, from the same mappings.
	GPConnect GPConnect `yaml:"gpconnect"`

	// File is the path the configuration was read from.
	File string `yaml:"-"`
}

// Server is the HTTP listener.
type Server struct {
	Listen          string   `yaml:"listen"`
	BaseURL         string   `yaml:"base_url"`
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	ReadTimeout     Duration `yaml:"read_timeout"`
	WriteTimeout    Duration `yaml:"write_timeout"`
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request, on the API's listener and the admin listener alike.
	IdleTimeout Duration `yaml:"idle_timeout"`
	TLS         TLS      `yaml:"tls"`
	// CORSOrigins are the browser origins allowed to call the API; empty
	// (the default) sends no CORS headers.
	CORSOrigins []string `yaml:"cors_origins"`
	// TrustedProxies are the addresses or CIDRs of the proxies whose
	// X-Forwarded-For / X-Real-IP give the client's address (for the audit
	// trail); empty (the default) trusts none.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// AdminListen is the address of the operators' listener: /metrics,
	// /livez, /readyz (and pprof when Pprof): keep it off the public port.
	// Empty: no admin listener (/livez and /readyz are on the API's too).
	AdminListen string `yaml:"admin_listen"`
	// Pprof serves Go's profiler on the admin listener.
	Pprof bool `yaml:"pprof"`
	// MaxConcurrent is how many requests are served at once (default:
	// database.max_open_conns); others wait up to QueueTimeout, then get
	// 503 with Retry-After.
	MaxConcurrent int      `yaml:"max_concurrent"`
	QueueTimeout  Duration `yaml:"queue_timeout"`
	// MemoryLimitMB is the Go runtime's soft memory limit (the garbage
	// collector works harder as the heap nears it); the GOMEMLIMIT
	// environment variable, when set, takes precedence. 0: no limit.
	MemoryLimitMB int `yaml:"memory_limit_mb"`
	// R4Path is where UK Core (FHIR R4) is served beside Care Connect
	// (STU3, /fhir), from the same mappings; empty: not served.
	// R4BaseURL is its public base in links (default: base_url with its
	// /fhir replaced by R4Path).
	R4Path    string `yaml:"r4_path"`
	R4BaseURL string `yaml:"r4_base_url"`
}

// TLS serves HTTPS (TLS 1.2 or later) when a certificate is given, with
// mutual TLS when a client CA is given.
type TLS struct {
	CertFile     string `yaml:"cert_file"`
	KeyFile      string `yaml:"key_file"`
	ClientCAFile string `yaml:"client_ca_file"`
}

// Database is the adapter and its connection.
type Database struct {
	Adapter          string   `yaml:"adapter"`
	DSN              Secret   `yaml:"dsn"`
	MaxOpenConns     int      `yaml:"max_open_conns"`
	MaxIdleConns     int      `yaml:"max_idle_conns"`
	ConnMaxLifetime  Duration `yaml:"conn_max_lifetime"`
	StatementTimeout Duration `yaml:"statement_timeout"`
	// StatementCache is how many prepared statements are kept, by text,
	// where the adapter reuses them (PostgreSQL, SQLite); 0 turns it off.
	StatementCache int `yaml:"statement_cache"`
}

// Paging configures search result pages.
type Paging struct {
	DefaultCount int      `yaml:"default_count"`
	MaxCount     int      `yaml:"max_count"`
	Secret       Secret   `yaml:"secret"`
	CursorTTL    Duration `yaml:"cursor_ttl"`
}

// Auth configures who may call the API.
type Auth struct {
	// Mode is none (every caller reads everything: the demo default) or
	// jwt (bearer tokens, verified; SMART scopes; patient context).
	Mode string `yaml:"mode"`
	JWT  JWT    `yaml:"jwt"`
	SSP  SSP    `yaml:"ssp"`
}

// SSP is Spine Security Proxy mode: requests must carry the SSP headers and
// GP Connect style claims (it needs mode jwt).
type SSP struct {
	Enabled bool   `yaml:"enabled"`
	ASID    string `yaml:"asid"` // this service's ASID: Ssp-To must equal it
	// PractitionerIdentifier is the system of the requesting_practitioner
	// identifier that the token's sub must equal; empty: its id.
	PractitionerIdentifier string `yaml:"practitioner_identifier"`
}

// GPConnect serves GP Connect Access Record: Structured 1.6 (POST
// {path}/Patient/$gpc.getstructuredrecord and GET {path}/metadata) on a
// FHIR base of its own. Its requests come through the Spine Security
// Proxy: their Ssp- headers and unsigned audit token are checked whatever
// auth.mode says (the proxy's mutual TLS, server.tls.client_ca_file, is
// the authentication).
type GPConnect struct {
	Enabled bool   `yaml:"enabled"`
	Path    string `yaml:"path"` // the base's path (default /gpconnect/fhir)
	ASID    string `yaml:"asid"` // this provider's ASID: Ssp-To must equal it
	// PractitionerIdentifier is the system of the requesting_practitioner
	// identifier that the token's sub must equal; empty: its id.
	PractitionerIdentifier string `yaml:"practitioner_identifier"`
	// Areas are the clinical areas offered (allergies, medication, …);
	// absent: every area the facade answers from the mappings; []: none.
	Areas []string `yaml:"areas"`
	// Overlay is the mapping set's GP Connect overlay: a file relative to
	// the config file, or builtin:NAME (a shipped set's); empty: the
	// shipped set's when mappings is builtin:NAME, else none.
	Overlay string `yaml:"overlay"`
	// Practices are the ODS codes of the practices GP Connect is enabled
	// at: the record of a patient registered elsewhere is 403 ACCESS
	// DENIED. Absent or empty: every practice.
	Practices []string `yaml:"practices"`
}

// JWT configures bearer-token verification.
type JWT struct {
	JWKSURL    string   `yaml:"jwks_url"`
	JWKSFile   string   `yaml:"jwks_file"`
	Issuers    []string `yaml:"issuers"`
	Audiences  []string `yaml:"audiences"`
	Algorithms []string `yaml:"algorithms"`
	ClockSkew  Duration `yaml:"clock_skew"`
	// MaxLifetime, when set, refuses tokens valid for longer (exp - iat).
	MaxLifetime Duration `yaml:"max_lifetime"`
}

// Audit configures the audit trail: one JSON line per request.
type Audit struct {
	Sink      string `yaml:"sink"` // none | stdout | file
	Path      string `yaml:"path"`
	MaxSizeMB int    `yaml:"max_size_mb"` // rotate past this size (default 100)
	Keep      int    `yaml:"keep"`        // rotated files kept (default 10)
}

// Tracing sends OpenTelemetry spans (a span per request and per SQL
// statement) to an OTLP/HTTP collector; off when Endpoint is empty.
type Tracing struct {
	Endpoint    string  `yaml:"endpoint"`     // e.g. http://otel-collector:4318 (OTLP over HTTP)
	ServiceName string  `yaml:"service_name"` // default ccfacade
	SampleRatio float64 `yaml:"sample_ratio"` // of traces begun here (default 1); a caller's sampled traceparent is followed
}

// Log configures logging.
type Log struct {
	Level  string `yaml:"level"`  // debug | info | warn | error
	Format string `yaml:"format"` // text | json
}

// Secret is a string that prints as <secret>.
type Secret string

func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "<secret>"
}

// MarshalYAML keeps secrets out of dumps.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// Duration is a time.Duration written as "5s", "1m30s".
type Duration time.Duration

// UnmarshalYAML parses a Go duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%q is not a duration (e.g. 5s, 1m30s)", n.Value)
	}
	*d = Duration(v)
	return nil
}

// Default returns the configuration used when a key is not given.
func Default() Config {
	return Config{
		Server: Server{
			Listen:          "127.0.0.1:8080",
			ShutdownTimeout: Duration(10 * time.Second),
			ReadTimeout:     Duration(30 * time.Second),
			WriteTimeout:    Duration(60 * time.Second),
			IdleTimeout:     Duration(2 * time.Minute),
			QueueTimeout:    Duration(2 * time.Second),
			MemoryLimitMB:   192,
			R4Path:          "/R4",
		},
		Database:  Database{MaxOpenConns: 16, MaxIdleConns: 16, ConnMaxLifetime: Duration(30 * time.Minute), StatementTimeout: Duration(30 * time.Second), StatementCache: 256},
		Timezone:  "Europe/London",
		Paging:    Paging{DefaultCount: 50, MaxCount: 1000, CursorTTL: Duration(24 * time.Hour)},
		Log:       Log{Level: "info", Format: "text"},
		Auth:      Auth{Mode: "none", JWT: JWT{ClockSkew: Duration(60 * time.Second)}},
		Audit:     Audit{Sink: "none", MaxSizeMB: 100, Keep: 10},
		Tracing:   Tracing{ServiceName: "ccfacade", SampleRatio: 1},
		GPConnect: GPConnect{Path: "/gpconnect/fhir"},
	}
}

var unknownField = regexp.MustCompile(`field (\S+) not found in type config\.(\w+)`)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// Expand substitutes ${VAR} and ${VAR:-default}; a variable that is unset
// and has no default is an error naming it and its line.
func Expand(data []byte, lookup func(string) (string, bool)) ([]byte, error) {
	var errs []string
	lines := bytes.Split(data, []byte("\n"))
	for i, line := range lines {
		if t := bytes.TrimSpace(line); len(t) > 0 && t[0] == '#' {
			continue // comments are not expanded
		}
		lines[i] = envRef.ReplaceAllFunc(line, func(m []byte) []byte {
			sub := envRef.FindSubmatch(m)
			if v, ok := lookup(string(sub[1])); ok {
				return []byte(v)
			}
			if len(sub[2]) > 0 {
				return sub[3]
			}
			errs = append(errs, fmt.Sprintf("%d: environment variable %s is not set", i+1, sub[1]))
			return m
		})
	}
	if len(errs) > 0 {
		return nil, errors.New(strings.Join(errs, "; "))
	}
	return bytes.Join(lines, []byte("\n")), nil
}

// Load reads a configuration file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, os.LookupEnv)
}

// Parse parses configuration text; name is used in errors.
func Parse(name string, data []byte, lookup func(string) (string, bool)) (*Config, error) {
	expanded, err := Expand(data, lookup)
	if err != nil {
		return nil, fmt.Errorf("%s:%w", name, err)
	}
	cfg := Default()
	dec := yaml.NewDecoder(bytes.NewReader(expanded))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: the configuration is empty", name)
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			msgs := make([]string, len(te.Errors))
			for i, m := range te.Errors {
				msgs[i] = name + ":" + strings.TrimPrefix(unknownField.ReplaceAllString(m, `unknown key "$1" in $2`), "line ")
			}
			return nil, errors.New(strings.Join(msgs, "\n"))
		}
		return nil, fmt.Errorf("%s:%s", name, strings.TrimPrefix(strings.TrimPrefix(err.Error(), "yaml: "), "line "))
	}
	cfg.File = name
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	for _, p := range []*string{&cfg.Server.TLS.CertFile, &cfg.Server.TLS.KeyFile, &cfg.Server.TLS.ClientCAFile} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(filepath.Dir(name), *p)
		}
	}
	if cfg.Audit.Path != "" && !filepath.IsAbs(cfg.Audit.Path) {
		cfg.Audit.Path = filepath.Join(filepath.Dir(name), cfg.Audit.Path)
	}
	for _, dirs := range [][]string{cfg.Profiles, cfg.ProfilesR4} {
		for i, p := range dirs {
			if p != "" && !filepath.IsAbs(p) {
				dirs[i] = filepath.Join(filepath.Dir(name), p)
			}
		}
	}
	if o := cfg.GPConnect.Overlay; o != "" && !filepath.IsAbs(o) && !strings.HasPrefix(o, BuiltinPrefix) {
		cfg.GPConnect.Overlay = filepath.Join(filepath.Dir(name), o)
	}
	if cfg.Mappings != "" && !filepath.IsAbs(cfg.Mappings) && !strings.HasPrefix(cfg.Mappings, BuiltinPrefix) {
		cfg.Mappings = filepath.Join(filepath.Dir(name), cfg.Mappings)
	}
	return &cfg, nil
}

// validate checks the configuration and lists every problem.
func (c *Config) validate() error {
	var errs []string
	if c.Database.Adapter == "" {
		errs = append(errs, "database.adapter is required (e.g. sqlite, postgres)")
	}
	if c.Database.DSN == "" {
		errs = append(errs, "database.dsn is required")
	}
	if c.Database.StatementCache < 0 {
		errs = append(errs, fmt.Sprintf("database.statement_cache is a number of statements (0: off), not %d", c.Database.StatementCache))
	}
	if c.Mappings == "" {
		errs = append(errs, "mappings is required: the folder of mapping files (or builtin:NAME)")
	}
	for _, p := range c.Profiles {
		if p == "" {
			errs = append(errs, "profiles: an empty folder name")
		}
	}
	for _, p := range c.ProfilesR4 {
		if p == "" {
			errs = append(errs, "profiles_r4: an empty folder name")
		}
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		errs = append(errs, fmt.Sprintf("timezone %q is not a known zone", c.Timezone))
	}
	if c.Paging.DefaultCount < 1 || c.Paging.MaxCount < c.Paging.DefaultCount {
		errs = append(errs, "paging: default_count must be at least 1 and max_count at least default_count")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Sprintf("log.level %q is not one of debug, info, warn, error", c.Log.Level))
	}
	if c.Auth.SSP.Enabled && c.Auth.Mode != "jwt" {
		errs = append(errs, "auth.ssp needs auth.mode jwt: the proxy forwards the consumer's token")
	}
	if c.Auth.SSP.Enabled && !regexp.MustCompile(`^[0-9]{1,20}$`).MatchString(c.Auth.SSP.ASID) {
		errs = append(errs, "auth.ssp.asid is required: this service's ASID (digits), which Ssp-To must equal")
	}
	switch c.Auth.Mode {
	case "none":
	case "jwt":
		j := c.Auth.JWT
		if (j.JWKSURL == "") == (j.JWKSFile == "") {
			errs = append(errs, "auth.jwt: give jwks_url or jwks_file, one of them")
		}
		if len(j.Issuers) == 0 || len(j.Audiences) == 0 {
			errs = append(errs, "auth.jwt: issuers and audiences are required")
		}
	default:
		errs = append(errs, fmt.Sprintf("auth.mode %q is not one of none, jwt", c.Auth.Mode))
	}
	for _, p := range c.Server.TrustedProxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			errs = append(errs, fmt.Sprintf("server.trusted_proxies: %q is not an IP address or CIDR", p))
		}
	}
	if err := CheckBaseURL(c.Server.BaseURL); err != nil {
		errs = append(errs, err.Error())
	}
	errs = append(errs, c.Server.checkR4()...)
	if c.Tracing.SampleRatio < 0 || c.Tracing.SampleRatio > 1 {
		errs = append(errs, "tracing.sample_ratio is between 0 and 1")
	}
	if e := c.Tracing.Endpoint; e != "" {
		if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Sprintf("tracing.endpoint %q is not an http(s) URL of an OTLP collector (e.g. http://otel-collector:4318)", e))
		}
	}
	if c.Server.MemoryLimitMB < 0 {
		errs = append(errs, "server.memory_limit_mb must not be negative")
	}
	if c.Server.IdleTimeout <= 0 {
		errs = append(errs, "server.idle_timeout must be positive: kept-alive connections are closed after it")
	}
	if c.Server.MaxConcurrent < 0 {
		errs = append(errs, "server.max_concurrent must not be negative")
	}
	if c.Server.Pprof && c.Server.AdminListen == "" {
		errs = append(errs, "server.pprof needs server.admin_listen: the profiler is never served on the API's port")
	}
	if c.Auth.JWT.MaxLifetime < 0 {
		errs = append(errs, "auth.jwt.max_lifetime must not be negative")
	}
	if (c.Server.TLS.CertFile == "") != (c.Server.TLS.KeyFile == "") {
		errs = append(errs, "server.tls: give both cert_file and key_file")
	}
	if c.Server.TLS.ClientCAFile != "" && c.Server.TLS.CertFile == "" {
		errs = append(errs, "server.tls: client_ca_file needs cert_file and key_file")
	}
	switch c.Audit.Sink {
	case "none", "stdout":
	case "file":
		if c.Audit.Path == "" {
			errs = append(errs, "audit.path is required when audit.sink is file")
		}
	default:
		errs = append(errs, fmt.Sprintf("audit.sink %q is not one of none, stdout, file", c.Audit.Sink))
	}
	if g := c.GPConnect; g.Enabled {
		if c.Auth.Mode != "none" && c.Server.TLS.ClientCAFile == "" {
			// GP Connect's tokens are unsigned: the proxy's mutual TLS is
			// what authenticates its callers. Without it, anyone could read
			// any record there while the other bases demand signed tokens.
			errs = append(errs, "gpconnect.enabled needs server.tls.client_ca_file when auth.mode is not none: GP Connect's tokens are unsigned, so the Spine Security Proxy's mutual TLS is what authenticates its callers")
		}
		if !regexp.MustCompile(`^[0-9]{1,20}$`).MatchString(g.ASID) {
			errs = append(errs, "gpconnect.asid is required: this provider's ASID (digits), which Ssp-To must equal")
		}
		switch {
		case !regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`).MatchString(g.Path):
			errs = append(errs, fmt.Sprintf("gpconnect.path %q is not a path such as /gpconnect/fhir", g.Path))
		case g.Path == "/fhir" || strings.HasPrefix(g.Path, "/fhir/"):
			errs = append(errs, fmt.Sprintf("gpconnect.path %q is the Care Connect API's base (/fhir) or under it: give GP Connect a base of its own", g.Path))
		case overlaps(g.Path, c.Server.R4Path):
			errs = append(errs, fmt.Sprintf("gpconnect.path %q and server.r4_path %q overlap (one is the other or under it): give GP Connect and R4 a base each", g.Path, c.Server.R4Path))
		}
		for i, code := range g.Practices {
			if !regexp.MustCompile(`^[A-Za-z0-9]{3,10}$`).MatchString(code) {
				errs = append(errs, fmt.Sprintf("gpconnect.practices[%d] %q is not an ODS code (letters and digits, e.g. B81001)", i, code))
			}
		}
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		errs = append(errs, fmt.Sprintf("log.format %q is not one of text, json", c.Log.Format))
	}
	if len(errs) > 0 {
		return errors.New(strings.Join(errs, "; "))
	}
	return nil
}

// CheckBaseURL checks a server.base_url: empty, or an absolute http(s) URL
// with no query or fragment.
func CheckBaseURL(b string) error {
	if b == "" {
		return nil
	}
	if u, err := url.Parse(b); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("server.base_url %q is not an absolute http(s) URL (e.g. https://fhir.example.nhs.uk/fhir)", b)
	}
	return nil
}

// Location returns the configured time zone.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// overlaps tells whether two bases share paths: one is the other or under
// it ("" shares none).
func overlaps(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return a == b || strings.HasPrefix(a, b+"/") || strings.HasPrefix(b, a+"/")
}

// checkR4 checks where R4 is served: a path of its own, not the Care
// Connect API's, and a base URL to make its links from wherever
// base_url does not end in /fhir.
func (s *Server) checkR4() []string {
	p := s.R4Path
	if p == "" {
		return nil
	}
	var errs []string
	switch {
	case !regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`).MatchString(p):
		errs = append(errs, fmt.Sprintf("server.r4_path %q is not a path such as /R4", p))
	case p == "/fhir" || strings.HasPrefix(p, "/fhir/"):
		errs = append(errs, fmt.Sprintf("server.r4_path %q is the Care Connect API's base (/fhir) or under it: give R4 a base of its own", p))
	}
	if b := s.R4BaseURL; b != "" {
		if err := CheckBaseURL(b); err != nil {
			errs = append(errs, "server.r4_base_url"+strings.TrimPrefix(err.Error(), "server.base_url"))
		}
	}
	return errs
}

// R4Unplaced tells why R4 is not served though r4_path names a base: the
// R4 base URL cannot be made from a base_url that does not end in /fhir,
// and r4_base_url does not give it. A configuration written before R4 was
// served still starts, Care Connect alone, and serve says why.
func (s *Server) R4Unplaced() string {
	if s.R4Path == "" || s.R4BaseURL != "" || s.BaseURL == "" || strings.HasSuffix(strings.TrimRight(s.BaseURL, "/"), "/fhir") {
		return ""
	}
	return fmt.Sprintf("UK Core R4 is not served: server.base_url %q does not end in /fhir, so the R4 base cannot be made from it; set server.r4_base_url (or server.r4_path: \"\" to say R4 is off)", s.BaseURL)
}
