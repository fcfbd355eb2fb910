package query

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"regexp"
	"slices"
	"time"

	"github.com/auditlake/auditlake/internal/kql"
)

// Params are named values a query reads, so that one query text serves many evaluations (a
// rule's window, a dashboard's time range, a threshold from the config file). A KQL query sees
// each as a let statement prepended to the query (let window_start = datetime(...);), built as
// syntax with the kql package's literals, never spliced as text; a SQL query reads each as a
// DuckDB named parameter ($window_start), passed as an argument. Names must be identifiers.
//
// Values may be:
//   - time.Time: KQL datetime, SQL TIMESTAMP WITH TIME ZONE;
//   - time.Duration: KQL timespan (SQL does not take durations: pass seconds);
//   - int, int32, int64: KQL long, SQL BIGINT; float32, float64 (finite): real, DOUBLE;
//   - string: string, VARCHAR; bool: bool, BOOLEAN;
//   - []any, []string, []int64, []float64, []bool of scalars of one kind: KQL dynamic array
//     (usable with in, has_any, set_has_element), SQL list (VARCHAR[], ...).
type Params map[string]any

var paramNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// sortedNames returns the parameter names in order, so lets and args come out the same way
// every time; it rejects names that are not identifiers.
func (p Params) sortedNames() ([]string, error) {
	names := make([]string, 0, len(p))
	for n := range p {
		if !paramNameRE.MatchString(n) {
			return nil, fmt.Errorf("query parameter name %q must be an identifier", n)
		}
		names = append(names, n)
	}
	slices.Sort(names)
	return names, nil
}

// KQLLets returns one let statement per parameter, in name order.
func (p Params) KQLLets() ([]*kql.LetStmt, error) {
	names, err := p.sortedNames()
	if err != nil {
		return nil, err
	}
	lets := make([]*kql.LetStmt, 0, len(names))
	for _, n := range names {
		e, err := paramExpr(p[n])
		if err != nil {
			return nil, fmt.Errorf("query parameter %s: %w", n, err)
		}
		lets = append(lets, &kql.LetStmt{Name: &kql.Ident{Name: n}, Value: e})
	}
	return lets, nil
}

func paramExpr(v any) (kql.Expr, error) {
	switch x := v.(type) {
	case time.Time:
		return &kql.Literal{Type: kql.TypeDatetime, Value: x.UTC()}, nil
	case time.Duration:
		return &kql.Literal{Type: kql.TypeTimespan, Value: kql.Timespan(x / 100)}, nil
	}
	if s, err := scalar(v); err == nil {
		switch y := s.(type) {
		case int64:
			return &kql.Literal{Type: kql.TypeLong, Value: y}, nil
		case float64:
			return &kql.Literal{Type: kql.TypeReal, Value: y}, nil
		case string:
			return &kql.Literal{Type: kql.TypeString, Value: y}, nil
		case bool:
			return &kql.Literal{Type: kql.TypeBool, Value: y}, nil
		}
	}
	list, err := listOf(v)
	if err != nil {
		return nil, err
	}
	return &kql.Dynamic{Value: list}, nil
}

// scalar normalizes a scalar parameter to int64, float64, string or bool.
func scalar(v any) (any, error) {
	switch x := v.(type) {
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case float32:
		return scalar(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%v is not a finite number", x)
		}
		return x, nil
	case string, bool:
		return x, nil
	}
	return nil, fmt.Errorf("unsupported value %v of type %T", v, v)
}

// listOf normalizes a list parameter to []any of one scalar kind.
func listOf(v any) ([]any, error) {
	var in []any
	switch x := v.(type) {
	case []any:
		in = x
	case []string:
		for _, e := range x {
			in = append(in, e)
		}
	case []int64:
		for _, e := range x {
			in = append(in, e)
		}
	case []float64:
		for _, e := range x {
			in = append(in, e)
		}
	case []bool:
		for _, e := range x {
			in = append(in, e)
		}
	default:
		return nil, fmt.Errorf("unsupported value %v of type %T", v, v)
	}
	out := make([]any, len(in))
	kind := ""
	for i, e := range in {
		s, err := scalar(e)
		if err != nil {
			return nil, fmt.Errorf("list entry %d: %w", i, err)
		}
		k := fmt.Sprintf("%T", s)
		if k == "float64" || k == "int64" {
			k = "number"
		}
		if kind != "" && k != kind {
			return nil, fmt.Errorf("list mixes %s and %s entries", kind, k)
		}
		kind, out[i] = k, s
	}
	return out, nil
}

// SQLArgs returns the parameters as named arguments for database/sql, in name order.
func (p Params) SQLArgs() ([]any, error) {
	names, err := p.sortedNames()
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, len(names))
	for _, n := range names {
		v, err := sqlValue(p[n])
		if err != nil {
			return nil, fmt.Errorf("query parameter %s: %w", n, err)
		}
		args = append(args, sql.Named(n, v))
	}
	return args, nil
}

func sqlValue(v any) (any, error) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case time.Duration:
		return nil, fmt.Errorf("durations are not SQL parameters; pass seconds as a number")
	}
	if s, err := scalar(v); err == nil {
		return s, nil
	}
	list, err := listOf(v)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return []string{}, nil
	}
	// A typed slice, so DuckDB binds a list of one type (numbers mixed as int and float become DOUBLE[]).
	switch list[0].(type) {
	case string:
		return typed[string](list), nil
	case bool:
		return typed[bool](list), nil
	}
	allInt := true
	for _, e := range list {
		_, isInt := e.(int64)
		allInt = allInt && isInt
	}
	if allInt {
		return typed[int64](list), nil
	}
	fs := make([]float64, len(list))
	for i, e := range list {
		switch y := e.(type) {
		case int64:
			fs[i] = float64(y)
		case float64:
			fs[i] = y
		}
	}
	return fs, nil
}

func typed[T any](list []any) []T {
	out := make([]T, len(list))
	for i, e := range list {
		out[i] = e.(T)
	}
	return out
}

// SQLParamNames returns the names of the $name parameters sqlText reads, sorted, after
// checking it as CheckSQL does; a linter compares them with the parameters a query will get.
func SQLParamNames(ctx context.Context, db *sql.DB, sqlText string) ([]string, error) {
	m, err := serialize(ctx, db, sqlText)
	if err != nil {
		return nil, err
	}
	stmts, _ := m["statements"].([]any)
	var names []string
	for _, s := range stmts {
		st, _ := s.(map[string]any)
		pm, _ := st["named_param_map"].([]any)
		for _, e := range pm {
			if kv, ok := e.(map[string]any); ok {
				if k, ok := kv["key"].(string); ok {
					names = append(names, k)
				}
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}
