package rules

import "fmt"

// LintError is one problem in a rule file, at a line. Load, LoadFile, Parse and Lint return
// every problem they find as LintErrors joined with errors.Join; read them with errors.As, or
// walk the join with interface{ Unwrap() []error }.
type LintError struct {
	File string // the file as given to the loader
	Line int    // 1-based line of the offending node
	Rule string // the rule's name when known, else empty
	Msg  string // lowercase message without position
}

// Error renders the problem as "file:line: msg".
func (e *LintError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// QueryError is a problem at a line of a rule's query text (1-based within the text). A
// LoadOptions.CheckQuery that returns one (or wraps one) has the problem reported at that line
// of the rule file rather than at the query's first line.
type QueryError struct {
	Line int
	Err  error
}

// Error renders the underlying error.
func (e *QueryError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *QueryError) Unwrap() error { return e.Err }
