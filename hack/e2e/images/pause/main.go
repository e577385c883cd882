// Command pause stands in for the Kubernetes pause image in pulllab's e2e
// harness, where no image can come from a public registry. It is the pod
// sandbox's first process: it holds the pod's namespaces open, reaps the
// zombies that a shared PID namespace hands to it, and exits 0 on SIGTERM or
// SIGINT.
//
// The harness builds it with CGO_ENABLED=0 and pushes it as
// 127.0.0.1:5000/pulllab-e2e/pause:3.10, containerd's sandbox_image.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-v" {
		fmt.Println("pause (pulllab e2e)")
		return
	}
	sigs := make(chan os.Signal, 16)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every exited child without blocking.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
