"""Reading CRM exports and spreadsheets: encodings, CSV dialects and mapping files.

Everything here reads files and returns string-only Polars frames or plain mapping data;
turning them into canonical rows is ``transforms.normalize.imports``, and writing them is
the ``sgl import`` command's job.
"""
