package engine

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// cursor is the state a paging link carries: which search it belongs to,
// the direction, and the key of the row to continue after (or before).
type cursor struct {
	Query  string    `json:"q"` // hash of the canonical search
	Before bool      `json:"b,omitempty"`
	Key    []string  `json:"k"`
	Sort   []sortVal `json:"s,omitempty"`
	// Member is the mapping the page continues in, of a type several
	// mappings serve (members.go).
	Member int   `json:"m,omitempty"`
	Expiry int64 `json:"e"`
}

// sealer encrypts and authenticates cursors with AES-256-GCM, so a cursor
// reveals nothing (no key values, no patient data) and cannot be forged or
// altered; any instance configured with the same secret can open it.
type sealer struct {
	aead cipher.AEAD
	ttl  time.Duration
	now  func() time.Time
}

var errBadCursor = errors.New("the paging cursor is invalid or has been altered")
var errExpiredCursor = errors.New("the paging cursor has expired: start the search again")

func newSealer(secret []byte, ttl time.Duration) (*sealer, error) {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
	}
	key := sha256.Sum256(append([]byte("ccfacade paging cursor v1\x00"), secret...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead, ttl: ttl, now: time.Now}, nil
}

func (s *sealer) seal(c cursor) string {
	c.Expiry = s.now().Add(s.ttl).Unix()
	plain, _ := json.Marshal(c)
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := s.aead.Seal(nonce, nonce, plain, nil)
	return base64.RawURLEncoding.EncodeToString(out)
}

func (s *sealer) open(token string) (cursor, error) {
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) < s.aead.NonceSize()+s.aead.Overhead() {
		return c, errBadCursor
	}
	ns := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:ns], raw[ns:], nil)
	if err != nil {
		return c, errBadCursor
	}
	if err := json.Unmarshal(plain, &c); err != nil {
		return c, errBadCursor
	}
	if s.now().Unix() > c.Expiry {
		return c, errExpiredCursor
	}
	return c, nil
}
