package generate

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/auditlake/auditlake/internal/auditlog"
)

// Encode appends one event in the given wire format (one line, no trailing newline) to dst.
// Key names follow spec/audit-log-formats.md §1–§3 exactly: camelCase objects for
// auditlog.FormatDelivery, Azure diagnostic records with identity, requestParams and response as
// JSON-encoded strings for auditlog.FormatAzure, and system.access.audit rows as the SQL API
// exports them (nested columns as JSON strings, status_code as a string) for
// auditlog.FormatSystemTable. Any other format encodes as FormatDelivery.
//
// Encode is a pure function of the event. A few quirks of real records that the Event cannot
// express are chosen from a hash of the request id, so they stay deterministic: about 1 in 32
// records carries sourceIPAddress with a ":0" port suffix, and about 1 in 16 successful
// responses without message or result is written as {"statusCode":200} without the other keys.
// Fields the wire formats have but the Event lacks are derived: orgId is the workspace id and
// shardName is picked from the workspace id (delivery); the resource id (when Event.ResourceID is
// nil), logId (when Event.EventID is empty) and Host are derived from the event (Azure).
func Encode(dst []byte, f auditlog.Format, ev *auditlog.Event) []byte {
	switch f {
	case auditlog.FormatAzure:
		return appendAzure(dst, ev)
	case auditlog.FormatSystemTable:
		return appendSystemTable(dst, ev)
	default:
		return appendDelivery(dst, ev)
	}
}

func appendDelivery(dst []byte, ev *auditlog.Event) []byte {
	h := quirkHash(ev)
	wsID := numericWorkspaceID(ev.WorkspaceID)
	dst = append(dst, `{"version":`...)
	dst = appendString(dst, orDefault(ev.Version, "2.0"))
	dst = append(dst, `,"auditLevel":`...)
	dst = appendString(dst, auditLevel(ev))
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, ev.Time.UnixMilli(), 10)
	dst = append(dst, `,"orgId":`...)
	dst = appendString(dst, wsID)
	dst = append(dst, `,"shardName":`...)
	dst = appendString(dst, shardName(wsID))
	if ev.AccountID != nil {
		dst = append(dst, `,"accountId":`...)
		dst = appendString(dst, *ev.AccountID)
	}
	dst = append(dst, `,"workspaceId":`...)
	dst = append(dst, wsID...)
	dst = append(dst, `,"sourceIPAddress":`...)
	dst = appendIP(dst, ev.SourceIP, h)
	dst = append(dst, `,"userAgent":`...)
	dst = appendNullable(dst, ev.UserAgent)
	dst = append(dst, `,"sessionId":`...)
	dst = appendNullable(dst, ev.SessionID)
	dst = append(dst, `,"userIdentity":`...)
	dst = appendIdentity(dst, ev, "subjectName")
	dst = append(dst, `,"serviceName":`...)
	dst = appendString(dst, ev.ServiceName)
	dst = append(dst, `,"actionName":`...)
	dst = appendString(dst, ev.ActionName)
	dst = append(dst, `,"requestId":`...)
	dst = appendNullable(dst, ev.RequestID)
	dst = append(dst, `,"requestParams":`...)
	dst = appendParams(dst, ev.Params)
	dst = append(dst, `,"response":`...)
	if ev.StatusCode == nil && ev.ErrorMessage == nil && ev.Result == nil {
		dst = append(dst, "null"...)
	} else {
		dst = appendResponse(dst, ev, h, false)
	}
	return append(dst, '}')
}

