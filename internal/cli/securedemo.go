package cli

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ccfacade/ccfacade/auth"
	"github.com/ccfacade/ccfacade/config"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
)

// The secure demo: the built-in demo over HTTPS with JWT authentication,
// for a newcomer to try the secure side. Its certificate and its token
// signing key are made on first use in a folder of the user's cache; its
// issuer and audience are the demo's own, so that no other configuration
// trusts its tokens, and `ccfacade token` signs only with this key.
const (
	demoIssuer   = "https://secure-demo.ccfacade.invalid"
	demoAudience = "ccfacade-secure-demo"
	demoKID      = "ccfacade-secure-demo"
	demoASID     = "200000000359"
	// demoConsumerASID is the ASID a consumer of the demo sends as Ssp-From.
	demoConsumerASID = "200000000117"
)

// secureDemoDir is where the secure demo keeps its certificate and keys.
func secureDemoDir(flagDir string) (string, error) {
	if flagDir != "" {
		return flagDir, nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "ccfacade", "secure-demo"), nil
}

type demoFiles struct {
	dir, cert, key, signKey, jwks string
}

func demoPaths(dir string) demoFiles {
	return demoFiles{dir: dir, cert: filepath.Join(dir, "cert.pem"), key: filepath.Join(dir, "key.pem"),
		signKey: filepath.Join(dir, "signing-key.json"), jwks: filepath.Join(dir, "jwks.json")}
}

// ensureSecureDemo makes the certificate (self-signed, for 127.0.0.1, ::1
// and localhost) and the token signing key, unless they exist.
func ensureSecureDemo(dir string) (demoFiles, error) {
	f := demoPaths(dir)
	if _, err := os.Stat(f.signKey); err == nil {
		if _, err := os.Stat(f.cert); err == nil {
			return f, nil
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return f, fmt.Errorf("secure demo: %w", err)
	}
	tlsKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "ccfacade secure demo", Organization: []string{"ccfacade demo (not for real use)"}},
		NotBefore:    now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")}, DNSNames: []string{"localhost"},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &tlsKey.PublicKey, tlsKey)
	if err != nil {
		return f, err
	}
	keyDER, err := x509.MarshalECPrivateKey(tlsKey)
	if err != nil {
		return f, err
	}
	signRaw, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return f, err
	}
	sign, err := jwk.FromRaw(signRaw)
	if err != nil {
		return f, err
	}
	_ = sign.Set(jwk.KeyIDKey, demoKID)
	_ = sign.Set(jwk.AlgorithmKey, jwa.ES256)
	pub, err := sign.PublicKey()
	if err != nil {
		return f, err
	}
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	signJSON, _ := json.Marshal(sign)
	setJSON, _ := json.Marshal(set)
	for path, data := range map[string][]byte{
		f.cert:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		f.key:     pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		f.signKey: signJSON,
		f.jwks:    setJSON,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return f, fmt.Errorf("secure demo: %w", err)
		}
	}
	return f, nil
}

// secureDemoConfig turns the demo's configuration into the secure demo's:
// HTTPS with the demo certificate, JWT with the demo key, SSP headers
// accepted for the demo's ASID, the audit trail on standard output, GP
// Connect off.
func secureDemoConfig(cfg *config.Config, f demoFiles) {
	cfg.Server.TLS = config.TLS{CertFile: f.cert, KeyFile: f.key}
	cfg.Auth = config.Auth{Mode: "jwt", JWT: config.JWT{JWKSFile: f.jwks, Issuers: []string{demoIssuer},
		Audiences: []string{demoAudience}, Algorithms: []string{"ES256"}, ClockSkew: config.Duration(time.Minute), MaxLifetime: config.Duration(12 * time.Hour)}}
	cfg.Audit = config.Audit{Sink: "stdout"}
	// GP Connect authenticates its callers by the proxy's mutual TLS (its
	// tokens are unsigned), which the secure demo does not set up: it is
	// off there, so every base the secure demo serves demands a signed
	// token.
	cfg.GPConnect.Enabled = false
	if cfg.Server.Listen == config.Default().Server.Listen {
		cfg.Server.Listen = "127.0.0.1:8443"
	}
}

