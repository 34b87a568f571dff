package fhir

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the compact JSON encoding of v to dst.
func AppendJSON(dst []byte, v Value) []byte {
	switch t := v.(type) {
	case nil:
		return append(dst, "null"...)
	case String:
		return appendString(dst, string(t))
	case Number:
		return append(dst, t...)
	case Bool:
		return strconv.AppendBool(dst, bool(t))
	case *Rendered:
		return append(dst, t.JSON...)
	case Array:
		dst = append(dst, '[')
		for i, item := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, item)
		}
		return append(dst, ']')
	case *Object:
		dst = append(dst, '{')
		if t != nil {
			for i, f := range t.Fields {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(dst, f.Name)
				dst = append(dst, ':')
				dst = AppendJSON(dst, f.Value)
			}
		}
		return append(dst, '}')
	}
	return append(dst, "null"...)
}

// AppendIndentedJSON appends the JSON encoding of v indented by two spaces
// per level, as FHIR servers conventionally pretty-print.
func AppendIndentedJSON(dst []byte, v Value) []byte {
	return appendIndented(dst, v, 0)
}

func appendIndented(dst []byte, v Value, depth int) []byte {
	newline := func(d []byte, n int) []byte {
		d = append(d, '\n')
		for i := 0; i < n; i++ {
			d = append(d, ' ', ' ')
		}
		return d
	}
	switch t := v.(type) {
	case Array:
		if len(t) == 0 {
			return append(dst, "[]"...)
		}
		dst = append(dst, '[')
		for i, item := range t {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = newline(dst, depth+1)
			dst = appendIndented(dst, item, depth+1)
		}
		dst = newline(dst, depth)
		return append(dst, ']')
	case *Object:
		if t == nil || len(t.Fields) == 0 {
			return append(dst, "{}"...)
		}
		dst = append(dst, '{')
		for i, f := range t.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = newline(dst, depth+1)
			dst = appendString(dst, f.Name)
			dst = append(dst, ':', ' ')
			dst = appendIndented(dst, f.Value, depth+1)
		}
		dst = newline(dst, depth)
		return append(dst, '}')
	}
	return AppendJSON(dst, v)
}

// AppendString appends s as a JSON string, as AppendJSON writes a String.
func AppendString(dst []byte, s string) []byte { return appendString(dst, s) }

const hexDigits = "0123456789abcdef"

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
