package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pulllab/pulllab/crcctl"
	"github.com/pulllab/pulllab/internal/config"
	"github.com/pulllab/pulllab/lab"
	"github.com/pulllab/pulllab/lab/report"
)

// completionShells are the shells `pulllab completion` writes scripts for.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

// The bash, zsh and PowerShell scripts ask pulllab itself for the words
// that may follow. First whether the word being typed is a flag's value
// (valuesMarker: pulllab names the values, or says a file goes there);
// otherwise urfave/cli answers when the last argument is
// --generate-bash-completion, listing subcommands, or the flags that start
// with the word being typed when that word starts with "-". The fish script
// is generated from the command tree (App.ToFishCompletion), its value
// flags asking pulllab for their values the same way.

const bashCompletion = `# bash completion for pulllab.
# Load it in this shell:  source <(pulllab completion bash)
# Load it in every shell: pulllab completion bash > ~/.local/share/bash-completion/completions/pulllab
_pulllab_complete() {
    local cur=${COMP_WORDS[COMP_CWORD]} w
    local -a words=("${COMP_WORDS[@]:0:COMP_CWORD}")
    # After "--" pulllab would not complete but run the command: don't ask.
    for w in "${words[@]}"; do
        [[ $w == -- ]] && return 0
    done
    local IFS=$'\n'
    # bash splits "--output=" into "--output" and "=".
    if [[ $cur == = ]]; then
        words+=(=)
        cur=
    fi
    # A flag's value: pulllab says "files", or "values" and the values.
    local -a vals=($("${words[0]}" completion "__values=$cur" "${words[@]:1}" --generate-bash-completion 2>/dev/null))
    case ${vals[0]} in
    files)
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
        return 0 ;;
    values)
        COMPREPLY=($(compgen -W "${vals[*]:1}" -- "$cur"))
        return 0 ;;
    esac
    # pulllab lists flags only when it is given the partial flag itself
    # ("-" stands for a bare "--", which would end its flags).
    if [[ $cur == -- ]]; then
        words+=(-)
    elif [[ $cur == -* ]]; then
        words+=("$cur")
    fi
    COMPREPLY=($(compgen -W "$("${words[@]}" --generate-bash-completion 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _pulllab_complete pulllab pulllab.exe
`

const zshCompletion = `# zsh completion for pulllab.
# Load it in this shell:  source <(pulllab completion zsh)
# Load it in every shell: pulllab completion zsh > "${fpath[1]}/_pulllab"
_pulllab() {
  local -a args opts
  args=("${(@)words[1,CURRENT-1]}")
  # After "--" pulllab would not complete but run the command: don't ask.
  if (( ${args[(Ie)--]} )); then
    _files
    return
  fi
  # A flag's value: pulllab says "files", or "values" and the values.
  local -a vals
  vals=("${(@f)$("${args[1]}" completion "__values=${words[CURRENT]}" "${(@)args[2,-1]}" --generate-bash-completion 2>/dev/null)}")
  case ${vals[1]} in
    files) _files; return ;;
    values) compadd -- "${(@)vals[2,-1]}"; return ;;
  esac
  # pulllab lists flags only when it is given the partial flag itself
  # ("-" stands for a bare "--", which would end its flags).
  if [[ ${words[CURRENT]} == -- ]]; then
    args+=(-)
  elif [[ ${words[CURRENT]} == -* ]]; then
    args+=("${words[CURRENT]}")
  fi
  opts=("${(@f)$("${args[@]}" --generate-bash-completion 2>/dev/null)}")
  opts=(${opts:#})
  if (( ${#opts} )); then
    compadd -- "${opts[@]}"
  else
    _files
  fi
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
  _pulllab "$@"
else
  (( $+functions[compdef] )) || { autoload -Uz compinit && compinit }
  compdef _pulllab pulllab
fi
`

