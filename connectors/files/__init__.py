"""Reading CRM exports and spreadsheets: encodings, CSV dialects and mapping files.

Everything here reads files and returns string-only Polars frames or plain mapping data.
``transforms.normalize.imports`` turns them into canonical rows, and the ``sgl import``
command writes those.
"""
