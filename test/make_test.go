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
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "PORT=9999"}, "serve -listen 127.0.0.1:9999"},
		{[]string{"run"}, "serve -listen 127.0.0.1:8080"},
		{[]string{"run-secure", "PORT=9443"}, "serve -secure-demo -listen 127.0.0.1:9443"},
		{[]string{"run-secure"}, "serve -secure-demo -listen 127.0.0.1:8443"},
	} {
		cmd := exec.Command("make", append([]string{"-n", "-C", ".."}, c.args...)...)
		// Neither a PORT of the environment nor a calling make's
		// variables (make test) may stand in for the ones given here.
		for _, kv := range os.Environ() {
			if k, _, _ := strings.Cut(kv, "="); k != "PORT" && k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("make -n %v: %v: %s", c.args, err, out)
		}
		var ran string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, "bin/ccfacade serve") {
				ran = line
			}
		}
		if !strings.HasSuffix(strings.TrimSpace(ran), c.want) {
			t.Errorf("make -n %v runs %q, want it to end in %q", c.args, ran, c.want)
		}
	}
}
