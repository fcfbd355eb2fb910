// Package dashboard holds the named, fixed views the web UI's dashboards call: one query file
// each under views/ (KQL preferred, over the Databricks<Table> views and the medallion tables;
// SQL where KQL cannot say it), with a title, a description and declared parameters.
//
// The package only describes views; it does not run them and must not import the query engine.
// The web layer looks a view up by name (Lookup), binds the caller's parameter values (or each
// parameter's Default) as `let` statements in front of View.Query, and runs the result in the
// sandbox. Because the text is fixed, viewers may run views without being allowed ad hoc queries.
//
// A view file starts with header comments, then the query:
//
//	// title: Cluster creators on a day
//	// description: Who created the clusters of one day.
//	// param: day datetime 2019-12-28
//	DatabricksClusters | where ...
//
// A param line is name, type (string, long, real, bool, datetime, timespan) and the default
// value, the rest of the line, written as a user would type it in a URL (2019-12-28, 31303, 1d).
// SQL files use `--` instead of `//`. Views() lists them in a stable order.
package dashboard
