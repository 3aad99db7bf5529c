"""Typer options shared by the CLI's commands (query, saved run, show …), declared once."""

import typer

IndexOpt = typer.Option(None, "--index", help="Index directory [default: $ESFSEARCH_INDEX or index/]")
CorpusOpt = typer.Option(None, "--corpus", help="Corpus directory [default: $ESFSEARCH_CORPUS or corpus/]")

# Output options shared by `query` and `saved run`.
SortOpt = typer.Option("relevance", "--sort", help="relevance, start, start-asc, end, amount or budget")
LimitOpt = typer.Option(10, "--limit", "-n", help="Hits per page")
PageOpt = typer.Option(1, "--page", help="Page of hits")
FacetsOpt = typer.Option(False, "--facets", help="Counts per region, fund, period and programme area")
JsonOpt = typer.Option(False, "--json", help="JSON for scripts")
CsvOpt = typer.Option(False, "--csv", help="CSV for spreadsheets")
IdsOpt = typer.Option(False, "--ids", help="Only the ids, one a line")
NoSnippetsOpt = typer.Option(False, "--no-snippets", help="Skip highlighted snippets (faster)")
NoContactsOpt = typer.Option(False, "--no-contacts", help="Leave contact names, e-mail and phone out")
