package main

import (
	"encoding/json"
	"fmt"
	"iter"
	"os"
	"path/filepath"
	"strings"
)

// The lists beside this file (summary.txt, searchparams.txt) are text, one
// entry a line, behind a header of comment lines (#).

// eachSpecFile decodes every file of the specification folder dir whose
// name matches pattern (SearchParameter-*.json) into a T and gives it to
// use with the file's name. A folder without such files is an error.
func eachSpecFile[T any](dir, pattern string, use func(file string, v *T) error) error {
	files, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s: no %s", dir, pattern)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if err := use(f, &v); err != nil {
			return err
		}
	}
	return nil
}

// writeList is a list of lines behind header.
func writeList(header string, lines []string) []byte {
	var b strings.Builder
	b.WriteString(header)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return []byte(b.String())
}

// listLines yields each line of a list that is neither blank nor a
// comment, with its number (from 1) and without its line end.
func listLines(data []byte) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		n := 0
		for line := range strings.Lines(string(data)) {
			n++
			line = strings.TrimRight(line, "\r\n")
			if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
				continue
			}
			if !yield(n, line) {
				return
			}
		}
	}
}
