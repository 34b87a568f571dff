package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccfacade/ccfacade/mapping"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// The shipped example loads, and its mappings folder is the demo set.
func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse("../config.example.yaml", data, env(map[string]string{"CCFACADE_DSN": "postgres://u:hunter2@db/epr"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Database.Adapter != "postgres" || string(cfg.Database.DSN) != "postgres://u:hunter2@db/epr" {
		t.Errorf("database %+v", cfg.Database)
	}
	if cfg.Mappings != filepath.Join("..", "mappingsets", "demo") {
		t.Errorf("mappings %q", cfg.Mappings)
	}
	if time.Duration(cfg.Database.StatementTimeout) != 30*time.Second || cfg.Paging.MaxCount != 1000 || cfg.Database.StatementCache != 256 {
		t.Errorf("durations and paging: %+v %+v", cfg.Database, cfg.Paging)
	}
	if s := fmt.Sprintf("%v %s", cfg.Database.DSN, cfg.Paging.Secret); strings.Contains(s, "hunter2") {
		t.Errorf("a secret printed: %s", s)
	}
	// GP Connect is described, off, with the demo set's overlay beside it.
	if g := cfg.GPConnect; g.Enabled || g.Path != "/gpconnect/fhir" || g.Overlay != filepath.Join("..", "mappingsets", "gpconnect", "demo.yaml") {
		t.Errorf("gpconnect %+v", g)
	}
	if _, err := os.Stat(cfg.GPConnect.Overlay); err != nil {
		t.Errorf("the example's GP Connect overlay: %v", err)
	}
	// Its mappings lint clean.
	if _, err := mapping.LoadDir(cfg.Mappings, cfg.Location()); err != nil {
		t.Errorf("the example's mappings: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct{ text, want string }{
		{"database:\n  adapter: postgres\n  dsn: x\n  colour: blue\nmappings: m\n", `c.yaml:4: unknown key "colour" in Database`},
		{"database:\n  adapter: postgres\n  dsn: ${NOPE}\nmappings: m\n", "c.yaml:3: environment variable NOPE is not set"},
		{"database:\n  adapter: postgres\n  dsn: x\n  statement_timeout: soon\nmappings: m\n", `"soon" is not a duration`},
		{"database:\n  adapter: postgres\n  dsn: x\n  statement_cache: -1\nmappings: m\n", "database.statement_cache is a number of statements (0: off), not -1"},
		{"database:\n  adapter: postgres\n  dsn: x\nmappings: m\ntimezone: Mars/Base\n", `timezone "Mars/Base"`},
		{"mappings: m\n", "database.adapter is required"},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\nauth: {mode: jwt, jwt: {jwks_file: k, issuers: [i], audiences: [a]}, ssp: {enabled: true}}\n", "auth.ssp.asid is required"},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\nserver: {trusted_proxies: [10.0.0.0/33]}\n", `"10.0.0.0/33" is not an IP address or CIDR`},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\nserver: {base_url: \"fhir.example/fhir\"}\n", "not an absolute http(s) URL"},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\nserver: {r4_path: /fhir/r4}\n", `server.r4_path "/fhir/r4" is the Care Connect API's base`},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\nserver: {r4_path: R4}\n", `server.r4_path "R4" is not a path`},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\nserver: {r4_base_url: \"x.nhs.uk/R4\"}\n", `server.r4_base_url "x.nhs.uk/R4" is not an absolute http(s) URL`},
		{"", "the configuration is empty"},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\ngpconnect: {enabled: true}\n", "gpconnect.asid is required"},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\ngpconnect: {enabled: true, asid: \"1\", path: /fhir/gpc}\n", "is the Care Connect API's base (/fhir) or under it"},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\ngpconnect: {enabled: true, asid: \"1\", path: gpc}\n", `gpconnect.path "gpc" is not a path`},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\ngpconnect: {enabled: true, asid: \"1\", path: /R4/gpc}\n", `gpconnect.path "/R4/gpc" and server.r4_path "/R4" overlap`},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\nserver: {r4_path: /gpconnect/fhir/R4}\ngpconnect: {enabled: true, asid: \"1\"}\n", `gpconnect.path "/gpconnect/fhir" and server.r4_path "/gpconnect/fhir/R4" overlap`},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\ngpconnect: {enabled: true, asid: \"1\", area: [allergies]}\n", `unknown key "area" in GPConnect`},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\ngpconnect: {enabled: true, asid: \"1\", practices: [B81001, \"B8 1002\"]}\n", `gpconnect.practices[1] "B8 1002" is not an ODS code`},
		{"database: {adapter: sqlite, dsn: x}\nmappings: m\nauth: {mode: jwt, jwt: {jwks_url: \"https://idp.example/jwks\", issuers: [i], audiences: [a]}}\ngpconnect: {enabled: true, asid: \"1\"}\n", "gpconnect.enabled needs server.tls.client_ca_file when auth.mode is not none"},
	}
	for _, c := range cases {
		_, err := Parse("c.yaml", []byte(c.text), env(nil))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.text, err, c.want)
		}
	}
	// GP Connect: its overlay is relative to the configuration file unless
	// it names a shipped one; areas absent is nil (every area), [] none.
	cfg, err := Parse(filepath.Join("conf", "c.yaml"), []byte("database: {adapter: sqlite, dsn: x}\nmappings: m\ngpconnect: {enabled: true, asid: \"918999198738\", overlay: gpc.yaml, areas: []}\n"), env(nil))
	if err != nil || cfg.GPConnect.Overlay != filepath.Join("conf", "gpc.yaml") || cfg.GPConnect.Areas == nil || cfg.GPConnect.Path != "/gpconnect/fhir" {
		t.Errorf("gpconnect: %+v %v", cfg.GPConnect, err)
	}
	cfg, err = Parse(filepath.Join("conf", "c.yaml"), []byte("database: {adapter: sqlite, dsn: x}\nmappings: m\ngpconnect: {enabled: true, asid: \"1\", overlay: \"builtin:demo\"}\n"), env(nil))
	if err != nil || cfg.GPConnect.Overlay != "builtin:demo" || cfg.GPConnect.Areas != nil {
		t.Errorf("gpconnect with a shipped overlay: %+v %v", cfg.GPConnect, err)
	}
	cfg, err = Parse("c.yaml", []byte("database:\n  adapter: sqlite\n  dsn: ${DB:-file:x.db}\nmappings: /abs\n"), env(nil))
	if err != nil || cfg.Database.DSN != "file:x.db" || cfg.Mappings != "/abs" {
		t.Errorf("default value: %+v %v", cfg, err)
	}
}

