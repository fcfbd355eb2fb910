// Package kql is the KQL (Kusto Query Language) front end: it turns query
// text into a typed syntax tree. A binder that resolves the tree against a
// catalog into a typed plan (for sqlgen) belongs here too; it is not written
// yet.
//
// The package owns:
//
//   - the lexer (byte offsets mapped to line:col, KQL literals such as
//     datetime(2026-01-10 02:30), 1d, dynamic([1, "a"]), verbatim and
//     multi-line strings, bracketed names ['a b']);
//   - the recursive descent parser for the Tier 1 language of
//     /work/shared/spec/kql.md (let statements, print, datatable, range,
//     union, and the where, project*, extend, summarize, count, take, top,
//     sort, distinct, join, render and mv-expand operators, with Kusto
//     expression precedence);
//   - the AST, whose String methods print canonical KQL that parses back to
//     an equal tree;
//   - ParseError, which carries a position and renders a caret snippet.
//
// The package must not generate SQL, open a database or execute anything:
// sqlgen turns the result into SQL and query runs it. It refuses what it does
// not support instead of approximating: Tier 3 operators (evaluate, scan,
// fork, ...) and not-yet-supported Tier 2 operators are rejected by name with
// a position, as are unknown operators, cross-cluster references and
// management commands.
//
// Entry points: Parse(query) returns a *Query or a *ParseError. Parse never
// panics; inputs above MaxQueryBytes or nested deeper than MaxDepth are
// refused. QuoteIdent renders a name as a KQL identifier.
package kql
