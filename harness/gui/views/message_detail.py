"""The detail tabs of a step or a pasted message: Summary, XML, Signature, Checks, HTTP."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from harness.core.trace import Message, Step, Trace
from harness.gui.models.checks import ChecksModel
from harness.gui.plain import plain_label
from harness.gui.views import html
from harness.gui.views.xml_view import XmlView

TABS = ("Summary", "XML", "Signature", "Checks", "HTTP")


def _browser(name: str) -> QTextBrowser:
    b = QTextBrowser()
    b.setOpenExternalLinks(False)
    b.setAccessibleName(name)
    return b


class MessageDetail(QTabWidget):
    def __init__(
        self,
        parent: QWidget | None = None,
        blank: str = "Select a step in the diagram or the list.",
        tabs: tuple[str, ...] = TABS,
    ):
        """`tabs`: the ones shown (a message that never went through the SP has no Checks or HTTP hop)."""
        super().__init__(parent)
        self.blank = blank
        self.summary = _browser("Summary")
        self.xml = XmlView()
        self.signature = _browser("Signature")
        self.checks_model = ChecksModel(self)
        self.checks_view = QTableView()
        self.checks_view.setModel(self.checks_model)
        self.checks_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.checks_view.verticalHeader().hide()
        self.checks_view.setWordWrap(True)
        header = self.checks_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.checks_note = plain_label("")
        self.checks_note.setWordWrap(True)
        checks = QWidget()
        lay = QVBoxLayout(checks)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.checks_note)
        lay.addWidget(self.checks_view, 1)
        self.http = _browser("HTTP")
        for w, name in zip((self.summary, self.xml, self.signature, checks, self.http), TABS, strict=True):
            self.addTab(w, name)
            self.setTabVisible(self.tab(name), name in tabs)
        self.step: Step | None = None
        self.message: Message | None = None

    def tab(self, name: str) -> int:
        return TABS.index(name)

    def show_tab(self, name: str) -> None:
        self.setCurrentIndex(self.tab(name))

    def clear(self) -> None:
        self.set_step(None, None)

    def set_step(self, step: Step | None, trace: Trace | None = None) -> None:
        self._show(step, step.message if step is not None else None, trace)

    def set_message(self, msg: Message | None, note: str = "") -> None:
        """A pasted message (the inspector): no hop, no SP checks."""
        self._show(None, msg, None, note)

    def _show(self, step: Step | None, msg: Message | None, trace: Trace | None, note: str = "") -> None:
        self.step, self.message = step, msg
        if step is None and msg is None:
            blank = f"<p style='color:#78909c'>{self.blank}</p>"
            self.summary.setHtml(blank)
            self.signature.setHtml(blank)
            self.http.setHtml(blank)
            self.xml.set_message(None)
            self.checks_model.set_rows([])
            self.checks_note.setText("")
            return
        self.summary.setHtml(html.summary_html(step, msg))
        self.xml.set_message(msg)
        self.signature.setHtml(html.signature_html(step, msg))
        self.http.setHtml(html.http_html(step, msg))
        checks = step.checks if step is not None else []
        self.checks_model.set_rows(checks)
        self.checks_view.resizeRowsToContents()
        if checks:
            failed = sum(1 for c in checks if c.ok is False)
            self.checks_note.setText(
                f"The SP's checks on this message, in the order it runs them: {len(checks) - failed} passed"
                + (f", {failed} failed — the first failure is why it refused." if failed else ".")
            )
        elif step is None:
            self.checks_note.setText(
                note
                or "A pasted message has not been through the SP, so it has no SP checks; its signatures "
                "are checked in the Signature tab against the chosen certificate."
            )
        else:
            where = next((s for s in (trace.steps if trace else []) if s.checks), None)
            self.checks_note.setText(
                f"No checks on this hop. The SP's checks (Destination, Recipient, Audience, InResponseTo, time "
                f"window, Issuer, mapping decision) are on step {where.index}."
                if where is not None
                else "No checks on this hop."
            )

    # for tests and screenshots
    def text(self, name: str) -> str:
        if name == "XML":
            return self.xml.edit.toPlainText()
        if name == "Checks":
            rows = [
                f"{c.name}: {'ok' if c.ok else 'FAILED' if c.ok is False else '-'} {c.detail}"
                for c in self.checks_model.rows
            ]
            return "\n".join([self.checks_note.text(), *rows])
        return {"Summary": self.summary, "Signature": self.signature, "HTTP": self.http}[name].toPlainText()
