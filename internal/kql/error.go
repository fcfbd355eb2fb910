package kql

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits applied by Parse before and during parsing.
const (
	// MaxQueryBytes is the largest query text Parse accepts.
	MaxQueryBytes = 1 << 20
	// MaxDepth is the deepest nesting of expressions and subqueries Parse accepts.
	MaxDepth = 200
)

// ParseError is a syntax error, or a refusal of a construct the front end
// does not support, at a position in the query. Read it with errors.As.
type ParseError struct {
	Pos   Pos    // where the problem starts
	Msg   string // lowercase message without position
	Query string // the full query text, for Snippet
}

// Error renders the error as "line:col: msg".
func (e *ParseError) Error() string {
	return fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

// Snippet renders the offending line of the query with a caret under the
// error column, for display in a terminal or a UI:
//
//	T | evaluate bag_unpack(x)
//	    ^
func (e *ParseError) Snippet() string {
	if e.Pos.Line < 1 {
		return ""
	}
	lines := strings.Split(e.Query, "\n")
	if e.Pos.Line > len(lines) {
		return ""
	}
	line := strings.TrimRight(lines[e.Pos.Line-1], "\r")
	col := max(1, min(e.Pos.Col, utf8.RuneCountInString(line)+1))
	// Keep tabs so the caret lines up with the text above it.
	var pad strings.Builder
	i := 0
	for _, r := range line {
		if i >= col-1 {
			break
		}
		if r == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
		i++
	}
	return line + "\n" + pad.String() + "^"
}
