package generate

// Value pools for realistic records (spec §4.11 and §4.10). Order matters: generation picks by
// index, so reordering changes the output for a seed.

var firstNames = []string{
	"ana", "ben", "carla", "dmitri", "elena", "farid", "grace", "hiro", "ines", "jonas",
	"kavya", "liam", "maria", "noah", "olga", "pedro", "quinn", "rosa", "sanjay", "tara",
	"umar", "vera", "wei", "ximena", "yusuf", "zoe", "aisha", "bruno", "chloe", "diego",
	"emma", "felix", "gabriel", "hannah", "ivan", "julia", "kenji", "lucia", "mateo", "nina",
}

var lastNames = []string{
	"silva", "meyer", "rossi", "novak", "kim", "garcia", "okafor", "schmidt", "tanaka", "dubois",
	"jensen", "kowalski", "nguyen", "patel", "oconnor", "haddad", "ivanova", "lopez", "smith", "berg",
	"costa", "fischer", "moreau", "sato", "walsh", "ahmed", "muller", "larsen", "chen", "romero",
}

var emailDomains = []string{"acmecorp.com", "acmecorp.com", "acmecorp.com", "acme-analytics.io", "partners.globex.com"}

var browserAgents = []string{
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.108 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_2) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.79 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.88 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:71.0) Gecko/20100101 Firefox/71.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/137.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0.3 Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.79 Safari/537.36",
}

var apiAgents = []string{
	"databricks-cli-0.9.1-workspace-export-2a3d5f07-3c1b-4b3e-9c55-0c8d4f1f2b11",
	"databricks-tf-provider/0.3.0 (+cluster) terraform/0.12.18",
	"scalaj-http/2.4.2",
	"Apache-HttpClient/4.5.9 (Java/1.8.0_282)",
	"curl/7.29.0",
	"python-requests/2.22.0",
	"databricks-cli-0.14.1-clusters-list-51f2a8c4-9d3e-4d4a-8f0e-6c7b2e9a1d03",
}

var internalAgents = []string{
	"Apache-HttpClient/4.5.14 (Java/17.0.13) Databricks-Service/driver DBHttpClient/v2RawClient",
	"Databricks-Runtime",
	"RawDBHttpClient",
	"mlflow-python",
	"wsfs/1.0",
	"feature-store",
	"obsSDK-scala/1.0.0",
}

var sparkVersions = []string{"6.2.x-scala2.11", "6.2.x-scala2.11", "6.1.x-scala2.11", "5.5.x-scala2.11", "6.2.x-cpu-ml-scala2.11", "6.0.x-scala2.11"}

// nodeTypes are indexed [cloud][i]; both clouds have the same length so the draw is identical.
var nodeTypes = [2][]string{
	{"i3.xlarge", "i3.2xlarge", "r5.xlarge", "m5.2xlarge", "c5.4xlarge", "r5.4xlarge"},
	{"Standard_DS3_v2", "Standard_DS4_v2", "Standard_E8s_v3", "Standard_F8s", "Standard_L8s", "Standard_E16s_v3"},
}

var cloudAttributes = [2]struct{ key, value string }{
	{"aws_attributes", `{"first_on_demand":1,"availability":"SPOT_WITH_FALLBACK","zone_id":"us-west-2b","instance_profile_arn":null,"spot_bid_price_percent":100,"ebs_volume_count":0}`},
	{"azure_attributes", `{"first_on_demand":1,"availability":"ON_DEMAND_AZURE","spot_bid_max_price":-1.0}`},
}

// loginActions are indexed [cloud][i]: interactive login, token login.
var loginActions = [2][2]string{
	{"samlLogin", "tokenLogin"},
	{"aadBrowserLogin", "tokenLogin"},
}

var clusterStartErrors = []string{
	"INTERNAL_ERROR: Could not launch cluster due to cloud provider failures. instance_id: i-0b8f2e61c4a9d7f35, azure_error_code: null",
	"Cluster is in unexpected state Pending.",
	"Slow instance launch: at least one instance took more than 600 seconds to bootstrap.",
	"Failed to launch cluster: The requested instances exceed the vCPU quota. Increase your quota and try again.",
	"Cannot launch the cluster because pool 1127-101507-shuts1-pool-ebbdj1xy has 0 idle instances and 0 instances can be allocated from the pool before its max capacity of 40 is reached.",
}

