"""The sequence diagram: lanes Browser, SP, IdP; one numbered arrow per hop, coloured by verdict.

Painted with QPainter from `harness.core.report.diagram_layout`, the same geometry the HTML
report writes as SVG text. It reads the step model and shares the step list's selection.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from harness.core.report import HEADER, MARGIN_LEFT, Arrow, Layout, diagram_layout
from harness.gui.models.steps import StepListModel
from harness.gui.plain import plain_tip

BAND = QColor(255, 224, 130, 90)
BODY_TOP = 6.0
HEADER_HEIGHT = 46
LIFELINE = QColor("#b0bec5")


class SequenceDiagram(QWidget):
    row_clicked = Signal(int)

    def __init__(self, model: StepListModel, selection: QItemSelectionModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = model
        self.selection = selection
        self.lane_titles: dict[str, str] = {}
        self.lane_captions: dict[str, str] = {}
        self.placeholder = "Run a flow: the hops appear here as they happen."
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.setAccessibleName("Sequence diagram")
        for sig in (model.modelReset, model.rowsInserted, model.rowsRemoved, model.dataChanged):
            sig.connect(self._model_changed)
        selection.currentChanged.connect(lambda *_: self.update())
        self._model_changed()

    # -- geometry -------------------------------------------------------------------------------------

    def set_captions(self, captions: dict[str, str]) -> None:
        self.lane_captions = dict(captions)
        self.update()

    def diagram(self, width: float | None = None, *, header: bool = False) -> Layout:
        """The geometry; on screen the lane titles live in a separate, non-scrolling header."""
        w = width if width is not None else self.width()
        return diagram_layout(self.model.rows, w, self.lane_titles, HEADER if header else BODY_TOP)

    def arrows(self) -> list[Arrow]:
        return self.diagram().arrows

    def _model_changed(self, *_args) -> None:
        h = int(self.diagram().height) + 8
        self.setMinimumHeight(max(h, 120))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(640, max(int(self.diagram(640).height) + 8, 120))

    def current_row(self) -> int:
        idx = self.selection.currentIndex()
        return idx.row() if idx.isValid() else -1

    # -- painting ---------------------------------------------------------------------------------

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        try:
            self.paint(p, self.width(), self.current_row(), self.height(), header=False)
        finally:
            p.end()

    def paint(self, p: QPainter, width: float, selected: int = -1, height: float = 0, *, header: bool = True) -> None:
        lay = self.diagram(width, header=header)
        height = max(lay.height, height)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(QRectF(0, 0, width, height), QColor("white"))
        base = QFont(self.font())
        base.setPointSizeF(max(base.pointSizeF(), 9.0))
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() - 1)
        bold = QFont(base)
        bold.setBold(True)
        bottom = height - 6

        for lane in lay.lanes:
            p.setPen(QPen(LIFELINE, 1, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(lane.x, lay.header - 6), QPointF(lane.x, bottom))
        if header:
            self.paint_header(p, lay)
        self._paint_rows(p, lay, width, selected, base, small, bold)

    def paint_header(self, p: QPainter, lay: Layout) -> None:
        base = QFont(self.font())
        base.setPointSizeF(max(base.pointSizeF(), 9.0))
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() - 1)
        bold = QFont(base)
        bold.setBold(True)
        for lane in lay.lanes:
            box = QRectF(lane.x - 72, 6, 144, 36)
            p.setPen(QPen(QColor("#90a4ae"), 1))
            p.setBrush(QColor("#eceff1"))
            p.drawRoundedRect(box, 6, 6)
            p.setPen(QColor("#263238"))
            caption = self.lane_captions.get(lane.actor, "")
            if caption:
                p.setFont(bold)
                p.drawText(box.adjusted(0, 2, 0, -16), Qt.AlignmentFlag.AlignCenter, lane.title)
                p.setFont(small)
                p.setPen(QColor("#546e7a"))
                p.drawText(box.adjusted(0, 18, 0, -1), Qt.AlignmentFlag.AlignCenter, caption)
            else:
                p.setFont(bold)
                p.drawText(box, Qt.AlignmentFlag.AlignCenter, lane.title)

    def _paint_rows(self, p, lay: Layout, width: float, selected: int, base: QFont, small: QFont, bold: QFont) -> None:
        if not lay.arrows:
            p.setFont(base)
            p.setPen(QColor("#78909c"))
            p.drawText(QRectF(0, lay.header + 20, width, 40), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            return

        fm, fm_small = QFontMetrics(base), QFontMetrics(small)
        for a in lay.arrows:
            color = QColor(a.color)
            if a.row == selected:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(BAND)
                p.drawRect(QRectF(0, a.top + 1, width, a.bottom - a.top - 2))
            # number badge
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            center = QPointF(MARGIN_LEFT - 18, a.y)
            p.drawEllipse(center, 11, 11)
            p.setPen(QColor("white"))
            p.setFont(bold)
            p.drawText(QRectF(center.x() - 11, center.y() - 11, 22, 22), Qt.AlignmentFlag.AlignCenter, str(a.index))
            # arrows
            self._arrow(p, a.x1, a.x2, a.y, color, dashed=False)
            self._arrow(p, a.x2, a.x1, a.return_y, color, dashed=True)
            span = abs(a.x2 - a.x1) - 14
            x = min(a.x1, a.x2) + 8
            p.setPen(color)
            p.setFont(bold if a.row == selected else base)
            label = a.label.split("  ", 1)[-1]
            p.drawText(QPointF(x, a.y - 5), fm.elidedText(label, Qt.TextElideMode.ElideRight, int(span)))
            p.setFont(small)
            p.drawText(
                QPointF(x, a.return_y - 4), fm_small.elidedText(a.answer, Qt.TextElideMode.ElideRight, int(span))
            )

    @staticmethod
    def _arrow(p: QPainter, x1: float, x2: float, y: float, color: QColor, *, dashed: bool) -> None:
        d = 1 if x2 > x1 else -1
        pen = QPen(color, 1.3 if dashed else 2.2)
        if dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        p.setPen(pen)
        p.drawLine(QPointF(x1, y), QPointF(x2 - 8 * d, y))
        head = QPolygonF([QPointF(x2, y), QPointF(x2 - 10 * d, y - 5), QPointF(x2 - 10 * d, y + 5)])
        path = QPainterPath()
        path.addPolygon(head)
        p.fillPath(path, QBrush(color))

    # -- interaction -----------------------------------------------------------------------------------

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.selection.setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.row_clicked.emit(row)

    def mousePressEvent(self, event) -> None:
        row = self.diagram().row_at(event.position().y())
        if row is not None:
            self.select_row(row)
        self.setFocus()

    def keyPressEvent(self, event) -> None:
        row, n = self.current_row(), self.model.rowCount()
        key = event.key()
        if key == Qt.Key.Key_Down:
            self.select_row(min(row + 1, n - 1))
        elif key == Qt.Key.Key_Up:
            self.select_row(max(row - 1, 0))
        elif key == Qt.Key.Key_Home:
            self.select_row(0)
        elif key == Qt.Key.Key_End:
            self.select_row(n - 1)
        else:
            super().keyPressEvent(event)

    def event(self, ev) -> bool:
        if ev.type() == QEvent.Type.ToolTip:
            row = self.diagram().row_at(ev.pos().y())
            step = self.model.step(row) if row is not None else None
            if step is not None:
                tip = f"{step.index}. {step.method} {step.url}\n{step.explanation or step.reason}".strip()
                QToolTip.showText(ev.globalPos(), plain_tip(tip), self)
            else:
                QToolTip.hideText()
            return True
        return super().event(ev)

    # -- export ------------------------------------------------------------------------------------------

    def export_png(self, path: str, width: int | None = None, scale: float = 2.0) -> bool:
        w = width or max(self.width(), 760)
        h = int(self.diagram(w, header=True).height) + 8
        img = QImage(int(w * scale), int(h * scale), QImage.Format.Format_ARGB32)
        img.fill(QColor("white"))
        p = QPainter(img)
        p.scale(scale, scale)
        try:
            self.paint(p, w)
        finally:
            p.end()
        return img.save(path)

    def export_svg(self, path: str, width: int | None = None) -> bool:
        w = width or max(self.width(), 760)
        h = int(self.diagram(w, header=True).height) + 8
        gen = QSvgGenerator()
        gen.setFileName(path)
        gen.setSize(QSize(w, h))
        gen.setViewBox(QRectF(0, 0, w, h))
        gen.setTitle("SAML flow")
        gen.setDescription("Sequence diagram exported by saml-harness")
        p = QPainter()
        if not p.begin(gen):
            return False
        try:
            self.paint(p, w)
        finally:
            p.end()
        return True


class LaneHeader(QWidget):
    """The lane titles above the scrolling diagram, kept in place while the arrows scroll."""

    def __init__(self, diagram: SequenceDiagram, parent: QWidget | None = None):
        super().__init__(parent)
        self.diagram = diagram
        self.setFixedHeight(HEADER_HEIGHT)
        diagram.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.diagram and event.type() in (QEvent.Type.Resize, QEvent.Type.UpdateRequest):
            self.update()
        return False

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.fillRect(self.rect(), QColor("white"))
            lay = self.diagram.diagram(self.diagram.width(), header=True)
            for lane in lay.lanes:
                p.setPen(QPen(LIFELINE, 1, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(lane.x, 42), QPointF(lane.x, self.height()))
            self.diagram.paint_header(p, lay)
        finally:
            p.end()
