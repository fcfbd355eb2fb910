package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/dbsql"
	"github.com/auditlake/auditlake/internal/kql"
)

// Dialect is the SQL dialect a query is written in.
type Dialect string

// The dialects RunSQL accepts.
const (
	// DialectDuckDB is DuckDB SQL, run as written (the default).
	DialectDuckDB Dialect = "duckdb"
	// DialectDatabricks is Databricks (Spark) SQL, translated by dbsql: system.access.audit
	// reads silver.audit, and Spark functions keep their Spark meaning.
	DialectDatabricks Dialect = "databricks"
)

// ParseDialect reads a dialect name as the CLI and the API take it: "" or "duckdb" for DuckDB
// SQL, "databricks" (or "spark", "spark-sql") for Databricks SQL; case does not matter.
func ParseDialect(name string) (Dialect, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "duckdb":
		return DialectDuckDB, nil
	case "databricks", "spark", "spark-sql", "sparksql":
		return DialectDatabricks, nil
	}
	return "", fmt.Errorf("unknown SQL dialect %q (use duckdb or databricks)", name)
}

// SQLOptions configure RunSQL.
type SQLOptions struct {
	Options
	// Dialect of the query text. Default DialectDuckDB.
	Dialect Dialect
	// Now pins current_timestamp(), current_date() and now() of a Databricks query. Default:
	// DuckDB's clock when the query runs.
	Now time.Time
}

// TranslateSQL returns the DuckDB SQL that text, written in dialect d, runs as: the text itself
// for DuckDB SQL, the dbsql translation for Databricks SQL. Translation errors are
// *kql.ParseError with the line:col of the offending token (and the text, for Snippet).
func TranslateSQL(text string, d Dialect, now time.Time) (string, error) {
	switch d {
	case DialectDuckDB, "":
		return text, nil
	case DialectDatabricks:
		out, err := dbsql.Translate(text, dbsql.Options{Now: now})
		var de *dbsql.Error
		if errors.As(err, &de) {
			return "", &kql.ParseError{Pos: kql.Pos{Offset: de.Pos.Offset, Line: de.Pos.Line, Col: de.Pos.Col}, Msg: de.Msg, Query: text}
		}
		return out, err
	}
	return "", fmt.Errorf("unknown SQL dialect %q (use duckdb or databricks)", string(d))
}

// RunSQL translates text from its dialect and runs it like Run: checked to be one SELECT, on
// the sandbox db, within the limits. No SQL runs after a translation error.
func RunSQL(ctx context.Context, db *sql.DB, text string, opts SQLOptions) (*Result, error) {
	s, err := TranslateSQL(text, opts.Dialect, opts.Now)
	if err != nil {
		return nil, err
	}
	res, err := Run(ctx, db, s, opts.Options)
	if err != nil && opts.Dialect == DialectDatabricks {
		// DuckDB's positions point into the translation, not the text the user wrote.
		return nil, fmt.Errorf("%w\n(the Databricks query was translated to DuckDB SQL; --explain prints it)", err)
	}
	return res, err
}
