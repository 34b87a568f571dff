package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// keys makes an RSA and an EC key pair and serves their public halves as a
// JWKS on 127.0.0.1; rotate adds a new key to the served set.
type keys struct {
	rsa, ec, rotated jwk.Key
	set              jwk.Set
	fetches          atomic.Int64
	srv              *httptest.Server
}

func newKeys(t *testing.T) *keys {
	t.Helper()
	k := &keys{set: jwk.NewSet()}
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k.rsa, _ = jwk.FromRaw(rk)
	k.rsa.Set(jwk.KeyIDKey, "rsa1")
	k.ec, _ = jwk.FromRaw(ek)
	k.ec.Set(jwk.KeyIDKey, "ec1")
	for _, priv := range []jwk.Key{k.rsa, k.ec} {
		pub, _ := priv.PublicKey()
		k.set.AddKey(pub)
	}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.fetches.Add(1)
		json.NewEncoder(w).Encode(k.set)
	}))
	t.Cleanup(k.srv.Close)
	return k
}

func (k *keys) rotate(t *testing.T) {
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	k.rotated, _ = jwk.FromRaw(rk)
	k.rotated.Set(jwk.KeyIDKey, "rsa2")
	pub, _ := k.rotated.PublicKey()
	k.set.AddKey(pub)
}

func sign(t *testing.T, key jwk.Key, alg jwa.SignatureAlgorithm, edit func(tok jwt.Token)) string {
	t.Helper()
	tok := jwt.New()
	now := time.Now()
	tok.Set(jwt.IssuerKey, "https://auth.example.nhs.uk")
	tok.Set(jwt.AudienceKey, []string{"ccfacade"})
	tok.Set(jwt.SubjectKey, "user-1")
	tok.Set(jwt.IssuedAtKey, now)
	tok.Set(jwt.ExpirationKey, now.Add(5*time.Minute))
	tok.Set("scope", "patient/Observation.read user/Patient.read")
	tok.Set("patient", "3")
	if edit != nil {
		edit(tok)
	}
	b, err := jwt.Sign(tok, jwt.WithKey(alg, key))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVerify(t *testing.T) {
	k := newKeys(t)
	v, err := New(context.Background(), Config{JWKSURL: k.srv.URL, Issuers: []string{"https://auth.example.nhs.uk"}, Audiences: []string{"ccfacade"}, MinRefresh: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	good := sign(t, k.rsa, jwa.RS256, nil)
	p, err := v.Verify(context.Background(), good)
	if err != nil {
		t.Fatalf("a good token: %v", err)
	}
	if p.Patient != "3" || !p.Allows("Observation") || !p.Allows("Patient") || p.Allows("Condition") {
		t.Errorf("principal %+v", p)
	}
	if _, err := v.Verify(context.Background(), sign(t, k.ec, jwa.ES256, nil)); err != nil {
		t.Errorf("ES256: %v", err)
	}
	pub, _ := k.rsa.PublicKey()
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
		"HS256 with the public key": sign(t, hmacKey, jwa.HS256, nil),
		"wrong signature":           sign(t, otherKey, jwa.RS256, nil),
		"expired": sign(t, k.rsa, jwa.RS256, func(tok jwt.Token) {
			tok.Set(jwt.ExpirationKey, time.Now().Add(-10*time.Minute))
		}),
		"not yet valid":        sign(t, k.rsa, jwa.RS256, func(tok jwt.Token) { tok.Set(jwt.NotBeforeKey, time.Now().Add(10*time.Minute)) }),
		"issued in the future": sign(t, k.rsa, jwa.RS256, func(tok jwt.Token) { tok.Set(jwt.IssuedAtKey, time.Now().Add(10*time.Minute)) }),
		"no exp":               sign(t, k.rsa, jwa.RS256, func(tok jwt.Token) { tok.Remove(jwt.ExpirationKey) }),
		"wrong issuer":         sign(t, k.rsa, jwa.RS256, func(tok jwt.Token) { tok.Set(jwt.IssuerKey, "https://evil.example") }),
		"wrong audience":       sign(t, k.rsa, jwa.RS256, func(tok jwt.Token) { tok.Set(jwt.AudienceKey, []string{"someone-else"}) }),
		"RS384 not allowed":    sign(t, k.rsa, jwa.RS384, nil),
	}
	for name, tok := range bad {
		if _, err := v.Verify(context.Background(), tok); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// An unknown kid makes the verifier fetch the keys again.
	before := k.fetches.Load()
	k.rotate(t)
	time.Sleep(5 * time.Millisecond)
	if _, err := v.Verify(context.Background(), sign(t, k.rotated, jwa.RS256, nil)); err != nil {
		t.Errorf("a rotated key: %v", err)
	}
	if k.fetches.Load() == before {
		t.Error("the JWKS was not fetched again for an unknown kid")
	}
	unknown, _ := rsa.GenerateKey(rand.Reader, 2048)
	uk, _ := jwk.FromRaw(unknown)
	uk.Set(jwk.KeyIDKey, "nobody")
	if _, err := v.Verify(context.Background(), sign(t, uk, jwa.RS256, nil)); err == nil || !strings.Contains(err.Error(), "unknown key id") {
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
