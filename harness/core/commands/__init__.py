"""One module per `saml-harness` subcommand, each with `register(subparsers)` and `run(args) -> int`."""
