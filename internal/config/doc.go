// Package config owns the auditlake configuration file: its YAML schema, defaults and
// validation. It is a leaf: it imports none of our packages, and components take their own
// section (config.Rules) from app, which alone sees the whole *Config.
//
// The file is one YAML mapping of sections:
//
//	rules:
//	  dirs: [/etc/auditlake/rules]      # rule file directories (*.yaml, *.yml), relative to the config file
//	  disabled: [admin-grants]          # built-in or file rules to turn off, by name
//	  params:                           # overrides of rule parameters (a rule's params: defaults)
//	    business_hours_start: 8         # every rule declaring this parameter
//	    sensitive-table-access.tables: [main.hr.salaries]  # one rule's parameter (rule.param)
//	action_groups:                      # kept as YAML nodes; app decodes them with the notifier
//	  - name: secops
//	    ...
//	sources:                            # buckets auditlake serve keeps ingesting
//	  - name: prod-delivery             # unique; shown in the ingestion status
//	    url: s3://audit-logs/delivery?region=eu-west-1
//	    interval: 30s                   # poll interval, 1s to 24h (default 30s)
//	export:                             # the Delta lake auditlake serve keeps up to date
//	  to: s3://audit-lake/auditlake     # or a folder, file://, gs://, azblob://
//	  interval: 5m                      # 10s to 24h (default 5m)
//	  tables: [silver, gold]            # default both
//	  retention: 90d                    # rows older than this that the lake holds leave DuckDB
//
// Load and Parse report every problem at once, each an *Error rendered "file:line: message",
// joined with errors.Join (as the rule loader does). Unknown sections and fields are errors,
// so a typo does not silently turn a setting off.
//
// Adding a section: add a field to Config, a case to the switch in parseRoot and a parse
// function next to parseRules, using the parser helpers (pairs, mapping, str, strList).
package config
