"""Geometry of the SVG charts of rates (the dashboard's, the agency page's and the board report's
trends), computed here so the templates only draw (training/includes/bar_chart.svg). Plain SVG
attributes (no inline styles), so the charts print, need no JavaScript and pass a strict CSP;
a viewBox and width 100% let them shrink to a phone's width."""

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 40  # room for the axis labels
# The pages' trend is drawn narrower than the report's, so that on a phone (a column of about
# 350 px) its labels stay readable rather than shrinking to half their size.
PAGE_WIDTH = 360


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    percent: int | None
    label_x: float
    name: str = ""  # the bar in words, for its tooltip: "March 2026: 84%"
    sublabel: str = ""  # a second line under the label: the year


@dataclass(frozen=True)
class BarChart:
    bars: list[Bar]
    target: int
    target_y: float
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_bottom: float = HEIGHT - BOTTOM
    plot_right: float = WIDTH - RIGHT
    gridlines: tuple = ()

    @property
    def with_figures(self) -> list[Bar]:
        return [bar for bar in self.bars if bar.percent is not None]


def _y(percent: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - percent / 100)


def bar_chart(points, *, target: int, width: int = WIDTH) -> BarChart:
    """One bar per (label, percent[, name[, sublabel]]) point, 0 to 100%, with a line at the
    target. A point without a percent has its label and a dash, no bar."""
    points = [tuple(point) + ("",) * (4 - len(point)) for point in points]
    slot = (width - LEFT - RIGHT) / max(len(points), 1)
    bars = []
    for index, (label, percent, name, sublabel) in enumerate(points):
        x = LEFT + index * slot + slot * 0.15
        top = _y(percent or 0)
        bars.append(
            Bar(
                x=round(x, 1),
                y=round(top, 1),
                width=round(slot * 0.7, 1),
                height=round(HEIGHT - BOTTOM - top, 1),
                label=label,
                percent=percent,
                label_x=round(x + slot * 0.35, 1),
                name=name,
                sublabel=sublabel,
            )
        )
    gridlines = tuple((value, round(_y(value), 1)) for value in (0, 25, 50, 75, 100))
    return BarChart(
        bars=bars,
        target=target,
        target_y=round(_y(target), 1),
        width=width,
        plot_right=width - RIGHT,
        gridlines=gridlines,
    )


@dataclass(frozen=True)
class Trend:
    """One scope's 12-month trend as a page shows it: the chart and, beside it, the same points
    as a table. `key` makes the page's ids unique ("partnership", "tier-2")."""

    key: str
    title: str  # its heading: "The whole partnership", "Tier 2 Practitioner"
    subject: str  # in a sentence: "the whole partnership", "Agency B", "tier 2 Practitioner"
    target: int
    points: list  # training.snapshots.TrendPoint, oldest first
    chart: BarChart

    @property
    def has_figures(self) -> bool:
        return bool(self.chart.with_figures)


def trend(*, key: str, subject: str, points, target: int, title: str = "") -> Trend:
    """The trend of `points` (training.snapshots.compliance_trend) against `target`."""
    chart_points = []
    for index, point in enumerate(points):
        percent = point.cell.percent if point.cell is not None else None
        name = f"{point.month:%B %Y}: " + ("no figure" if percent is None else f"{percent}%")
        # The year under the first month and under January only, so twelve labels fit a phone.
        year = f"{point.month:%Y}" if index == 0 or point.month.month == 1 else ""
        chart_points.append((f"{point.month:%b}", percent, name, year))
    chart = bar_chart(chart_points, target=target, width=PAGE_WIDTH)
    return Trend(key, title or subject[:1].upper() + subject[1:], subject, target, list(points), chart)
