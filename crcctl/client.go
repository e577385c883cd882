package crcctl

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os/exec"
	"strings"
	"time"
)

// Bounds on crc invocations. crc can hang (a stuck VM or daemon): every
// call but Start ends after its bound with a KindNoAnswer error that names
// the command and the bound. Start is bounded by its caller (Up's
// StartTimeout), since how long a start takes is the user's setting.
const (
	// DefaultQueryTimeout bounds crc's questions: version, status, config.
	DefaultQueryTimeout = 30 * time.Second
	// SetupCheckTimeout bounds `crc setup --check-only` (preflight checks).
	SetupCheckTimeout = 2 * time.Minute
	// SetupTimeout bounds `crc setup`, which downloads the bundle the
	// first time.
	SetupTimeout = 90 * time.Minute
	// StopTimeout bounds `crc stop` and `crc delete`.
	StopTimeout = 10 * time.Minute
)

// StartDuration is how long `crc start` takes, as pulllab's messages and
// docs say it: crc's getting-started guide gives "a minimum of four
// minutes" for the cluster to start its containers and Operators.
const StartDuration = "at least four minutes by crc's documentation, longer on a first start (it unpacks the bundle) or a slow machine"

// Client runs crc subcommands through a Runner and turns their output into
// values and classified errors.
type Client struct {
	// Runner runs the crc binary.
	Runner Runner
	// Path is the crc binary (see Find).
	Path string
	// Log receives debug lines; nil discards.
	Log Logger
	// QueryTimeout bounds Version, Status, ConfigView and ConfigSet; zero
	// means DefaultQueryTimeout.
	QueryTimeout time.Duration
}

// New returns a Client for the crc binary at path.
func New(r Runner, path string, log Logger) *Client {
	return &Client{Runner: r, Path: path, Log: log}
}

func (c *Client) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log.Debugf(format, args...)
	}
}

func (c *Client) run(ctx context.Context, cmd Cmd) (Result, error) {
	cmd.Argv = append([]string{c.Path}, cmd.Argv...)
	return c.Runner.Run(ctx, cmd)
}

func (c *Client) queryTimeout() time.Duration {
	if c.QueryTimeout > 0 {
		return c.QueryTimeout
	}
	return DefaultQueryTimeout
}

// runBounded runs cmd for at most limit. When the bound (not ctx) ends
// it, the error is KindNoAnswer for op; an interruption stays
// context.Canceled.
func (c *Client) runBounded(ctx context.Context, op string, limit time.Duration, cmd Cmd) (Result, error) {
	bctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	res, err := c.run(bctx, cmd)
	if err != nil && ctx.Err() == nil && errors.Is(bctx.Err(), context.DeadlineExceeded) {
		return res, &Error{
			Kind: KindNoAnswer,
			Op:   op,
			Msg:  fmt.Sprintf("crc gave no answer within %s and was stopped", limit),
			Hint: "crc may be waiting for its VM or daemon: run `crc status --log-level debug` to see where it stops",
			Err:  err,
		}
	}
	return res, err
}

// fail turns a failed invocation into an error for op: interruption and
// timeouts stay recognisable with errors.Is; a missing binary is
// KindNotInstalled; anything else is classified from crc's stderr.
func (c *Client) fail(op string, res Result, err error) error {
	var known *Error
	if errors.As(err, &known) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return &Error{Kind: KindNotInstalled, Op: op, Msg: fmt.Sprintf("cannot run %s", c.Path), Hint: "run `" + doDoctor + "` to find or install crc", Err: err}
	}
	msg := lastErrorLine(res.Stderr)
	if msg == "" {
		msg = err.Error()
	}
	return newCRCError(op, msg, err)
}

// Version runs `crc version -o json`.
func (c *Client) Version(ctx context.Context) (*Version, error) {
	res, err := c.runBounded(ctx, "crc version", c.queryTimeout(), Cmd{Argv: []string{"version", "-o", "json"}})
	if err != nil {
		return nil, c.fail("crc version", res, err)
	}
	v, err := ParseVersion(res.Stdout)
	if err != nil {
		return nil, fmt.Errorf("crc version: %w", err)
	}
	return v, nil
}

// Status runs `crc status -o json`. crc reports failures inside the JSON
// with exit code 0: no VM is KindVMMissing, no daemon (setup not run, or
// daemon down) KindDaemonUnreachable.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	res, err := c.runBounded(ctx, "crc status", c.queryTimeout(), Cmd{Argv: []string{"status", "-o", "json"}})
	if err != nil {
		return nil, c.fail("crc status", res, err)
	}
	st, err := ParseStatus(res.Stdout)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			err = fmt.Errorf("crc status: %w", err)
		}
		return nil, err
	}
	return st, nil
}

