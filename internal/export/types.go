package export

import (
	"fmt"
	"strings"

	"github.com/auditlake/auditlake/internal/delta"
	"github.com/auditlake/auditlake/internal/store"
)

// duckType returns the DuckDB type a reader casts a Delta type to.
func duckType(t delta.DataType) (string, error) {
	switch {
	case t.Struct != nil:
		parts := make([]string, len(t.Struct.Fields))
		for i, f := range t.Struct.Fields {
			ft, err := duckType(f.Type)
			if err != nil {
				return "", fmt.Errorf("field %s: %w", f.Name, err)
			}
			parts[i] = store.QuoteIdent(f.Name) + " " + ft
		}
		return "STRUCT(" + strings.Join(parts, ", ") + ")", nil
	case t.Array != nil:
		et, err := duckType(t.Array.ElementType)
		if err != nil {
			return "", err
		}
		return et + "[]", nil
	case t.Map != nil:
		kt, err := duckType(t.Map.KeyType)
		if err != nil {
			return "", err
		}
		vt, err := duckType(t.Map.ValueType)
		if err != nil {
			return "", err
		}
		return "MAP(" + kt + ", " + vt + ")", nil
	}
	p := t.Primitive
	if strings.HasPrefix(p, "decimal(") && strings.HasSuffix(p, ")") {
		return "DECIMAL" + strings.TrimPrefix(p, "decimal"), nil
	}
	if d, ok := duckPrimitive[p]; ok {
		return d, nil
	}
	return "", fmt.Errorf("unsupported Delta type %q", p)
}

var duckPrimitive = map[string]string{
	"string": "VARCHAR", "long": "BIGINT", "integer": "INTEGER", "short": "SMALLINT", "byte": "TINYINT",
	"float": "FLOAT", "double": "DOUBLE", "boolean": "BOOLEAN", "binary": "BLOB", "date": "DATE",
	"timestamp": "TIMESTAMPTZ", "timestamp_ntz": "TIMESTAMP", "decimal": "DECIMAL(10,0)",
}
