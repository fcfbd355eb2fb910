package dbsql

import (
	"fmt"
	"strings"
)

// call is a function call being translated: the name token k, its parentheses, and its
// arguments as token ranges and as translated text.
type call struct {
	t           *translator
	name        string // lowercase
	k           int
	open, close int
	spans       [][2]int
	a           []string // translated arguments, without leading space
	filter      string   // the translated condition of FILTER (WHERE …), aggregates only
	over        string   // the translated OVER clause, aggregates only
	field       string   // start or end after window(…)
}

// rule is how one Spark function becomes DuckDB SQL.
type rule struct {
	min, max int  // argument count; max -1 means any number
	agg      bool // the rule renders FILTER and OVER itself
	whole    bool // the parentheses hold one argument, commas included (CAST(x AS MAP<K, V>))
	fn       func(c *call) (string, error)
}

func (t *translator) call(k, j int, r rule) (string, int, error) {
	c := &call{t: t, name: strings.ToLower(t.toks[k].Text), k: k, open: k + 1, close: t.match[k+1]}
	if c.close > j {
		return "", 0, errAt(t.toks[k+1].Pos, "%q is not closed with \")\"", "(")
	}
	start := c.open + 1
	for p := start; p < c.close && !r.whole; p++ {
		tok := t.toks[p]
		if tok.op("(") || tok.op("[") {
			p = t.match[p]
			continue
		}
		if tok.op(",") {
			c.spans = append(c.spans, [2]int{start, p})
			start = p + 1
		}
	}
	if len(c.spans) < r.min && t.sqlSyntax(start, c.close) {
		// EXISTS (SELECT …), FILTER (WHERE …), substring(s FROM 2), position(a IN b): SQL
		// syntax, not a call of the Spark function of the same name.
		return t.toks[k].Text, k + 1, nil
	}
	if start < c.close || len(c.spans) > 0 {
		c.spans = append(c.spans, [2]int{start, c.close})
	}
	for _, s := range c.spans {
		if s[0] >= s[1] {
			return "", 0, errAt(t.tok(s[0]).Pos, "%s has an empty argument", c.name)
		}
		a, err := t.text(s[0], s[1])
		if err != nil {
			return "", 0, err
		}
		c.a = append(c.a, a)
	}
	if n := len(c.a); n < r.min || r.max >= 0 && n > r.max {
		return "", 0, errAt(t.toks[k].Pos, "%s takes %s, not %d", c.name, argCount(r), n)
	}
	next := c.close + 1
	if r.agg {
		if t.tok(next).is("FILTER") && t.tok(next+1).op("(") && t.tok(next+2).is("WHERE") {
			end := t.match[next+1]
			f, err := t.text(next+3, end)
			if err != nil {
				return "", 0, err
			}
			c.filter = f
			next = end + 1
		}
		if t.tok(next).is("OVER") {
			n := next + 2
			if t.tok(next + 1).op("(") {
				n = t.match[next+1] + 1
			}
			o, err := t.text(next, n)
			if err != nil {
				return "", 0, err
			}
			c.over = " " + o
			next = n
		}
	}
	if c.name == "window" && t.tok(next).op(".") && (t.tok(next+1).is("start") || t.tok(next+1).is("end")) {
		c.field = strings.ToLower(t.tok(next + 1).Text)
		next += 2
	}
	s, err := r.fn(c)
	if err != nil {
		return "", 0, err
	}
	if stringResult[c.name] && t.numericContext(k, next) {
		// regexp_extract(…) > 0: Spark compares the string as a number.
		s = "TRY_CAST(" + s + " AS DOUBLE)"
	}
	return s, next, nil
}

// stringResult are functions whose string result Spark casts when it meets a number.
var stringResult = map[string]bool{"regexp_extract": true, "get_json_object": true, "substring_index": true,
	"split_part": true, "date_format": true, "from_unixtime": true, "substr": true, "substring": true}

func argCount(r rule) string {
	switch {
	case r.min == r.max && r.min == 1:
		return "1 argument"
	case r.min == r.max:
		return fmt.Sprintf("%d arguments", r.min)
	case r.max < 0:
		return fmt.Sprintf("at least %d arguments", r.min)
	}
	return fmt.Sprintf("%d to %d arguments", r.min, r.max)
}

// lit returns argument i's value when it is a single string literal.
func (c *call) lit(i int) (string, bool) {
	if i >= len(c.spans) {
		return "", false
	}
	s := c.spans[i]
	if s[1]-s[0] == 1 && c.t.toks[s[0]].Kind == String {
		return c.t.toks[s[0]].Val, true
	}
	return "", false
}

// word returns argument i's text when it is a single bare word or string (a unit like HOUR).
func (c *call) word(i int) (string, bool) {
	if v, ok := c.lit(i); ok {
		return v, true
	}
	s := c.spans[i]
	if s[1]-s[0] == 1 && c.t.toks[s[0]].Kind == Ident {
		return c.t.toks[s[0]].Text, true
	}
	return "", false
}

func (c *call) pos(i int) Pos {
	if i < len(c.spans) {
		return c.t.toks[c.spans[i][0]].Pos
	}
	return c.t.toks[c.k].Pos
}

func (c *call) distinct() bool {
	return len(c.spans) > 0 && c.t.toks[c.spans[0][0]].is("DISTINCT")
}

