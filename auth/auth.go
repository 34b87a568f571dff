package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Config configures token verification.
type Config struct {
	JWKSURL    string        // keys from this URL (cached, refreshed on an unknown kid), or
	JWKSFile   string        // keys from this file
	Issuers    []string      // accepted iss values (one is required)
	Audiences  []string      // accepted aud values (one is required)
	Algorithms []string      // allowed signature algorithms (default RS256, PS256, ES256)
	ClockSkew  time.Duration // leeway for exp, nbf and iat (default 60s)
	// MinRefresh is the least time between two fetches of the JWKS URL
	// caused by unknown kids (default 30s).
	MinRefresh time.Duration
}

// DefaultAlgorithms are the signature algorithms accepted by default.
var DefaultAlgorithms = []string{"RS256", "PS256", "ES256"}

// ErrNoToken is returned when the request carries no bearer token.
var ErrNoToken = errors.New("no bearer token")

// Principal is what a verified token says of its bearer.
type Principal struct {
	Issuer, Subject, ClientID string
	Scopes                    []Scope
	// Patient is the patient context (the id of a Patient): the token may
	// reach only that patient's data. Empty: no patient context.
	Patient string
	// Claims are the token's other claims (for the Spine Security Proxy
	// checks and the audit trail).
	Claims map[string]any
}

// Scope is one SMART-style scope: context/Type.access.
type Scope struct {
	Context string // patient, user or system
	Type    string // a resource type, or *
	Access  string // read, or *
}

// Allows reports whether some scope grants reading resources of a type.
func (p *Principal) Allows(resourceType string) bool {
	for _, s := range p.Scopes {
		if (s.Type == "*" || s.Type == resourceType) && (s.Access == "read" || s.Access == "*") {
			return true
		}
	}
	return false
}

// ParseScopes reads a space-separated scope string; scopes that are not
// SMART resource scopes (openid, launch, …) are ignored.
func ParseScopes(s string) []Scope {
	var out []Scope
	for _, f := range strings.Fields(s) {
		ctx, rest, ok := strings.Cut(f, "/")
		if !ok || (ctx != "patient" && ctx != "user" && ctx != "system") {
			continue
		}
		typ, access, ok := strings.Cut(rest, ".")
		if !ok || typ == "" || access == "" {
			continue
		}
		out = append(out, Scope{Context: ctx, Type: typ, Access: access})
	}
	return out
}

// Verifier checks tokens.
type Verifier struct {
	cfg     Config
	algs    map[jwa.SignatureAlgorithm]bool
	cache   *jwk.Cache
	static  jwk.Set
	mu      sync.Mutex
	lastRef time.Time
	now     func() time.Time
}

// New makes a verifier; with a JWKS URL it fetches the keys once now, so a
// wrong URL fails at start.
func New(ctx context.Context, cfg Config) (*Verifier, error) {
	if len(cfg.Issuers) == 0 || len(cfg.Audiences) == 0 {
		return nil, errors.New("auth: issuers and audiences are required")
	}
	if (cfg.JWKSURL == "") == (cfg.JWKSFile == "") {
		return nil, errors.New("auth: give jwks_url or jwks_file, one of them")
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = DefaultAlgorithms
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = 60 * time.Second
	}
	if cfg.MinRefresh == 0 {
		cfg.MinRefresh = 30 * time.Second
	}
	v := &Verifier{cfg: cfg, algs: map[jwa.SignatureAlgorithm]bool{}, now: time.Now}
	for _, a := range cfg.Algorithms {
		alg := jwa.SignatureAlgorithm(a)
		if alg == jwa.NoSignature || strings.HasPrefix(a, "HS") {
			return nil, fmt.Errorf("auth: algorithm %s is not allowed (signatures must be asymmetric)", a)
		}
		v.algs[alg] = true
	}
	if cfg.JWKSFile != "" {
		set, err := jwk.ReadFile(cfg.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("auth: jwks_file: %w", err)
		}
		v.static = set
		return v, nil
	}
	v.cache = jwk.NewCache(ctx)
	if err := v.cache.Register(cfg.JWKSURL, jwk.WithMinRefreshInterval(cfg.MinRefresh)); err != nil {
		return nil, fmt.Errorf("auth: jwks_url: %w", err)
	}
	if _, err := v.cache.Refresh(ctx, cfg.JWKSURL); err != nil {
		return nil, fmt.Errorf("auth: jwks_url %s: %w", cfg.JWKSURL, err)
	}
	return v, nil
}

