package medallion

import (
	"strings"
	"unicode"
)

// GoldName returns the gold view name for a serviceName: its snake_case
// ("unityCatalog" -> "unity_catalog", "clamAVScanService-dataplane" -> "clam_av_scan_service_dataplane").
func GoldName(service string) string {
	rs := []rune(service)
	var b strings.Builder
	under := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "_") {
			b.WriteByte('_')
		}
	}
	for i, r := range rs {
		switch {
		case unicode.IsUpper(r):
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsUpper(rs[i-1]) && unicode.IsLower(rs[i+1])
			if prevLower || nextLower {
				under()
			}
			b.WriteRune(unicode.ToLower(r))
		case r < unicode.MaxASCII && (unicode.IsLower(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
		default:
			under()
		}
	}
	name := strings.Trim(b.String(), "_")
	if name == "" {
		return "unknown_service"
	}
	if name[0] >= '0' && name[0] <= '9' {
		name = "s_" + name
	}
	return name
}

// laTables maps a diagnostic category (= serviceName) to its Azure Log Analytics table, after
// shared/spec/audit-log-formats.md §2.2. Services not listed land in DatabricksWorkspaceLogs.
var laTables = []struct {
	Table    string
	Services []string
	// NewIP marks the 2024+ table group whose IP column is SourceIpAddress.
	NewIP bool
}{
	{Table: "DatabricksAccounts", Services: []string{"accounts", "accountsManager"}},
	{Table: "DatabricksClusters", Services: []string{"clusters"}},
	{Table: "DatabricksDBFS", Services: []string{"dbfs"}},
	{Table: "DatabricksInstancePools", Services: []string{"instancePools"}},
	{Table: "DatabricksJobs", Services: []string{"jobs"}},
	{Table: "DatabricksNotebook", Services: []string{"notebook"}},
	{Table: "DatabricksSecrets", Services: []string{"secrets"}},
	{Table: "DatabricksSQLPermissions", Services: []string{"sqlPermissions"}},
	{Table: "DatabricksSSH", Services: []string{"ssh"}},
	{Table: "DatabricksWorkspace", Services: []string{"workspace"}},
	{Table: "DatabricksDatabricksSQL", Services: []string{"databrickssql"}},
	{Table: "DatabricksSQL", Services: []string{"sqlanalytics"}},
	{Table: "DatabricksGenie", Services: []string{"genie"}},
	{Table: "DatabricksGlobalInitScripts", Services: []string{"globalInitScripts"}},
	{Table: "DatabricksIAMRole", Services: []string{"iamRole"}},
	{Table: "DatabricksMLflowExperiment", Services: []string{"mlflowExperiment"}},
	{Table: "DatabricksMLflowAcledArtifact", Services: []string{"mlflowAcledArtifact"}},
	{Table: "DatabricksFeatureStore", Services: []string{"featureStore"}},
	{Table: "DatabricksRemoteHistoryService", Services: []string{"RemoteHistoryService"}},
	{Table: "DatabricksDeltaPipelines", Services: []string{"deltaPipelines"}},
	{Table: "DatabricksModelRegistry", Services: []string{"modelRegistry"}},
	{Table: "DatabricksRepos", Services: []string{"repos"}},
	{Table: "DatabricksUnityCatalog", Services: []string{"unityCatalog"}},
	{Table: "DatabricksGitCredentials", Services: []string{"gitCredentials"}},
	{Table: "DatabricksWebTerminal", Services: []string{"webTerminal"}},
	{Table: "DatabricksServerlessRealTimeInference", Services: []string{"serverlessRealTimeInference"}},
	{Table: "DatabricksClusterLibraries", Services: []string{"clusterLibraries"}},
	{Table: "DatabricksPartnerHub", Services: []string{"partnerHub"}},
	{Table: "DatabricksClamAVScan", Services: []string{"clamAVScan", "clamAVScanService-dataplane"}},
	{Table: "DatabricksCapsule8Dataplane", Services: []string{"capsule8Dataplane", "capsule8-alerts-dataplane"}},
	{Table: "DatabricksBrickStoreHttpGateway", Services: []string{"BrickStoreHttpGateway"}, NewIP: true},
	{Table: "DatabricksDashboards", Services: []string{"Dashboards", "dashboards"}, NewIP: true},
	{Table: "DatabricksCloudStorageMetadata", Services: []string{"CloudStorageMetadata"}, NewIP: true},
	{Table: "DatabricksPredictiveOptimization", Services: []string{"PredictiveOptimization"}, NewIP: true},
	{Table: "DatabricksDataMonitoring", Services: []string{"DataMonitoring", "dataMonitoring"}, NewIP: true},
	{Table: "DatabricksIngestion", Services: []string{"Ingestion", "ingestion"}, NewIP: true},
	{Table: "DatabricksMarketplaceConsumer", Services: []string{"MarketplaceConsumer", "marketplaceConsumer"}, NewIP: true},
	{Table: "DatabricksLineageTracking", Services: []string{"LineageTracking", "lineageTracking"}, NewIP: true},
	{Table: "DatabricksFilesystem", Services: []string{"Filesystem", "filesystem"}, NewIP: true},
	{Table: "DatabricksFiles", Services: []string{"Files"}, NewIP: true},
	{Table: "DatabricksClusterPolicies", Services: []string{"ClusterPolicies", "clusterPolicies"}, NewIP: true},
	{Table: "DatabricksBudgetPolicyCentral", Services: []string{"BudgetPolicyCentral"}, NewIP: true},
}

// workspaceLogsTable receives every service without a table of its own.
const workspaceLogsTable = "DatabricksWorkspaceLogs"

// LogAnalyticsTables lists the Databricks<Table> view names, sorted as defined.
func LogAnalyticsTables() []string {
	out := make([]string, 0, len(laTables)+1)
	for _, t := range laTables {
		out = append(out, t.Table)
	}
	return append(out, workspaceLogsTable)
}
