package crcctl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/crc-org/crc/v2/pkg/crc/machine/state"
	"github.com/crc-org/crc/v2/pkg/crc/preset"
)

// Reporter shows progress under the current step. *ui.Status satisfies it.
type Reporter interface {
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
}

type nopReporter struct{}

func (nopReporter) Infof(string, ...any) {}
func (nopReporter) Warnf(string, ...any) {}

// UpOptions configure Up.
type UpOptions struct {
	// Settings are applied with `crc config set` where they differ.
	Settings Settings
	// StartTimeout bounds `crc start` plus the wait for the cluster
	// (not `crc setup`, whose bundle download depends on the network).
	// Zero means 45 minutes.
	StartTimeout time.Duration
	// PollInterval is the first pause between `crc status` calls while
	// waiting; it doubles up to MaxPollInterval. Zero means 1 second.
	PollInterval time.Duration
	// MaxPollInterval caps the pause; zero means 10 seconds.
	MaxPollInterval time.Duration
	// DaemonRetries is how many times `crc status` is tried while the
	// daemon is not yet reachable right after `crc setup` (with the same
	// growing pauses, about a minute in all); zero means 10.
	DaemonRetries int
	// Reporter receives detail lines (crc's progress); nil discards.
	Reporter Reporter
	// ReadFile reads the pull secret; nil means os.ReadFile.
	ReadFile func(string) ([]byte, error)
	// Sleep waits d or until ctx is done; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// UpResult says what Up found and did.
type UpResult struct {
	Version *Version
	// Status is the final `crc status`.
	Status *Status
	// AlreadyRunning is true when nothing had to be done.
	AlreadyRunning bool
	// Changes are the `crc config set` calls made.
	Changes []ConfigChange
	// SetupRan is true when `crc setup` ran.
	SetupRan bool
	// Started is true when `crc start` ran.
	Started bool
	// Cluster is the non-secret part of crc start's answer.
	Cluster *StartResult
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Up makes OpenShift Local run with opts.Settings:
//
//  1. validate the settings and the pull secret (nothing touched yet);
//  2. `crc version`; `crc status` — if the VM and the cluster already run,
//     return at once;
//  3. `crc config set` for each value that differs;
//  4. `crc setup` if `crc setup --check-only` says it is needed;
//  5. `crc start -o json` with crc's progress lines passed to the
//     reporter, then `crc status` until the VM and OpenShift are both
//     Running — all within StartTimeout (KindStartTimeout after that).
func (c *Client) Up(ctx context.Context, opts UpOptions) (*UpResult, error) {
	o := withUpDefaults(opts)
	s := o.Settings
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if s.PullSecretFile != "" {
		if _, err := LoadPullSecret(o.ReadFile, s.PullSecretFile); err != nil {
			return nil, err
		}
	}

	res := &UpResult{}
	v, err := c.Version(ctx)
	if err != nil {
		return nil, err
	}
	res.Version = v
	o.Reporter.Infof("crc %s at %s (%s)", v.Version, c.Path, ships(v))

	st, err := c.Status(ctx)
	vmMissing := false
	switch k := KindOf(err); {
	case err == nil && st.Ready():
		if st.Preset != "" && st.Preset != s.Preset {
			return nil, presetMismatch(st.Preset, s.Preset)
		}
		res.Status, res.AlreadyRunning = st, true
		o.Reporter.Infof("OpenShift Local is already running (%s %s)", DisplayPreset(st.Preset), st.OpenShiftVersion)
		return res, nil
	case err == nil:
		o.Reporter.Infof("VM %s, %s %s", st.CRCStatus, DisplayPreset(st.Preset), orDash(string(st.OpenShiftStatus)))
	case k == KindVMMissing:
		vmMissing = true
		o.Reporter.Infof("no CRC VM yet; it will be created")
	case k == KindDaemonUnreachable:
		o.Reporter.Infof("crc daemon not reachable; crc setup will run")
	default:
		return nil, err
	}

	current, err := c.ConfigView(ctx)
	if err != nil {
		return nil, err
	}
	changes := s.Changes(current)
	if st != nil {
		if err := checkPreset(st, changes); err != nil {
			return nil, err
		}
	}
	if vmMissing {
		if err := c.checkPullSecret(o, current); err != nil {
			return nil, err
		}
	}
	for _, ch := range changes {
		if ch.From == "" {
			o.Reporter.Infof("crc config set %s %s", ch.Key, ch.To)
		} else {
			o.Reporter.Infof("crc config set %s %s (was %s)", ch.Key, ch.To, ch.From)
		}
		if err := c.ConfigSet(ctx, ch.Key, ch.To); err != nil {
			return nil, err
		}
		res.Changes = append(res.Changes, ch)
	}

	// An unreachable daemon gets `crc setup` even when the check passes:
	// setup (re)installs and starts the daemon's units, and is quick when
	// nothing else is missing.
	needed := st == nil && !vmMissing
	if !needed {
		if needed, err = c.SetupNeeded(ctx); err != nil {
			return nil, err
		}
	}
	if needed {
		o.Reporter.Infof("running crc setup (the first time it downloads a bundle of about 4 GB)")
		if err := c.Setup(ctx, progressTo(o.Reporter)); err != nil {
			return nil, err
		}
		res.SetupRan = true
	}
	if st == nil {
		// The daemon was unreachable before setup; it may take a moment
		// to come up afterwards (crc-org/crc#3148).
		st, err = c.statusAfterSetup(ctx, o)
		switch {
		case err == nil && st.Ready():
			res.Status = st
			return res, nil
		case err == nil:
			if err := checkPreset(st, changes); err != nil {
				return nil, err
			}
		case KindOf(err) == KindVMMissing:
			if err := c.checkPullSecret(o, current); err != nil {
				return nil, err
			}
		case err != nil:
			return nil, err
		}
	}

	sctx, cancel := context.WithTimeout(ctx, o.StartTimeout)
	defer cancel()
	o.Reporter.Infof("running crc start (%s)", StartDuration)
	cl, err := c.Start(sctx, progressTo(o.Reporter))
	if err != nil {
		return nil, timeoutOr(ctx, err, o.StartTimeout, "crc start")
	}
	res.Started, res.Cluster = true, cl
	st, err = c.waitReady(sctx, o)
	if err != nil {
		return nil, timeoutOr(ctx, err, o.StartTimeout, "waiting for OpenShift")
	}
	res.Status = st
	return res, nil
}

func withUpDefaults(o UpOptions) UpOptions {
	if o.StartTimeout <= 0 {
		o.StartTimeout = 45 * time.Minute
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.MaxPollInterval <= 0 {
		o.MaxPollInterval = 10 * time.Second
	}
	if o.MaxPollInterval < o.PollInterval {
		o.MaxPollInterval = o.PollInterval
	}
	if o.DaemonRetries <= 0 {
		o.DaemonRetries = 10
	}
	if o.Reporter == nil {
		o.Reporter = nopReporter{}
	}
	if o.ReadFile == nil {
		o.ReadFile = os.ReadFile
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	return o
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// checkPreset refuses to switch the preset of an existing VM: crc would
// need `crc delete` and `crc setup` for that.
func checkPreset(st *Status, changes []ConfigChange) error {
	for _, ch := range changes {
		if ch.Key == KeyPreset && st.Preset != "" && string(st.Preset) != ch.To {
			return presetMismatch(st.Preset, preset.Preset(ch.To))
		}
	}
	return nil
}

// presetMismatch is the error for an existing VM of another preset.
func presetMismatch(vm, want preset.Preset) error {
	return &Error{Kind: KindVersionMismatch, Op: "crc config", Msg: fmt.Sprintf("the existing CRC VM uses preset %s; pulllab is set to %s", string(vm), string(want)), Hint: fmt.Sprintf("%s; or keep this VM with crc.preset %s", hintDeleteAndRestart, string(vm))}
}

// checkPullSecret makes sure crc will find a pull secret when it creates
// the VM: the one pulllab passes, or crc's configured file (checked too).
// The okd preset needs none: crc uses a placeholder.
func (c *Client) checkPullSecret(o UpOptions, current map[string]string) error {
	if o.Settings.PullSecretFile != "" || o.Settings.Preset == preset.OKD {
		return nil
	}
	if p := current[KeyPullSecretFile]; p != "" {
		_, err := LoadPullSecret(o.ReadFile, p)
		return err
	}
	return &Error{Kind: KindPullSecretMissing, Op: "crc start", Msg: "creating the CRC VM needs a pull secret and none was given", Hint: hintPullSecret}
}

func (c *Client) statusAfterSetup(ctx context.Context, o UpOptions) (*Status, error) {
	var lastErr error
	pause := o.PollInterval
	for i := 0; i < o.DaemonRetries; i++ {
		st, err := c.Status(ctx)
		if KindOf(err) != KindDaemonUnreachable {
			return st, err
		}
		lastErr = err
		if i == o.DaemonRetries-1 {
			break
		}
		c.logf("crc daemon not reachable yet after setup; retrying in %s", pause)
		if err := o.Sleep(ctx, pause); err != nil {
			return nil, err
		}
		pause = min(2*pause, o.MaxPollInterval)
	}
	return nil, lastErr
}

// waitReady polls `crc status` until the VM and OpenShift are Running,
// reporting each change of state.
func (c *Client) waitReady(ctx context.Context, o UpOptions) (*Status, error) {
	last := ""
	pause := o.PollInterval
	for {
		st, err := c.Status(ctx)
		switch {
		case err == nil && st.Ready():
			o.Reporter.Infof("%s %s is running", DisplayPreset(st.Preset), st.OpenShiftVersion)
			return st, nil
		case err == nil:
			now := fmt.Sprintf("VM %s, %s %s", st.CRCStatus, DisplayPreset(st.Preset), orDash(string(st.OpenShiftStatus)))
			if now != last {
				o.Reporter.Infof("waiting: %s", now)
				last = now
			}
			if st.CRCStatus == state.Stopped || st.CRCStatus == state.Error {
				return nil, &Error{Kind: KindOther, Op: "crc start", Msg: fmt.Sprintf("the VM is %s after crc start", st.CRCStatus), Hint: "look at ~/.crc/crc.log, then run `" + doUp + "` again"}
			}
		case KindOf(err) == KindDaemonUnreachable:
			// The daemon can restart under load; keep waiting.
			c.logf("crc status while waiting: %v", err)
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			return nil, err
		default:
			return nil, err
		}
		if err := o.Sleep(ctx, pause); err != nil {
			return nil, err
		}
		pause = min(2*pause, o.MaxPollInterval)
	}
}

// timeoutOr turns the start context's deadline into KindStartTimeout, and
// leaves the caller's cancellation (Ctrl-C) and other errors alone.
func timeoutOr(parent context.Context, err error, d time.Duration, what string) error {
	if parent.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		return &Error{
			Kind: KindStartTimeout,
			Op:   what,
			Msg:  fmt.Sprintf("OpenShift Local was not running after %s", d),
			Hint: "look at ~/.crc/crc.log for what crc was waiting on; `crc status` shows the state, and `" + doUp + "` again continues (raise crc.startTimeout on slow machines)",
			Err:  err,
		}
	}
	return err
}

// progressTo turns crc's stderr lines into reporter lines: info and
// warning messages are shown, debug lines dropped.
func progressTo(r Reporter) func(string) {
	return func(line string) {
		l, ok := ParseLogLine(line)
		if !ok {
			return
		}
		switch l.Level {
		case "debug", "trace":
			return
		case "warning", "warn":
			r.Warnf("crc: %s", l.Msg)
		default:
			if l.Msg != "" {
				r.Infof("%s", l.Msg)
			}
		}
	}
}