// num returns argument i for a numeric function: a request_params value (a string, which Spark
// casts implicitly) becomes a DOUBLE.
func (c *call) num(i int) string {
	if c.t.mapAccess(c.spans[i][0]) == c.spans[i][1] {
		return "TRY_CAST(" + c.a[i] + " AS DOUBLE)"
	}
	return c.a[i]
}

// strings returns the arguments from index i on, cast to VARCHAR when one of them is a
// request_params value: Spark gives if, coalesce and nvl a string result when a string
// argument meets a number, where DuckDB refuses to mix the types.
func (c *call) strs(from int) []string {
	out := append([]string(nil), c.a[from:]...)
	has := false
	for i := from; i < len(c.spans); i++ {
		if c.t.mapAccess(c.spans[i][0]) == c.spans[i][1] {
			has = true
		}
	}
	if !has {
		return out
	}
	for i := range out {
		if _, lit := c.lit(from + i); !lit && c.t.mapAccess(c.spans[from+i][0]) != c.spans[from+i][1] {
			out[i] = "CAST(" + out[i] + " AS VARCHAR)"
		}
	}
	return out
}

// p wraps argument i in parentheses, for use inside an operator expression.
func (c *call) p(i int) string { return "(" + c.a[i] + ")" }

func (c *call) list() string { return strings.Join(c.a, ", ") }

func rename(name string, min, max int) rule {
	return rule{min: min, max: max, fn: func(c *call) (string, error) { return name + "(" + c.list() + ")", nil }}
}

// tmpl renders a fixed form; %[1]s is the first argument.
func tmpl(n int, format string) rule {
	return rule{min: n, max: n, fn: func(c *call) (string, error) {
		args := make([]any, len(c.a))
		for i, a := range c.a {
			args[i] = a
		}
		return fmt.Sprintf(format, args...), nil
	}}
}

func castTo(typ string) rule { return tmpl(1, "CAST(%[1]s AS "+typ+")") }

// units maps Spark datetime units (for timestampadd, timestampdiff, date_trunc, extract) to DuckDB's.
var units = map[string]string{"YEAR": "year", "YYYY": "year", "YY": "year", "QUARTER": "quarter",
	"MONTH": "month", "MM": "month", "MON": "month", "WEEK": "week", "DAY": "day", "DD": "day",
	"DAYOFYEAR": "day", "HOUR": "hour", "MINUTE": "minute", "SECOND": "second", "MILLISECOND": "millisecond",
	"MICROSECOND": "microsecond"}

func (c *call) unit(i int) (string, error) {
	w, ok := c.word(i)
	if u, known := units[strings.ToUpper(w)]; ok && known {
		return u, nil
	}
	return "", errAt(c.pos(i), "%s needs a unit such as HOUR or DAY here", c.name)
}

// format converts argument i, a literal Spark datetime pattern, to a strftime format literal.
func (c *call) format(i int) (string, error) {
	v, ok := c.lit(i)
	if !ok {
		return "", errAt(c.pos(i), "%s needs its pattern as a string literal", c.name)
	}
	f, err := strftime(v)
	if err != nil {
		return "", errAt(c.pos(i), "%s", err)
	}
	return quoteString(f), nil
}

const sparkTimestampFormat = "'%Y-%m-%d %H:%M:%S'"

