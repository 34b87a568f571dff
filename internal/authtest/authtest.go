// Package authtest makes signing keys, serves them as a JWKS on 127.0.0.1
// and signs tokens, for tests of the facade's authentication.
package authtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// Issuer and Audience are the values the tokens carry by default.
const (
	Issuer   = "https://auth.example.nhs.uk"
	Audience = "ccfacade"
)

// Keys are an RSA and an EC signing key whose public halves are served as
// a JWKS.
type Keys struct {
	RSA, EC jwk.Key
	URL     string
	Fetches atomic.Int64
	mu      sync.Mutex
	set     jwk.Set
}

// New makes the keys and starts the JWKS server (stopped at the test's end).
func New(t testing.TB) *Keys {
	t.Helper()
	k := &Keys{set: jwk.NewSet()}
	k.RSA = k.NewKey(t, "rsa1", false)
	k.EC = k.NewKey(t, "ec1", true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.Fetches.Add(1)
		k.mu.Lock()
		defer k.mu.Unlock()
		json.NewEncoder(w).Encode(k.set)
	}))
	t.Cleanup(srv.Close)
	k.URL = srv.URL
	return k
}

// NewKey makes a key with the kid and publishes it in the JWKS.
func (k *Keys) NewKey(t testing.TB, kid string, ec bool) jwk.Key {
	t.Helper()
	var raw any
	if ec {
		raw, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	} else {
		raw, _ = rsa.GenerateKey(rand.Reader, 2048)
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	key.Set(jwk.KeyIDKey, kid)
	pub, _ := key.PublicKey()
	k.mu.Lock()
	k.set.AddKey(pub)
	k.mu.Unlock()
	return key
}

// Unpublished makes a key that is not in the JWKS.
func Unpublished(t testing.TB, kid string) jwk.Key {
	t.Helper()
	raw, _ := rsa.GenerateKey(rand.Reader, 2048)
	key, _ := jwk.FromRaw(raw)
	key.Set(jwk.KeyIDKey, kid)
	return key
}

// Sign makes a token valid for five minutes from the issuer to the
// audience, with scope and patient claims; edit changes it before signing.
func Sign(t testing.TB, key jwk.Key, alg jwa.SignatureAlgorithm, scope, patient string, edit func(jwt.Token)) string {
	t.Helper()
	tok := jwt.New()
	now := time.Now()
	tok.Set(jwt.IssuerKey, Issuer)
	tok.Set(jwt.AudienceKey, []string{Audience})
	tok.Set(jwt.SubjectKey, "user-1")
	tok.Set(jwt.IssuedAtKey, now)
	tok.Set(jwt.ExpirationKey, now.Add(5*time.Minute))
	if scope != "" {
		tok.Set("scope", scope)
	}
	if patient != "" {
		tok.Set("patient", patient)
	}
	if edit != nil {
		edit(tok)
	}
	b, err := jwt.Sign(tok, jwt.WithKey(alg, key))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Claims returns the claims of a token valid for five minutes from the
// issuer to the audience, to be edited as raw JSON values and signed with
// SignClaims (which, unlike Sign, can give any claim any JSON type).
func Claims() map[string]any {
	now := time.Now().Unix()
	return map[string]any{"iss": Issuer, "aud": []string{Audience}, "sub": "user-1", "iat": now, "exp": now + 300}
}

// SignScope signs, as a JWT with the RSA key (RS256), the claims of
// Claims with the scope and then extra's claims (of any JSON type, nil
// for null), which may replace those of Claims.
func (k *Keys) SignScope(t testing.TB, scope string, extra map[string]any) string {
	t.Helper()
	c := Claims()
	c["scope"] = scope
	maps.Copy(c, extra)
	return SignClaims(t, k.RSA, jwa.RS256, c)
}

// SignClaims signs claims as they are, as a JWT with the key's kid.
func SignClaims(t testing.TB, key jwk.Key, alg jwa.SignatureAlgorithm, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return SignRaw(t, key, alg, payload)
}

// SignRaw signs a payload of any bytes (a claim given twice, say) as a JWT
// with the key's kid.
func SignRaw(t testing.TB, key jwk.Key, alg jwa.SignatureAlgorithm, payload []byte) string {
	t.Helper()
	hdr := jws.NewHeaders()
	hdr.Set(jws.KeyIDKey, key.KeyID())
	hdr.Set(jws.TypeKey, "JWT")
	b, err := jws.Sign(payload, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// GP Connect test values: the provider's and the consumer's ASIDs, and
// the requesting practitioner's id (the token's sub).
const (
	GPCProviderASID = "918999198738"
	GPCConsumerASID = "200000000359"
	GPCUser         = "1"
)

// GPCClaims returns the claims of a GP Connect audit token issued now with
// the scope (patient/*.read or organization/*.read), as the provider
// test suite sends them; edit them and make the token with Unsigned.
func GPCClaims(scope string) map[string]any {
	now := time.Now().Unix()
	return map[string]any{
		"iss": "https://consumer.example.nhs.uk", "sub": GPCUser, "aud": "https://provider.example.nhs.uk/gpconnect/fhir",
		"exp": now + 300, "iat": now, "reason_for_request": "directcare", "requested_scope": scope + " conf/N",
		"requesting_device": map[string]any{"resourceType": "Device",
			"identifier": []any{map[string]any{"system": "https://consumersupplier.com/Id/device-identifier", "value": "CONS-APP-4"}},
			"model":      "Consumer product", "version": "5.0"},
		"requesting_organization": map[string]any{"resourceType": "Organization",
			"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "GPC001"}},
			"name":       "GP Connect Assurance"},
		"requesting_practitioner": map[string]any{"resourceType": "Practitioner", "id": GPCUser,
			"identifier": []any{
				map[string]any{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G13579135"},
				map[string]any{"system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "111111111"},
			},
			"name": []any{map[string]any{"family": "Demo", "given": []any{"GPConnect"}, "prefix": []any{"Dr"}}}},
	}
}

// Unsigned makes an unsigned JWT (alg none, as GP Connect sends) of the
// claims.
func Unsigned(t testing.TB, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	return UnsignedRaw(payload)
}

// UnsignedRaw makes an unsigned JWT of a payload of any bytes.
func UnsignedRaw(payload []byte) string {
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc.EncodeToString(payload) + "."
}

// GPCHeaders are the Spine Security Proxy headers and the token of a GP
// Connect request of the interaction, as name, value pairs.
func GPCHeaders(traceID, interaction, token string) []string {
	return []string{"Ssp-TraceID", traceID, "Ssp-From", GPCConsumerASID, "Ssp-To", GPCProviderASID,
		"Ssp-InteractionID", interaction, "Authorization", "Bearer " + token}
}
