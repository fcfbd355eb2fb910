package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ErrNotSelect is returned for SQL that is not exactly one SELECT (or WITH … SELECT) statement.
var ErrNotSelect = errors.New("query: only one SELECT statement is allowed")

// CheckSQL verifies, before anything runs, that sqlText is exactly one SELECT-shaped statement:
// DuckDB's json_serialize_sql parses it and serializes only SELECT statements, so DDL, DML,
// SET, PRAGMA, COPY, ATTACH, INSTALL and multi-statement text are all refused here. What a
// SELECT could still reach (files, network, extensions) is shut by the sandbox database.
func CheckSQL(ctx context.Context, db *sql.DB, sqlText string) error {
	_, err := serialize(ctx, db, sqlText)
	return err
}

// serialize runs json_serialize_sql on sqlText and returns its output when it is exactly one
// SELECT statement.
func serialize(ctx context.Context, db *sql.DB, sqlText string) (map[string]any, error) {
	if strings.TrimSpace(sqlText) == "" {
		return nil, fmt.Errorf("%w: the query is empty", ErrNotSelect)
	}
	var v any
	if err := db.QueryRowContext(ctx, "SELECT json_serialize_sql(CAST(? AS VARCHAR))", sqlText).Scan(&v); err != nil {
		return nil, fmt.Errorf("checking query: %w", err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("BUG: json_serialize_sql returned %T", v)
	}
	if isErr, _ := m["error"].(bool); isErr {
		msg, _ := m["error_message"].(string)
		if strings.Contains(msg, "Only SELECT statements") {
			return nil, fmt.Errorf("%w, not %s", ErrNotSelect, firstWord(sqlText))
		}
		return nil, fmt.Errorf("%s", msg) // a syntax error, with DuckDB's position
	}
	stmts, _ := m["statements"].([]any)
	if len(stmts) != 1 {
		return nil, fmt.Errorf("%w; this text has %d statements", ErrNotSelect, len(stmts))
	}
	return m, nil
}

func firstWord(s string) string {
	f := strings.Fields(strings.TrimSpace(s))
	if len(f) == 0 {
		return "an empty statement"
	}
	return strings.ToUpper(strings.TrimRight(f[0], ";"))
}

// explain turns limit errors into messages that say which limit was hit.
func explain(err error, opts Options) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "INTERRUPT"):
		return fmt.Errorf("query took longer than the %v limit: %w", opts.Timeout, err)
	case strings.Contains(err.Error(), "Out of Memory"):
		return fmt.Errorf("query needs more memory than its limit; aggregate or filter more: %w", err)
	}
	return err
}
