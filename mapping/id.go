package mapping

import (
	"errors"
	"regexp"
	"strings"
)

// Resource ids are made from the key columns' values, so that an id decodes
// straight back to the key without a lookup table. Each value is written as
// is when it holds only letters and digits; any other byte is escaped as '-'
// followed by two upper-case hex digits ("-" itself becomes "-2D"). Values of
// a composite key are joined with '.'. The result uses only the characters
// FHIR allows in an id ([A-Za-z0-9\-\.]).

// ErrIDTooLong is returned when a key makes an id longer than FHIR's 64.
var ErrIDTooLong = errors.New("key values make an id longer than 64 characters")

// ErrBadID is returned when an id cannot be a key of the mapping.
var ErrBadID = errors.New("malformed id")

const hexUpper = "0123456789ABCDEF"

// idPrefixRE is what a mapping's id-prefix may be: the start of an id.
var idPrefixRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,31}$`)

// EncodeID makes a resource id from key values.
func EncodeID(vals []any) (string, error) {
	if len(vals) == 1 && vals[0] != nil { // most keys: one column, nothing to escape
		if s := toString(vals[0]); s != "" && len(s) <= 64 && plainID(s) {
			return s, nil
		}
	}
	var b strings.Builder
	for i, v := range vals {
		if v == nil {
			return "", errors.New("a key column is NULL")
		}
		if i > 0 {
			b.WriteByte('.')
		}
		s := toString(v)
		if s == "" {
			return "", errors.New("a key column is empty")
		}
		for j := 0; j < len(s); j++ {
			c := s[j]
			if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
				b.WriteByte(c)
				continue
			}
			b.WriteByte('-')
			b.WriteByte(hexUpper[c>>4])
			b.WriteByte(hexUpper[c&0xf])
		}
	}
	if b.Len() > 64 {
		return "", ErrIDTooLong
	}
	return b.String(), nil
}

// plainID tells whether s is only ASCII letters and digits, which an id
// keeps as they are.
func plainID(s string) bool {
	for j := 0; j < len(s); j++ {
		c := s[j]
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// DecodeID turns an id back into n key values.
func DecodeID(id string, n int) ([]string, error) {
	if id == "" || len(id) > 64 {
		return nil, ErrBadID
	}
	parts := strings.Split(id, ".")
	if len(parts) != n {
		return nil, ErrBadID
	}
	out := make([]string, n)
	for i, p := range parts {
		if p == "" {
			return nil, ErrBadID
		}
		var b strings.Builder
		for j := 0; j < len(p); j++ {
			c := p[j]
			switch {
			case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'):
				b.WriteByte(c)
			case c == '-' && j+2 < len(p) && isHexUpper(p[j+1]) && isHexUpper(p[j+2]):
				b.WriteByte(unhex(p[j+1])<<4 | unhex(p[j+2]))
				j += 2
			default:
				return nil, ErrBadID
			}
		}
		out[i] = b.String()
	}
	return out, nil
}

func isHexUpper(c byte) bool { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') }

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'A' + 10
}
