package kql

// ArgKind is what a function accepts at one argument position. The binder
// converts arguments to the kind (a dynamic value passed as a string becomes
// its text) or refuses them.
type ArgKind uint8

// Argument kinds.
const (
	ArgAny      ArgKind = iota // any scalar, unchanged
	ArgString                  // converted to string (tostring rules)
	ArgNumber                  // int, long or real (dynamic converted to real)
	ArgLong                    // converted to long
	ArgReal                    // converted to real
	ArgDatetime                // datetime (strings and dynamic converted)
	ArgTimespan                // timespan
	ArgBool                    // bool
	ArgDynamic                 // dynamic (other values wrapped)
	ArgConst                   // a constant string (a part name, a format, a regex)
	ArgConstNum                // a constant number
	ArgBinSize                 // timespan or number, matching the first argument
)

// ResultRule says how a function's result type follows from its arguments.
type ResultRule uint8

// Result rules.
const (
	ResultFixed  ResultRule = iota // FuncDef.Fixed
	ResultArg0                     // the type of the first argument
	ResultArg1                     // the type of the second argument
	ResultCommon                   // the widest type of the value arguments
	ResultSum                      // like the first argument, int promoted to long
)

// NameRule says how an unnamed column holding a call is named.
type NameRule uint8

// Name rules (spec §3): NameNone gives Column1 and friends; NameArg0 passes
// the first argument's name through (conversions, bin); NamePrefix is
// Prefix + "_" + first argument's name for aggregates (sum_x);
// NamePrefixOnly is the prefix alone (count_, countif_).
const (
	NameNone NameRule = iota
	NameArg0
	NamePrefix
	NamePrefixOnly // Prefix + "_" alone (count_, countif_)
)

// FuncDef describes one scalar function or aggregate. The registry is data:
// the binder reads it to check arity, convert arguments, type the result and
// name the column; sqlgen keeps the SQL for each Name.
type FuncDef struct {
	Name    string
	MinArgs int
	MaxArgs int       // -1: any number
	Args    []ArgKind // per position; the last kind repeats
	Result  ResultRule
	Fixed   Type
	Naming  NameRule
	Prefix  string // aggregate result-name prefix ("count", "set")
	Agg     bool
	Cond    int // for *if aggregates, the index of the predicate; -1 otherwise
}

func fn(name string, minArgs, maxArgs int, res ResultRule, fixed Type, args ...ArgKind) FuncDef {
	return FuncDef{Name: name, MinArgs: minArgs, MaxArgs: maxArgs, Args: args, Result: res, Fixed: fixed, Cond: -1}
}

func conv(name string, t Type) FuncDef {
	d := fn(name, 1, 1, ResultFixed, t, ArgAny)
	d.Naming = NameArg0
	return d
}

func agg(name, prefix string, minArgs, maxArgs int, res ResultRule, fixed Type, cond int, args ...ArgKind) FuncDef {
	d := fn(name, minArgs, maxArgs, res, fixed, args...)
	d.Agg, d.Prefix, d.Naming, d.Cond = true, prefix, NamePrefix, cond
	return d
}

