// Command pulllab sets up OpenShift Local (CRC) and runs the imagePullPolicy
// lab: every case of the matrix run for real on a kubelet, with a report.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first Ctrl-C pulllab cleans up; a second one kills it.
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args, newStreams())
	stop()
	os.Exit(code)
}
