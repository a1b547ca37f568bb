"""Prefect flows: thin compositions of tasks over plain functions from the other packages.

Importing this package configures Prefect for local, quiet use before Prefect is imported
(see ``sgl.prefect_env``).
"""

from sgl.prefect_env import configure_prefect

configure_prefect()
