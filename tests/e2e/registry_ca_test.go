//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testCA is a certificate authority a test makes for its registries: the
// server certificates of TLS registries and the client certificates of
// registries that require them are issued by it, and hutch trusts it only
// where the test installs ca.crt (certs.d, like containers/image).
type testCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	// CertPath is the CA certificate in PEM, the file a certs.d directory
	// holds as ca.crt.
	CertPath string
}

// keyPair is a certificate issued by a testCA, as PEM files.
type keyPair struct {
	CertPath, KeyPath string
	cert              tls.Certificate
}

// certProfile says what a certificate is for.
type certProfile struct {
	// CommonName names the subject.
	CommonName string
	// Hosts are the DNS names and IP addresses the certificate is valid for.
	Hosts []string
	// Client makes a client-authentication certificate instead of a server one.
	Client bool
	// Expired makes a certificate that expired an hour ago.
	Expired bool
}

// newTestCA makes a CA whose files live in a new directory under dir.
func newTestCA(t testing.TB, dir string) *testCA {
	t.Helper()
	key := newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: "hutch e2e test CA", Organization: []string{"hutch tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	caDir := mkdirTemp(t, dir, "ca-")
	ca := &testCA{cert: cert, key: key, certPEM: pemBlock("CERTIFICATE", der), CertPath: filepath.Join(caDir, "ca.crt")}
	writeFile(t, ca.CertPath, ca.certPEM, 0o644)
	return ca
}

// issue makes a certificate for p signed by the CA, written to a new
// directory under dir.
func (ca *testCA) issue(t testing.TB, dir string, p certProfile) keyPair {
	t.Helper()
	key := newECKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: p.CommonName},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if p.Client {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	if p.Expired {
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	}
	for _, h := range p.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	d := mkdirTemp(t, dir, "cert-")
	kp := keyPair{CertPath: filepath.Join(d, "cert.pem"), KeyPath: filepath.Join(d, "key.pem")}
	certPEM, keyPEM := pemBlock("CERTIFICATE", der), pemBlock("PRIVATE KEY", keyDER)
	writeFile(t, kp.CertPath, certPEM, 0o644)
	// Readable by all: in the root lane the registry reads it as root, but
	// the file lives in a directory other users of the test can enter.
	writeFile(t, kp.KeyPath, keyPEM, 0o644)
	if kp.cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	return kp
}

// pool returns a certificate pool holding only the CA.
func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

func newECKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func pemBlock(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

// mkdirTemp makes a new directory under dir, readable by every user (the
// registry and hutch may run as different users in the root lane's tests
// that switch users; nothing here is secret).
func mkdirTemp(t testing.TB, dir, pattern string) string {
	t.Helper()
	d, err := os.MkdirTemp(dir, pattern)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// writeFile writes data to path with mode perm, creating parent
// directories (mode 0755) as needed.
func writeFile(t testing.TB, path string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, perm); err != nil {
		t.Fatal(err)
	}
	// WriteFile keeps the mode of an existing file and applies the umask.
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}
