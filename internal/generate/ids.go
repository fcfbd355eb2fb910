package generate

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// RNG streams. Every stream is a PCG seeded from (Options.Seed, stream, a, b), so the draws of
// one part of the generation never shift another part: the cluster creates of a day do not depend
// on how many background events were drawn before them (EventsPerDay), and output stays
// byte-identical for the same options.
const (
	streamWorld = iota + 1
	streamCompute
	streamIncident
	streamActivity
	streamCount
	streamFiles
	streamPlant
)

func newRand(seed int64, stream, a, b int) *rand.Rand {
	k := uint64(stream)<<48 ^ uint64(a)<<32 ^ uint64(b)
	return rand.New(rand.NewPCG(uint64(seed), splitmix(k)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

const hexDigits = "0123456789abcdef"

func appendHex(dst []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[(v>>(uint(i)*4))&0xf])
	}
	return dst
}

// uuidString returns a random RFC 4122 UUID carrying the given version nibble: 4 for request ids,
// 3 for the name-based look of Azure logIds and system-table event_ids (spec §4.11), 1 for SQL
// session ids.
func uuidString(r *rand.Rand, version uint64) string {
	hi, lo := r.Uint64(), r.Uint64()
	hi = hi&^(0xf<<12) | version<<12
	lo = lo&^(0x3<<62) | 0x2<<62
	var b [36]byte
	d := b[:0]
	d = appendHex(d, hi>>32, 8)
	d = append(d, '-')
	d = appendHex(d, hi>>16, 4)
	d = append(d, '-')
	d = appendHex(d, hi, 4)
	d = append(d, '-')
	d = appendHex(d, lo>>48, 4)
	d = append(d, '-')
	d = appendHex(d, lo, 12)
	return string(d)
}

// requestID returns a request id in one of the two forms Databricks uses: a UUID, or
// ServiceMain-<16 hex> that often ends in 0002 (spec §4.11).
func requestID(r *rand.Rand) string {
	v := r.Uint64()
	if v&3 == 0 {
		return uuidString(r, 4)
	}
	var b [28]byte
	d := append(b[:0], "ServiceMain-"...)
	if v&4 == 0 {
		d = appendHex(d, v>>16, 12)
		d = append(d, "0002"...)
	} else {
		d = appendHex(d, v>>3, 16)
	}
	return string(d)
}

func hexString(r *rand.Rand, n int) string {
	b := make([]byte, 0, n)
	for len(b) < n {
		k := min(16, n-len(b))
		b = appendHex(b, r.Uint64(), k)
	}
	return string(b)
}

const crockford = "0123456789abcdefghjkmnpqrstvwxyz"

// webSessionID returns a webapp session id: webapp-cons-webapp-<26 base32>, as in
// "webapp-cons-webapp-01exaj6u94682b1an89u7g166c".
func webSessionID(r *rand.Rand) string {
	b := make([]byte, 0, 45)
	b = append(b, "webapp-cons-webapp-01"...)
	for len(b) < 45 {
		b = append(b, crockford[r.IntN(32)])
	}
	return string(b)
}

// clusterWords gives pre-2022 style cluster id suffixes: a short word plus digits ("cooks169").
var clusterWords = []string{
	"cooks", "ruffs", "bails", "dents", "fumes", "hawks", "jolts", "kites", "lamps", "mints",
	"nooks", "pints", "quips", "rusts", "sails", "tides", "urges", "vexes", "wicks", "yelps",
	"zests", "barns", "coves", "dunes", "ferns", "gusts", "hives", "inks", "jazzy", "knots",
	"loops", "mossy", "nerds", "oaks", "plums", "reefs", "shoal", "tusks", "vials", "woods",
}

// clusterID returns a cluster id MMDD-HHMMSS-<8 lowercase alnum> for a cluster created at t.
func clusterID(r *rand.Rand, t time.Time) string {
	t = t.UTC()
	b := make([]byte, 0, 20)
	b = append2(b, int(t.Month()))
	b = append2(b, t.Day())
	b = append(b, '-')
	b = append2(b, t.Hour())
	b = append2(b, t.Minute())
	b = append2(b, t.Second())
	b = append(b, '-')
	w := clusterWords[r.IntN(len(clusterWords))]
	b = append(b, w...)
	for i := len(w); i < 8; i++ {
		b = append(b, byte('0'+r.IntN(10)))
	}
	return string(b)
}

func append2(b []byte, v int) []byte {
	return append(b, byte('0'+v/10%10), byte('0'+v%10))
}

// digits returns a decimal number with exactly n digits (n <= 18).
func digits(r *rand.Rand, n int) string {
	lo := int64(1)
	for range n - 1 {
		lo *= 10
	}
	return strconv.FormatInt(lo+r.Int64N(9*lo), 10)
}

// pick returns a random element of s.
func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// chance reports true with probability p.
func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

// ptr returns a pointer to a copy of v.
func ptr[T any](v T) *T { return &v }
