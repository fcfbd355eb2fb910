package query

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
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
			switch w := firstWord(sqlText); w {
			case "SELECT", "WITH", "FROM", "VALUES", "(":
				// The first statement is a query; one after it is not.
				return nil, fmt.Errorf("%w: a statement after the first is not a SELECT", ErrNotSelect)
			default:
				return nil, fmt.Errorf("%w, not %s", ErrNotSelect, w)
			}
		}
		return nil, fmt.Errorf("%s", msg) // a syntax error, with DuckDB's position
	}
	stmts, _ := m["statements"].([]any)
	if len(stmts) != 1 {
		return nil, fmt.Errorf("%w; this text has %d statements", ErrNotSelect, len(stmts))
	}
	if err := checkNames(sqlText, stmts[0]); err != nil {
		return nil, err
	}
	return m, nil
}

// ErrNotAllowed is returned for a SELECT that calls a function or reads a system view that a
// query must not use: the SELECT is well formed, but what it would do is not a query.
var ErrNotAllowed = errors.New("query: not allowed in a query")

// allowedTableFunctions are the table functions a query may call: generators and the catalog.
// Everything else is refused by name before it runs, whatever the sandbox settings would do
// with it: DuckDB keeps adding table functions, and some change the database's state even on
// a read-only, locked connection (enable_logging with a file storage breaks every later query
// and aborts the process on close), take raw pointers (arrow_scan), run SQL text that this
// check never saw (query, json_execute_serialized_sql) or read files (read_*, glob).
var allowedTableFunctions = map[string]bool{
	"range": true, "generate_series": true, "unnest": true, "json_each": true, "json_tree": true,
	"repeat": true, "repeat_row": true, "pg_timezone_names": true, "icu_calendar_names": true,
	"duckdb_columns": true, "duckdb_tables": true, "duckdb_views": true, "duckdb_schemas": true,
	"duckdb_functions": true, "duckdb_types": true, "duckdb_keywords": true, "duckdb_constraints": true,
	"duckdb_indexes": true, "duckdb_sequences": true, "duckdb_dependencies": true,
	"pragma_table_info": true, "pragma_show": true, "pragma_version": true,
}

// fileTableFunctions read files or URLs; their refusal says how to query a file instead.
var fileTableFunctions = map[string]bool{
	"read_text": true, "read_blob": true, "read_csv": true, "read_csv_auto": true, "read_json": true,
	"read_json_auto": true, "read_json_objects": true, "read_json_objects_auto": true, "read_ndjson": true,
	"read_ndjson_auto": true, "read_ndjson_objects": true, "read_parquet": true, "parquet_scan": true,
	"read_duckdb": true, "glob": true, "sniff_csv": true, "parquet_metadata": true, "parquet_schema": true,
	"parquet_file_metadata": true, "parquet_kv_metadata": true, "parquet_full_metadata": true,
	"parquet_bloom_probe": true, "delta_scan": true, "iceberg_scan": true, "read_xlsx": true,
}

// deniedFunctions are scalar functions a query must not call: they block a worker or write.
// current_setting is checked apart (see allowedSettings).
var deniedFunctions = map[string]bool{
	"sleep_ms": true, "pg_sleep": true, "write_log": true, "getenv": true,
}

// allowedSettings are the settings current_setting may read; the others reveal the server's
// paths (temp_directory, secret_directory, the database file) and configuration.
var allowedSettings = map[string]bool{
	"timezone": true, "calendar": true, "default_order": true, "default_null_order": true,
}

// deniedRelations are system views over state a query has no business reading.
var deniedRelations = map[string]bool{
	"duckdb_settings": true, "duckdb_secrets": true, "duckdb_databases": true, "duckdb_extensions": true,
	"duckdb_logs": true, "duckdb_logs_parsed": true, "duckdb_log_contexts": true, "duckdb_temporary_files": true,
	"duckdb_memory": true, "duckdb_external_file_cache": true, "duckdb_prepared_statements": true,
	"pg_settings": true,
}

// checkNames walks the statement as json_serialize_sql gave it and refuses table functions not
// in allowedTableFunctions, deniedFunctions, current_setting of a setting outside
// allowedSettings, and deniedRelations, naming the function and its line:col.
func checkNames(sqlText string, node any) error {
	switch n := node.(type) {
	case []any:
		for _, c := range n {
			if err := checkNames(sqlText, c); err != nil {
				return err
			}
		}
	case map[string]any:
		switch n["type"] {
		case "TABLE_FUNCTION":
			if f, ok := n["function"].(map[string]any); ok {
				name := strings.ToLower(fmt.Sprint(f["function_name"]))
				switch {
				case fileTableFunctions[name]:
					return fmt.Errorf("%w: %s reads files (at %s); to query a file, pass it with --table NAME=FILE", ErrNotAllowed, name, location(sqlText, f))
				case !allowedTableFunctions[name]:
					return fmt.Errorf("%w: table function %s (at %s); a query may read tables, range, generate_series, unnest and the duckdb_* catalog", ErrNotAllowed, name, location(sqlText, f))
				}
			}
		case "BASE_TABLE":
			if name := strings.ToLower(fmt.Sprint(n["table_name"])); deniedRelations[name] {
				return fmt.Errorf("%w: system view %s (at %s)", ErrNotAllowed, name, location(sqlText, n))
			}
		}
		if n["class"] == "FUNCTION" {
			name := strings.ToLower(fmt.Sprint(n["function_name"]))
			if deniedFunctions[name] {
				return fmt.Errorf("%w: function %s (at %s)", ErrNotAllowed, name, location(sqlText, n))
			}
			if name == "current_setting" {
				if setting, ok := constantArg(n); !ok || !allowedSettings[strings.ToLower(setting)] {
					return fmt.Errorf("%w: current_setting(%s) (at %s); a query may read only the settings %s", ErrNotAllowed,
						quoteSetting(setting, ok), location(sqlText, n), strings.Join(sortedKeys(allowedSettings), ", "))
				}
			}
		}
		for _, k := range sortedKeys(n) {
			if err := checkNames(sqlText, n[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// constantArg returns the single constant VARCHAR argument of a function node.
func constantArg(fn map[string]any) (string, bool) {
	children, _ := fn["children"].([]any)
	if len(children) != 1 {
		return "", false
	}
	c, _ := children[0].(map[string]any)
	if c["class"] != "CONSTANT" {
		return "", false
	}
	v, _ := c["value"].(map[string]any)
	s, ok := v["value"].(string)
	return s, ok
}

func quoteSetting(s string, ok bool) string {
	if !ok {
		return "a computed name"
	}
	return "'" + s + "'"
}

// location renders a node's query_location (a byte offset) as line:col.
func location(sqlText string, n map[string]any) string {
	off, ok := n["query_location"].(float64)
	if !ok || off < 0 || off > float64(len(sqlText)) {
		return "an unknown position"
	}
	before := sqlText[:int(off)]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Sprintf("%d:%d", line, col)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
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
