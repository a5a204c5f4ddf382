"""Printable posters for one referral code: an A4 PDF and a PNG of the same page.

Each poster has a headline, one line on what the service does, a QR code that opens the
Telegram deep link (or, for an SMS-only service with no Telegram bot, the phone's SMS app
with "JOIN <code>" ready), the SMS keyword and number in large print, and a privacy line, all in
the requested language through the normal content API (English until a translation
exists). The standard poster names all four groups the service is for (sex workers, people
who use drugs, men who have sex with men, transgender people): naming only some would tell
the others it is not for them. The discreet variant swaps the headline and line for neutral wording that says
nothing about police, drugs or sex work, for places where the standard poster could put
someone at risk.

Fonts: DejaVu Sans when the system has it (it covers every Latin letter our languages use);
otherwise the PDF falls back to Helvetica (Latin-1) and the PNG to Pillow's bundled font,
so posters can always be made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import qrcode
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from bot.content import ContentLibrary
from bot.peers import links
from bot.settings import Settings

A4_MM = (210.0, 297.0)
MARGIN_MM = 18.0
QR_MM = 112.0
PNG_DPI = 150
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
             Path("/usr/local/share/fonts"), Path("/Library/Fonts"))
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}


class PosterError(ValueError):
    """Something an operator must configure or choose differently; the message says what."""


@dataclass(frozen=True)
class PosterText:
    """The words on one poster, already in the requested language."""

    headline: str
    line: str
    scan: str
    sms: str
    private: str
    code: str
    link: str

    @property
    def all(self) -> tuple[str, ...]:
        return (self.headline, self.line, self.scan, self.sms, self.private)


@dataclass(frozen=True)
class PosterFiles:
    pdf: Path
    png: Path
    text: PosterText
    #: Where the QR code sits in the PNG, in pixels (left, top, size), for checks.
    qr_box_px: tuple[int, int, int] = field(default=(0, 0, 0))


def poster_text(settings: Settings, content: ContentLibrary, code: str, language: str, *,
                discreet: bool = False) -> PosterText:
    """The words and the QR payload: the Telegram deep link when there is a bot, else an
    ``SMSTO:`` code that opens the phone's SMS app with ``JOIN <code>`` ready to send."""
    number = links.sms_number(settings)
    if number is None:
        raise PosterError("set HAKI_SMS_NUMBER_DISPLAY (or HAKI_TWILIO_NUMBER): posters print the SMS number")
    if language not in settings.language_codes:
        raise PosterError(f"language must be one of {', '.join(settings.language_codes)}")
    link = links.telegram_link(settings, code)

    def text(key: str, **params: str) -> str:
        return content.text(key, language, settings.jurisdiction, **params)

    variant = "peers_poster_discreet_" if discreet else "peers_poster_"
    line_key = variant + ("line" if link else "line_sms")
    return PosterText(
        headline=text(variant + "headline"), line=text(line_key),
        scan=text("peers_poster_scan" if link else "peers_poster_scan_sms"),
        sms=text("peers_poster_sms", keyword=links.sms_keyword(code), number=number),
        private=text("peers_poster_private"), code=code,
        link=link or links.sms_qr_payload(number, code),
    )


