"""The words a reader can see on a PDF: what the legal-mention check of invoice templates reads.

Text in a PDF is not necessarily visible: a template can make it white on white, tiny, cover
it with a box, move it off the page or clip it away. So each word counts only if it leaves
ink where it stands:

1. `pdftotext -bbox` (poppler-utils) gives every word drawn, with its box; text outside
   the page is not among them.
2. Each page is rasterized twice in grey (`pdftoppm`): as it is, and as a copy of the PDF
   without its text-showing operators (pypdf removes Tj, TJ, ' and " from the pages and
   the drawings they use).
3. A word is visible when its box lies on the page, is tall enough to read, is not
   squeezed, is not mostly under another word, and enough of the pixels in its box, in
   every part of it, change between the two rasters. A box drawn over a word, or a colour
   close to the background, changes nothing; a word is judged only on the pixels it does
   not share with other words, so one word cannot vouch for another drawn over it.

Thresholds below; they accept 5 pt text, #999 grey on white and white on dark backgrounds,
and refuse #ccc on white.
"""

import html
import io
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream

DPI = 100
MIN_HEIGHT = 5.0  # points: the height of a word's box (about 1.15 × the font size)
MIN_ADVANCE = 0.12  # a character's mean width, as a share of the box height
MIN_OWN_AREA = 0.5  # share of the box not covered by other words' boxes
INK_LEVEL = 64  # grey levels (of 255) that a pixel must change by to count as ink
MIN_INK = 0.04  # share of the word's own pixels that are ink
MIN_INK_PER_PART = 0.02  # … in each slice of about four characters
MIN_INK_PER_HALF = 0.01  # … in its top and its bottom half
TIMEOUT = 30  # seconds for each poppler tool
TEXT_OPERATORS = {b"Tj", b"TJ", b"'", b'"'}
WORD = re.compile(
    r'<word xMin="([-\d.]+)" yMin="([-\d.]+)" xMax="([-\d.]+)" yMax="([-\d.]+)">(.*?)</word>'
)
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.DOTALL)


class UnreadablePdf(Exception):
    """The poppler tools could not read the PDF."""


@dataclass
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass
class Raster:
    width: int
    height: int
    pixels: bytes  # one grey byte per pixel, row by row


def visible_text(pdf: bytes) -> str:
    """The visible words of all pages, in reading order, joined by spaces. A word that
    hyphenation split over two lines is joined again."""
    words: list[str] = []
    joined = False
    for word in visible_words(pdf):
        if joined:
            words[-1] += word
        else:
            words.append(word)
        joined = words[-1].endswith(("\u2010", "\u00ad"))  # WeasyPrint's hyphenation marks
        if joined:
            words[-1] = words[-1][:-1]
    return " ".join(words)


def visible_words(pdf: bytes) -> list[str]:
    pages, with_text, without_text = _read(pdf)
    if not len(pages) == len(with_text) == len(without_text):
        raise UnreadablePdf("the tools saw different numbers of pages")
    visible = []
    for (width, height, words), inked, blank in zip(pages, with_text, without_text, strict=True):
        scale = inked.width / width
        for word in words:
            if _on_page(word, width, height) and _shows_ink(word, words, inked, blank, scale):
                visible.append(word.text)
    return visible


def _read(pdf: bytes):
    """The words of each page, and each page rasterized with and without its text; the
    three poppler runs go side by side."""
    with tempfile.TemporaryDirectory(prefix="visible-text-") as folder:
        original, textless = Path(folder, "original.pdf"), Path(folder, "textless.pdf")
        original.write_bytes(pdf)
        raster = ["pdftoppm", "-gray", "-r", str(DPI)]
        runs = [_start(["pdftotext", "-bbox", "-enc", "UTF-8", original, "-"])]
        runs.append(_start([*raster, original]))
        try:
            textless.write_bytes(without_text(pdf))
            runs.append(_start([*raster, textless]))
            outputs = [run.communicate(timeout=TIMEOUT)[0] for run in runs]
        finally:
            for run in runs:
                if run.poll() is None:
                    run.kill()
                    run.wait()
    if any(run.returncode for run in runs):
        raise UnreadablePdf("pdftotext or pdftoppm failed")
    pages = [
        (
            float(page[1]),
            float(page[2]),
            [
                Word(html.unescape(text), float(x0), float(y0), float(x1), float(y1))
                for x0, y0, x1, y1, text in WORD.findall(page[3])
            ],
        )
        for page in PAGE.finditer(outputs[0].decode())
    ]
    return pages, _rasters(outputs[1]), _rasters(outputs[2])


