package dbsql

import (
	"testing"
	"time"
)

// benchQuery is a 30-line detection in the style of public queries over system.access.audit.
const benchQuery = `WITH read_writes AS (
  SELECT WINDOW(event_time, '60 minutes').start AS window_start,
         WINDOW(event_time, '60 minutes').end AS window_end,
         user_identity.email,
         request_params.metastore_id,
         if(isnotnull(request_params.workspace_id), request_params.workspace_id, workspace_id) AS workspace_id,
         CASE WHEN contains(request_params.operation, 'CREATE') THEN 'WRITE'
              WHEN contains(request_params.operation, 'WRITE') THEN 'WRITE'
              WHEN contains(request_params.operation, 'READ') THEN 'READ'
              ELSE NULL END AS operation,
         CASE WHEN isnotnull(request_params.table_full_name) THEN request_params.table_full_name
              WHEN isnotnull(request_params.volume_full_name) THEN request_params.volume_full_name
              ELSE NULL END AS securable
  FROM system.access.audit
  WHERE action_name IN ('generateTemporaryTableCredential', 'generateTemporaryPathCredential')
    AND WINDOW(event_time, '60 minutes').end >= current_timestamp() - INTERVAL 24 HOURS
),
agg AS (
  SELECT window_start, window_end, email, metastore_id,
         collect_set(workspace_id) AS workspace_ids,
         collect_set(securable) FILTER(WHERE operation = 'READ') AS read_securables,
         collect_set(securable) FILTER(WHERE operation = 'WRITE') AS write_securables,
         count(distinct operation, securable) AS total_read_writes
  FROM read_writes
  GROUP BY 1, 2, 3, 4
)
SELECT *, size(array_except(write_securables, read_securables)) AS writes_elsewhere
FROM agg
WHERE total_read_writes > 20
ORDER BY writes_elsewhere DESC`

func BenchmarkTranslateDatabricks(b *testing.B) {
	opts := Options{Now: time.Date(2019, 12, 29, 0, 0, 0, 0, time.UTC)}
	b.ReportAllocs()
	b.SetBytes(int64(len(benchQuery)))
	for b.Loop() {
		if _, err := Translate(benchQuery, opts); err != nil {
			b.Fatal(err)
		}
	}
}
