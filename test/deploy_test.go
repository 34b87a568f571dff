package test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ccfacade/ccfacade/config"
	"github.com/ccfacade/ccfacade/internal/demotest"
	"github.com/ccfacade/ccfacade/server"
	"gopkg.in/yaml.v3"
)

// yamlDocs reads every document of a YAML file.
func yamlDocs(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); errors.Is(err, io.EOF) {
			return out
		} else if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, d)
	}
}

// dig follows keys (and list indexes) into a decoded YAML document.
var dig = demotest.At

// parseDeployConfig parses a configuration of the deploy examples with
// the environment they give it.
func parseDeployConfig(t *testing.T, name, text string) *config.Config {
	t.Helper()
	env := func(k string) (string, bool) {
		switch k {
		case "CCFACADE_DSN":
			return "postgres://u:p@db:5432/epr", true
		case "CCFACADE_PAGING_SECRET":
			return "a-secret", true
		}
		return "", false
	}
	cfg, err := config.Parse(name, []byte(text), env)
	if err != nil {
		t.Fatalf("%s does not parse: %v", name, err)
	}
	return cfg
}

func port(t *testing.T, addr string) int {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// The health endpoints the examples probe exist and answer on the admin
// handler the facade serves.
func checkProbePaths(t *testing.T, paths ...string) {
	e := sqliteEnv(t)
	admin := httptest.NewServer(server.AdminHandler(server.Options{Engine: e.eng, Logger: demotest.Silent()}, false))
	defer admin.Close()
	for _, p := range paths {
		if r := get(t, admin.URL+p); r.status != 200 {
			t.Errorf("the examples probe %s, which answers %d", p, r.status)
		}
	}
}

// The Kubernetes example: two replicas sharing the paging secret from a
// Secret, probes on the admin port's /livez and /readyz, requests and
// limits with GOMEMLIMIT under the limit, a PodDisruptionBudget over the
// same pods, and a configuration the facade accepts.
func TestKubernetesExample(t *testing.T) {
	t.Parallel()
	dir := "../deploy/kubernetes/"
	var deploy, service, pdb map[string]any
	for _, d := range yamlDocs(t, dir+"deployment.yaml") {
		switch d["kind"] {
		case "Deployment":
			deploy = d
		case "Service":
			service = d
		case "PodDisruptionBudget":
			pdb = d
		}
	}
	if deploy == nil || service == nil || pdb == nil {
		t.Fatal("deployment.yaml needs a Deployment, a Service and a PodDisruptionBudget")
	}
	cm := yamlDocs(t, dir+"configmap.yaml")[0]
	secret := yamlDocs(t, dir+"secret.yaml")[0]
	cfg := parseDeployConfig(t, "configmap.yaml", dig(cm, "data", "config.yaml").(string))

	if r := dig(deploy, "spec", "replicas"); r != 2 {
		t.Errorf("replicas %v, want 2", r)
	}
	labels := dig(deploy, "spec", "template", "metadata", "labels").(map[string]any)
	for _, sel := range []any{dig(deploy, "spec", "selector", "matchLabels"), dig(pdb, "spec", "selector", "matchLabels"), dig(service, "spec", "selector")} {
		for k, v := range sel.(map[string]any) {
			if labels[k] != v {
				t.Errorf("a selector %v does not select the pods %v", sel, labels)
			}
		}
	}
	c := dig(deploy, "spec", "template", "spec", "containers", 0)
	ports := map[string]int{}
	for _, p := range dig(c, "ports").([]any) {
		ports[dig(p, "name").(string)] = dig(p, "containerPort").(int)
	}
	if ports["http"] != port(t, cfg.Server.Listen) || ports["admin"] != port(t, cfg.Server.AdminListen) {
		t.Errorf("container ports %v; the configuration listens on %s and %s", ports, cfg.Server.Listen, cfg.Server.AdminListen)
	}
	var paths []string
	for _, probe := range []string{"livenessProbe", "readinessProbe"} {
		path, _ := dig(c, probe, "httpGet", "path").(string)
		if p := dig(c, probe, "httpGet", "port"); p != "admin" {
			t.Errorf("%s on port %v, want admin", probe, p)
		}
		paths = append(paths, path)
	}
	if paths[0] != "/livez" || paths[1] != "/readyz" {
		t.Errorf("probes %v", paths)
	}
	checkProbePaths(t, paths...)
	env := map[string]any{}
	for _, e := range dig(c, "env").([]any) {
		env[dig(e, "name").(string)] = e
	}
	for name, key := range map[string]string{"CCFACADE_PAGING_SECRET": "paging-secret", "CCFACADE_DSN": "dsn"} {
		ref := dig(env[name], "valueFrom", "secretKeyRef")
		if dig(ref, "name") != dig(secret, "metadata", "name") || dig(ref, "key") != key || dig(secret, "stringData", key) == nil {
			t.Errorf("%s does not come from the Secret's %s: %v", name, key, ref)
		}
	}
	if !strings.Contains(cfg.Paging.Secret.String(), "secret") || string(cfg.Paging.Secret) != "a-secret" {
		t.Error("the configuration does not take paging.secret from CCFACADE_PAGING_SECRET")
	}
	mem := mebibytes(t, dig(c, "resources", "limits", "memory").(string))
	goMem := mebibytes(t, dig(env["GOMEMLIMIT"], "value").(string))
	if dig(c, "resources", "requests", "memory") == nil || goMem <= 0 || goMem >= mem {
		t.Errorf("GOMEMLIMIT %d MiB must be set below the memory limit %d MiB", goMem, mem)
	}
	mount := dig(c, "volumeMounts", 0, "mountPath").(string)
	args := dig(c, "args").([]any)
	if len(args) != 3 || args[0] != "serve" || args[1] != "-config" || args[2] != mount+"/config.yaml" {
		t.Errorf("args %v do not name the mounted configuration %s/config.yaml", args, mount)
	}
	checkRestricted(t, dig(deploy, "spec", "template", "spec"))
	checkNoProxyTrusted(t, cfg)
}

// checkRestricted checks a pod against Kubernetes' "restricted" Pod
// Security Standard, and that it runs as the image's numeric user (the
// kubelet refuses runAsNonRoot for a user given by name).
func checkRestricted(t *testing.T, pod any) {
	t.Helper()
	uid, gid := imageUser(t)
	sc := dig(pod, "securityContext")
	if dig(sc, "runAsNonRoot") != true || dig(sc, "runAsUser") != uid || dig(sc, "runAsGroup") != gid {
		t.Errorf("the pod's securityContext %v: want runAsNonRoot true, runAsUser %d and runAsGroup %d (the image's user)", sc, uid, gid)
	}
	if dig(sc, "seccompProfile", "type") != "RuntimeDefault" {
		t.Errorf("the pod's seccompProfile is %v, want RuntimeDefault", dig(sc, "seccompProfile"))
	}
	if dig(pod, "automountServiceAccountToken") != false {
		t.Error("the pod mounts a service account token it does not use")
	}
	for _, c := range dig(pod, "containers").([]any) {
		csc := dig(c, "securityContext")
		if dig(csc, "allowPrivilegeEscalation") != false || dig(csc, "readOnlyRootFilesystem") != true {
			t.Errorf("container %v: securityContext %v: want allowPrivilegeEscalation false and readOnlyRootFilesystem true", dig(c, "name"), csc)
		}
		if drop, _ := dig(csc, "capabilities", "drop").([]any); !slices.Contains(drop, any("ALL")) || dig(csc, "capabilities", "add") != nil {
			t.Errorf("container %v: capabilities %v: want drop [ALL] and nothing added", dig(c, "name"), dig(csc, "capabilities"))
		}
		if u := dig(csc, "runAsUser"); u != nil && u != uid {
			t.Errorf("container %v runs as %v, not the image's user %d", dig(c, "name"), u, uid)
		}
	}
	for _, v := range dig(pod, "volumes").([]any) {
		if dig(v, "hostPath") != nil {
			t.Errorf("volume %v is a hostPath", dig(v, "name"))
		}
	}
}

// checkNoProxyTrusted: an example trusts no proxy until its reader names
// their ingress; a private range would let any pod or host in it set the
// client address the audit trail records.
func checkNoProxyTrusted(t *testing.T, cfg *config.Config) {
	t.Helper()
	if len(cfg.Server.TrustedProxies) != 0 {
		t.Errorf("server.trusted_proxies %v: the example must trust no proxy by default", cfg.Server.TrustedProxies)
	}
}

func mebibytes(t *testing.T, s string) int {
	for suffix, mul := range map[string]int{"Mi": 1, "MiB": 1, "Gi": 1024, "GiB": 1024} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err == nil {
				return v * mul
			}
		}
	}
	t.Fatalf("memory %q", s)
	return 0
}