def _start(command) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def without_text(pdf: bytes) -> bytes:
    """The PDF with nothing but its text left out: same shapes, colours and clipping."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    done: set[int] = set()
    for page in writer.pages:
        contents = page.get_contents()
        if contents is not None:
            stripped = ContentStream(None, writer)
            stripped.set_data(_strip(contents.get_data(), writer))
            page.replace_contents(stripped)
        _strip_drawings(page.get("/Resources"), writer, done)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _strip(data: bytes, pdf) -> bytes:
    stream = ContentStream(None, pdf)
    stream.set_data(data)
    stream.operations = [op for op in stream.operations if op[1] not in TEXT_OPERATORS]
    return stream.get_data()


def _strip_drawings(resources, pdf, done: set[int]) -> None:
    """Text inside the form XObjects and tiling patterns a page draws, recursively."""
    resources = resources.get_object() if resources is not None else {}
    for kind in ("/XObject", "/Pattern"):
        for reference in (resources.get(kind) or {}).values():
            drawing = reference.get_object()
            is_form = drawing.get("/Subtype") == "/Form" or drawing.get("/PatternType") == 1
            if is_form and id(drawing) not in done:
                done.add(id(drawing))
                drawing.set_data(_strip(drawing.get_data(), pdf))
                _strip_drawings(drawing.get("/Resources"), pdf, done)


def _rasters(data: bytes) -> list[Raster]:
    """pdftoppm's pages: binary PGM images (P5, 255 grey levels), one after the other."""
    rasters, position = [], 0
    field = re.compile(rb"(?:\s|#[^\n]*\n)*(\S+)")
    while position < len(data):
        header = []
        for _ in range(4):
            match = field.match(data, position)
            header.append(match.group(1))
            position = match.end()
        if header[0] != b"P5" or header[3] != b"255":
            raise UnreadablePdf("unexpected raster format")
        width, height = int(header[1]), int(header[2])
        position += 1  # the single whitespace after the header
        rasters.append(Raster(width, height, data[position : position + width * height]))
        position += width * height
    return rasters


def _on_page(word: Word, width: float, height: float) -> bool:
    return word.x0 >= -1 and word.y0 >= -1 and word.x1 <= width + 1 and word.y1 <= height + 1


def _shows_ink(word: Word, words: list[Word], inked: Raster, blank: Raster, scale) -> bool:
    characters = max(len(word.text), 1)
    width, height = word.x1 - word.x0, word.y1 - word.y0
    # pdftotext gives no angle; a tall box of several characters is text turned 90°.
    vertical = characters >= 3 and height > width
    thickness, length = (width, height) if vertical else (height, width)
    if thickness < MIN_HEIGHT or length / characters < MIN_ADVANCE * thickness:
        return False
    left, right = max(int(word.x0 * scale), 0), min(int(word.x1 * scale + 1), inked.width)
    top, bottom = max(int(word.y0 * scale), 0), min(int(word.y1 * scale + 1), inked.height)
    columns, rows = right - left, bottom - top
    if columns <= 0 or rows <= 0:
        return False
    covers = [
        (int(o.x0 * scale), int(o.x1 * scale + 1), int(o.y0 * scale), int(o.y1 * scale + 1))
        for o in words
        if o is not word and o.x0 < word.x1 and o.x1 > word.x0 and o.y0 < word.y1 and o.y1 > word.y0
    ]
    # [own pixels, ink pixels] per slice along the word and per half across it
    slices = max(1, min(round(characters / 4), (rows if vertical else columns) // 4 or 1))
    counts = [[[0, 0], [0, 0]] for _ in range(slices)]
    for y in range(top, bottom):
        row = y * inked.width
        covered = [(x0, x1) for x0, x1, y0, y1 in covers if y0 <= y < y1]
        across = (y - top) * (slices if vertical else 2) // rows
        for x in range(left, right):
            if any(x0 <= x < x1 for x0, x1 in covered):
                continue
            along = (x - left) * (2 if vertical else slices) // columns
            cell = counts[across][along] if vertical else counts[along][across]
            cell[0] += 1
            cell[1] += abs(inked.pixels[row + x] - blank.pixels[row + x]) >= INK_LEVEL
    own = sum(half[0] for part in counts for half in part)
    if own < MIN_OWN_AREA * columns * rows:
        return False

    def share(cells) -> float:
        return sum(c[1] for c in cells) / max(sum(c[0] for c in cells), 1)

    if share([half for part in counts for half in part]) < MIN_INK:
        return False
    if any(share(part) < MIN_INK_PER_PART for part in counts):
        return False
    if characters >= 3 and any(ch.isalnum() for ch in word.text):
        return all(share([part[half] for part in counts]) >= MIN_INK_PER_HALF for half in (0, 1))
    return True