// token prints a token for the secure demo, signed with its key.
func token(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("token", stderr)
	patient := fs.String("patient", "", "patient context: a Patient id of the demo (patient/ scopes reach only that patient)")
	nhs := fs.String("nhs-number", "", "patient context given as an NHS number")
	scope := fs.String("scope", "", `SMART scopes (default: "patient/*.read" with a patient, else "user/*.read")`)
	ssp := fs.Bool("ssp", false, "add the Spine Security Proxy (GP Connect style) claims, and print the Ssp- headers to send")
	lifetime := fs.Duration("lifetime", time.Hour, "how long the token is valid")
	dirFlag := fs.String("dir", "", "the secure demo's folder (default: in the user's cache, as serve -secure-demo made it)")
	gpc := fs.String("gpconnect", "", "print an unsigned GP Connect audit token instead, for record ($gpc.getstructuredrecord) or metadata, and the Ssp- headers to send")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *gpc != "" {
		return gpcToken(*gpc, stdout, stderr)
	}
	dir, err := secureDemoDir(*dirFlag)
	if err != nil {
		return err
	}
	f := demoPaths(dir)
	raw, err := os.ReadFile(f.signKey)
	if err != nil {
		return errors.New("no secure demo here: run `ccfacade serve -secure-demo` first (token signs only for the secure demo, with the key it made)")
	}
	key, err := jwk.ParseKey(raw)
	if err != nil || key.KeyID() != demoKID {
		return fmt.Errorf("%s is not the secure demo's signing key", f.signKey)
	}
	if *lifetime <= 0 || *lifetime > 12*time.Hour {
		return &usageError{"-lifetime is at most 12h"}
	}
	s := *scope
	if s == "" {
		s = "user/*.read"
		if *patient != "" || *nhs != "" {
			s = "patient/*.read"
		}
	}
	now := time.Now()
	tok := jwt.New()
	_ = tok.Set(jwt.IssuerKey, demoIssuer)
	_ = tok.Set(jwt.AudienceKey, demoAudience)
	_ = tok.Set(jwt.SubjectKey, "demo-practitioner")
	_ = tok.Set(jwt.IssuedAtKey, now)
	_ = tok.Set(jwt.ExpirationKey, now.Add(*lifetime))
	_ = tok.Set(jwt.JwtIDKey, newTokenID())
	_ = tok.Set("scope", s)
	_ = tok.Set("client_id", "ccfacade-secure-demo")
	if *patient != "" {
		_ = tok.Set("patient", *patient)
	}
	if *nhs != "" {
		_ = tok.Set("nhs_number", strings.ReplaceAll(*nhs, " ", ""))
	}
	if *ssp {
		_ = tok.Set("reason_for_request", "directcare")
		_ = tok.Set("requested_scope", "patient/*.read")
		_ = tok.Set("requesting_device", map[string]any{"resourceType": "Device", "id": "demo-device"})
		_ = tok.Set("requesting_organization", map[string]any{"resourceType": "Organization",
			"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "A81001"}}})
		_ = tok.Set("requesting_practitioner", map[string]any{"resourceType": "Practitioner", "id": "demo-practitioner",
			"identifier": []any{map[string]any{"system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G13579135"}}})
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256, key))
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(signed))
	if *ssp {
		fmt.Fprintf(stderr, "send with: -H 'Ssp-TraceID: %s' -H 'Ssp-From: %s' -H 'Ssp-To: %s' -H 'Ssp-InteractionID: %s' (the interaction of your request)\n", newUUID(), demoConsumerASID, demoASID, auth.Interaction("read", "Patient"))
	}
	return nil
}

func newTokenID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// registerSecureDemo adds serve's -secure-demo flags.
func registerSecureDemo(fs *flag.FlagSet) (on *bool, dir *string, ssp *bool) {
	on = fs.Bool("secure-demo", false, "serve the built-in demo over HTTPS with JWT on (tokens: ccfacade token)")
	dir = fs.String("secure-demo-dir", "", "the secure demo's folder for its certificate and keys (default: in the user's cache)")
	ssp = fs.Bool("secure-demo-ssp", false, "the secure demo also requires Spine Security Proxy headers and claims")
	return
}

// probe checks a health endpoint (for container images with no curl):
// success when it answers 200 within 5 seconds.
func probe(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return &usageError{"probe takes one URL, e.g. http://127.0.0.1:9090/readyz"}
	}
	client := &http.Client{Timeout: 5 * time.Second}
	res, err := client.Get(args[0])
	if err != nil {
		return fmt.Errorf("probe: %w", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("probe: %s answered %d: %s", args[0], res.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprint(stdout, string(body))
	return nil
}

// secureDemoHints are the lines serve -secure-demo prints: where the
// certificate is, how to get a token, and a curl command that reads
// patient 3 as printed (with -secure-demo-ssp, with the SSP claims in the
// token and the Ssp- headers a read of a Patient needs).
func secureDemoHints(cert, dir string, ssp bool, base string) []string {
	tokenArgs := " -patient 3"
	if ssp {
		tokenArgs += " -ssp"
	}
	if dir != "" {
		tokenArgs += " -dir " + shellQuote(dir)
	}
	headers := ""
	if ssp {
		headers = fmt.Sprintf(" -H 'Ssp-TraceID: %s' -H 'Ssp-From: %s' -H 'Ssp-To: %s' -H 'Ssp-InteractionID: %s'",
			newUUID(), demoConsumerASID, demoASID, auth.Interaction("read", "Patient"))
	}
	return []string{
		fmt.Sprintf("secure demo: the certificate is %s; a token for patient 3: ccfacade token%s", cert, tokenArgs),
		fmt.Sprintf("try: curl --cacert %s -H \"Authorization: Bearer $(bin/ccfacade token%s)\"%s %s/Patient/3", shellQuote(cert), tokenArgs, headers, base),
	}
}

// shellQuote quotes s for a POSIX shell, unless it needs no quotes.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-:+=,@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
