package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestWhyUnreachable: the reasons an API server does not answer are said in
// words, never as Go's "dial tcp" text (issue 12, item 7).
func TestWhyUnreachable(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error {
		return &url.Error{Op: "Get", URL: "https://api.crc.testing:6443/version", Err: err}
	}
	op := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", err)}
	}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"refused", wrap(op(syscall.ECONNREFUSED)), "nothing answers at https://h (connection refused)"},
		{"dns", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Name: "api.crc.testing", Err: "no such host"}}), `the name "api.crc.testing" in https://h does not resolve`},
		{"unknown CA", wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "TLS certificate the kubeconfig does not trust"},
		{"timeout", wrap(context.DeadlineExceeded), "did not answer in time"},
		{"unauthorized", apierrors.NewUnauthorized("x"), "401 Unauthorized"},
		{"forbidden", apierrors.NewForbidden(schema.GroupResource{}, "", errors.New("x")), "403 Forbidden"},
		{"reset", wrap(op(syscall.ECONNRESET)), "the network path to https://h is broken"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := whyUnreachable("https://h", tc.err)
			if !strings.Contains(got, tc.want) {
				t.Errorf("%q lacks %q", got, tc.want)
			}
			if strings.Contains(got, "dial tcp") {
				t.Errorf("%q shows Go's dial text", got)
			}
		})
	}
}
