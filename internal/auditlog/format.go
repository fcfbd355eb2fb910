package auditlog

import (
	"bytes"
	"fmt"

	"github.com/valyala/fastjson"
)

// ParseFormat parses a format name as given on the command line: "delivery", "azure" or
// "system-table". The error lists the valid names.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatDelivery, FormatAzure, FormatSystemTable:
		return f, nil
	}
	return FormatUnknown, fmt.Errorf("unknown audit log format %q (valid: delivery, azure, system-table)", s)
}

// Sniff returns the format of a file from its first non-empty line, or FormatUnknown when the
// line is not a JSON object of any known format. If line holds several lines, the first
// non-blank one is used. Sniff is meant to be called once per file: it allocates a parser.
func Sniff(line []byte) Format {
	for len(line) > 0 {
		cur := line
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			cur, line = line[:i], line[i+1:]
		} else {
			line = nil
		}
		start, end := trimLine(cur)
		if start == end {
			continue
		}
		var p fastjson.Parser
		v, err := p.ParseBytes(cur[start:end])
		if err != nil {
			return FormatUnknown
		}
		o, err := v.Object()
		if err != nil {
			return FormatUnknown
		}
		return classify(o)
	}
	return FormatUnknown
}

// classify guesses the format of a top-level object from its keys. Key sets barely overlap:
// snake_case belongs to the system table, PascalCase and operationName/properties to Azure,
// camelCase serviceName/actionName/timestamp at top level to S3/GCS delivery.
func classify(o *fastjson.Object) Format {
	var system, azure, delivery bool
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch {
		case string(k) == "records" && v.Type() == fastjson.TypeArray:
			azure = true
		case isSystemTableKey(k):
			system = true
		case isAzureKey(k):
			azure = true
		case isDeliveryKey(k):
			delivery = true
		}
	})
	switch {
	case system:
		return FormatSystemTable
	case azure:
		return FormatAzure
	case delivery:
		return FormatDelivery
	}
	return FormatUnknown
}

// isDeliveryKey reports whether k is a top-level key only S3/GCS delivery records have.
func isDeliveryKey(k []byte) bool {
	switch string(k) {
	case "serviceName", "actionName", "timestamp", "userIdentity", "requestParams", "auditLevel", "workspaceId":
		return true
	}
	return false
}

// isAzureKey reports whether k is a top-level key of an Azure diagnostic record or of a Log
// Analytics row.
func isAzureKey(k []byte) bool {
	switch string(k) {
	case "time", "resourceId", "category", "operationName", "operationVersion", "properties",
		"TimeGenerated", "ResourceId", "_ResourceId", "Category", "OperationName", "OperationVersion",
		"ServiceName", "ActionName", "LogId":
		return true
	}
	return false
}

// isSystemTableKey reports whether k is a column of system.access.audit.
func isSystemTableKey(k []byte) bool {
	switch string(k) {
	case "service_name", "action_name", "event_time", "event_id", "workspace_id", "user_identity",
		"request_params", "audit_level", "event_date":
		return true
	}
	return false
}

// trimLine returns the bounds of line without a UTF-8 byte order mark and surrounding JSON
// whitespace (which includes the '\r' of CRLF line ends).
func trimLine(line []byte) (start, end int) {
	end = len(line)
	if bytes.HasPrefix(line, []byte("\xef\xbb\xbf")) {
		start = 3
	}
	for start < end && isSpace(line[start]) {
		start++
	}
	for end > start && isSpace(line[end-1]) {
		end--
	}
	return start, end
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}
