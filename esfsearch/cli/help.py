"""`--help` and usage errors in the user's language.

Typer builds the commands, with their help, when the CLI is imported, before `--lang` or the locale
is read. So the help texts stay English msgids (`help=N_("…")` in the decorators and options) and are
translated when Click renders them: `App` makes every command and group of ours a `HelpCommand` or
`HelpGroup`, whose `format_help` words the command's help, its parameters' help, its subcommands'
short help and Click's own headings ("Usage:", "Options", "Show this message and exit." …) in the
current language, then puts the English back. A help text composed from the field registry or the sort
names is made by a function (`lazy`), called again in the language of the help being shown.

A usage error (an unknown option or command, a missing value) is Click's English message; our commands
catch it where Click raises it and raise a `WordedUsageError`, which shows Click's frame ("Try … for
help.", "Error:") and the known message shapes in the current language.
"""

from __future__ import annotations

import copy
import functools
import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import typer
import typer.core
import typer.main

from ..i18n import N_, _, speaking

# Typer's and Click's own words in a help screen, marked here so that our catalogue has them. Typer
# gettexts its headings (from the `messages` domain, which has no Swedish: they are looked up in ours
# while help is rendered); the copy of Click it brings (typer._click) writes "Usage:" and the help
# option's text in English, so `format_usage` and the parameters' help put ours in their place.
CLICK_WORDS = (
    N_("Usage:"),
    N_("[OPTIONS]"),
    N_("COMMAND [ARGS]..."),
    N_("Options"),
    N_("Arguments"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("default: {default}"),
    N_("required"),
)
_GETTEXT_USERS = (typer.core,)  # the modules that call `_` while rendering help

# English help text (as Click keeps it: cleandoc'ed) -> the function that words it in the current language.
_LAZY: dict[str, Callable[[], str]] = {}


def lazy(render: Callable[[], str]) -> str:
    """A help text composed at run time (`lambda: _("Counts per {facets}").format(…)`): its English
    text, which `--help` shows worded again, by `render`, in the current language."""
    with speaking("en"):
        english = render()
    _LAZY[inspect.cleandoc(english)] = render
    return english


def translated(text: str | None) -> str | None:
    """A help text of ours in the current language (a text that is no msgid stays as it is)."""
    if not text:
        return text
    render = _LAZY.get(text)
    return render() if render is not None else _(text)


@contextmanager
def _swapped(obj: Any, attr: str, value: Any) -> Iterator[None]:
    before = getattr(obj, attr)
    setattr(obj, attr, value)
    try:
        yield
    finally:
        setattr(obj, attr, before)


@contextmanager
def in_language(command: Any, ctx: Any) -> Iterator[None]:
    """While a help screen is rendered: the command's, its parameters' and subcommands' help and
    Click's words translated (the parameters are listed first, so Click's help option is made, and
    cached, with its English text)."""
    with ExitStack() as stack:
        targets: list[Any] = [command, *command.get_params(ctx)]
        if hasattr(command, "list_commands"):  # a group: its commands' short help
            targets += [command.get_command(ctx, name) for name in command.list_commands(ctx)]
        for target in targets:
            if target is not None and getattr(target, "help", None):
                stack.enter_context(_swapped(target, "help", translated(target.help)))
        for module in _GETTEXT_USERS:
            stack.enter_context(_swapped(module, "_", _))
        yield


def _format_usage(command: Any, ctx: Any, formatter: Any) -> None:
    """The usage line ('Usage: esfsearch query [OPTIONS] [text]...'), its first word translated."""
    words = {"[OPTIONS]": _("[OPTIONS]"), "COMMAND [ARGS]...": _("COMMAND [ARGS]...")}
    pieces = [words.get(piece, piece) for piece in command.collect_usage_pieces(ctx)]
    formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=_("Usage:") + " ")


def _click_module() -> Any:
    """The Click that Typer runs on: its own copy (typer._click, Typer ≥ 0.26) or the click package."""
    module = getattr(typer.core, "_click", None)
    if module is None:  # pragma: no cover - older Typer
        import click as module
    return module


_UsageError: Any = _click_module().exceptions.UsageError


