package workload

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pulllab/pulllab/lab"
)

// fakeLog is a container log stream that a test writes step by step, like
// the kubelet's follow stream: it blocks until the next write and ends only
// when the test closes it or pulllab does.
type fakeLog struct {
	pr *io.PipeReader
	pw *io.PipeWriter
}

func newFakeLog() *fakeLog {
	pr, pw := io.Pipe()
	return &fakeLog{pr: pr, pw: pw}
}

// script writes the steps in order from another goroutine: a string is a
// chunk of log, a duration a pause; end closes the stream afterwards. It
// stops when the reader has been closed.
func (l *fakeLog) script(end bool, steps ...any) {
	go func() {
		for _, s := range steps {
			switch v := s.(type) {
			case string:
				if _, err := io.WriteString(l.pw, v); err != nil {
					return
				}
			case time.Duration:
				time.Sleep(v)
			}
		}
		if end {
			_ = l.pw.Close()
		}
	}()
}

// forever writes a line every interval until the reader is closed.
func (l *fakeLog) forever(line string, interval time.Duration) {
	go func() {
		for {
			if _, err := io.WriteString(l.pw, line+"\n"); err != nil {
				return
			}
			time.Sleep(interval)
		}
	}()
}

func TestDeployLine(t *testing.T) {
	const (
		eapLine     = `11:02:03,456 INFO  [org.jboss.as.server.deployment] (MSC service thread 1-2) WFLYSRV0027: Starting deployment of "node.war" (runtime-name: "node.war")`
		appsrvLine  = `appserver: APPSRV0027: Starting deployment of "registry.war" from /deployments`
		rootWarLine = `WFLYSRV0027: Starting deployment of "ROOT.war" (runtime-name: "ROOT.war")`
		boot        = "booting\nWFLYSRV0049: JBoss EAP starting\n"
	)
	for _, tc := range []struct {
		name    string
		profile lab.Profile
		quiet   time.Duration
		bound   time.Duration
		setup   func(*fakeLog)
		openErr error

		wantLine string
		wantNote []string
		// the read must end within max (and, when min is set, not before)
		min, max time.Duration
	}{
		{
			name: "EAP's line under a name that picked the generic profile", profile: lab.ProfileGeneric,
			quiet: 10 * time.Second, bound: 30 * time.Second,
			setup:    func(l *fakeLog) { l.script(false, boot+eapLine+"\nmore\n") },
			wantLine: eapLine, max: 5 * time.Second,
		},
		{
			name: "EAP's line under the appserver profile", profile: lab.ProfileAppServer,
			quiet: 10 * time.Second, bound: 30 * time.Second,
			setup:    func(l *fakeLog) { l.script(false, boot+eapLine+"\n") },
			wantLine: eapLine, max: 5 * time.Second,
		},
		{
			name: "the appserver's line under the WildFly profile", profile: lab.ProfileWildFly,
			quiet: 10 * time.Second, bound: 30 * time.Second,
			setup:    func(l *fakeLog) { l.script(false, "appserver: starting\r\n"+appsrvLine+"\r\n") },
			wantLine: appsrvLine, max: 5 * time.Second,
		},
		{
			name: "no profile at all", profile: lab.Profile{},
			quiet: 10 * time.Second, bound: 30 * time.Second,
			setup:    func(l *fakeLog) { l.script(false, appsrvLine+"\n") },
			wantLine: appsrvLine, max: 5 * time.Second,
		},
		{
			name: "another WAR first, then a variant's", profile: lab.ProfileWildFly,
			quiet: 10 * time.Second, bound: 30 * time.Second,
			setup:    func(l *fakeLog) { l.script(false, rootWarLine+"\n", 20*time.Millisecond, eapLine+"\n") },
			wantLine: eapLine, max: 5 * time.Second,
		},
		{
			name: "only another WAR: kept once the log goes quiet", profile: lab.ProfileWildFly,
			quiet: 200 * time.Millisecond, bound: 30 * time.Second,
			setup:    func(l *fakeLog) { l.script(false, boot+rootWarLine+"\n") },
			wantLine: rootWarLine, min: 200 * time.Millisecond, max: 5 * time.Second,
		},
		{
			name: "the WAR named late, while the log keeps growing", profile: lab.ProfileWildFly,
			quiet: time.Second, bound: 30 * time.Second,
			setup: func(l *fakeLog) {
				steps := []any{boot}
				for range 8 { // 8 × 150 ms: longer than the quiet period in all
					steps = append(steps, 150*time.Millisecond, "WFLYSRV0212: still starting\n")
				}
				l.script(false, append(steps, eapLine+"\n")...)
			},
			wantLine: eapLine, min: 1200 * time.Millisecond, max: 10 * time.Second,
		},
		{
			name: "EAP finishes starting without naming a WAR: no quiet period", profile: lab.ProfileGeneric,
			quiet: 10 * time.Second, bound: 30 * time.Second,
			setup: func(l *fakeLog) {
				l.script(false, boot+"WFLYSRV0025: JBoss EAP 7.4.19.GA (WildFly Core 15.0.37.Final-redhat-00001) started in 9512ms - Started 300 of 500 services\n")
			},
			wantNote: []string{"named no WAR", "finished starting"}, max: 5 * time.Second,
		},
		{
			name: "the appserver lists no deployment: no quiet period", profile: lab.ProfileWildFly,
			quiet: 10 * time.Second, bound: 30 * time.Second,
			setup: func(l *fakeLog) {
				l.script(false, "appserver: APPSRV0012: No deployments directory /deployments\nappserver: APPSRV0025: Listening on [::]:8080 with 0 deployment(s)\n")
			},
			wantNote: []string{"finished starting"}, max: 5 * time.Second,
		},
		{
			name: "a WAR then the started line: the WAR", profile: lab.ProfileAppServer,
			quiet: 10 * time.Second, bound: 30 * time.Second,
			setup: func(l *fakeLog) {
				l.script(false, appsrvLine+"\nappserver: APPSRV0025: Listening on [::]:8080 with 1 deployment(s)\n")
			},
			wantLine: appsrvLine, max: 5 * time.Second,
		},
		{
			name: "another WAR, then the started line: the other WAR", profile: lab.ProfileWildFly,
			quiet: 10 * time.Second, bound: 30 * time.Second,
			setup: func(l *fakeLog) {
				l.script(false, rootWarLine+"\nWFLYSRV0026: JBoss EAP 7.4 started (with errors) in 8001ms - Started 1 of 2 services\n")
			},
			wantLine: rootWarLine, max: 5 * time.Second,
		},
		{
			name: "a server that never names its WAR and goes quiet costs the quiet period", profile: lab.ProfileWildFly,
			quiet: 300 * time.Millisecond, bound: 30 * time.Second,
			setup:    func(l *fakeLog) { l.script(false, boot, 50*time.Millisecond, "WFLYSRV0025: started in 9512ms\n") },
			wantNote: []string{"named no WAR", "silent for 300ms", "running and ready"},
			min:      300 * time.Millisecond, max: 5 * time.Second,
		},
		{
			name: "a log that keeps growing without a WAR stops at the bound", profile: lab.ProfileWildFly,
			quiet: 2 * time.Second, bound: 700 * time.Millisecond,
			setup:    func(l *fakeLog) { l.forever("GC pause", 20*time.Millisecond) },
			wantNote: []string{"named no WAR within 700ms", "kept growing"},
			min:      700 * time.Millisecond, max: 10 * time.Second,
		},
		{
			name: "the log ends without a WAR", profile: lab.ProfileWildFly,
			quiet: 10 * time.Second, bound: 30 * time.Second,
			setup:    func(l *fakeLog) { l.script(true, boot) },
			wantNote: []string{"ended without naming a WAR"}, max: 5 * time.Second,
		},
		{
			name: "the log cannot be opened", profile: lab.ProfileWildFly,
			quiet: 10 * time.Second, bound: 30 * time.Second,
			openErr:  errors.New(`container "custom-image-java" in pod "p" is waiting to start`),
			wantNote: []string{"could not be read", "waiting to start"}, max: 5 * time.Second,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			c := newClient(h, func(o *Options) { o.Profile, o.LogQuiet, o.LogWait = tc.profile, tc.quiet, tc.bound })
			l := newFakeLog()
			defer l.pw.Close()
			c.logs = func(ctx context.Context, _, pod, container string, follow bool) (io.ReadCloser, error) {
				if !follow || container != "custom-image-java" {
					t.Errorf("logs(%s, %s, follow=%v), want the app container followed", pod, container, follow)
				}
				if tc.openErr != nil {
					return nil, tc.openErr
				}
				return l.pr, nil
			}
			if tc.setup != nil {
				tc.setup(l)
			}
			start := time.Now()
			got, err := c.deployLine(context.Background(), appPod(c, "p", "6", t0))
			took := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if got.line != tc.wantLine {
				t.Errorf("line %q, want %q", got.line, tc.wantLine)
			}
			if (got.note == "") != (len(tc.wantNote) == 0) {
				t.Errorf("note %q, want one with %q", got.note, tc.wantNote)
			}
			for _, w := range tc.wantNote {
				if !strings.Contains(got.note, w) {
					t.Errorf("note %q lacks %q", got.note, w)
				}
			}
			if took < tc.min || took > tc.max {
				t.Errorf("took %s, want %s … %s", took, tc.min, tc.max)
			}
			if got.took <= 0 {
				t.Errorf("took recorded as %s", got.took)
			}
		})
	}
}

// Ctrl-C while following the log is an error, not a note.
func TestDeployLineCancelled(t *testing.T) {
	h := newHarness(t)
	c := newClient(h, func(o *Options) { o.LogQuiet, o.LogWait = 10*time.Second, 30*time.Second })
	l := newFakeLog()
	defer l.pw.Close()
	c.logs = func(context.Context, string, string, string, bool) (io.ReadCloser, error) { return l.pr, nil }
	l.script(false, "booting\n")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.deployLine(ctx, appPod(c, "p", "6", t0))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s to notice the cancellation", took)
	}
}
