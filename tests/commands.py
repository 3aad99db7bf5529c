"""Every command of the CLI as the words that call it ([], ["query"], ["saved", "add"], …), read from
the application itself, so that a test over all commands needs no list to keep up to date."""

from __future__ import annotations


def command_paths() -> list[list[str]]:
    import typer

    from esfsearch.cli import app

    paths: list[list[str]] = [[]]

    def walk(command, prefix: list[str]) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths
