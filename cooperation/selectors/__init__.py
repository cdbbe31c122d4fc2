"""Reads of the cooperation records, always on behalf of a viewer (a user or a report's
audience), every one through the policy in `cooperation.visibility`.

By concern: `records` (each kind, the tables' lists, detail pages), `citations` (citations,
quotes, sources), `dashboard` (headline figures and chart data), `timeline`, `coverage`
(records by action-plan pillar and partner). Views import what they need from here.
"""

from cooperation.selectors.citations import (
    VISIBLE_CITATIONS,
    CitingRecord,
    Detail,
    citations_for,
    record_detail,
    source_get,
    with_citations,
)
from cooperation.selectors.coverage import CoverageFilters, CoveragePage, coverage_page
from cooperation.selectors.dashboard import (
    DashboardFigures,
    commitments_by_status,
    complaints_per_period,
    dashboard_figures,
    meetings_per_partner_year,
)
from cooperation.selectors.records import (
    commitment_get,
    commitment_list,
    complaintcount_get,
    complaintcount_list,
    linked_to,
    meeting_get,
    meeting_list,
    milestone_get,
    milestone_list,
    partner_commitments,
    partner_get,
    partner_head,
    partner_list,
    partner_sources,
    partner_topics,
    words_q,
)
from cooperation.selectors.timeline import (
    EntryKind,
    TimelineEntry,
    TimelineFilters,
    TimelinePage,
    timeline_groups,
    timeline_latest,
    timeline_page,
)

__all__ = [
    "VISIBLE_CITATIONS",
    "CitingRecord",
    "CoverageFilters",
    "CoveragePage",
    "DashboardFigures",
    "Detail",
    "EntryKind",
    "TimelineEntry",
    "TimelineFilters",
    "TimelinePage",
    "citations_for",
    "commitment_get",
    "commitment_list",
    "commitments_by_status",
    "complaintcount_get",
    "complaintcount_list",
    "complaints_per_period",
    "coverage_page",
    "dashboard_figures",
    "linked_to",
    "meeting_get",
    "meeting_list",
    "meetings_per_partner_year",
    "milestone_get",
    "milestone_list",
    "partner_commitments",
    "partner_get",
    "partner_head",
    "partner_list",
    "partner_sources",
    "partner_topics",
    "record_detail",
    "source_get",
    "timeline_groups",
    "timeline_latest",
    "timeline_page",
    "with_citations",
    "words_q",
]
