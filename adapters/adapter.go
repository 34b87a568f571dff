package adapters

import (
	"context"
	"errors"
	"time"

	"github.com/jmoiron/sqlx"
)

// Dialect is the SQL text an adapter's database needs. All methods are pure
// functions of their arguments.
type Dialect interface {
	// Name is the adapter's registry name, e.g. "postgres".
	Name() string
	// Placeholder returns the bind marker for the n-th argument (1-based):
	// "?3" for SQLite, "$3" for PostgreSQL, "@p3" for SQL Server.
	Placeholder(n int) string
	// Quote makes an identifier safe to put in SQL; a dotted name
	// (schema.table) is handled part by part. A plain name
	// ([A-Za-z_][A-Za-z0-9_]*, not a reserved word) stays unquoted, so the
	// database folds its case as for a name typed by hand; any other name
	// is quoted and taken exactly as written (see the package doc).
	Quote(ident string) string
	// Limit returns the clause that follows ORDER BY to return at most n rows.
	Limit(n int) string
	// ILike returns a predicate that is true when the text expression expr
	// matches the LIKE pattern bound at placeholder ph, ignoring case (and
	// accents where the database can). Patterns use '\' as escape character.
	ILike(expr, ph string) string
	// Like is ILike but case-sensitive.
	Like(expr, ph string) string
	// TimeArg converts t into the argument to bind when comparing with a
	// column of native date or timestamp type.
	TimeArg(t time.Time) any
	// Kind classifies a type name as the database reports it, through
	// Columns or a result's column types (upper case), into a kind; a name
	// the adapter does not know is KindOther.
	Kind(dbType string) Kind
	// CastText converts an expression of kind from to text, for comparing
	// values of different kinds (an integer key with a text reference) and
	// testing a column's value as the renderer reads it.
	CastText(expr string, from Kind) string
}

// Binder is implemented by dialects that bind some values as a type of
// their own rather than the driver's default (SQL Server binds ASCII
// strings as VARCHAR). The engine passes every argument through Bind.
type Binder interface {
	Bind(v any) any
}

// ArrayBinder is implemented by dialects that bind a list of values as
// one array parameter (PostgreSQL: x = ANY($1)), so that a statement's
// text does not change with the number of values and one prepared
// statement serves every length. BindArray returns false for a list it
// cannot bind so (values of mixed or other kinds); the engine then writes
// x IN (…). The array is bound as BindArray makes it, not through Binder.
type ArrayBinder interface {
	BindArray(vals []any) (any, bool)
	AnyOf(x, ph string) string
}

// ColumnTimer is implemented by dialects that bind a time by the type of
// the column it is compared with (SQL Server: datetime, datetime2,
// datetimeoffset and date each compare best with a parameter of their own
// type). colType is the column's type as Columns reports it, or "" when
// unknown (an SQL expression); the engine then calls TimeArg.
type ColumnTimer interface {
	TimeArgFor(t time.Time, colType string) any
}

// ColumnBinder is implemented by dialects that bind a value read from a
// column, when it is compared with that column again (a paging cursor's
// position), as the column's own type: SQL Server compares a VARCHAR
// column with an NVARCHAR parameter under other rules than it sorts the
// column by. The text came from the column, so it fits its type.
type ColumnBinder interface {
	BindFor(v any, colType string) any
}

// ParamLimiter is implemented by dialects whose database takes a bounded
// number of parameters in one statement (SQL Server: 2100). The engine
// splits the key lists it makes itself to stay well under it, and answers
// a request that would still exceed it with a 400.
type ParamLimiter interface {
	MaxParams() int
}

// Exacter is implemented by dialects whose "=" on text may ignore case
// (SQL Server under a case-insensitive collation): Exact returns a
// predicate true when expr equals the text bound at ph exactly, case
// included, and ExactIn when it equals one of the texts bound at phs.
// Without it the engine writes expr = ph and expr IN (…).
type Exacter interface {
	Exact(expr, ph string) string
	ExactIn(expr string, phs []string) string
}

