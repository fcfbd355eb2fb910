package kql

import (
	"fmt"
	"sort"
	"unicode/utf8"
)

// Pos is a position in the query text. Line and Col are 1-based; Col counts
// characters (runes), not bytes, so a caret lines up under the character in a
// UI. The zero Pos means "no position".
type Pos struct {
	Offset int // byte offset from the start of the query
	Line   int // 1-based line number
	Col    int // 1-based column, in runes
}

// IsValid reports whether p is a real position (the zero Pos is not).
func (p Pos) IsValid() bool { return p.Line > 0 }

// String renders p as "line:col".
func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// lineIndex maps byte offsets to line:col.
type lineIndex struct {
	src    string
	starts []int // byte offset of the start of each line
	ascii  bool  // columns are byte counts

	// Cache of the last non-ASCII lookup: tokens are mostly looked up in
	// order, so counting on from the last offset keeps long lines linear.
	lastOff, lastCol int
}

func newLineIndex(src string) *lineIndex {
	starts := []int{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	ascii := true
	for i := 0; i < len(src); i++ {
		if src[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	return &lineIndex{src: src, starts: starts, ascii: ascii, lastOff: -1}
}

// pos returns the Pos of byte offset off, clamped to the text.
func (li *lineIndex) pos(off int) Pos {
	off = max(0, min(off, len(li.src)))
	line := sort.Search(len(li.starts), func(i int) bool { return li.starts[i] > off }) - 1
	start := li.starts[line]
	if li.ascii {
		return Pos{Offset: off, Line: line + 1, Col: off - start + 1}
	}
	if li.lastOff >= start && li.lastOff <= off {
		li.lastCol += utf8.RuneCountInString(li.src[li.lastOff:off])
	} else {
		li.lastCol = utf8.RuneCountInString(li.src[start:off]) + 1
	}
	li.lastOff = off
	return Pos{Offset: off, Line: line + 1, Col: li.lastCol}
}
