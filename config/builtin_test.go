package config

import (
	"path/filepath"
	"testing"
)

// A built-in mapping set is named, not a folder: it is not made relative
// to the configuration file.
func TestBuiltinMappings(t *testing.T) {
	cfg, err := Parse(filepath.Join("conf", "c.yaml"), []byte("database:\n  adapter: postgres\n  dsn: x\nmappings: builtin:omop\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mappings != "builtin:omop" {
		t.Errorf("mappings %q", cfg.Mappings)
	}
	cfg, err = Parse(filepath.Join("conf", "c.yaml"), []byte("database:\n  adapter: postgres\n  dsn: x\nmappings: omop\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mappings != filepath.Join("conf", "omop") {
		t.Errorf("a folder is relative to the configuration file: %q", cfg.Mappings)
	}
}
