package auth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
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
	if p.Patient != "3" || !p.Allows("Observation") || !p.Allows("Patient") || p.Allows("Condition") {
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
	time.Sleep(5 * time.Millisecond)
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
	cases := map[string][]string{ // scope string → types it allows reading, among Patient, Observation
		"patient/*.read":        {"Patient", "Observation"},
		"user/Observation.*":    {"Observation"},
		"system/Patient.read":   {"Patient"},
		"patient/Patient.write": nil,
		"openid launch":         nil,
		"user/*.write":          nil,
	}
	for s, want := range cases {
		p := &Principal{Scopes: ParseScopes(s)}
		var got []string
		for _, typ := range []string{"Patient", "Observation"} {
			if p.Allows(typ) {
				got = append(got, typ)
			}
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%q allows %v, want %v", s, got, want)
		}
	}
}

func TestConfigRefusesSymmetricAlgorithms(t *testing.T) {
	for _, alg := range []string{"HS256", "none"} {
		if _, err := New(context.Background(), Config{JWKSFile: "x", Issuers: []string{"i"}, Audiences: []string{"a"}, Algorithms: []string{alg}}); err == nil {
			t.Errorf("%s accepted in the allow-list", alg)
		}
	}
}
