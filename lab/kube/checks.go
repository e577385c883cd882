package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pulllab/pulllab/internal/version"
)

// PingTimeout bounds the reachability check of the lab registry.
const PingTimeout = 10 * time.Second

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
// (loopback or --insecure), within PingTimeout.
func (b *Backend) pingRegistry(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	rt := b.o.Transport
	if rt == nil {
		rt = remote.DefaultTransport
	}
	client := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	schemes := []string{"https"}
	if b.insecure {
		schemes = append(schemes, "http")
	}
	var errs []error
	for _, scheme := range schemes {
		url := scheme + "://" + b.addr.Host + "/v2/"
		code, err := ping(ctx, client, url)
		switch {
		case err == nil && (code == http.StatusOK || code == http.StatusUnauthorized):
			b.log.WithField("url", url).WithField("status", code).Debug("the lab registry answers")
			return nil
		case err == nil:
			return b.unreachable(fmt.Sprintf("GET %s answered %d %s, which is not a registry's API (OCI distribution wants 200 or 401)", url, code, http.StatusText(code)))
		case ctx.Err() != nil && errors.Is(context.Cause(ctx), context.Canceled):
			return fmt.Errorf("checking the lab registry %s: %w", b.addr.Host, ctx.Err())
		case ctx.Err() != nil:
			errs = append(errs, fmt.Errorf("GET %s: no answer within %s", url, PingTimeout))
			return b.unreachable(errors.Join(errs...).Error())
		}
		errs = append(errs, fmt.Errorf("GET %s: %w", url, err))
	}
	return b.unreachable(errors.Join(errs...).Error())
}

// unreachable is the lab registry failing its check.
func (b *Backend) unreachable(why string) error {
	return &OptionError{Flag: "--registry", Value: b.addr.String(), Reason: "this machine cannot reach the lab registry (" + why +
		"): start the registry, or give the address this machine pushes to with --registry HOST:PORT (a registry that speaks plain http and is not on loopback needs --insecure)"}
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
