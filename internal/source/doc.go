// Package source lists and reads the objects audit logs are delivered as, through
// gocloud.dev/blob: a local folder today (file://), S3, GCS and Azure Blob through the same
// Bucket. It parses the delivery layout (workspaceId=<id>/date=<yyyy-mm-dd>/...) of each key.
//
// It knows nothing about formats or the database: it says which objects exist, in which
// version, and hands out their bytes.
package source
