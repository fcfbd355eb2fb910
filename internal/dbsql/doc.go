// Package dbsql translates Databricks SQL (Spark SQL as people paste it from Databricks docs,
// blogs and repositories of queries over system.access.audit) into DuckDB SQL with Spark's
// meaning, so those queries run unchanged against auditlake's tables.
//
// The translation is token-aware, never a regular expression over the text: Tokenize splits the
// query into Spark SQL tokens (strings with Spark's escapes, `backtick` identifiers, comments,
// numbers with type suffixes, operators; positions line:col), and Translate rewrites the token
// stream with a light parse of function calls (balanced parentheses, arguments split at their
// top-level commas). It rewrites:
//
//   - table names: system.access.audit (any quoting) becomes silver.audit seen with the
//     Databricks table's columns, in its order and types (DefaultTables, Options.Tables);
//     other system.* tables are refused with their position;
//   - quoting and literals: `x` becomes "x", "text" is a string as in Spark, escapes are
//     decoded, adjacent literals concatenate, 10L/1.5D/1BD get their types, INTERVAL 24 HOURS
//     and INTERVAL '1' DAY become one DuckDB interval, TIMESTAMP '…' is a TIMESTAMPTZ;
//   - operators and clauses: <=>, ==, !, div, RLIKE/REGEXP (a find, not a full match), LIKE
//     with Spark's backslash escape, x[0] (arrays count from 0), lambdas x -> …, LEFT SEMI/ANTI
//     JOIN, SELECT * EXCEPT (…), LATERAL VIEW explode, ORDER BY's null order (Spark sorts
//     nulls first when ascending), and implicit aliases that are DuckDB keywords (count(*) month);
//   - Spark's implicit casts where DuckDB has none: a request_params value (a string) compared
//     or computed with a number, summed or averaged, or mixed with numbers in if, coalesce, nvl
//     and CASE;
//   - the functions in the registry funcs (funcs.go): Spark functions that DuckDB lacks or
//     defines differently (date_format with Java patterns, datediff's argument order,
//     window(ts, '60 minutes'), collect_set, size, regexp_extract's default group, ...).
//
// Anything else passes through unchanged, so DuckDB SQL that is also Spark SQL keeps working.
// Translate must not panic (a fuzz target checks it) and must only rewrite names, literals and
// calls: the output goes through query.CheckSQL and runs on the read-only sandbox like any
// user SQL, so translation can never widen what a query may touch.
//
// Entry points: Translate (one query, Options pin the clock and the table map) and Tokenize.
// This package imports nothing of ours.
package dbsql