var runFailures = []string{
	"Notebook run failed: com.databricks.WorkflowException: com.databricks.NotebookExecutionException: FAILED",
	"Run failed with error message\n Library installation failed for library due to user error for pypi {\n package: \"great-expectations==0.8.7\"\n}",
	"Task failed: org.apache.spark.SparkException: Job aborted due to stage failure: Task 3 in stage 12.0 failed 4 times",
	"Cluster terminated. Reason: Cloud Provider Launch Failure",
	"",
}

var notebookErrors = []string{
	"InnerExecutionException: null",
	"AnalysisException: Table or view not found: sales.order_item; line 1 pos 14",
	"NameError: name 'spark_df' is not defined",
	"org.apache.spark.SparkException: Job aborted due to stage failure: Task 0 in stage 4.0 failed 4 times, most recent failure: Lost task 0.3 in stage 4.0 (TID 17, 10.139.64.8, executor 1): java.lang.OutOfMemoryError: GC overhead limit exceeded",
	"ParseException: \nmismatched input 'FORM' expecting <EOF>(line 1, pos 9)",
}

var sqlErrors = []string{
	"[USER_RAISED_EXCEPTION] This is a custom error message SQLSTATE: P0001",
	"[TABLE_OR_VIEW_NOT_FOUND] The table or view `main`.`sales`.`order` cannot be found. Verify the spelling and correctness of the schema and catalog. SQLSTATE: 42P01",
	"[DIVIDE_BY_ZERO] Division by zero. Use `try_divide` to tolerate divisor being 0 and return NULL instead. SQLSTATE: 22012",
	"[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `order_dt` cannot be resolved. Did you mean one of the following? [`order_date`, `order_id`]. SQLSTATE: 42703",
}

var pythonCommands = []string{
	"display(df)",
	"df.printSchema()",
	"df.count()",
	"spark.table(\"sales.orders\").count()",
	"display(dbutils.fs.ls(\"/mnt/raw\"))",
	"df.cache()",
	"%run ./setup",
	"display(df.groupBy(\"status\").count())",
	"orders = spark.table(\"sales.orders\")",
	"dbutils.widgets.text(\"run_date\", \"2019-12-01\")",
	"df = spark.read.format(\"delta\").load(\"/mnt/raw/sales/orders\")\ndisplay(df.limit(100))",
	"from pyspark.sql import functions as F\n\ndaily = (spark.table(\"sales.orders\")\n  .groupBy(F.to_date(\"order_ts\").alias(\"day\"))\n  .agg(F.sum(\"amount\").alias(\"revenue\")))\ndaily.write.mode(\"overwrite\").saveAsTable(\"reporting.daily_revenue\")",
	"dbutils.fs.ls(\"/mnt/landing/\")",
	"jdbc_pw = dbutils.secrets.get(scope=\"jdbc\", key=\"password\")\ndf = (spark.read.format(\"jdbc\")\n  .option(\"url\", \"jdbc:postgresql://db.internal:5432/crm\")\n  .option(\"user\", \"etl\").option(\"password\", jdbc_pw)\n  .option(\"dbtable\", \"public.accounts\").load())",
	"import pandas as pd\npdf = df.toPandas()\npdf.describe()",
	"%pip install great-expectations==0.8.7",
	"display(spark.sql(\"SELECT country, count(*) AS n FROM web.sessions WHERE day >= '2019-12-01' GROUP BY country ORDER BY n DESC\"))",
	"model = mlflow.sklearn.load_model(\"models:/churn/Production\")\nscored = model.predict(features_pdf)",
	"print(\"rows:\", df.count())",
	"# Análisis de cohortes — ventas por región\ncohorts = df.groupBy(\"región\", \"cohort_month\").count()\ndisplay(cohorts)",
	"df.write.format(\"delta\").mode(\"append\").partitionBy(\"event_date\").save(\"/mnt/curated/events\")",
	"path = \"C:\\\\exports\\\\q4\\\\report.csv\"  # windows share path\nspark.read.option(\"header\", \"true\").csv(\"/mnt/shares/q4/report.csv\").createOrReplaceTempView(\"q4\")",
}

