package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// completionShells are the shells `pulllab completion` writes scripts for.
var completionShells = []string{"bash", "zsh", "fish", "powershell"}

// The bash, zsh and PowerShell scripts ask pulllab itself for the words
// that may follow: urfave/cli answers when the last argument is
// --generate-bash-completion, listing subcommands, or the flags that start
// with the word being typed when that word starts with "-". The fish script
// is generated from the command tree instead (App.ToFishCompletion).

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
    # pulllab lists flags only when it is given the partial flag itself
    # ("-" stands for a bare "--", which would end its flags).
    if [[ $cur == -- ]]; then
        words+=(-)
    elif [[ $cur == -* ]]; then
        words+=("$cur")
    fi
    local IFS=$'\n'
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
    if ($wordToComplete -eq '--') { $rest += '-' }
    elseif ($wordToComplete -like '-*') { $rest += $wordToComplete }
    & $exe @rest --generate-bash-completion 2>$null |
        Where-Object { $_ -ne '' -and $_ -like "$wordToComplete*" } |
        ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}
`

func newCompletionCommand(g *globals) *cli.Command {
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
			if c.NArg() == 0 {
				for _, s := range completionShells {
					fmt.Fprintln(c.App.Writer, s)
				}
			}
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("name one shell: pulllab completion %s", strings.Join(completionShells, "|"))
			}
			// The fish script is generated from a fresh command tree: the
			// running one has had help flags and commands added already,
			// which the generator would list twice.
			script, err := completionScript(newApp(newGlobals(g.streams)), c.Args().First())
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(g.out, script)
			return err
		},
	}
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
		return strings.ReplaceAll(s, "`", ""), nil
	case "powershell", "pwsh":
		return powershellCompletion, nil
	default:
		return "", usagef("no completion for shell %q; use one of: %s", shell, strings.Join(completionShells, ", "))
	}
}
