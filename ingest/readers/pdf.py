"""PDF to Document with pypdf: text per page, cleaned, with page spans for citations."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date

from ingest import clean
from ingest.readers.isolation import run_isolated
from kb.errors import IngestError
from kb.models import Document, Page

#: Seconds one PDF may take before we give up instead of hanging on a pathological file.
TIME_LIMIT = 120
#: Seconds tesseract may spend on one image.
OCR_TIME_LIMIT = 120
#: A page with fewer characters than this is taken to have no text layer.
MIN_PAGE_CHARS = 3

_JUNK_TITLES = re.compile(
    r"^(föreskriftens namn|dokumentnamn|rubrik|title|untitled|namnlös|binder\d*|dokument\d*"
    r"|bakgrund|inledning|sammanfattning|innehåll)$",  # a template's first heading, not the document's title
    re.IGNORECASE)
_TITLE_PREFIX = re.compile(r"^(microsoft (word|powerpoint|excel) - )", re.IGNORECASE)
_FILE_SUFFIX = re.compile(r"\.(docx?|pdf|pptx?|xlsx?|odt|indd|rtf)$", re.IGNORECASE)
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})(\d{2})")


class _Timeout(Exception):
    """Raised by the alarm when reading takes longer than TIME_LIMIT."""


def _can_alarm() -> bool:
    """Whether SIGALRM can interrupt us: only in the main thread, only where setitimer exists."""
    return threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")


@contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """Interrupt pypdf after `seconds` (main thread only: signals cannot reach other threads)."""

    def _alarm(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def read_pdf(data: bytes, *, ocr: bool = False) -> Document:
    """Read a PDF's bytes; every pypdf failure becomes an IngestError a user can act on.

    In the main thread an alarm bounds the time; in other threads (the site) pypdf runs in a child
    process that is killed after TIME_LIMIT seconds.
    """
    too_slow = f"PDF-filen tog för lång tid att läsa (mer än {TIME_LIMIT} sekunder) och hoppades över."
    if _can_alarm():
        try:
            with _time_limit(TIME_LIMIT):
                pages, metadata, images = _extract(data, ocr)
        except _Timeout:
            raise IngestError(too_slow) from None
    else:
        pages, metadata, images = run_isolated(
            _extract, data, ocr, seconds=TIME_LIMIT, timeout_message=too_slow,
            crash_message="PDF-filen är felaktigt uppbyggd och kan inte läsas (läsningen avbröts).")
    return _build(pages, metadata, images, ocr)


def _extract(data: bytes, ocr: bool) -> tuple[list[str], dict, dict[int, list[bytes]]]:
    """pypdf's part: page texts without running lines, info metadata, images of pages without text."""
    import pypdf  # imported here so text-only use does not pay for it

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # broken files make pypdf chatty
    try:
        reader = _open(pypdf, data)
        raw_pages = [clean.normalize_unicode(_page_text(page)) for page in reader.pages]
        pages = _strip_running_lines(raw_pages)
        empty = [i for i, text in enumerate(pages) if _empty(text)]
        images = {i: _page_images(reader.pages[i]) for i in empty} if ocr else {}
        return pages, _metadata(reader), images
    except (IngestError, _Timeout):
        raise
    except RecursionError:
        raise IngestError("PDF-filen är felaktigt uppbyggd och kan inte läsas.") from None
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on broken files; none may reach the user raw
        raise IngestError(
            f"PDF-filen är skadad eller ofullständig och kan inte läsas ({type(exc).__name__}).") from None


def _strip_running_lines(raw_pages: list[str]) -> list[str]:
    """Remove headers and footers, unless that would remove most of the text (then they are the text)."""
    pages = clean.remove_running_lines([("" if _empty(t) else t) for t in raw_pages])
    kept = sum(len(t.strip()) for t in pages)
    return pages if kept >= 0.5 * sum(len(t.strip()) for t in raw_pages) else raw_pages


def _open(pypdf, data: bytes):
    """Open leniently, decrypting files whose user password is empty."""
    reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            ok = reader.decrypt("")
        except Exception as exc:  # noqa: BLE001 - e.g. AES without the cryptography package
            raise IngestError(
                f"PDF-filen är krypterad på ett sätt som inte kan läsas här ({type(exc).__name__})."
            ) from None
        if not ok:
            raise IngestError(
                "Filen är krypterad och kan inte läsas utan lösenord. Spara en olåst kopia och försök igen.")
    if len(reader.pages) == 0:
        raise IngestError("PDF-filen innehåller inga sidor.")
    return reader


def _page_text(page) -> str:
    """Plain-mode text: it keeps two-column reading order and whole words, unlike layout mode."""
    try:
        text = page.extract_text() or ""
    except Exception:  # noqa: BLE001 - one broken page must not lose the rest of the report
        return ""
    if _empty(text):
        try:
            text = page.extract_text(extraction_mode="layout") or text
        except Exception:  # noqa: BLE001 - the plain text, however short, is what we have
            return text
    return text


def _empty(text: str) -> bool:
    """Whether a page's extracted text is too small to be a text layer."""
    return len("".join(text.split())) < MIN_PAGE_CHARS


