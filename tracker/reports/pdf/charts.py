"""Charts drawn with reportlab.graphics in the document's serif font (the default Helvetica would
print Vietnamese letters as boxes)."""

from datetime import date

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from tracker.reports.pdf.fonts import SERIF

BLUE = colors.HexColor("#0b4f8a")
AMBER = colors.HexColor("#8a5a00")
GRID = colors.HexColor("#d9dee4")


def completion_by_area(labels: list[str], values: list[int], width: float) -> Drawing:
    """Horizontal bars: percent complete of each area (0–100)."""
    bar_height = 16
    height = max(60, len(labels) * (bar_height + 8) + 40)
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 150, 25
    chart.width, chart.height = width - 175, height - 40
    chart.data = [values or [0]]
    chart.bars[0].fillColor = BLUE
    chart.bars[0].strokeColor = None
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = SERIF, 9
    chart.valueAxis.labelTextFormat = "%d%%"
    chart.valueAxis.visibleGrid, chart.valueAxis.gridStrokeColor = 1, GRID
    chart.categoryAxis.categoryNames = labels or [""]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = SERIF, 9
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.reverseDirection = 1
    chart.barLabelFormat = "%d%%"
    chart.barLabels.fontName, chart.barLabels.fontSize = SERIF, 8
    chart.barLabels.boxAnchor, chart.barLabels.dx = "w", 3
    drawing.add(chart)
    return drawing


def indicator_over_time(
    title: str,
    points: list[tuple[date, float]],
    baseline: float,
    target: float,
    start: date,
    end: date,
    width: float,
) -> Drawing:
    """Verified values over time (solid) against the path from baseline to target (dashed)."""
    height = 150
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y, plot.width, plot.height = 45, 30, width - 60, height - 55
    target_line = [(start.toordinal(), float(baseline)), (end.toordinal(), float(target))]
    actual = [(d.toordinal(), float(v)) for d, v in points] or [
        (start.toordinal(), float(baseline))
    ]
    plot.data = [target_line, actual]
    plot.lines[0].strokeColor, plot.lines[0].strokeDashArray, plot.lines[0].strokeWidth = (
        AMBER,
        (4, 3),
        1.2,
    )
    plot.lines[1].strokeColor, plot.lines[1].strokeWidth = BLUE, 1.8
    plot.lines[1].symbol = makeMarker("FilledCircle", size=3.5, fillColor=BLUE, strokeColor=BLUE)
    low = min([0.0, float(baseline), float(target)] + [v for _, v in actual])
    high = max([float(baseline), float(target)] + [v for _, v in actual]) or 1.0
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = low, high * 1.05 if high > 0 else 1
    plot.yValueAxis.labels.fontName, plot.yValueAxis.labels.fontSize = SERIF, 8
    plot.yValueAxis.visibleGrid, plot.yValueAxis.gridStrokeColor = 1, GRID
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = (
        start.toordinal(),
        max(end.toordinal(), start.toordinal() + 1),
    )
    plot.xValueAxis.labels.fontName, plot.xValueAxis.labels.fontSize = SERIF, 8
    plot.xValueAxis.labelTextFormat = lambda v: date.fromordinal(int(v)).strftime("%m/%Y")
    plot.xValueAxis.valueSteps = _year_steps(start, end)
    drawing.add(plot)
    drawing.add(String(45, height - 12, shorten(title, 110), fontName=SERIF, fontSize=9.5))
    return drawing


def shorten(value: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut with an ellipsis."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-–")
    return cut + "…"


def _year_steps(start: date, end: date) -> list[int]:
    steps = [start.toordinal()]
    for year in range(start.year + 1, end.year + 1):
        if date(year, 1, 1).toordinal() - start.toordinal() > 120:  # labels would overlap
            steps.append(date(year, 1, 1).toordinal())
    if end.toordinal() - steps[-1] > 120:
        steps.append(end.toordinal())
    return steps
