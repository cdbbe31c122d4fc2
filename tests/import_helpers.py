"""Helpers for the import tests: a file's text in, the import's report out."""

import csv
import io

from cooperation.imports import import_file

SEED_SOURCE = "000_8fe72a75ac35fc9b.txt"
SEED_PASSAGE = (
    "Minister of Interior Sar Kheng met with French ambassador to Cambodia Jacques Pellet"
)


def csv_bytes(rows: list[list], *, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return ("\ufeff" if bom else "").encode() + buffer.getvalue().encode("utf-8")


def run(kind: str, content: bytes, **options):
    return import_file(kind=kind, stream=io.BytesIO(content), size=len(content), **options)


def messages(report) -> list[str]:
    return [str(error) for error in report.errors]
