package nwfilter

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors a *ParseError may wrap; test with errors.Is.
var (
	// ErrSyntax marks XML that is not well-formed (including truncated input).
	ErrSyntax = errors.New("malformed XML")
	// ErrLimit marks a document that exceeds one of its parser's Limits.
	ErrLimit = errors.New("limit exceeded")
	// ErrNotRepresentable marks a value that libvirtxml's types cannot carry.
	ErrNotRepresentable = errors.New("not representable in libvirtxml")
)

// LiteralError says why a text is not a valid literal of a kind. It reads
// well without any XML context, e.g. `"300" is not a valid dscp: must be 0–63`.
type LiteralError struct {
	// Kind is the kind of value the text should have been.
	Kind Kind
	// Text is the text as given.
	Text string
	// Reason says what is wrong with it, e.g. "must be 0–63".
	Reason string
}

// maxQuotedText bounds how much of a bad value an error message repeats.
const maxQuotedText = 64

// Error quotes the (truncated) text and says why it is not a valid literal of its kind.
func (e *LiteralError) Error() string {
	return fmt.Sprintf("%q is not a valid %s: %s", truncate(e.Text), e.Kind, e.Reason)
}

// ParseError is one problem in a document: where it is and why it is wrong.
type ParseError struct {
	// File is the document's name, "" for documents from memory.
	File string
	// Line and Col are 1-based (Col counts characters); 0 when unknown.
	Line, Col int
	// Path locates the element or attribute, e.g. "filter/rule[3]/tcp/@dstportstart".
	Path string
	// Msg describes the problem; it may be empty when Err says it all.
	Msg string
	// Err is the underlying error, if any (a *LiteralError, ErrSyntax, ErrLimit, …).
	Err error
}

// Error returns "FILE:LINE:COL: PATH: message", leaving out unknown parts.
func (e *ParseError) Error() string {
	var parts []string
	loc := e.File
	if e.Line > 0 {
		if loc != "" {
			loc += ":"
		}
		loc += strconv.Itoa(e.Line) + ":" + strconv.Itoa(e.Col)
	}
	if loc != "" {
		parts = append(parts, loc)
	}
	if e.Path != "" {
		parts = append(parts, e.Path)
	}
	switch {
	case e.Msg != "" && e.Err != nil:
		parts = append(parts, e.Msg+": "+e.Err.Error())
	case e.Msg != "":
		parts = append(parts, e.Msg)
	case e.Err != nil:
		parts = append(parts, e.Err.Error())
	}
	return strings.Join(parts, ": ")
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// ParseErrors holds every problem found in one document, in document order.
// The Parse functions return it (never empty) when a document is invalid;
// errors.As with a **ParseError target finds the first problem.
type ParseErrors []*ParseError

// Error returns one line per problem.
func (es ParseErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual errors.
func (es ParseErrors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}
