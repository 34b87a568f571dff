package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/internal/authtest"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

func TestVerify(t *testing.T) {
	k := authtest.New(t)
	v, err := New(context.Background(), Config{JWKSURL: k.URL, Issuers: []string{authtest.Issuer}, Audiences: []string{authtest.Audience}, MinRefresh: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	good := authtest.Sign(t, k.RSA, jwa.RS256, "patient/Observation.read user/Patient.read", "3", nil)
	p, err := v.Verify(context.Background(), good)
	if err != nil {
		t.Fatalf("a good token: %v", err)
	}
	if p.Patient != "3" || p.Reach("Observation", true) != ReachPatient || p.Reach("Patient", true) != ReachAll || p.Reach("Condition", true) != ReachNone {
		t.Errorf("principal %+v", p)
	}
	if _, err := v.Verify(context.Background(), authtest.Sign(t, k.EC, jwa.ES256, "patient/Observation.read", "3", nil)); err != nil {
		t.Errorf("ES256: %v", err)
	}
	pub, _ := k.RSA.PublicKey()
	rawPub, _ := pub.(jwk.RSAPublicKey)
	var n []byte
	if rawPub != nil {
		n = rawPub.N()
	}
	hmacKey, _ := jwk.FromRaw(n) // the public key's modulus as an HMAC secret
	hmacKey.Set(jwk.KeyIDKey, "rsa1")
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherKey, _ := jwk.FromRaw(other)
	otherKey.Set(jwk.KeyIDKey, "rsa1")
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"rsa1"}`))
	body := strings.Split(good, ".")[1]
	bad := map[string]string{
		"empty":                     "",
		"garbage":                   "not-a-token",
		"alg none":                  header + "." + body + ".",
		"HS256 with the public key": authtest.Sign(t, hmacKey, jwa.HS256, "patient/*.read", "3", nil),
		"wrong signature":           authtest.Sign(t, otherKey, jwa.RS256, "patient/*.read", "3", nil),
		"expired": authtest.Sign(t, k.RSA, jwa.RS256, "patient/*.read", "3", func(tok jwt.Token) {
			tok.Set(jwt.ExpirationKey, time.Now().Add(-10*time.Minute))
		}),
		"not yet valid":        authtest.Sign(t, k.RSA, jwa.RS256, "patient/*.read", "3", func(tok jwt.Token) { tok.Set(jwt.NotBeforeKey, time.Now().Add(10*time.Minute)) }),
		"issued in the future": authtest.Sign(t, k.RSA, jwa.RS256, "patient/*.read", "3", func(tok jwt.Token) { tok.Set(jwt.IssuedAtKey, time.Now().Add(10*time.Minute)) }),
		"no exp":               authtest.Sign(t, k.RSA, jwa.RS256, "patient/*.read", "3", func(tok jwt.Token) { tok.Remove(jwt.ExpirationKey) }),
		"wrong issuer":         authtest.Sign(t, k.RSA, jwa.RS256, "patient/*.read", "3", func(tok jwt.Token) { tok.Set(jwt.IssuerKey, "https://evil.example") }),
		"wrong audience":       authtest.Sign(t, k.RSA, jwa.RS256, "patient/*.read", "3", func(tok jwt.Token) { tok.Set(jwt.AudienceKey, []string{"someone-else"}) }),
		"RS384 not allowed":    authtest.Sign(t, k.RSA, jwa.RS384, "patient/*.read", "3", nil),
	}
	for name, tok := range bad {
		if _, err := v.Verify(context.Background(), tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An unknown kid makes the verifier fetch the keys again.
	before := k.Fetches.Load()
	rotated := k.NewKey(t, "rsa2", false)
	// MinRefresh has passed since any fetch before.
	v.now = func() time.Time { return time.Now().Add(time.Second) }
	if _, err := v.Verify(context.Background(), authtest.Sign(t, rotated, jwa.RS256, "patient/*.read", "3", nil)); err != nil {
		t.Errorf("a rotated key: %v", err)
	}
	if k.Fetches.Load() == before {
		t.Error("the JWKS was not fetched again for an unknown kid")
	}
	unknown, _ := rsa.GenerateKey(rand.Reader, 2048)
	uk, _ := jwk.FromRaw(unknown)
	uk.Set(jwk.KeyIDKey, "nobody")
	if _, err := v.Verify(context.Background(), authtest.Sign(t, uk, jwa.RS256, "patient/*.read", "3", nil)); err == nil || !strings.Contains(err.Error(), "unknown key id") {
		t.Errorf("unknown kid: %v", err)
	}
}

func TestScopes(t *testing.T) {
	// scope string → reach for Patient and Observation, with and without a
	// patient context.
	cases := map[string][4]Reach{
		"patient/*.read":                                 {ReachPatient, ReachPatient, ReachNone, ReachNone},
		"user/Observation.*":                             {ReachNone, ReachAll, ReachNone, ReachAll},
		"system/Patient.read":                            {ReachAll, ReachNone, ReachAll, ReachNone},
		"patient/Patient.write":                          {},
		"openid launch fhirUser":                         {},
		"user/*.write":                                   {},
		"user/observation.read":                          {}, // not a resource type
		"patient/Observation.read user/Observation.read": {ReachNone, ReachAll, ReachNone, ReachAll},
		"patient/*.read user/Patient.read":               {ReachAll, ReachPatient, ReachAll, ReachNone},
		"patients/*.read":                                {},
		"patient/*.rs":                                   {}, // SMART v2 syntax is not read as v1
	}
	for s, want := range cases {
		p := &Principal{Scopes: ParseScopes(s)}
		got := [4]Reach{p.Reach("Patient", true), p.Reach("Observation", true), p.Reach("Patient", false), p.Reach("Observation", false)}
		if got != want {
			t.Errorf("%q reaches %v, want %v", s, got, want)
		}
		grants := want[0] != ReachNone || want[1] != ReachNone
		if p.Grants(true) != grants {
			t.Errorf("%q grants %v with a patient, want %v", s, p.Grants(true), grants)
		}
	}
	// Every row of ScopeRules, read through Reach.
	for _, r := range ScopeRules {
		p := &Principal{Scopes: ParseScopes(r.Context + "/Observation.read")}
		if p.Reach("Observation", true) != r.WithPatient || p.Reach("Observation", false) != r.WithoutPatient {
			t.Errorf("%s/: reach %v/%v, the table says %v/%v", r.Context, p.Reach("Observation", true), p.Reach("Observation", false), r.WithPatient, r.WithoutPatient)
		}
		if p.Grants(false) != (r.WithoutPatient != ReachNone) {
			t.Errorf("%s/ without a patient: grants %v", r.Context, p.Grants(false))
		}
	}
}

// Every claim the facade acts on has one JSON type; any other is refused,
// naming the claim. Registered times must be numbers.
func TestClaimTypes(t *testing.T) {
	k := authtest.New(t)
	v, err := New(context.Background(), Config{JWKSURL: k.URL, Issuers: []string{authtest.Issuer}, Audiences: []string{authtest.Audience}})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{"string": "1", "number": 1, "bool": true, "null": nil, "array": []any{"1"}, "object": map[string]any{"id": "1"}}
	fitsKind := map[jsonKind][]string{kindString: {"string"}, kindNumber: {"number"}, kindObject: {"object"}, kindAudience: {"string", "array"}}
	for claim, kind := range claimTypes {
		for name, val := range values {
			c := authtest.Claims()
			c["scope"] = "user/*.read"
			c[claim] = val
			_, err := v.Verify(context.Background(), authtest.SignClaims(t, k.RSA, jwa.RS256, c))
			if slices.Contains(fitsKind[kind], name) {
				// The right type: refused only for its value (an iss or aud
				// not trusted, exp in 1970, "1" not an NHS number), not its type.
				if err != nil && strings.Contains(err.Error(), "must be a") {
					t.Errorf("%s as a %s: refused for its type: %v", claim, name, err)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s as a %s: accepted", claim, name)
			} else if !strings.Contains(err.Error(), claim) {
				t.Errorf("%s as a %s: the error does not name the claim: %v", claim, name, err)
			}
		}
	}
	// A claim given twice is refused: readers disagree on which counts.
	for _, payload := range []string{`"patient":4,"patient":"3"`, `"patient":"3","patient":"4"`, `"scope":"user/*.read","scope":"patient/*.read"`} {
		now := time.Now().Unix()
		raw := fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":"u","iat":%d,"exp":%d,"scope":"user/*.read",%s}`, authtest.Issuer, authtest.Audience, now, now+300, payload)
		if strings.Count(raw, `"scope"`) > 1 {
			raw = fmt.Sprintf(`{"iss":%q,"aud":%q,"sub":"u","iat":%d,"exp":%d,%s}`, authtest.Issuer, authtest.Audience, now, now+300, payload)
		}
		if _, err := v.Verify(context.Background(), authtest.SignRaw(t, k.RSA, jwa.RS256, []byte(raw))); err == nil || !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s: %v", payload, err)
		}
	}
	// exp, nbf and iat as numeric strings are refused.
	for _, claim := range []string{"exp", "nbf", "iat"} {
		c := authtest.Claims()
		c["scope"] = "user/*.read"
		c[claim] = fmt.Sprint(c[claim])
		if claim == "nbf" {
			c[claim] = fmt.Sprint(time.Now().Unix() - 10)
		}
		if _, err := v.Verify(context.Background(), authtest.SignClaims(t, k.RSA, jwa.RS256, c)); err == nil || !strings.Contains(err.Error(), claim) {
			t.Errorf("%s as a string: %v", claim, err)
		}
	}
	// Empty identifiers are no context at all, and are refused.
	for _, claim := range []string{"patient", "nhs_number", "sub", "scope"} {
		c := authtest.Claims()
		c["scope"] = "user/*.read"
		c[claim] = ""
		if _, err := v.Verify(context.Background(), authtest.SignClaims(t, k.RSA, jwa.RS256, c)); err == nil || !strings.Contains(err.Error(), claim) {
			t.Errorf("%s empty: %v", claim, err)
		}
	}
}

