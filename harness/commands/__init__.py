"""One module per ``mailharness`` subcommand: ``add_parser(subparsers)`` and ``run(args)``."""