// The compose example: PostgreSQL, a one-off demo load, and the facade
// with a configuration it accepts, its ports and a readiness health check.
func TestComposeExample(t *testing.T) {
	t.Parallel()
	dir := "../deploy/compose/"
	doc := yamlDocs(t, dir+"compose.yaml")[0]
	text, err := os.ReadFile(dir + "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := parseDeployConfig(t, "compose/config.yaml", string(text))
	f := dig(doc, "services", "facade")
	if f == nil || dig(doc, "services", "postgres") == nil || dig(doc, "services", "load-demo") == nil {
		t.Fatal("compose.yaml needs the services postgres, load-demo and facade")
	}
	cmd := dig(f, "command").([]any)
	vol := dig(f, "volumes", 0).(string)
	if len(cmd) != 3 || cmd[0] != "serve" || !strings.HasSuffix(vol, ":"+cmd[2].(string)+":ro") || !strings.HasPrefix(vol, "./config.yaml:") {
		t.Errorf("the facade's command %v does not read the mounted config (%s)", cmd, vol)
	}
	published := map[int]bool{}
	for _, p := range dig(f, "ports").([]any) {
		parts := strings.Split(p.(string), ":")
		n, _ := strconv.Atoi(parts[len(parts)-1])
		published[n] = true
	}
	if !published[port(t, cfg.Server.Listen)] || !published[port(t, cfg.Server.AdminListen)] {
		t.Errorf("ports %v; the configuration listens on %s and %s", published, cfg.Server.Listen, cfg.Server.AdminListen)
	}
	hc := dig(f, "healthcheck", "test").([]any)
	if len(hc) != 4 || hc[2] != "probe" || !strings.HasSuffix(hc[3].(string), ":"+strconv.Itoa(port(t, cfg.Server.AdminListen))+"/readyz") {
		t.Errorf("healthcheck %v", hc)
	}
	checkProbePaths(t, "/readyz")
	load := dig(doc, "services", "load-demo", "command").([]any)
	if load[0] != "demo" || load[1] != "load" {
		t.Errorf("load-demo runs %v", load)
	}
	if dig(f, "environment", "GOMEMLIMIT") == nil || dig(f, "environment", "CCFACADE_PAGING_SECRET") == nil {
		t.Error("the facade needs GOMEMLIMIT and the paging secret")
	}
	checkNoProxyTrusted(t, cfg)
	// The services of the image run as it does on Kubernetes: its numeric
	// user, a read-only root file system, no capabilities, no privilege
	// escalation.
	uid, gid := imageUser(t)
	for _, name := range []string{"facade", "load-demo"} {
		svc := dig(doc, "services", name)
		if u := dig(svc, "user"); u != fmt.Sprintf("%d:%d", uid, gid) {
			t.Errorf("%s runs as %v, want the image's %d:%d", name, u, uid, gid)
		}
		if dig(svc, "read_only") != true {
			t.Errorf("%s: read_only is not true", name)
		}
		if drop, _ := dig(svc, "cap_drop").([]any); !slices.Contains(drop, any("ALL")) || dig(svc, "cap_add") != nil {
			t.Errorf("%s: cap_drop %v, want [ALL]", name, dig(svc, "cap_drop"))
		}
		if opts, _ := dig(svc, "security_opt").([]any); !slices.Contains(opts, any("no-new-privileges:true")) {
			t.Errorf("%s: security_opt %v, want no-new-privileges:true", name, opts)
		}
	}
}
