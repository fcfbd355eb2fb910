// Package kql is the KQL (Kusto Query Language) front end: it turns query
// text into a typed syntax tree, and binds the tree against a catalog into a
// typed relational plan that sqlgen renders as SQL.
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
//   - ParseError, which carries a position and renders a caret snippet;
//   - the binder (bind*.go): name resolution against a Catalog and let
//     scopes, KQL typing with implicit conversions, output column naming
//     (spec §3: Column1, print_0, count_, sum_x, bin keys keep their name,
//     arg_max expansion, collision suffixes), aggregate-only contexts, now()
//     and ago() pinned by BindOptions.Now;
//   - the plan (plan.go): Scan, Values, Range, Filter, Project, Extend,
//     Aggregate, Sort, Limit, Join, Union and MvExpand nodes, each knowing its
//     output schema, plus render metadata;
//   - the function and aggregate registry (funcs.go), kept as data.
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
// refused. Bind(query, catalog, options) returns a *Plan or a *ParseError
// naming the unknown or unsupported table, column or function at its
// position. QuoteIdent renders a name as a KQL identifier.
package kql