def qr_matrix(data: str) -> list[list[bool]]:
    """The QR modules for ``data``, quiet zone included (True = dark)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(data)
    qr.make(fit=True)
    return [list(row) for row in qr.get_matrix()]


def write_poster(settings: Settings, content: ContentLibrary, code: str, language: str,
                 out_dir: Path, *, discreet: bool = False) -> PosterFiles:
    """Write ``poster-<code>-<lang>[-discreet].pdf`` and ``.png`` into ``out_dir``."""
    text = poster_text(settings, content, code, language, discreet=discreet)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"poster-{code}-{language}" + ("-discreet" if discreet else "")
    matrix = qr_matrix(text.link)
    pdf_path, png_path = out_dir / f"{stem}.pdf", out_dir / f"{stem}.png"
    _write_pdf(text, matrix, pdf_path)
    box = _write_png(text, matrix, png_path)
    return PosterFiles(pdf=pdf_path, png=png_path, text=text, qr_box_px=box)


# --- fonts ------------------------------------------------------------------------------------
def _font_path(style: str) -> Path | None:
    for directory in FONT_DIRS:
        candidate = directory / FONT_FILES[style]
        if candidate.is_file():
            return candidate
    return None


# --- PDF ---------------------------------------------------------------------------------------
def _write_pdf(text: PosterText, matrix: list[list[bool]], path: Path) -> None:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.add_page()
    regular, bold = _font_path(""), _font_path("B")
    if regular and bold:
        pdf.add_font("poster", "", str(regular))
        pdf.add_font("poster", "B", str(bold))
        family, clean = "poster", _identity
    else:  # Helvetica only knows Latin-1; replace anything else rather than fail
        family, clean = "helvetica", _latin1
    width = A4_MM[0] - 2 * MARGIN_MM

    def block(value: str, size: float, style: str = "", gap: float = 4.0) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(width, size * 0.45, clean(value), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.set_y(MARGIN_MM)
    block(text.headline, 30, "B", 6)
    block(text.line, 15, "", 8)
    block(text.sms, 24, "B", 4)
    qr_top = pdf.get_y()
    _pdf_qr(pdf, matrix, (A4_MM[0] - QR_MM) / 2, qr_top, QR_MM)
    pdf.set_y(qr_top + QR_MM)
    block(text.scan, 13, "", 0)
    pdf.set_y(A4_MM[1] - MARGIN_MM - 12)
    block(text.private, 10, "", 0)
    pdf.output(str(path))


def _pdf_qr(pdf: FPDF, matrix: list[list[bool]], x: float, y: float, size: float) -> None:
    """Draw modules as filled squares: vector, so it prints sharp at any size."""
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            run = column
            while run < len(row) and row[run]:
                run += 1
            # One rectangle per horizontal run keeps the PDF small.
            pdf.rect(x + column * module, y + row_index * module, (run - column) * module, module,
                     style="F")
            column = run


def _identity(value: str) -> str:
    return value


def _latin1(value: str) -> str:
    return value.encode("latin-1", "replace").decode("latin-1")


# --- PNG ---------------------------------------------------------------------------------------
def _px(mm: float) -> int:
    return round(mm / 25.4 * PNG_DPI)


def _png_font(size_pt: float, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    size_px = round(size_pt / 72 * PNG_DPI)
    path = _font_path("B" if bold else "")
    if path is not None:
        return ImageFont.truetype(str(path), size_px)
    return ImageFont.load_default(size=size_px)


def _write_png(text: PosterText, matrix: list[list[bool]], path: Path) -> tuple[int, int, int]:
    width, height = _px(A4_MM[0]), _px(A4_MM[1])
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    margin = _px(MARGIN_MM)
    y = margin

    def block(value: str, size_pt: float, bold: bool, gap_mm: float) -> None:
        nonlocal y
        font = _png_font(size_pt, bold)
        for line in _wrap(value, lambda s: draw.textlength(s, font=font), width - 2 * margin):
            line_width = draw.textlength(line, font=font)
            draw.text(((width - line_width) / 2, y), line, fill="black", font=font)
            y += round(size_pt / 72 * PNG_DPI * 1.25)
        y += _px(gap_mm)

    block(text.headline, 30, True, 4)
    block(text.line, 15, False, 6)
    block(text.sms, 24, True, 2)
    qr_size = _px(QR_MM)
    module = qr_size // len(matrix)
    qr_size = module * len(matrix)  # whole pixels per module keep the code scannable
    qr_left, qr_top = (width - qr_size) // 2, y
    for row_index, row in enumerate(matrix):
        for column, dark in enumerate(row):
            if dark:
                left, top = qr_left + column * module, qr_top + row_index * module
                draw.rectangle((left, top, left + module - 1, top + module - 1), fill="black")
    y = qr_top + qr_size
    block(text.scan, 13, False, 0)
    y = height - margin - _px(12)
    block(text.private, 10, False, 0)
    image.save(path, format="PNG", dpi=(PNG_DPI, PNG_DPI))
    return qr_left, qr_top, qr_size


def _wrap(value: str, measure: Callable[[str], float], max_width: float) -> list[str]:
    """Greedy word wrap by measured width (textwrap counts characters, not pixels)."""
    lines: list[str] = []
    for paragraph in value.splitlines() or [""]:
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}".strip()
            if current and measure(candidate) > max_width:
                lines.append(current)
                current = word
            else:
                current = candidate
        lines.append(current)
    return lines
