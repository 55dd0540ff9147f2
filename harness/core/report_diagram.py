"""The sequence diagram's geometry (lanes and arrows), and the same diagram as inline SVG.

The desktop app paints this geometry with QPainter; the HTML reports embed the SVG.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.core.report import ACTORS, LANES, answer_text, request_text, step_color
from harness.core.terminal import html_text, visible
from harness.core.trace import Step


@dataclass
class Lane:
    actor: str
    title: str
    x: float


@dataclass
class Arrow:
    row: int  # position in the list of steps drawn
    index: int  # the step's number
    src: str
    dst: str
    x1: float
    x2: float
    y: float  # the request arrow
    return_y: float  # the dashed answer arrow
    top: float  # the row's band
    bottom: float
    color: str
    verdict: str
    label: str
    answer: str


@dataclass
class Layout:
    width: float
    height: float
    header: float
    lanes: list[Lane] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)

    def lane_x(self, actor: str) -> float:
        for lane in self.lanes:
            if lane.actor == actor:
                return lane.x
        return self.lanes[0].x

    def row_at(self, y: float) -> int | None:
        for a in self.arrows:
            if a.top <= y < a.bottom:
                return a.row
        return None


HEADER = 52.0
ROW = 44.0
MARGIN_LEFT = 44.0
MARGIN_RIGHT = 24.0


def diagram_layout(
    steps: list[Step], width: float, lane_titles: dict[str, str] | None = None, header: float = HEADER
) -> Layout:
    """Where each lane and each arrow goes, for a drawing `width` wide (`header`: room for the lane titles)."""
    titles = {**ACTORS, **(lane_titles or {})}
    width = max(width, 360.0)
    left, right = MARGIN_LEFT + 50, width - MARGIN_RIGHT - 50
    xs = {"browser": left, "sp": left + (right - left) * 0.5, "idp": right}
    lay = Layout(width=width, height=header + ROW * len(steps) + 8, header=header)
    lay.lanes = [Lane(a, titles.get(a, a), xs[a]) for a in LANES]
    for row, step in enumerate(steps):
        top = header + ROW * row
        src, dst = xs.get(step.src, left), xs.get(step.dst, xs["sp"])
        lay.arrows.append(
            Arrow(
                row=row,
                index=step.index,
                src=step.src,
                dst=step.dst,
                x1=src,
                x2=dst,
                y=top + 18,
                return_y=top + 37,
                top=top,
                bottom=top + ROW,
                color=step_color(step),
                verdict=step.verdict,
                label=visible(f"{step.index}  {request_text(step)}"),  # painted as text: nothing may reorder it
                answer=visible(answer_text(step)),
            )
        )
    return lay


def _elide(text: str, px: float, char_px: float = 6.6) -> str:
    n = max(4, int(px / char_px))
    return text if len(text) <= n else text[: n - 1] + "…"


def diagram_svg(steps: list[Step], width: float = 900, lane_titles: dict[str, str] | None = None) -> str:
    """The sequence diagram as standalone SVG text (for the HTML report and the CLI)."""
    lay = diagram_layout(steps, width, lane_titles)
    e = html_text
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lay.width:.0f}" height="{lay.height:.0f}" '
        f'viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" font-family="DejaVu Sans, Arial, sans-serif" '
        'font-size="12">',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
    ]
    for lane in lay.lanes:
        out.append(
            f'<line x1="{lane.x:.1f}" y1="{HEADER - 8:.1f}" x2="{lane.x:.1f}" y2="{lay.height - 8:.1f}" '
            'stroke="#b0bec5" stroke-dasharray="4 4"/>'
        )
        out.append(
            f'<rect x="{lane.x - 70:.1f}" y="8" width="140" height="30" rx="6" fill="#eceff1" stroke="#90a4ae"/>'
            f'<text x="{lane.x:.1f}" y="28" text-anchor="middle" font-weight="bold">{e(lane.title)}</text>'
        )
    for a in lay.arrows:
        span = abs(a.x2 - a.x1)
        out.append(
            f'<circle cx="{MARGIN_LEFT - 18:.1f}" cy="{a.y:.1f}" r="11" fill="{a.color}"/>'
            f'<text x="{MARGIN_LEFT - 18:.1f}" y="{a.y + 4:.1f}" text-anchor="middle" fill="#fff" '
            f'font-size="11" font-weight="bold">{e(str(a.index))}</text>'
        )
        out.append(_svg_arrow(a.x1, a.x2, a.y, a.color, dashed=False))
        out.append(_svg_arrow(a.x2, a.x1, a.return_y, a.color, dashed=True))
        lx = min(a.x1, a.x2) + 8
        label = a.label.split("  ", 1)[-1]
        out.append(f'<text x="{lx:.1f}" y="{a.y - 5:.1f}" fill="{a.color}">{e(_elide(label, span - 12))}</text>')
        out.append(
            f'<text x="{lx:.1f}" y="{a.return_y - 5:.1f}" fill="{a.color}" font-size="11">'
            f"{e(_elide(a.answer, span - 12, 6.0))}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _svg_arrow(x1: float, x2: float, y: float, color: str, *, dashed: bool) -> str:
    d = 1 if x2 > x1 else -1
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    head = f"{x2:.1f},{y:.1f} {x2 - 9 * d:.1f},{y - 4.5:.1f} {x2 - 9 * d:.1f},{y + 4.5:.1f}"
    return (
        f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{x2 - 8 * d:.1f}" y2="{y:.1f}" stroke="{color}" '
        f'stroke-width="{1.2 if dashed else 2}"{dash}/>'
        f'<polygon points="{head}" fill="{color}"/>'
    )


# -- the HTML report ------------------------------------------------------------------------------

# Reports show hostile text: even if something slipped past escaping, the page may run no script,
# load nothing from anywhere, and submit nowhere. Styles are inline; the diagram is inline SVG.
