"""Adding a report in a real Chromium: the form, the job page that updates itself, axe on both."""

from __future__ import annotations

import pytest

from kb.index import Index
from tests.browser.conftest import check_axe, serving
from tests.conftest import CORPUS, make_config

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_upload_a_report_and_follow_its_job(browser, tmp_path):
    from web import create_app

    config = make_config(tmp_path, admin_token="nyckel")
    index = Index.open(config)
    with serving(create_app({"TESTING": True}, config=config, index=index)) as base:
        page = browser.new_page(base_url=base)
        page.goto("/admin/upload")
        check_axe(page)
        page.get_by_label("Rapportfil").set_input_files(str(CORPUS / "orsa-2015-resurscentrum.txt"))
        page.get_by_label("Administratörsnyckel").fill("nyckel")
        page.get_by_role("button", name="Lägg till").click()
        page.wait_for_url("**/admin/jobs/**")
        page.evaluate("window.notReloaded = true")
        page.get_by_text("Tillagd").wait_for(timeout=60_000)  # app.js polls the job and updates the page
        assert page.evaluate("window.notReloaded === true")  # a reload would reset a screen reader
        assert page.locator("head meta[http-equiv=refresh]").count() == 0  # only inside <noscript>
        check_axe(page)
        page.get_by_role("link", name="Öppna rapporten").click()
        page.wait_for_url("**/reports/orsa-2015-resurscentrum")
        assert "Orsa" in page.locator("dl.facts").inner_text()
        page.close()
    index.close()
