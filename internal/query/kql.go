package query

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/sqlgen"
)

// Catalog is the set of tables and views a KQL query can name, read from the
// database: main-schema tables and views by their own name
// (DatabricksClusters), other schemas as schema.table (['silver.audit']),
// temporary tables (--table) by their name.
type Catalog struct {
	tables map[string]kql.Schema
}

var _ kql.Catalog = (*Catalog)(nil)
var _ kql.TableLister = (*Catalog)(nil)

// Table returns the schema of a table or view; names are case-sensitive.
func (c *Catalog) Table(name string) (kql.Schema, bool) {
	s, ok := c.tables[name]
	return s, ok
}

// TableNames lists the tables in name order.
func (c *Catalog) TableNames() []string {
	names := make([]string, 0, len(c.tables))
	for n := range c.tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LoadCatalog reads the tables, views and their column types from db.
func LoadCatalog(ctx context.Context, db *sql.DB) (*Catalog, error) {
	rows, err := db.QueryContext(ctx, `SELECT database_name, schema_name, table_name, column_name, data_type
		FROM duckdb_columns()
		WHERE NOT internal AND schema_name NOT IN ('information_schema', 'pg_catalog')
			AND database_name IN (current_database(), 'temp') -- not an attached database underneath (store.Options.Shadow)
		ORDER BY database_name, schema_name, table_name, column_index`)
	if err != nil {
		return nil, fmt.Errorf("reading the catalog: %w", err)
	}
	defer rows.Close()
	c := &Catalog{tables: map[string]kql.Schema{}}
	for rows.Next() {
		var dbName, schema, table, col, typ string
		if err := rows.Scan(&dbName, &schema, &table, &col, &typ); err != nil {
			return nil, fmt.Errorf("reading the catalog: %w", err)
		}
		name, path := schema+"."+table, []string{schema, table}
		if schema == "main" {
			name, path = table, []string{table}
		}
		s := c.tables[name]
		s.Path = path
		s.Columns = append(s.Columns, kql.Column{Name: col, Type: KQLType(typ), Native: typ})
		c.tables[name] = s
	}
	return c, rows.Err()
}

// KQLType maps a DuckDB type name to the KQL type its values have in a query.
func KQLType(duck string) kql.Type {
	t := strings.ToUpper(duck)
	switch {
	case strings.HasSuffix(t, "[]") || strings.HasPrefix(t, "STRUCT") || strings.HasPrefix(t, "MAP") ||
		strings.HasPrefix(t, "UNION") || t == "JSON" || strings.HasSuffix(t, "]"):
		return kql.TypeDynamic
	case t == "VARCHAR" || t == "BLOB" || strings.HasPrefix(t, "ENUM"):
		return kql.TypeString
	case t == "BIGINT" || t == "HUGEINT" || t == "UINTEGER" || t == "UBIGINT":
		return kql.TypeLong
	case t == "INTEGER" || t == "SMALLINT" || t == "TINYINT" || t == "USMALLINT" || t == "UTINYINT":
		return kql.TypeInt
	case t == "DOUBLE" || t == "FLOAT" || strings.HasPrefix(t, "DECIMAL"):
		return kql.TypeReal
	case t == "BOOLEAN":
		return kql.TypeBool
	case strings.HasPrefix(t, "TIMESTAMP") || t == "DATE":
		return kql.TypeDatetime
	case t == "INTERVAL":
		return kql.TypeTimespan
	case t == "UUID":
		return kql.TypeGuid
	}
	return kql.TypeString
}

// Translation is a KQL query bound and rendered as SQL.
type Translation struct {
	Plan *kql.Plan
	SQL  string
}

// TranslateKQL parses and binds text against the tables of db and renders
// DuckDB SQL. now pins now() and ago(); the zero time means the wall clock.
// Errors from parsing and binding are *kql.ParseError with a position.
func TranslateKQL(ctx context.Context, db *sql.DB, text string, now time.Time) (*Translation, error) {
	return translateKQL(ctx, db, text, now, nil)
}

// TranslateKQLParams is TranslateKQL with parameters: each one becomes a let statement ahead
// of the query's own (see Params), so the query names them like any let.
func TranslateKQLParams(ctx context.Context, db *sql.DB, text string, now time.Time, params Params) (*Translation, error) {
	return translateKQL(ctx, db, text, now, params)
}

func translateKQL(ctx context.Context, db *sql.DB, text string, now time.Time, params Params) (*Translation, error) {
	q, err := kql.Parse(text)
	if err != nil {
		return nil, err
	}
	if len(params) > 0 {
		lets, err := params.KQLLets()
		if err != nil {
			return nil, err
		}
		q.Lets = append(lets, q.Lets...)
	}
	cat, err := LoadCatalog(ctx, db)
	if err != nil {
		return nil, err
	}
	p, err := kql.Bind(q, cat, kql.BindOptions{Now: now})
	if err != nil {
		if pe, ok := err.(*kql.ParseError); ok {
			pe.Query = text
		}
		return nil, err
	}
	s, _, err := sqlgen.DuckDB(p)
	if err != nil {
		return nil, err
	}
	return &Translation{Plan: p, SQL: s}, nil
}

// KQLOptions configure RunKQL. Options.Params become let statements ahead of the query.
type KQLOptions struct {
	Options
	// Now pins now() and ago(). Default: the wall clock when the query starts.
	Now time.Time
}

// RunKQL translates a KQL query, runs the SQL in the sandbox db and returns a
// result whose column types are KQL type names: datetimes as ISO-8601 UTC
// text ending in Z, timespans as Kusto text, dynamic values as JSON.
func RunKQL(ctx context.Context, db *sql.DB, text string, opts KQLOptions) (*Result, error) {
	tr, err := translateKQL(ctx, db, text, opts.Now, opts.Params)
	if err != nil {
		return nil, err
	}
	sqlOpts := opts.Options
	sqlOpts.Params = nil // they are lets of the KQL query; the SQL has none
	res, err := Run(ctx, db, tr.SQL, sqlOpts)
	if err != nil {
		return nil, err
	}
	return kqlResult(res, tr.Plan)
}

func kqlResult(res *Result, p *kql.Plan) (*Result, error) {
	cols := p.Root.Out().Columns
	if len(cols) != len(res.Columns) {
		return nil, fmt.Errorf("BUG: plan has %d columns, result %d", len(cols), len(res.Columns))
	}
	out := &Result{Columns: make([]Column, len(cols)), Rows: res.Rows}
	for i, c := range cols {
		out.Columns[i] = Column{Name: c.Name, Type: c.Type.String()}
	}
	for _, row := range out.Rows {
		for i, v := range row {
			row[i] = kqlValue(v, cols[i].Type)
		}
	}
	if p.Render != nil {
		out.Render = p.Render.Chart
	}
	return out, nil
}

func kqlValue(v any, t kql.Type) any {
	if v == nil {
		return nil
	}
	switch t {
	case kql.TypeTimespan:
		switch x := v.(type) {
		case int64:
			return kql.FormatTimespan(x)
		case int32:
			return kql.FormatTimespan(int64(x))
		}
	case kql.TypeDynamic:
		if s, ok := v.(string); ok && json.Valid([]byte(s)) {
			return json.RawMessage(compactJSON(s))
		}
	case kql.TypeReal:
		if f, ok := v.(float64); ok && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return fmt.Sprint(f)
		}
	}
	return v
}

func compactJSON(s string) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return []byte(s)
	}
	return b.Bytes()
}
