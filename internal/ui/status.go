// Package ui prints what pulllab is doing: one step line per phase (a
// spinner on a smart terminal, plain start/end lines in CI logs), a progress
// bar for downloads, and the terminal detection both rely on.
package ui

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Glyphs are the marks printed before step lines. Smart terminals get the
// Unicode set, everything else ASCII.
type Glyphs struct {
	Start, OK, Fail, Info, Warn string
	Spinner                     []string
}

// The glyph sets.
var (
	UnicodeGlyphs = Glyphs{Start: "•", OK: "✓", Fail: "✗", Info: "•", Warn: "!", Spinner: []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}}
	ASCIIGlyphs   = Glyphs{Start: "*", OK: "[ok]", Fail: "[FAIL]", Info: "*", Warn: "!", Spinner: []string{"|", "/", "-", "\\"}}
)

// Status prints step lines. Start begins a step (ending any open one as
// failed is the caller's job: use the Start / defer End(false) / End(true)
// idiom); End finishes the open step; a second End is a no-op. Infof prints
// a detail line under the current step. It is safe for concurrent use.
//
// On a smart terminal the open step shows a spinner that is redrawn in
// place; otherwise Start prints " • msg ..." and End prints " ✓ msg" or
// " ✗ msg", which reads well in CI logs.
type Status struct {
	mu      sync.Mutex
	w       io.Writer
	smart   bool
	quiet   bool
	glyphs  Glyphs
	msg     string
	started time.Time
	stop    chan struct{}
	done    chan struct{}
	now     func() time.Time
	// rewrite, when set, rewrites every step, detail and warning text
	// before it is printed (SetRewrite).
	rewrite func(string) string
}

// SetRewrite makes s pass the text of every later Start, Infof and Warnf
// through f, e.g. to name the settings a library mentions as the command
// line does. A nil f prints the text as it is.
func (s *Status) SetRewrite(f func(string) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rewrite = f
}

// text formats a message and applies the rewrite; s.mu is held.
func (s *Status) text(format string, args ...any) string {
	t := fmt.Sprintf(format, args...)
	if s.rewrite != nil {
		t = s.rewrite(t)
	}
	return t
}

// NewStatus returns a Status writing to w. smart enables the spinner and
// Unicode glyphs; quiet suppresses everything but failures.
func NewStatus(w io.Writer, smart, quiet bool) *Status {
	g := ASCIIGlyphs
	if smart {
		g = UnicodeGlyphs
	}
	return &Status{w: w, smart: smart, quiet: quiet, glyphs: g, now: time.Now}
}

// Discard returns a Status that prints nothing.
func Discard() *Status { return NewStatus(io.Discard, false, true) }

// Start begins a step.
func (s *Status) Start(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endLocked(true)
	s.msg = s.text(format, args...)
	s.started = s.now()
	if s.quiet {
		return
	}
	if !s.smart {
		fmt.Fprintf(s.w, " %s %s ...\n", s.glyphs.Start, s.msg)
		return
	}
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.spin(s.msg, s.stop, s.done)
}

func (s *Status) spin(msg string, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		s.mu.Lock()
		fmt.Fprintf(s.w, "\r %s %s", s.glyphs.Spinner[i%len(s.glyphs.Spinner)], msg)
		s.mu.Unlock()
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// End finishes the open step as succeeded or failed.
func (s *Status) End(ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.endLocked(ok)
}

func (s *Status) endLocked(ok bool) {
	if s.msg == "" {
		return
	}
	if s.stop != nil {
		close(s.stop)
		s.mu.Unlock()
		<-s.done
		s.mu.Lock()
		s.stop, s.done = nil, nil
		fmt.Fprint(s.w, "\r\033[K")
	}
	mark := s.glyphs.OK
	if !ok {
		mark = s.glyphs.Fail
	}
	if !s.quiet || !ok {
		fmt.Fprintf(s.w, " %s %s%s\n", mark, s.msg, s.elapsed())
	}
	s.msg = ""
}

func (s *Status) elapsed() string {
	d := s.now().Sub(s.started)
	if d < 2*time.Second {
		return ""
	}
	return fmt.Sprintf(" (%s)", d.Round(time.Second))
}

// Infof prints a detail line (indented) without ending the open step.
func (s *Status) Infof(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.quiet {
		return
	}
	line := s.text(format, args...)
	if s.smart && s.stop != nil {
		fmt.Fprint(s.w, "\r\033[K")
	}
	fmt.Fprintf(s.w, "   %s\n", strings.TrimRight(line, "\n"))
}

// Warnf prints a warning line; it is shown even when quiet.
func (s *Status) Warnf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.smart && s.stop != nil {
		fmt.Fprint(s.w, "\r\033[K")
	}
	fmt.Fprintf(s.w, " %s %s\n", s.glyphs.Warn, strings.TrimRight(s.text(format, args...), "\n"))
}

// Write lets the Status serve as a log writer: a log line first clears the
// spinner's line so the two do not collide.
func (s *Status) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.smart && s.stop != nil {
		fmt.Fprint(s.w, "\r\033[K")
	}
	return s.w.Write(p)
}

// Smart reports whether the status draws a spinner.
func (s *Status) Smart() bool { return s.smart }
