package cli

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// shellWords splits a command line as a POSIX shell would for the forms
// serve prints: bare words, '…' and "…" (a $(…) inside double quotes stays
// as it is, for the caller to run).
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '\'' && c == '\'', quote == '"' && c == '"':
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if quote != 0 {
		t.Fatalf("unclosed quote in %q", line)
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

var cliSubst = regexp.MustCompile(`\$\(bin/ccfacade ([^)]*)\)`)

// With -secure-demo-ssp, the curl command serve prints works as printed:
// its token has the SSP claims and it sends the Ssp- headers (and paths
// with spaces are quoted).
func TestSecureDemoSSPTryCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "secure demo")
	m, stop := startServe(t, []string{"serve", "-secure-demo", "-secure-demo-ssp", "-secure-demo-dir", dir, "-listen", "127.0.0.1:0"},
		regexp.MustCompile(`(?m)^try: (curl .*)$`))
	defer stop()
	words := shellWords(t, m[0][1])
	var cert, target string
	headers := http.Header{}
	for i := 1; i < len(words); i++ {
		switch w := words[i]; {
		case (w == "--cacert" || w == "-H") && i+1 < len(words):
			i++
			if w == "--cacert" {
				cert = words[i]
				continue
			}
			// Run the command substitutions of a header with this CLI.
			v := cliSubst.ReplaceAllStringFunc(words[i], func(s string) string {
				args := shellWords(t, cliSubst.FindStringSubmatch(s)[1])
				code, out, errs := run(t, args...)
				if code != 0 {
					t.Fatalf("%s: %d %s", s, code, errs)
				}
				return strings.TrimSpace(out)
			})
			name, value, ok := strings.Cut(v, ":")
			if !ok {
				t.Fatalf("header %q", v)
			}
			headers.Add(strings.TrimSpace(name), strings.TrimSpace(value))
		case strings.HasPrefix(w, "-"):
			t.Fatalf("the printed command has an option this test does not know: %s", w)
		default:
			target = w
		}
	}
	for _, h := range []string{"Authorization", "Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID"} {
		if headers.Get(h) == "" {
			t.Errorf("the printed command sends no %s header: %s", h, m[0][1])
		}
	}
	pem, err := os.ReadFile(cert)
	if err != nil {
		t.Fatalf("the printed certificate: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("the printed certificate is not PEM")
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 30 * time.Second}
	req, err := http.NewRequest("GET", target, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = headers
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"resourceType":"Patient"`) {
		t.Errorf("the printed command: %d %s", res.StatusCode, truncateStr(string(body), 400))
	}
	// GP Connect, whose tokens are unsigned, is not served: every base the
	// secure demo serves demands a signed token.
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	res, err = client.Post(u.Scheme+"://"+u.Host+"/gpconnect/fhir/Patient/$gpc.getstructuredrecord", "application/fhir+json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(body), "GPConnect-OperationOutcome-1") || res.StatusCode == 200 {
		t.Errorf("the secure demo serves GP Connect: %d %s", res.StatusCode, truncateStr(string(body), 300))
	}
}