// funcs is the function registry: Spark functions that DuckDB lacks or defines differently.
// Functions not listed pass through unchanged (DuckDB has them with Spark's meaning: lower,
// upper, coalesce, concat_ws, count_if, approx_count_distinct, map_keys, array_contains, ...).
var funcs = map[string]rule{
	// Clock.
	"current_timestamp": {max: 0, fn: func(c *call) (string, error) { return c.t.clock(false), nil }},
	"now":               {max: 0, fn: func(c *call) (string, error) { return c.t.clock(false), nil }},
	"current_date":      {max: 0, fn: func(c *call) (string, error) { return c.t.clock(true), nil }},
	"curdate":           {max: 0, fn: func(c *call) (string, error) { return c.t.clock(true), nil }},
	"current_timezone":  {max: 0, fn: func(c *call) (string, error) { return "'UTC'", nil }},

	// Nulls and conditionals.
	"isnull":    tmpl(1, "((%[1]s) IS NULL)"),
	"isnotnull": tmpl(1, "((%[1]s) IS NOT NULL)"),
	"nvl":       {min: 2, max: 2, fn: coalesce},
	"ifnull":    {min: 2, max: 2, fn: coalesce},
	"coalesce":  {min: 1, max: -1, fn: coalesce},
	"nvl2": {min: 3, max: 3, fn: func(c *call) (string, error) {
		v := c.strs(1)
		return "CASE WHEN (" + c.a[0] + ") IS NOT NULL THEN " + v[0] + " ELSE " + v[1] + " END", nil
	}},
	"if": {min: 3, max: 3, fn: func(c *call) (string, error) {
		v := c.strs(1)
		return "if(" + c.a[0] + ", " + v[0] + ", " + v[1] + ")", nil
	}},

	// Aggregates.
	"collect_set":  {min: 1, max: 1, agg: true, fn: collect(true)},
	"collect_list": {min: 1, max: 1, agg: true, fn: collect(false)},
	"array_agg":    {min: 1, max: 1, agg: true, fn: collect(false)},
	"count": {min: 0, max: -1, fn: func(c *call) (string, error) {
		if len(c.a) <= 1 {
			return "count(" + c.list() + ")", nil
		}
		// count(DISTINCT a, b) counts the distinct rows where no argument is null.
		args := append([]string(nil), c.a...)
		d := c.distinct()
		if d {
			args[0] = strings.TrimSpace(args[0][len("DISTINCT"):])
		}
		var conds []string
		for _, a := range args {
			conds = append(conds, "("+a+") IS NOT NULL")
		}
		kw := ""
		if d {
			kw = "DISTINCT "
		}
		return "count(" + kw + "CASE WHEN " + strings.Join(conds, " AND ") + " THEN row(" + strings.Join(args, ", ") + ") END)", nil
	}},
	"approx_count_distinct": {min: 1, max: 2, fn: func(c *call) (string, error) { return "approx_count_distinct(" + c.a[0] + ")", nil }},
	"percentile_approx":     {min: 2, max: 3, fn: func(c *call) (string, error) { return "approx_quantile(" + c.num(0) + ", " + c.a[1] + ")", nil }},
	"approx_percentile":     {min: 2, max: 3, fn: func(c *call) (string, error) { return "approx_quantile(" + c.num(0) + ", " + c.a[1] + ")", nil }},
	"percentile":            {min: 2, max: 3, fn: func(c *call) (string, error) { return "quantile_cont(" + c.num(0) + ", " + c.a[1] + ")", nil }},
	"first":                 {min: 1, max: 2, fn: firstLast("first")},
	"first_value":           {min: 1, max: 2, fn: firstLast("first")},
	"last":                  {min: 1, max: 2, fn: firstLast("last")},
	"last_value":            {min: 1, max: 2, fn: firstLast("last")},
	"every":                 rename("bool_and", 1, 1),
	"std":                   numeric("stddev_samp"),
	"mean":                  numeric("avg"),
	"sum":                   numeric("sum"),
	"avg":                   numeric("avg"),
	"stddev":                numeric("stddev"),
	"stddev_samp":           numeric("stddev_samp"),
	"stddev_pop":            numeric("stddev_pop"),
	"variance":              numeric("variance"),
	"var_samp":              numeric("var_samp"),
	"var_pop":               numeric("var_pop"),
	"median":                numeric("median"),

	// Arrays and maps.
	"size":             {min: 1, max: 1, fn: size},
	"array_size":       tmpl(1, "len(%[1]s)"),
	"cardinality":      {min: 1, max: 1, fn: size},
	"element_at":       tmpl(2, "(%[1]s)[%[2]s]"),
	"try_element_at":   tmpl(2, "(%[1]s)[%[2]s]"),
	"explode":          rename("unnest", 1, 1),
	"array_distinct":   rename("list_distinct", 1, 1),
	"array_join":       {min: 2, max: 3, fn: func(c *call) (string, error) { return arrayJoin(c), nil }},
	"array_except":     tmpl(2, "CASE WHEN (%[1]s) IS NULL OR (%[2]s) IS NULL THEN NULL ELSE list_distinct(list_filter(%[1]s, lambda _x: NOT list_contains(%[2]s, _x))) END"),
	"array_union":      tmpl(2, "list_distinct(list_concat(%[1]s, %[2]s))"),
	"array_intersect":  rename("list_intersect", 2, 2),
	"arrays_overlap":   rename("list_has_any", 2, 2),
	"array_position":   tmpl(2, "coalesce(list_position(%[1]s, %[2]s), 0)"),
	"array_remove":     tmpl(2, "list_filter(%[1]s, lambda _x: _x IS DISTINCT FROM (%[2]s))"),
	"array_max":        rename("list_max", 1, 1),
	"array_min":        rename("list_min", 1, 1),
	"array":            {max: -1, fn: func(c *call) (string, error) { return "[" + c.list() + "]", nil }},
	"sort_array":       {min: 1, max: 2, fn: sortArray},
	"array_sort":       {min: 1, max: 1, fn: func(c *call) (string, error) { return "list_sort(" + c.a[0] + ", 'ASC', 'NULLS LAST')", nil }},
	"map_contains_key": tmpl(2, "list_contains(map_keys(%[1]s), %[2]s)"),
	"map_from_arrays":  rename("map", 2, 2),
	"map":              {max: -1, fn: mapOf},
	"named_struct":     {min: 2, max: -1, fn: namedStruct},
	"struct":           {min: 1, max: -1, fn: structOf},
	"slice":            tmpl(3, "list_slice(%[1]s, %[2]s, (%[2]s) + (%[3]s) - 1)"),
	"array_repeat":     tmpl(2, "list_transform(range(%[2]s), lambda _x: %[1]s)"),
	"transform":        rename("list_transform", 2, 2),
	"filter":           rename("list_filter", 2, 2),
	"aggregate": {min: 3, max: 3, fn: func(c *call) (string, error) {
		return "list_reduce(list_prepend(" + c.a[1] + ", " + c.a[0] + "), " + c.a[2] + ")", nil
	}},
	"exists":            tmpl(2, "list_bool_or(list_transform(%[1]s, %[2]s))"),
	"forall":            tmpl(2, "list_bool_and(list_transform(%[1]s, %[2]s))"),
	"get_json_object":   rename("json_extract_string", 2, 2),
	"json_array_length": tmpl(1, "CAST(json_array_length(%[1]s) AS INTEGER)"),
	"from_json":         {min: 2, max: 3, fn: fromJSON},

	// Strings.
	"startswith":         rename("starts_with", 2, 2),
	"endswith":           rename("ends_with", 2, 2),
	"concat":             {max: -1, fn: concat},
	"substring_index":    {min: 3, max: 3, fn: substringIndex},
	"split":              {min: 2, max: 3, fn: split},
	"locate":             {min: 2, max: 3, fn: locate},
	"position":           {min: 2, max: 3, fn: locate},
	"substr":             {min: 2, max: 3, fn: substr},
	"substring":          {min: 2, max: 3, fn: substr},
	"format_string":      rename("printf", 1, -1),
	"initcap":            tmpl(1, "array_to_string(list_transform(string_split(lower(%[1]s), ' '), lambda _w: upper(left(_w, 1)) || substr(_w, 2)), ' ')"),
	"base64":             tmpl(1, "to_base64(CAST(%[1]s AS BLOB))"),
	"unbase64":           rename("from_base64", 1, 1),
	"sha2":               {min: 2, max: 2, fn: sha2},
	"regexp":             rename("regexp_matches", 2, 2),
	"regexp_like":        rename("regexp_matches", 2, 2),
	"rlike":              rename("regexp_matches", 2, 2),
	"regexp_extract":     {min: 2, max: 3, fn: regexpExtract("regexp_extract")},
	"regexp_extract_all": {min: 2, max: 3, fn: regexpExtract("regexp_extract_all")},
	"regexp_replace":     {min: 3, max: 4, fn: regexpReplace},
	"char":               rename("chr", 1, 1),
	"len":                rename("length", 1, 1),
	"char_length":        rename("length", 1, 1),
	"character_length":   rename("length", 1, 1),

	// Numbers.
	"log":    {min: 1, max: 2, fn: logFn},
	"rand":   {max: 1, fn: func(c *call) (string, error) { return "random()", nil }},
	"random": {max: 1, fn: func(c *call) (string, error) { return "random()", nil }},
	"pmod":   tmpl(2, "((((%[1]s) %% (%[2]s)) + (%[2]s)) %% (%[2]s))"),
	"signum": rename("sign", 1, 1),
	"power":  rename("pow", 2, 2),

	// Casts.
	"cast":      {min: 1, max: 1, whole: true, fn: castFn("CAST")},
	"try_cast":  {min: 1, max: 1, whole: true, fn: castFn("TRY_CAST")},
	"string":    castTo("VARCHAR"),
	"int":       castTo("INTEGER"),
	"integer":   castTo("INTEGER"),
	"bigint":    castTo("BIGINT"),
	"smallint":  castTo("SMALLINT"),
	"tinyint":   castTo("TINYINT"),
	"double":    castTo("DOUBLE"),
	"float":     castTo("FLOAT"),
	"boolean":   castTo("BOOLEAN"),
	"decimal":   castTo("DECIMAL(10, 0)"),
	"date":      castTo("DATE"),
	"timestamp": castTo("TIMESTAMPTZ"),
	"binary":    castTo("BLOB"),

	// Dates and times.
	"date_format":        {min: 2, max: 2, fn: dateFormat},
	"from_unixtime":      {min: 1, max: 2, fn: fromUnixtime},
	"unix_timestamp":     {max: 2, fn: unixTimestamp},
	"to_unix_timestamp":  {min: 1, max: 2, fn: unixTimestamp},
	"unix_seconds":       tmpl(1, "CAST(floor(epoch(%[1]s)) AS BIGINT)"),
	"unix_millis":        tmpl(1, "epoch_ms(%[1]s)"),
	"unix_micros":        tmpl(1, "epoch_us(%[1]s)"),
	"timestamp_seconds":  tmpl(1, "to_timestamp(CAST(%[1]s AS DOUBLE))"),
	"timestamp_millis":   tmpl(1, "CAST(epoch_ms(CAST(%[1]s AS BIGINT)) AS TIMESTAMPTZ)"),
	"timestamp_micros":   tmpl(1, "CAST(make_timestamp(CAST(%[1]s AS BIGINT)) AS TIMESTAMPTZ)"),
	"to_date":            {min: 1, max: 2, fn: toDate},
	"to_timestamp":       {min: 1, max: 2, fn: toTimestamp},
	"datediff":           {min: 2, max: 3, fn: dateDiff},
	"date_diff":          {min: 2, max: 3, fn: dateDiff},
	"timestampdiff":      {min: 3, max: 3, fn: dateDiff},
	"date_sub":           tmpl(2, "(CAST(%[1]s AS DATE) - CAST(%[2]s AS INTEGER))"),
	"date_add":           {min: 2, max: 3, fn: dateAdd},
	"dateadd":            {min: 2, max: 3, fn: dateAdd},
	"timestampadd":       {min: 3, max: 3, fn: dateAdd},
	"add_months":         tmpl(2, "CAST(CAST(%[1]s AS DATE) + to_months(CAST(%[2]s AS INTEGER)) AS DATE)"),
	"date_trunc":         {min: 2, max: 2, fn: dateTrunc},
	"trunc":              {min: 2, max: 2, fn: trunc},
	"dayofweek":          tmpl(1, "(dayofweek(%[1]s) + 1)"),
	"weekday":            tmpl(1, "(isodow(%[1]s) - 1)"),
	"dayofmonth":         rename("day", 1, 1),
	"window":             {min: 2, max: 4, fn: window},
	"from_utc_timestamp": tmpl(2, "timezone(%[2]s, CAST(%[1]s AS TIMESTAMPTZ))"),
	"to_utc_timestamp":   tmpl(2, "timezone(%[2]s, CAST(%[1]s AS TIMESTAMP))"),
	"make_timestamp":     rename("make_timestamptz", 6, 7),
}