var sqlCommands = []string{
	"SELECT 1",
	"SHOW TABLES IN sales",
	"SELECT * FROM sales.orders LIMIT 10",
	"DESCRIBE TABLE web.sessions",
	"SELECT count(*) FROM web.events",
	"USE CATALOG main",
	"SELECT * FROM sales.orders WHERE order_date = current_date() LIMIT 1000",
	"SELECT region, sum(amount) AS revenue\nFROM sales.orders o\nJOIN sales.customers c ON o.customer_id = c.id\nWHERE o.order_date >= '2019-12-01'\nGROUP BY region\nORDER BY revenue DESC",
	"OPTIMIZE web.sessions ZORDER BY (user_id)",
	"SELECT count(*) FROM main.finance.ledger WHERE posted = false",
	"MERGE INTO reporting.customers t USING staging.customers s ON t.id = s.id\nWHEN MATCHED THEN UPDATE SET *\nWHEN NOT MATCHED THEN INSERT *",
	"SELECT employee_id, base_salary FROM main.hr.salaries WHERE dept = 'engineering'",
	"DESCRIBE HISTORY sales.orders",
	"SELECT date_trunc('week', ts) AS week, count(DISTINCT user_id) AS wau FROM web.events GROUP BY 1 ORDER BY 1",
	"CREATE OR REPLACE TEMP VIEW top_products AS SELECT product_id, sum(qty) q FROM sales.order_items GROUP BY product_id ORDER BY q DESC LIMIT 50",
	"SELECT raise_error('This is a custom error message')",
}

var scalaCommands = []string{
	"val df = spark.read.parquet(\"/mnt/raw/clickstream/2019/12/\")\ndf.createOrReplaceTempView(\"clicks\")",
	"spark.conf.set(\"spark.sql.shuffle.partitions\", \"64\")",
}

// ucTables are Unity Catalog tables; tables under main.hr are readable by the HR group only.
var ucTables = []string{
	"main.sales.orders", "main.sales.customers", "main.sales.order_items", "main.finance.ledger",
	"main.marketing.campaigns", "main.web.sessions", "main.web.events", "main.reporting.daily_revenue",
	"main.sales.orders", "main.web.events", "main.hr.salaries", "main.hr.employees",
}

var secretScopes = []struct{ scope, key string }{
	{"jdbc", "password"}, {"jdbc", "username"}, {"aws", "access-key"}, {"aws", "secret-key"},
	{"snowflake", "pem"}, {"slack", "webhook-url"}, {"kafka", "sasl-password"},
}

var notebookNames = []string{
	"ETL - orders", "churn_model_training", "Exploration", "daily revenue report", "Untitled",
	"clickstream_sessionization", "Análisis de cohortes", "feature engineering v2", "scratch",
	"data quality checks", "customer 360", "[WIP] forecasting",
}

var teams = []string{"data-eng", "analytics", "data-science", "finance-bi", "marketing"}

var jobNames = []string{
	"orders_ingest", "clickstream_sessionize", "daily_revenue_report", "churn_scoring",
	"customer_360_refresh", "ledger_reconciliation", "campaign_attribution", "dq_checks",
	"inventory_snapshot", "web_events_compaction", "ml_feature_refresh", "export_to_snowflake",
}

var dbfsPaths = []string{
	"/mnt/landing/orders/2019/12/", "/FileStore/tables/upload.csv", "/tmp/scratch/",
	"/mnt/curated/events/_delta_log/", "/FileStore/jars/etl-assembly-1.4.2.jar",
	"/databricks/init/install-libs.sh", "/user/hive/warehouse/reporting.db/",
}

var ipDenyPaths = []string{
	"/api/2.0/clusters/list", "/api/2.0/token/create", "/login.html", "/api/2.0/workspace/export",
	"/api/2.0/secrets/get", "/?o=0#",
}