func TestMaxLifetime(t *testing.T) {
	k := authtest.New(t)
	v, err := New(context.Background(), Config{JWKSURL: k.URL, Issuers: []string{authtest.Issuer}, Audiences: []string{authtest.Audience}, MaxLifetime: time.Hour, ClockSkew: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	long := authtest.Sign(t, k.RSA, jwa.RS256, "user/*.read", "", func(tok jwt.Token) { tok.Set(jwt.ExpirationKey, time.Now().Add(2*time.Hour)) })
	if _, err := v.Verify(context.Background(), long); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("a token valid for 2h under a 1h maximum: %v", err)
	}
	noIat := authtest.Sign(t, k.RSA, jwa.RS256, "user/*.read", "", func(tok jwt.Token) {
		tok.Remove(jwt.IssuedAtKey)
		tok.Set(jwt.ExpirationKey, time.Now().Add(3*time.Hour))
	})
	if _, err := v.Verify(context.Background(), noIat); err == nil {
		t.Error("a token without iat, expiring in 3h, under a 1h maximum: accepted")
	}
	if _, err := v.Verify(context.Background(), authtest.Sign(t, k.RSA, jwa.RS256, "user/*.read", "", nil)); err != nil {
		t.Errorf("a 5-minute token: %v", err)
	}
}

func TestConfigRefusesSymmetricAlgorithms(t *testing.T) {
	for _, alg := range []string{"HS256", "none"} {
		if _, err := New(context.Background(), Config{JWKSFile: "x", Issuers: []string{"i"}, Audiences: []string{"a"}, Algorithms: []string{alg}}); err == nil {
			t.Errorf("%s accepted in the allow-list", alg)
		}
	}
}