// size is -1 for NULL, as in Spark; request_params (a map) is measured with cardinality, any
// other argument is taken for an array.
func size(c *call) (string, error) {
	f := "len"
	sp := c.spans[0]
	if last := c.t.toks[sp[1]-1]; last.is("request_params") && (sp[1]-sp[0] == 1 || sp[1]-sp[0] == 3 && c.t.toks[sp[0]+1].op(".")) {
		f = "cardinality"
	}
	return "CASE WHEN " + c.p(0) + " IS NULL THEN -1 ELSE " + f + "(" + c.a[0] + ") END", nil
}

// coalesce renders coalesce, nvl and ifnull, with Spark's string result for mixed arguments.
func coalesce(c *call) (string, error) { return "coalesce(" + strings.Join(c.strs(0), ", ") + ")", nil }

// numeric renders an aggregate over numbers; a request_params value is cast to DOUBLE, as
// Spark casts a string summed or averaged.
func numeric(name string) rule {
	return rule{min: 1, max: 1, fn: func(c *call) (string, error) {
		if c.distinct() {
			return name + "(" + c.a[0] + ")", nil
		}
		return name + "(" + c.num(0) + ")", nil
	}}
}

// collect renders collect_set/collect_list: Spark skips nulls and returns [] for no rows.
func collect(distinct bool) func(c *call) (string, error) {
	return func(c *call) (string, error) {
		x, d := c.a[0], ""
		if c.distinct() {
			x, d = strings.TrimSpace(x[len("DISTINCT"):]), "DISTINCT "
		}
		if distinct {
			d = "DISTINCT "
		}
		cond := "(" + x + ") IS NOT NULL"
		if c.filter != "" {
			cond += " AND (" + c.filter + ")"
		}
		return "coalesce(list(" + d + x + ") FILTER (WHERE " + cond + ")" + c.over + ", [])", nil
	}
}

