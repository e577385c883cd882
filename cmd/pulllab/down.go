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
		Action: func(c *cli.Context) error {
			if f, ok := g.in.(*os.File); ok {
				o.interactive = ui.IsTerminal(f)
			}
			if err := o.validate(); err != nil {
				return err
			}
			return o.run(c.Context, g)
		},
	}
}

func (o *downOptions) validate() error {
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

func (o *downOptions) run(ctx context.Context, g *globals) error {
	if o.delete && !o.yes {
		ok, err := confirm(g, "Delete the CRC VM with the cluster and everything in it? [y/N] ")
		if err != nil {
			return err
		}
		if !ok {
			g.status.Infof("nothing deleted")
			return nil
		}
	}
	var labErr error
	switch {
	case o.delete:
		// The namespace goes with the VM.
	default:
		labErr = removeLab(ctx, g)
		if labErr != nil && o.stop && ctx.Err() == nil {
			// Stopping CRC is what was asked for; the lab stays in the VM.
			g.status.Warnf("the lab was not removed: %v", labErr)
			labErr = nil
		}
	}
	if !o.stop && !o.delete {
		return labErr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	paths, err := crcPaths(g)
	if err != nil {
		return err
	}
	path, err := findCRC(g, paths)
	if crcctl.KindOf(err) == crcctl.KindNotInstalled {
		g.status.Infof("crc is not installed, so there is no CRC VM to stop or delete")
		return labErr
	}
	if err != nil {
		return err
	}
	client := newCRCClient(g, path)
	if o.stop {
		err = stopCRC(ctx, g, client)
	} else {
		err = deleteCRC(ctx, g, client, o.clearCache)
	}
	return errors.Join(labErr, err)
}

func stopCRC(ctx context.Context, g *globals, client *crcctl.Client) error {
	g.status.Start("Stopping OpenShift Local (crc stop)")
	defer g.status.End(false)
	r, err := client.Stop(ctx)
	switch {
	case crcctl.KindOf(err) == crcctl.KindVMMissing:
		g.status.Infof("there is no CRC VM")
	case err != nil:
		return err
	case r.AlreadyStopped:
		g.status.Infof("it was already stopped")
	case r.Forced:
		g.status.Infof("crc had to power the VM off")
	}
	g.status.End(true)
	return nil
}

func deleteCRC(ctx context.Context, g *globals, client *crcctl.Client, clearCache bool) error {
	g.status.Start("Deleting the CRC VM (crc delete)")
	defer g.status.End(false)
	err := client.Delete(ctx, clearCache)
	switch {
	case crcctl.KindOf(err) == crcctl.KindVMMissing:
		g.status.Infof("there was no CRC VM")
	case err != nil:
		return err
	}
	if clearCache {
		g.status.Infof("crc's cache of bundles is cleared")
	}
	g.status.End(true)
	return nil
}

// confirm asks a yes/no question on stderr and reads the answer.
func confirm(g *globals, question string) (bool, error) {
	fmt.Fprint(g.err, question)
	line, err := bufio.NewReader(g.in).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(g.err)
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
func removeLab(ctx context.Context, g *globals) error {
	c, err := g.connect(ctx)
	if err != nil {
		return err
	}
	ns := g.cfg.Config.Lab.Namespace
	g.status.Start("Removing the lab %s from %s", ns, c.Host())
	defer g.status.End(false)
	if err := target.Teardown(ctx, c.Cluster, ns, target.Options{Log: g.log, Status: g.status}); err != nil {
		return fmt.Errorf("removing the lab: %w", err)
	}
	g.status.End(true)
	return nil
}
