package app

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// minServeMemory is the least buffer memory serveMemoryLimit gives DuckDB: the store's default
// for one-off commands.
const minServeMemory = 512 << 20

// serveMemoryLimit is DuckDB's buffer memory in a server started without --memory-limit: a
// quarter of the memory this process may use (the machine's, or its cgroup's limit when that
// is lower), at least 512 MB. A server holds one ingest transaction's rows uncompressed until
// it commits, the rows committed since the last checkpoint, and the blocks its queries read;
// with the store's 512 MB it spilled them to temporary files and sustained 46 k events/s on
// 1.3 cores; with 2-4 GB, 52-58 k (bench/serve -rate 60000, 300 requests/s).
// Where the limit cannot be read (not Linux), it is 512 MB.
func serveMemoryLimit() string {
	limit := int64(0)
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		limit = memTotal(string(b))
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		if b, err := os.ReadFile(p); err == nil {
			if n := cgroupLimit(string(b)); n > 0 && (limit == 0 || n < limit) {
				limit = n
			}
		}
	}
	return strconv.FormatInt(max(limit/4, minServeMemory)>>20, 10) + "MiB"
}

// memTotal is the MemTotal line of /proc/meminfo in bytes; 0 when there is none.
func memTotal(meminfo string) int64 {
	sc := bufio.NewScanner(strings.NewReader(meminfo))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MemTotal:" && f[2] == "kB" {
			if n, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return n << 10
			}
		}
	}
	return 0
}

// cgroupLimit is a cgroup memory limit file's value in bytes (v2 memory.max or v1
// memory.limit_in_bytes); 0 for none ("max", or v1's huge "unlimited" value) or garbage.
func cgroupLimit(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n >= 1<<62 {
		return 0
	}
	return n
}
