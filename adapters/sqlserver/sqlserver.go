package sqlserver

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/golang-sql/civil"
	"github.com/jmoiron/sqlx"
	mssql "github.com/microsoft/go-mssqldb"
	"github.com/microsoft/go-mssqldb/msdsn"
)

// Dialect is SQL Server's SQL text. It needs no connection, so that the
// exact T-SQL the engine generates can be shown and tested without a
// server.
type Dialect struct {
	// CICollation, when the database's default collation is case
	// sensitive (_CS_ or _BIN), is its case-insensitive sibling (same code
	// page): ILike then names it explicitly.
	CICollation string
}

var _ adapters.Dialect = Dialect{}
var _ adapters.Binder = Dialect{}
var _ adapters.Exacter = Dialect{}
var _ adapters.ColumnTimer = Dialect{}
var _ adapters.ParamLimiter = Dialect{}
var _ adapters.ColumnBinder = Dialect{}

// Name is "sqlserver".
func (Dialect) Name() string { return "sqlserver" }

// Placeholder is "@pn", the names go-mssqldb gives positional arguments.
func (Dialect) Placeholder(n int) string { return "@p" + strconv.Itoa(n) }

// Quote leaves a plain name unquoted; SQL Server does not fold the case of
// names, it compares them under the database's collation. Any other name
// is put in brackets, with ']' doubled.
func (Dialect) Quote(ident string) string { return adapters.QuoteIdent(ident, '[', ']', reserved) }

// Limit is "OFFSET 0 ROWS FETCH NEXT n ROWS ONLY", which follows ORDER BY
// (SQL Server 2012 and later).
func (Dialect) Limit(n int) string {
	return "OFFSET 0 ROWS FETCH NEXT " + strconv.Itoa(n) + " ROWS ONLY"
}

// ILike is a plain LIKE: under the usual case-insensitive collations
// (SQL_Latin1_General_CP1_CI_AS, Latin1_General_CI_AS, …) it ignores case
// already, respects the column's own collation, and a pattern with a
// fixed prefix can seek an index on the column. Accents count unless the
// collation is accent-insensitive (_AI). When the database's collation is
// case sensitive the expression is given its case-insensitive sibling, at
// the cost of that index seek.
func (d Dialect) ILike(expr, ph string) string {
	if d.CICollation != "" {
		return expr + " COLLATE " + d.CICollation + " LIKE " + ph + ` ESCAPE '\'`
	}
	return expr + " LIKE " + ph + ` ESCAPE '\'`
}

// Like compares under a binary collation, which is case (and accent)
// sensitive whatever the column's collation.
func (Dialect) Like(expr, ph string) string {
	return expr + " COLLATE Latin1_General_100_BIN2 LIKE " + ph + ` ESCAPE '\'`
}

// Exact compares under a binary collation, so that case counts whatever
// the column's collation (string :exact, token codes); the plain = before
// it lets an index on the column narrow the rows first.
func (Dialect) Exact(expr, ph string) string {
	return "(" + expr + " = " + ph + " AND " + expr + " COLLATE Latin1_General_100_BIN2 = " + ph + ")"
}

// ExactIn is Exact for a list: expr equals one of the texts, case
// included (token codes).
func (Dialect) ExactIn(expr string, phs []string) string {
	in := " IN (" + strings.Join(phs, ", ") + ")"
	return "(" + expr + in + " AND " + expr + " COLLATE Latin1_General_100_BIN2" + in + ")"
}

// TimeArg binds the time's wall clock as a datetime2 (civil.DateTime). A
// time.Time would be sent as datetimeoffset, which has the higher type
// precedence: SQL Server would convert every datetime2 or datetime value of
// the column, reading it as UTC, and could no longer seek an index. The
// engine passes times in the zone the database's date-times are kept in,
// and instants in UTC for datetimeoffset columns.
func (Dialect) TimeArg(t time.Time) any { return civil.DateTimeOf(t) }

// TimeArgFor binds a time as the type of the column it is compared with,
// so that the column is never converted: datetime and smalldatetime get a
// datetime (a datetime2 would turn the column's .003 into .0033333, and
// the value read back would no longer equal it), date a date,
// datetimeoffset the instant with its zone, anything else a datetime2
// wall clock.
func (d Dialect) TimeArgFor(t time.Time, colType string) any {
	switch strings.ToUpper(colType) {
	case "DATETIME", "SMALLDATETIME":
		return mssql.DateTime1(t)
	case "DATE":
		return civil.DateOf(t)
	case "DATETIMEOFFSET":
		return t
	}
	return d.TimeArg(t)
}