// funcDefs is the function and aggregate registry of Tier 1.
var funcDefs = []FuncDef{
	// time
	fn("now", 0, 1, ResultFixed, TypeDatetime, ArgTimespan),
	fn("ago", 1, 1, ResultFixed, TypeDatetime, ArgTimespan),
	binDef("bin", 2), binDef("floor", 2), binDef("bin_at", 3),
	fn("startofday", 1, 2, ResultFixed, TypeDatetime, ArgDatetime, ArgLong),
	fn("startofweek", 1, 2, ResultFixed, TypeDatetime, ArgDatetime, ArgLong),
	fn("startofmonth", 1, 2, ResultFixed, TypeDatetime, ArgDatetime, ArgLong),
	fn("startofyear", 1, 2, ResultFixed, TypeDatetime, ArgDatetime, ArgLong),
	fn("endofday", 1, 2, ResultFixed, TypeDatetime, ArgDatetime, ArgLong),
	fn("endofweek", 1, 2, ResultFixed, TypeDatetime, ArgDatetime, ArgLong),
	fn("endofmonth", 1, 2, ResultFixed, TypeDatetime, ArgDatetime, ArgLong),
	fn("endofyear", 1, 2, ResultFixed, TypeDatetime, ArgDatetime, ArgLong),
	fn("hourofday", 1, 1, ResultFixed, TypeInt, ArgDatetime),
	fn("dayofweek", 1, 1, ResultFixed, TypeTimespan, ArgDatetime),
	fn("dayofmonth", 1, 1, ResultFixed, TypeInt, ArgDatetime),
	fn("dayofyear", 1, 1, ResultFixed, TypeInt, ArgDatetime),
	fn("getmonth", 1, 1, ResultFixed, TypeInt, ArgDatetime),
	fn("monthofyear", 1, 1, ResultFixed, TypeInt, ArgDatetime),
	fn("getyear", 1, 1, ResultFixed, TypeInt, ArgDatetime),
	fn("datetime_diff", 3, 3, ResultFixed, TypeLong, ArgConst, ArgDatetime, ArgDatetime),
	fn("datetime_add", 3, 3, ResultFixed, TypeDatetime, ArgConst, ArgLong, ArgDatetime),
	fn("format_datetime", 2, 2, ResultFixed, TypeString, ArgDatetime, ArgConst),
	conv("todatetime", TypeDatetime),
	fn("unixtime_seconds_todatetime", 1, 1, ResultFixed, TypeDatetime, ArgReal),
	fn("unixtime_milliseconds_todatetime", 1, 1, ResultFixed, TypeDatetime, ArgReal),
	fn("unixtime_microseconds_todatetime", 1, 1, ResultFixed, TypeDatetime, ArgReal),
	fn("unixtime_nanoseconds_todatetime", 1, 1, ResultFixed, TypeDatetime, ArgReal),
	// conversion
	conv("tostring", TypeString),
	conv("toint", TypeInt), conv("tolong", TypeLong),
	conv("todouble", TypeReal), conv("toreal", TypeReal),
	conv("tobool", TypeBool), conv("toboolean", TypeBool),
	conv("totimespan", TypeTimespan), conv("totime", TypeTimespan),
	// dynamic
	conv("parse_json", TypeDynamic), conv("todynamic", TypeDynamic), conv("toobject", TypeDynamic),
	fn("array_length", 1, 1, ResultFixed, TypeLong, ArgDynamic),
	fn("bag_keys", 1, 1, ResultFixed, TypeDynamic, ArgDynamic),
	fn("pack_array", 0, -1, ResultFixed, TypeDynamic, ArgAny),
	fn("bag_pack", 0, -1, ResultFixed, TypeDynamic, ArgAny),
	fn("pack", 0, -1, ResultFixed, TypeDynamic, ArgAny),
	fn("split", 2, 3, ResultFixed, TypeDynamic, ArgString, ArgString, ArgLong),
	// strings
	fn("strcat", 1, -1, ResultFixed, TypeString, ArgString),
	fn("strcat_delim", 2, -1, ResultFixed, TypeString, ArgString),
	fn("strlen", 1, 1, ResultFixed, TypeLong, ArgString),
	fn("substring", 2, 3, ResultFixed, TypeString, ArgString, ArgLong, ArgLong),
	fn("tolower", 1, 1, ResultFixed, TypeString, ArgString),
	fn("toupper", 1, 1, ResultFixed, TypeString, ArgString),
	fn("trim", 2, 2, ResultFixed, TypeString, ArgString, ArgString),
	fn("trim_start", 2, 2, ResultFixed, TypeString, ArgString, ArgString),
	fn("trim_end", 2, 2, ResultFixed, TypeString, ArgString, ArgString),
	fn("replace_string", 3, 3, ResultFixed, TypeString, ArgString),
	fn("replace_regex", 3, 3, ResultFixed, TypeString, ArgString, ArgConst, ArgString),
	fn("extract", 3, 3, ResultFixed, TypeString, ArgConst, ArgConstNum, ArgString),
	fn("extract_all", 2, 2, ResultFixed, TypeDynamic, ArgConst, ArgString),
	fn("indexof", 2, 2, ResultFixed, TypeLong, ArgString),
	fn("countof", 2, 3, ResultFixed, TypeLong, ArgString, ArgString, ArgConst),
	fn("reverse", 1, 1, ResultFixed, TypeString, ArgString),
	fn("isempty", 1, 1, ResultFixed, TypeBool, ArgAny),
	fn("isnotempty", 1, 1, ResultFixed, TypeBool, ArgAny),
	fn("isnull", 1, 1, ResultFixed, TypeBool, ArgAny),
	fn("isnotnull", 1, 1, ResultFixed, TypeBool, ArgAny),
	fn("coalesce", 1, -1, ResultCommon, TypeUnknown, ArgAny),
	// logic
	fn("iff", 3, 3, ResultCommon, TypeUnknown, ArgBool, ArgAny),
	fn("iif", 3, 3, ResultCommon, TypeUnknown, ArgBool, ArgAny),
	fn("case", 3, -1, ResultCommon, TypeUnknown, ArgAny),
	fn("not", 1, 1, ResultFixed, TypeBool, ArgBool),
	// math
	fn("round", 1, 2, ResultArg0, TypeUnknown, ArgNumber, ArgLong),
	fn("ceiling", 1, 1, ResultArg0, TypeUnknown, ArgNumber),
	fn("abs", 1, 1, ResultArg0, TypeUnknown, ArgAny),
	fn("log", 1, 1, ResultFixed, TypeReal, ArgReal),
	fn("log10", 1, 1, ResultFixed, TypeReal, ArgReal),
	fn("log2", 1, 1, ResultFixed, TypeReal, ArgReal),
	fn("exp", 1, 1, ResultFixed, TypeReal, ArgReal),
	fn("pow", 2, 2, ResultFixed, TypeReal, ArgReal),
	fn("sqrt", 1, 1, ResultFixed, TypeReal, ArgReal),
	// aggregates
	prefixOnly(agg("count", "count", 0, 1, ResultFixed, TypeLong, -1, ArgAny)),
	prefixOnly(agg("countif", "countif", 1, 1, ResultFixed, TypeLong, 0, ArgBool)),
	agg("dcount", "dcount", 1, 2, ResultFixed, TypeLong, -1, ArgAny, ArgConstNum),
	agg("dcountif", "dcountif", 2, 3, ResultFixed, TypeLong, 1, ArgAny, ArgBool, ArgConstNum),
	agg("sum", "sum", 1, 1, ResultSum, TypeUnknown, -1, ArgAny),
	agg("sumif", "sumif", 2, 2, ResultSum, TypeUnknown, 1, ArgAny, ArgBool),
	agg("avg", "avg", 1, 1, ResultFixed, TypeReal, -1, ArgNumber),
	agg("avgif", "avgif", 2, 2, ResultFixed, TypeReal, 1, ArgNumber, ArgBool),
	agg("min", "min", 1, 1, ResultArg0, TypeUnknown, -1, ArgAny),
	agg("max", "max", 1, 1, ResultArg0, TypeUnknown, -1, ArgAny),
	agg("minif", "minif", 2, 2, ResultArg0, TypeUnknown, 1, ArgAny, ArgBool),
	agg("maxif", "maxif", 2, 2, ResultArg0, TypeUnknown, 1, ArgAny, ArgBool),
	agg("percentile", "percentile", 2, 2, ResultArg0, TypeUnknown, -1, ArgAny, ArgConstNum),
	agg("percentiles", "percentile", 2, -1, ResultArg0, TypeUnknown, -1, ArgAny, ArgConstNum),
	agg("make_set", "set", 1, 2, ResultFixed, TypeDynamic, -1, ArgAny, ArgConstNum),
	agg("make_list", "list", 1, 2, ResultFixed, TypeDynamic, -1, ArgAny, ArgConstNum),
	agg("make_set_if", "set", 2, 3, ResultFixed, TypeDynamic, 1, ArgAny, ArgBool, ArgConstNum),
	agg("make_list_if", "list", 2, 3, ResultFixed, TypeDynamic, 1, ArgAny, ArgBool, ArgConstNum),
	agg("arg_max", "max", 1, -1, ResultArg0, TypeUnknown, -1, ArgAny),
	agg("arg_min", "min", 1, -1, ResultArg0, TypeUnknown, -1, ArgAny),
	agg("take_any", "any", 1, 1, ResultArg0, TypeUnknown, -1, ArgAny),
	agg("any", "any", 1, 1, ResultArg0, TypeUnknown, -1, ArgAny),
	agg("stdev", "stdev", 1, 1, ResultFixed, TypeReal, -1, ArgReal),
	agg("variance", "variance", 1, 1, ResultFixed, TypeReal, -1, ArgReal),
}

