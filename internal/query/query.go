package query

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"
	"unicode/utf8"
)

// Column is one result column with its database type name (VARCHAR, TIMESTAMP WITH TIME ZONE, ...).
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Result is a fully read query result.
type Result struct {
	Columns []Column `json:"columns"`
	Rows    [][]any  `json:"rows"`
	// Render is the chart kind a KQL render operator asked for, empty without one.
	Render string `json:"render,omitempty"`
}

// Options bound a query.
type Options struct {
	// MaxRows caps the rows returned; more rows are an error. Default 1,000,000.
	MaxRows int
	// Timeout caps the run time. Default 60s.
	Timeout time.Duration
	// Params are named values the query reads: $name in SQL, a let statement in KQL (see
	// Params). Default: none.
	Params Params
}

// Run checks that sqlText is one SELECT statement, executes it on db within the limits and
// reads the whole result. db should be a sandbox (store.Options.Sandbox).
func Run(ctx context.Context, db *sql.DB, sqlText string, opts Options) (*Result, error) {
	return execute(ctx, db, sqlText, opts, true)
}

// execute runs sqlText on db within the limits of opts. check runs CheckSQL first, which every
// SQL text from outside must pass. Only RunKQL skips it, for the SQL that sqlgen rendered from
// a bound plan (1-2 ms per query, as much as a small dashboard query takes to run): the binder
// refuses every name outside the catalog and the function registry, sqlgen quotes every
// identifier and literal and renders one WITH … SELECT, and the golden corpus and the
// translator's fuzz target require each such text to pass CheckSQL. The sandbox's lockdown, the
// timeout and the row cap hold either way.
func execute(ctx context.Context, db *sql.DB, sqlText string, opts Options, check bool) (*Result, error) {
	if opts.MaxRows <= 0 {
		opts.MaxRows = 1_000_000
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	if check {
		if err := CheckSQL(ctx, db, sqlText); err != nil {
			return nil, err
		}
	}
	args, err := opts.Params.SQLArgs()
	if err != nil {
		return nil, err
	}
	res, err := run(ctx, db, sqlText, opts, args)
	if err != nil {
		return nil, explain(err, opts)
	}
	return res, nil
}

func run(ctx context.Context, db *sql.DB, sqlText string, opts Options, args []any) (*Result, error) {
	rows, err := db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: make([]Column, len(cts))}
	for i, ct := range cts {
		res.Columns[i] = Column{Name: ct.Name(), Type: ct.DatabaseTypeName()}
	}
	for rows.Next() {
		if len(res.Rows) >= opts.MaxRows {
			return nil, fmt.Errorf("query returns more than the %d-row limit; add a LIMIT or aggregate", opts.MaxRows)
		}
		vals := make([]any, len(cts))
		ptrs := make([]any, len(cts))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = normalize(v, res.Columns[i].Type)
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// normalize turns driver values into JSON-friendly Go values: times as ISO-8601 UTC strings
// (dates as yyyy-mm-dd), big integers as numbers, nested values recursively.
func normalize(v any, typ string) any {
	switch x := v.(type) {
	case time.Time:
		if typ == "DATE" {
			return x.Format(time.DateOnly)
		}
		return x.UTC().Format("2006-01-02T15:04:05.999999Z07:00")
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return fmt.Sprintf("\\x%x", x)
	case *big.Int:
		return json.Number(x.String())
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e, "")
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e, "")
		}
		return out
	}
	if s, ok := v.(fmt.Stringer); ok {
		if _, isTime := v.(time.Time); !isTime {
			if _, isNum := v.(json.Marshaler); isNum {
				return v
			}
			return s.String()
		}
	}
	return v
}

// Text renders one value for table and CSV output: NULL is empty, nested values are JSON.
func Text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	case json.RawMessage:
		var s string
		if json.Unmarshal(x, &s) == nil {
			return s
		}
		return string(x)
	case float64:
		return fmt.Sprint(x)
	}
	if m, ok := v.(json.Marshaler); ok {
		b, err := m.MarshalJSON()
		if err == nil {
			return strings.Trim(string(b), `"`)
		}
	}
	return fmt.Sprint(v)
}

// Write renders res in format "table", "csv" or "json".
func Write(w io.Writer, res *Result, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		head := make([]string, len(res.Columns))
		for i, c := range res.Columns {
			head[i] = c.Name
		}
		if err := cw.Write(head); err != nil {
			return err
		}
		rec := make([]string, len(res.Columns))
		for _, r := range res.Rows {
			for i, v := range r {
				rec[i] = Text(v)
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case "json":
		enc := json.NewEncoder(w)
		if res.Rows == nil {
			res.Rows = [][]any{}
		}
		return enc.Encode(res)
	case "table", "":
		return writeTable(w, res)
	}
	return fmt.Errorf("unknown output format %q (use table, csv or json)", format)
}

// maxCell bounds a table cell; longer text is cut with an ellipsis.
const maxCell = 60

func writeTable(w io.Writer, res *Result) error {
	widths := make([]int, len(res.Columns))
	cells := make([][]string, len(res.Rows))
	numeric := make([]bool, len(res.Columns))
	for i, c := range res.Columns {
		widths[i] = utf8.RuneCountInString(c.Name)
		switch c.Type {
		case "long", "int", "real", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "DOUBLE", "FLOAT", "DECIMAL":
			numeric[i] = true
		}
	}
	for r, row := range res.Rows {
		cells[r] = make([]string, len(row))
		for i, v := range row {
			s := strings.ReplaceAll(Text(v), "\n", "⏎")
			if utf8.RuneCountInString(s) > maxCell {
				s = string([]rune(s)[:maxCell-1]) + "…"
			}
			cells[r][i] = s
			widths[i] = max(widths[i], utf8.RuneCountInString(s))
		}
	}
	var b strings.Builder
	line := func(vals []string) {
		for i, v := range vals {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(v))
			if numeric[i] {
				b.WriteString(pad + v)
			} else if i == len(vals)-1 {
				b.WriteString(v)
			} else {
				b.WriteString(v + pad)
			}
		}
		b.WriteString("\n")
	}
	head := make([]string, len(res.Columns))
	rule := make([]string, len(res.Columns))
	for i, c := range res.Columns {
		head[i] = c.Name
		rule[i] = strings.Repeat("─", widths[i])
	}
	line(head)
	line(rule)
	for _, r := range cells {
		line(r)
	}
	fmt.Fprintf(&b, "(%d row%s)\n", len(res.Rows), plural(len(res.Rows)))
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
