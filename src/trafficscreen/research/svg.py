"""ROC curves over the level scale as a self-contained SVG file (no plotting library needed)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_COLOURS = ("#1b6ca8", "#c0392b", "#2e8b57", "#8e44ad", "#d35400")


def roc_svg(
    curves: Sequence[tuple[str, Sequence[tuple[str, float, float]], float | None]],
    *,
    title: str = "ROC over the level scale",
    synthetic: bool = False,
) -> str:
    """An SVG of one or more ROC curves, each ``(name, [(point, FPR, TPR), ...], AUC)``."""
    size, left, top, plot = 520, 70, 50, 380
    bottom = top + plot

    def x(v: float) -> float:
        return left + v * plot

    def y(v: float) -> float:
        return bottom - v * plot

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}" '
        'font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{size}" height="{size}" fill="white"/>',
        f'<text x="{size / 2}" y="24" text-anchor="middle" font-size="15">{escape(title)}</text>',
        f'<rect x="{left}" y="{top}" width="{plot}" height="{plot}" fill="none" stroke="#333"/>',
    ]
    for i in range(11):
        v = i / 10
        out.append(f'<line x1="{x(v):.1f}" y1="{bottom}" x2="{x(v):.1f}" y2="{bottom + 5}" stroke="#333"/>')
        out.append(f'<line x1="{left - 5}" y1="{y(v):.1f}" x2="{left}" y2="{y(v):.1f}" stroke="#333"/>')
        if i % 2 == 0:
            out.append(f'<text x="{x(v):.1f}" y="{bottom + 18}" text-anchor="middle">{v:.1f}</text>')
            out.append(f'<text x="{left - 8}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>')
    out.append(f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#999" stroke-dasharray="4 4"/>')
    out.append(
        f'<text x="{left + plot / 2}" y="{bottom + 38}" text-anchor="middle">'
        "1 − specificity (false-positive rate)</text>"
    )
    out.append(
        f'<text x="20" y="{top + plot / 2}" text-anchor="middle" '
        f'transform="rotate(-90 20 {top + plot / 2})">sensitivity (true-positive rate)</text>'
    )
    for k, (name, points, auc) in enumerate(curves):
        colour = _COLOURS[k % len(_COLOURS)]
        path = " ".join(f"{x(fx):.1f},{y(ty):.1f}" for _, fx, ty in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for label, fx, ty in points[1:-1]:
            out.append(
                f'<circle cx="{x(fx):.1f}" cy="{y(ty):.1f}" r="4" fill="{colour}">'
                f"<title>{escape(label)}: FPR {fx:.3f}, TPR {ty:.3f}</title></circle>"
            )
            out.append(f'<text x="{x(fx) + 7:.1f}" y="{y(ty) + 14:.1f}" fill="{colour}">{escape(label)}</text>')
        legend = f"{name} (AUC {auc:.3f})" if auc is not None else name
        out.append(
            f'<text x="{left + plot - 8}" y="{bottom - 12 - 16 * (len(curves) - 1 - k)}" text-anchor="end" '
            f'fill="{colour}">{escape(legend)}</text>'
        )
    if synthetic:
        out.append(
            f'<text x="{left + plot / 2}" y="{top + plot / 2}" text-anchor="middle" font-size="34" '
            f'fill="#c0392b" fill-opacity="0.25" transform="rotate(-30 {left + plot / 2} {top + plot / 2})">'
            "SYNTHETIC DATA</text>"
        )
        out.append(
            f'<text x="{size / 2}" y="{size - 8}" text-anchor="middle" fill="#c0392b">'
            "Synthetic cohort: tests the pipeline, says nothing about accuracy.</text>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
