"""Run the 1EdTech Open Badges 2.0 validator (openbadges 1.1.2) offline.

Runs INSIDE the separate venv made by devtools/setup-ob-validator.sh (its pinned
dependencies conflict with ours):

    .venv-ob/bin/python devtools/obvalidate.py URL_OR_FILE [--recipient-url U] [--full]

Prints one JSON object: valid, errorCount, warningCount, messages, revoked (and the whole
report with --full). Exit status: 0 valid and not revoked, 1 invalid or revoked, 2 usage.

Why the mocking: the validator always fetches the JSON-LD context from
https://w3id.org/openbadges/v2, which is not reachable here. The openbadges package ships
that context as a Python dict (openbadges/verifier/openbadges_context.py); we serve it with
the `responses` library and let http://127.0.0.1 and http://localhost pass through to the
test server. Any other URL fails instead of reaching the network.

openbadges-bakery 1.2.4 returns an SVG's ``verify`` attribute as *bytes* on Python 3, which
the verifier then cannot classify ("only URL, JSON, or JWS input implemented"); `_patch_svg_unbake`
decodes it, so baked SVGs go through the reference unbaker unchanged otherwise.

The validator has no notion of a revoked *hosted* assertion (only signed ones, via
revocation lists), so `revoked` is decided here, as OB 2.0 defines it: the hosted document
answers HTTP 410, or says "revoked": true.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Any

LOCAL_PREFIXES = ("http://127.0.0.1", "http://localhost", "http://[::1]")


def _context_documents() -> dict[str, Any]:
    """The v2 context from inside the installed package, under the URLs the validator asks."""
    from openbadges.verifier import openbadges_context as ctx

    v2 = ctx.OPENBADGES_CONTEXT_V2_DICT
    return {
        ctx.OPENBADGES_CONTEXT_V2_URI: v2,
        ctx.OPENBADGES_CONTEXT_V2_URI.replace("https://", "http://"): v2,
        "https://openbadgespec.org/v2/context.json": v2,
    }


def _patch_svg_unbake() -> None:
    """Python 3 fix for openbadges-bakery: return the SVG verify URL as str, not bytes."""
    svg_bakery: Any = importlib.import_module("openbadges_bakery.svg_bakery")
    original = svg_bakery.unbake
    if getattr(original, "_skillmatch_patched", False):
        return

    def unbake(image_file: Any) -> Any:
        value = original(image_file)
        return value.decode("utf-8") if isinstance(value, bytes) else value

    setattr(unbake, "_skillmatch_patched", True)  # noqa: B010
    svg_bakery.unbake = unbake


def _hosted_revoked(url: str, session: Any) -> bool:
    """OB 2.0 hosted revocation: HTTP 410, or a document with "revoked": true."""
    resp = session.get(url, headers={"Accept": "application/ld+json, application/json"})
    if resp.status_code == 410:
        return True
    try:
        doc = resp.json()
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("revoked") is True


def _revoked_in_report(result: dict[str, Any]) -> tuple[bool, list[str]]:
    """Find assertion documents the validator fetched that declare themselves revoked."""
    ids: list[str] = []
    for url, text in (result.get("input", {}).get("original_json") or {}).items():
        if not isinstance(text, (str, bytes)):
            continue
        try:
            doc = json.loads(text)
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("revoked") is True:
            ids.append(str(doc.get("id") or url))
    for m in result.get("report", {}).get("messages", []):
        if "has been revoked" in str(m.get("result", "")):
            ids.append(str(m.get("node_id") or ""))
    return bool(ids), ids


def validate(target: str, recipient_url: str | None = None) -> dict[str, Any]:
    """Verify `target` (a URL, or a path to a baked PNG/SVG) and return the full result."""
    import requests
    from openbadges import verify

    responses: Any = importlib.import_module("responses")  # only in .venv-ob: keep mypy env-neutral

    _patch_svg_unbake()
    recipient = {"url": recipient_url} if recipient_url else None
    with responses.RequestsMock(
        assert_all_requests_are_fired=False, passthru_prefixes=LOCAL_PREFIXES
    ) as mock:
        for url, body in _context_documents().items():
            mock.add(
                responses.GET,
                url,
                json=body,
                content_type="application/ld+json",
            )
        if os.path.isfile(target):
            with open(target, "rb") as fh:
                result: dict[str, Any] = verify(
                    fh, recipient_profile=recipient, include_original_json=True, use_cache=False
                )
        else:
            result = verify(
                target, recipient_profile=recipient, include_original_json=True, use_cache=False
            )
        revoked, revoked_ids = _revoked_in_report(result)
        subject = result.get("report", {}).get("validationSubject")
        if not revoked and isinstance(subject, str) and subject.startswith(LOCAL_PREFIXES):
            revoked = _hosted_revoked(subject, requests.Session())
            if revoked:
                revoked_ids.append(subject)
    result["revoked"] = revoked
    result["revokedIds"] = revoked_ids
    return result


def summary(result: dict[str, Any]) -> dict[str, Any]:
    report = result.get("report", {})
    return {
        "valid": bool(report.get("valid")),
        "errorCount": report.get("errorCount", 0),
        "warningCount": report.get("warningCount", 0),
        "revoked": bool(result.get("revoked")),
        "revokedIds": result.get("revokedIds", []),
        "validationSubject": report.get("validationSubject"),
        "openBadgesVersion": report.get("openBadgesVersion"),
        "messages": [
            {
                "level": m.get("messageLevel"),
                "name": m.get("name"),
                "node": m.get("node_id"),
                "result": m.get("result"),
            }
            for m in report.get("messages", [])
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="assertion URL, or a baked PNG/SVG file")
    parser.add_argument("--recipient-url", help="check the assertion was awarded to this URL")
    parser.add_argument("--full", action="store_true", help="print the whole validator report")
    args = parser.parse_args(argv)
    try:
        result = validate(args.target, args.recipient_url)
    except ImportError as exc:
        print(
            f"obvalidate: {exc}; run devtools/setup-ob-validator.sh, use .venv-ob/bin/python",
            file=sys.stderr,
        )
        return 2
    out = summary(result)
    if args.full:
        out["full"] = result
    print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    return 0 if out["valid"] and not out["revoked"] else 1


if __name__ == "__main__":
    sys.exit(main())
