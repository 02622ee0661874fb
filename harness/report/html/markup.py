"""Escaping and the page shell shared by the report and compare pages.

Every string that came from a run (ids, reasons, transcripts, banners, paths)
passes through ``text`` or ``attr`` before it reaches the page: a server can
answer anything, and its bytes must never become markup or script.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from harness import __version__
from harness.report.html.assets import SCRIPT, STYLE
from harness.report.model import Verdict
from harness.report.text import visible

# Worst first: the order in which cases are listed and cells take their colour.
SEVERITY = (Verdict.FAILED, Verdict.ERROR, Verdict.SKIPPED, Verdict.PASSED)


def text(value: object) -> str:
    """``value`` as element content: escaped, control characters made visible."""
    return escape(visible(str(value)), quote=False)


def attr(value: object) -> str:
    """``value`` inside a double-quoted attribute."""
    return escape(visible(str(value)), quote=True)


def href(path: str, base: str = "") -> str:
    """A relative link to ``path`` (relative to the report's folder), joined to ``base``.

    Percent-encoding every character but ``/`` also turns a ``scheme:``
    prefix into a plain relative path, so a report cannot smuggle a
    ``javascript:`` link onto the page.
    """
    if base and not path.startswith("/"):
        path = f"{base.rstrip('/')}/{path}"
    return attr(quote(path, safe="/"))


def worst(verdicts: dict[str, int]) -> Verdict | None:
    """The most severe verdict with a non-zero count."""
    return next((v for v in SEVERITY if verdicts.get(v.value, 0)), None)


def badge(verdict: Verdict | None) -> str:
    name = verdict.value if verdict else "absent"
    return f'<span class="badge v-{name}">{name}</span>'


def duration(ms: float) -> str:
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


def facts(rows: list[tuple[str, str]]) -> str:
    """A definition list; values are markup already (callers escape)."""
    items = "".join(f"<dt>{text(name)}</dt><dd>{value}</dd>" for name, value in rows)
    return f'<dl class="facts">{items}</dl>'


def table(headers: list[str], rows: list[list[str]], *, css_class: str = "") -> str:
    """A table; header names are escaped here, cells are markup already."""
    head = "".join(f'<th scope="col">{text(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    class_attr = f' class="{css_class}"' if css_class else ""
    return f"<table{class_attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def page(title: str, header: str, body: str, *, outcome: str | None = None) -> str:
    """A complete document: inline style, header band, body, footer, inline script."""
    band = f' class="top outcome-{outcome}"' if outcome else ' class="top"'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="mailharness {attr(__version__)}">'
        f"<title>{text(title)}</title><style>{STYLE}</style></head>\n"
        f'<body><header{band}><div class="inner">{header}</div></header>\n'
        f"<main>{body}\n"
        f"<footer>Written by mailharness {text(__version__)}. "
        "This page is self-contained: it fetches nothing.</footer></main>\n"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
