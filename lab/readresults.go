package lab

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/pulllab/pulllab/internal/textpos"
)

// ReadResults reads a results.json and checks its schema version. Its errors
// are sentences about the file (where it is wrong and how), never the JSON
// decoder's Go type names.
func ReadResults(path string) (*Results, error) {
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, notExistError(path)
	case errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("%s cannot be read (permission denied)", path)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s cannot be read: %v", path, err)
	}
	r, err := DecodeResults(data)
	if err != nil {
		return nil, fmt.Errorf("%s %w", path, err)
	}
	return r, nil
}

// notExistError says that a results file is missing; errors.Is(err,
// fs.ErrNotExist) holds for it.
type notExistError string

func (e notExistError) Error() string { return string(e) + " does not exist" }
func (e notExistError) Unwrap() error { return fs.ErrNotExist }

// DecodeResults decodes results.json content. An error completes the
// sentence "<file> …": "is not a pulllab results file: …".
func DecodeResults(data []byte) (*Results, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("is empty; it is not a pulllab results file")
	}
	// The schema version first, on its own, so that a file from a newer
	// pulllab says so rather than failing on a field that changed.
	var head struct {
		SchemaVersion json.RawMessage `json:"schemaVersion"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, describeJSONError(data, err)
	}
	var v int
	if len(head.SchemaVersion) == 0 || json.Unmarshal(head.SchemaVersion, &v) != nil {
		return nil, errors.New("is not a pulllab results file: it has no numeric \"schemaVersion\" (verify writes results.json with one)")
	}
	switch {
	case v > SchemaVersion:
		return nil, fmt.Errorf("was written by a newer pulllab (results schema %d; this pulllab reads schema %d): upgrade pulllab to read it", v, SchemaVersion)
	case v < SchemaVersion:
		return nil, fmt.Errorf("has results schema %d, which this pulllab no longer reads (it reads schema %d): run verify again to write a new one", v, SchemaVersion)
	}
	var r Results
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, describeJSONError(data, err)
	}
	return &r, nil
}

// describeJSONError turns encoding/json's error into a sentence that names
// the line and column and speaks JSON, not Go.
func describeJSONError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON input"):
		return errors.New("ends in the middle of the JSON (was it cut off while being written or copied?)")
	case errors.As(err, &syn):
		line, col := textpos.LineCol(data, textpos.SyntaxOffset(syn.Offset))
		return fmt.Errorf("is not valid JSON: line %d, column %d: %s", line, col, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		line, col := textpos.LineCol(data, typ.Offset)
		field := typ.Field
		if field == "" {
			return fmt.Errorf("is not a pulllab results file: it holds a JSON %s where an object belongs (line %d, column %d)", jsonWord(typ.Value), line, col)
		}
		return fmt.Errorf("is not a pulllab results file: %q holds a JSON %s where %s belongs (line %d, column %d)", field, jsonWord(typ.Value), kindWord(typ.Type.Kind().String()), line, col)
	}
	return fmt.Errorf("is not a pulllab results file: %v", strings.TrimPrefix(err.Error(), "json: "))
}

// jsonWord names encoding/json's description of a JSON value in JSON terms.
func jsonWord(v string) string {
	switch {
	case v == "bool":
		return "boolean"
	case strings.HasPrefix(v, "number"):
		return "number"
	case v == "":
		return "value"
	}
	return v // string, array, object
}

// kindWord names what a Go kind expects, in JSON terms, with its article.
func kindWord(kind string) string {
	switch kind {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	}
	return "another kind of value"
}