// profiles: folders are relative to the configuration file.
func TestProfilesRelativeToConfig(t *testing.T) {
	cfg, err := Parse("etc/c.yaml", []byte("database: { adapter: sqlite, dsn: x }\nmappings: m\nprofiles: [gpconnect, /opt/defs]\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Join("etc", "gpconnect"), "/opt/defs"}; strings.Join(cfg.Profiles, ",") != strings.Join(want, ",") {
		t.Errorf("profiles %q, want %q", cfg.Profiles, want)
	}
	if _, err := Parse("c.yaml", []byte("database: { adapter: sqlite, dsn: x }\nmappings: m\nprofiles: [\"\"]\n"), env(nil)); err == nil || !strings.Contains(err.Error(), "profiles: an empty folder name") {
		t.Errorf("an empty folder: %v", err)
	}
}

// A configuration whose base_url does not end in /fhir, written before R4
// was served, still loads: R4 is then not served, and serve says why.
func TestR4UnplacedStillLoads(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("database: {adapter: sqlite, dsn: x}\nmappings: m\nserver: {base_url: \"https://x.nhs.uk/api\"}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if why := cfg.Server.R4Unplaced(); !strings.Contains(why, "set server.r4_base_url") {
		t.Errorf("R4Unplaced: %q", why)
	}
	for _, doc := range []string{
		"database: {adapter: sqlite, dsn: x}\nmappings: m\nserver: {base_url: \"https://x.nhs.uk/api\", r4_base_url: \"https://x.nhs.uk/r4\"}\n",
		"database: {adapter: sqlite, dsn: x}\nmappings: m\nserver: {base_url: \"https://x.nhs.uk/fhir\"}\n",
		"database: {adapter: sqlite, dsn: x}\nmappings: m\nserver: {base_url: \"https://x.nhs.uk/api\", r4_path: \"\"}\n",
	} {
		cfg, err := Parse("c.yaml", []byte(doc), env(nil))
		if err != nil || cfg.Server.R4Unplaced() != "" {
			t.Errorf("%s: %v %q", doc, err, cfg.Server.R4Unplaced())
		}
	}
}
