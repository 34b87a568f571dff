// Package config loads the facade's YAML configuration: ${VAR} and
// ${VAR:-default} are substituted as text before parsing (so line numbers
// stay right), unknown keys are errors reported with file:line, durations
// are Go durations, and secrets never print.
package config
