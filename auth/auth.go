package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	// MaxLifetime, when set, is the longest a token may be valid: exp less
	// iat (or, without iat, exp less now) may not exceed it.
	MaxLifetime time.Duration
}

// DefaultAlgorithms are the signature algorithms accepted by default.
var DefaultAlgorithms = []string{"RS256", "PS256", "ES256"}

// ErrNoToken is returned when the request carries no bearer token.
var ErrNoToken = errors.New("no bearer token")

// Principal is what a verified token says of its bearer: every claim the
// facade acts on, each of its one accepted JSON type (claimTypes). It is
// built in one place, Verify.
type Principal struct {
	Issuer, Subject, ClientID, TokenID string
	Scopes                             []Scope
	// Patient is the patient context given as the id of a Patient: the
	// token's patient/ scopes reach only that patient's data. Empty: none.
	Patient string
	// NHSNumber is the patient context given as an NHS number (10 digits).
	NHSNumber string
	// SSP holds the Spine Security Proxy (GP Connect style) claims, those
	// present.
	SSP SSPClaims
}

// SSPClaims are the GP Connect style claims a token forwarded by the Spine
// Security Proxy carries; a nil map is an absent claim.
type SSPClaims struct {
	ReasonForRequest, RequestedScope                                 string
	RequestingDevice, RequestingOrganization, RequestingPractitioner map[string]any
}

// HasPatientContext reports whether the token names a patient.
func (p *Principal) HasPatientContext() bool { return p.Patient != "" || p.NHSNumber != "" }

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
	// The signature first; then the type of every claim the facade knows,
	// so that a claim of the wrong type is refused by name; then the
	// registered claims' values.
	payload, err := jws.Verify([]byte(token), jws.WithKey(alg, key))
	if err != nil {
		return nil, errors.New("the token's signature does not verify")
	}
	c, err := parseClaims(payload)
	if err != nil {
		return nil, err
	}
	tok, err := jwt.Parse([]byte(token),
		jwt.WithVerify(false),
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
	if !slices.Contains(v.cfg.Issuers, tok.Issuer()) {
		return nil, fmt.Errorf("issuer %q is not trusted", tok.Issuer())
	}
	audOK := false
	for _, a := range tok.Audience() {
		audOK = audOK || slices.Contains(v.cfg.Audiences, a)
	}
	if !audOK {
		return nil, fmt.Errorf("the token is not for this service (aud %v)", tok.Audience())
	}
	now := v.now()
	if iat := tok.IssuedAt(); !iat.IsZero() && iat.After(now.Add(v.cfg.ClockSkew)) {
		return nil, errors.New("the token is issued in the future")
	}
	if v.cfg.MaxLifetime > 0 {
		from := tok.IssuedAt()
		if from.IsZero() {
			from = now
		}
		if life := tok.Expiration().Sub(from); life > v.cfg.MaxLifetime+v.cfg.ClockSkew {
			return nil, fmt.Errorf("the token is valid for %s, longer than this service accepts (%s)", life.Round(time.Second), v.cfg.MaxLifetime)
		}
	}
	return principal(tok, c), nil
}

// principal builds the principal from a verified token and its typed
// claims: the one place the facade reads claims.
func principal(tok jwt.Token, c claims) *Principal {
	p := &Principal{Issuer: tok.Issuer(), Subject: tok.Subject()}
	p.ClientID, _ = c.str("client_id")
	p.TokenID, _ = c.str("jti")
	if s, ok := c.str("scope"); ok {
		p.Scopes = ParseScopes(s)
	}
	p.Patient, _ = c.str("patient")
	p.NHSNumber, _ = c.str("nhs_number")
	p.SSP.ReasonForRequest, _ = c.str("reason_for_request")
	p.SSP.RequestedScope, _ = c.str("requested_scope")
	p.SSP.RequestingDevice, _ = c.object("requesting_device")
	p.SSP.RequestingOrganization, _ = c.object("requesting_organization")
	p.SSP.RequestingPractitioner, _ = c.object("requesting_practitioner")
	return p
}
