package kql

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseRoundTrip(t *testing.T) {
	t.Parallel()
	// f parses query, checks the round trip and, when want is set, the
	// canonical one-line form.
	f := func(query, want string) {
		t.Helper()
		q := requireRoundTrip(t, query)
		if want != "" {
			require.Equal(t, want, oneLine(q), "query: %s", query)
		}
	}

	// Sources and statements.
	f(`DatabricksAccounts`, `DatabricksAccounts`)
	f(`DatabricksAccounts;`, `DatabricksAccounts`)
	f(`['Table With Spaces']`, `["Table With Spaces"]`)
	f(`["project"] | take 1`, `["project"] | take 1`)
	f(`(T | take 1) | count`, `(T | take 1) | count`)
	f(`(T) | count`, `(T) | count`)
	f(`(T)`, `(T)`)
	f(`((T | take 1))`, `((T | take 1))`)
	f(`union * | count`, `union * | count`)
	f(`T | render barchart with (ycolumns=a, ['by'], ['c d'], title="t")`, `T | render barchart with (ycolumns=a, ["by"], ["c d"], title="t")`)
	f(`T | render render`, `T | render render`)
	f(`print 1`, `print 1`)
	f(`print x = 1, y = "a", strcat("a", "b")`, `print x = 1, y = "a", strcat("a", "b")`)
	f(`datatable(a:long, b:string, c:datetime, d:dynamic) [1, "x", datetime(2026-01-10), dynamic([1])]`,
		`datatable(a:long, b:string, c:datetime, d:dynamic) [1, "x", datetime(2026-01-10T00:00:00Z), dynamic([1])]`)
	f(`datatable(a:int, b:double, c:bool, d:timespan, e:guid, f:decimal)[int(1), 1.5, true, 1h, guid(74BE27DE-1E4E-49D9-B579-FE0B331D3642), decimal(1.25),]`,
		`datatable(a:int, b:real, c:bool, d:timespan, e:guid, f:decimal) [int(1), 1.5, true, 1h, guid(74be27de-1e4e-49d9-b579-fe0b331d3642), decimal(1.25)]`)
	f(`range x from 1 to 10 step 2`, `range x from 1 to 10 step 2`)
	f(`range t from ago(1d) to now() step 1h | count`, `range t from ago(1d) to now() step 1h | count`)
	f(`let n = 10; T | take n`, `let n = 10; T | take n`)
	f(`let T = DatabricksAccounts | where x > 1; let U = (T | take 1); let V = print a = 1; let W = T; U`,
		`let T = DatabricksAccounts | where x > 1; let U = (T | take 1); let V = print a = 1; let W = T; U`)
	f(`let ['a b'] = 1; print ['a b']`, `let ["a b"] = 1; print ["a b"]`)
	f("// comment\nT // trailing\n| take 1 // end", `T | take 1`)
	f(`union A, B`, `union A, B`)
	f(`union kind=outer withsource=SourceTable isfuzzy=true A, (B | take 1), Databricks*`,
		`union kind=outer withsource=SourceTable isfuzzy=true A, (B | take 1), Databricks*`)
	f(`union kind=inner isfuzzy=false A, ['b c']`, `union kind=inner A, ["b c"]`)
	f(`union isfuzzy=true DatabricksAccounts, DatabricksClusters | distinct Category, Type`,
		`union isfuzzy=true DatabricksAccounts, DatabricksClusters | distinct Category, Type`)

	// Tabular operators.
	f(`T | where a == 1`, `T | where a == 1`)
	f(`T | filter a == 1`, `T | where a == 1`)
	f(`T | project a, b = c + 1, ['d e'] = 2, tostring(x)`, `T | project a, b = c + 1, ["d e"] = 2, tostring(x)`)
	f(`T | project-away a, Tmp*, *_id, ['b c'], x*y`, `T | project-away a, Tmp*, *_id, ["b c"], x*y`)
	f(`T | project-keep a, b*`, `T | project-keep a, b*`)
	f(`T | project-reorder b, a*`, `T | project-reorder b, a*`)
	f(`T | project-rename new = old, ['x y'] = z`, `T | project-rename new = old, ["x y"] = z`)
	f(`T | extend a = 1, b = a * 2, c`, `T | extend a = 1, b = a * 2, c`)
	f(`T | summarize count()`, `T | summarize count()`)
	f(`T | summarize by a, b`, `T | summarize by a, b`)
	f(`T | summarize n = count(), dcount(u) by bin(TimeGenerated, 1h), k = tostring(x.y)`,
		`T | summarize n = count(), dcount(u) by bin(TimeGenerated, 1h), k = tostring(x.y)`)
	f(`T | summarize arg_max(TimeGenerated, *) by Id`, `T | summarize arg_max(TimeGenerated, *) by Id`)
	f(`T | summarize percentile(x, 95), make_set(y, 10), countif(z > 1), sumif(a, b), take_any(*)`, "")
	f(`T | count`, `T | count`)
	f(`T | take 10`, `T | take 10`)
	f(`T | limit 10`, `T | take 10`)
	f(`T | top 10 by failures`, `T | top 10 by failures`)
	f(`T | top 3 by x asc nulls last`, `T | top 3 by x asc nulls last`)
	f(`T | sort by a`, `T | sort by a`)
	f(`T | order by a asc, b desc nulls first, c nulls last`, `T | sort by a asc, b desc nulls first, c nulls last`)
	f(`T | distinct *`, `T | distinct *`)
	f(`T | distinct a, b`, `T | distinct a, b`)
	f(`T | join U on Key`, `T | join U on Key`)
	f(`T | join kind=inner (U | where x) on $left.a == $right.b`, `T | join kind=inner (U | where x) on $left.a == $right.b`)
	f(`T | join kind=leftouter U on a, $left.b == $right.c and $left.d == $right.e`,
		`T | join kind=leftouter U on a, $left.b == $right.c and $left.d == $right.e`)
	for _, k := range []string{"innerunique", "inner", "leftouter", "rightouter", "fullouter", "leftanti", "anti", "leftantisemi", "rightanti", "rightantisemi", "leftsemi", "rightsemi"} {
		f(`T | join kind=`+k+` U on a`, `T | join kind=`+k+` U on a`)
	}
	f(`T | union U, (V | take 1)`, `T | union U, (V | take 1)`)
	f(`T | render timechart`, `T | render timechart`)
	f(`T | render columnchart with (title="Logins", kind=stacked, ycolumns=a, b, ymin=0, legend=hidden)`,
		`T | render columnchart with (title="Logins", kind=stacked, ycolumns=a, b, ymin=0, legend=hidden)`)
	f(`T | mv-expand x`, `T | mv-expand x`)
	f(`T | mv-expand bagexpansion=bag with_itemindex=idx a = split(s, ","), b to typeof(long) limit 100`,
		`T | mv-expand bagexpansion=bag with_itemindex=idx a = split(s, ","), b to typeof(long) limit 100`)
	f(`T | mv-expand x to typeof(double)`, `T | mv-expand x to typeof(real)`)

	// Scalar expressions: precedence is kept through parentheses only.
	f(`T | where a or b and c`, `T | where a or b and c`)
	f(`T | where (a or b) and c`, `T | where (a or b) and c`)
	f(`T | extend x = 1 + 2 * 3 - 4 / 5 % 6`, `T | extend x = 1 + 2 * 3 - 4 / 5 % 6`)
	f(`T | extend x = -a + +b - -1`, `T | extend x = -a + +b - -1`)
	f(`T | where a < 1 and b <= 2 and c > 3 and d >= 4 and e != 5 and f =~ "x" and g !~ "y"`, "")
	for _, op := range []string{"has", "!has", "has_cs", "!has_cs", "hasprefix", "!hasprefix", "hasprefix_cs", "!hasprefix_cs",
		"hassuffix", "!hassuffix", "hassuffix_cs", "!hassuffix_cs", "contains", "!contains", "contains_cs", "!contains_cs",
		"startswith", "!startswith", "startswith_cs", "!startswith_cs", "endswith", "!endswith", "endswith_cs", "!endswith_cs", "matches regex"} {
		f(`T | where s `+op+` "x"`, `T | where s `+op+` "x"`)
	}
	for _, op := range []string{"in", "!in", "in~", "!in~", "has_any", "has_all"} {
		f(`T | where s `+op+` ("a", "b")`, `T | where s `+op+` ("a", "b")`)
	}
	f(`T | where s in (dynamic(["a", "b"]))`, `T | where s in (dynamic(["a", "b"]))`)
	f(`T | where s in (U | project s)`, `T | where s in (U | project s)`)
	f(`T | where x between (1 .. 10)`, `T | where x between (1 .. 10)`)
	f(`T | where t !between (datetime(2026-01-10) .. 1d)`, `T | where t !between (datetime(2026-01-10T00:00:00Z) .. 1d)`)
	f(`T | where not(a has "x")`, `T | where not(a has "x")`)
	f(`T | extend a = x.b.c, b = x['k'], c = x[0], d = x["a b"].c[1], e = x.['q r'], f = $left`,
		`T | extend a = x.b.c, b = x["k"], c = x[0], d = x["a b"].c[1], e = x["q r"], f = $left`)
	f(`T | extend v = split(s, "/")[0], w = parse_json(r)['a'].b`, `T | extend v = split(s, "/")[0], w = parse_json(r)["a"].b`)
	f(`T | extend x = iff(a > 1, "big", "small"), y = case(a == 1, "one", a == 2, "two", "many"), z = coalesce(a, b, 0)`, "")
	f(`T | extend r = Identity.email, k = x.kind, t = y.type, w = z.where`, `T | extend r = Identity.email, k = x.kind, t = y.type, w = z.where`)
	f(`T | extend n = toscalar(U | summarize count())`, `T | extend n = toscalar(U | summarize count())`)
	f(`T | extend ['by'] = 1, ['and'] = 2 | where ['by'] > ['and']`, `T | extend ["by"] = 1, ["and"] = 2 | where ["by"] > ["and"]`)

	// Literals.
	f(`print 1, 1.5, 1e3, 2.5e-3, 0x1F, "s", 's', true, false`, `print 1, 1.5, 1000.0, 0.0025, 31, "s", "s", true, false`)
	f(`print @"c:\dir", @'it''s', h"secret", "a\"b\\c\n\t", 'd\'e', "\u00e9"`, `print "c:\\dir", "it's", "secret", "a\"b\\c\n\t", "d'e", "é"`)
	f("print ```line1\nline2```", `print "line1\nline2"`)
	f(`print 1d, 2h, 30m, 10s, 100ms, 1tick, 5microseconds, 2.5h, 1.5d, 3days, 1hour, 2minutes, 7sec`,
		`print 1d, 2h, 30m, 10s, 100ms, 1tick, 5microsecond, 150m, 36h, 3d, 1h, 2m, 7s`)
	f(`print timespan(1d), time(2), timespan(01:30:00), timespan(1.02:03:04.5), timespan(-1h), timespan("00:00:01"), timespan(null)`,
		`print 1d, 2d, 90m, 93784500ms, timespan(-1h), 1s, timespan(null)`)
	f(`print datetime(2026-01-10), datetime(2026-01-10 02:30), datetime(2026-01-10 02:30:00), datetime(2026-01-10T02:30:00.123Z), datetime("2026-01-10T02:30:00.1234567Z"), datetime(null)`,
		`print datetime(2026-01-10T00:00:00Z), datetime(2026-01-10T02:30:00Z), datetime(2026-01-10T02:30:00Z), datetime(2026-01-10T02:30:00.123Z), datetime(2026-01-10T02:30:00.1234567Z), datetime(null)`)
	f(`print long(null), int(null), real(null), double(null), bool(null), decimal(null), guid(null), dynamic(null)`,
		`print long(null), int(null), real(null), real(null), bool(null), decimal(null), guid(null), dynamic(null)`)
	f(`print long(5), long(-5), int(-3), real(2), real(-0.5), bool(false), boolean(true), decimal(-1.50)`,
		`print 5, long(-5), int(-3), 2.0, real(-0.5), false, true, decimal(-1.50)`)
	f(`print dynamic([1, -2, 2.5, "a", true, null, [], {}, {"k": {"n": [datetime(2026-01-10), 1h]}}])`,
		`print dynamic([1, -2, 2.5, "a", true, null, [], {}, {"k": {"n": [datetime(2026-01-10T00:00:00Z), 1h]}}])`)
	f(`print dynamic({"a": 1, "b": "x"}).a`, `print dynamic({"a": 1, "b": "x"}).a`)
}

