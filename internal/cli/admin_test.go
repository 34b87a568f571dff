package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The admin listener closes idle kept-alive connections after
// server.idle_timeout, like the API's, and a profiler reachable from
// other hosts is warned of.
func TestAdminListenerClosesIdleConnections(t *testing.T) {
	dir := t.TempDir()
	mappings, _ := filepath.Abs("../../mappingsets/demo")
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("server:\n  listen: 127.0.0.1:0\n  admin_listen: 0.0.0.0:0\n  pprof: true\n  idle_timeout: 300ms\ndatabase: { adapter: sqlite, dsn: \"%s\" }\nmappings: %s\n", demoDB(t), mappings)), 0o600)
	var logs syncBuffer
	m, stop := startServeLogs(t, []string{"serve", "-config", cfg}, &logs, regexp.MustCompile(`serving (http://\S+/fhir)`), regexp.MustCompile(`admin on http://(\S+) `))
	defer stop()
	if !strings.Contains(logs.String(), "server.pprof is on and server.admin_listen is reachable from other hosts") {
		t.Errorf("no warning of a profiler on every interface:\n%s", logs.String())
	}
	api, err := url.Parse(m[0][1])
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(m[1][1])
	for name, addr := range map[string]string{"admin": "127.0.0.1:" + port, "api": api.Host} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /livez HTTP/1.1\r\nHost: x\r\n\r\n")
		br := bufio.NewReader(conn)
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		// The server must close the connection: a generous deadline, far
		// past the idle timeout, on a loaded machine.
		conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
			t.Errorf("%s listener: an idle kept-alive connection was not closed: %v", name, err)
		}
	}
}
