package test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// layers rank the project's packages: a package imports only packages of
// a lower rank (dependencies point one way, down). Leaves first; a new
// package must be given its place here. fhir/spec, the shape of the
// release tables, is below the leaves fhir/stu3 and fhir/r4 that fill it.
var layers = map[string]int{
	"fhir/spec": -1, "textfn": 0, "fhir": 0, "fhir/stu3": 0, "fhir/r4": 0, "config": 0, "audit": 0, "auth": 0, "mappingsets": 0,
	"fhir/profile": 1, "adapters": 1,
	"mapping": 2, "adapters/sqlgen": 2, "adapters/sqlite": 2, "adapters/postgres": 2, "adapters/sqlserver": 2, "adapters/mysql": 2, "demo": 2,
	"catalog": 3, "adapters/registry": 3,
	"engine": 4, "gpconnect": 5,
	"server": 6,
	// Helpers of tests and tools: above what they exercise.
	"internal/dbtest": 0, "internal/tabletest": 0, "internal/spectest": 7, "adapters/adaptertest": 6, "internal/pgtest": 6, "internal/mssqltest": 6, "internal/mysqltest": 6, "internal/authtest": 6,
	"internal/gen/profilegen": 6, "internal/gen/stu3gen": 6, "internal/demotest": 7, "internal/fhirvalid": 0,
	"internal/cli": 8, "cmd/ccfacade": 9, "test": 9, "test/bench": 9, "test/bench/memory": 9,
}

// onlyIn names the outside packages that one layer alone may import.
var onlyIn = map[string][]string{
	"github.com/gin-gonic/gin":             {"server"},
	"github.com/lib/pq":                    {"adapters/postgres", "internal/pgtest", "test/bench"}, // the benchmark runs the bare statements: its floor
	"modernc.org/sqlite":                   {"adapters/sqlite"},
	"github.com/microsoft/go-mssqldb":      {"adapters/sqlserver", "internal/mssqltest"},
	"github.com/go-sql-driver/mysql":       {"adapters/mysql", "internal/mysqltest"},
	"github.com/lestrrat-go/jwx/v2/jwt":    {"auth", "internal/authtest", "internal/cli"},
	"github.com/google/fhir/go/jsonformat": {"internal/fhirvalid"}, // the tests' STU3 and R4 validators, never in the binary
}

const module = "github.com/ccfacade/ccfacade"

// The import graph of the project's own code (tests apart) has no arrow
// back up, every package has a place in the layers, and each driver and
// the HTTP framework are imported where they belong only.
func TestImportsPointDown(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		rank, ok := layers[name]
		if !ok {
			t.Errorf("package %s has no place in the layers (test/arch_test.go)", name)
			continue
		}
		for _, imp := range p.Imports {
			if allowed, ok := onlyIn[imp]; ok && !slices.Contains(allowed, name) {
				t.Errorf("%s imports %s, which only %v may", name, imp, allowed)
			}
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			if r, ok := layers[dep]; ok && r >= rank {
				t.Errorf("%s (layer %d) imports %s (layer %d): an arrow up or sideways", name, rank, dep, r)
			}
			if strings.HasPrefix(dep, "internal/") && rank < layers["internal/pgtest"] {
				t.Errorf("%s imports %s: the product's packages do not reach into internal/", name, dep)
			}
		}
	}
	if seen < 20 {
		t.Fatalf("go list found %d packages", seen)
	}
}

// Every end-to-end test runs side by side with the others: its first
// statement is t.Parallel() (see doc.go).
func TestEndToEndTestsRunInParallel(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*_test.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("test files: %v", err)
	}
	tests := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || fn.Name.Name == "TestMain" || fn.Body == nil {
				continue
			}
			tests++
			parallel := false
			if len(fn.Body.List) > 0 {
				if es, ok := fn.Body.List[0].(*ast.ExprStmt); ok {
					if call, ok := es.X.(*ast.CallExpr); ok {
						if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Parallel" {
							x, ok := sel.X.(*ast.Ident)
							parallel = ok && x.Name == "t"
						}
					}
				}
			}
			if !parallel {
				t.Errorf("%s: %s does not begin with t.Parallel()", fset.Position(fn.Pos()), fn.Name.Name)
			}
		}
	}
	if tests < 80 {
		t.Errorf("found %d tests, want the package's 80 and more", tests)
	}
}