func firstLast(name string) func(c *call) (string, error) {
	return func(c *call) (string, error) {
		if len(c.a) == 2 && strings.EqualFold(c.a[1], "true") {
			return name + "(" + c.a[0] + ") FILTER (WHERE (" + c.a[0] + ") IS NOT NULL)", nil
		}
		return name + "(" + c.a[0] + ")", nil
	}
}

func arrayJoin(c *call) string {
	if len(c.a) == 3 {
		return "array_to_string(list_transform(" + c.a[0] + ", lambda _x: coalesce(_x, " + c.a[2] + ")), " + c.a[1] + ")"
	}
	return "array_to_string(list_filter(" + c.a[0] + ", lambda _x: _x IS NOT NULL), " + c.a[1] + ")"
}

func sortArray(c *call) (string, error) {
	if len(c.a) == 2 && strings.EqualFold(c.a[1], "false") {
		return "list_sort(" + c.a[0] + ", 'DESC', 'NULLS LAST')", nil
	}
	return "list_sort(" + c.a[0] + ", 'ASC', 'NULLS FIRST')", nil
}

func mapOf(c *call) (string, error) {
	if len(c.a)%2 != 0 {
		return "", errAt(c.t.toks[c.k].Pos, "map takes keys and values in pairs, not %d arguments", len(c.a))
	}
	var ks, vs []string
	for i := 0; i < len(c.a); i += 2 {
		ks = append(ks, c.a[i])
		vs = append(vs, c.a[i+1])
	}
	return "map([" + strings.Join(ks, ", ") + "], [" + strings.Join(vs, ", ") + "])", nil
}

func namedStruct(c *call) (string, error) {
	if len(c.a)%2 != 0 {
		return "", errAt(c.t.toks[c.k].Pos, "named_struct takes names and values in pairs, not %d arguments", len(c.a))
	}
	var fields []string
	for i := 0; i < len(c.a); i += 2 {
		name, ok := c.lit(i)
		if !ok {
			return "", errAt(c.pos(i), "named_struct needs field names as string literals")
		}
		fields = append(fields, quoteIdent(name)+" := "+c.a[i+1])
	}
	return "struct_pack(" + strings.Join(fields, ", ") + ")", nil
}

// structOf names each field after its column (struct(a, t.b) has fields a and b) or colN, as
// Spark does.
func structOf(c *call) (string, error) {
	fields := make([]string, len(c.a))
	for i, sp := range c.spans {
		name := fmt.Sprintf("col%d", i+1)
		last := c.t.toks[sp[1]-1]
		if (last.Kind == Ident || last.Kind == QIdent) && (sp[1]-sp[0] == 1 || c.t.toks[sp[1]-2].op(".")) {
			name = identName(last)
		}
		fields[i] = quoteIdent(name) + " := " + c.a[i]
	}
	return "struct_pack(" + strings.Join(fields, ", ") + ")", nil
}

