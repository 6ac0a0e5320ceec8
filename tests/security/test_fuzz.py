"""Bounded fuzzing (hypothesis) of everything that reads untrusted text: the cleaners, the
readers, the query parser, validation, analysis, highlighting and Markdown rendering."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from ingest import clean
from ingest.encoding import decode_text
from ingest.readers import read_document
from ingest.readers.text import read_text
from kb.analysis import analyze, analyze_query
from kb.errors import BadQuery, IngestError
from kb.highlight import excerpt
from kb.search import MAX_QUERY_CHARS, validate
from tests.security.conftest import active_content
from web.params import parse_search_args
from web.render import render_passage

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text that looks like reports and attacks: Swedish letters, markup, controls, bidi, surrogate-free.
ALPHABET = st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Z", "Cc", "Cf", "M"))
SNIPPETS = st.sampled_from(["<script>", "</p>", "javascript:", "[a](b)", "![x](y)", "# ", "\n\n", "- ",
                            "|", "\t", "---\n", "<!-- sida 2 -->", "\u202e", "\x00", "Ã¤", "Ã¶", "\ufeff",
                            "&amp;", "\r\n", "försörjningsstöd", "Revisionsfråga:", "NEAR(", '"', "*"])
TEXT = st.lists(st.one_of(st.text(ALPHABET, max_size=40), SNIPPETS), max_size=30).map("".join)


@FUZZ
@given(TEXT)
def test_cleaners_return_text(text):
    for step in (clean.normalize_unicode, clean.fix_mojibake, clean.strip_export_artifacts,
                 clean.join_hyphenated, clean.collapse_blank_lines, clean.separate_cells,
                 clean.merge_paragraph_lines):
        assert isinstance(step(text), str)
    assert all(isinstance(p, str) for p in clean.remove_running_lines([text, text, text]))


@FUZZ
@given(st.binary(max_size=2000) | TEXT.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_decoding_and_text_readers_never_crash(data):
    text, encoding = decode_text(data)
    assert isinstance(text, str) and encoding
    for fmt in ("txt", "md"):
        document = read_text(data, fmt)
        assert isinstance(document.text, str)
        assert all(0 <= p.start <= p.end <= len(document.text) for p in document.pages)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([".txt", ".md", ".pdf", ".bin"]),
       st.sampled_from([b"", b"%PDF-1.7\n", b"\xef\xbb\xbf", b"\xff\xfe"]))
def test_read_document_is_a_document_or_a_clear_error(data, suffix, head):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"rapport{suffix}"
        path.write_bytes(head + data)
        try:
            document = read_document(path)
        except IngestError as exc:
            assert str(exc)
        else:
            assert isinstance(document.text, str)


PARAM_NAMES = st.sampled_from(["q", "k", "year_from", "year_to", "kommun", "firm", "section_type",
                               "doc_type", "format", "group", "x", "", "\x00"])
PARAM_VALUES = st.one_of(TEXT, st.integers(-10**6, 10**6).map(str), st.sampled_from(
    ["bedomning", "granskningsrapport", "", " ", "1e3", "0x10", "٣", "10\x00"]))


@FUZZ
@given(st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES), max_size=12), st.booleans())
def test_parse_search_args_returns_valid_values_or_bad_query(pairs, strict):
    try:
        query, k, filters = parse_search_args(MultiDict(pairs), strict=strict)
    except BadQuery as exc:
        assert str(exc)
        return
    assert isinstance(query, str) and 1 <= k <= 100
    assert all(len(v) <= 200 for v in filters.kommun + filters.firm)


@FUZZ
@given(st.one_of(TEXT, st.text(max_size=1200)), st.integers(-5, 200))
def test_validate_accepts_only_searchable_queries(query, k):
    try:
        cleaned = validate(query, k)
    except BadQuery:
        return
    assert cleaned and cleaned == cleaned.strip() and "\x00" not in cleaned
    assert len(cleaned) <= MAX_QUERY_CHARS and 1 <= k <= 100


@FUZZ
@given(TEXT)
def test_analysis_yields_plain_terms(text):
    for terms in (analyze(text), analyze_query(text)):
        assert all(isinstance(t, str) and t and not any(c.isspace() for c in t) for t in terms)


_MARK = re.compile(r"</?mark>")


@FUZZ
@given(TEXT, TEXT)
def test_excerpts_escape_everything_but_their_marks(text, query):
    html = str(excerpt(text, query))
    assert "<" not in _MARK.sub("", html)


@FUZZ
@given(TEXT, st.sampled_from(["md", "txt"]))
def test_rendered_passages_have_no_active_content(text, fmt):
    assert active_content(str(render_passage(text, fmt))) == []


@pytest.mark.parametrize("text", ["[x](javascript:alert(1))", "<a href='javascript:alert(1)'>x</a>",
                                  "[x]( javascript:alert(1))", "[x](&#106;avascript:alert(1))",
                                  "[x](data:text/html,<script>alert(1)</script>)", "<img src=x onerror=alert(1)>",
                                  "[x][r]\n\n[r]: javascript:alert(1)", "<details open ontoggle=alert(1)>"])
def test_known_markdown_attacks_render_inert(text):
    assert active_content(str(render_passage(text, "md"))) == []
