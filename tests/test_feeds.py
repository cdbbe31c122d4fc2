"""iCalendar and Atom feeds: valid, filtered like their pages, visible records only."""

import datetime
import xml.etree.ElementTree as ET

import pytest

from cooperation.feeds import ics_escape, ics_fold
from cooperation.models import Visibility
from tests import factories

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def test_ics_escape_and_fold():
    assert ics_escape("a;b,c\\d\ne") == "a\\;b\\,c\\\\d\\ne"
    line = "SUMMARY:" + "é" * 100
    folded = ics_fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_meetings_ics_has_all_day_events_and_skips_unknown_dates(client, db):
    topic = factories.TopicFactory(name="Human trafficking", slug="human-trafficking")
    factories.MeetingFactory(title="Talks; with, France", date=datetime.date(2022, 11, 1),
                             date_inferred="year", location="Phnom Penh", topics=[topic])  # fmt: skip
    factories.MeetingFactory(title="Undated", date=None, date_precision="unknown")
    factories.MeetingFactory(title="Hidden", visibility=Visibility.INTERNAL)
    factories.MeetingFactory(
        title="Some month", date=datetime.date(2022, 2, 1), date_precision="month"
    )
    response = client.get("/meetings.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    lines = unfold(body)
    assert "DTSTART;VALUE=DATE:20221101" in lines
    assert "DTEND;VALUE=DATE:20221102" in lines
    assert "DTSTART;VALUE=DATE:20220201" in lines and "DTEND;VALUE=DATE:20220301" in lines
    assert any(
        line.startswith("SUMMARY:Talks\\; with\\, France (1 Nov 2022\\, year inferred)")
        for line in lines
    )
    assert "Undated" not in body and "Hidden" not in body
    assert body.count("BEGIN:VEVENT") == 2
    assert "CATEGORIES:Human trafficking" in lines


def test_meetings_ics_honours_the_list_filters(client, db):
    france = factories.PartnerFactory(slug="france")
    factories.MeetingFactory(title="With France", partners=[france])
    factories.MeetingFactory(title="Without France")
    body = client.get("/meetings.ics?partner=france").content.decode()
    assert "With France" in body and "Without France" not in body
    assert "BEGIN:VEVENT" not in client.get("/meetings.ics?date_from=bad").content.decode()


def test_timeline_atom_feed_is_valid_and_filtered(client, db):
    france = factories.PartnerFactory(slug="france", name="France")
    factories.MeetingFactory(title="With France", partners=[france])
    factories.MeetingFactory(title="Elsewhere")
    factories.MilestoneFactory(title="Hidden milestone", visibility=Visibility.INTERNAL)
    response = client.get("/timeline/feed/")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    titles = [e.find(f"{ATOM}title").text for e in root.iter(f"{ATOM}entry")]
    assert any("With France" in t for t in titles) and any("Elsewhere" in t for t in titles)
    assert not any("Hidden" in t for t in titles)
    ids = [e.find(f"{ATOM}id").text for e in root.iter(f"{ATOM}entry")]
    assert len(ids) == len(set(ids))
    root = ET.fromstring(client.get("/timeline/feed/?partner=france").content)
    titles = [e.find(f"{ATOM}title").text for e in root.iter(f"{ATOM}entry")]
    assert titles and all("With France" in t for t in titles)
