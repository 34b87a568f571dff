package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/adapters"
	"github.com/ccfacade/ccfacade/adapters/registry"
	"github.com/ccfacade/ccfacade/catalog"
	"github.com/ccfacade/ccfacade/config"
	"github.com/ccfacade/ccfacade/demo"
	"github.com/ccfacade/ccfacade/fhir/profile"
	"github.com/ccfacade/ccfacade/mapping"
	"github.com/ccfacade/ccfacade/mappingsets"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=...".
var Version = "dev"

const usage = `ccfacade serves the Care Connect API (FHIR STU3, read-only) from an
existing care system's SQL database, as its mapping files describe.

Usage:
  ccfacade serve   [-config file] [-listen addr]    serve the API (no config: the built-in demo)
  ccfacade serve -secure-demo [-secure-demo-ssp]    the built-in demo over HTTPS with JWT on
  ccfacade token [-patient id] [-scope s] [-ssp]    print a token for the secure demo (only)
  ccfacade token -gpconnect record|metadata         print an unsigned GP Connect audit token and
                                                    the Ssp- headers the demo's GP Connect takes
  ccfacade lint    [-config file | -mappings dir] [-adapter name -dsn dsn]
                                                    check mapping files (and the database, if given)
  ccfacade preview [-config file | -mappings dir -adapter name -dsn dsn] Type [id...]
                                                    render one row as its resource, showing the SQL
  ccfacade check   [-config file | -mappings dir -adapter name -dsn dsn]
                                                    check mappings against the live database: tables,
                                                    columns and their types, sample resources against
                                                    their profiles, search parameters without an index
  ccfacade demo load -adapter name -dsn dsn [-patients n] [-seed n]
                                                    create and fill the demo EPR in a database
  ccfacade probe url                                exit 0 when url answers 200 (a health check
                                                    for images without curl)
  ccfacade version                                  print the version

With no -config, serve, lint and preview use the built-in demo: its mapping
files and an embedded SQLite database filled with synthetic patients; serve
also answers GP Connect Access Record: Structured on /gpconnect/fhir.
-mappings (or mappings: in the config) names a folder of mapping files, or
a set shipped in the binary: builtin:demo, builtin:omop (OMOP CDM 5.4).
-profiles (or profiles: in the config) adds folders of FHIR STU3 definitions
(GP Connect's, say) to the built-in STU3 and Care Connect ones; -profiles-r4
(profiles_r4:) folders of FHIR R4 ones to the built-in R4 and UK Core ones.
`

