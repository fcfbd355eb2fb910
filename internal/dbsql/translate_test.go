package dbsql

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestTranslate pins the DuckDB text of each rewrite; the executed suite in internal/query
// checks what the rewrites compute.
func TestTranslate(t *testing.T) {
	now := time.Date(2019, 12, 29, 0, 0, 0, 0, time.UTC)
	audit := "(SELECT " + DefaultTables["system.access.audit"].Select + " FROM silver.audit)"
	for _, tc := range []struct{ in, want string }{
		{"SELECT * FROM system.access.audit", "SELECT * FROM " + audit + ` AS "audit"`},
		{"SELECT * FROM `system`.`access`.`audit` a JOIN system.access.audit AS b USING (event_id)", "SELECT * FROM " + audit + " a JOIN " + audit + ` AS "b" USING (event_id)`},
		{"SELECT system.access.audit.event_time FROM SYSTEM.ACCESS.AUDIT WHERE x", `SELECT "audit".event_time FROM ` + audit + ` AS "audit" WHERE x`},
		{"SELECT 1 FROM (SELECT * FROM system.access.audit), system.access.audit;", "SELECT 1 FROM (SELECT * FROM " + audit + ` AS "audit"), ` + audit + ` AS "audit";`},
		{"SELECT `my col`, `a``b` FROM t", `SELECT "my col", "a` + "`" + `b" FROM t`},
		{`SELECT "it's" AS x`, `SELECT 'it''s' AS "x"`},
		{`SELECT 'a\'b', 'x\\d+', '\n', 'a' 'b', r'\d'`, "SELECT 'a''b', 'x\\d+', '\n', 'ab', '\\d'"},
		{"SELECT 10L, 1.5D, 2S, 1.25BD, 1e3", "SELECT CAST(10 AS BIGINT), CAST(1.5 AS DOUBLE), CAST(2 AS SMALLINT), CAST('1.25' AS DECIMAL(38, 2)), 1e3"},
		{"SELECT a <=> b, a == b, !c, 7 div 2", "SELECT a IS NOT DISTINCT FROM b, a = b, NOT c, 7 // 2"},
		{"SELECT current_timestamp(), current_date(), now(), current_timestamp, current_date",
			"SELECT TIMESTAMPTZ '2019-12-29 00:00:00+00', DATE '2019-12-29', TIMESTAMPTZ '2019-12-29 00:00:00+00', TIMESTAMPTZ '2019-12-29 00:00:00+00', DATE '2019-12-29'"},
		{"SELECT INTERVAL 24 HOURS, INTERVAL '1' DAY, INTERVAL 1 DAY 2 HOURS, INTERVAL '2 days', INTERVAL -3 MINUTES",
			"SELECT INTERVAL '24 hour', INTERVAL '1 day', INTERVAL '1 day 2 hour', INTERVAL '2 days', INTERVAL '-3 minute'"},
		{"SELECT TIMESTAMP '2019-12-28 10:00:00', DATE \"2019-12-28\"", "SELECT TIMESTAMPTZ '2019-12-28 10:00:00', DATE '2019-12-28'"},
		{"SELECT isnull(a), isnotnull(b), nvl(a, 'x')", "SELECT ((a) IS NULL), ((b) IS NOT NULL), coalesce(a, 'x')"},
		{"SELECT collect_set(x) FILTER(WHERE y = 1) FROM t", "SELECT coalesce(list(DISTINCT x) FILTER (WHERE (x) IS NOT NULL AND (y = 1)), []) FROM t"},
		{"SELECT count(distinct a, b) FROM t", "SELECT count(DISTINCT CASE WHEN (a) IS NOT NULL AND (b) IS NOT NULL THEN row(a, b) END) FROM t"},
		{"SELECT date_format(ts, 'yyyy-MM-dd HH:mm:ss.SSS'), date_format(ts, \"EEE, d MMM ''yy 'at' h a\")",
			"SELECT strftime(CAST(ts AS TIMESTAMPTZ), '%Y-%m-%d %H:%M:%S.%g'), strftime(CAST(ts AS TIMESTAMPTZ), '%a, %-d %b ''%y at %-I %p')"},
		{"SELECT x FROM t WHERE a RLIKE '\\\\bprint\\\\s*\\\\(' AND b NOT REGEXP 'x'",
			"SELECT x FROM t WHERE a ~ '(?s:.*)(?:\\bprint\\s*\\()(?s:.*)' AND b !~ '(?s:.*)(?:x)(?s:.*)'"},
		{"SELECT x FROM t WHERE a LIKE 'a\\_b%'", "SELECT x FROM t WHERE a LIKE 'a\\_b%' ESCAPE '\\'"},
		{"SELECT split(s, ',')[0], arr[i], m['k'], request_params[k]", "SELECT regexp_split_to_array(s, ',')[1], arr[(i) + 1], m['k'], request_params[k]"},
		{"SELECT transform(xs, x -> x + 1), filter(xs, (a, b) -> a > b)", "SELECT list_transform(xs, lambda x: x + 1), list_filter(xs, lambda a, b: a > b)"},
		{"SELECT * EXCEPT (a, b) FROM t LEFT ANTI JOIN u USING (a) MINUS SELECT 1", "SELECT * EXCLUDE (a, b) FROM t ANTI JOIN u USING (a) EXCEPT SELECT 1"},
		{"SELECT a FROM t ORDER BY a, b DESC, c ASC, d NULLS LAST, f(x, y)", "SELECT a FROM t ORDER BY a NULLS FIRST, b DESC, c ASC NULLS FIRST, d NULLS LAST, f(x, y) NULLS FIRST"},
		{"SELECT rank() OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
			"SELECT rank() OVER (PARTITION BY a ORDER BY b NULLS FIRST ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t"},
		{"SELECT CAST(x AS STRING), CAST(y AS MAP<STRING, ARRAY<INT>>), z::TIMESTAMP, CAST(d AS DECIMAL(10,2))",
			"SELECT CAST(x AS VARCHAR), CAST(y AS MAP(VARCHAR, INTEGER[])), z::TIMESTAMPTZ, CAST(d AS DECIMAL(10,2))"},
		{"SELECT window(event_time, '1 hour') AS w, count(*) FROM t GROUP BY window(event_time, '1 hour')",
			`SELECT struct_pack(start := time_bucket(INTERVAL '1 hour', CAST(event_time AS TIMESTAMPTZ), TIMESTAMPTZ '1970-01-01 00:00:00+00'), "end" := (time_bucket(INTERVAL '1 hour', CAST(event_time AS TIMESTAMPTZ), TIMESTAMPTZ '1970-01-01 00:00:00+00') + INTERVAL '1 hour')) AS "w", count(*) FROM t GROUP BY time_bucket(INTERVAL '1 hour', CAST(event_time AS TIMESTAMPTZ), TIMESTAMPTZ '1970-01-01 00:00:00+00')`},
		{"SELECT window.start, count(*) FROM t GROUP BY window(ts, '10 minutes')",
			`SELECT time_bucket(INTERVAL '10 minute', CAST(ts AS TIMESTAMPTZ), TIMESTAMPTZ '1970-01-01 00:00:00+00'), count(*) FROM t GROUP BY time_bucket(INTERVAL '10 minute', CAST(ts AS TIMESTAMPTZ), TIMESTAMPTZ '1970-01-01 00:00:00+00')`},
		{"SELECT EXISTS (SELECT 1), substring(s FROM 2), position('a' IN s), count(*) FILTER (WHERE x)",
			"SELECT EXISTS (SELECT 1), substring(s FROM 2), position('a' IN s), count(*) FILTER (WHERE x)"},
		{"SELECT a -- a comment\n/* block /* nested */ */ FROM t", "SELECT a  \n  FROM t"},
		{"SELECT month(d) month, count(*) total, t.x name FROM t key WHERE a IS NULL, b DESC", `SELECT month(d) "month", count(*) total, t.x "name" FROM t "key" WHERE a IS NULL, b DESC`},
		{"SELECT CASE WHEN a THEN request_params.x WHEN b THEN 'lit' ELSE workspace_id END, CASE WHEN c THEN d ELSE 1 END",
			"SELECT CASE WHEN a THEN request_params.x WHEN b THEN 'lit' ELSE CAST(workspace_id AS VARCHAR) END, CASE WHEN c THEN d ELSE 1 END"},
		{"SELECT struct(a, t.b, 1 + 2), regexp_extract(s, '(\\\\d+)') > 0", `SELECT struct_pack("a" := a, "b" := t.b, "col3" := 1 + 2), TRY_CAST(regexp_extract(s, '(\d+)', 1) AS DOUBLE) > 0`},
		{"SELECT x FROM t LATERAL VIEW explode(xs) e AS v", "SELECT x FROM t CROSS JOIN LATERAL (SELECT unnest(xs) AS v) e"},
	} {
		got, err := Translate(tc.in, Options{Now: now})
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

// TestTranslateErrors checks that problems are reported at their line:col.
func TestTranslateErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 'abc", "1:8: string is not closed with '"},
		{"SELECT `abc", "1:8: quoted identifier is not closed with `"},
		{"SELECT 1 /* open", "1:10: comment is not closed with */"},
		{"SELECT (1", `1:8: "(" is not closed with ")"`},
		{"SELECT 1)", `1:9: ")" has no matching "("`},
		{"SELECT *\nFROM system.billing.usage", "2:6: table system.billing.usage is not available: auditlake holds system.access.audit (as silver.audit)"},
		{"SELECT *\nFROM t\nWHERE workspace_id = {{ workspace }}", "3:22: query parameter {{ workspace }} has no value: replace it with a literal first"},
		{"SELECT * FROM t WHERE x = :ws", "1:27: query parameter :ws has no value: replace it with a literal first"},
		{"SELECT date_format(ts, 'yyyy-MM-dd G')", `1:24: date pattern "yyyy-MM-dd G": pattern letter 'G' has no DuckDB equivalent`},
		{"SELECT date_format(ts, fmt)", "1:24: date_format needs its pattern as a string literal"},
		{"SELECT datediff(a)", "1:8: datediff takes 2 to 3 arguments, not 1"},
		{"SELECT timestampadd(FORTNIGHT, 1, ts)", "1:21: timestampadd needs a unit such as HOUR or DAY here"},
		{"SELECT window(ts, '1 month')", `1:19: window duration: "1 month": months and years have no fixed length`},
		{"SELECT window(ts, '10 minutes', '5 minutes')", "1:33: window with a slide duration or start offset is not supported; use a tumbling window(ts, duration)"},
		{"SELECT INTERVAL 3 FORTNIGHTS", "1:19: INTERVAL needs a unit (DAY, HOUR, MINUTE, ...) after 3"},
		{"SELECT CAST(x AS WHATEVER)", "1:18: unknown type WHATEVER"},
		{"SELECT a FROM t DISTRIBUTE BY a", "1:17: DISTRIBUTE BY is a Spark partitioning hint that DuckDB has no use for; remove it (use ORDER BY to sort)"},
		{"SELECT raw:a.b FROM t", "1:11: the : path operator reads VARIANT and JSON strings, which auditlake does not have; use get_json_object(column, '$.path')"},
		{"SELECT 1 # 2", `1:10: unexpected character '#'`},
	} {
		_, err := Translate(tc.in, Options{})
		require.EqualError(t, err, tc.want, tc.in)
		var e *Error
		require.ErrorAs(t, err, &e)
	}
}
