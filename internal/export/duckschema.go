package export

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/auditlake/auditlake/internal/delta"
)

// deltaType converts a DuckDB type as DESCRIBE prints it ("STRUCT(email VARCHAR, ...)",
// "MAP(VARCHAR, VARCHAR)", "VARCHAR[]", "TIMESTAMP WITH TIME ZONE") to a Delta type.
func deltaType(duck string) (delta.DataType, error) {
	p := &typeParser{s: duck}
	t, err := p.parse()
	if err != nil {
		return delta.DataType{}, fmt.Errorf("DuckDB type %q: %w", duck, err)
	}
	p.space()
	if p.i != len(p.s) {
		return delta.DataType{}, fmt.Errorf("DuckDB type %q: unexpected %q", duck, p.s[p.i:])
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) space() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *typeParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// word reads a bare word or a double-quoted identifier.
func (p *typeParser) word() (string, error) {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '"' {
		var b strings.Builder
		for p.i++; p.i < len(p.s); p.i++ {
			if p.s[p.i] == '"' {
				if p.i+1 < len(p.s) && p.s[p.i+1] == '"' {
					b.WriteByte('"')
					p.i++
					continue
				}
				p.i++
				return b.String(), nil
			}
			b.WriteByte(p.s[p.i])
		}
		return "", fmt.Errorf("unterminated quoted name")
	}
	start := p.i
	for p.i < len(p.s) && (unicode.IsLetter(rune(p.s[p.i])) || unicode.IsDigit(rune(p.s[p.i])) || p.s[p.i] == '_') {
		p.i++
	}
	if start == p.i {
		return "", fmt.Errorf("expected a name at offset %d", p.i)
	}
	return p.s[start:p.i], nil
}

var duckToDelta = map[string]string{
	"VARCHAR": "string", "BIGINT": "long", "INTEGER": "integer", "SMALLINT": "short", "TINYINT": "byte",
	"DOUBLE": "double", "FLOAT": "float", "BOOLEAN": "boolean", "BLOB": "binary", "DATE": "date",
	"TIMESTAMP WITH TIME ZONE": "timestamp", "TIMESTAMPTZ": "timestamp", "JSON": "string", "UUID": "string",
}

func (p *typeParser) parse() (delta.DataType, error) {
	name, err := p.word()
	if err != nil {
		return delta.DataType{}, err
	}
	var t delta.DataType
	switch strings.ToUpper(name) {
	case "STRUCT":
		if !p.eat('(') {
			return t, fmt.Errorf("STRUCT without fields")
		}
		st := &delta.StructType{}
		for {
			fname, err := p.word()
			if err != nil {
				return t, err
			}
			ft, err := p.parse()
			if err != nil {
				return t, err
			}
			st.Fields = append(st.Fields, delta.StructField{Name: fname, Type: ft, Nullable: true, Metadata: []byte("{}")})
			if p.eat(')') {
				break
			}
			if !p.eat(',') {
				return t, fmt.Errorf("expected , or ) in STRUCT")
			}
		}
		t.Struct = st
	case "MAP":
		if !p.eat('(') {
			return t, fmt.Errorf("MAP without types")
		}
		k, err := p.parse()
		if err != nil {
			return t, err
		}
		if !p.eat(',') {
			return t, fmt.Errorf("expected , in MAP")
		}
		v, err := p.parse()
		if err != nil {
			return t, err
		}
		if !p.eat(')') {
			return t, fmt.Errorf("expected ) in MAP")
		}
		t.Map = &delta.MapType{KeyType: k, ValueType: v, ValueContainsNull: true}
	case "DECIMAL":
		p.space()
		start := p.i
		for p.i < len(p.s) && p.s[p.i] != ')' {
			p.i++
		}
		if !p.eat(')') {
			return t, fmt.Errorf("DECIMAL without precision")
		}
		t.Primitive = "decimal" + strings.ReplaceAll(p.s[start:p.i], " ", "")
	case "TIMESTAMP":
		rest := strings.ToUpper(p.s[p.i:])
		if strings.HasPrefix(strings.TrimLeft(rest, " "), "WITH TIME ZONE") {
			p.i += strings.Index(rest, "WITH TIME ZONE") + len("WITH TIME ZONE")
			t.Primitive = "timestamp"
		} else {
			// A timestamp without zone needs the timestampNtz table feature; we never write one.
			return t, fmt.Errorf("TIMESTAMP without time zone cannot be exported (cast it to TIMESTAMPTZ)")
		}
	default:
		d, ok := duckToDelta[strings.ToUpper(name)]
		if !ok {
			return t, fmt.Errorf("type %s has no Delta equivalent", name)
		}
		t.Primitive = d
	}
	for p.eat('[') {
		if !p.eat(']') {
			return t, fmt.Errorf("fixed-size arrays are not supported")
		}
		t = delta.DataType{Array: &delta.ArrayType{ElementType: t, ContainsNull: true}}
	}
	return t, nil
}
