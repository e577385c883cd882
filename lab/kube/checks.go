package kube

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"

	"github.com/pulllab/pulllab/internal/version"
)

// PingTimeout bounds each attempt of the reachability check of the lab
// registry.
const PingTimeout = 10 * time.Second

// pingTimeout is PingTimeout; tests shorten it.
var pingTimeout = PingTimeout

// Preflight checks, before the lab changes anything, what would otherwise
// fail half-way: the base image has a build for the node's architecture,
// runs as a non-root user the kubelet can verify, and has the directory
// its server deploys from (EnsureBase); and the lab registry answers its
// API at the push address (a GET /v2/, where 401 counts as reachable: the
// push authenticates later). Every failure is an *OptionError (exit 2)
// that says what to give instead. Prepare runs it first.
func (b *Backend) Preflight(ctx context.Context) error {
	if _, err := b.EnsureBase(ctx); err != nil {
		return err
	}
	return b.pingRegistry(ctx)
}

// pingRegistry asks the lab registry's /v2/ endpoint for its API version,
// over https, and over plain http too when the registry may use it
// (loopback or Options.Insecure); each attempt is bounded by PingTimeout.
func (b *Backend) pingRegistry(ctx context.Context) error {
	rt := b.o.Transport
	if rt == nil {
		rt = remote.DefaultTransport
	}
	client := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	schemes := []string{"https"}
	if b.insecure {
		schemes = append(schemes, "http")
	}
	var errs []string
	for _, scheme := range schemes {
		url := scheme + "://" + b.addr.Host + "/v2/"
		actx, cancel := context.WithTimeout(ctx, pingTimeout)
		code, err := ping(actx, client, url)
		timedOut := actx.Err() != nil
		cancel()
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("checking the lab registry %s: %w", b.addr.Host, ctx.Err())
		case err == nil && (code == http.StatusOK || code == http.StatusUnauthorized):
			b.log.WithFields(logrus.Fields{"url": url, "status": code}).Debug("the lab registry answers")
			return nil
		case err == nil:
			return b.unreachable(fmt.Sprintf("GET %s answered %d %s, which is not a registry's API (OCI distribution answers 200 or 401)", url, code, http.StatusText(code)))
		case timedOut:
			errs = append(errs, fmt.Sprintf("GET %s: no answer within %s", url, pingTimeout))
		default:
			errs = append(errs, fmt.Sprintf("GET %s: %v", url, err))
		}
	}
	return b.unreachable(strings.Join(errs, "; "))
}

// unreachable is the lab registry failing its check.
func (b *Backend) unreachable(why string) error {
	return &OptionError{Setting: "lab.registry", Value: b.addr.String(), Reason: "this machine cannot reach the lab registry (" + why +
		"): start the registry, or give the address this machine pushes to in lab.registry (HOST:PORT; a registry that speaks plain http must be on loopback)"}
}

// ping sends one GET and returns the status code.
func ping(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", version.UserAgent())
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, nil
}
