// Package mappingsets embeds the mapping sets that ship with the binary.
// They are data, not code: the demo set maps the built-in demo EPR and is
// the worked example for anyone writing mappings for their own schema.
package mappingsets

import "embed"

// Demo holds the demo EPR's mapping files, in the folder "demo".
//
//go:embed demo/*.yaml
var Demo embed.FS
