"""Writes to the cooperation records, by every rule of their models and in one transaction each:
the admin saves through these, and so do import and the API. Reads live in `selectors`.

- `records`: any record with its links and citations (`record_save`, `record_create`,
  `record_update`, `record_delete`).
- `kinds`: one typed create per record kind (`meeting_create`, `partner_create`, …).
- `commitments`: commitments and their status history (`commitment_add_update`).
- `citations`: the passages a record rests on.
- `writing`: how one row is validated, saved and attributed in its history.
"""

from cooperation.services.citations import (
    CitationInput,
    citation_create,
    citations_add,
)
from cooperation.services.commitments import (
    commitment_add_update,
    commitment_create,
    commitment_refresh_status,
    meeting_create_with_commitments,
)
from cooperation.services.kinds import (
    complaint_count_create,
    meeting_create,
    milestone_create,
    partner_create,
    person_create,
    source_create,
    topic_create,
)
from cooperation.services.records import record_create, record_delete, record_save, record_update

__all__ = [
    "CitationInput",
    "citation_create",
    "citations_add",
    "commitment_add_update",
    "commitment_create",
    "commitment_refresh_status",
    "complaint_count_create",
    "meeting_create",
    "meeting_create_with_commitments",
    "milestone_create",
    "partner_create",
    "person_create",
    "record_create",
    "record_delete",
    "record_save",
    "record_update",
    "source_create",
    "topic_create",
]
