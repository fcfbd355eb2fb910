package kql

import (
	"fmt"
	"strconv"
)

// Type is a KQL scalar type.
type Type uint8

// The KQL scalar types. TypeUnknown is the zero value and means "not typed
// yet" (in the AST) or "no type" (for example an mv-expand item without "to
// typeof(...)").
const (
	TypeUnknown Type = iota
	TypeBool
	TypeInt
	TypeLong
	TypeReal
	TypeDecimal
	TypeString
	TypeDatetime
	TypeTimespan
	TypeDynamic
	TypeGuid
)

var typeNames = [...]string{
	TypeUnknown:  "unknown",
	TypeBool:     "bool",
	TypeInt:      "int",
	TypeLong:     "long",
	TypeReal:     "real",
	TypeDecimal:  "decimal",
	TypeString:   "string",
	TypeDatetime: "datetime",
	TypeTimespan: "timespan",
	TypeDynamic:  "dynamic",
	TypeGuid:     "guid",
}

// String returns the canonical KQL name of t.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// typeAliases maps every KQL spelling of a type name to its Type.
var typeAliases = map[string]Type{
	"bool": TypeBool, "boolean": TypeBool,
	"int": TypeInt, "int32": TypeInt,
	"long": TypeLong, "int64": TypeLong,
	"real": TypeReal, "double": TypeReal,
	"decimal":  TypeDecimal,
	"string":   TypeString,
	"datetime": TypeDatetime, "date": TypeDatetime,
	"timespan": TypeTimespan, "time": TypeTimespan,
	"dynamic": TypeDynamic,
	"guid":    TypeGuid, "uniqueid": TypeGuid,
}

// ParseType returns the Type named by a KQL type name such as "long" or
// "double" (an alias of real).
func ParseType(name string) (Type, error) {
	if t, ok := typeAliases[name]; ok {
		return t, nil
	}
	return TypeUnknown, fmt.Errorf("kql: unknown type %q", name)
}

// Timespan is a KQL timespan in ticks of 100 nanoseconds.
type Timespan int64

// Timespan units in ticks.
const (
	Tick        Timespan = 1
	Microsecond Timespan = 10
	Millisecond Timespan = 10000
	Second      Timespan = 10000000
	Minute      Timespan = 60 * Second
	Hour        Timespan = 60 * Minute
	Day         Timespan = 24 * Hour
)
