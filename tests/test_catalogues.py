"""The translations are complete: every string the code and templates mark for translation is in
the French and Khmer catalogues, translated, none fuzzy, each placeholder kept; and every string
of Django's own that its catalogues leave untranslated is in our supplement (locale-django/)."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import NamedTuple

import django
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from cooperation.models import Partner
from tests.factories import UserFactory

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# Where the strings users see are marked (what `make messages-update` reads, tests aside).
SOURCES = ["config", "cooperation", "templates", "locale"]
# Django's own strings where its catalogues leave them untranslated, read after ours.
SUPPLEMENT = ROOT / "locale-django"
SUPPLEMENTS = sorted(SUPPLEMENT.glob("*/LC_MESSAGES/*.po"))


def statistics(po: Path) -> str:
    checked = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    return checked.stderr.strip()


class Entry(NamedTuple):
    msgctxt: str | None
    msgid: str
    msgid_plural: str
    msgstr: str  # every msgstr[n] of a plural, end to end
    fuzzy: bool


def parse(po: Path) -> list[Entry]:
    """Each entry of a catalogue but its header and obsolete ones, its strings as quoted there."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        parts: dict[str, str] = {}
        part, fuzzy = None, False
        for line in block.splitlines():
            fuzzy |= line.startswith("#,") and "fuzzy" in line
            keyword, _space, quoted = line.partition(" ")
            if keyword in ("msgctxt", "msgid", "msgid_plural"):
                part = keyword
            elif keyword.startswith("msgstr"):
                part = "msgstr"
            elif line.startswith('"'):
                quoted = line
            else:
                continue
            parts[part] = parts.get(part, "") + quoted[1:-1]
        if parts.get("msgid"):
            found.append(
                Entry(
                    parts.get("msgctxt"),
                    parts["msgid"],
                    parts.get("msgid_plural", ""),
                    parts.get("msgstr", ""),
                    fuzzy,
                )
            )
    return found


def entries(po: Path) -> list[tuple[str, str, bool]]:
    """Each entry after the header as (msgid, all its msgstr text, fuzzy)."""
    return [(e.msgid + e.msgid_plural, e.msgstr, e.fuzzy) for e in parse(po)]


def untranslated_or_fuzzy(po: Path) -> list[str]:
    """The msgids whose translation is empty or marked fuzzy."""
    return [msgid for msgid, msgstr, fuzzy in entries(po) if fuzzy or not msgstr]


@pytest.fixture(scope="module")
def catalogues(tmp_path_factory) -> dict[str, Path]:
    """The catalogues as `makemessages` leaves them after reading today's code (a copy of it,
    so the checkout's catalogues stay as they are): a string marked for translation but
    missing from a catalogue shows here as untranslated."""
    tree = tmp_path_factory.mktemp("tree")
    for name in SOURCES:
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tree)
        patch.setattr(settings, "LOCALE_PATHS", [tree / "locale"])
        call_command(
            "makemessages",
            locale=TRANSLATED,
            add_location="file",
            no_obsolete=True,
            verbosity=0,
        )
    return {code: tree / "locale" / code / "LC_MESSAGES" / "django.po" for code in TRANSLATED}


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_marked_string_is_translated(catalogues, language):
    po = catalogues[language]
    assert untranslated_or_fuzzy(po) == [], statistics(po)
    assert "untranslated" not in statistics(po) and "fuzzy" not in statistics(po)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_committed_catalogue_is_the_fresh_one(catalogues, language):
    """Run `make messages-update` after changing a marked string, and translate what it adds."""
    committed = LOCALE / language / "LC_MESSAGES" / "django.po"

    def msgids(po: Path) -> set[str]:
        return {msgid for msgid, _msgstr, _fuzzy in entries(po)}

    assert msgids(catalogues[language]) == msgids(committed)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_header_says_a_native_speakers_review_is_pending(language):
    header = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")[:800]
    assert "review" in header and "pending" in header
    assert f'"Language: {language}\\n"' in header


def test_a_missing_translation_is_caught(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Partners"\nmsgstr "Partenaires"\n\n'
        'msgid "Meetings"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Topics"\nmsgstr "Thèmes"\n\n'
        'msgid ""\n"Long "\n"text"\nmsgstr ""\n"Texte "\n"long"\n',
        encoding="utf-8",
    )
    assert untranslated_or_fuzzy(po) == ["Meetings", "Topics"]


def django_templates() -> list[Path]:
    """Django's English catalogues (every msgid of this Django version) for its core and for each
    contrib app Concord installs."""
    homes = [Path(django.__file__).parent / "conf"] + [
        Path(app.path) for app in apps.get_app_configs() if app.name.startswith("django.contrib.")
    ]
    return sorted(po for home in homes for po in home.glob("locale/en/LC_MESSAGES/*.po"))


