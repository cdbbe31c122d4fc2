"""The translations are complete: every string the code and templates mark for translation is in
the French and Khmer catalogues, translated, none fuzzy, each placeholder kept."""

import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# Where the strings users see are marked (what `make messages-update` reads, tests aside).
SOURCES = ["config", "cooperation", "templates", "locale"]


def statistics(po: Path) -> str:
    checked = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    return checked.stderr.strip()


def entries(po: Path) -> list[tuple[str, str, bool]]:
    """Each entry after the header as (msgid, all its msgstr text, fuzzy)."""
    found = []
    for block in po.read_text(encoding="utf-8").split("\n\n")[1:]:
        msgid, msgstr, part, fuzzy = "", "", None, False
        for line in block.splitlines():
            fuzzy |= line.startswith("#,") and "fuzzy" in line
            keyword, _space, quoted = line.partition(" ")
            if keyword in ("msgctxt", "msgid", "msgid_plural"):
                part = "id" if keyword != "msgctxt" else None
            elif keyword.startswith("msgstr"):
                part = "str"
            elif line.startswith('"'):
                quoted = line
            else:
                continue
            text = quoted[1:-1]
            if part == "id":
                msgid += text
            elif part == "str":
                msgstr += text
        if msgid:
            found.append((msgid, msgstr, fuzzy))
    return found


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
