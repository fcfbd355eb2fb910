// Package machine describes the machine a benchmark runs on, so that its numbers can be read
// with how busy the machine was.
package machine

import (
	"os"
	"strings"
)

// LoadAvg is the 1, 5 and 15 minute load averages (Linux), or "unknown".
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
