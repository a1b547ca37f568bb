"""Allow ``python -m sgl``."""

from sgl.cli.app import run

run()
