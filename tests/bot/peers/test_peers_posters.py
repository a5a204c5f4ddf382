"""Posters: an A4 PDF and a PNG with a QR code that opens the code's Telegram link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

from bot.peers.posters import PosterError, qr_matrix, write_poster

#: Words the discreet poster must never show, in the languages we print.
RISKY_WORDS = re.compile(
    r"polic|arrest|drug|sex|needle|condom|"  # en
    r"phoyisa|boshw|zidakamizwa|ucansi|"  # zu
    r"polisie|arrestasie|dwelm|seks", re.IGNORECASE)  # af


def poster(services, code: str, language: str, tmp_path: Path, **options):  # type: ignore[no-untyped-def]
    return write_poster(services.settings, services.content, code, language, tmp_path, **options)


def qr_in_png(png: Path, box: tuple[int, int, int], modules: int) -> list[list[bool]]:
    """Read the QR modules back from the PNG by sampling the centre of each module."""
    left, top, size = box
    image = Image.open(png).convert("L")
    step = size / modules
    return [[image.getpixel((round(left + (c + 0.5) * step), round(top + (r + 0.5) * step))) < 128
             for c in range(modules)] for r in range(modules)]


@pytest.mark.parametrize("language", ["zu", "en", "af"])
def test_poster_is_an_a4_pdf_and_a_png_with_the_codes_qr(peer_services, code, tmp_path, language):  # type: ignore[no-untyped-def]
    files = poster(peer_services, code, language, tmp_path)
    assert files.pdf.name == f"poster-{code}-{language}.pdf"
    assert files.pdf.read_bytes().startswith(b"%PDF")
    assert b"/MediaBox [0 0 595.28 841.89]" in files.pdf.read_bytes()  # A4 in points
    with Image.open(files.png) as image:
        image.verify()
    with Image.open(files.png) as image:
        width, height = image.size
    assert abs(height / width - 297 / 210) < 0.01
    link = f"https://t.me/HakiTestBot?start={code}"
    assert files.text.link == link
    expected = qr_matrix(link)
    assert qr_in_png(files.png, files.qr_box_px, len(expected)) == expected
    assert f"JOIN {code}" in files.text.sms and "31555" in files.text.sms


def test_the_qr_decodes_to_the_link_where_a_decoder_is_installed(peer_services, code, tmp_path):  # type: ignore[no-untyped-def]
    # pyzbar needs the system's libzbar; without it the module comparison above is the check.
    pyzbar = pytest.importorskip("pyzbar.pyzbar", reason="pyzbar/libzbar not installed")
    files = poster(peer_services, code, "zu", tmp_path)
    decoded = [symbol.data.decode() for symbol in pyzbar.decode(Image.open(files.png))]
    assert decoded == [f"https://t.me/HakiTestBot?start={code}"]


@pytest.mark.parametrize("language", ["en", "zu", "af"])
def test_the_discreet_poster_says_nothing_about_police_drugs_or_sex_work(peer_services, code,  # type: ignore[no-untyped-def]
                                                                         tmp_path, language):
    files = poster(peer_services, code, language, tmp_path, discreet=True)
    assert files.pdf.name.endswith("-discreet.pdf") and files.png.exists()
    for line in files.text.all:
        assert not RISKY_WORDS.search(line), line
    standard = poster(peer_services, code, language, tmp_path)
    assert RISKY_WORDS.search(" ".join(standard.text.all))  # the standard one does say it


def test_without_a_telegram_bot_the_poster_is_sms_only(services_for, sqlite_url, tmp_path, educator_on):  # type: ignore[no-untyped-def]
    sms_only = services_for(sqlite_url, sms_number_display="+27 82 000 0000")
    code = educator_on(sms_only)
    files = poster(sms_only, code, "en", tmp_path)
    payload = f"SMSTO:+27820000000:JOIN {code}"
    assert files.text.link == payload  # the QR opens the SMS app, message ready
    expected = qr_matrix(payload)
    assert qr_in_png(files.png, files.qr_box_px, len(expected)) == expected
    assert "Telegram" not in " ".join(files.text.all)
    discreet = poster(sms_only, code, "zu", tmp_path, discreet=True)
    assert "Telegram" not in " ".join(discreet.text.all)
    assert not any(RISKY_WORDS.search(line) for line in discreet.text.all)


def test_posters_need_an_sms_number(services_for, sqlite_url, tmp_path, educator_on):  # type: ignore[no-untyped-def]
    with_bot = services_for(sqlite_url, telegram_bot_username="HakiTestBot")
    code = educator_on(with_bot)
    with pytest.raises(PosterError, match="HAKI_SMS_NUMBER_DISPLAY"):
        poster(with_bot, code, "en", tmp_path)


@pytest.mark.parametrize("language", ["en", "zu", "af"])
def test_the_standard_poster_names_all_four_groups(peer_services, code, tmp_path, language):  # type: ignore[no-untyped-def]
    groups = {
        "en": ("sex workers", "people who use drugs", "men who have sex with men", "transgender"),
        "zu": ("abathengisa ngocansi", "abasebenzisa izidakamizwa", "amadoda alala namanye amadoda",
               "transgender"),
        "af": ("sekswerkers", "dwelms gebruik", "mans wat seks met mans", "transgender"),
    }[language]
    line = poster(peer_services, code, language, tmp_path).text.line
    assert all(group in line for group in groups), line
