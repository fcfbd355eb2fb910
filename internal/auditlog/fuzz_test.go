package auditlog

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzDecodeDelivery(f *testing.F) { fuzzDecode(f, FormatDelivery) }

func FuzzDecodeAzure(f *testing.F) { fuzzDecode(f, FormatAzure) }

func FuzzDecodeSystemTable(f *testing.F) { fuzzDecode(f, FormatSystemTable) }

// fuzzDecode seeds from every fixture and real sample (whatever their format, since a decoder
// must also survive lines of the wrong format) and checks that decoding never panics (the
// recover in DecodeLine would hide it, so a "decoder panic" error counts as a failure), that
// every good record has a service, an action and a time, and that Raw aliases the line.
func fuzzDecode(f *testing.F, format Format) {
	seeds, _ := filepath.Glob("testdata/*/*.jsonl")
	samples, _ := filepath.Glob(realSamples + "*.jsonl")
	for _, path := range append(seeds, samples...) {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		for line := range bytes.Lines(data) {
			f.Add(line)
		}
	}
	f.Add([]byte(`{"records":[{"time":"2025-01-01T00:00:00Z","category":"a","operationName":"b/c"},1,"x",{}]}`))
	f.Add([]byte(`{"timestamp":1,"serviceName":"a","actionName":"b","requestParams":{"k":[{"x":"\u00e9\ud83d\ude00"}]}}`))

	d := NewDecoder(format)
	f.Fuzz(func(t *testing.T, line []byte) {
		recs, err := d.DecodeLine(line, nil)
		if err != nil {
			if len(recs) != 0 {
				t.Fatalf("records returned with line error %v", err)
			}
			var le *LineError
			if !errors.As(err, &le) || strings.HasPrefix(le.Msg, "decoder panic") {
				t.Fatalf("unexpected line error: %v", err)
			}
			return
		}
		for i, r := range recs {
			requireSubslice(t, line, r.Raw)
			if r.Err != nil {
				continue
			}
			if r.Event.ServiceName == "" || r.Event.ActionName == "" || r.Event.Time.IsZero() {
				t.Fatalf("record %d decoded without service, action or time: %+v", i, r.Event)
			}
			if r.Event.EventID == "" {
				t.Fatalf("record %d has no event id", i)
			}
			if s, ok := invalidUTF8(&r.Event); ok {
				t.Fatalf("record %d holds invalid UTF-8 %q", i, s)
			}
		}
	})
}

// invalidUTF8 returns the first string of e that is not valid UTF-8: the database stores only
// valid UTF-8, so the decoder must have replaced bad bytes.
func invalidUTF8(e *Event) (string, bool) {
	strs := []string{e.Version, e.WorkspaceID, e.AuditLevel, e.ServiceName, e.ActionName, e.EventID}
	for _, p := range []*string{
		e.AccountID, e.Email, e.SubjectName, e.SourceIP, e.UserAgent, e.SessionID, e.RequestID,
		e.ErrorMessage, e.Result, e.RunBy, e.RunAs, e.ActingResource, e.ResourceID,
	} {
		if p != nil {
			strs = append(strs, *p)
		}
	}
	for _, p := range e.Params {
		strs = append(strs, p.Key, p.Value)
	}
	for _, s := range strs {
		if !utf8.ValidString(s) {
			return s, true
		}
	}
	return "", false
}
