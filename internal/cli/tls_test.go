package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

type certs struct {
	caPEM              []byte
	ca                 *x509.Certificate
	caKey              *ecdsa.PrivateKey
	serverCert, client tls.Certificate
}

func makeCert(t *testing.T, tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

func pemOf(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }

// HTTPS with TLS 1.2 at least, and mutual TLS with a client CA.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, caKey := makeCert(t, caT, nil, nil)
	ca, _ := x509.ParseCertificate(caDER)
	srvT := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	srvDER, srvKey := makeCert(t, srvT, ca, caKey)
	cliT := &x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "consumer"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	cliDER, cliKey := makeCert(t, cliT, ca, caKey)
	srvKeyDER, _ := x509.MarshalECPrivateKey(srvKey)
	cliKeyDER, _ := x509.MarshalECPrivateKey(cliKey)
	os.WriteFile(filepath.Join(dir, "ca.pem"), pemOf("CERTIFICATE", caDER), 0o600)
	os.WriteFile(filepath.Join(dir, "server.pem"), pemOf("CERTIFICATE", srvDER), 0o600)
	os.WriteFile(filepath.Join(dir, "server.key"), pemOf("EC PRIVATE KEY", srvKeyDER), 0o600)
	clientCert, err := tls.X509KeyPair(pemOf("CERTIFICATE", cliDER), pemOf("EC PRIVATE KEY", cliKeyDER))
	if err != nil {
		t.Fatal(err)
	}
	dsn := demoDB(t)
	mappings, _ := filepath.Abs("../../mappingsets/demo")
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`server:
  listen: 127.0.0.1:0
  tls: { cert_file: server.pem, key_file: server.key, client_ca_file: ca.pem }
database: { adapter: sqlite, dsn: "%s" }
mappings: %s
`, dsn, mappings)), 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int)
	go func() { done <- Run(ctx, []string{"serve", "-config", cfg}, &out, &errb) }()
	re := regexp.MustCompile(`serving (https://\S+/fhir)`)
	var base string
	// Wait for the line that says it serves: generously, on a loaded machine.
	for deadline := time.Now().Add(2 * time.Minute); base == "" && time.Now().Before(deadline); {
		time.Sleep(25 * time.Millisecond)
		if m := re.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatalf("serve did not start: %s", errb.String())
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	client := func(c *tls.Config) *http.Client {
		c.RootCAs = roots
		return &http.Client{Transport: &http.Transport{TLSClientConfig: c}, Timeout: 5 * time.Second}
	}
	if res, err := client(&tls.Config{Certificates: []tls.Certificate{clientCert}}).Get(base + "/metadata"); err != nil || res.StatusCode != 200 {
		t.Errorf("mutual TLS: %v %v", err, res)
	} else if hsts := res.Header.Get("Strict-Transport-Security"); hsts != "max-age=31536000" {
		t.Errorf("Strict-Transport-Security %q", hsts)
	}
	// TLS 1.2: ECDHE with AEAD only.
	for _, suite := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256} {
		c := &tls.Config{Certificates: []tls.Certificate{clientCert}, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}}
		if _, err := client(c).Get(base + "/metadata"); err == nil {
			t.Errorf("TLS 1.2 with %s was accepted", tls.CipherSuiteName(suite))
		}
	}
	for _, suite := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256} {
		c := &tls.Config{Certificates: []tls.Certificate{clientCert}, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{suite}}
		if res, err := client(c).Get(base + "/metadata"); err != nil || res.StatusCode != 200 {
			t.Errorf("TLS 1.2 with %s: %v", tls.CipherSuiteName(suite), err)
		}
	}
	if _, err := client(&tls.Config{}).Get(base + "/metadata"); err == nil {
		t.Error("a client without a certificate was served")
	}
	if _, err := client(&tls.Config{Certificates: []tls.Certificate{clientCert}, MaxVersion: tls.VersionTLS11}).Get(base + "/metadata"); err == nil {
		t.Error("TLS 1.1 was accepted")
	}
	cancel()
	<-done
}