const powershellCompletion = `# PowerShell completion for pulllab.
# Load it in this session:  pulllab completion powershell | Out-String | Invoke-Expression
# Load it in every session: add that line to the file that $PROFILE names.
Register-ArgumentCompleter -Native -CommandName 'pulllab', 'pulllab.exe' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements |
        Where-Object { $_.Extent.StartOffset -lt $cursorPosition } |
        ForEach-Object { $_.Extent.Text })
    $exe = $words[0]
    $rest = @()
    if ($words.Count -gt 1) { $rest = @($words[1..($words.Count - 1)]) }
    # Drop the word being typed; pulllab lists flags only when it is given
    # the partial flag itself ("-" stands for a bare "--", which would end
    # its flags).
    if ($wordToComplete -ne '' -and $rest.Count -gt 0) {
        if ($rest.Count -gt 1) { $rest = @($rest[0..($rest.Count - 2)]) } else { $rest = @() }
    }
    # After "--" pulllab would not complete but run the command: don't ask.
    if ($rest -contains '--') { return }
    # A flag's value: pulllab says "files", or "values" and the values.
    $vals = @(& $exe completion "__values=$wordToComplete" @rest --generate-bash-completion 2>$null)
    # With no results PowerShell completes paths itself.
    if ($vals.Count -gt 0 -and $vals[0] -eq 'files') { return }
    if ($vals.Count -gt 0 -and $vals[0] -eq 'values') {
        $vals | Select-Object -Skip 1 | Where-Object { $_ -like "$wordToComplete*" } |
            ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
        return
    }
    if ($wordToComplete -eq '--') { $rest += '-' }
    elseif ($wordToComplete -like '-*') { $rest += $wordToComplete }
    & $exe @rest --generate-bash-completion 2>$null |
        Where-Object { $_ -ne '' -and $_ -like "$wordToComplete*" } |
        ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}
`

func newCompletionCommand(g *globals) *cli.Command {
	o := &completionOptions{}
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the shell completion script for bash, zsh, fish or powershell",
		UsageText: "pulllab completion bash|zsh|fish|powershell",
		Description: "bash:       source <(pulllab completion bash)\n" +
			"zsh:        source <(pulllab completion zsh)\n" +
			"fish:       pulllab completion fish > ~/.config/fish/completions/pulllab.fish\n" +
			"PowerShell: pulllab completion powershell | Out-String | Invoke-Expression\n" +
			"Each script's first lines say how to load it in every new shell.",
		BashComplete: func(c *cli.Context) {
			if cur, ok := strings.CutPrefix(c.Args().First(), valuesMarker); ok {
				words := append(slices.Clone(c.Args().Tail()), cur)
				kind, values := flagValueCompletion(newApp(newGlobals(g.streams)), words)
				if kind != "" {
					fmt.Fprintln(c.App.Writer, kind)
				}
				for _, v := range values {
					fmt.Fprintln(c.App.Writer, v)
				}
				return
			}
			if c.NArg() == 0 {
				for _, s := range completionShells {
					fmt.Fprintln(c.App.Writer, s)
				}
			}
		},
		Action: commandAction(g, o),
	}
}

// completionOptions is the argument of `pulllab completion`: the shell.
type completionOptions struct {
	shell string
}

// validate takes the one argument, the shell.
func (o *completionOptions) validate(args cli.Args) error {
	if args.Len() != 1 {
		return usagef("name one shell: pulllab completion %s", strings.Join(completionShells, "|"))
	}
	o.shell = args.First()
	return nil
}

// run prints the shell's script. The fish script is generated from a fresh
// command tree: the running one has had help flags and commands added
// already, which the generator would list twice.
func (o *completionOptions) run(_ context.Context, e env) error {
	script, err := completionScript(newApp(newGlobals(e.streams)), o.shell)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(e.out, script)
	return err
}