def django_leaves_untranslated(language: str) -> dict[str, dict[tuple[str | None, str], str]]:
    """By domain (django, djangojs), each (msgctxt, msgid) of Django's that its `language`
    catalogues lack, leave empty or mark fuzzy, with its msgid_plural."""
    left: dict[str, dict[tuple[str | None, str], str]] = {}
    for template in django_templates():
        theirs = template.parents[2] / language / "LC_MESSAGES" / template.name
        translated = {
            (e.msgctxt, e.msgid)
            for e in (parse(theirs) if theirs.exists() else [])
            if e.msgstr and not e.fuzzy
        }
        for e in parse(template):
            if (e.msgctxt, e.msgid) not in translated:
                left.setdefault(template.stem, {})[e.msgctxt, e.msgid] = e.msgid_plural
    return left


def test_django_catalogues_read_are_those_of_the_installed_apps():
    read = {f"{po.parents[3].name}/{po.name}" for po in django_templates()}
    assert {"conf/django.po", "admin/django.po", "admin/djangojs.po", "auth/django.po"} <= read
    assert "contenttypes/django.po" in read and "humanize/django.po" not in read


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_supplement_translates_what_django_leaves_untranslated(language):
    """After a Django upgrade this lists what to add to locale-django/ (see the README)."""
    for domain, wanted in django_leaves_untranslated(language).items():
        supplement = SUPPLEMENT / language / "LC_MESSAGES" / f"{domain}.po"
        supplied = (
            {(e.msgctxt, e.msgid): e for e in parse(supplement)} if supplement.exists() else {}
        )
        missing = [key for key in wanted if key not in supplied]
        assert missing == [], f"{len(missing)} missing from {supplement}"
        assert {key: supplied[key].msgid_plural for key in wanted} == wanted


@pytest.mark.parametrize("po", SUPPLEMENTS, ids=lambda po: str(po.relative_to(SUPPLEMENT)))
def test_the_supplement_is_translated_checked_and_says_its_review_is_pending(po):
    assert [e.msgid for e in parse(po) if e.fuzzy or not e.msgstr] == [], statistics(po)
    assert "untranslated" not in statistics(po) and "fuzzy" not in statistics(po)
    language = po.parents[1].name
    header = po.read_text(encoding="utf-8")[:1200]
    assert "review" in header and "pending" in header
    assert f'"Language: {language}\\n"' in header
    djangos = Path(django.__file__).parent / "conf" / "locale" / language / "LC_MESSAGES"
    plural_forms = next(
        line
        for line in (djangos / "django.po").read_text(encoding="utf-8").splitlines()
        if line.startswith('"Plural-Forms:')
    )
    assert plural_forms in header


def khmer_client(client, superuser=False):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "km"
    if superuser:
        client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    return client


def assert_no_english_from_django(body: str) -> None:
    """None of the longer strings the supplement translates shows in English."""
    for po in SUPPLEMENTS:
        for e in parse(po):
            if e.msgid.count(" ") >= 2 and "%" not in e.msgid and "{" not in e.msgid:
                assert e.msgid not in body


@pytest.mark.django_db
def test_the_khmer_admin_shows_djangos_strings_in_khmer(client, seed):
    khmer_client(client, superuser=True)
    index = client.get("/admin/").content.decode()
    assert "មើលគេហទំព័រ" in index and "View site" not in index
    assert_no_english_from_django(index)

    partner = Partner.objects.first()
    change = client.get(f"/admin/cooperation/partner/{partner.pk}/change/").content.decode()
    assert "វាយបញ្ចូលដើម្បីច្រោះ…" in change and "Start typing to filter" not in change
    assert "រក្សាទុក" in change and "Save and continue editing" not in change
    assert_no_english_from_django(change)

    listed = client.get("/admin/cooperation/partner/").content.decode()
    assert "ស្វែងរក" in listed and ">Search<" not in listed
    assert_no_english_from_django(listed)


@pytest.mark.django_db
def test_the_khmer_admin_javascript_catalogue_reads_the_supplement(client):
    khmer_client(client, superuser=True)
    catalogue = client.get("/admin/jsi18n/").content.decode()
    for english, khmer in [
        ("Today", "ថ្ងៃនេះ"),
        ("Now", "ឥឡូវនេះ"),
        ("Choose a Date", "ជ្រើសរើសកាលបរិច្ឆេទ"),
    ]:
        assert f"{json.dumps(english)}: {json.dumps(khmer)}" in catalogue
    assert json.dumps("មិនា") in catalogue  # March, in the calendar, spelt as in Django's own Khmer


@pytest.mark.django_db
def test_a_khmer_filter_form_gives_djangos_date_error_in_khmer(client, seed):
    body = khmer_client(client).get("/meetings/?date_from=31-31-2022").content.decode()
    assert "សូមបញ្ចូលកាលបរិច្ឆេទដែលត្រឹមត្រូវ។" in body
    assert "Enter a valid date." not in body