// MaxParams is the most parameters SQL Server takes in one statement.
func (Dialect) MaxParams() int { return MaxParams }

// BindFor binds text read from a VARCHAR, CHAR or TEXT column as VARCHAR
// whatever its characters (it came from that column's code page), so that
// a cursor's position compares under the rules the column is sorted by;
// anything else as Bind does.
func (d Dialect) BindFor(v any, colType string) any {
	if s, ok := v.(string); ok {
		switch strings.ToUpper(colType) {
		case "VARCHAR", "CHAR", "TEXT":
			if len(s) > maxVarChar {
				return mssql.VarCharMax(s)
			}
			return mssql.VarChar(s)
		}
	}
	return d.Bind(v)
}

// maxVarChar is the longest VARCHAR parameter that is not VARCHAR(MAX).
const maxVarChar = 8000

// Bind sends an ASCII string as VARCHAR and any other as NVARCHAR (the
// driver's default for strings). A VARCHAR parameter compared with an
// NVARCHAR column is converted itself (the column keeps its index); an
// NVARCHAR parameter compared with a VARCHAR column would convert the
// column instead. ASCII is the same in every code page, so nothing is lost.
func (Dialect) Bind(v any) any {
	s, ok := v.(string)
	if !ok || len(s) > maxVarChar {
		return v
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return v
		}
	}
	return mssql.VarChar(s)
}

// DB is an open SQL Server connection pool.
type DB struct {
	Dialect
	adapters.Conn
	// guidConverted is set when the DSN asks the driver to reorder
	// uniqueidentifier bytes itself ("guid conversion=true").
	guidConverted bool
}

var (
	_ adapters.Adapter = (*DB)(nil)
	_ adapters.Loader  = (*DB)(nil)
	_ adapters.Opener  = Open
)

// Open connects to SQL Server. dsn is any form go-mssqldb takes:
// sqlserver://user:pw@host:1433?database=EPR&encrypt=true, or
// "server=host;user id=u;password=pw;database=EPR;encrypt=true". The
// DSN's own settings stay in force: encrypt (true, strict, false,
// disable), TrustServerCertificate, certificate, hostNameInCertificate,
// ApplicationIntent=ReadOnly (routes to a readable secondary of an
// availability group), connection timeout, and so on.
//
// opts.ReadOnly makes every session use snapshot isolation when the
// database allows it (ALLOW_SNAPSHOT_ISOLATION ON): reads see committed
// data as of the statement's start, take no shared locks and never block
// the EPR's writers. SQL Server has no read-only session; writes are
// refused by the login's permissions (see the README's least-privilege
// login). opts.StatementTimeout becomes the session's LOCK_TIMEOUT; the
// engine bounds each statement's running time through its context, which
// go-mssqldb honours by cancelling the statement on the server.
func Open(ctx context.Context, dsn string, opts adapters.Options) (adapters.Adapter, error) {
	cfg, err := msdsn.Parse(dsn)
	if err != nil {
		return nil, adapters.OpenError("sqlserver", "open", dsn, err)
	}
	conn := mssql.NewConnectorConfig(cfg)

	// What the database allows decides the session settings: ask first,
	// on a connection of its own.
	probe := sql.OpenDB(conn)
	var collation string
	var snapshot int
	err = probe.QueryRowContext(ctx, `SELECT CAST(DATABASEPROPERTYEX(DB_NAME(), 'Collation') AS nvarchar(128)),
		(SELECT CAST(snapshot_isolation_state AS int) FROM sys.databases WHERE database_id = DB_ID())`).Scan(&collation, &snapshot)
	if err != nil {
		probe.Close()
		return nil, adapters.OpenError("sqlserver", "connect to", dsn, err)
	}
	// The driver runs SessionInitSQL on every session it opens or takes
	// back from the pool; a failure there shows only as a bad connection,
	// so it is tried here first, where its error can be told.
	init := sessionInit(opts, snapshot == 1)
	if init != "" {
		if _, err := probe.ExecContext(ctx, init); err != nil {
			probe.Close()
			return nil, adapters.OpenError("sqlserver", "session settings ("+init+") on", dsn, err)
		}
	}
	probe.Close()
	conn.SessionInitSQL = init
	db := sqlx.NewDb(sql.OpenDB(conn), "sqlserver")
	adapters.SizePool(db, opts, 16)
	d := &DB{Conn: adapters.NewConn(db), guidConverted: cfg.Encoding.GuidConversion}
	d.CICollation = ciCollation(collation)
	return d, nil
}

