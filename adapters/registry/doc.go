// Package registry is the one list of database adapters the binary knows,
// written out in registry.go: Open picks an adapter by name, and an unknown
// name is an error that lists the known ones. There is no registration by
// init(); adding an adapter means adding one line to that list (see
// package adapters). Errors never show a DSN's password.
package registry
