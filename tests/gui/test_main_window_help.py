"""Step mode tells the story hop by hop: the outcome is not given away at the first hop."""


def test_the_banner_waits_for_the_last_hop(qtbot, tester, window):
    entry = tester.run("sp", "4711", "carol", button="step")  # refused: saml-disabled-for-user
    page = window.trace_page
    total = len(entry.trace.steps)
    assert page.model.rowCount() == 1
    text = page.banner.text()
    assert "saml-disabled-for-user" not in text and "✘" not in text and "Refused" not in text
    assert f"hop 1 of {total}" in text and page.banner.property("level") == "info"
    tester.click(page.next_btn)
    assert f"hop 2 of {total}" in page.banner.text()
    tester.click(page.last_btn)
    assert "saml-disabled-for-user" in page.banner.text() and page.banner.property("level") == "refused"


def test_the_shortcuts_help_lists_every_page(window):
    from harness.gui.views.main_window import PAGE_TITLES

    text = window.shortcuts_text()
    assert len(PAGE_TITLES) == len(window.pages)
    for n, title in enumerate(PAGE_TITLES.values(), 1):
        assert f"Ctrl+{n}  {title}" in text
