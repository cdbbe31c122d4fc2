"""CSV and Excel exports: exactly the filtered rows, readable headers, no formulas."""

import csv
import datetime
import io

import openpyxl
import pytest

from cooperation.exports import neutralise
from cooperation.models import Partner, Visibility
from tests import factories

pytestmark = pytest.mark.django_db


def read_csv(response):
    body = b"".join(response.streaming_content)
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


def read_xlsx(response):
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    return [[cell.value for cell in row] for row in book.active.iter_rows()]


def test_neutralise():
    assert neutralise("=1+1") == "'=1+1"
    assert neutralise("+1") == "'+1"
    assert neutralise("-1") == "'-1"
    assert neutralise("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise("Fine") == "Fine"
    assert neutralise(42) == 42


@pytest.fixture
def meetings(db):
    topic = factories.TopicFactory(name="Border control", slug="border-control")
    factories.MeetingFactory(title='=HYPERLINK("http://evil","x")', topics=[topic])
    factories.MeetingFactory(title="@SUM(1)", topics=[topic])
    factories.MeetingFactory(title="Plain meeting")
    factories.MeetingFactory(title="Internal meeting", visibility=Visibility.INTERNAL)


def test_csv_has_readable_headers_and_only_the_filtered_rows(client, meetings):
    response = client.get("/meetings/?topic=border-control&_export=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "concord-meetings.csv" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:5] == ["Date", "Meeting", "Partners", "Topics", "Location"]
    titles = sorted(row[1] for row in rows[1:])
    assert titles == ['\'=HYPERLINK("http://evil","x")', "'@SUM(1)"]


def test_xlsx_reads_back_with_neutralised_cells(client, meetings):
    response = client.get("/meetings/?_export=xlsx")
    rows = read_xlsx(response)
    assert rows[0][1] == "Meeting"
    titles = {row[1] for row in rows[1:]}
    assert titles == {'\'=HYPERLINK("http://evil","x")', "'@SUM(1)", "Plain meeting"}
    assert not any(isinstance(v, str) and v.startswith("=") for row in rows for v in row)


def test_export_ignores_pagination_and_keeps_sorting(client, db):
    for i in range(30):
        factories.PartnerFactory(name=f"Partner {i:02}")
    rows = read_csv(client.get("/partners/?sort=-name&page=2&_export=csv"))
    assert len(rows) == 1 + Partner.objects.count() > 30
    assert rows[1][0] == "Partner 29"


def test_commitment_export_masks_internal_related_records(client, db):
    internal = factories.PartnerFactory(name="Hidden partner", visibility=Visibility.INTERNAL)
    factories.CommitmentFactory(title="Public pledge", made_by=internal)
    rows = read_csv(client.get("/commitments/?_export=csv"))
    assert rows[1][1] == "Public pledge"
    assert "Hidden partner" not in str(rows)


def test_complaint_export_has_numbers_and_iso_dates(client, db):
    factories.ComplaintCountFactory(count=289, verified_share="0.950")
    rows = read_xlsx(client.get("/complaints/?_export=xlsx"))
    header, row = rows[0], rows[1]
    assert row[header.index("Complaints")] == 289
    assert row[header.index("Found true")] == 275
    # A real date cell in Excel, sortable; ISO text in CSV.
    assert row[header.index("Period start (ISO)")].date() == datetime.date(2022, 8, 18)
    rows = read_csv(client.get("/complaints/?_export=csv"))
    assert rows[1][rows[0].index("Period start (ISO)")] == "2022-08-18"


def test_unknown_export_formats_give_the_page(client, db):
    response = client.get("/meetings/?_export=json")
    assert response["Content-Type"].startswith("text/html")
