package config

import "fmt"

// Bounds on the input, checked before the TOML decoder sees it. The decoder
// spends time and memory quadratic in how deeply arrays and inline tables
// nest (each level records its whole key path), so a 16 KB file of nested
// braces would cost it hundreds of megabytes. A configuration needs a depth
// of three or four and a few kilobytes per journey.
const (
	// MaxFileSize is the largest configuration file read.
	MaxFileSize = 4 << 20
	// MaxNesting is how deeply "[" and "{" may nest outside strings and
	// comments.
	MaxNesting = 32
)

// checkBounds rejects data that is larger than MaxFileSize or nests deeper
// than MaxNesting, naming the line where the limit is passed. It scans
// once, skipping strings and comments, whose brackets are text. A dotted
// key (a.b.c, in a table header too) nests a table per dot as brackets
// do: the dots since the last "=", ",", bracket or line count on top of
// the brackets open, which also counts a float's or a time's one dot.
func checkBounds(file string, data []byte) *Error {
	if len(data) > MaxFileSize {
		return &Error{File: file, Msg: fmt.Sprintf("the file has %d bytes, more than the %s a configuration may have: write a smaller file, or split journeys over several agents", len(data), ByteSize(MaxFileSize))}
	}
	line, lineStart, depth, dots := 1, 0, 0, 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '\n':
			line, lineStart, dots = line+1, i+1, 0
		case '=', ',':
			dots = 0
		case '.':
			dots++
			if depth+dots > MaxNesting {
				return &Error{File: file, Line: line, Column: i - lineStart + 1, Msg: fmt.Sprintf("keys nest more than %d deep: write them flat, as [[journey]] and [[journey.step]] tables with plain keys", MaxNesting)}
			}
		case '#':
			for i+1 < len(data) && data[i+1] != '\n' {
				i++
			}
		case '"', '\'':
			end := stringEnd(data, i)
			for _, c := range data[i:end] {
				if c == '\n' {
					line++
				}
			}
			if nl := lastNewline(data[i:end]); nl >= 0 {
				lineStart = i + nl + 1
			}
			i = end - 1
		case '[', '{':
			depth, dots = depth+1, 0
			if depth > MaxNesting {
				return &Error{File: file, Line: line, Column: i - lineStart + 1, Msg: fmt.Sprintf("arrays and tables nest more than %d deep: write them flat, as [[journey]] and [[journey.step]] tables with plain keys", MaxNesting)}
			}
		case ']', '}':
			dots = 0
			if depth > 0 {
				depth--
			}
		}
	}
	return nil
}

// stringEnd returns the index just past the string that starts with the
// quote at data[start]: basic or literal, on one line or, opened with three
// quotes, on several. A one-line string also ends at the end of its line,
// where the decoder will report it; an unterminated one at the end of data.
func stringEnd(data []byte, start int) int {
	quote := data[start]
	multi := start+2 < len(data) && data[start+1] == quote && data[start+2] == quote
	i := start + 1
	if multi {
		i = start + 3
	}
	for ; i < len(data); i++ {
		switch c := data[i]; {
		case c == '\\' && quote == '"':
			i++ // the escaped character, whatever it is
		case c == '\n' && !multi:
			return i
		case c == quote && !multi:
			return i + 1
		case c == quote && i+2 < len(data) && data[i+1] == quote && data[i+2] == quote:
			// Up to two more quotes may end the string's content.
			i += 3
			for k := 0; k < 2 && i < len(data) && data[i] == quote; k++ {
				i++
			}
			return i
		}
	}
	return len(data)
}

func lastNewline(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == '\n' {
			return i
		}
	}
	return -1
}
