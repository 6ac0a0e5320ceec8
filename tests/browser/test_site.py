"""The site in a real Chromium: search, filter, cite, gather an underlag, compare; axe on every page."""

from __future__ import annotations

import pytest

from tests.browser.conftest import check_axe, screenshot, serving

pytestmark = [pytest.mark.slow, pytest.mark.browser]

QUERY = "samverkan med Arbetsförmedlingen"
TOPIC = "uppföljning av försörjningsstöd"


def _search(page, query: str = QUERY) -> None:
    page.goto("/")
    page.get_by_label("Vad vill du veta?").fill(query)
    page.get_by_label("Vad vill du veta?").press("Enter")
    page.wait_for_selector("li.hit")


def test_search_and_filter_by_kommun(page):
    _search(page)
    assert page.locator("li.hit").count() == 10
    kommuner = {t.split(":")[0] for t in page.locator("li.hit h2").all_inner_texts()}
    assert len(kommuner) >= 3
    page.locator(".filters").get_by_label("Mellerud").check()
    page.get_by_role("button", name="Använd filter").click()
    page.wait_for_url("**kommun=Mellerud**")
    headings = page.locator("li.hit h2").all_inner_texts()
    assert headings and all(h.startswith("Mellerud:") for h in headings)
    assert page.locator(".filters").get_by_label("Mellerud").is_checked()
    check_axe(page)
    screenshot(page, "search-results")


def test_a_misspelled_query_is_corrected_and_can_be_searched_as_typed(page):
    _search(page, "rekomendationer forsorjningsstod")
    notice = page.locator("p.spelling")
    assert "Stavningen rättades" in notice.inner_text()
    assert page.locator("p.summary").inner_text().endswith("för rekommendationer försörjningsstöd")
    check_axe(page)
    screenshot(page, "search-spelling")
    notice.get_by_role("link", name="Sök exakt").click()
    page.wait_for_url("**spell=0**")
    assert page.locator("p.spelling").count() == 0
    assert page.get_by_label("Vad vill du veta?").input_value() == "rekomendationer forsorjningsstod"


def test_a_named_kommun_comes_first_and_can_be_searched_alone(page):
    _search(page, "samverkan med Arbetsförmedlingen i Ödeshög")
    notice = page.locator("p.places")
    assert "Sökningen nämner Ödeshög: avsnitt därifrån visas först." in notice.inner_text()
    assert page.locator("li.hit h2").first.inner_text().startswith("Ödeshög:")
    check_axe(page)
    screenshot(page, "search-named-kommun")
    notice.get_by_role("link", name="Visa bara Ödeshög").click()
    page.wait_for_url("**kommun=**")
    assert page.locator(".filters").get_by_label("Ödeshög").is_checked()
    assert page.locator("p.places").count() == 0


def test_filter_on_section_type_shows_only_bedomningar(page):
    _search(page)
    page.locator(".filters").get_by_label("Bedömning").check()
    page.get_by_role("button", name="Använd filter").click()
    page.wait_for_url("**section_type=bedomning**")
    tags = page.locator("li.hit .tag").all_inner_texts()
    assert tags and set(tags) == {"Bedömning"}


def test_open_a_citation_and_see_the_passage_highlighted_in_view(page):
    _search(page)
    page.locator("li.hit").nth(2).get_by_role("link", name="Öppna stycket i rapporten").click()
    page.wait_for_selector("section.passage.cited")
    cited = page.locator("section.passage.cited")
    assert cited.count() == 1
    box = cited.bounding_box()
    height = page.evaluate("window.innerHeight")
    assert box is not None and box["y"] < height and box["y"] + min(box["height"], 100) > 0
    assert page.evaluate("document.activeElement.classList.contains('cited')")
    background = cited.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "rgb(255, 255, 255)")
    check_axe(page)
    screenshot(page, "report-cited-passage")


def test_build_reorder_and_export_an_underlag(page, tmp_path):
    _search(page)
    titles = []
    for i in (0, 1, 2):
        hit = page.locator("li.hit").nth(i)
        titles.append(hit.locator("blockquote").inner_text()[:40])
        hit.get_by_role("button", name="Lägg i underlaget").click()
        page.wait_for_load_state()
    assert "Underlag (3)" in page.get_by_role("navigation").inner_text()
    assert page.locator("li.hit").nth(0).get_by_role("button", name="Ta bort ur underlaget").is_visible()
    page.get_by_role("link", name="Underlag (3)").click()
    items = page.locator("ol.basket-items > li")
    assert items.count() == 3
    first_cite = items.nth(0).locator("h2").inner_text()
    items.nth(0).get_by_role("button", name="Flytta ner stycke 1").click()
    page.wait_for_load_state()
    assert page.locator("ol.basket-items > li").nth(1).locator("h2").inner_text() == first_cite
    page.locator("ol.basket-items > li").nth(2).get_by_role("button", name="Ta bort stycke 3").click()
    page.wait_for_load_state()
    assert page.locator("ol.basket-items > li").count() == 2
    check_axe(page)
    screenshot(page, "underlag")
    with page.expect_download() as info:
        page.get_by_role("link", name="Exportera som Markdown").click()
    path = tmp_path / "underlag.md"
    info.value.save_as(path)
    text = path.read_text()
    assert text.startswith("# Underlag") and text.count("## ") == 2
    assert text.count("Permalänk: <http://127.0.0.1:") == 2 and "?passage=" in text


