package sqlite

import (
	"database/sql/driver"
	"sync"

	sqlite "modernc.org/sqlite"
)

var registerOnce sync.Once

// registerFunctions adds ccf_like_cs(text, pattern): a case-sensitive LIKE
// with '\' as escape character (SQLite's own LIKE ignores ASCII case).
func registerFunctions() error {
	var err error
	registerOnce.Do(func() {
		err = sqlite.RegisterDeterministicScalarFunction("ccf_like_cs", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			s, ok1 := asString(args[0])
			p, ok2 := asString(args[1])
			if !ok1 || !ok2 {
				return nil, nil
			}
			if likeMatch([]rune(s), []rune(p)) {
				return int64(1), nil
			}
			return int64(0), nil
		})
	})
	return err
}

func asString(v driver.Value) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case []byte:
		return string(t), true
	}
	return "", false
}

// likeMatch matches s against a LIKE pattern: % any run, _ one character,
// \x the literal x.
func likeMatch(s, p []rune) bool {
	for len(p) > 0 {
		switch p[0] {
		case '%':
			for len(p) > 0 && p[0] == '%' {
				p = p[1:]
			}
			if len(p) == 0 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if likeMatch(s[i:], p) {
					return true
				}
			}
			return false
		case '_':
			if len(s) == 0 {
				return false
			}
			s, p = s[1:], p[1:]
		default:
			c := p[0]
			if c == '\\' && len(p) > 1 {
				p = p[1:]
				c = p[0]
			}
			if len(s) == 0 || s[0] != c {
				return false
			}
			s, p = s[1:], p[1:]
		}
	}
	return len(s) == 0
}
