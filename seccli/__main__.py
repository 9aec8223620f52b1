"""Run the command-line interface with ``python -m seccli``."""

from seccli.cli.app import main

if __name__ == "__main__":
    main()