// Run runs the command line args (without the program name).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve", "lint", "preview", "check":
		cmd := sourceCommands[args[0]]
		fs := newFlags(args[0], stderr)
		src := &sourceFlags{}
		src.register(fs, cmd.sample)
		err = cmd.run(ctx, fs, src, args[1:], stdout, stderr)
	case "token":
		err = token(args[1:], stdout, stderr)
	case "probe":
		err = probe(args[1:], stdout)
	case "demo":
		err = demoCmd(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintf(stdout, "ccfacade %s\n", Version)
		return 0
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "ccfacade: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var usageErr *usageError
		if errors.As(err, &usageErr) {
			fmt.Fprintf(stderr, "ccfacade %s: %v\n", args[0], usageErr.msg)
			return 2
		}
		if reportProblems[mapping.Errors](err, stderr, args[0], "the mappings") ||
			reportProblems[profile.Errors](err, stderr, args[0], "the profile definitions") {
			return 1
		}
		fmt.Fprintf(stderr, "ccfacade %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// setup is what serve, lint and preview share: the configuration, the
// mappings and (when asked) an open database.
type setup struct {
	cfg    *config.Config
	set    *mapping.Set
	cat    *catalog.Catalog // what the database says of the set's columns
	db     adapters.Adapter
	demo   bool
	tmpDir string
}

func (s *setup) Close() {
	if s.db != nil {
		s.db.Close()
	}
	if s.tmpDir != "" {
		os.RemoveAll(s.tmpDir)
	}
}

// A sourceCommand is a command that reads a mapping set. Run gives it its
// flag set with the source's flags registered (-config, -mappings,
// -adapter, -dsn, -profiles, -demo-patients and, where sample says what
// it is for, -sample; in src), to which it adds its own before parsing
// args.
type sourceCommand struct {
	run    func(ctx context.Context, fs *flag.FlagSet, src *sourceFlags, args []string, stdout, stderr io.Writer) error
	sample string // the help of -sample; "": the command has none
}

// sourceCommands are the commands that read a mapping set, by name.
var sourceCommands = map[string]sourceCommand{
	"serve":   {run: serve},
	"preview": {run: preview},
	"lint":    {run: lint, sample: "rows per mapping rendered and checked against the profile (with a database)"},
	"check":   {run: check, sample: "rows per mapping rendered and checked against the profile"},
}

// reportProblems prints each problem of a list of them that err holds (the
// mappings' or the profile definitions'), then their count and where they
// are, and reports whether err held one.
func reportProblems[L ~[]E, E any](err error, stderr io.Writer, cmd, where string) bool {
	var list L
	if !errors.As(err, &list) {
		return false
	}
	for _, e := range list {
		fmt.Fprintln(stderr, e)
	}
	fmt.Fprintf(stderr, "ccfacade %s: %d problem(s) in %s\n", cmd, len(list), where)
	return true
}

// parseAndOpen parses args into fs, refusing any left after the flags, then
// opens the source as open does.
func (f *sourceFlags) parseAndOpen(ctx context.Context, fs *flag.FlagSet, args []string, withDB bool, log *slog.Logger) (*setup, error) {
	if err := parseNoArgs(fs, args); err != nil {
		return nil, err
	}
	return f.open(ctx, withDB, log)
}

// parseNoArgs parses args into fs and refuses any left after the flags.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// quietLog is the logger of commands that print their own report: it
// drops every record.
func quietLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

type sourceFlags struct {
	config, mappings, adapter, dsn, profiles, profilesR4 string
	patients                                             int
	sample                                               int // rows per mapping to render and check
}

// register adds the source's flags to fs, and -sample with its help
// where sampleHelp is not empty.
func (f *sourceFlags) register(fs *flag.FlagSet, sampleHelp string) {
	if sampleHelp != "" {
		fs.IntVar(&f.sample, "sample", 25, sampleHelp)
	}
	fs.StringVar(&f.config, "config", "", "configuration file (default: the built-in demo)")
	fs.StringVar(&f.mappings, "mappings", "", "folder of mapping files, or builtin:NAME for a set shipped in the binary ("+strings.Join(mappingsets.Names(), ", ")+"), instead of -config")
	fs.StringVar(&f.adapter, "adapter", "", "database adapter: "+strings.Join(registry.Names(), ", "))
	fs.StringVar(&f.dsn, "dsn", "", "database connection string")
	fs.StringVar(&f.profiles, "profiles", "", "folders of FHIR STU3 definitions (StructureDefinitions, ValueSets, CodeSystems as JSON), comma-separated, added to the built-in STU3 and Care Connect ones, instead of profiles: in -config")
	fs.StringVar(&f.profilesR4, "profiles-r4", "", "folders of FHIR R4 definitions, comma-separated, added to the built-in R4 and UK Core ones (profiles a mapping's r4 section may name), instead of profiles_r4: in -config")
	fs.IntVar(&f.patients, "demo-patients", 200, "patients in the built-in demo database")
}

// open loads the configuration and mappings, and opens and checks the
// database when withDB (the demo database is made and filled on the fly).
func (f *sourceFlags) open(ctx context.Context, withDB bool, log *slog.Logger) (*setup, error) {
	s := &setup{}
	var err error
	switch {
	case f.config != "":
		if f.mappings != "" || f.adapter != "" || f.dsn != "" || f.profiles != "" || f.profilesR4 != "" {
			return nil, &usageError{"give -config, or -mappings with -adapter, -dsn, -profiles and -profiles-r4, not both"}
		}
		if s.cfg, err = config.Load(f.config); err != nil {
			return nil, err
		}
		if s.set, err = loadMappings(s.cfg.Mappings, s.cfg); err != nil {
			return nil, err
		}
	case f.mappings != "":
		cfg := config.Default()
		cfg.Mappings, cfg.Database.Adapter, cfg.Database.DSN = f.mappings, f.adapter, config.Secret(f.dsn)
		cfg.Profiles, cfg.ProfilesR4 = dirList(f.profiles), dirList(f.profilesR4)
		s.cfg = &cfg
		if s.set, err = loadMappings(f.mappings, &cfg); err != nil {
			return nil, err
		}
		if withDB && (f.adapter == "" || f.dsn == "") {
			return nil, &usageError{"-mappings needs -adapter and -dsn here"}
		}
	default:
		cfg := config.Default()
		cfg.Mappings = "(built-in demo)"
		cfg.Profiles, cfg.ProfilesR4 = dirList(f.profiles), dirList(f.profilesR4)
		cfg.GPConnect = demoGPConnect()
		s.cfg, s.demo = &cfg, true
		if s.set, err = loadMappings(config.BuiltinPrefix+"demo", &cfg); err != nil {
			return nil, err
		}
	}
	if !withDB {
		return s, nil
	}
	if s.demo {
		if err := s.openDemo(ctx, f.patients, log); err != nil {
			s.Close()
			return nil, err
		}
	} else {
		d := s.cfg.Database
		s.db, err = registry.Open(ctx, d.Adapter, string(d.DSN), adapters.Options{
			MaxOpenConns: d.MaxOpenConns, MaxIdleConns: d.MaxIdleConns,
			ConnMaxLifetime: time.Duration(d.ConnMaxLifetime), StatementTimeout: time.Duration(d.StatementTimeout),
			ReadOnly: true,
		})
		if err != nil {
			return nil, err
		}
	}
	if s.cat, err = catalog.Load(ctx, s.set, s.db); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// dirList are the folders of a comma-separated flag (-profiles,
// -profiles-r4).
func dirList(flag string) []string {
	var dirs []string
	for _, d := range strings.Split(flag, ",") {
		if d = strings.TrimSpace(d); d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// loadMappings loads a folder of mapping files, or a set shipped in the
// binary when spec is builtin:NAME (builtin:demo, builtin:omop), with the
// profiles of the built-in definitions and of cfg's folders of them.
func loadMappings(spec string, cfg *config.Config) (*mapping.Set, error) {
	reg, err := profile.Load(cfg.Profiles...)
	if err != nil {
		return nil, err
	}
	regR4, err := profile.LoadR4(cfg.ProfilesR4...)
	if err != nil {
		return nil, err
	}
	mc := mapping.Config{Location: cfg.Location(), Profiles: reg, ProfilesR4: regR4}
	name, ok := strings.CutPrefix(spec, config.BuiltinPrefix)
	if !ok {
		return mc.LoadDir(spec)
	}
	fsys, dir, ok := mappingsets.Builtin(name)
	if !ok {
		return nil, fmt.Errorf("no built-in mapping set %q (built in: %s)", name, strings.Join(mappingsets.Names(), ", "))
	}
	return mc.LoadFS(fsys, dir, "mappingsets/"+dir)
}

// openDemo makes the embedded demo database in a temporary file.
func (s *setup) openDemo(ctx context.Context, patients int, log *slog.Logger) error {
	dir, err := os.MkdirTemp("", "ccfacade-demo-")
	if err != nil {
		return err
	}
	s.tmpDir = dir
	dsn := "file:" + filepath.Join(dir, "demo.db")
	start := time.Now()
	db, err := registry.Open(ctx, "sqlite", dsn, adapters.Options{})
	if err != nil {
		return err
	}
	loader, ok := db.(adapters.Loader)
	if !ok {
		db.Close()
		return errors.New("the sqlite adapter cannot load data")
	}
	if err := demo.Load(ctx, loader, demo.Options{Patients: patients, Seed: 1}); err != nil {
		db.Close()
		return fmt.Errorf("demo database: %w", err)
	}
	s.db = db
	s.cfg.Database.Adapter = "sqlite"
	log.Info("demo database ready", "patients", patients, "took", time.Since(start).Round(time.Millisecond).String())
	return nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
