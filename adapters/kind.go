package adapters

// Kind is what a column holds, as the engine compares, binds and renders
// it. Each adapter classifies its own database's type names (Dialect.Kind);
// nothing outside adapters reads a type name.
type Kind int

// The kinds of column.
const (
	KindOther       Kind = iota // anything else (binary, uuid, time of day, arrays…)
	KindText                    // character data
	KindInteger                 // whole numbers
	KindDecimal                 // numbers with a fraction (exact or floating)
	KindDate                    // a calendar date without a time
	KindTimestamp               // a date and time without a zone: a wall clock
	KindTimestampTZ             // a date and time with a zone: an instant
	KindBool                    // true or false
)

var kindNames = [...]string{"other", "text", "integer", "decimal", "date", "timestamp", "timestamp with zone", "boolean"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "other"
}

// Numeric tells whether the kind holds numbers.
func (k Kind) Numeric() bool { return k == KindInteger || k == KindDecimal }

// Temporal tells whether the kind holds dates or date-times.
func (k Kind) Temporal() bool { return k == KindDate || k == KindTimestamp || k == KindTimestampTZ }

// DateTime tells whether the kind holds date-times (with or without zone).
func (k Kind) DateTime() bool { return k == KindTimestamp || k == KindTimestampTZ }