func TestParseDatabricksQueries(t *testing.T) {
	t.Parallel()
	for _, q := range []string{
		`DatabricksClusters | where ActionName == "create" | extend cluster_name = tostring(parse_json(RequestParams).cluster_name) | summarize count() by bin(TimeGenerated, 1d)`,
		`DatabricksAccounts | where ActionName in ("login","tokenLogin") and Response has "401" | summarize failures = count() by tostring(Identity.email) | top 10 by failures`,
		`DatabricksClusters | extend rparams = RequestParams | extend cluster_id = extractjson("$.['cluster_id']", tostring(rparams)) | project TimeGenerated, cluster_id`,
		`DatabricksClusters | summarize arg_max(TimeGenerated, *) by tostring(parse_json(RequestParams).cluster_id)`,
		`DatabricksJobs | extend outcome = case(toint(parse_json(Response).statusCode) >= 500, "server", toint(parse_json(Response).statusCode) >= 400, "client", "ok") | summarize count() by outcome`,
		`DatabricksAccounts | extend who = coalesce(tostring(Identity.email), tostring(Identity.subjectName), "unknown") | distinct who`,
		`union isfuzzy=true DatabricksAccounts, DatabricksClusters | distinct Category, Type`,
		`DatabricksNotebook | where TimeGenerated > ago(7d) | where ActionName in~ ("runCommand", "attachNotebook") | summarize commands = count(), notebooks = dcount(tostring(parse_json(RequestParams).notebookId)) by bin(TimeGenerated, 1h), tostring(Identity.email) | render timechart`,
		`let window = 1h;
let threshold = 5;
DatabricksAccounts
| where TimeGenerated between (ago(1d) .. now())
| where ActionName == "login" and toint(parse_json(Response).statusCode) == 401
| summarize attempts = count(), ips = make_set(SourceIPAddress) by bin(TimeGenerated, window), email = tostring(Identity.email)
| where attempts > threshold
| order by attempts desc`,
		`DatabricksSecrets | where ActionName == "getSecret" | extend scope = tostring(parse_json(RequestParams).scope) | join kind=leftanti (DatabricksSecrets | where TimeGenerated < ago(30d) | extend scope = tostring(parse_json(RequestParams).scope) | distinct scope) on scope`,
		`DatabricksUnityCatalog | where ActionName startswith "get" and ServiceName =~ "unityCatalog" | extend full_name = tostring(parse_json(RequestParams).full_name_arg) | where isnotempty(full_name) | summarize n = count() by full_name | top 20 by n desc`,
		`DatabricksClusters | where ActionName == "create" | extend p = parse_json(RequestParams) | extend workers = toint(p.num_workers), node = tostring(p.node_type_id) | project TimeGenerated, workers, node, creator = tostring(Identity.email) | sort by TimeGenerated desc`,
		`DatabricksWorkspace | extend params = parse_json(RequestParams) | mv-expand key = bag_keys(params) | summarize count() by tostring(key)`,
		`DatabricksAccounts | where Response has_any ("403", "401") | summarize count() by ActionName, bin(TimeGenerated, 15m) | render columnchart with (kind=stacked, title="Denied")`,
	} {
		requireRoundTrip(t, q)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	// f checks the exact "line:col: msg" of the error for query.
	f := func(query, want string) {
		t.Helper()
		_, err := Parse(query)
		require.Error(t, err, "query: %s", query)
		var pe *ParseError
		require.True(t, errors.As(err, &pe), "want *ParseError, got %T", err)
		require.Equal(t, want, err.Error(), "query: %s", query)
		require.Equal(t, query, pe.Query)
	}

	// Refused operators and constructs name what is refused.
	f(`StormEvents | evaluate bag_unpack(x)`, `1:15: operator "evaluate" is not supported`)
	f(`T | make-series count() on t step 1h`, `1:5: operator "make-series" is not supported`)
	f(`T | top-nested 3 of a by count()`, `1:5: operator "top-nested" is not supported`)
	f(`T | mv-apply x on (take 1)`, `1:5: operator "mv-apply" is not supported`)
	for _, op := range []string{"scan", "partition", "fork", "facet", "lookup", "parse", "parse-kv", "serialize", "search", "sample", "invoke", "getschema", "as"} {
		f(`T | `+op+` x`, `1:5: operator "`+op+`" is not supported`)
	}
	f(`T | frobnicate`, `1:5: unknown operator "frobnicate"`)
	f(`evaluate python(typeof(*), "x")`, `1:1: operator "evaluate" is not supported`)
	f(`externaldata (a:string) [@"https://x"]`, `1:1: operator "externaldata" is not supported`)
	f(`search "x"`, `1:1: operator "search" is not supported`)
	f(`find where x == 1`, `1:1: operator "find" is not supported`)
	f(`cluster("c").database("d").T | take 1`, `1:1: cross-cluster and cross-database queries are not supported`)
	f(`database("d").T`, `1:1: cross-cluster and cross-database queries are not supported`)
	f(`.show tables`, `1:1: management commands are not supported`)
	f(`set querytrace; T`, `1:1: statement "set" is not supported`)
	f(`declare query_parameters(x:long); T`, `1:1: statement "declare" is not supported`)
	f(`let f = (x:long) { x + 1 }; T`, `1:9: let functions are not supported`)
	f(`let f = () { T }; f()`, `1:9: let functions are not supported`)
	f(`let v = view () { T }; v`, `1:9: let functions are not supported`)
	f(`T | summarize hint.strategy=shuffle count() by a`, `1:15: summarize hints are not supported`)
	f(`T | join hint.strategy=broadcast U on a`, `1:10: join hints are not supported`)
	f(`T | extend (a, b) = f(x)`, `1:12: tuple assignment is not supported`)

	// Syntax errors point at the offending token.
	f(``, `1:1: empty query`)
	f(`// only a comment`, `1:18: empty query`)
	f(`let x = 1;`, `1:11: expected a tabular expression after the let statements`)
	f(`let x = 1 T`, `1:11: expected ";" after the let statement, found "T"`)
	f(`T |`, `1:4: expected an operator after "|", found end of query`)
	f(`T | where`, `1:10: expected an expression, found end of query`)
	f(`T | where a ==`, `1:15: expected an expression, found end of query`)
	f(`T | take 1 garbage`, `1:12: expected "|" or end of query, found "garbage"`)
	f(`T; U`, `1:4: unexpected "U" after the query: only one tabular expression is allowed, after the let statements`)
	f(`T | where (a`, `1:13: expected ")" to close the parenthesis, found end of query`)
	f(`T | project a,`, `1:15: expected an expression, found end of query`)
	f(`T | summarize`, `1:14: expected an aggregate or "by" after summarize, found end of query`)
	f(`T | top 10 failures`, `1:12: expected "by" after top's row count, found "failures"`)
	f(`T | sort a`, `1:10: expected "by" after sort, found "a"`)
	f(`T | sort by a nulls middle`, `1:21: expected "first" or "last" after nulls, found "middle"`)
	f(`T | join kind=sideways U on a`, `1:15: unknown join kind "sideways"`)
	f(`T | join U`, `1:11: expected "on" after the right side of join, found end of query`)
	f(`T | join U where a`, `1:12: join ... where is not supported, use join ... on`)
	f(`T | union kind=left U`, `1:16: expected inner or outer after union kind=, found "left"`)
	f(`T | union foo=1 U`, `1:11: unknown union option "foo"`)
	f(`T | render`, `1:11: expected a chart type after render, found end of query`)
	f(`T | mv-expand x to typeof(blob)`, `1:27: expected a type name, found "blob"`)
	f(`T | where x between (1, 2)`, `1:23: expected ".." in between, found ","`)
	f(`T | where x in "a"`, `1:16: expected "(" after in, found string literal`)
	f(`T | where a.`, `1:13: expected a property name after ".", found end of query`)
	f(`T | where f(a,)`, `1:15: expected an argument after "," in f(), found ")"`)
	f(`1 + 2`, `1:1: expected a tabular expression, found a scalar expression`)
	f(`x.y | take 1`, `1:5: expected a table name or a parenthesised query before "|"`)
	f(`datatable(a:long, b:string) [1, "x", 2]`, `1:39: datatable has 3 values, which is not a multiple of its 2 columns`)
	f(`datatable(a:blob) [1]`, `1:13: expected a type name, found "blob"`)
	f(`range x from 1 to 10`, `1:21: expected "step" in range, found end of query`)
	f("T\n| where a = 1", `2:11: expected "|" or end of query, found "="`)
	f("T\n| where\n  a ==", `3:7: expected an expression, found end of query`)

	// Lexical errors.
	f(`T | where a == "abc`, `1:16: unterminated string literal`)
	f("T | where a == 'a\nb'", `1:16: unterminated string literal`)
	f(`T | where a == @"abc`, `1:16: unterminated verbatim string literal`)
	f("print ```abc", `1:7: unterminated multi-line string literal`)
	f(`print "\q"`, `1:8: invalid escape \q in string literal`)
	f(`print "\u12"`, `1:8: invalid \u escape in string literal`)
	f(`T | where a # b`, `1:13: unexpected character '#'`)
	f(`T | where a !b`, `1:13: unexpected "!b"`)
	f(`T | where a <> b`, `1:13: unexpected "<>" (use != in KQL)`)
	f(`print 12abc`, `1:7: invalid numeric literal "12abc"`)
	f(`print 0xZZ`, `1:7: invalid hexadecimal literal "0xZZ"`)
	f(`print 99999999999999999999`, `1:7: long literal "99999999999999999999" is out of range`)
	f(`print 1e999`, `1:7: real literal "1e999" is out of range`)
	f(`print 99999999999999999d`, `1:7: timespan literal "99999999999999999d" is out of range`)
	f(`print datetime(2026-13-01)`, `1:16: invalid datetime literal "2026-13-01"`)
	f(`print datetime(yesterday)`, `1:16: invalid datetime literal "yesterday"`)
	f(`print datetime(2026-01-01`, `1:7: unterminated datetime(...) literal`)
	f(`print timespan(1 fortnight)`, `1:16: invalid timespan literal "1 fortnight"`)
	f(`print timespan(25:00)`, `1:16: invalid timespan literal "25:00"`)
	f(`print guid(not-a-guid)`, `1:12: invalid guid literal "not-a-guid"`)
	f(`print int(3000000000)`, `1:11: int literal 3000000000 is out of range`)
	f(`print long(1.5)`, `1:12: expected an integer in long(...), found "1.5"`)
	f(`print long(x)`, `1:12: expected a number or null in long(...), found "x"`)
	f(`print bool(1)`, `1:12: expected true, false or null in bool(...), found "1"`)
	f(`print dynamic({a: 1})`, `1:16: expected a quoted property name in dynamic(...), found "a"`)
	f(`print dynamic([x])`, `1:16: expected a constant in dynamic(...), found "x"`)
	f(`print dynamic([1)`, `1:17: expected "]" to close the dynamic array, found ")"`)
	f("print \"a\xffb\"", `1:9: query is not valid UTF-8`)
	f("print 'é' + é", `1:13: unexpected character 'é'`)
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	_, err := Parse("T | where x == \"" + strings.Repeat("a", MaxQueryBytes) + "\"")
	require.ErrorContains(t, err, "1:1: query is too long")

	deep := "print " + strings.Repeat("(", MaxDepth+1) + "1" + strings.Repeat(")", MaxDepth+1)
	_, err = Parse(deep)
	require.EqualError(t, err, "1:207: query is nested too deeply (the limit is 200 levels)")

	ok := "print " + strings.Repeat("(", MaxDepth-2) + "1" + strings.Repeat(")", MaxDepth-2)
	requireRoundTrip(t, ok)

	_, err = Parse("print " + strings.Repeat("-", 5000) + "1")
	require.ErrorContains(t, err, "query is nested too deeply")
	_, err = Parse("T | where x in (" + strings.Repeat("(T | where x in (", 300) + "1" + strings.Repeat("))", 300) + ")")
	require.ErrorContains(t, err, "query is nested too deeply")
	_, err = Parse("print dynamic(" + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + ")")
	require.ErrorContains(t, err, "query is nested too deeply")
	_, err = Parse(strings.Repeat("union (", 500) + "T" + strings.Repeat(")", 500))
	require.ErrorContains(t, err, "query is nested too deeply")

	// Long flat chains are not nesting and are fine.
	requireRoundTrip(t, "print "+strings.Repeat("1 + ", 10000)+"1")
}

func TestParseErrorSnippet(t *testing.T) {
	t.Parallel()
	_, err := Parse("DatabricksAccounts\n| evaluate bag_unpack(x)")
	var pe *ParseError
	require.True(t, errors.As(err, &pe))
	require.Equal(t, Pos{Offset: 21, Line: 2, Col: 3}, pe.Pos)
	require.Equal(t, "| evaluate bag_unpack(x)\n  ^", pe.Snippet())

	// Columns count characters, and tabs are kept so the caret lines up.
	_, err = Parse("print 'é',\t#")
	require.True(t, errors.As(err, &pe))
	require.Equal(t, "1:12: unexpected character '#'", pe.Error())
	require.Equal(t, "print 'é',\t#\n          \t^", pe.Snippet())

	// At the end of the query the caret goes after the last character.
	_, err = Parse("T | where")
	require.True(t, errors.As(err, &pe))
	require.Equal(t, "T | where\n         ^", pe.Snippet())

	require.Empty(t, (&ParseError{}).Snippet())
}

func TestParsePositions(t *testing.T) {
	t.Parallel()
	q, err := Parse("let n = 5;\nT\n| where a == 'é'\n| summarize c = count() by k")
	require.NoError(t, err)
	require.Equal(t, Pos{Offset: 0, Line: 1, Col: 1}, q.Lets[0].Pos)
	require.Equal(t, Pos{Offset: 4, Line: 1, Col: 5}, q.Lets[0].Name.Pos)
	require.Equal(t, Pos{Offset: 11, Line: 2, Col: 1}, q.Body.Source.Position())
	where := q.Body.Ops[0].(*WhereOp)
	require.Equal(t, Pos{Offset: 15, Line: 3, Col: 3}, where.Pos)
	cmp := where.Pred.(*Binary)
	require.Equal(t, Pos{Offset: 21, Line: 3, Col: 9}, cmp.Pos)
	require.Equal(t, Pos{Offset: 26, Line: 3, Col: 14}, cmp.Y.Position())
	sum := q.Body.Ops[1].(*SummarizeOp)
	require.Equal(t, "summarize", sum.Name())
	require.Equal(t, 4, sum.By[0].Pos.Line)
	require.Equal(t, 28, sum.By[0].Pos.Col)
}

func TestParseTree(t *testing.T) {
	t.Parallel()
	q, err := Parse(`print a = datetime(2026-01-10 02:30:00.5), b = 90s, c = dynamic({"k": [1, "x"]}), d = -1`)
	require.NoError(t, err)
	src := q.Body.Source.(*PrintSource)
	require.Equal(t, "a", src.Cols[0].Name.Name)
	require.Equal(t, &Literal{Pos: src.Cols[0].X.Position(), Type: TypeDatetime,
		Value: time.Date(2026, 1, 10, 2, 30, 0, 500000000, time.UTC)}, src.Cols[0].X)
	require.Equal(t, Timespan(90)*Second, src.Cols[1].X.(*Literal).Value)
	require.Equal(t, &DynamicBag{Keys: []string{"k"}, Values: []any{[]any{int64(1), "x"}}}, src.Cols[2].X.(*Dynamic).Value)
	neg := src.Cols[3].X.(*Unary)
	require.Equal(t, "-", neg.Op)
	require.Equal(t, int64(1), neg.X.(*Literal).Value)

	q, err = Parse(`T | where a in ("x") and b !between (1 .. 2) | join kind=leftouter (U) on $left.k == $right.k`)
	require.NoError(t, err)
	and := q.Body.Ops[0].(*WhereOp).Pred.(*Binary)
	require.Equal(t, "and", and.Op)
	require.Equal(t, "in", and.X.(*In).Op)
	require.True(t, and.Y.(*Between).Not)
	join := q.Body.Ops[1].(*JoinOp)
	require.Equal(t, "leftouter", join.Kind)
	require.Equal(t, "U", join.Right.(*SubQuery).Query.Source.(*TableRef).Name)
	on := join.On[0].(*Binary)
	require.Equal(t, "$left", on.X.(*Member).X.(*Ident).Name)

	q, err = Parse(`T | sort by a asc nulls last | top 5 by b | union Databricks*`)
	require.NoError(t, err)
	key := q.Body.Ops[0].(*SortOp).Keys[0]
	require.Equal(t, SortAsc, key.Order)
	require.Equal(t, NullsLast, key.Nulls)
	require.Equal(t, SortDefault, q.Body.Ops[1].(*TopOp).By.Order)
	require.Equal(t, &TableRef{Pos: Pos{Offset: 50, Line: 1, Col: 51}, Name: "Databricks*", Pattern: true}, q.Body.Ops[2].(*UnionOp).Operands[0])
}
