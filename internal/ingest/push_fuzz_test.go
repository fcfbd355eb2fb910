package ingest

import (
	"bytes"
	"testing"
)

// FuzzPushBody: any request body either is refused as a bad request or decodes into records
// and quarantined lines, never panicking, and every line is accounted for.
func FuzzPushBody(f *testing.F) {
	for _, s := range []string{
		`{"serviceName":"clusters"}`,
		"[{\"a\":1},\n{\"b\":2}]",
		`{"records":[{"time":"2019-12-28T10:00:00Z"}]}`,
		"[", "[1, 2", "\n\n", "not json\n{}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		data, err := arrayToLines(body)
		if err != nil {
			return
		}
		d := &decoded{}
		if err := d.decodeLines(bytes.NewReader(data), int64(len(data))); err != nil {
			return
		}
		if int64(len(d.quarantine)) > d.lines*2+int64(len(data)) {
			t.Fatalf("%d quarantined from %d lines", len(d.quarantine), d.lines)
		}
	})
}
