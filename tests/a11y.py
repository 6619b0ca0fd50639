"""axe-core in Chromium (the copy bundled by ``axe-playwright-python``): accessibility checks shared
by test_site.py and test_accessibility.py.

We test against WCAG 2.1 level A and AA (the level the US ADA Title II rule and the EU's EN 301 549
ask of course web content) and fail on every *serious* or *critical* violation, except those listed
in an ``allowed`` table with the reason: third-party markup the course cannot change.
"""

from __future__ import annotations

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}


def axe_violations(page, *, context=None, rules: list[str] | None = None) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now (in ``context``, a selector
    or ``{"include": ..., "exclude": ...}``; only ``rules`` when given)."""
    from axe_playwright_python.sync_playwright import Axe

    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": WCAG_21_AA}
    options = {"resultTypes": ["violations"], "runOnly": only}
    return Axe().run(page, context=context, options=options).response["violations"]


def blocking(violations: list[dict], *, allowed: dict[str, tuple[str, str]] | None = None) -> list[str]:
    """Serious or critical violations, as readable lines, less the ``allowed`` ones.

    ``allowed`` maps an axe rule id to ``(html_fragment, reason)``: a node of that rule is allowed
    when its HTML (the element's opening tag, as axe reports it) contains ``html_fragment`` (a
    mark of the third-party element it is about).
    """
    allowed = allowed or {}
    lines = []
    for violation in violations:
        if violation["impact"] not in BLOCKING:
            continue
        fragment = allowed.get(violation["id"], (None, ""))[0]
        for node in violation["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            if fragment is not None and fragment in node.get("html", ""):
                continue
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at "
                         f"{target}: {node.get('failureSummary', '').splitlines()[-1:]}")
    return lines
