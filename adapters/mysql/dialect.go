package mysql

import (
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/textfn"
)

// Dialect is the SQL text of MySQL 8 and MariaDB 10.6 and later, as the
// adapter's sessions read it (see Open: ANSI_QUOTES, PIPES_AS_CONCAT and
// NO_BACKSLASH_ESCAPES). It needs no connection, so that the SQL the
// engine generates can be shown and tested without a server.
type Dialect struct {
	// MariaDB is set for a MariaDB server, clear for MySQL: the two differ
	// in their binary collations, regular-expression replacements and
	// JSON aggregation.
	MariaDB bool
}

var (
	_ adapters.Dialect       = Dialect{}
	_ adapters.Exacter       = Dialect{}
	_ adapters.TextFunctions = Dialect{}
)

// Name is "mysql", for MySQL and MariaDB alike.
func (Dialect) Name() string { return "mysql" }

// Placeholder is "?n". MySQL's own marks are bare "?", each the next
// argument; the adapter's connections rewrite "?n" into them and pass the
// arguments in order, so that the engine may number, repeat and reorder
// its placeholders as in every other dialect.
func (Dialect) Placeholder(n int) string { return "?" + strconv.Itoa(n) }

// Quote leaves a plain name unquoted and puts any other in backticks, with
// '`' doubled. MySQL compares column names without regard to case; table
// and database names follow lower_case_table_names (0 on Linux: as
// written, case counting).
func (Dialect) Quote(ident string) string { return adapters.QuoteIdent(ident, '`', '`', reserved) }

// Limit is "LIMIT n".
func (Dialect) Limit(n int) string { return "LIMIT " + strconv.Itoa(n) }

// ILike is a plain LIKE: it compares under the column's collation, which
// for the _ci collations ignores case (and accents, some or all: see
// DB.Folding), and a pattern with a fixed prefix can use an index on the
// column. Under a _bin or _cs collation case counts; lint and check say
// so for the columns of string search parameters.
func (Dialect) ILike(expr, ph string) string { return expr + " LIKE " + ph + ` ESCAPE '\'` }

// Like compares under the binary collation of utf8mb4, case and accents
// counting. The collation is given to the pattern, so that a column of
// another character set (latin1) is converted rather than refused.
func (d Dialect) Like(expr, ph string) string {
	return expr + " LIKE " + ph + " COLLATE " + d.binary() + ` ESCAPE '\'`
}

// binary is utf8mb4's binary collation without trailing-space padding.
func (d Dialect) binary() string {
	if d.MariaDB {
		return "utf8mb4_nopad_bin"
	}
	return "utf8mb4_0900_bin"
}

// Exact compares under the binary collation, so that case and trailing
// spaces count whatever the column's collation; the plain = before it
// lets an index on the column narrow the rows first.
func (d Dialect) Exact(expr, ph string) string {
	return "(" + expr + " = " + ph + " AND " + expr + " = " + ph + " COLLATE " + d.binary() + ")"
}

// ExactIn is Exact for a list.
func (d Dialect) ExactIn(expr string, phs []string) string {
	bin := make([]string, len(phs))
	for i, p := range phs {
		bin[i] = p + " COLLATE " + d.binary()
	}
	return "(" + expr + " IN (" + strings.Join(phs, ", ") + ") AND " + expr + " IN (" + strings.Join(bin, ", ") + "))"
}

// TimeArg binds the time's wall clock. The adapter's sessions keep
// time_zone at UTC and the driver sends a time in UTC, so a DATETIME or
// DATE column compares with the wall clock the engine gives (in the zone
// the database's date-times are kept in); a TIMESTAMP column, an instant,
// with the instant the engine gives in UTC.
func (Dialect) TimeArg(t time.Time) any { return wallClock(t) }

// wallClock is t's wall clock as a time in UTC.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// Kind classifies the type names of information_schema.COLUMNS.DATA_TYPE
// (Columns) and of a result's columns (the driver: "UNSIGNED INT",
// "VARCHAR", "DATETIME"). TINYINT is an integer, BOOLEAN included (it is
// TINYINT(1)); TIMESTAMP is an instant, DATETIME a wall clock. JSON, BIT,
// TIME, YEAR and the binary types are KindOther.
func (Dialect) Kind(dbType string) adapters.Kind { return kindOf(dbType) }

