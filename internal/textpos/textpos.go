// Package textpos turns byte offsets that parsers report (encoding/json's
// SyntaxError.Offset, UnmarshalTypeError.Offset) into the line and column a
// person looks for in an editor.
package textpos

import "bytes"

// LineCol returns the 1-based line and column (in bytes) of offset off in
// data; an offset outside data is clamped to it.
func LineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// SyntaxOffset is the offset of the byte that encoding/json's SyntaxError
// complains about: its Offset counts that byte as already read.
func SyntaxOffset(off int64) int64 {
	if off > 0 {
		return off - 1
	}
	return 0
}