def _page_images(page) -> list[bytes]:
    """The page's embedded images as bytes tesseract can read."""
    try:
        return [image.data for image in page.images]
    except Exception:  # noqa: BLE001
        return []


def tesseract_available() -> bool:
    """Whether tesseract and its Swedish language data are installed."""
    if not shutil.which("tesseract"):
        return False
    try:
        result = subprocess.run(["tesseract", "--list-langs"], check=False, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return "swe" in result.stdout.split()


def ocr_image(image: bytes) -> str:
    """Swedish OCR of one image through the tesseract command line, on one core: its own OpenMP
    threads made one page take 14 s instead of 4 s on two cores, so pages run side by side instead."""
    try:
        result = subprocess.run(
            ["tesseract", "-", "-", "-l", "swe"], input=image, check=False, capture_output=True,
            timeout=OCR_TIME_LIMIT, env={**os.environ, "OMP_THREAD_LIMIT": "1"},
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.decode("utf-8", errors="replace") if result.returncode == 0 else ""


def _ocr_pages(images: dict[int, list[bytes]], raw_pages: list[str]) -> list[int]:
    """OCR image-only pages in place; returns the 0-based pages that got text."""
    done = []
    order = [(index, image) for index, page_images in images.items() for image in page_images]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        texts = list(pool.map(ocr_image, [image for _, image in order]))
    for index in images:
        text = "\n\n".join(t for (i, _), t in zip(order, texts, strict=True) if i == index and t.strip())
        if not _empty(text):
            raw_pages[index] = text
            done.append(index)
    return done


def _pages_list(numbers: list[int]) -> str:
    """Page numbers as Swedish prose: "Sidan 3" or "Sidorna 4, 6, 8"."""
    joined = ", ".join(str(n) for n in numbers)
    return f"Sidan {joined}" if len(numbers) == 1 else f"Sidorna {joined}"


def _build(pages: list[str], metadata: dict, images: dict[int, list[bytes]], ocr: bool) -> Document:
    """OCR and clean the pages, join them and record where each page lies in the text."""
    warnings: list[str] = []
    if ocr and images:
        if tesseract_available():
            done = _ocr_pages(images, pages)
            if done:
                warnings.append(f"{_pages_list([i + 1 for i in done])} lästes med OCR; texten kan innehålla fel.")
        else:
            warnings.append("OCR begärdes men tesseract med svenska språkdata (tesseract-ocr-swe) är inte installerat.")
    cleaned = ["" if _empty(text) else clean_page(text) for text in pages]
    empty = [i + 1 for i, text in enumerate(cleaned) if _empty(text)]
    if len(empty) == len(cleaned):
        raise IngestError(
            "PDF-filen saknar textlager på alla sidor (skannade bilder?) och ingen text kunde läsas. "
            + ("OCR gav ingen text." if ocr else "Prova med OCR påslaget.")
        )
    if empty:
        warnings.append(f"{_pages_list(empty)} saknar textlager (skannade bilder?).")
    parts: list[str] = []
    spans: list[Page] = []
    offset = 0
    for number, text in enumerate(cleaned, start=1):
        text = "" if _empty(text) else text
        if text and parts:
            offset += 2  # the "\n\n" between pages
        spans.append(Page(number, offset, offset + len(text)))
        if text:
            parts.append(text)
            offset += len(text)
    return Document(text="\n\n".join(parts), format="pdf", pages=tuple(spans), metadata=metadata,
                    warnings=tuple(warnings))


def clean_page(text: str) -> str:
    """One page's text from raw extraction to paragraphs: hyphens joined, cells tab-separated, lines merged."""
    text = clean.fix_mojibake(text)
    text = clean.join_hyphenated(text)
    text = clean.separate_cells(text)
    return clean.collapse_blank_lines(clean.merge_paragraph_lines(text))


def _metadata(reader) -> dict:
    """Title, author and creation date from the info dictionary, skipping template leftovers."""
    try:
        info = reader.metadata or {}
        fields = {key: info.get(key) for key in ("/Title", "/Author", "/CreationDate")}
    except Exception:  # noqa: BLE001 - unreadable metadata must not cost us the text
        return {}
    out: dict = {}
    title = _clean_field(fields["/Title"])
    if title:
        title = _TITLE_PREFIX.sub("", title).strip().rstrip(";,:").strip()
        if title and not _JUNK_TITLES.match(title) and not _FILE_SUFFIX.search(title):
            out["title"] = title
    author = _clean_field(fields["/Author"])
    if author:
        out["author"] = author
    created = _pdf_date(_clean_field(fields["/CreationDate"]))
    if created:
        out["created"] = created
    return out


def _clean_field(value: object) -> str:
    """An info-dictionary value as a tidy string ('' for missing or non-text values)."""
    if not isinstance(value, str):
        return ""
    return " ".join(clean.normalize_unicode(value).split())


def _pdf_date(value: str) -> str | None:
    """A PDF date ("D:20230405154811+02'00'") as YYYY-MM-DD, or None when it is not a real date."""
    match = _PDF_DATE.match(value or "")
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return None
