// Package cli is the ccfacade command: it parses subcommands and flags and
// wires configuration, adapters, mappings, the engine and the HTTP server
// together. main calls Run; tests call it too.
package cli
