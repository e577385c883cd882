package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/crcctl"
)

type envOptions struct {
	shell string
}

func newEnvCommand(g *globals) *cli.Command {
	o := &envOptions{}
	return &cli.Command{
		Name:  "env",
		Usage: "print the shell lines that put crc's oc on PATH",
		Description: "Like `crc oc-env`: bash/zsh `eval $(pulllab env)`, fish `eval (pulllab env)`,\n" +
			"PowerShell `pulllab env | Invoke-Expression`. With --kubeconfig, KUBECONFIG is set too.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "shell", Usage: "print lines for `SHELL`: bash, zsh, fish, powershell (or pwsh), cmd (default: detected)", Destination: &o.shell},
		},
		Action: commandAction(g, o),
	}
}

// validate checks --shell; env takes no arguments (flags after one would
// not be read).
func (o *envOptions) validate(args cli.Args) error {
	if err := noArgs("env", args, "name the shell with --shell SHELL"); err != nil {
		return err
	}
	if o.shell == "" {
		return nil
	}
	if _, err := crcctl.ParseShell(o.shell); err != nil {
		return usagef("--shell: %v", err)
	}
	return nil
}

func (o *envOptions) run(_ context.Context, e env) error {
	paths, err := crcPaths(e)
	if err != nil {
		return err
	}
	var sh crcctl.Shell
	if o.shell != "" {
		sh, _ = crcctl.ParseShell(o.shell)
	} else {
		var ancestors []string
		if e.goos == runtime.GOOS {
			ancestors = crcctl.ParentProcessNames(16)
		}
		getenv := func(k string) string { v, _ := e.lookupEnv(k); return v }
		var sure bool
		sh, sure = crcctl.DetectShell(e.goos, ancestors, getenv)
		e.log.Debugf("env: parent processes %v; shell %s (sure: %v)", ancestors, sh, sure)
		if !sure {
			e.status.Warnf("could not tell which shell this is; printing %s lines (pass --shell to choose)", sh)
		}
	}
	vars := []crcctl.EnvVar{{Name: "PATH", Value: paths.OcDir, Prepend: true}}
	hint := []string{"pulllab"}
	if e.kubeconfig != "" {
		kc, err := absPath(e, e.kubeconfig)
		if err != nil {
			return usagef("--kubeconfig %s: %v", e.kubeconfig, err)
		}
		vars = append(vars, crcctl.EnvVar{Name: "KUBECONFIG", Value: kc})
		hint = append(hint, "--kubeconfig", hintQuote(sh, kc))
	}
	hint = append(hint, "env")
	if o.shell != "" {
		hint = append(hint, "--shell", string(sh))
	}
	fmt.Fprint(e.out, crcctl.RenderEnv(sh, e.goos, vars, strings.Join(hint, " ")))
	if _, err := os.Stat(paths.Oc); err != nil {
		e.status.Warnf("%s does not exist yet; `pulllab up` (crc setup and start) puts oc there", paths.Oc)
	}
	return nil
}

// hintQuote quotes a path for the usage hint when it has spaces.
func hintQuote(sh crcctl.Shell, p string) string {
	if !strings.ContainsAny(p, " \t'\"") {
		return p
	}
	if sh == crcctl.ShellCmd || sh == crcctl.ShellPowerShell {
		return `"` + p + `"`
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
