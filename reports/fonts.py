"""The Japanese font of the charts and the PDF: IPAexGothic from the matplotlib-fontja package.

Referencing the packaged .ttf by path makes Japanese glyphs render on a fresh machine with no
system font installed (IPA Font License v1.0, shipped beside the font in the package).
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

JAPANESE_FONT_FAMILY = "IPAexGothic"
FONT_PACKAGE = "matplotlib_fontja"
FONT_FILE = "fonts/ipaexg.ttf"


def japanese_font_path() -> Path:
    """Return the IPAexGothic .ttf path; raise FileNotFoundError when the package lacks it."""
    resource = files(FONT_PACKAGE).joinpath(FONT_FILE)
    # A wheel installs the package as plain files, so the context yields the real path.
    with as_file(resource) as path:
        if not path.is_file():
            raise FileNotFoundError(
                f"Japanese font {FONT_FILE} not found in the {FONT_PACKAGE} package; "
                "reinstall it with `pip install 'matplotlib-fontja>=1.1,<2'`.")
        return Path(path)
