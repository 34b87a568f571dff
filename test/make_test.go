package test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// make run and make run-secure take the port to serve on from PORT, and
// each has a default of its own without it.
func TestMakeRunPort(t *testing.T) {
	t.Parallel()
	checkMake(t, "bin/ccfacade serve", []makeCase{
		{[]string{"run", "PORT=9999"}, "serve -listen 127.0.0.1:9999"},
		{[]string{"run"}, "serve -listen 127.0.0.1:8080"},
		{[]string{"run-secure", "PORT=9443"}, "serve -secure-demo -listen 127.0.0.1:9443"},
		{[]string{"run-secure"}, "serve -secure-demo -listen 127.0.0.1:8443"},
	})
}

// make bench measures PostgreSQL at two sizes; BACKENDS adds MySQL or
// MariaDB beside it, PATIENTS chooses the sizes.
func TestMakeBenchBackends(t *testing.T) {
	t.Parallel()
	checkMake(t, "./test/bench", []makeCase{
		{[]string{"bench"}, "go run ./test/bench -backends postgres -patients 100000,1000000 -out docs/benchmarks.md"},
		{[]string{"bench", "BACKENDS=postgres,mysql", "PATIENTS=100000"}, "go run ./test/bench -backends postgres,mysql -patients 100000 -out docs/benchmarks.md"},
	})
}

type makeCase struct {
	args []string
	want string
}

// checkMake runs make -n with each case's arguments and compares the
// end of the line of its commands holding marker.
func checkMake(t *testing.T, marker string, cases []makeCase) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	for _, c := range cases {
		cmd := exec.Command("make", append([]string{"-n", "-C", ".."}, c.args...)...)
		// Neither the variables of the environment nor a calling make's
		// (make test) may stand in for the ones given here.
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); k != "PORT" && k != "BACKENDS" && k != "PATIENTS" && k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %v: %v: %s", c.args, err, out)
		}
		var ran string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, marker) {
				ran = line
			}
		}
		if !strings.HasSuffix(strings.TrimSpace(ran), c.want) {
			t.Errorf("make -n %v runs %q, want it to end in %q", c.args, ran, c.want)
		}
	}
}
