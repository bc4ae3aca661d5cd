"""A page listing the night's validations that opens from disk with no network.

GX's data docs index draws its list of validations with scripts and styles fetched from CDNs
(jQuery, Bootstrap, bootstrap-table): opened offline it is blank. Each validation's own page does
show its results without them, so this page, written beside the data docs, links to each: suite,
status and counts, failing controls first. Counts only, never record values (as the data docs).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1f2933; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #d9dee3; }
th { font-weight: 600; background: #f3f5f7; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.fail { color: #b42318; font-weight: 600; } .pass { color: #067647; }
"""


def file_of(url: str) -> Path:
    """The local file a ``file://`` data-docs URL names."""
    return Path(unquote(urlparse(url).path))


def write(context: Any, results: dict[Any, Any], out: Path) -> Path:
    """``out`` (an HTML file beside the data docs) listing the validation ``results`` by key."""
    rows = []
    for key, result in results.items():
        page = file_of(context.get_docs_sites_urls(resource_identifier=key)[0]["site_url"])
        rows.append((bool(result.success), key.expectation_suite_identifier.name, result.statistics, page))
    rows.sort(key=lambda row: (row[0], row[1]))
    body = "\n".join(
        f'<tr><td><a href="{html.escape(page.relative_to(out.parent).as_posix())}">{html.escape(suite)}</a></td>'
        f'<td class="{"pass" if ok else "fail"}">{"passed" if ok else "failed"}</td>'
        f'<td class="num">{stats["evaluated_expectations"]}</td>'
        f'<td class="num">{stats["unsuccessful_expectations"]}</td></tr>'
        for ok, suite, stats, page in rows
    )
    failed = sum(1 for ok, *_ in rows if not ok)
    out.write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Leadflow: tonight's validations</title>
<style>{STYLE}</style></head>
<body>
<h1>Tonight's Great Expectations validations</h1>
<p>{len(rows)} suites validated, {failed} with failing expectations. <code>integrity</code> suites guard
the pipeline (a failure stops publishing); <code>hygiene</code> suites are the RevOps controls (a failure is
published and alerted to the control's owner). Each suite links to its validation page.</p>
<table>
<thead><tr><th>suite</th><th>status</th><th class="num">expectations</th><th class="num">failed</th></tr></thead>
<tbody>
{body}
</tbody>
</table>
</body></html>
""",
        encoding="utf-8",
    )
    return out