// sessionInit is the T-SQL every session runs first.
func sessionInit(opts adapters.Options, snapshotAllowed bool) string {
	var s []string
	if opts.ReadOnly && snapshotAllowed {
		s = append(s, "SET TRANSACTION ISOLATION LEVEL SNAPSHOT;")
	}
	if opts.StatementTimeout > 0 {
		s = append(s, "SET LOCK_TIMEOUT "+strconv.FormatInt(max(1, opts.StatementTimeout.Milliseconds()), 10)+";")
	}
	return strings.Join(s, " ")
}

// ciCollation is the case-insensitive sibling of a case-sensitive
// collation, in the same code page, or "" when the collation ignores case
// already.
func ciCollation(collation string) string {
	c := collation
	u := strings.ToUpper(c)
	switch {
	case strings.Contains(u, "_CS"):
		i := strings.Index(u, "_CS")
		return c[:i] + "_CI" + c[i+3:]
	case strings.HasSuffix(u, "_BIN2"):
		return c[:len(c)-len("_BIN2")] + "_CI_AS"
	case strings.HasSuffix(u, "_BIN"):
		return c[:len(c)-len("_BIN")] + "_CI_AS"
	}
	return ""
}

// Normalize converts the driver's values. go-mssqldb gives DECIMAL,
// NUMERIC, MONEY and SMALLMONEY as their exact text in a []byte, which
// becomes a string; a uniqueidentifier as its 16 bytes in SQL Server's
// order (the first three groups little-endian), which becomes the
// canonical text SQL Server itself prints (upper case); other binary
// values become strings. Integers are int64, floats float64, bit bool,
// and date and time types time.Time.
func (d *DB) Normalize(v any, dbType string) any {
	b, ok := v.([]byte)
	if !ok {
		return v
	}
	if strings.EqualFold(dbType, "UNIQUEIDENTIFIER") && len(b) == 16 {
		return GUIDText(b, !d.guidConverted)
	}
	return string(b)
}

// GUIDText prints a uniqueidentifier's 16 bytes as SQL Server does
// (6F9619FF-8B86-D011-B42D-00C04FC964FF). When wire is set the bytes are
// in SQL Server's own order, whose first three groups are little-endian.
func GUIDText(b []byte, wire bool) string {
	g := make([]byte, 16)
	copy(g, b)
	if wire {
		binary.BigEndian.PutUint32(g[0:4], binary.LittleEndian.Uint32(b[0:4]))
		binary.BigEndian.PutUint16(g[4:6], binary.LittleEndian.Uint16(b[4:6]))
		binary.BigEndian.PutUint16(g[6:8], binary.LittleEndian.Uint16(b[6:8]))
	}
	return fmt.Sprintf("%X-%X-%X-%X-%X", g[0:4], g[4:6], g[6:8], g[8:10], g[10:16])
}

// Columns lists the columns of a table or view, through OBJECT_ID, which
// resolves an unqualified name through the user's default schema as a
// query would. Type is the system type name, upper case ("VARCHAR",
// "NVARCHAR", "DATETIME2", "DATETIMEOFFSET", "UNIQUEIDENTIFIER",
// "DECIMAL", "MONEY"); a row version (TYPE_NAME says "timestamp") is
// "ROWVERSION", so that it is not taken for a date-time.
func (d *DB) Columns(ctx context.Context, table string) ([]adapters.Column, error) {
	const q = `SELECT c.name,
		CASE WHEN c.system_type_id = 189 THEN 'ROWVERSION' ELSE UPPER(TYPE_NAME(c.system_type_id)) END,
		c.is_nullable
		FROM sys.columns c
		WHERE c.object_id = OBJECT_ID(@p1)
		ORDER BY c.column_id`
	return adapters.ReadColumns(ctx, d.DB(), "sqlserver", table, q, []any{bracketed(table)}, adapters.ScanColumn)
}