def test_compare_a_topic_across_reports(page):
    page.goto("/compare")
    page.get_by_label("Ämne att jämföra").fill(TOPIC)
    page.get_by_role("button", name="Jämför").click()
    page.wait_for_selector("li.compare-row")
    rows = page.locator("li.compare-row")
    assert rows.count() == 5
    assert rows.nth(0).get_by_role("heading", name="Bedömning").is_visible()
    link = rows.nth(0).locator("section").nth(0).get_by_role("link").first
    href = link.get_attribute("href")
    assert "?passage=" in href
    check_axe(page)
    screenshot(page, "compare")


@pytest.mark.parametrize("path, name", [
    ("/", None),
    ("/?q=intern+kontroll&group=report&k=20", "search-grouped"),
    ("/register", "register"),
    ("/register?kind=rekommendation", None),
    ("/reports", "corpus"),
    ("/reports?sort=-year", None),
    ("/reports/odeshog-2019-forsorjningsstod", None),
    ("/underlag", None),
    ("/finns-inte", None),
])
def test_every_page_passes_axe(page, path, name):
    page.goto(path)
    check_axe(page)
    if name:
        screenshot(page, name)


def test_similar_page_passes_axe(page, corpus_index):
    chunk = corpus_index.catalog.chunks_of("orsa-2015-resurscentrum")[4]
    page.goto(f"/similar/{chunk.id}")
    assert page.locator("li.hit").count() == 10
    check_axe(page)


def test_keyboard_users_can_skip_to_content_and_reach_filters(page):
    page.goto("/?q=budget")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


def test_readable_on_a_phone(browser, live_server):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    for path in ("/?q=" + QUERY, "/compare?q=" + TOPIC, "/register", "/reports"):
        page.goto(path, timeout=60_000)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)
    context.close()


def _tab_stops(page, limit: int = 150) -> list[dict]:
    """Where Tab takes focus from the search box on, until it leaves the page's main part."""
    page.get_by_label("Vad vill du veta?").focus()
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate("""() => { const e = document.activeElement;
            if (!e || !e.closest('main')) return null;
            return {top: e.getBoundingClientRect().top + window.scrollY, filter: !!e.closest('.filters'),
                    hit: !!e.closest('li.hit'), text: (e.textContent || e.name || '').trim().slice(0, 40)}; }""")
        if stop is None:
            break
        stops.append(stop)
    return stops


@pytest.mark.parametrize("width", [360, 1280])
def test_tab_order_follows_the_visual_order_and_meets_the_hits_before_the_filters(browser, live_server, width):
    context = browser.new_context(base_url=live_server, viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto("/?q=intern+kontroll", timeout=60_000)
    stops = _tab_stops(page)
    first_hit = next(i for i, s in enumerate(stops) if s["hit"])
    first_filter = next(i for i, s in enumerate(stops) if s["filter"])
    assert first_hit < first_filter, stops[:first_hit + 1]
    if width == 360:  # one column: each stop is drawn below (or beside) the one before
        backwards = [(a, b) for a, b in zip(stops, stops[1:], strict=False) if b["top"] < a["top"] - 20]
        assert not backwards, backwards[:3]
    context.close()


@pytest.fixture(scope="module")
def wide_documents(tmp_path_factory, shared):
    """The corpus and the real documents whose contents, tables and long words once widened the page."""
    from kb.index import Index
    from tests.conftest import CORPUS, ingest_folder, make_config

    config = make_config(tmp_path_factory.mktemp("wide"), admin_token="nyckel")
    index = Index.open(config)
    real = shared / "data" / "real"
    summary = ingest_folder(index, CORPUS, real / "audits/kungsbacka_2023_informationssakerhet_i_praktiken.md",
                            real / "pdfs/Simrishamn_Bokslut_2025.pdf", real / "pdfs/Vansbro_Energi_och_klimatplan.pdf")
    assert not summary.failed
    yield index
    index.close()


def test_no_page_scrolls_sideways_at_360_px(browser, wide_documents):
    from web import create_app

    long_word = next(c for c in wide_documents.catalog.chunks_of("vansbro-energi-och-klimatplan")
                     if "Vidareutbildning/kursverksamhet/Föreläsningar" in c.text[:500])
    paths = ["/reports/simrishamn-bokslut-2025", "/reports/kungsbacka-2023-informationssakerhet-i-praktiken",
             "/reports/vansbro-energi-och-klimatplan", f"/similar/{long_word.id}?same_report=1",
             "/?q=Vidareutbildning+kursverksamhet", "/?q=intern+kontroll&group=report&k=20", "/admin/upload",
             "/register", "/reports", "/compare?q=informationss%C3%A4kerhet"]
    app = create_app({"TESTING": True}, config=wide_documents.config, index=wide_documents)
    with serving(app) as base:
        context = browser.new_context(base_url=base, viewport={"width": 360, "height": 800})
        page = context.new_page()
        for path in paths:
            page.goto(path, timeout=60_000)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (path, overflow)
        page.goto("/reports/kungsbacka-2023-informationssakerhet-i-praktiken")
        wide = page.locator(".tablewrap").evaluate_all("els => els.filter(e => e.scrollWidth > e.clientWidth).length")
        assert wide > 0  # its widest tables scroll inside their own box
        check_axe(page)
        context.close()
