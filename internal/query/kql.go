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
	"sync"
	"time"

	"github.com/auditlake/auditlake/internal/kql"
	"github.com/auditlake/auditlake/internal/sqlgen"
)

// Catalog is the set of tables and views a KQL query can name, read from the
// database: main-schema tables and views by their own name
// (DatabricksClusters), other schemas as schema.table (['silver.audit']),
// temporary tables (--table) by their name.
//
// A main-schema view T may have a native twin, the view kql.T (NativeSchema):
// the same rows and columns plus, for a JSON column X, the stored values
// behind it: a column "__X" holding the value as a struct or map, or a column
// "__X.k" per member k. KQL then reads T through its twin (Schema.Read), and a
// property path on X (Identity.email) reads the stored field instead of
// parsing the JSON of every row. The twin is not a table of its own, and its
// __X columns are not columns of T. Struct and map columns are their own
// backing.
type Catalog struct {
	tables map[string]kql.Schema
}

// NativeSchema is the schema of the native twins of main-schema views (see
// Catalog).
const NativeSchema = "kql"

// nativePrefix starts the name of a twin's companion column: __Identity backs
// Identity.
const nativePrefix = "__"

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
	twins := map[string]kql.Schema{}
	for rows.Next() {
		var dbName, schema, table, col, typ string
		if err := rows.Scan(&dbName, &schema, &table, &col, &typ); err != nil {
			return nil, fmt.Errorf("reading the catalog: %w", err)
		}
		tables := c.tables
		name, path := schema+"."+table, []string{schema, table}
		switch schema {
		case "main":
			name, path = table, []string{table}
		case NativeSchema:
			tables, name = twins, table
		}
		s := tables[name]
		s.Path = path
		s.Columns = append(s.Columns, kql.Column{Name: col, Type: KQLType(typ), Native: typ, Backing: backing(col, typ)})
		tables[name] = s
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for name, tw := range twins {
		if s, ok := c.tables[name]; ok {
			c.tables[name] = withTwin(s, tw)
		}
	}
	return c, nil
}

// withTwin returns the schema of s read through its native twin tw, or s as it is when the
// twin does not have s's columns.
func withTwin(s, tw kql.Schema) kql.Schema {
	out := kql.Schema{Path: s.Path, Read: tw.Path}
	for _, c := range s.Columns {
		i := tw.Index(c.Name)
		if i < 0 || tw.Columns[i].Type != c.Type {
			return s
		}
		c = tw.Columns[i]
		if c.Type == kql.TypeDynamic && c.Backing == nil {
			c.Backing = twinBacking(tw, c.Name)
		}
		out.Columns = append(out.Columns, c)
	}
	return out
}

// twinBacking returns the backing of column name in twin tw: its "__name" struct or map, or its
// "__name.k" columns, or nil.
func twinBacking(tw kql.Schema, name string) *kql.Backing {
	if j := tw.Index(nativePrefix + name); j >= 0 {
		return tw.Columns[j].Backing
	}
	var b kql.Backing
	for _, c := range tw.Columns {
		if k, ok := strings.CutPrefix(c.Name, nativePrefix+name+"."); ok && k != "" {
			b.Fields = append(b.Fields, kql.Field{Name: k, Type: c.Type, Column: c.Name})
		}
	}
	if len(b.Fields) == 0 {
		return nil
	}
	return &b
}

// backing describes a struct or map column as its own backing, or returns nil.
func backing(col, duck string) *kql.Backing {
	inner, ok := typeArgs(duck, "MAP(")
	if ok {
		kv := splitTopLevel(inner)
		if len(kv) != 2 || strings.ToUpper(strings.TrimSpace(kv[0])) != "VARCHAR" {
			return nil
		}
		return &kql.Backing{Column: col, Native: duck, Map: true, Elem: KQLType(strings.TrimSpace(kv[1]))}
	}
	inner, ok = typeArgs(duck, "STRUCT(")
	if !ok {
		return nil
	}
	b := &kql.Backing{Column: col, Native: duck}
	for _, f := range splitTopLevel(inner) {
		name, typ, ok := fieldOf(strings.TrimSpace(f))
		if !ok {
			return nil
		}
		b.Fields = append(b.Fields, kql.Field{Name: name, Type: KQLType(typ)})
	}
	return b
}

// typeArgs returns what is between the parentheses of a DuckDB type such as MAP(VARCHAR, X).
func typeArgs(duck, prefix string) (string, bool) {
	if len(duck) < len(prefix) || !strings.EqualFold(duck[:len(prefix)], prefix) || !strings.HasSuffix(duck, ")") {
		return "", false
	}
	return duck[len(prefix) : len(duck)-1], true
}