// fromJSON parses JSON text with a schema given as a Spark DDL string ('a STRING, b INT',
// 'map<string,string>', 'array<string>'); malformed JSON gives NULL, as in Spark.
func fromJSON(c *call) (string, error) {
	schema, ok := c.lit(1)
	if !ok {
		return "", errAt(c.pos(1), "from_json needs its schema as a string literal")
	}
	toks, err := Tokenize(schema)
	if err != nil {
		return "", errAt(c.pos(1), "from_json schema: %s", err)
	}
	st := &translator{toks: toks, opts: c.t.opts, funcs: c.t.funcs, numeric: -1}
	if err := st.link(); err != nil {
		return "", errAt(c.pos(1), "from_json schema: %s", err)
	}
	var typ string
	n := 0
	if first := strings.ToUpper(toks[0].Text); toks[0].Kind == Ident && (first == "MAP" || first == "ARRAY" || first == "STRUCT") && toks[1].op("<") {
		typ, n, err = st.typeAt(0, len(toks)-1)
	} else {
		// a list of fields: name type, name type
		var fields []string
		for n < len(toks)-1 {
			f := toks[n]
			if f.Kind != Ident && f.Kind != QIdent {
				return "", errAt(c.pos(1), "from_json schema: a field name is expected at %q", f.Text)
			}
			n++
			if toks[n].op(":") {
				n++
			}
			var ft string
			ft, n, err = st.typeAt(n, len(toks)-1)
			if err != nil {
				break
			}
			fields = append(fields, quoteIdent(identName(f))+" "+ft)
			if toks[n].op(",") {
				n++
			}
		}
		typ = "STRUCT(" + strings.Join(fields, ", ") + ")"
	}
	if err != nil {
		return "", errAt(c.pos(1), "from_json schema: %s", err)
	}
	if n != len(toks)-1 {
		return "", errAt(c.pos(1), "from_json schema: unexpected %q", toks[n].Text)
	}
	return "TRY_CAST(TRY_CAST(" + c.a[0] + " AS JSON) AS " + typ + ")", nil
}

// concat is null when any argument is null, as in Spark (DuckDB's concat skips nulls).
func concat(c *call) (string, error) {
	if len(c.a) == 0 {
		return "''", nil
	}
	parts := make([]string, len(c.a))
	for i := range c.a {
		parts[i] = c.p(i)
	}
	return "(" + strings.Join(parts, " || ") + ")", nil
}

func substringIndex(c *call) (string, error) {
	s, d := c.a[0], c.a[1]
	if n, ok := c.intArg(2); ok {
		switch {
		case n == 0:
			return "CASE WHEN (" + s + ") IS NULL THEN NULL ELSE '' END", nil
		case n > 0:
			return fmt.Sprintf("array_to_string(string_split(%s, %s)[1:%d], %s)", s, d, n, d), nil
		default:
			return fmt.Sprintf("array_to_string(string_split(%s, %s)[%d:], %s)", s, d, n, d), nil
		}
	}
	n := c.p(2)
	return fmt.Sprintf("CASE WHEN %[3]s > 0 THEN array_to_string(string_split(%[1]s, %[2]s)[1:%[3]s], %[2]s) WHEN %[3]s < 0 THEN array_to_string(string_split(%[1]s, %[2]s)[%[3]s:], %[2]s) ELSE '' END", s, d, n), nil
}

// intArg returns argument i when it is an integer literal, possibly negative.
func (c *call) intArg(i int) (int, bool) {
	s := c.spans[i]
	toks := c.t.toks[s[0]:s[1]]
	neg := false
	if len(toks) == 2 && toks[0].op("-") {
		neg, toks = true, toks[1:]
	}
	if len(toks) != 1 || toks[0].Kind != Number {
		return 0, false
	}
	n, ok := intLiteral(toks[0].Text)
	if neg {
		n = -n
	}
	return n, ok
}

func split(c *call) (string, error) {
	if len(c.a) == 3 {
		if n, ok := c.intArg(2); !ok || n > 0 {
			return "", errAt(c.pos(2), "split with a positive limit is not supported; use split(str, regex)")
		}
	}
	return "regexp_split_to_array(" + c.a[0] + ", " + c.a[1] + ")", nil
}

// locate(substr, str[, pos]) is 1-based and 0 when not found, like DuckDB's instr.
func locate(c *call) (string, error) {
	if len(c.a) == 3 {
		return fmt.Sprintf("CASE WHEN instr(substr(%[2]s, %[3]s), %[1]s) = 0 THEN 0 ELSE instr(substr(%[2]s, %[3]s), %[1]s) + (%[3]s) - 1 END", c.a[0], c.a[1], c.a[2]), nil
	}
	return "instr(" + c.a[1] + ", " + c.a[0] + ")", nil
}

// substr counts a start of 0 as 1, as Spark does.
func substr(c *call) (string, error) {
	pos := c.a[1]
	if n, ok := c.intArg(1); ok && n == 0 {
		pos = "1"
	}
	if len(c.a) == 3 {
		return "substring(" + c.a[0] + ", " + pos + ", " + c.a[2] + ")", nil
	}
	return "substring(" + c.a[0] + ", " + pos + ")", nil
}

func sha2(c *call) (string, error) {
	n, ok := c.intArg(1)
	if !ok || (n != 256 && n != 0) {
		return "", errAt(c.pos(1), "sha2 supports 256 bits here")
	}
	return "sha256(" + c.a[0] + ")", nil
}

// regexpExtract defaults to group 1, as Spark does (DuckDB's default is the whole match).
func regexpExtract(name string) func(c *call) (string, error) {
	return func(c *call) (string, error) {
		idx := "1"
		if len(c.a) == 3 {
			idx = c.a[2]
		}
		return name + "(" + c.a[0] + ", " + c.a[1] + ", " + idx + ")", nil
	}
}

// regexpReplace replaces every match, as Spark does, with Java's $1 group references turned
// into RE2's \1.
func regexpReplace(c *call) (string, error) {
	if len(c.a) == 4 {
		return "", errAt(c.pos(3), "regexp_replace with a start position is not supported")
	}
	repl := c.a[2]
	if v, ok := c.lit(2); ok {
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			switch ch := v[i]; {
			case ch == '\\' && i+1 < len(v):
				i++
				if v[i] == '\\' {
					b.WriteString(`\\`)
				} else {
					b.WriteByte(v[i])
				}
			case ch == '\\':
				b.WriteString(`\\`)
			case ch == '$' && i+1 < len(v) && isDigit(v[i+1]):
				b.WriteByte('\\')
				b.WriteByte(v[i+1])
				i++
			default:
				b.WriteByte(ch)
			}
		}
		repl = quoteString(b.String())
	}
	return "regexp_replace(" + c.a[0] + ", " + c.a[1] + ", " + repl + ", 'g')", nil
}

