"""`esfsearch eval`: relevance of esfsearch and two plain-Whoosh baselines on the judged set in eval/."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..i18n import N_, _
from ..presentation import number, problem_text

# The evaluation (and Whoosh with it) is imported inside the command: registering `eval` must not
# slow down every other command's start-up.


def render(report, console) -> None:
    """One table: a row per class × system (overall last); nDCG@10, recall@10, MRR over the chosen
    queries, and nDCG@10 on the tune and holdout splits when both were run."""
    splits = report.splits()
    main = splits[-1]
    by_split = [s for s in splits if s != "all"] if len(splits) > 1 else []
    from rich.table import Table

    title = _("relevance on the judged set (split: {split}, top {k})").format(split=main, k=report.k)
    table = Table(title=title, title_justify="left")
    for name in (_("class"), _("system")):
        table.add_column(name, justify="left")
    for name in ("n", "nDCG@10", "R@10", "MRR"):
        table.add_column(name, justify="right")
    for split in by_split:
        table.add_column(f"nDCG {split}", justify="right")
    for cls in [*report.classes(), None]:
        aggs = {s: report.aggregate(s, main, cls) for s in report.systems}
        top = max(a["ndcg"] for a in aggs.values())
        for i, system in enumerate(report.systems):
            a = aggs[system]
            ndcg = f"{a['ndcg']:.3f}"
            row = [
                (cls or f"[bold]{_('overall')}[/bold]") if i == 0 else "",
                system,
                str(a["n"]) if i == 0 else "",
                f"[bold]{ndcg}[/bold]" if a["ndcg"] == top else ndcg,
                f"{a['recall']:.3f}",
                f"{a['mrr']:.3f}",
            ]
            row += [f"{report.aggregate(system, split, cls)['ndcg']:.3f}" for split in by_split]
            table.add_row(*row, end_section=i == len(report.systems) - 1)
    console.print(table)
    violations = ", ".join(f"{s} {report.violations(s)}" for s in report.systems)
    console.print(
        _("filter violations in the top 10 of filtered queries: {violations}").format(violations=violations)
    )
    console.print(
        _("{queries} queries over {records} records in {seconds} s").format(
            queries=len(report.queries), records=report.records, seconds=number(report.seconds)
        )
    )


HELP = N_(
    "Measure ranking quality (nDCG@10, recall@10, MRR) on the judged query set, per class, against "
    'plain-Whoosh baselines (StandardAnalyzer; LanguageAnalyzer("sv")).'
)


def eval_command(
    queries: Path | None = typer.Option(
        None, "--queries", help=N_("judged queries (default: eval/queries.json)")
    ),
    qrels: Path | None = typer.Option(None, "--qrels", help=N_("judgements (default: eval/qrels.json)")),
    index: Path | None = typer.Option(
        None,
        "--index",
        help=N_(
            "evaluate this index instead of building one from the shipped corpus in a temporary directory"
        ),
    ),
    corpus: Path | None = typer.Option(None, "--corpus", help=N_("corpus for the temporary index")),
    split: str = typer.Option("all", "--split", help=N_("tune, holdout or all")),
    as_json: bool = typer.Option(False, "--json", help=N_("print the results as JSON instead of a table")),
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help=N_("where to write results.json (default: results.json beside the queries file)"),
    ),
    no_write: bool = typer.Option(False, "--no-write", help=N_("do not write results.json")),
    baselines: bool = typer.Option(
        True, "--baselines/--no-baselines", help=N_("also run the Whoosh baselines")
    ),
) -> None:
    from rich.console import Console

    from ..evaluation import EVAL_DIR, SPLITS, EvalError, evaluate, write_results
    from ..index import IndexProblem
    from ..querylang import QueryError

    err = Console(stderr=True, soft_wrap=True)
    if split not in SPLITS:
        err.print(
            "esfsearch eval: "
            + _("unknown split {split}; choose one of {splits}").format(
                split=repr(split), splits=", ".join(SPLITS)
            )
        )
        raise typer.Exit(2)
    try:
        report = evaluate(
            index, queries=queries, qrels=qrels, split=split, baselines=baselines, corpus=corpus
        )
    except (EvalError, QueryError) as exc:
        err.print(f"esfsearch eval: {exc}", markup=False)
        raise typer.Exit(2) from None
    except IndexProblem as exc:
        err.print(f"esfsearch eval: {problem_text(exc)}", markup=False)
        raise typer.Exit(3) from None
    if not no_write:
        target = output or (Path(queries).parent if queries else EVAL_DIR) / "results.json"
        try:
            write_results(report, target)
        except OSError as exc:
            err.print(
                "esfsearch eval: "
                + _("cannot write {path}: {reason}").format(path=target, reason=exc.strerror),
                markup=False,
            )
            raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        render(report, Console())
