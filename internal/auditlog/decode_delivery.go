package auditlog

import (
	"github.com/valyala/fastjson"
)

// deliveryKeys are the top-level keys of an S3/GCS delivery record (spec §1.2). Delivery
// records carry no event id.
var deliveryKeys = flatKeys{
	format:        "delivery record",
	version:       "version",
	auditLevel:    "auditLevel",
	time:          "timestamp",
	workspaceID:   "workspaceId",
	accountID:     "accountId",
	sourceIP:      "sourceIPAddress",
	userAgent:     "userAgent",
	sessionID:     "sessionId",
	requestID:     "requestId",
	userIdentity:  "userIdentity",
	serviceName:   "serviceName",
	actionName:    "actionName",
	requestParams: "requestParams",
	response:      "response",
	identityMeta:  "identityMetadata",
	isFormatKey:   isDeliveryKey,
}

func (d *Decoder) decodeDelivery(raw []byte, start int, o *fastjson.Object, dst []Record) ([]Record, error) {
	return d.decodeFlat(&deliveryKeys, raw, start, o, dst)
}