func kindOf(dbType string) adapters.Kind {
	t := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(dbType)), "UNSIGNED ")
	switch t {
	case "VARCHAR", "CHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "ENUM", "SET":
		return adapters.KindText
	case "TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT":
		return adapters.KindInteger
	case "DECIMAL", "NUMERIC", "FLOAT", "DOUBLE", "REAL", "DOUBLE PRECISION":
		return adapters.KindDecimal
	case "DATE":
		return adapters.KindDate
	case "DATETIME":
		return adapters.KindTimestamp
	case "TIMESTAMP":
		return adapters.KindTimestampTZ
	}
	return adapters.KindOther
}

// CastText is CAST(expr AS CHAR), text in the connection's character set
// (utf8mb4).
func (Dialect) CastText(expr string, _ adapters.Kind) string { return "CAST(" + expr + " AS CHAR)" }

// TextFunction spells the mapping language's text functions: the text
// before or after a separator with SUBSTRING_INDEX (which finds the
// separator with case counting), REGEXP_REPLACE and REGEXP (MariaDB's
// PCRE, MySQL's ICU), with (?s-i) so that case counts under a _ci
// collation and "." matches a newline (as package textfn has it), and the
// replacement escaped so that it is literal. MySQL has no title case: it
// is spelt character by character (see below), which costs a subquery a
// row; a search through it reads every row.
func (d Dialect) TextFunction(fn, x string, vals []string, bind func(any) string) (string, bool) {
	switch fn {
	case "title":
		// Each character of x, upper-cased after a character that is not
		// a letter or digit and lower-cased after one, joined again: the
		// characters are numbered by a JSON_TABLE over an array as long
		// as x (one element more: an empty x gives '', a NULL none).
		c := func(at string) string { return "SUBSTRING(" + x + ", " + at + ", 1)" }
		return "(SELECT GROUP_CONCAT(CASE WHEN j.n = 1 OR " + c("j.n - 1") + ` NOT REGEXP '^[\p{L}\p{N}]$' THEN UPPER(` + c("j.n") + ") ELSE LOWER(" + c("j.n") + ") END ORDER BY j.n SEPARATOR '') " +
			"FROM JSON_TABLE(CONCAT('[', REPEAT('0,', CHAR_LENGTH(" + x + ")), '0]'), '$[*]' COLUMNS (n FOR ORDINALITY)) j)", true
	case "before":
		return "SUBSTRING_INDEX(" + x + ", " + bind(vals[0]) + ", 1)", true
	case "after":
		sep := bind(vals[0])
		before := "CHAR_LENGTH(SUBSTRING_INDEX(" + x + ", " + sep + ", 1))"
		return "CASE WHEN " + before + " < CHAR_LENGTH(" + x + ") THEN SUBSTRING(" + x + ", " + before + " + " +
			strconv.Itoa(textfn.Runes(vals[0])+1) + ") ELSE '' END", true
	case "replace":
		repl := strings.ReplaceAll(vals[1], `\`, `\\`)
		if !d.MariaDB {
			repl = strings.ReplaceAll(repl, "$", `\$`)
		}
		return "REGEXP_REPLACE(" + x + ", " + bind("(?s-i)"+vals[0]) + ", " + bind(repl) + ")", true
	case "matches":
		return "(" + x + " REGEXP " + bind("(?s-i)"+vals[0]) + ")", true
	}
	return "", false
}

// Accepted are the constructs of adapters.Constructs that MySQL and
// MariaDB accept, as the adapter's sessions read SQL (|| joins text).
// (LENGTH is not among them: MySQL's counts bytes, not characters.)
var Accepted = []string{"||", "CURRENT_DATE", "LIMIT", "REGEXP_REPLACE(", "NOW(", "SUBSTRING(x FROM y)", "POSITION(x IN y)",
	"SUBSTR(", "INSTR(", "IFNULL(", "GROUP_CONCAT(", "DATE("}

// reserved are MySQL 8's and MariaDB's reserved words; Quote puts a name
// that is one of them in backticks.
var reserved = adapters.WordSet(`ACCESSIBLE ADD ALL ALTER ANALYZE AND AS ASC ASENSITIVE BEFORE BETWEEN BIGINT BINARY
BLOB BOTH BY CALL CASCADE CASE CHANGE CHAR CHARACTER CHECK COLLATE COLUMN CONDITION CONSTRAINT
CONTINUE CONVERT CREATE CROSS CUBE CUME_DIST CURRENT_DATE CURRENT_ROLE CURRENT_TIME CURRENT_TIMESTAMP
CURRENT_USER CURSOR DATABASE DATABASES DAY_HOUR DAY_MICROSECOND DAY_MINUTE DAY_SECOND DEC DECIMAL
DECLARE DEFAULT DELAYED DELETE DELETE_DOMAIN_ID DENSE_RANK DESC DESCRIBE DETERMINISTIC DISTINCT
DISTINCTROW DIV DO_DOMAIN_IDS DOUBLE DROP DUAL EACH ELSE ELSEIF EMPTY ENCLOSED ESCAPED EXCEPT EXISTS
EXIT EXPLAIN FALSE FETCH FIRST_VALUE FLOAT FLOAT4 FLOAT8 FOR FORCE FOREIGN FROM FULLTEXT FUNCTION
GENERAL GENERATED GET GRANT GROUP GROUPING GROUPS HAVING HIGH_PRIORITY HOUR_MICROSECOND HOUR_MINUTE
HOUR_SECOND IF IGNORE IGNORE_DOMAIN_IDS IGNORE_SERVER_IDS IN INDEX INFILE INNER INOUT INSENSITIVE
INSERT INT INT1 INT2 INT3 INT4 INT8 INTEGER INTERSECT INTERVAL INTO IO_AFTER_GTIDS IO_BEFORE_GTIDS
IS ITERATE JOIN JSON_TABLE KEY KEYS KILL LAG LAST_VALUE LATERAL LEAD LEADING LEAVE LEFT LIKE LIMIT
LINEAR LINES LOAD LOCALTIME LOCALTIMESTAMP LOCK LONG LONGBLOB LONGTEXT LOOP LOW_PRIORITY
MASTER_BIND MASTER_HEARTBEAT_PERIOD MASTER_SSL_VERIFY_SERVER_CERT MATCH MAXVALUE MEDIUMBLOB
MEDIUMINT MEDIUMTEXT MIDDLEINT MINUTE_MICROSECOND MINUTE_SECOND MOD MODIFIES NATURAL NOT
NO_WRITE_TO_BINLOG NTH_VALUE NTILE NULL NUMERIC OF OFFSET ON OPTIMIZE OPTIMIZER_COSTS OPTION
OPTIONALLY OR ORDER OUT OUTER OUTFILE OVER PAGE_CHECKSUM PARSE_VCOL_EXPR PARTITION PERCENT_RANK
PRECISION PRIMARY PROCEDURE PURGE RANGE RANK READ READS READ_WRITE REAL RECURSIVE REF_SYSTEM_ID
REFERENCES REGEXP RELEASE RENAME REPEAT REPLACE REQUIRE RESIGNAL RESTRICT RETURN RETURNING REVOKE
RIGHT RLIKE ROW ROWS ROW_NUMBER SCHEMA SCHEMAS SECOND_MICROSECOND SELECT SENSITIVE SEPARATOR SET
SHOW SIGNAL SLOW SMALLINT SPATIAL SPECIFIC SQL SQLEXCEPTION SQLSTATE SQLWARNING SQL_BIG_RESULT
SQL_CALC_FOUND_ROWS SQL_SMALL_RESULT SSL STARTING STATS_AUTO_RECALC STATS_PERSISTENT
STATS_SAMPLE_PAGES STORED STRAIGHT_JOIN SYSTEM TABLE TERMINATED THEN TINYBLOB TINYINT TINYTEXT TO
TRAILING TRIGGER TRUE UNDO UNION UNIQUE UNLOCK UNSIGNED UPDATE USAGE USE USING UTC_DATE UTC_TIME
UTC_TIMESTAMP VALUES VARBINARY VARCHAR VARCHARACTER VARYING VIRTUAL WHEN WHERE WHILE WINDOW WITH
WRITE XOR YEAR_MONTH ZEROFILL`)
