from esfsearch.cli import main

main()
