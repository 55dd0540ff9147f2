"""Property: arbitrary Unicode and markup in every message-derived field goes through every
human-facing formatter (terminal, HTML report, the app's rich-text tabs) and every label kind
without being interpreted and without reaching a terminal raw."""

from __future__ import annotations

import dataclasses
import html
import unicodedata

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from harness.core.format import format_step
from harness.core.inspect_message import format_message
from harness.core.report import render_html
from harness.core.terminal import field, visible
from harness.core.trace import Check, Message, MessageSummary, SignatureInfo, Step, Trace

MARKUP = st.sampled_from(
    [
        "<b>x</b>",
        "<img src=file:///etc/passwd>",
        "<a href=x>y</a>",
        "<script>alert(1)</script>",
        "</td></tr></table><h1>",
        "&lt;b&gt;",
        "\x1b[2J",
        "\x1b]8;;https://evil/\x07",
        "\r✔ Signature verifies\n",
        "\u202e",
        "\u2066",
        "\x9b",
        "\x00",
        "\ufeff",
        '" onmouseover="x',
        "]]><!--",
    ]
)
HOSTILE = st.lists(st.one_of(st.text(max_size=20), MARKUP), max_size=6).map("".join)
SETTINGS = settings(max_examples=120, suppress_health_check=[HealthCheck.function_scoped_fixture])
FORMAT_CHARS = {"Cc", "Cf", "Zl", "Zp"}


def _fill(obj, text: str):
    """Every text field of a trace dataclass (recursively) set to `text`; enums left valid. A step's
    reason code is fixed too: it is a word of the SP's vocabulary that chooses which box a tab shows
    (a signature refusal's, say), so a text that happens to start like "trust" changes the shape by
    design; the code's own text is escaped like every other field."""
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if f.name in ("verdict", "src", "dst") and not isinstance(obj, SignatureInfo):
            continue
        if f.name == "code" and isinstance(obj, Step):
            continue
        if isinstance(value, str) or (value is None and "str" in str(f.type) and "Message" not in str(f.type)):
            setattr(obj, f.name, text)
        elif isinstance(value, list) and f.type == "list[str]":
            setattr(obj, f.name, [text, text])
        elif isinstance(value, dict):
            setattr(obj, f.name, {text: [text]} if "list" in str(f.type) else {text: text})
        elif dataclasses.is_dataclass(value):
            _fill(value, text)
        elif isinstance(value, list):
            for item in value:
                _fill(item, text)
    return obj


def _step(text: str, verdict: str = "refused") -> Step:
    msg = Message(summary=MessageSummary(), signatures=[SignatureInfo(element="x", digest_ok=False, value_ok=True)])
    step = Step(index=1, time=1.0, src="browser", dst="sp", status=403, verdict=verdict, message=msg,
                checks=[Check("c", False), Check("d", True)])  # fmt: skip
    return _fill(step, text)


def _no_raw_controls(out: str) -> None:
    for ch in out:
        if ch not in "\n\t":
            assert unicodedata.category(ch) not in FORMAT_CHARS, repr(ch)


@SETTINGS
@given(HOSTILE)
def test_terminal_output_shows_everything_and_runs_nothing(text):
    _no_raw_controls(visible(text))
    assert "\n" not in field(text)
    assume(text)  # an empty field leaves its line out: compare shapes with something shown
    shape = format_step(_step("x")).count("\n")
    out = visible(format_step(_step(text)))
    _no_raw_controls(out)
    assert out.count("\n") == shape  # nothing from the message starts a line of its own
    msg = _step(text).message
    assert visible(format_message(msg)).count("\n") == format_message(_step("x").message).count("\n")


def _shape(page: str) -> list[str]:
    doc = lxml_html.document_fromstring(page)
    return [el.tag for el in doc.iter() if isinstance(el.tag, str)]


@SETTINGS
@given(HOSTILE)
@example("A://[")  # urlsplit raised "Invalid IPv6 URL": the report was a traceback (found by Hypothesis on CI)
def test_the_html_report_has_the_same_elements_whatever_the_text(text):
    assume(text)
    trace = Trace(title=text, flow=text, subscription=text, user=text, steps=[_step(text), _step(text, "ok")],
                  outcome_detail=text, foreign=[_step(text)])  # fmt: skip
    benign = Trace(title="x", flow="x", subscription="x", user="x", steps=[_step("x"), _step("x", "ok")],
                   outcome_detail="x", foreign=[_step("x")])  # fmt: skip
    page = render_html(trace, generated=1.0)
    assert _shape(page) == _shape(render_html(benign, generated=1.0))  # no element came from the text
    assert "<script" not in page.split("<style>")[0] + page.split("</style>")[1]
    assert html.escape(visible(text)) in page  # shown, with nothing raw
    _no_raw_controls(lxml_html.document_fromstring(page).text_content())


@SETTINGS
@given(HOSTILE)
def test_the_apps_rich_text_tabs_have_the_same_elements_whatever_the_text(text):
    assume(text)
    from harness.gui.views import html as tabs

    step, benign = _step(text), _step("x")
    # A query string is shown as a table of its parameters (escaped): rows the URL's own structure
    # makes, so the URL stays fixed here; every other field carries the text.
    step.url = benign.url = "http://sp.test/fo/login.php?a=1"
    for render in (tabs.summary_html, tabs.signature_html, tabs.http_html):
        assert _shape("<html><body>" + render(step, step.message) + "</body></html>") == _shape(
            "<html><body>" + render(benign, benign.message) + "</body></html>"
        )


@SETTINGS
@given(HOSTILE)
def test_labels_show_the_text_literally(qapp, text):
    from PySide6.QtCore import Qt

    from harness.gui.plain import plain_label, plain_tip, rich_label
    from harness.gui.views.editor_base import title_label

    label = plain_label(text)
    assert label.text() == visible(text) and label.textFormat() == Qt.TextFormat.PlainText
    _no_raw_controls(label.text())
    label.setText(text)  # later text goes through the same door
    assert label.text() == visible(text)
    title = title_label(text, text or "hint")
    assert title.textFormat() == Qt.TextFormat.RichText and html.escape(visible(text)) in title.text()
    assert _shape(f"<html><body>{title.text()}</body></html>") == _shape(  # no element came from the text
        f"<html><body>{title_label('x', 'x').text()}</body></html>"
    )
    tip = plain_tip(text)
    inside = tip[len("<p style='white-space:pre-wrap'>") : -len("</p>")]
    assert tip == "" or (inside == html.escape(visible(text)) and "<" not in inside)
    assert rich_label(html.escape(text)).textFormat() == Qt.TextFormat.RichText
