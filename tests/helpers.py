"""Helpers shared by several test modules."""

import io

from pypdf import PdfReader

from cooperation.models import Report, ReportStatus

# The record list pages, under the cooperation: namespace (the dashboard aside).
LIST_PAGES = [
    "timeline",
    "partner-list",
    "meeting-list",
    "commitment-list",
    "complaintcount-list",
    "milestone-list",
]


def pdf_text(report: Report) -> str:
    """The text of a report's PDF, its white space folded."""
    with report.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def assert_pdf_shows(report: Report, expected) -> None:
    """The report was built, and its PDF holds each of the expected strings."""
    assert report.status == ReportStatus.READY, report.error
    text = pdf_text(report)
    for wanted in expected:
        assert wanted in text, wanted


# The admin's prefix for the citations inline of any record.
CITATIONS = "cooperation-citation-content_type-object_id"


def management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    """The management form of an admin inline formset, as a POST carries it."""
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