@functools.cache
def _click_messages() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Click's usage messages, as its English reads, and the msgid each is worded with (compiled
    when a usage error is worded, not on every start)."""
    return tuple(
        (re.compile(pattern), msgid)
        for pattern, msgid in (
            (r"No such option:? '?(?P<name>-[^'\s]*)'?\.?", N_("No such option: {name}")),
            (r"\(Possible options: (?P<options>[^)]*)\)", N_("(Possible options: {options})")),
            (r"No such command '(?P<name>[^']*)'\.", N_("No such command '{name}'.")),
            (r"Did you mean (?P<names>.*)\?", N_("Did you mean {names}?")),
            (r"Option '(?P<name>[^']*)' requires an argument\.", N_("Option '{name}' requires an argument.")),
            (
                r"Option '(?P<name>[^']*)' requires (?P<n>\d+) arguments\.",
                N_("Option '{name}' requires {n} arguments."),
            ),
            (
                r"Option '(?P<name>[^']*)' does not take a value\.",
                N_("Option '{name}' does not take a value."),
            ),
            (
                r"Got unexpected extra arguments? \((?P<args>.*)\)",
                N_("Got unexpected extra arguments ({args})"),
            ),
            (r"Missing argument '(?P<name>[^']*)'\.", N_("Missing argument '{name}'.")),
            (r"Missing option '(?P<name>[^']*)'\.", N_("Missing option '{name}'.")),
            (r"^Invalid value for (?P<hint>'[^']*'|[^:]*): ", N_("Invalid value for {hint}: ")),
            (
                r"'(?P<value>[^']*)' is not a valid int(?:eger| range)\.",
                N_("'{value}' is not a whole number."),
            ),
        )
    )


def worded_usage(message: str) -> str:
    """Click's usage message with each part of a known shape in the current language (the rest, such as
    a value's own complaint, as Click wrote it)."""
    for pattern, msgid in _click_messages():
        message = pattern.sub(functools.partial(_reworded, msgid), message)
    return message


def _reworded(msgid: str, match: re.Match[str]) -> str:
    return _(msgid).format(**match.groupdict())


class WordedUsageError(_UsageError):
    """A usage error shown as Click shows it (usage line, how to get help, the error), in the user's
    language."""

    def __init__(self, error: Any) -> None:
        super().__init__(error.format_message(), error.ctx)
        self.exit_code = error.exit_code

    def format_message(self) -> str:
        return worded_usage(self.message)

    def show(self, file: Any = None) -> None:
        if self.ctx is not None:
            hint = ""
            if self.ctx.command.get_help_option(self.ctx) is not None:
                command = f"{self.ctx.command_path} {self.ctx.help_option_names[0]}"
                hint = _("Try '{command}' for help.").format(command=command) + "\n"
            typer.echo(f"{self.ctx.get_usage()}\n{hint}", err=True, color=self.ctx.color)
        typer.echo(_("Error: {message}").format(message=self.format_message()), err=True)


@contextmanager
def _worded_usage_errors() -> Iterator[None]:
    try:
        yield
    except WordedUsageError:
        raise
    except _UsageError as error:
        raise WordedUsageError(error) from None


class HelpCommand(typer.core.TyperCommand):
    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _worded_usage_errors():
            return super().make_context(*args, **kwargs)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with in_language(self, ctx):
            super().format_help(ctx, formatter)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _format_usage(self, ctx, formatter)


class DeferredCommand(HelpCommand):
    """A command as its group lists it (name and help) before Typer has read its parameters; the
    group builds the real one when asked for it (`HelpGroup.get_command`). Typer reads every
    parameter of every command on each start otherwise (~15 ms CPU here, the `saved` group a third
    of it): a run builds only the command it runs, `--help` of the group all of them."""

    def __init__(self, *args: Any, info: Any, app: typer.Typer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.info, self.app = info, app

    def build(self) -> Any:
        return typer.main.get_command_from_info(
            self.info,
            pretty_exceptions_short=self.app.pretty_exceptions_short,
            rich_markup_mode=self.app.rich_markup_mode,
        )

    def main(self, *args: Any, **kwargs: Any) -> Any:  # run on its own, outside a group
        return self.build().main(*args, **kwargs)


def _not_built() -> None:  # pragma: no cover - a DeferredCommand is replaced before it runs
    raise RuntimeError("a deferred command ran before it was built")


class HelpGroup(typer.core.TyperGroup):
    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if isinstance(command, DeferredCommand):
            command = self.commands[cmd_name] = command.build()
        return command

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _worded_usage_errors():
            return super().make_context(*args, **kwargs)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        with _worded_usage_errors():
            return super().resolve_command(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        with in_language(self, ctx):
            super().format_help(ctx, formatter)

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        _format_usage(self, ctx, formatter)


class App(typer.Typer):
    """A Typer application whose help is shown in the user's language (see the module) and whose
    commands are built when they run (`DeferredCommand`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=HelpGroup, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", HelpCommand)
        register = super().command(*args, **kwargs)

        def decorator(f: Any) -> Any:
            register(f)
            info = self.registered_commands[-1]
            listed = copy.copy(info)  # what the group lists until the command is asked for
            listed.name = info.name or typer.main.get_command_name(f.__name__)
            listed.help = info.help if info.help is not None else inspect.getdoc(f)
            listed.callback = _not_built
            listed.cls = functools.partial(DeferredCommand, info=info, app=self)  # type: ignore[assignment]
            self.registered_commands[-1] = listed
            return f

        return decorator