// completionScript returns the completion script for shell.
func completionScript(app *cli.App, shell string) (string, error) {
	switch strings.ToLower(shell) {
	case "bash":
		return bashCompletion, nil
	case "zsh":
		return zshCompletion, nil
	case "fish":
		s, err := app.ToFishCompletion()
		if err != nil {
			return "", fmt.Errorf("generating the fish completion: %w", err)
		}
		// Descriptions come from flag usage, where `WORD` marks the value
		// placeholder; fish has no use for the backquotes.
		return fishWithValues(strings.ReplaceAll(s, "`", "")), nil
	case "powershell", "pwsh":
		return powershellCompletion, nil
	default:
		return "", usagef("no completion for shell %q; use one of: %s", shell, strings.Join(completionShells, ", "))
	}
}

// valuesMarker starts the first argument of `pulllab completion` in
// completion mode when a script asks what may be typed at the cursor if it
// is a flag's value: the scripts run `pulllab completion __values=CUR
// WORDS… --generate-bash-completion`, CUR being the word under the cursor
// (joined to the marker so that it is never an empty argument, which older
// PowerShell drops) and WORDS those before it, program name excluded.
// Flag parsing stops at the marker, so WORDS may hold flags; "--" is not
// used because it turns urfave/cli's completion mode off. The answer's
// first line is "files" (the shell completes file names), or "values" then
// one value a line (maybe none: a value nobody can guess, such as a
// namespace), or nothing when CUR is not a flag's value (the script then
// asks for commands and flags as before).
const valuesMarker = "__values="

// flagValueCompletion answers valuesMarker for words, the words after the
// program name, the last one being the word under the cursor.
func flagValueCompletion(app *cli.App, words []string) (kind string, values []string) {
	if len(words) == 0 {
		return "", nil
	}
	cur := words[len(words)-1]
	before := words[:len(words)-1]
	cmdFlags, name, prefix := app.Flags, "", ""
	var path []string
	// Walk the words before the cursor: descend into commands, skip flag
	// values, and find the flag whose value is at the cursor.
	for i := 0; i < len(before); i++ {
		w := before[i]
		switch {
		case w == "--":
			return "", nil
		case w == "=":
			// bash splits "--output=js" into "--output", "=" and "js".
			continue
		case strings.HasPrefix(w, "-") && len(w) > 1:
			n := strings.TrimLeft(w, "-")
			if strings.Contains(n, "=") {
				continue
			}
			f := findFlag(app, cmdFlags, n)
			if f == nil || !flagTakesValue(f) {
				continue
			}
			last := i == len(before)-1 || (i == len(before)-2 && before[i+1] == "=")
			if last {
				name = n
			} else if i+1 < len(before) && before[i+1] == "=" {
				i += 2
			} else {
				i++
			}
		default:
			if c := findCommand(app, path, w); c != nil {
				path = append(path, c.Name)
				cmdFlags = c.Flags
			}
		}
	}
	if name == "" {
		// "--output=js" as one word (zsh, PowerShell, fish).
		n, v, ok := strings.Cut(strings.TrimLeft(cur, "-"), "=")
		if !strings.HasPrefix(cur, "-") || !ok {
			return "", nil
		}
		f := findFlag(app, cmdFlags, n)
		if f == nil || !flagTakesValue(f) {
			return "", nil
		}
		name, prefix, cur = n, cur[:len(cur)-len(v)], v
	}
	f := findFlag(app, cmdFlags, name)
	if sf, ok := f.(*cli.StringFlag); ok && sf.TakesFile {
		return "files", nil
	}
	for _, v := range flagValues(app, f, cur) {
		values = append(values, prefix+v)
	}
	return "values", values
}

