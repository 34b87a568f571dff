package mapping

// Scanners for the lexical forms of FHIR primitives the renderer checks on
// every value: the STU3 regular expressions of integer, decimal, date,
// dateTime and instant, written out by hand (they run for every value of
// every resource; lexical_test.go holds them to the regular expressions).

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digits consumes a run of at least one digit from s[i:] and returns the
// index after it, or -1.
func digits(s string, i int) int {
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// isInteger matches -?(0|[1-9][0-9]*).
func isInteger(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	j := digits(s, i)
	return j == len(s) && (j-i == 1 || s[i] != '0')
}

// isDecimal matches -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	j := digits(s, i)
	if j < 0 || (j-i > 1 && s[i] == '0') {
		return false
	}
	if j < len(s) && s[j] == '.' {
		if j = digits(s, j+1); j < 0 {
			return false
		}
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		j++
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j = digits(s, j); j < 0 {
			return false
		}
	}
	return j == len(s)
}

// two reads two digits at s[i:] as a number, or -1.
func two(s string, i int) int {
	if i+2 > len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) {
		return -1
	}
	return int(s[i]-'0')*10 + int(s[i+1]-'0')
}

// datePart matches [0-9]{4}(-(0[1-9]|1[0-2])(-(0[0-9]|[1-2][0-9]|3[0-1]))?)?
// at s[i:] and returns the index after it and how many parts it had (1
// year, 2 month, 3 day), or -1.
func datePart(s string, i int) (int, int) {
	if i+4 > len(s) || two(s, i) < 0 || two(s, i+2) < 0 {
		return -1, 0
	}
	i += 4
	if i == len(s) || s[i] != '-' {
		return i, 1
	}
	if m := two(s, i+1); m < 1 || m > 12 {
		return -1, 0
	}
	i += 3
	if i == len(s) || s[i] != '-' {
		return i, 2
	}
	if d := two(s, i+1); d < 0 || d > 31 { // 00 is allowed, as in the STU3 expression
		return -1, 0
	}
	return i + 3, 3
}

// timeZonePart matches T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?
// followed by Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00) at s[i:], and
// tells whether it runs to the end of s.
func timeZonePart(s string, i int) bool {
	if i >= len(s) || s[i] != 'T' {
		return false
	}
	if h := two(s, i+1); h < 0 || h > 23 || i+3 >= len(s) || s[i+3] != ':' {
		return false
	}
	if m := two(s, i+4); m < 0 || m > 59 || i+6 >= len(s) || s[i+6] != ':' {
		return false
	}
	if sec := two(s, i+7); sec < 0 || sec > 60 {
		return false
	}
	i += 9
	if i < len(s) && s[i] == '.' {
		if i = digits(s, i+1); i < 0 {
			return false
		}
	}
	if i < len(s) && s[i] == 'Z' {
		return i+1 == len(s)
	}
	if i >= len(s) || (s[i] != '+' && s[i] != '-') || i+6 != len(s) || s[i+3] != ':' {
		return false
	}
	h, m := two(s, i+1), two(s, i+4)
	return h >= 0 && m >= 0 && ((h <= 13 && m <= 59) || (h == 14 && m == 0))
}

func validDateText(typ, s string) bool {
	switch typ {
	case "date", "dateTime":
		i := 0
		if i < len(s) && s[i] == '-' {
			i++
		}
		j, parts := datePart(s, i)
		if j < 0 {
			return false
		}
		if j == len(s) {
			return true
		}
		return typ == "dateTime" && parts == 3 && timeZonePart(s, j)
	case "instant":
		j, parts := datePart(s, 0)
		return j > 0 && parts == 3 && timeZonePart(s, j)
	}
	return true
}