func prefixOnly(d FuncDef) FuncDef {
	d.Naming = NamePrefixOnly
	return d
}

func binDef(name string, n int) FuncDef {
	args := []ArgKind{ArgAny, ArgBinSize}
	if n == 3 {
		args = append(args, ArgAny)
	}
	d := fn(name, n, n, ResultArg0, TypeUnknown, args...)
	d.Naming = NameArg0
	return d
}

// funcIndex maps names to registry entries; built once from funcDefs.
var funcIndex = func() map[string]*FuncDef {
	m := make(map[string]*FuncDef, len(funcDefs))
	for i := range funcDefs {
		m[funcDefs[i].Name] = &funcDefs[i]
	}
	return m
}()

// LookupFunc returns the registry entry for a function or aggregate name.
func LookupFunc(name string) (*FuncDef, bool) {
	d, ok := funcIndex[name]
	return d, ok
}

// knownUnsupported lists real Kusto functions not implemented, so the error
// says so instead of "unknown function".
var knownUnsupported = wordSet(`toscalar materialize row_number prev next series_decompose series_fir
series_stats series_fill_linear make_series parse_url parse_path format_timespan ipv4_is_private
ipv4_is_in_range ipv4_compare parse_ipv4 geo_point_to_s2cell hash hash_sha256 base64_encode_tostring
base64_decode_tostring url_encode url_decode zip bag_merge bag_remove_keys set_union set_intersect
array_concat array_slice array_index_of array_sum treepath gettype typeof strrep translate
hll hll_merge dcount_hll tdigest tdigest_merge percentile_tdigest percentilew percentilesw
make_bag make_bag_if buildschema binary_and binary_or binary_xor binary_not bitset_count_ones
datetime_part week_of_year todecimal toguid new_guid rand range repeat estimate_data_size
column_ifexists current_principal cursor_after ingestion_time extent_id extract_json parse_xml
isascii isutf8 unicode_codepoints_to_string to_utf8 punycode_to_string string_size`)