func logFn(c *call) (string, error) {
	if len(c.a) == 1 {
		return "ln(" + c.a[0] + ")", nil
	}
	return "(ln(" + c.a[1] + ") / ln(" + c.a[0] + "))", nil
}

// castFn translates CAST(x AS type) with Spark type names.
func castFn(kw string) func(c *call) (string, error) {
	return func(c *call) (string, error) {
		s := c.spans[0]
		as := -1
		for p := s[0]; p < s[1]; p++ {
			tok := c.t.toks[p]
			if tok.op("(") || tok.op("[") {
				p = c.t.match[p]
				continue
			}
			if tok.is("AS") {
				as = p
			}
		}
		if as < 0 {
			return "", errAt(c.t.toks[c.k].Pos, "%s needs AS and a type", strings.ToLower(kw))
		}
		x, err := c.t.text(s[0], as)
		if err != nil {
			return "", err
		}
		typ, n, err := c.t.typeAt(as+1, s[1])
		if err != nil {
			return "", err
		}
		if n != s[1] {
			return "", errAt(c.t.tok(n).Pos, "unexpected %q after the type", c.t.tok(n).Text)
		}
		return kw + "(" + x + " AS " + typ + ")", nil
	}
}

func dateFormat(c *call) (string, error) {
	f, err := c.format(1)
	if err != nil {
		return "", err
	}
	return "strftime(CAST(" + c.a[0] + " AS TIMESTAMPTZ), " + f + ")", nil
}

func fromUnixtime(c *call) (string, error) {
	f := sparkTimestampFormat
	if len(c.a) == 2 {
		var err error
		if f, err = c.format(1); err != nil {
			return "", err
		}
	}
	return "strftime(to_timestamp(CAST(" + c.a[0] + " AS DOUBLE)), " + f + ")", nil
}

func unixTimestamp(c *call) (string, error) {
	switch len(c.a) {
	case 0:
		return "CAST(floor(epoch(" + c.t.clock(false) + ")) AS BIGINT)", nil
	case 1:
		return "CAST(floor(epoch(TRY_CAST(" + c.a[0] + " AS TIMESTAMPTZ))) AS BIGINT)", nil
	}
	f, err := c.format(1)
	if err != nil {
		return "", err
	}
	return "CAST(floor(epoch(try_strptime(CAST(" + c.a[0] + " AS VARCHAR), " + f + "))) AS BIGINT)", nil
}

// toDate and toTimestamp give NULL for text they cannot read, as Spark does.
func toDate(c *call) (string, error) {
	if len(c.a) == 1 {
		return "TRY_CAST(" + c.a[0] + " AS DATE)", nil
	}
	f, err := c.format(1)
	if err != nil {
		return "", err
	}
	return "CAST(try_strptime(CAST(" + c.a[0] + " AS VARCHAR), " + f + ") AS DATE)", nil
}

func toTimestamp(c *call) (string, error) {
	if len(c.a) == 1 {
		return "TRY_CAST(" + c.a[0] + " AS TIMESTAMPTZ)", nil
	}
	f, err := c.format(1)
	if err != nil {
		return "", err
	}
	return "CAST(try_strptime(CAST(" + c.a[0] + " AS VARCHAR), " + f + ") AS TIMESTAMPTZ)", nil
}

// dateDiff: datediff(end, start) counts days between dates; datediff(unit, start, end) and
// timestampdiff count whole units elapsed, which is DuckDB's date_sub (not its date_diff,
// which counts boundaries crossed).
func dateDiff(c *call) (string, error) {
	if len(c.a) == 2 {
		return "date_diff('day', CAST(" + c.a[1] + " AS DATE), CAST(" + c.a[0] + " AS DATE))", nil
	}
	u, err := c.unit(0)
	if err != nil {
		return "", err
	}
	return "date_sub('" + u + "', CAST(" + c.a[1] + " AS TIMESTAMPTZ), CAST(" + c.a[2] + " AS TIMESTAMPTZ))", nil
}

var addUnits = map[string]string{"year": "to_years", "month": "to_months", "week": "to_weeks", "day": "to_days",
	"hour": "to_hours", "minute": "to_minutes", "second": "to_seconds", "millisecond": "to_milliseconds",
	"microsecond": "to_microseconds"}

// dateAdd: date_add(date, days) adds days to a date; dateadd(unit, n, ts) and timestampadd
// add units to a timestamp.
func dateAdd(c *call) (string, error) {
	if len(c.a) == 2 {
		return "(CAST(" + c.a[0] + " AS DATE) + CAST(" + c.a[1] + " AS INTEGER))", nil
	}
	u, err := c.unit(0)
	if err != nil {
		return "", err
	}
	n := "CAST(" + c.a[1] + " AS BIGINT)"
	if u == "quarter" {
		u, n = "month", "3 * "+n
	}
	return "(CAST(" + c.a[2] + " AS TIMESTAMPTZ) + " + addUnits[u] + "(" + n + "))", nil
}