func appendAzure(dst []byte, ev *auditlog.Event) []byte {
	h := quirkHash(ev)
	dst = append(dst, `{"time":"`...)
	dst = ev.Time.UTC().AppendFormat(dst, "2006-01-02T15:04:05Z")
	dst = append(dst, `","resourceId":`...)
	if ev.ResourceID != nil {
		dst = appendString(dst, *ev.ResourceID)
	} else {
		dst = appendString(dst, azureResourceID(defaultSubscription, defaultResourceGroup, azureWorkspaceName(ev.WorkspaceID)))
	}
	dst = append(dst, `,"category":`...)
	dst = appendString(dst, ev.ServiceName)
	dst = append(dst, `,"operationName":"Microsoft.Databricks/`...)
	dst = appendEscaped(dst, ev.ServiceName)
	dst = append(dst, '/')
	dst = appendEscaped(dst, ev.ActionName)
	dst = append(dst, `","operationVersion":"1.0.0","identity":`...)
	p := len(dst)
	dst = appendIdentity(dst, ev, "subjectName")
	dst = quoteTail(dst, p)
	dst = append(dst, `,"properties":{"sourceIPAddress":`...)
	dst = appendIP(dst, ev.SourceIP, h)
	dst = append(dst, `,"logId":`...)
	if ev.EventID != "" {
		dst = appendString(dst, ev.EventID)
	} else {
		dst = append(dst, '"')
		dst = appendHashUUID(dst, h, uint64(ev.Time.UnixMilli()))
		dst = append(dst, '"')
	}
	dst = append(dst, `,"serviceName":`...)
	dst = appendString(dst, ev.ServiceName)
	dst = append(dst, `,"userAgent":`...)
	dst = appendNullable(dst, ev.UserAgent)
	dst = append(dst, `,"response":`...)
	if ev.StatusCode == nil && ev.ErrorMessage == nil && ev.Result == nil {
		dst = append(dst, "null"...)
	} else {
		p = len(dst)
		dst = appendResponse(dst, ev, h, false)
		dst = quoteTail(dst, p)
	}
	dst = append(dst, `,"sessionId":`...)
	dst = appendNullable(dst, ev.SessionID)
	dst = append(dst, `,"actionName":`...)
	dst = appendString(dst, ev.ActionName)
	dst = append(dst, `,"requestId":`...)
	dst = appendNullable(dst, ev.RequestID)
	dst = append(dst, `,"requestParams":`...)
	p = len(dst)
	dst = appendParams(dst, ev.Params)
	dst = quoteTail(dst, p)
	dst = append(dst, `},"Host":"`...)
	dst = appendHost(dst, h)
	return append(dst, `"}`...)
}

// appendSystemTable writes a system.access.audit row as the SQL Statement Execution API exports
// it (spec §3 and the Sumo Logic sample): columns in alphabetical order, struct and map columns
// as JSON strings, response.status_code as a string.
func appendSystemTable(dst []byte, ev *auditlog.Event) []byte {
	t := ev.Time.UTC()
	dst = append(dst, `{"account_id":`...)
	dst = appendNullable(dst, ev.AccountID)
	dst = append(dst, `,"action_name":`...)
	dst = appendString(dst, ev.ActionName)
	dst = append(dst, `,"audit_level":`...)
	dst = appendString(dst, auditLevel(ev))
	dst = append(dst, `,"event_date":"`...)
	dst = t.AppendFormat(dst, time.DateOnly)
	dst = append(dst, `","event_id":`...)
	if ev.EventID != "" {
		dst = appendString(dst, ev.EventID)
	} else {
		dst = append(dst, '"')
		dst = appendHashUUID(dst, quirkHash(ev), uint64(t.UnixMilli()))
		dst = append(dst, '"')
	}
	dst = append(dst, `,"event_time":"`...)
	dst = t.AppendFormat(dst, "2006-01-02T15:04:05.000Z")
	dst = append(dst, `","identity_metadata":`...)
	p := len(dst)
	dst = append(dst, `{"run_by":`...)
	dst = appendNullable(dst, ev.RunBy)
	dst = append(dst, `,"run_as":`...)
	dst = appendNullable(dst, ev.RunAs)
	dst = append(dst, `,"acting_resource":`...)
	dst = appendNullable(dst, ev.ActingResource)
	dst = append(dst, '}')
	dst = quoteTail(dst, p)
	dst = append(dst, `,"request_id":`...)
	dst = appendNullable(dst, ev.RequestID)
	dst = append(dst, `,"request_params":`...)
	p = len(dst)
	dst = appendParams(dst, ev.Params)
	dst = quoteTail(dst, p)
	dst = append(dst, `,"response":`...)
	if ev.StatusCode == nil && ev.ErrorMessage == nil && ev.Result == nil {
		dst = append(dst, "null"...)
	} else {
		p = len(dst)
		dst = appendResponse(dst, ev, 0, true)
		dst = quoteTail(dst, p)
	}
	dst = append(dst, `,"service_name":`...)
	dst = appendString(dst, ev.ServiceName)
	dst = append(dst, `,"session_id":`...)
	dst = appendNullable(dst, ev.SessionID)
	dst = append(dst, `,"source_ip_address":`...)
	dst = appendNullable(dst, ev.SourceIP)
	dst = append(dst, `,"user_agent":`...)
	dst = appendNullable(dst, ev.UserAgent)
	dst = append(dst, `,"user_identity":`...)
	p = len(dst)
	dst = appendIdentity(dst, ev, "subject_name")
	dst = quoteTail(dst, p)
	dst = append(dst, `,"version":`...)
	dst = appendString(dst, orDefault(ev.Version, "2.0"))
	dst = append(dst, `,"workspace_id":`...)
	dst = appendString(dst, numericWorkspaceID(ev.WorkspaceID))
	return append(dst, '}')
}

