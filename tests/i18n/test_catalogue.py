"""The German catalogue is complete: every string of ours is in it, translated, none fuzzy, formats intact."""

from __future__ import annotations

import shutil
import subprocess
import sys

import polib
import pytest

from .catalogue import DE_PO, IGNORE, NOT_SOURCE, ROOT, german


def test_no_entry_is_untranslated_fuzzy_or_obsolete():
    catalogue = german()
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    obsolete = [e.msgid for e in catalogue.obsolete_entries()]
    assert not untranslated, f"{len(untranslated)} German entries are empty, e.g. {untranslated[:5]}"
    assert not fuzzy, f"{len(fuzzy)} German entries are fuzzy (check and clear the flag), e.g. {fuzzy[:5]}"
    assert not obsolete, f"{len(obsolete)} obsolete entries (#~): run makemessages and drop them, e.g. {obsolete[:3]}"
    plural = [e.msgid for e in catalogue if e.msgid_plural and not all(e.msgstr_plural.values())]
    assert not plural, f"plural forms missing: {plural[:5]}"


def test_msgfmt_accepts_it_with_placeholders_intact():
    """`msgfmt --check` fails when a translation drops or renames a %(name)s placeholder."""
    result = subprocess.run(["msgfmt", "--check", "--output-file=/dev/null", str(DE_PO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """makemessages over a copy of the project (never the committed .po) finds nothing that is missing."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_SOURCE, "*.mo", "__pycache__", "db.sqlite3*"))
    (copy / "locale" / "de" / "LC_MESSAGES").mkdir(parents=True)
    args = [sys.executable, "manage.py", "makemessages", "-l", "de", "--no-location", "-v", "0"]
    args += [f"--ignore={name}" for name in IGNORE]
    result = subprocess.run(args, cwd=copy, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "dashboard.settings",
                                 "PODERO_SIMULATOR": "1"})
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(copy / "locale" / "de" / "LC_MESSAGES" / "django.po"))
    committed = {(e.msgctxt, e.msgid) for e in german() if not e.obsolete}
    missing = [e.msgid for e in fresh if not e.obsolete and (e.msgctxt, e.msgid) not in committed]
    assert not missing, (f"{len(missing)} strings in the code are not in {DE_PO.relative_to(ROOT)} "
                         f"(run makemessages and translate them), e.g. {missing[:5]}")
    gone = committed - {(e.msgctxt, e.msgid) for e in fresh}
    assert not gone, f"entries no longer used by the code (run makemessages): {sorted(gone, key=str)[:5]}"


@pytest.mark.parametrize("word", ["Wärmepumpe", "E-Auto", "Wechselrichter", "Jetzt laden", "Ladeziel",
                                  "Abfahrt", "Eigenverbrauch", "Netzbezug", "Einspeisung"])
def test_the_products_words_are_used(word):
    assert any(word in e.msgstr for e in german()), f"no German string says {word!r}"


def test_the_formal_overrides_of_allauths_german_still_match_allauths_strings():
    """locale-overrides/ replaces allauth's "du" with "Sie": each msgid must still be one allauth uses."""
    from pathlib import Path

    import allauth

    theirs = {e.msgid for e in polib.pofile(str(Path(allauth.__file__).parent / "locale/de/LC_MESSAGES/django.po"))}
    ours = polib.pofile(str(ROOT / "locale-overrides/de/LC_MESSAGES/django.po"))
    stale = [e.msgid for e in ours if e.msgid not in theirs]
    assert not stale, f"allauth no longer has these msgids (update locale-overrides): {stale[:3]}"
    informal = [e.msgstr for e in ours if any(f" {w} " in f" {e.msgstr} " for w in ("du", "dein", "dich", "dir"))]
    assert not informal, informal
