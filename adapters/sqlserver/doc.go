// Package sqlserver is the Microsoft SQL Server adapter, on
// github.com/microsoft/go-mssqldb: the T-SQL dialect (@pN parameters,
// [bracket] quoting, OFFSET … FETCH, LIKE under the column's collation),
// the session settings a read-only facade wants (snapshot isolation where
// the database allows it, a lock timeout), and the conversion of the
// driver's values (uniqueidentifier in its canonical text, DECIMAL and
// MONEY as exact text).
//
// Strings are bound as VARCHAR when they are plain ASCII and as NVARCHAR
// otherwise, so that a comparison with an indexed VARCHAR column does not
// convert the column (which would turn an index seek into a scan), and
// text outside the column's code page is never mangled. Times are bound
// as the type of the column they are compared with (datetime, datetime2,
// date, datetimeoffset), for the same reason.
package sqlserver
