// Package archtest holds the architecture test: it checks with `go list` that packages import
// only what ARCHITECTURE.md's package map and STYLE.md's dependency rules allow.
package archtest
