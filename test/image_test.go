package test

import (
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// dockerfile is what the deploy tests read of the Dockerfile.
type dockerfile struct {
	froms    []string // each stage's image, with the ARG defaults put in
	user     string   // the last stage's USER
	args     map[string]string
	commands []string // every instruction, continuation lines joined
}

func readDockerfile(t *testing.T) dockerfile {
	t.Helper()
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	d := dockerfile{args: map[string]string{}}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		d.commands = append(d.commands, line)
		word, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		switch strings.ToUpper(word) {
		case "ARG":
			name, def, _ := strings.Cut(rest, "=")
			if _, seen := d.args[name]; !seen {
				d.args[name] = def
			}
		case "FROM":
			image := strings.Fields(rest)[0]
			image = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`).ReplaceAllStringFunc(image, func(s string) string {
				return d.args[strings.Trim(s, "${}")]
			})
			d.froms = append(d.froms, image)
			d.user = ""
		case "USER":
			d.user = rest
		}
	}
	return d
}

// imageUser is the numeric user and group the image runs as.
func imageUser(t *testing.T) (uid, gid int) {
	t.Helper()
	d := readDockerfile(t)
	u, g, ok := strings.Cut(d.user, ":")
	uid, err1 := strconv.Atoi(u)
	gid, err2 := strconv.Atoi(g)
	if !ok || err1 != nil || err2 != nil || uid == 0 || gid == 0 {
		t.Fatalf("the image's USER is %q: it must be a numeric user and group other than root (Kubernetes' runAsNonRoot checks numbers only)", d.user)
	}
	return uid, gid
}

// The image: built by the Go of go.mod, on images pinned by an exact
// version or a digest, with the version stamped as make build does, run as
// a numeric non-root user; .dockerignore keeps the repository's history,
// binaries and test files out of the build context but not what the build
// needs.
func TestDockerImage(t *testing.T) {
	t.Parallel()
	d := readDockerfile(t)
	if len(d.froms) != 2 {
		t.Fatalf("stages %v, want a build stage and the runtime image", d.froms)
	}
	goMod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	gm := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(goMod)
	if gm == nil {
		t.Fatal("go.mod has no go line")
	}
	goVersion := string(gm[1])
	build, runtime := d.froms[0], d.froms[1]
	if name, tag, _ := strings.Cut(strings.Split(build, "@")[0], ":"); name != "golang" || tag != goVersion && !strings.HasPrefix(tag, goVersion+"-") {
		t.Errorf("the build stage is %s; want golang:%s (go.mod's Go), pinned by that exact version", build, goVersion)
	}
	if !strings.HasPrefix(runtime, "gcr.io/distroless/static-debian") || !strings.Contains(runtime, ":nonroot") && !strings.Contains(runtime, "@sha256:") {
		t.Errorf("the runtime image is %s; want distroless static, its nonroot variant or a digest", runtime)
	}
	for _, f := range d.froms {
		if strings.HasSuffix(f, ":latest") || !strings.Contains(f, ":") {
			t.Errorf("the image %s is not pinned", f)
		}
	}
	if uid, gid := imageUser(t); uid != 65532 || gid != 65532 {
		t.Errorf("the image runs as %d:%d; distroless's nonroot user is 65532:65532", uid, gid)
	}
	makefile, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`-X (\S+)=\$\(VERSION\)`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile stamps no version")
	}
	stamp := "-X " + string(m[1]) + "=${VERSION}"
	if _, ok := d.args["VERSION"]; !ok || !slices.ContainsFunc(d.commands, func(c string) bool { return strings.Contains(c, "go build") && strings.Contains(c, stamp) }) {
		t.Errorf("the image's go build does not stamp the version as the Makefile does (ARG VERSION, %s)", stamp)
	}

	ignore, err := os.ReadFile("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var patterns []*regexp.Regexp
	for _, line := range strings.Split(string(ignore), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "!") {
			t.Fatalf(".dockerignore: this test does not read exceptions (%s)", line)
		}
		patterns = append(patterns, dockerignorePattern(strings.Trim(line, "/")))
	}
	ignored := func(path string) bool {
		parts := strings.Split(path, "/")
		for i := range parts {
			for _, p := range patterns {
				if p.MatchString(strings.Join(parts[:i+1], "/")) {
					return true
				}
			}
		}
		return false
	}
	for _, p := range []string{".git", ".git/config", "bin/ccfacade", "internal/cli/cli.test", "engine/cpu.prof", "test/testdata/x.json"} {
		if !ignored(p) {
			t.Errorf(".dockerignore does not exclude %s", p)
		}
	}
	for _, p := range []string{"go.mod", "go.sum", "cmd/ccfacade/main.go", "internal/cli/cli.go", "mappingsets/demo/patient.yaml", "fhir/profile/careconnect.json.gz", "fhir/profile/stu3core.json.gz", "demo/schema.sql"} {
		if _, err := os.Stat("../" + p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if ignored(p) {
			t.Errorf(".dockerignore excludes %s, which the build needs", p)
		}
	}
}

// dockerignorePattern turns a .dockerignore pattern into a regexp on a
// path: * and ? within a name, ** across names.
func dockerignorePattern(p string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); i++ {
		switch {
		case strings.HasPrefix(p[i:], "**/"):
			b.WriteString("(.*/)?")
			i += 2
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i++
		case p[i] == '*':
			b.WriteString("[^/]*")
		case p[i] == '?':
			b.WriteString("[^/]")
		default:
			b.WriteString(regexp.QuoteMeta(p[i : i+1]))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}
