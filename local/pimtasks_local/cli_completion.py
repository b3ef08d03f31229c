"""Shell completion for ``pimtasks``, generated from its argparse parser (``pimtasks completion bash|zsh``).

Written here rather than taken from ``shtab`` (or ``argcomplete``): the command tree is two words deep and
the script that completes it is a few dozen lines, while either package would be another dependency of
every install (and argcomplete runs Python on each <TAB>). Generated from the same parser that parses the
command line, it cannot drift from the commands. zsh runs the bash function through ``bashcompinit``.
"""

from __future__ import annotations

import argparse
import shlex

FUNCTION = "_pimtasks"


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> tuple[list[str], list[str]]:
    """The parser's option strings, and those of them that take a value."""
    flags: list[str] = []
    with_value: list[str] = []
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        flags += [flag for flag in action.option_strings if flag.startswith("--") or len(action.option_strings) == 1]
        if action.nargs != 0:
            with_value += action.option_strings
    return flags, with_value


def _nodes(parser: argparse.ArgumentParser, path: str = "") -> list[tuple[str, list[str], list[str]]]:
    """(command path, its subcommands, its options) for the parser and every subcommand below it."""
    children = _subcommands(parser)
    flags, _ = _options(parser)
    nodes = [(path, list(children), flags)]
    for name, child in children.items():
        nodes += _nodes(child, f"{path} {name}".strip())
    return nodes


def _value_options(parser: argparse.ArgumentParser) -> set[str]:
    found = set(_options(parser)[1])
    for child in _subcommands(parser).values():
        found |= _value_options(child)
    return found


def bash_script(parser: argparse.ArgumentParser, *, program: str = "pimtasks") -> str:
    """A bash completion script: command words where a command word goes, the command's options after
    ``-``, and files (bash's default) for everything else."""
    cases = []
    for path, children, flags in _nodes(parser):
        cases.append(f"    {shlex.quote(path) if path else chr(39) * 2}) words={shlex.quote(' '.join(children))}; "
                     f"flags={shlex.quote(' '.join(flags))};;")
    takes_value = "|".join(sorted(_value_options(parser))) or "--"
    return "\n".join([
        f"# {program} completion for bash (zsh: `pimtasks completion zsh`)",
        f"{FUNCTION}_node() {{",
        "  words=''; flags=''",
        '  case "$1" in',
        *cases,
        "    *) return 1;;",
        "  esac",
        "}",
        f"{FUNCTION}() {{",
        '  local cur="${COMP_WORDS[COMP_CWORD]}" path="" i word words flags',
        "  for ((i = 1; i < COMP_CWORD; i++)); do",
        '    word="${COMP_WORDS[i]}"',
        '    case "$word" in',
        f"      {takes_value}) ((i++));;",
        "      -*) ;;",
        f'      *) {FUNCTION}_node "${{path:+$path }}$word" && path="${{path:+$path }}$word";;',
        "    esac",
        "  done",
        f'  {FUNCTION}_node "$path"',
        '  if [[ "$cur" == -* ]]; then',
        '    COMPREPLY=($(compgen -W "$flags" -- "$cur"))',
        '  elif [[ -n "$words" ]]; then',
        '    COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        "  else",
        "    COMPREPLY=()",
        "  fi",
        "}",
        f"complete -o default -F {FUNCTION} {program}",
        "",
    ])


def zsh_script(parser: argparse.ArgumentParser, *, program: str = "pimtasks") -> str:
    """The bash script, run by zsh's ``bashcompinit``."""
    return (f"# {program} completion for zsh: add `source <({program} completion zsh)` to ~/.zshrc\n"
            "(( $+functions[compdef] )) || { autoload -U +X compinit && compinit -u; }\n"
            "autoload -U +X bashcompinit && bashcompinit\n"
            + bash_script(parser, program=program))


SCRIPTS = {"bash": bash_script, "zsh": zsh_script}
