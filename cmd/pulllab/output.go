package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// writeOutput is the one rule for every file pulllab writes at a path the
// user names with flag: the file is created (or, with overwrite, replaced
// atomically: a temporary file in the same directory, then a rename), but a
// directory that does not exist is never created — a typo in a path must not
// leave new directory trees behind. "-" (stdout) is the caller's to handle.
// Without overwrite an existing file gives an error wrapping fs.ErrExist.
func writeOutput(path string, data []byte, overwrite bool, flag string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usagef("%s is a directory; give a file name with %s", path, flag)
	} else if err == nil && !overwrite {
		return fmt.Errorf("%s: %w", path, fs.ErrExist)
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return usagef("the directory %s does not exist; create it first, or give %s a path in an existing directory (- writes to stdout)", dir, flag)
	} else if err == nil && !st.IsDir() {
		return usagef("%s is not a directory, so %s cannot be written there", dir, path)
	}
	tmp, err := os.CreateTemp(dir, ".pulllab-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
	}
	if !overwrite {
		// the check above raced with nobody in practice, but a hard link
		// refuses to replace a file that appeared meanwhile
		if err := os.Link(tmp.Name(), path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("%s: %w", path, fs.ErrExist)
			}
			return fmt.Errorf("writing %s: %w", path, unwrapPath(err))
		}
		return nil
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, unwrapPath(err))
	}
	return nil
}

// unwrapPath drops the *fs.PathError wrapper, whose text repeats a
// temporary file's name; the caller names the user's path instead.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