// bracketed is a dotted name with every part in brackets, as OBJECT_ID
// reads names.
func bracketed(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		parts[i] = "[" + strings.ReplaceAll(p, "]", "]]") + "]"
	}
	return strings.Join(parts, ".")
}

// Exec runs a script of statements separated by ";" at line ends, one by
// one, so that an error names its statement.
func (d *DB) Exec(ctx context.Context, script string) error {
	return adapters.ExecScript(ctx, d.DB(), "sqlserver", script)
}

// MaxParams is the most parameters SQL Server takes in one statement.
const MaxParams = 2100

// Load inserts rows with multi-row INSERT statements in one transaction,
// as many rows a statement as SQL Server allows (1000, and fewer than
// MaxParams parameters). Parameters rather than the TDS bulk copy, so that
// the server converts text into each column's code page (bulk copy sends
// a string's UTF-8 bytes as they are) and times into each column's type:
// a time is sent with its zone, which a datetime2 or datetime column drops
// (keeping the wall clock) and a datetimeoffset column keeps.
func (d *DB) Load(ctx context.Context, table string, columns []string, next func(row []any) bool) error {
	per := rowsPerInsert(len(columns))
	err := adapters.InTx(ctx, d.DB(), func(tx *sql.Tx) error {
		var batch [][]any
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			q, args := d.insertSQL(table, columns, batch)
			batch = batch[:0]
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		}
		row := make([]any, len(columns))
		for next(row) {
			batch = append(batch, append([]any(nil), row...))
			if len(batch) == per {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		return flush()
	})
	if err != nil {
		return fmt.Errorf("sqlserver: load %s: %w", table, err)
	}
	return nil
}

// rowsPerInsert is how many rows of ncols columns one INSERT takes: at
// most 1000 (SQL Server's limit for VALUES), and fewer than MaxParams
// parameters.
func rowsPerInsert(ncols int) int { return min(1000, (MaxParams-100)/max(1, ncols)) }

// insertSQL is one INSERT of rows, with its arguments bound as Bind does.
func (d Dialect) insertSQL(table string, columns []string, rows [][]any) (string, []any) {
	var sb strings.Builder
	sb.WriteString(adapters.InsertInto(d.Quote, table, columns))
	args := make([]any, 0, len(rows)*len(columns))
	for r, row := range rows {
		if r > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for i, v := range row {
			if i > 0 {
				sb.WriteString(", ")
			}
			args = append(args, d.Bind(v))
			sb.WriteString(d.Placeholder(len(args)))
		}
		sb.WriteByte(')')
	}
	return sb.String(), args
}

// reserved are T-SQL's reserved key words and the ODBC ones SQL Server
// reserves; Quote brackets a name that is one of them.
var reserved = adapters.WordSet(`ADD ALL ALTER AND ANY AS ASC AUTHORIZATION BACKUP BEGIN BETWEEN BREAK BROWSE
BULK BY CASCADE CASE CHECK CHECKPOINT CLOSE CLUSTERED COALESCE COLLATE COLUMN COMMIT COMPUTE
CONSTRAINT CONTAINS CONTAINSTABLE CONTINUE CONVERT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME
CURRENT_TIMESTAMP CURRENT_USER CURSOR DATABASE DBCC DEALLOCATE DECLARE DEFAULT DELETE DENY DESC
DISK DISTINCT DISTRIBUTED DOUBLE DROP DUMP ELSE END ERRLVL ESCAPE EXCEPT EXEC EXECUTE EXISTS EXIT
EXTERNAL FETCH FILE FILLFACTOR FOR FOREIGN FREETEXT FREETEXTTABLE FROM FULL FUNCTION GOTO GRANT
GROUP HAVING HOLDLOCK IDENTITY IDENTITY_INSERT IDENTITYCOL IF IN INDEX INNER INSERT INTERSECT INTO
IS JOIN KEY KILL LEFT LIKE LINENO LOAD MERGE NATIONAL NOCHECK NONCLUSTERED NOT NULL NULLIF OF OFF
OFFSETS ON OPEN OPENDATASOURCE OPENQUERY OPENROWSET OPENXML OPTION OR ORDER OUTER OVER PERCENT
PIVOT PLAN PRECISION PRIMARY PRINT PROC PROCEDURE PUBLIC RAISERROR READ READTEXT RECONFIGURE
REFERENCES REPLICATION RESTORE RESTRICT RETURN REVERT REVOKE RIGHT ROLLBACK ROWCOUNT ROWGUIDCOL RULE
SAVE SCHEMA SECURITYAUDIT SELECT SEMANTICKEYPHRASETABLE SEMANTICSIMILARITYDETAILSTABLE
SEMANTICSIMILARITYTABLE SESSION_USER SET SETUSER SHUTDOWN SOME STATISTICS SYSTEM_USER TABLE
TABLESAMPLE TEXTSIZE THEN TO TOP TRAN TRANSACTION TRIGGER TRUNCATE TRY_CONVERT TSEQUAL UNION UNIQUE
UNPIVOT UPDATE UPDATETEXT USE USER VALUES VARYING VIEW WAITFOR WHEN WHERE WHILE WITH WITHIN
WRITETEXT`)

// Trim is LTRIM(RTRIM(x)): TRIM is SQL Server 2017's.
func (Dialect) Trim(expr string) string { return "LTRIM(RTRIM(" + expr + "))" }

var _ adapters.Trimmer = Dialect{}

// Kind classifies SQL Server's system type names (Columns and a result's
// column types both give them, upper case). A row version is not a
// date-time (Columns calls it ROWVERSION), nor is a uniqueidentifier text.
func (Dialect) Kind(dbType string) adapters.Kind {
	switch strings.ToUpper(strings.TrimSpace(dbType)) {
	case "VARCHAR", "NVARCHAR", "CHAR", "NCHAR", "TEXT", "NTEXT", "SYSNAME":
		return adapters.KindText
	case "TINYINT", "SMALLINT", "INT", "BIGINT":
		return adapters.KindInteger
	case "DECIMAL", "NUMERIC", "MONEY", "SMALLMONEY", "FLOAT", "REAL":
		return adapters.KindDecimal
	case "DATE":
		return adapters.KindDate
	case "DATETIME", "DATETIME2", "SMALLDATETIME":
		return adapters.KindTimestamp
	case "DATETIMEOFFSET":
		return adapters.KindTimestampTZ
	case "BIT":
		return adapters.KindBool
	}
	return adapters.KindOther
}

// CastText is CAST(expr AS VARCHAR(40)) for a number (its digits are
// ASCII, and VARCHAR keeps an index on a VARCHAR column it is compared
// with usable), else CAST(expr AS NVARCHAR(4000)), which loses no
// character of any code page.
func (Dialect) CastText(expr string, from adapters.Kind) string {
	if from.Numeric() {
		return "CAST(" + expr + " AS VARCHAR(40))"
	}
	return "CAST(" + expr + " AS NVARCHAR(4000))"
}

// TextFunction spells the text before or after a separator with
// CHARINDEX and SUBSTRING. SQL Server has no title case and, before 2025,
// no regular expressions: a mapping set that searches through them is
// refused on it.
func (d Dialect) TextFunction(fn, x string, vals []string, bind func(any) string) (string, bool) {
	switch fn {
	case "before":
		sep := bind(vals[0])
		return "CASE WHEN CHARINDEX(" + sep + ", " + x + ") > 0 THEN SUBSTRING(" + x + ", 1, CHARINDEX(" + sep + ", " + x + ") - 1) ELSE " + x + " END", true
	case "after":
		at := "CHARINDEX(" + bind(vals[0]) + ", " + x + ")"
		return adapters.TextAfter(at, vals[0], func(from string) string { return "SUBSTRING(" + x + ", " + from + ", LEN(" + x + ") + 1)" }), true
	}
	return "", false
}

var _ adapters.TextFunctions = Dialect{}

// Accepted are the constructs of adapters.Constructs that SQL Server
// (2017 and later) accepts.
var Accepted = []string{"TOP", "NVARCHAR", "GETDATE(", "ISNULL(", "LEN(", "CHARINDEX(", "DATEADD(", "DATEDIFF(", "STRING_AGG(", "CONVERT(", "FORMAT("}