func appendIdentity(dst []byte, ev *auditlog.Event, subjectKey string) []byte {
	dst = append(dst, `{"email":`...)
	dst = appendNullable(dst, ev.Email)
	dst = append(dst, `,"`...)
	dst = append(dst, subjectKey...)
	dst = append(dst, `":`...)
	dst = appendNullable(dst, ev.SubjectName)
	return append(dst, '}')
}

func appendParams(dst []byte, ps []auditlog.Param) []byte {
	dst = append(dst, '{')
	for i, p := range ps {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, p.Key)
		dst = append(dst, ':')
		dst = appendString(dst, p.Value)
	}
	return append(dst, '}')
}

// appendResponse writes the response object: camelCase with a numeric statusCode, or snake_case
// with status_code as a string for the system table.
func appendResponse(dst []byte, ev *auditlog.Event, h uint32, snake bool) []byte {
	if snake {
		dst = append(dst, `{"status_code":`...)
	} else {
		dst = append(dst, `{"statusCode":`...)
	}
	switch {
	case ev.StatusCode == nil:
		dst = append(dst, "null"...)
	case snake:
		dst = append(dst, '"')
		dst = strconv.AppendInt(dst, int64(*ev.StatusCode), 10)
		dst = append(dst, '"')
	default:
		dst = strconv.AppendInt(dst, int64(*ev.StatusCode), 10)
	}
	if !snake && ev.ErrorMessage == nil && ev.Result == nil && h>>8%16 == 3 {
		return append(dst, '}') // {"statusCode":200}: real records sometimes omit the other keys
	}
	if snake {
		dst = append(dst, `,"error_message":`...)
	} else {
		dst = append(dst, `,"errorMessage":`...)
	}
	dst = appendNullable(dst, ev.ErrorMessage)
	dst = append(dst, `,"result":`...)
	dst = appendNullable(dst, ev.Result)
	return append(dst, '}')
}

// appendIP writes the source IP, with a ":0" port suffix on about 1 in 32 records, as seen in
// real Azure and delivery records.
func appendIP(dst []byte, ip *string, h uint32) []byte {
	if ip == nil {
		return append(dst, "null"...)
	}
	if h%32 != 5 || *ip == "" || strings.IndexByte(*ip, ':') >= 0 {
		return appendString(dst, *ip)
	}
	dst = append(dst, '"')
	dst = appendEscaped(dst, *ip)
	return append(dst, `:0"`...)
}

func appendNullable(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return appendString(dst, *s)
}

// quoteTail replaces dst[p:] (a JSON text) by the JSON string holding it, the way Azure and the
// system-table export nest objects. It escapes into the free space after dst and moves the result
// back, so it allocates only when dst must grow.
func quoteTail(dst []byte, p int) []byte {
	q := len(dst)
	dst = append(dst, '"')
	dst = appendEscaped(dst, dst[p:q])
	dst = append(dst, '"')
	n := copy(dst[p:], dst[q:])
	return dst[:p+n]
}

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// safeJSON[b] is true for the bytes that appear unescaped inside a JSON string: printable ASCII
// except quote and backslash. Bytes >= 0x80 are checked as UTF-8 separately.
var safeJSON = func() (t [256]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\'
	}
	return t
}()