// splitTopLevel splits a type's arguments at the commas outside parentheses and quotes.
func splitTopLevel(s string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"':
			quoted = !quoted
		case quoted:
		case ch == '(':
			depth++
		case ch == ')':
			depth--
		case ch == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// fieldOf splits a struct field "name TYPE" or "\"quoted name\" TYPE".
func fieldOf(f string) (name, typ string, ok bool) {
	if !strings.HasPrefix(f, `"`) {
		name, typ, ok = strings.Cut(f, " ")
		return name, strings.TrimSpace(typ), ok && name != ""
	}
	var sb strings.Builder
	for i := 1; i < len(f); i++ {
		if f[i] != '"' {
			sb.WriteByte(f[i])
			continue
		}
		if i+1 < len(f) && f[i+1] == '"' {
			sb.WriteByte('"')
			i++
			continue
		}
		return sb.String(), strings.TrimSpace(f[i+1:]), true
	}
	return "", "", false
}

// CatalogCache keeps the catalog of one database between KQL queries: reading it costs more
// than translating and running a dashboard query (10-15 ms for the 2,300 columns of the gold
// and Log Analytics views), while checking that no table or view was created, replaced, altered
// or dropped since costs one small query. The zero value is ready; a nil cache reads the
// catalog every time. Safe for concurrent use.
type CatalogCache struct {
	// Generation, when set, is the database's count of committed writes (store.DB.Generation):
	// the catalog cannot have changed while it stands still, so even the small query is
	// skipped. Only writes through the store count; set it only when nothing else writes.
	Generation func() uint64

	mu      sync.Mutex
	version string
	gen     uint64
	cat     *Catalog
}

// catalogVersion changes when a table or view of the catalog is created, replaced, altered or
// dropped: a view is only ever replaced, which gives it a new oid; a table altered in place
// keeps its oid but not its DDL. (Not the views' DDL: rendering every view's SQL costs as much
// as reading the catalog.)
const catalogVersion = `SELECT coalesce(string_agg(k, ',' ORDER BY k), '') FROM (
	SELECT database_name || '.' || schema_name || '.' || table_name || ':' || table_oid || ':' || hash(sql) AS k
		FROM duckdb_tables() WHERE database_name IN (current_database(), 'temp')
	UNION ALL
	SELECT database_name || '.' || schema_name || '.' || view_name || ':' || view_oid || ':' || column_count
		FROM duckdb_views() WHERE NOT internal AND database_name IN (current_database(), 'temp'))`

// Load returns the catalog of db, read again when it changed since the last Load.
func (c *CatalogCache) Load(ctx context.Context, db *sql.DB) (*Catalog, error) {
	if c == nil {
		return LoadCatalog(ctx, db)
	}
	var gen uint64
	if c.Generation != nil {
		gen = c.Generation() // before reading anything: a write after this is seen next time
		c.mu.Lock()
		cat, same := c.cat, c.cat != nil && c.gen == gen
		c.mu.Unlock()
		if same {
			return cat, nil
		}
	}
	var version string
	if err := db.QueryRowContext(ctx, catalogVersion).Scan(&version); err != nil {
		return nil, fmt.Errorf("reading the catalog version: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cat != nil && c.version == version {
		c.gen = gen
		return c.cat, nil
	}
	cat, err := LoadCatalog(ctx, db)
	if err != nil {
		return nil, err
	}
	c.version, c.gen, c.cat = version, gen, cat
	return cat, nil
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
	// Ordered says the rows come back in an order the query defines (sort, top, or an order
	// kept through the pipeline).
	Ordered bool
}

// TranslateKQL parses and binds text against the tables of db and renders
// DuckDB SQL. now pins now() and ago(); the zero time means the wall clock.
// Errors from parsing and binding are *kql.ParseError with a position.
func TranslateKQL(ctx context.Context, db *sql.DB, text string, now time.Time) (*Translation, error) {
	return translateKQL(ctx, db, text, now, nil, nil)
}

// TranslateKQLParams is TranslateKQL with parameters: each one becomes a let statement ahead
// of the query's own (see Params), so the query names them like any let.
func TranslateKQLParams(ctx context.Context, db *sql.DB, text string, now time.Time, params Params) (*Translation, error) {
	return translateKQL(ctx, db, text, now, params, nil)
}

func translateKQL(ctx context.Context, db *sql.DB, text string, now time.Time, params Params, cache *CatalogCache) (*Translation, error) {
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
	cat, err := cache.Load(ctx, db)
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
	st, err := sqlgen.DuckDBStatement(p)
	if err != nil {
		return nil, err
	}
	return &Translation{Plan: p, SQL: st.SQL, Ordered: st.Ordered}, nil
}

// KQLOptions configure RunKQL. Options.Params become let statements ahead of the query.
type KQLOptions struct {
	Options
	// Now pins now() and ago(). Default: the wall clock when the query starts.
	Now time.Time
	// Catalog keeps the catalog between queries on db. Default: read for each query.
	Catalog *CatalogCache
}

// RunKQL translates a KQL query, runs the SQL in the sandbox db and returns a
// result whose column types are KQL type names: datetimes as ISO-8601 UTC
// text ending in Z, timespans as Kusto text, dynamic values as JSON.
func RunKQL(ctx context.Context, db *sql.DB, text string, opts KQLOptions) (*Result, error) {
	tr, err := translateKQL(ctx, db, text, opts.Now, opts.Params, opts.Catalog)
	if err != nil {
		return nil, err
	}
	sqlOpts := opts.Options
	sqlOpts.Params = nil // they are lets of the KQL query; the SQL has none
	// sqlgen's SQL, which needs no CheckSQL (see execute).
	res, err := execute(ctx, db, tr.SQL, sqlOpts, false)
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
