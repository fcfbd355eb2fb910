// Package generate writes realistic synthetic Databricks audit logs and named scenarios, in any of
// the three wire formats of internal/auditlog, laid out the way Databricks delivers them (see
// shared/spec/audit-log-formats.md).
//
// The background follows the spec's service/action/param catalogue (§4) and value pools (§4.11):
// people, service principals and System-User with stable ids; a daily and weekly rhythm in each
// workspace's time zone; job, all-purpose and SQL warehouse clusters with their lifecycles;
// verbose audit (notebook runCommand, databrickssql commandSubmit/commandFinish) as the bulk;
// failures and denials at low rates; and the quirks decoders must survive (":0" ports, empty user
// agents, null sessions, keys differing only in case). The "seed" scenario adds the incident of
// Databricks' audit-log blog: a runaway job launching 656 clusters on 2019-12-28. The "incidents"
// scenario plants one situation per built-in detection at known times (plant.go) on a background
// tuned to stay under every detection (quiet.go); "baseline" is that background alone.
//
// Output is a pure function of the Options: the same seed gives byte-identical files. Nothing here
// reads the clock or iterates a map.
//
// Entry points: Run (generate a scenario into a directory), Encode (one event in a wire format),
// Scenarios (names for help texts), PlantedIncidents (what the incidents scenario plants, when and
// who). This package imports only auditlog of ours.
package generate