// ConfigView returns the configuration values crc has set (crc omits the
// ones left at their defaults), from
// `crc config view --format {{.ConfigKey}}={{.ConfigValue}}`. Secret
// values are not listed by crc.
func (c *Client) ConfigView(ctx context.Context) (map[string]string, error) {
	res, err := c.runBounded(ctx, "crc config view", c.queryTimeout(), Cmd{Argv: []string{"config", "view", "--format", "{{.ConfigKey}}={{.ConfigValue}}"}})
	if err != nil {
		return nil, c.fail("crc config view", res, err)
	}
	return ParseConfigView(res.Stdout), nil
}

// ParseConfigView parses KEY=VALUE lines; other lines are ignored.
func ParseConfigView(out []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			continue
		}
		m[k] = v
	}
	return m
}

// ConfigSet runs `crc config set key value`.
func (c *Client) ConfigSet(ctx context.Context, key, value string) error {
	res, err := c.runBounded(ctx, "crc config set "+key, c.queryTimeout(), Cmd{Argv: []string{"config", "set", key, value}})
	if err != nil {
		return c.fail("crc config set "+key, res, err)
	}
	if s := strings.TrimSpace(string(res.Stdout)); s != "" {
		c.logf("crc config set %s: %s", key, s)
	}
	return nil
}

// SetupNeeded runs `crc setup --check-only` (plain mode: JSON mode would
// hide the exit code) and reports whether `crc setup` must run: exit code
// 2 means a preflight check failed.
func (c *Client) SetupNeeded(ctx context.Context) (bool, error) {
	res, err := c.runBounded(ctx, "crc setup --check-only", SetupCheckTimeout, Cmd{Argv: []string{"setup", "--check-only"}})
	if err == nil {
		return false, nil
	}
	if res.ExitCode == 2 {
		if msg := lastErrorLine(res.Stderr); msg != "" {
			c.logf("crc setup --check-only: %s", msg)
		}
		return true, nil
	}
	return false, c.fail("crc setup --check-only", res, err)
}

// Setup runs `crc setup -o json`, passing each stderr line (crc's
// progress, logfmt) to onLine.
func (c *Client) Setup(ctx context.Context, onLine func(string)) error {
	res, err := c.runBounded(ctx, "crc setup", SetupTimeout, Cmd{Argv: []string{"setup", "-o", "json"}, OnStderrLine: onLine})
	if err != nil {
		return c.fail("crc setup", res, err)
	}
	if _, err := ParseActionResult("crc setup", res.Stdout); err != nil {
		return wrapUnreadable("crc setup", err)
	}
	return nil
}

// Start runs `crc start -o json`, passing each stderr line to onLine. Its
// stdout holds the kubeadmin password, so it is marked private and only
// the non-secret fields are parsed. crc exits 0 on failure in JSON mode;
// the error comes from the JSON.
func (c *Client) Start(ctx context.Context, onLine func(string)) (*StartResult, error) {
	res, err := c.run(ctx, Cmd{Argv: []string{"start", "-o", "json"}, OnStderrLine: onLine, Private: true})
	if err != nil {
		return nil, c.fail("crc start", res, err)
	}
	r, err := ParseStartResult(res.Stdout)
	if err != nil {
		return nil, wrapUnreadable("crc start", err)
	}
	return r, nil
}

// StopResult says how `crc stop` went.
type StopResult struct {
	// Forced is true when crc had to power the VM off.
	Forced bool
	// AlreadyStopped is true when the VM was not running.
	AlreadyStopped bool
}

// Stop runs `crc stop -o json`. A VM that is already stopped is not an
// error; a missing VM is KindVMMissing.
func (c *Client) Stop(ctx context.Context) (*StopResult, error) {
	res, err := c.runBounded(ctx, "crc stop", StopTimeout, Cmd{Argv: []string{"stop", "-o", "json"}})
	if err != nil {
		return nil, c.fail("crc stop", res, err)
	}
	r, err := ParseActionResult("crc stop", res.Stdout)
	if err != nil {
		if r != nil && strings.Contains(strings.ToLower(r.Error), "already stopped") {
			return &StopResult{AlreadyStopped: true}, nil
		}
		return nil, wrapUnreadable("crc stop", err)
	}
	return &StopResult{Forced: r.Forced}, nil
}

// Delete runs `crc delete -f -o json`, with --clear-cache to also remove
// the cached bundles. A missing VM is KindVMMissing (crc still clears the
// cache first when asked).
func (c *Client) Delete(ctx context.Context, clearCache bool) error {
	argv := []string{"delete", "-f", "-o", "json"}
	if clearCache {
		argv = append(argv, "--clear-cache")
	}
	res, err := c.runBounded(ctx, "crc delete", StopTimeout, Cmd{Argv: argv})
	if err != nil {
		return c.fail("crc delete", res, err)
	}
	if _, err := ParseActionResult("crc delete", res.Stdout); err != nil {
		return wrapUnreadable("crc delete", err)
	}
	return nil
}

// wrapUnreadable prefixes parse errors (not *Error) with op.
func wrapUnreadable(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}
