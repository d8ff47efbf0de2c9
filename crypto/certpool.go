package crypto

import (
	"crypto/x509"
	"fmt"
	"os"
)

// LoadCertPool reads the PEM certificates in path into a pool, refusing a file that holds none.
func LoadCertPool(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}