// Column describes one column of a table, as the database reports it.
type Column struct {
	Name     string
	Type     string // the database's type name, upper case, e.g. "VARCHAR"
	Nullable bool
	// Collation is a text column's collation, where the adapter reports
	// it (MySQL); "" otherwise.
	Collation string
}

// Adapter is an open connection pool to one database.
type Adapter interface {
	Dialect
	// DB is the pool; every query the engine issues goes through it.
	DB() *sqlx.DB
	// Normalize converts a value scanned from the driver into one of: nil,
	// string, int64, float64, bool, time.Time. Exact numerics (DECIMAL,
	// NUMERIC, MONEY) become their exact text. dbType is the column's
	// type as the driver reports it (sql.ColumnType.DatabaseTypeName), or
	// "" when unknown.
	Normalize(v any, dbType string) any
	// Columns lists the columns of a table or view, in order. A table that
	// does not exist yields an error wrapping ErrNoTable.
	Columns(ctx context.Context, table string) ([]Column, error)
	// Close releases the pool.
	Close() error
}

// Loader is implemented by adapters that can load data (the demo EPR
// generator uses it). Serving never needs it.
type Loader interface {
	// Exec runs a script of one or more statements separated by ";" at
	// line ends.
	Exec(ctx context.Context, script string) error
	// Load inserts rows into table as fast as the database allows (COPY,
	// batched multi-row INSERT in one transaction, ...). next returns false
	// when there are no more rows; the slice it fills may be reused.
	Load(ctx context.Context, table string, columns []string, next func(row []any) bool) error
}

// Analyzer is implemented by loaders whose database plans queries from
// statistics it gathers only when asked or later in the background
// (PostgreSQL's ANALYZE, which autovacuum runs some time after a load, or
// never where it is off). Analyze gathers them for the tables just
// loaded, so that the first queries are planned from the data.
type Analyzer interface {
	Analyze(ctx context.Context, tables []string) error
}

// Estimator is implemented by adapters whose database can estimate how many
// rows a query returns without running it (from its planner), for
// _total=estimate.
type Estimator interface {
	// Estimate returns the planner's estimate of the rows of the query,
	// or an error wrapping ErrNoEstimate when the planner has none worth
	// giving for it: the engine then counts the rows.
	Estimate(ctx context.Context, query string, args []any) (int64, error)
}

// ErrNoEstimate is wrapped by Estimate's error when the planner cannot
// estimate the query's rows well enough (see the MySQL adapter's).
var ErrNoEstimate = errors.New("the planner has no estimate")

// ScanChecker is implemented by adapters whose database can show a query's
// plan, so that `ccfacade check` can report search parameters that no index
// supports.
type ScanChecker interface {
	// FullScans returns the tables the plan reads in full (sequential
	// scans), by the names the database reports.
	FullScans(ctx context.Context, query string, args []any) ([]string, error)
}

// Options are the pool and session settings common to all adapters.
type Options struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	// ReadOnly asks the adapter to open sessions that cannot write, where
	// the database supports it.
	ReadOnly bool
	// StatementTimeout bounds each statement where the database supports it.
	StatementTimeout time.Duration
}

// Opener opens an adapter from a data source name.
type Opener func(ctx context.Context, dsn string, opts Options) (Adapter, error)

// ErrNoTable is wrapped by Columns when the table does not exist.
var ErrNoTable = errors.New("no such table")

// AccentFolder is an optional capability: whether the dialect's ILike
// ignores accents as well as case (Zoë matches zoe). Without it, accents
// count.
type AccentFolder interface {
	FoldsAccents() bool
}

// AccentAdvisor is an optional capability of an AccentFolder whose ILike
// does not ignore accents but can be made to by a change to the
// database: AccentAdvice says what to do, as words that follow "to
// ignore accents too, " (PostgreSQL: install unaccent).
type AccentAdvisor interface {
	AccentAdvice() string
}

// Folding is what a text comparison under a collation ignores, as the
// database showed it on a few letters.
type Folding struct {
	// Case is set when upper and lower case compare equal (Smith matches
	// smith).
	Case bool
	// Kept are the letters of Accents (those the collation's character
	// set can hold) that the collation does not take for their base
	// letter: an accent that counts (é), or a letter of its own (ø); none
	// when it ignores every accent tested.
	Kept []Accent
}

