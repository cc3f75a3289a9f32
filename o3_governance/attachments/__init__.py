"""Attachments: what the files people send hold, read offline and in memory only.

Plain Python, no Dagster, no scanner: this layer turns a media file into an ``Extraction`` (its kind,
status, the text of its pages, faces and GPS metadata); the scanning layer above runs the scanner
over that text and writes the findings. The extracted text is never written anywhere.

- ``kinds.sniff(head, name)`` -> (kind, mime) by magic bytes, then the file name's extension
- ``extract.extract_file(path, limits)`` -> ``Extraction``
- ``register.scan_media(con, layout, scanned_with, on_extraction)``: the files due, extracted with two
  processes, each recorded in the ``attachments`` table
"""