// key finds the key of a kid, refetching the JWKS (at most once per
// MinRefresh) when the kid is unknown.
func (v *Verifier) key(ctx context.Context, kid string) (jwk.Key, error) {
	if v.static != nil {
		if k, ok := v.static.LookupKeyID(kid); ok {
			return k, nil
		}
		return nil, fmt.Errorf("unknown key id %q", kid)
	}
	set, err := v.cache.Get(ctx, v.cfg.JWKSURL)
	if err == nil {
		if k, ok := set.LookupKeyID(kid); ok {
			return k, nil
		}
	}
	v.mu.Lock()
	due := v.now().Sub(v.lastRef) >= v.cfg.MinRefresh
	if due {
		v.lastRef = v.now()
	}
	v.mu.Unlock()
	if due {
		if set, err = v.cache.Refresh(ctx, v.cfg.JWKSURL); err == nil {
			if k, ok := set.LookupKeyID(kid); ok {
				return k, nil
			}
		}
	}
	return nil, fmt.Errorf("unknown key id %q", kid)
}

// Verify checks a token's signature, algorithm, issuer, audience and times,
// and returns its principal.
func (v *Verifier) Verify(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, ErrNoToken
	}
	msg, err := jws.Parse([]byte(token))
	if err != nil || len(msg.Signatures()) != 1 {
		return nil, errors.New("the token is not a signed JWT")
	}
	h := msg.Signatures()[0].ProtectedHeaders()
	alg := h.Algorithm()
	if !v.algs[alg] {
		return nil, fmt.Errorf("signature algorithm %q is not accepted", alg)
	}
	if h.KeyID() == "" {
		return nil, errors.New("the token names no key (kid)")
	}
	key, err := v.key(ctx, h.KeyID())
	if err != nil {
		return nil, err
	}
	if ka := key.Algorithm(); ka != nil && ka.String() != "" && ka.String() != alg.String() {
		return nil, fmt.Errorf("key %q is for %s, not %s", h.KeyID(), ka, alg)
	}
	tok, err := jwt.Parse([]byte(token),
		jwt.WithKey(alg, key),
		jwt.WithValidate(true),
		jwt.WithAcceptableSkew(v.cfg.ClockSkew),
		jwt.WithClock(jwt.ClockFunc(v.now)),
		jwt.WithRequiredClaim("exp"),
		jwt.WithRequiredClaim("iss"),
		jwt.WithRequiredClaim("aud"),
	)
	if err != nil {
		return nil, fmt.Errorf("the token is not valid: %v", err)
	}
	if !contains(v.cfg.Issuers, tok.Issuer()) {
		return nil, fmt.Errorf("issuer %q is not trusted", tok.Issuer())
	}
	audOK := false
	for _, a := range tok.Audience() {
		audOK = audOK || contains(v.cfg.Audiences, a)
	}
	if !audOK {
		return nil, fmt.Errorf("the token is not for this service (aud %v)", tok.Audience())
	}
	if iat := tok.IssuedAt(); !iat.IsZero() && iat.After(v.now().Add(v.cfg.ClockSkew)) {
		return nil, errors.New("the token is issued in the future")
	}
	claims := tok.PrivateClaims()
	p := &Principal{Issuer: tok.Issuer(), Subject: tok.Subject(), Claims: claims}
	if s, ok := claims["client_id"].(string); ok {
		p.ClientID = s
	}
	switch s := claims["scope"].(type) {
	case string:
		p.Scopes = ParseScopes(s)
	case []any:
		var parts []string
		for _, x := range s {
			if str, ok := x.(string); ok {
				parts = append(parts, str)
			}
		}
		p.Scopes = ParseScopes(strings.Join(parts, " "))
	}
	if s, ok := claims["patient"].(string); ok {
		p.Patient = s
	}
	return p, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
