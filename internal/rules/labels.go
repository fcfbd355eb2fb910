package rules

import (
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Labels name one series of a rule: split_by column to value. A rule without split_by has one
// series with empty Labels.
type Labels map[string]string

// Fingerprint identifies a label set within a rule; equal label sets have equal fingerprints
// whatever their map order.
type Fingerprint uint64

// String renders the fingerprint as 16 hex digits.
func (f Fingerprint) String() string {
	s := strconv.FormatUint(uint64(f), 16)
	return strings.Repeat("0", 16-len(s)) + s
}

// MarshalText renders the fingerprint as 16 hex digits, so JSON keeps all 64 bits.
func (f Fingerprint) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads the form MarshalText writes.
func (f *Fingerprint) UnmarshalText(b []byte) error {
	v, err := strconv.ParseUint(string(b), 16, 64)
	if err != nil {
		return err
	}
	*f = Fingerprint(v)
	return nil
}

// Fingerprint hashes the sorted label names and values (FNV-1a, 64 bits).
func (l Labels) Fingerprint() Fingerprint {
	h := fnv.New64a()
	for _, k := range slices.Sorted(maps.Keys(l)) {
		h.Write([]byte(k))
		h.Write([]byte{0xff})
		h.Write([]byte(l[k]))
		h.Write([]byte{0xff})
	}
	return Fingerprint(h.Sum64())
}

// String renders the labels sorted by name, as {user="a@b.c", workspace="12"}.
func (l Labels) String() string {
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(l)) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(strconv.Quote(l[k]))
	}
	b.WriteByte('}')
	return b.String()
}

func (l Labels) clone() Labels {
	if l == nil {
		return Labels{}
	}
	return maps.Clone(l)
}