// appendEscaped appends s escaped for use inside a JSON string (RFC 8259): quotes, backslashes
// and control characters are escaped, and invalid UTF-8 becomes U+FFFD so the output is always
// valid JSON. U+2028 and U+2029 are escaped too, so lines stay safe for JavaScript readers.
// strconv.Quote is not a substitute: it writes Go escapes such as \x00 that JSON does not have.
func appendEscaped[S ~string | ~[]byte](dst []byte, s S) []byte {
	start, i := 0, 0
	for {
		for i < len(s) && safeJSON[s[i]] {
			i++
		}
		if i == len(s) {
			return append(dst, s[start:]...)
		}
		b := s[i]
		if b >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
			switch {
			case r == utf8.RuneError && size == 1:
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
			case r == '\u2028' || r == '\u2029':
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\u202`...)
				dst = append(dst, hexDigits[r&0xf])
				i += size
				start = i
			default:
				i += size
			}
			continue
		}
		dst = append(dst, s[start:i]...)
		switch b {
		case '"', '\\':
			dst = append(dst, '\\', b)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
		}
		i++
		start = i
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func auditLevel(ev *auditlog.Event) string {
	if ev.AuditLevel != "" {
		return ev.AuditLevel
	}
	if ev.WorkspaceID == "0" {
		return levelAccount
	}
	return levelWorkspace
}

// numericWorkspaceID returns the decimal workspace id of an event: WorkspaceID itself, or the
// digits of an Azure workspace name "WS-<id>" (see azureWorkspaceName), or "0" when neither.
func numericWorkspaceID(id string) string {
	id = strings.TrimPrefix(id, azureNamePrefix)
	if id == "" {
		return "0"
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return "0"
		}
	}
	return id
}

// azureWorkspaceName returns the Azure resource name of a workspace: "WS-<id>" for a numeric
// workspace id, the id itself otherwise (it already is a name).
func azureWorkspaceName(id string) string {
	if numericWorkspaceID(id) == id {
		return azureNamePrefix + id
	}
	return id
}

func azureResourceID(sub, rg, name string) string {
	return "/SUBSCRIPTIONS/" + strings.ToUpper(sub) + "/RESOURCEGROUPS/" + strings.ToUpper(rg) +
		"/PROVIDERS/MICROSOFT.DATABRICKS/WORKSPACES/" + strings.ToUpper(name)
}

var shardNames = []string{"oregon-prod-shard-2", "virginia-prod-shard-1", "frankfurt-prod-shard-1", "ohio-prod-shard-3"}

func shardName(wsID string) string {
	if wsID == "0" {
		return "accounts-prod"
	}
	if len(wsID) < 2 {
		wsID = "0" + wsID
	}
	// The last digits pick the shard: cheap, and stable for a workspace.
	n := int(wsID[len(wsID)-1]-'0') + 10*int(wsID[len(wsID)-2]-'0')
	return shardNames[n%len(shardNames)]
}

// quirkHash is the hash that picks Encode's deterministic quirks.
func quirkHash(ev *auditlog.Event) uint32 {
	if ev.RequestID != nil {
		return fnv32(*ev.RequestID)
	}
	return fnv32(ev.ActionName) ^ uint32(ev.Time.UnixMilli())
}

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// appendHashUUID writes a version-3-looking UUID derived from h and x.
func appendHashUUID(dst []byte, h uint32, x uint64) []byte {
	hi := splitmix(uint64(h)<<32 ^ x)
	lo := splitmix(hi ^ x)
	hi = hi&^(0xf<<12) | 3<<12
	lo = lo&^(0x3<<62) | 0x2<<62
	dst = appendHex(dst, hi>>32, 8)
	dst = append(dst, '-')
	dst = appendHex(dst, hi>>16, 4)
	dst = append(dst, '-')
	dst = appendHex(dst, hi, 4)
	dst = append(dst, '-')
	dst = appendHex(dst, lo>>48, 4)
	dst = append(dst, '-')
	return appendHex(dst, lo, 12)
}

// appendHost writes an opaque emitter host like "1005-155304-lag215-10-139-64-14": a control-plane
// cluster id followed by its private IP.
func appendHost(dst []byte, h uint32) []byte {
	x := splitmix(uint64(h))
	dst = append(dst, "1127-101507-"...)
	dst = append(dst, clusterWords[x%uint64(len(clusterWords))][:3]...)
	dst = strconv.AppendUint(dst, 100+x>>8%900, 10)
	dst = append(dst, "-10-139-"...)
	dst = strconv.AppendUint(dst, 64+x>>20%4, 10)
	dst = append(dst, '-')
	return strconv.AppendUint(dst, 2+x>>24%250, 10)
}
