// Package auth verifies the bearer tokens of requests (JWTs signed by a
// trusted issuer, keys from a JWKS URL or file) and reads what they allow:
// SMART-style scopes per resource type, and a patient context that limits a
// token to one patient's data. It uses github.com/lestrrat-go/jwx/v2 for
// JOSE; nothing here parses or verifies signatures by hand.
package auth
