package crcctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Logger receives debug lines: every argv crcctl runs, exit codes and
// timings. *logrus.Logger satisfies it.
type Logger interface {
	Debugf(format string, args ...any)
}

type nopLogger struct{}

func (nopLogger) Debugf(string, ...any) {}

// Cmd is one invocation of crc.
type Cmd struct {
	// Argv is the program and its arguments; Argv[0] is the crc binary.
	Argv []string
	// Env holds extra KEY=VALUE entries for this invocation only.
	Env []string
	// OnStderrLine, when set, is called with every line crc writes to
	// stderr as soon as it arrives (crc's progress). It is called from one
	// goroutine at a time.
	OnStderrLine func(line string)
	// Private marks stdout as carrying secrets (`crc start -o json` returns
	// the kubeadmin password): it is then never logged nor kept in errors.
	Private bool
}

// Result is what a finished invocation left behind.
type Result struct {
	Stdout, Stderr []byte
	// ExitCode is the process's exit code, or -1 if it did not exit
	// normally (not started, killed).
	ExitCode int
}

// Runner runs crc. Run blocks until the process ends or ctx is done (the
// process is then interrupted, and killed if it does not exit soon). It
// returns the output in every case; the error is a *RunError when the
// process could not start, exited non-zero or was stopped by ctx.
type Runner interface {
	Run(ctx context.Context, cmd Cmd) (Result, error)
}

// RunError is a crc invocation that failed. Error() is short; Detail()
// has the copy-pasteable command line and crc's output.
type RunError struct {
	Argv     []string
	ExitCode int
	Stderr   []byte
	// Stdout is empty when the command was Private.
	Stdout []byte
	// Err is the underlying cause: *exec.ExitError, exec.ErrNotFound,
	// context.Canceled or context.DeadlineExceeded.
	Err error
}

// Error names the command and how it ended, e.g. "crc start: exit code 1".
func (e *RunError) Error() string {
	name := commandName(e.Argv)
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		return name + ": timed out"
	case errors.Is(e.Err, context.Canceled):
		return name + ": interrupted"
	case e.ExitCode > 0:
		return fmt.Sprintf("%s: exit code %d", name, e.ExitCode)
	case e.Err != nil:
		return fmt.Sprintf("%s: %v", name, e.Err)
	}
	return name + ": failed"
}

// Unwrap returns the cause.
func (e *RunError) Unwrap() error { return e.Err }

// Detail returns the shell-quoted command line, the exit code and crc's
// output, for debug output.
func (e *RunError) Detail() string {
	var b strings.Builder
	fmt.Fprintf(&b, "command: %s\nexit code: %d\n", QuoteArgv(e.Argv), e.ExitCode)
	if s := strings.TrimSpace(string(e.Stderr)); s != "" {
		fmt.Fprintf(&b, "stderr:\n%s\n", s)
	}
	if s := strings.TrimSpace(string(e.Stdout)); s != "" {
		fmt.Fprintf(&b, "stdout:\n%s\n", s)
	}
	return b.String()
}

// commandName is "crc config set" for ["/usr/bin/crc","config","set","cpus","4"]:
// the binary's base name and the subcommand words before the first flag or
// value.
func commandName(argv []string) string {
	if len(argv) == 0 {
		return "command"
	}
	base := argv[0]
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	words := []string{strings.TrimSuffix(base, ".exe")}
	for _, a := range argv[1:] {
		if strings.HasPrefix(a, "-") || len(words) == 3 {
			break
		}
		words = append(words, a)
	}
	// "crc config set cpus" stops at three words; plain subcommands are
	// one word.
	if len(words) == 3 && words[1] != "config" {
		words = words[:2]
	}
	return strings.Join(words, " ")
}

// QuoteArgv renders argv so it can be pasted into a POSIX shell.
func QuoteArgv(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = shellQuote(a)
	}
	return strings.Join(q, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_@%+=:,./-", r)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// ExecRunner runs crc with os/exec. The child gets Env plus LC_ALL=C and
// LANG=C, so crc's messages are the English ones crcctl recognises.
type ExecRunner struct {
	// Env is the base environment, normally os.Environ().
	Env []string
	// Log receives each argv at debug level; nil discards.
	Log Logger
	// WaitDelay is how long an interrupted crc gets to exit before it is
	// killed; zero means 10 seconds.
	WaitDelay time.Duration
}

// Run implements Runner.
func (r *ExecRunner) Run(ctx context.Context, c Cmd) (Result, error) {
	log := r.Log
	if log == nil {
		log = nopLogger{}
	}
	if len(c.Argv) == 0 {
		return Result{ExitCode: -1}, &RunError{ExitCode: -1, Err: errors.New("empty command")}
	}
	log.Debugf("running %s", QuoteArgv(c.Argv))
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	env := make([]string, 0, len(r.Env)+len(c.Env)+2)
	env = append(env, r.Env...)
	env = append(env, c.Env...)
	cmd.Env = append(env, "LC_ALL=C", "LANG=C")
	cmd.Cancel = func() error {
		if runtime.GOOS == "windows" {
			return cmd.Process.Kill()
		}
		return cmd.Process.Signal(os.Interrupt)
	}
	cmd.WaitDelay = r.WaitDelay
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 10 * time.Second
	}
	var stdout bytes.Buffer
	stderr := &lineWriter{fn: c.OnStderrLine}
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	start := time.Now()
	err := cmd.Run()
	stderr.flush()
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.bytes(), ExitCode: -1}
	if cmd.ProcessState != nil {
		res.ExitCode = cmd.ProcessState.ExitCode()
	}
	log.Debugf("%s: exit code %d after %s", commandName(c.Argv), res.ExitCode, time.Since(start).Round(time.Millisecond))
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	re := &RunError{Argv: c.Argv, ExitCode: res.ExitCode, Stderr: res.Stderr, Err: err}
	if !c.Private {
		re.Stdout = res.Stdout
	}
	if s := strings.TrimSpace(string(res.Stderr)); s != "" {
		log.Debugf("%s stderr:\n%s", commandName(c.Argv), s)
	}
	return res, re
}

// lineWriter keeps everything written to it and hands complete lines to fn.
type lineWriter struct {
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	fn      func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	if w.fn == nil {
		return len(p), nil
	}
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(w.partial[:i]), "\r")
		w.partial = w.partial[i+1:]
		w.fn(line)
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fn != nil && len(w.partial) > 0 {
		w.fn(strings.TrimRight(string(w.partial), "\r"))
	}
	w.partial = nil
}

func (w *lineWriter) bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Clone(w.all.Bytes())
}
