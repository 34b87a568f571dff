// Package mappingsets embeds the mapping sets that ship with the binary,
// and their GP Connect overlays.
// They are data, not code: the demo set maps the built-in demo EPR and is
// the worked example for anyone writing mappings for their own schema; the
// omop set maps an OHDSI OMOP Common Data Model 5.4 database.
package mappingsets

import (
	"embed"
	"io/fs"
	"sort"
)

// Demo holds the demo EPR's mapping files, in the folder "demo".
//
//go:embed demo/*.yaml
var Demo embed.FS

// OMOP holds the OMOP CDM 5.4 mapping files, in the folder "omop".
//
//go:embed omop/*.yaml
var OMOP embed.FS

// GPConnect holds the shipped sets' GP Connect overlays, in the folder
// "gpconnect", one a set (demo.yaml): what the GP Connect rendering of a
// set's resources needs that its Care Connect mappings do not say.
//
//go:embed gpconnect/*.yaml
var GPConnect embed.FS

// GPConnectOverlay returns a shipped set's GP Connect overlay by the set's
// name, and whether it has one.
func GPConnectOverlay(name string) ([]byte, bool) {
	b, err := fs.ReadFile(GPConnect, "gpconnect/"+name+".yaml")
	return b, err == nil
}

// builtin names the shipped sets: the embedded files and their folder.
var builtin = map[string]embed.FS{
	"demo": Demo,
	"omop": OMOP,
}

// Builtin returns a shipped set by name ("demo", "omop"): the files, and
// the folder in them that holds its mappings.
func Builtin(name string) (fsys fs.FS, dir string, ok bool) {
	f, ok := builtin[name]
	if !ok {
		return nil, "", false
	}
	return f, name, true
}

// Names lists the shipped sets, sorted.
func Names() []string {
	out := make([]string, 0, len(builtin))
	for n := range builtin {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
