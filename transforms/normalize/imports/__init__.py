"""Mapping-driven normalization of exported files into canonical frames.

``spec`` validates a mapping (TOML data) into dataclasses. ``apply`` runs it on string frames
read from files and counts every value it maps, finds missing, cannot parse or replaces.
Reading the files is ``connectors.files``; writing the frames is the import command's job.
"""

from transforms.normalize.imports.apply import ImportResult, apply_mapping, assign_files
from transforms.normalize.imports.errors import MappingError, UnmappableFileError
from transforms.normalize.imports.spec import ImportMapping, parse_mapping

__all__ = ["ImportMapping", "ImportResult", "MappingError", "UnmappableFileError",
           "apply_mapping", "assign_files", "parse_mapping"]
