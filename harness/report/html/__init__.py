"""HTML pages: a run's ``index.html`` and the page of a comparison.

``report_page``   render_html / write_html: summary, protocol x area x level
                  matrix, plots, every case with its evidence (failures first).
``compare_page``  render_compare_html: flips, added and removed cases,
                  capability and duration changes, the side-by-side matrix.
``cases``, ``markup``, ``assets``: the pieces both pages share.

Each page is one self-contained file (inline CSS, JS and SVG) that works offline.
"""

from harness.report.html.report_page import render_html, write_html

__all__ = ["render_html", "write_html"]
