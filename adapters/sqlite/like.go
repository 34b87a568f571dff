package sqlite

import (
	"database/sql/driver"
	"regexp"
	"strconv"
	"sync"

	"github.com/ccfacade/ccfacade/textfn"
	sqlite "modernc.org/sqlite"
)

var (
	registerOnce sync.Once
	registerErr  error
)

// registerFunctions adds ccf_like_cs(text, pattern) to the driver: a
// case-sensitive LIKE with '\' as escape character; and ccf_fold(text),
// text with Unicode case and accents folded (textfn.Fold), for ILike. SQLite's own LIKE
// ignores ASCII case, and PRAGMA case_sensitive_like would change it for
// a whole connection, so Like uses this function instead.
func registerFunctions() error {
	registerOnce.Do(func() {
		registerErr = sqlite.RegisterDeterministicScalarFunction("ccf_like_cs", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			s, ok1 := asText(args[0])
			p, ok2 := asText(args[1])
			if !ok1 || !ok2 {
				return nil, nil // NULL, as LIKE gives for a NULL operand
			}
			if likeMatch(s, p) {
				return int64(1), nil
			}
			return int64(0), nil
		})
		if registerErr != nil {
			return
		}
		registerErr = sqlite.RegisterDeterministicScalarFunction("ccf_fold", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
			s, ok := asText(args[0])
			if !ok {
				return nil, nil
			}
			return textfn.Fold(s), nil
		})
		if registerErr != nil {
			return
		}
		registerErr = registerTextFunctions()
	})
	return registerErr
}

// registerTextFunctions adds the mapping language's text functions that
// SQLite lacks: ccf_title(text), ccf_regexp_replace(text, pattern, with)
// and ccf_regexp(text, pattern) (1, 0, or NULL for a NULL text). Patterns
// are compiled once each and kept.
func registerTextFunctions() error {
	var patterns sync.Map // pattern → *regexp.Regexp
	compile := func(p string) (*regexp.Regexp, error) {
		if re, ok := patterns.Load(p); ok {
			return re.(*regexp.Regexp), nil
		}
		re, err := textfn.Compile(p)
		if err != nil {
			return nil, err
		}
		patterns.Store(p, re)
		return re, nil
	}
	if err := sqlite.RegisterDeterministicScalarFunction("ccf_title", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, ok := asText(args[0])
		if !ok {
			return nil, nil
		}
		return textfn.Title(s), nil
	}); err != nil {
		return err
	}
	if err := sqlite.RegisterDeterministicScalarFunction("ccf_regexp_replace", 3, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, ok1 := asText(args[0])
		p, ok2 := asText(args[1])
		w, ok3 := asText(args[2])
		if !ok1 || !ok2 || !ok3 {
			return nil, nil
		}
		re, err := compile(p)
		if err != nil {
			return nil, err
		}
		return textfn.Replace(re, s, w), nil
	}); err != nil {
		return err
	}
	return sqlite.RegisterDeterministicScalarFunction("ccf_regexp", 2, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, ok1 := asText(args[0])
		p, ok2 := asText(args[1])
		if !ok1 || !ok2 {
			return nil, nil
		}
		re, err := compile(p)
		if err != nil {
			return nil, err
		}
		if re.MatchString(s) {
			return int64(1), nil
		}
		return int64(0), nil
	})
}

// asText is the text SQLite's LIKE would see for a value.
func asText(v driver.Value) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case []byte:
		return string(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	case float64:
		return strconv.FormatFloat(t, 'g', 15, 64), true
	}
	return "", false
}

// likeMatch matches s against a LIKE pattern, case-sensitively: '%' is any
// run of characters, '_' one character and '\x' the character x. It runs
// in O(len(s)·len(p)) time (no exponential backtracking on many '%').
func likeMatch(s, pattern string) bool {
	type token struct {
		wild rune // '%', '_' or 0 for a literal
		r    rune
	}
	var p []token
	pr := []rune(pattern)
	for i := 0; i < len(pr); i++ {
		switch c := pr[i]; {
		case c == '\\' && i+1 < len(pr):
			i++
			p = append(p, token{r: pr[i]})
		case c == '%' || c == '_':
			p = append(p, token{wild: c})
		default:
			p = append(p, token{r: c})
		}
	}
	sr := []rune(s)
	si, pi := 0, 0
	star, mark := -1, 0 // the last '%' seen, and where in s it resumes
	for si < len(sr) {
		switch {
		case pi < len(p) && p[pi].wild == '%':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi].wild == '_' || p[pi].wild == 0 && p[pi].r == sr[si]):
			si++
			pi++
		case star >= 0:
			mark++
			si, pi = mark, star+1
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].wild == '%' {
		pi++
	}
	return pi == len(p)
}