// Keeps tells whether the collation keeps letter (one of Accents) apart
// from its base letter.
func (f Folding) Keeps(letter string) bool {
	for _, a := range f.Kept {
		if a.Letter == letter {
			return true
		}
	}
	return false
}

// Accent is an accented letter, its base letter and a name written with
// and without it, for messages.
type Accent struct {
	Letter, Base  string
	With, Without string
}

// Accents are the accented letters a Folding is tested on: the accents of
// the Latin letters of European names, and the letters with a stroke that
// some collations keep apart from their base letter.
var Accents = []Accent{
	{"é", "e", "René", "Rene"},
	{"ë", "e", "Zoë", "Zoe"},
	{"á", "a", "Siobhán", "Siobhan"},
	{"ü", "u", "Müller", "Muller"},
	{"ö", "o", "Björk", "Bjork"},
	{"å", "a", "Åse", "Ase"},
	{"ñ", "n", "Peña", "Pena"},
	{"ç", "c", "François", "Francois"},
	{"ø", "o", "Søren", "Soren"},
	{"ł", "l", "Michał", "Michal"},
}

// CollationFolder is an optional capability of adapters whose ILike
// ignores case and accents as the collation of the column it compares
// does (MySQL), so that what string search ignores differs from column
// to column: Folding says what a collation ignores, asking the database;
// FoldingCollation names the collation, of those the database has, that
// ignores case and every accent, to give a column instead.
type CollationFolder interface {
	Folding(ctx context.Context, collation string) (Folding, error)
	FoldingCollation() string
}

// Trimmer is an optional capability: how the dialect trims white space
// from both ends of a text expression, where it is not TRIM(x) (SQL
// Server before 2017 has only LTRIM and RTRIM).
type Trimmer interface {
	Trim(expr string) string
}

// TextFunctions is an optional capability: the dialect's SQL for the text
// functions of the mapping language beyond trim, compact, upper and lower,
// each computing what package textfn computes so that a search
// compares a column in the form the resource shows it. fn is "title" (no
// values), "before" or "after" (the separator), "replace" (a pattern and
// its literal replacement) or "matches" (a pattern; a predicate, true,
// false or NULL). bind turns a value into a placeholder. It returns false
// where the dialect has no such function; a mapping set that needs one is
// then refused by the catalog.
type TextFunctions interface {
	TextFunction(fn, x string, vals []string, bind func(any) string) (string, bool)
}

// ChildAggregator is an optional capability: the dialect can return a
// child table's rows for each row of a statement inside that statement,
// as one value (a JSON array of rows), saving a statement and a round trip
// per child collection.
type ChildAggregator interface {
	// Aggregates tells whether rows of columns of these types (as Columns
	// names them) can travel that way without loss.
	Aggregates(types []string) bool
	// AggregateRows is a select-list expression: the rows of from (a table
	// under an alias) that meet where, ordered by order, each the values of
	// cols, for the current row of the enclosing statement.
	AggregateRows(cols []string, from, where string, order []string) string
	// ReadRows turns that expression's value into rows, each value as
	// Normalize gives it for a column of the corresponding type.
	ReadRows(v any, types []string) ([][]any, error)
}

// StatementReuser is an optional capability: the adapter's driver prepares
// a statement once per connection and runs it again without parsing or
// planning it anew, so the engine keeps a bounded cache of prepared
// statements by their text. Without it every statement is sent whole.
type StatementReuser interface {
	ReusesStatements() bool
}

// StatsWatcher is an optional capability of an adapter that reuses
// statements: its database may keep a prepared statement's plan after the
// statistics the plan was made from have changed. (PostgreSQL revises a
// cached plan when a table's definition changes, not when ANALYZE gathers
// new statistics, so a generic plan made before a table was first
// analysed stays, however bad, for as long as the statement is kept.)
// StatsVersion returns a value that changes when the planner's statistics
// of the tables (and of their indexes) change; the engine asks for it now
// and then and, when it has changed, prepares its statements afresh.
type StatsWatcher interface {
	StatsVersion(ctx context.Context, tables []string) (string, error)
}
