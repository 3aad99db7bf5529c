"""Typer options shared by the CLI's commands (query, saved run, show …), declared once."""

import typer

# Settings every esfsearch Typer app shares: -h as well as --help, no shell-completion commands,
# plain help text (no rich markup).
APP_SETTINGS = {"add_completion": False, "rich_markup_mode": None,
                "context_settings": {"help_option_names": ["-h", "--help"]}}

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

# Filter options shared by `query` and `saved add` (the same filters as in the query text).
RegionOpt = typer.Option(None, "--region", help="Region (område), e.g. 'Övre Norrland'")
OwnerOpt = typer.Option(None, "--owner", help="Project owner (words of its name)")
FundOpt = typer.Option(None, "--fund", help="Fund: ESF, ESF+ or ERUF")
CountyOpt = typer.Option(None, "--county", help="County (län)")
MunicipalityOpt = typer.Option(None, "--municipality", help="Municipality (kommun)")
PeriodOpt = typer.Option(None, "--period", help="Programme period, e.g. 2014-2020")
PhaseOpt = typer.Option(None, "--phase", help="förstudie or genomförande")
AreaOpt = typer.Option(None, "--area", help="Programme area (programområde)")
YearOpt = typer.Option(None, "--year", help="Year or range the project ran: 2019, 2018..2020")
MinBudgetOpt = typer.Option(None, "--min-budget", help="Total budget at least: 5000000, 5 000 000 kr, 5 mkr, 500 tkr, 5m")
MaxBudgetOpt = typer.Option(None, "--max-budget", help="Total budget at most (an amount, as --min-budget)")
MinSupportOpt = typer.Option(None, "--min-support", help="Granted EU support at least (an amount, as --min-budget)")
MaxSupportOpt = typer.Option(None, "--max-support", help="Granted EU support at most (an amount, as --min-budget)")
StartFromOpt = typer.Option(None, "--start-from", help="Started on or after (YYYY[-MM[-DD]])")
EndBeforeOpt = typer.Option(None, "--end-before", help="Ended on or before (YYYY[-MM[-DD]])")