func dateTrunc(c *call) (string, error) {
	u, err := c.unit(0)
	if err != nil {
		return "", err
	}
	return "date_trunc('" + u + "', CAST(" + c.a[1] + " AS TIMESTAMPTZ))", nil
}

// trunc(date, fmt) truncates a date to a year, quarter, month or week.
func trunc(c *call) (string, error) {
	w, ok := c.word(1)
	u := units[strings.ToUpper(w)]
	if !ok || (u != "year" && u != "quarter" && u != "month" && u != "week") {
		return "", errAt(c.pos(1), "trunc needs 'year', 'quarter', 'month' or 'week'")
	}
	return "CAST(date_trunc('" + u + "', CAST(" + c.a[0] + " AS DATE)) AS DATE)", nil
}

// windowCall is a translated window(ts, duration): the start and end of the event's bucket.
type windowCall struct{ start, end string }

// window(ts, '60 minutes') is a tumbling window: start is the bucket the time falls in, counted
// from the Unix epoch as Spark does; end is start plus the duration.
func window(c *call) (string, error) {
	w, err := c.window()
	if err != nil {
		return "", err
	}
	switch {
	case c.field == "start" || c.field == "" && c.t.inGroupBy(c.k):
		// Grouping by the window is grouping by its start: the end follows from it, and
		// DuckDB then accepts window.start, window.end and window(…) in the select list.
		return w.start, nil
	case c.field == "end":
		return w.end, nil
	}
	return "struct_pack(start := " + w.start + ", \"end\" := " + w.end + ")", nil
}

func (c *call) window() (*windowCall, error) {
	if len(c.a) > 2 {
		return nil, errAt(c.pos(2), "window with a slide duration or start offset is not supported; use a tumbling window(ts, duration)")
	}
	d, ok := c.lit(1)
	if !ok {
		return nil, errAt(c.pos(1), "window needs its duration as a string literal such as '60 minutes'")
	}
	iv, err := sparkDuration(d)
	if err != nil {
		return nil, errAt(c.pos(1), "window duration: %s", err)
	}
	start := "time_bucket(" + iv + ", CAST(" + c.a[0] + " AS TIMESTAMPTZ), TIMESTAMPTZ '1970-01-01 00:00:00+00')"
	return &windowCall{start: start, end: "(" + start + " + " + iv + ")"}, nil
}

// sparkDuration turns '60 minutes', '1 hour', '1 day 2 hours' or 'interval 10 seconds' into a
// DuckDB interval literal, refusing months and years (windows need a fixed length).
func sparkDuration(s string) (string, error) {
	f := strings.Fields(strings.ToLower(s))
	if len(f) > 0 && f[0] == "interval" {
		f = f[1:]
	}
	if len(f) == 0 || len(f)%2 != 0 {
		return "", fmt.Errorf("%q is not a duration such as '60 minutes'", s)
	}
	var parts []string
	for i := 0; i < len(f); i += 2 {
		u, ok := intervalUnits[strings.ToUpper(f[i+1])]
		if !ok || !isNumeric(f[i]) {
			return "", fmt.Errorf("%q is not a duration such as '60 minutes'", s)
		}
		if u == "month" || u == "year" {
			return "", fmt.Errorf("%q: months and years have no fixed length", s)
		}
		parts = append(parts, f[i]+" "+u)
	}
	return "INTERVAL '" + strings.Join(parts, " ") + "'", nil
}

// windowInScope finds the window(…) call that a bare window.start or window.end at token k
// refers to: the first one in the same query block (same enclosing parenthesis).
func (t *translator) windowInScope(k int) *windowCall {
	for i := range t.toks {
		if !t.toks[i].is("window") || !t.tok(i+1).op("(") || t.tok(i-1).op(".") || t.parent[i] != t.parent[k] {
			continue
		}
		if w, ok := t.windows[i]; ok {
			return w
		}
		r := t.funcs["window"]
		var w *windowCall
		r.fn = func(c *call) (string, error) {
			var err error
			w, err = c.window()
			return "", err
		}
		if _, _, err := t.call(i, len(t.toks)-1, r); err != nil || w == nil {
			return nil
		}
		t.windows[i] = w
		return w
	}
	return nil
}

// inGroupBy reports whether token k is in a GROUP BY list (at its top level).
func (t *translator) inGroupBy(k int) bool {
	for i := k - 1; i >= 0; i-- {
		tok := t.toks[i]
		switch {
		case tok.op(")") || tok.op("]"):
			i = t.match[i]
		case tok.op("(") || tok.op("["):
			return false
		case tok.is("BY"):
			return t.tok(i - 1).is("GROUP")
		case tok.Kind == Ident && clauseStart[strings.ToUpper(tok.Text)]:
			return false
		}
	}
	return false
}

var clauseStart = map[string]bool{"SELECT": true, "FROM": true, "WHERE": true, "HAVING": true, "QUALIFY": true,
	"WINDOW": true, "LIMIT": true, "ORDER": true, "UNION": true, "EXCEPT": true, "INTERSECT": true}

// sqlSyntax reports whether tokens [i, j) hold a keyword of SQL call syntax at their top level.
func (t *translator) sqlSyntax(i, j int) bool {
	for p := i; p < j; p++ {
		tok := t.toks[p]
		if tok.op("(") || tok.op("[") {
			p = t.match[p]
			continue
		}
		if tok.is("SELECT") || tok.is("WITH") || tok.is("WHERE") || tok.is("FROM") || tok.is("IN") || tok.is("FOR") || tok.is("VALUES") {
			return true
		}
	}
	return false
}
