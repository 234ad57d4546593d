"""Small server-side SVG charts (no script, so they pass the strict Content-Security-Policy)."""

from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

from tracker.i18n import fmt_date, fmt_number


def indicator_chart(
    *,
    title: str,
    unit: str,
    baseline: Decimal,
    target: Decimal,
    start: date,
    end: date,
    points: list[tuple[date, Decimal]],
    width: int = 560,
    height: int = 220,
) -> Markup:
    """Verified values over time against the straight line from baseline to target."""
    left, right, top, bottom = 56, 16, 16, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(v) for _, v in points] + [float(baseline), float(target)]
    lo, hi = min(0.0, min(values)), max(values) or 1.0
    if hi == lo:
        hi = lo + 1
    span_days = max((end - start).days, 1)

    def x(d: date) -> float:
        return left + plot_w * min(max((d - start).days / span_days, 0), 1)

    def y(v) -> float:
        return top + plot_h * (1 - (float(v) - lo) / (hi - lo))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="chart" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):  # horizontal grid with labels
        v = lo + (hi - lo) * i / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e3e7ec"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end" font-size="11" fill="#5b6673">'
            f"{escape(fmt_number(round(v, 2)))}</text>"
        )
    parts.append(
        f'<text x="{left}" y="{height - 8}" font-size="11" fill="#5b6673">{escape(fmt_date(start))}</text>'
    )
    parts.append(
        f'<text x="{width - right}" y="{height - 8}" font-size="11" fill="#5b6673" text-anchor="end">'
        f"{escape(fmt_date(end))}</text>"
    )
    parts.append(
        f'<line x1="{x(start):.1f}" y1="{y(baseline):.1f}" x2="{x(end):.1f}" y2="{y(target):.1f}" '
        'stroke="#8a5a00" stroke-width="2" stroke-dasharray="6 4"/>'
    )
    if points:
        path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#0b4f8a" stroke-width="2.5"/>')
        for d, v in points:
            parts.append(
                f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5" fill="#0b4f8a">'
                f"<title>{escape(fmt_date(d))}: {escape(fmt_number(v))} {escape(unit)}</title></circle>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every interpolated value above is escaped)
