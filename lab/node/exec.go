package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/remotecommand"
	utilexec "k8s.io/client-go/util/exec"

	"github.com/pulllab/pulllab/internal/kubeclient"
)

// Execer runs a command in a container of a pod and returns its output.
// A command that exits non-zero returns an *ExitError.
type Execer interface {
	Exec(ctx context.Context, namespace, pod, container string, argv []string) (stdout, stderr []byte, err error)
}

// ExitError is a command that ran in the container and exited non-zero.
type ExitError struct {
	Argv   []string
	Code   int
	Stderr []byte
}

// Error names the command, its exit code and its standard error.
func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s exited with code %d", strings.Join(e.Argv, " "), e.Code)
	if s := strings.TrimSpace(string(e.Stderr)); s != "" {
		msg += ": " + s
	}
	return msg
}

// apiExecer runs commands through the pods/exec subresource.
type apiExecer struct {
	cfg *rest.Config
	cs  kubeclient.Interface
}

// NewExecer returns an Execer that uses the API server's exec subresource,
// as kubectl exec does: the WebSocket protocol first, falling back to SPDY
// when the server (or a proxy in between) does not upgrade to WebSockets.
// Standard input and a TTY are never attached.
func NewExecer(cfg *rest.Config, cs kubeclient.Interface) Execer {
	return &apiExecer{cfg: cfg, cs: cs}
}

// Exec implements Execer.
func (x *apiExecer) Exec(ctx context.Context, namespace, pod, container string, argv []string) ([]byte, []byte, error) {
	if len(argv) == 0 {
		return nil, nil, fmt.Errorf("exec in pod %s/%s: no command", namespace, pod)
	}
	u := x.cs.CoreV1().RESTClient().Post().
		Resource("pods").Namespace(namespace).Name(pod).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: container, Command: argv, Stdout: true, Stderr: true}, scheme.ParameterCodec).
		URL()
	ws, err := remotecommand.NewWebSocketExecutor(x.cfg, "GET", u.String())
	if err != nil {
		return nil, nil, fmt.Errorf("exec in pod %s/%s: %w", namespace, pod, err)
	}
	spdy, err := remotecommand.NewSPDYExecutor(x.cfg, "POST", u)
	if err != nil {
		return nil, nil, fmt.Errorf("exec in pod %s/%s: %w", namespace, pod, err)
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("exec in pod %s/%s: %w", namespace, pod, err)
	}
	var stdout, stderr bytes.Buffer
	err = ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		var ee utilexec.ExitError
		if errors.As(err, &ee) && ee.Exited() {
			return stdout.Bytes(), stderr.Bytes(), &ExitError{Argv: argv, Code: ee.ExitStatus(), Stderr: stderr.Bytes()}
		}
		return stdout.Bytes(), stderr.Bytes(), fmt.Errorf("exec %q in pod %s/%s: %w", strings.Join(argv, " "), namespace, pod, err)
	}
	return stdout.Bytes(), stderr.Bytes(), nil
}
