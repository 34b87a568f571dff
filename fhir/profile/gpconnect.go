package profile

import (
	_ "embed"
	"sync"
)

// The GP Connect definitions, written by internal/gen/profilegen.
//
//go:embed gpconnect.json.gz
var gpConnectData []byte

// GPConnect is the registry of the built-in definitions (Builtin) and
// GP Connect's STU3 profiles for Access Record: Structured 1.6: its
// CareConnect-GPC-* and GPConnect-* profiles, their extensions (and the
// Care Connect extensions they use), value sets and code systems. Builtin
// is left as it is.
var GPConnect = sync.OnceValue(func() *Registry {
	return newBuiltin("built-in GP Connect definitions", Builtin(), false, embedded{"gpconnect.json.gz", gpConnectData})
})
