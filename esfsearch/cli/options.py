"""Typer options shared by the CLI's commands (query, saved run, show …), declared once; the filter
options come from the field registry; the query words from the shell are joined back into a query."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import typer

from ..fields import DATE, DEFAULT_FACETS, FACETS, NUMBER, SORTS, YEAR, Field, filter_fields, option_fields
from ..i18n import N_, _
from .help import lazy
from .output import query_failed

# Settings every esfsearch Typer app shares: -h as well as --help, no shell-completion commands,
# plain help text (no rich markup).
APP_SETTINGS: dict[str, Any] = {
    "add_completion": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}

IndexOpt = typer.Option(None, "--index", help=N_("Index directory [default: $ESFSEARCH_INDEX or index/]"))
CorpusOpt = typer.Option(
    None, "--corpus", help=N_("Corpus directory [default: $ESFSEARCH_CORPUS or corpus/]")
)


def _enumerate(words: list[str], last: str) -> str:
    """['a', 'b', 'c'] -> 'a, b <last> c'."""
    return f"{', '.join(words[:-1])} {last} {words[-1]}" if len(words) > 1 else "".join(words)


# Output options shared by `query` and `saved run`.
SortOpt = typer.Option("relevance", "--sort", help=lazy(lambda: _enumerate(list(SORTS), _("or"))))
LimitOpt = typer.Option(10, "--limit", "-n", min=1, help=N_("Hits per page"))
PageOpt = typer.Option(1, "--page", min=1, help=N_("Page of hits"))
FacetsOpt = typer.Option(
    False,
    "--facets",
    help=lazy(
        lambda: _("Counts per {facets}").format(
            facets=_enumerate(
                [_(FACETS[name].facet_label or FACETS[name].label).lower() for name in DEFAULT_FACETS],
                _("and"),
            )
        )
    ),
)
JsonOpt = typer.Option(False, "--json", help=N_("JSON for scripts"))
CsvOpt = typer.Option(False, "--csv", help=N_("CSV for spreadsheets"))
IdsOpt = typer.Option(False, "--ids", help=N_("Only the ids, one a line"))
NoSnippetsOpt = typer.Option(False, "--no-snippets", help=N_("Skip highlighted snippets (faster)"))
NoContactsOpt = typer.Option(False, "--no-contacts", help=N_("Leave contact names, e-mail and phone out"))


# ---------------------------------------------------------------- filter options (from the registry)


def _param(flag: str) -> str:
    return flag.replace("-", "_")


def _amount_help(help: str, words: str, flag: str) -> str:
    """'Total budget at least: 5000000, …' in the current language."""
    return _(help).format(bound=_(words).format(flag=flag))


def _filter_parameters() -> list[inspect.Parameter]:
    """The options of every registry field with a FilterOption, as function parameters for Typer."""
    params = []
    for f in option_fields():
        opt = f.option
        assert opt is not None
        if f.kind == NUMBER:  # an amount each: '5 mkr', '500 000 kr'
            for bound, words in (
                ("min", N_("at least: 5000000, 5 000 000 kr, 5 mkr, 500 tkr, 5m")),
                ("max", N_("at most (an amount, as --min-{flag})")),
            ):
                params.append(
                    inspect.Parameter(
                        f"{bound}_{_param(opt.flag)}",
                        inspect.Parameter.KEYWORD_ONLY,
                        annotation=str | None,
                        default=typer.Option(
                            None,
                            f"--{bound}-{opt.flag}",
                            help=lazy(functools.partial(_amount_help, opt.help, words, opt.flag)),
                        ),
                    )
                )
        elif f.kind in (DATE, YEAR):
            params.append(
                inspect.Parameter(
                    _param(opt.flag),
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=str | None,
                    default=typer.Option(None, f"--{opt.flag}", help=opt.help),
                )
            )
        else:
            params.append(
                inspect.Parameter(
                    _param(opt.flag),
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=list[str],
                    default=typer.Option(None, f"--{opt.flag}", help=opt.help),
                )
            )
    return params


def option_filters(values: Mapping[str, Any]) -> list:
    """The filters the options ask for (QueryError for a bad value), as if typed in the query."""
    from ..querylang import make_filter, plain_amount

    filters = []
    for f in option_fields():
        opt = f.option
        assert opt is not None
        name, key = opt.name or opt.flag, _param(opt.flag)
        if f.kind == NUMBER:
            lo, hi = values.get(f"min_{key}"), values.get(f"max_{key}")
            if lo is not None or hi is not None:  # each bound an amount of its own
                lo, hi = (plain_amount(name, str(v)) if v is not None else "" for v in (lo, hi))
                filters.append(make_filter(name, f"{lo}..{hi}"))
        elif f.kind in (DATE, YEAR):
            if values.get(key):
                filters.append(make_filter(name, opt.op + values[key]))
        else:
            filters.extend(make_filter(name, value) for value in values.get(key) or [])
    return filters


Command = TypeVar("Command", bound=Callable[..., Any])


def with_filter_options(command: Command) -> Command:
    """Give a command the registry's filter options (--region, --fund, --year, --min-budget …) in place
    of its `filters` parameter, which receives the Filters they ask for. A bad value exits 2."""
    signature = inspect.signature(command)
    generated = _filter_parameters()
    params: list[inspect.Parameter] = []
    for p in signature.parameters.values():  # Typer passes every parameter by keyword
        params.extend(generated if p.name == "filters" else [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)])
    names = [p.name for p in generated]

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..querylang import QueryError

        values = {name: kwargs.pop(name, None) for name in names}
        try:
            kwargs["filters"] = option_filters(values)
        except QueryError as exc:
            query_failed(exc)
        return command(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=params)  # type: ignore[attr-defined]
    # Typer resolves the annotations of the parameters it sees; `filters` is not one of them.
    wrapper.__annotations__ = {k: v for k, v in command.__annotations__.items() if k != "filters"}
    return wrapper  # type: ignore[return-value]


# ---------------------------------------------------------------- query words

_ARG_FILTER = re.compile(r'(-?)([^\W\d]\w*):([^"].*)', re.S)


def join_query_args(args: Iterable[str], names: Mapping[str, Field] | None = None) -> str:
    """The query words from the command line as one query. The shell turns `region:"Övre Norrland"`
    into the single argument `region:Övre Norrland`; its quotes are put back, so the value stays whole."""
    args = list(args)
    if len(args) <= 1:  # the whole query was quoted as one argument: nothing was lost
        return " ".join(args).strip()
    names = filter_fields() if names is None else names
    parts = []
    for arg in args:
        m = _ARG_FILTER.fullmatch(arg)
        if (
            m
            and m.group(2).lower() in names
            and re.search(r"\s", m.group(3).strip())
            and '"' not in m.group(3)
        ):
            arg = f'{m.group(1)}{m.group(2)}:"{m.group(3).strip()}"'
        parts.append(arg)
    return " ".join(parts).strip()
