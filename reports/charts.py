"""Geometry of the report's SVG charts, computed here so the templates only draw. Plain SVG
attributes (no inline styles), so the charts print, need no JavaScript and pass a strict CSP."""

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 10, 40  # room for the axis labels


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    percent: int | None
    label_x: float


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


def _y(percent: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - percent / 100)


def bar_chart(points, *, target: int) -> BarChart:
    """One bar per (label, percent) point, 0 to 100%, with a line at the target."""
    points = list(points)
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    bars = []
    for index, (label, percent) in enumerate(points):
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
            )
        )
    gridlines = tuple((value, round(_y(value), 1)) for value in (0, 25, 50, 75, 100))
    return BarChart(bars=bars, target=target, target_y=round(_y(target), 1), gridlines=gridlines)
