package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// whyUnreachable says in words why the API server at host did not answer,
// instead of Go's "Get …: dial tcp …: connect: connection refused".
func whyUnreachable(host string, err error) string {
	var dns *net.DNSError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var verify *tls.CertificateVerificationError
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("nothing answers at %s (connection refused): the cluster is stopped, or the kubeconfig names another address", host)
	case errors.As(err, &dns):
		return fmt.Sprintf("the name %q in %s does not resolve (DNS): for OpenShift Local, check that crc's DNS set-up for *.crc.testing is in place ('crc setup')", dns.Name, host)
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &verify):
		return fmt.Sprintf("%s answered with a TLS certificate the kubeconfig does not trust: the kubeconfig belongs to another cluster, or the cluster was re-created; log in again", host)
	case apierrors.IsUnauthorized(err):
		return fmt.Sprintf("%s refused the kubeconfig's credentials (401 Unauthorized): the login expired; log in again (oc login, or 'crc console --credentials' for OpenShift Local)", host)
	case apierrors.IsForbidden(err):
		return fmt.Sprintf("%s answered but this user may not read its version (403 Forbidden)", host)
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("%s did not answer in time: the cluster may still be starting, or a firewall drops the connection", host)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return fmt.Sprintf("the network path to %s is broken (%v)", host, errors.Unwrap(lastOp(err)))
	case errors.As(err, &ue):
		return fmt.Sprintf("%s did not answer: %v", host, ue.Err)
	}
	return fmt.Sprintf("%s did not answer: %s", host, firstLine(err))
}

// lastOp returns the innermost *net.OpError of err, or err.
func lastOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op
	}
	return err
}
