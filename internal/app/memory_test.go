package app

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestMemTotal(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"MemTotal:       24731184 kB\nMemFree:         1000 kB\n", 24731184 << 10},
		{"MemFree:         1000 kB\nMemTotal: 2048 kB\n", 2048 << 10},
		{"MemFree: 1000 kB\n", 0},
		{"MemTotal: lots kB\n", 0},
		{"MemTotal: 2048 MB\n", 0}, // a unit the kernel never writes is not guessed at
		{"", 0},
	} {
		if got := memTotal(c.in); got != c.want {
			t.Errorf("memTotal(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

func TestCgroupLimit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
	}{
		{"max\n", 0},                   // v2, no limit
		{"9223372036854771712\n", 0},   // v1, no limit
		{"4294967296\n", 4294967296},   // 4 GiB
		{"  1073741824  ", 1073741824}, //
		{"-1", 0},
		{"", 0},
	} {
		if got := cgroupLimit(c.in); got != c.want {
			t.Errorf("cgroupLimit(%q) = %d, want %d", c.in, got, c.want)
		}
	}
}

// TestServeMemoryLimit checks the default on this machine: a quarter of MemTotal (this
// sandbox sets no cgroup limit below it), and never under 512 MiB.
func TestServeMemoryLimit(t *testing.T) {
	got := serveMemoryLimit()
	mib, err := strconv.ParseInt(strings.TrimSuffix(got, "MiB"), 10, 64)
	if err != nil || !strings.HasSuffix(got, "MiB") {
		t.Fatalf("serveMemoryLimit() = %q, want a number of MiB", got)
	}
	if mib < minServeMemory>>20 {
		t.Fatalf("serveMemoryLimit() = %q, below the 512 MiB floor", got)
	}
	if runtime.GOOS != "linux" {
		return
	}
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	total := memTotal(string(b))
	if total == 0 {
		t.Fatal("no MemTotal in /proc/meminfo")
	}
	if mib<<20 > max(total/4, minServeMemory) {
		t.Fatalf("serveMemoryLimit() = %q, more than a quarter of MemTotal %d", got, total)
	}
}