// flagValues lists the values of flag f that complete cur.
func flagValues(app *cli.App, f cli.Flag, cur string) []string {
	name := f.Names()[0]
	switch name {
	case "lang":
		return report.Languages
	case "shell":
		out := make([]string, len(crcctl.Shells))
		for i, s := range crcctl.Shells {
			out[i] = string(s)
		}
		return out
	case "until":
		return upStepNames
	case "preset":
		return config.Presets
	case "cases":
		// A comma-separated list: complete the last element.
		head := ""
		if i := strings.LastIndexByte(cur, ','); i >= 0 {
			head = cur[:i+1]
		}
		chosen := strings.Split(head, ",")
		var out []string
		for _, c := range lab.Matrix(true) {
			if id := strconv.Itoa(c.ID); !slices.Contains(chosen, id) {
				out = append(out, head+id)
			}
		}
		return out
	}
	// -o, --format, --log-level: the words their usage lists after the
	// placeholder ("print as `FORMAT`: text, json or yaml"); a command's copy
	// of a global flag lists them on the global one.
	if vs := usageValues(f); len(vs) > 0 {
		return vs
	}
	if g := findFlag(app, app.Flags, name); g != nil {
		return usageValues(g)
	}
	return nil
}

// usageValues reads "a, b or c" after the "`PLACEHOLDER`" and the next
// ": " in f's usage, up to a parenthesis or a bracket.
func usageValues(f cli.Flag) []string {
	df, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return nil
	}
	_, u, ok := strings.Cut(df.GetUsage(), "`")
	if _, u, ok = strings.Cut(u, "`"); !ok {
		return nil
	}
	if j := strings.IndexAny(u, "(["); j >= 0 {
		u = u[:j]
	}
	if _, u, ok = strings.Cut(u, ": "); !ok {
		return nil
	}
	var out []string
	for _, w := range strings.Split(strings.ReplaceAll(u, " or ", ", "), ",") {
		w = strings.TrimSpace(w)
		if w == "" || strings.ContainsAny(w, " `") {
			return nil // prose, not a list of words
		}
		out = append(out, w)
	}
	return out
}

// findFlag finds the flag called name among flags, else among the app's.
func findFlag(app *cli.App, flags []cli.Flag, name string) cli.Flag {
	for _, set := range [][]cli.Flag{flags, app.Flags} {
		for _, f := range set {
			if slices.Contains(f.Names(), name) {
				return f
			}
		}
	}
	return nil
}

func flagTakesValue(f cli.Flag) bool {
	df, ok := f.(cli.DocGenerationFlag)
	return ok && df.TakesValue()
}

// findCommand finds the subcommand called name (or an alias) under path.
func findCommand(app *cli.App, path []string, name string) *cli.Command {
	cmds := app.Commands
	for _, p := range path {
		var next []*cli.Command
		for _, c := range cmds {
			if c.Name == p {
				next = c.Subcommands
			}
		}
		cmds = next
	}
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// fishValues asks pulllab for a flag's values (see valuesMarker); fish
// itself completes file names for flags that take files (those lines carry
// no -f), and splits "--output=j" before asking.
const fishValues = `
# The values of the flag before the cursor, from pulllab itself.
function __pulllab_values
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    if string match -qr -- '^--?[^=]+=' $cur
        set -a tokens (string replace -r -- '=.*' '' $cur)
        set cur (string replace -r -- '^[^=]*=' '' $cur)
    end
    set -l out ($tokens[1] completion "__values=$cur" $tokens[2..-1] --generate-bash-completion 2>/dev/null)
    if test "$out[1]" = values
        printf '%s\n' $out[2..-1]
    end
end
`

// fishWithValues adds the function above after the generated script's
// first line and makes every flag that takes a value (-r) complete its
// values with it.
func fishWithValues(script string) string {
	head, body, _ := strings.Cut(script, "\n")
	lines := strings.Split(body, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "complete ") && strings.Contains(l, " -l ") && strings.Contains(l, " -r") {
			lines[i] = strings.Replace(l, " -r", " -r -a '(__pulllab_values)'", 1)
		}
	}
	return head + "\n" + fishValues + strings.Join(lines, "\n")
}
