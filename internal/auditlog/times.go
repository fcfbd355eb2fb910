package auditlog

import (
	"math"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
)

// Event times must fall in [1970-01-01, 10000-01-01): audit logs cannot predate the epoch, and
// the bounds keep every accepted time non-zero and representable in the database.
const (
	minEpochMilli = 0
	maxEpochMilli = 253402300799999 // 9999-12-31T23:59:59.999Z
)

// eventTime decodes a required event time: an ISO-8601 string (with or without fractional
// seconds, 'Z', an offset or no zone meaning UTC), or epoch milliseconds as a JSON number or a
// decimal string. The result is UTC, truncated to milliseconds.
func eventTime(v *fastjson.Value, field string) (time.Time, error) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return time.Time{}, missingField(field)
	}
	var ms int64
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		if len(b) == 0 {
			return time.Time{}, missingField(field)
		}
		if t, ok := parseISOTime(b); ok {
			return checkTime(t, field)
		}
		var ok bool
		if ms, ok = epochMilli(b); !ok {
			return time.Time{}, badField(field, "not an ISO-8601 time or epoch milliseconds: %q", truncate(b))
		}
	case fastjson.TypeNumber:
		var ok bool
		if n, err := v.Int64(); err == nil {
			ms = n
		} else if ms, ok = epochMilli(v.MarshalTo(nil)); !ok {
			return time.Time{}, badField(field, "not epoch milliseconds: %s", v)
		}
	default:
		return time.Time{}, badField(field, "want string or number, got %s", v.Type())
	}
	if ms < minEpochMilli || ms > maxEpochMilli {
		return time.Time{}, badField(field, "epoch milliseconds %d out of range", ms)
	}
	return time.UnixMilli(ms).UTC(), nil
}

func checkTime(t time.Time, field string) (time.Time, error) {
	t = t.UTC().Truncate(time.Millisecond)
	if ms := t.UnixMilli(); ms < minEpochMilli || ms > maxEpochMilli {
		return time.Time{}, badField(field, "time %s out of range", t.Format(time.RFC3339Nano))
	}
	return t, nil
}

// epochMilli parses an integer, or an integral-looking float such as 1.7e12, as milliseconds.
func epochMilli(b []byte) (int64, bool) {
	if isDigits(b) {
		if len(b) > 18 {
			return 0, false // beyond maxEpochMilli anyway; avoid overflow
		}
		var n int64
		for _, c := range b {
			n = n*10 + int64(c-'0')
		}
		return n, true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || f < minEpochMilli || f > maxEpochMilli {
		return 0, false
	}
	return int64(f), true
}

// parseISOTime parses YYYY-MM-DD[T ]hh:mm:ss[.fraction][Z|±hh:mm|±hhmm|±hh]. It is a small
// hand-written parser because time.Parse wants a string and tries several layouts.
func parseISOTime(b []byte) (time.Time, bool) {
	if len(b) < len("2006-01-02T15:04:05") ||
		b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != 't' && b[10] != ' ') ||
		b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	i := 19
	nsec := 0
	if i < len(b) && (b[i] == '.' || b[i] == ',') {
		i++
		digits := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if digits < 9 {
				nsec = nsec*10 + int(b[i]-'0')
				digits++
			}
		}
		if digits == 0 {
			return time.Time{}, false
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	offset := 0
	if i < len(b) {
		switch b[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			sign := 1
			if b[i] == '-' {
				sign = -1
			}
			rest := b[i+1:]
			var oh, om int
			var ok bool
			switch {
			case len(rest) == 2:
				oh, ok = num(rest)
			case len(rest) == 4:
				oh, ok = num(rest[:2])
				if ok {
					om, ok = num(rest[2:])
				}
			case len(rest) == 5 && rest[2] == ':':
				oh, ok = num(rest[:2])
				if ok {
					om, ok = num(rest[3:])
				}
			}
			if !ok || oh > 23 || om > 59 {
				return time.Time{}, false
			}
			offset = sign * (oh*3600 + om*60)
			i = len(b)
		default:
			return time.Time{}, false
		}
	}
	if i != len(b) {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(-time.Duration(offset) * time.Second), true
}

func num(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
