from esfsearch.cli import script

script()
