package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/internal/ui"
	"github.com/pulllab/pulllab/lab/target"
)

type downOptions struct {
	stop       bool
	delete     bool
	clearCache bool
	yes        bool
	// interactive is whether stdin is a terminal a prompt can use.
	interactive bool
}

func newDownCommand(g *globals) *cli.Command {
	o := &downOptions{}
	return &cli.Command{
		Name:  "down",
		Usage: "remove the lab; --stop also stops CRC, --delete deletes the CRC VM",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "stop", Usage: "stop the CRC VM after removing the lab (crc stop)", Destination: &o.stop},
			&cli.BoolFlag{Name: "delete", Usage: "delete the CRC VM and everything in it (crc delete)", Destination: &o.delete},
			&cli.BoolFlag{Name: "clear-cache", Usage: "with --delete, also remove crc's cached bundles (several GB)", Destination: &o.clearCache},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask before --delete", Destination: &o.yes},
		},
		Action: commandAction(g, o),
	}
}

// complete finds out whether a prompt can ask before --delete: stdin is a
// terminal.
func (o *downOptions) complete(e env) error {
	if f, ok := e.in.(*os.File); ok {
		o.interactive = ui.IsTerminal(f)
	}
	return nil
}

// validate refuses flags that do not go together, and --delete without
// --yes where nobody can be asked. down takes no arguments (flags after
// one would not be read).
func (o *downOptions) validate(args cli.Args) error {
	if err := noArgs("down", args, "choose what goes with --stop or --delete"); err != nil {
		return err
	}
	if o.clearCache && !o.delete {
		return usagef("--clear-cache only goes with --delete")
	}
	if o.stop && o.delete {
		return usagef("use --stop or --delete, not both (--delete also stops the VM)")
	}
	if o.delete && !o.yes && !o.interactive {
		return usagef("--delete removes the CRC VM and everything in it; pass --yes to confirm (there is no terminal to ask)")
	}
	return nil
}

func (o *downOptions) run(ctx context.Context, e env) error {
	if o.delete && !o.yes {
		ok, err := confirm(e.streams, "Delete the CRC VM with the cluster and everything in it? [y/N] ")
		if err != nil {
			return err
		}
		if !ok {
			e.status.Infof("nothing deleted")
			return nil
		}
	}
	var labErr error
	switch {
	case o.delete:
		// The namespace goes with the VM.
	default:
		labErr = removeLab(ctx, e)
		if labErr != nil && o.stop && ctx.Err() == nil {
			// Stopping CRC is what was asked for; the lab stays in the VM.
			e.status.Warnf("the lab was not removed: %s", withSelf(renderSettings(labErr.Error(), e.cfg), e.self))
			labErr = nil
		}
	}
	if !o.stop && !o.delete {
		return labErr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	paths, err := crcPaths(e)
	if err != nil {
		return err
	}
	path, err := findCRC(e, paths)
	if crcctl.KindOf(err) == crcctl.KindNotInstalled {
		e.status.Infof("crc is not installed, so there is no CRC VM to stop or delete")
		return labErr
	}
	if err != nil {
		return err
	}
	client := newCRCClient(e, path)
	if o.stop {
		err = stopCRC(ctx, e, client)
	} else {
		err = deleteCRC(ctx, e, client, o.clearCache)
	}
	return errors.Join(labErr, err)
}

func stopCRC(ctx context.Context, e env, client *crcctl.Client) error {
	e.status.Start("Stopping OpenShift Local (crc stop)")
	defer e.status.End(false)
	r, err := client.Stop(ctx)
	switch {
	case crcctl.KindOf(err) == crcctl.KindVMMissing:
		e.status.Infof("there is no CRC VM")
	case err != nil:
		return err
	case r.AlreadyStopped:
		e.status.Infof("it was already stopped")
	case r.Forced:
		e.status.Infof("crc had to power the VM off")
	}
	e.status.End(true)
	return nil
}

func deleteCRC(ctx context.Context, e env, client *crcctl.Client, clearCache bool) error {
	e.status.Start("Deleting the CRC VM (crc delete)")
	defer e.status.End(false)
	err := client.Delete(ctx, clearCache)
	switch {
	case crcctl.KindOf(err) == crcctl.KindVMMissing:
		e.status.Infof("there was no CRC VM")
	case err != nil:
		return err
	}
	if clearCache {
		e.status.Infof("crc's cache of bundles is cleared")
	}
	e.status.End(true)
	return nil
}

// confirm asks a yes/no question on stderr and reads the answer.
func confirm(s streams, question string) (bool, error) {
	fmt.Fprint(s.err, question)
	line, err := bufio.NewReader(s.in).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(s.err)
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// removeLab removes the lab from the cluster with the target's Teardown:
// its namespaces, each only when pulllab made it. Images stay in the
// registry; the node's cached lab images go with the kubelet's garbage
// collection or the VM.
func removeLab(ctx context.Context, e env) error {
	c, err := e.connect(ctx)
	if err != nil {
		return err
	}
	ns := e.cfg.Config.Lab.Namespace
	e.status.Start("Removing the lab %s from %s", ns, c.Host())
	defer e.status.End(false)
	if err := target.Teardown(ctx, c.Cluster, ns, target.Options{Log: e.log, Status: e.status}); err != nil {
		return fmt.Errorf("removing the lab: %w", err)
	}
	e.status.End(true)
	return nil
}
