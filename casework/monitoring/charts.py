"""Charts drawn on the server as SVG (no script, no CDN): a bar chart and the overdue heat map."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

BAR_HEIGHT, GAP, LABEL_WIDTH, WIDTH = 20, 6, 240, 640


def bar_chart(items: list[tuple[str, int]], labels: dict[str, str] | None = None) -> Markup:
    """Horizontal bars, one per (label, value), scaled to the largest value. Drawn at its natural size
    (shrinking on narrow screens): stretched to a wide page, its text grew to twice the page's."""
    labels = labels or {}
    top = max((v for _, v in items), default=0) or 1
    height = len(items) * (BAR_HEIGHT + GAP) + GAP
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
             f'xmlns="http://www.w3.org/2000/svg">']
    for i, (key, value) in enumerate(items):
        y = GAP + i * (BAR_HEIGHT + GAP)
        length = (WIDTH - LABEL_WIDTH - 60) * value / top
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 16}" text-anchor="end" font-size="12">'
                     f'{escape(labels.get(key, key))}</text>'
                     f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="#b3261e">'
                     f'<title>{escape(labels.get(key, key))}: {value}</title></rect>'
                     f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + 16}" font-size="12">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def heat_map(heat: dict[str, Any], cell: int = 34, labels: dict[str, str] | None = None) -> Markup:
    """Overdue tasks: a row per unit, a column per step, darker where more work is overdue. Drawn at its
    natural size (shrinking on narrow screens), so a few columns do not blow up to the page width."""
    labels = labels or {}
    states, units, cells = heat["states"], heat["units"], heat["cells"]
    if not states:
        return Markup("")
    top = max(cells.values())
    left, head = 190, 110
    # Room on the right for the last column's slanted name, which runs past its column.
    width, height = left + cell * len(states) + head, head + cell * len(units) + 10
    parts = [f'<svg class="heatmap" role="img" viewBox="0 0 {width} {height}" width="{width}" '
             f'xmlns="http://www.w3.org/2000/svg">']
    for j, state in enumerate(states):
        x = left + j * cell + cell / 2
        parts.append(f'<text transform="translate({x:.0f},{head - 6}) rotate(-50)" font-size="11">'
                     f'{escape(labels.get(state, state))}</text>')
    for i, unit in enumerate(units):
        y = head + i * cell
        parts.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4:.0f}" text-anchor="end" font-size="11">'
                     f'{escape(heat["unit_names"].get(unit, unit))}</text>')
        for j, state in enumerate(states):
            n = cells.get((state, unit), 0)
            shade = 0.08 + 0.92 * n / top if n else 0
            parts.append(f'<rect x="{left + j * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" '
                         f'fill="#b3261e" fill-opacity="{shade:.2f}" stroke="#ddd"><title>'
                         f'{escape(heat["unit_names"].get(unit, unit))} · {escape(labels.get(state, state))}: {n}'
                         '</title></rect>')
            if n:
                parts.append(f'<text x="{left + j * cell + cell / 2 - 1:.0f}" y="{y + cell / 2 + 4:.0f}" '
                             f'text-anchor="middle" font-size="11">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
