package delta

import (
	"encoding/json"
	"fmt"
	"strings"
)

// DataType is a Delta (Spark) data type: exactly one of Primitive, Struct, Array or Map is set.
// Primitive is the type name as written in the schema ("string", "long", "timestamp",
// "decimal(10,2)", ...).
type DataType struct {
	Primitive string
	Struct    *StructType
	Array     *ArrayType
	Map       *MapType
}

// StructType is a struct: the table schema or a nested struct column.
type StructType struct {
	Fields []StructField
}

// StructField is one named field of a struct.
type StructField struct {
	Name     string          `json:"name"`
	Type     DataType        `json:"type"`
	Nullable bool            `json:"nullable"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
}

// ArrayType is an array of ElementType.
type ArrayType struct {
	ElementType  DataType `json:"elementType"`
	ContainsNull bool     `json:"containsNull"`
}

// MapType is a map from KeyType to ValueType.
type MapType struct {
	KeyType           DataType `json:"keyType"`
	ValueType         DataType `json:"valueType"`
	ValueContainsNull bool     `json:"valueContainsNull"`
}

// ParseSchema parses a metaData schemaString.
func ParseSchema(s string) (*StructType, error) {
	if s == "" {
		return &StructType{}, nil // log-only tables in tests; nothing to read
	}
	var t DataType
	if err := json.Unmarshal([]byte(s), &t); err != nil {
		return nil, fmt.Errorf("parsing schemaString: %w", err)
	}
	if t.Struct == nil {
		return nil, fmt.Errorf("parsing schemaString: top level is not a struct")
	}
	return t.Struct, nil
}

// String renders the schema as a schemaString.
func (s *StructType) String() string {
	b, _ := json.Marshal(DataType{Struct: s})
	return string(b)
}

// Field returns the field named name (case-insensitively, as Delta column names are).
func (s *StructType) Field(name string) (StructField, bool) {
	for _, f := range s.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return StructField{}, false
}

type structJSON struct {
	Type   string        `json:"type"`
	Fields []StructField `json:"fields"`
}

type arrayJSON struct {
	Type string `json:"type"`
	ArrayType
}

type mapJSON struct {
	Type string `json:"type"`
	MapType
}

// MarshalJSON writes a primitive as a string and nested types as objects.
func (t DataType) MarshalJSON() ([]byte, error) {
	switch {
	case t.Struct != nil:
		fields := t.Struct.Fields
		if fields == nil {
			fields = []StructField{}
		}
		return json.Marshal(structJSON{Type: "struct", Fields: fields})
	case t.Array != nil:
		return json.Marshal(arrayJSON{Type: "array", ArrayType: *t.Array})
	case t.Map != nil:
		return json.Marshal(mapJSON{Type: "map", MapType: *t.Map})
	case t.Primitive != "":
		return json.Marshal(t.Primitive)
	}
	return nil, fmt.Errorf("empty data type")
}

// UnmarshalJSON reads a type name or a struct/array/map object.
func (t *DataType) UnmarshalJSON(b []byte) error {
	*t = DataType{}
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &t.Primitive)
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	switch head.Type {
	case "struct":
		var s structJSON
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		t.Struct = &StructType{Fields: s.Fields}
	case "array":
		var a arrayJSON
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		t.Array = &a.ArrayType
	case "map":
		var m mapJSON
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		t.Map = &m.MapType
	default:
		return fmt.Errorf("unknown data type %q", head.Type)
	}
	return nil
}
