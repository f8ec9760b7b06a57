"""Open Badges 2.0 documents for SkillMatch awards (hosted verification).

Pure builders: they take a base URL (the web tool's public root, e.g.
``https://skillmatch.toolforge.org``) and return JSON-LD dicts whose ids are the stable contract
routes, so the web tool can serve exactly what the bot publishes:

    /badges/issuer                         issuer_profile()
    /badges/classes/<class id>             badge_class()      (class id: kind or kind-skill)
    /badges/classes/<class id>.png|.svg    class_png() / class_svg()   (image of the class)
    /badges/assertions/<award id>          assertion() or revoked_assertion()
    /badges/assertions/<award id>.png|.svg assertion_png() / assertion_svg()  (baked)

The 1EdTech validator (openbadges 1.1.2) requires the issuer's name, url and email, a
BadgeClass image it can fetch (PNG or SVG, served with that Content-Type), the assertion on
the issuer's origin, and an issuedOn that is not in the future.

The PNG path needs no imaging library: `svg_to_png` rasterizes the small SVG subset our badge
images use (circle, ellipse, rect, polygon; fills, circle strokes, opacity) with scanline
coverage anti-aliasing and writes the PNG with zlib.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import secrets
import struct
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from xml.etree import ElementTree as ET  # only our own config SVGs are parsed

from bot import baking
from bot.badge_rules import IMAGE_DIR, Award, BadgeKind, badge_class_id

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
JSONLD_MIME = "application/ld+json"
WIKIDATA_ENTITY = "https://www.wikidata.org/wiki/"
_QID_RE = re.compile(r"^Q[1-9][0-9]*$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

JsonDict = dict[str, Any]


# -- URLs --------------------------------------------------------------------------------------


def _base(base_url: str) -> str:
    b = base_url.strip().rstrip("/")
    if not re.match(r"^https?://[^/]+", b):
        raise ValueError(f"base URL must be http(s)://host[...], got {base_url!r}")
    return b


def _seg(value: str) -> str:
    return quote(value, safe="")


def issuer_url(base_url: str) -> str:
    return f"{_base(base_url)}/badges/issuer"


def class_url(base_url: str, class_id: str) -> str:
    return f"{_base(base_url)}/badges/classes/{_seg(class_id)}"


def class_image_url(base_url: str, class_id: str, ext: str = "png") -> str:
    return f"{class_url(base_url, class_id)}.{ext}"


def assertion_url(base_url: str, award_id: str) -> str:
    return f"{_base(base_url)}/badges/assertions/{_seg(award_id)}"


def assertion_image_url(base_url: str, award_id: str, ext: str = "png") -> str:
    return f"{assertion_url(base_url, award_id)}.{ext}"


def award_page_url(base_url: str, award_id: str) -> str:
    return f"{_base(base_url)}/badges/awards/{_seg(award_id)}"


def user_page_url(article_base: str, username: str, namespace: str = "User") -> str:
    """Canonical user page URL used as the recipient identity, e.g.
    ``user_page_url("https://meta.wikimedia.org/wiki/", "Jane Doe")`` →
    ``https://meta.wikimedia.org/wiki/User:Jane_Doe``. Encoded like MediaWiki's wfUrlencode,
    so it is the same string a person copies from the browser's address bar."""
    title = f"{namespace}:{'_'.join(username.replace('_', ' ').split())}"
    return article_base.rstrip("/") + "/" + quote(title, safe=";@$!*(),/~:")


# -- recipient hashing -------------------------------------------------------------------------


def new_salt() -> str:
    """A fresh random salt (store it with the award)."""
    return secrets.token_hex(16)


def derive_salt(secret: str | bytes, award_id: str) -> str:
    """A salt reproducible from a server secret, for deployments that do not store salts."""
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, award_id.encode(), hashlib.sha256).hexdigest()[:32]


def hash_identity(identity: str, salt: str) -> str:
    """``sha256$`` + hex(SHA-256(identity + salt)), as OB 2.0 and the validator compute it."""
    return "sha256$" + hashlib.sha256((identity + salt).encode("utf-8")).hexdigest()


def identity_matches(identity: str, recipient: Mapping[str, Any]) -> bool:
    """Does `identity` match an assertion's recipient object? (What a verifier checks.)"""
    if not recipient.get("hashed"):
        return bool(recipient.get("identity") == identity)
    expected = str(recipient.get("identity", "")).lower()
    return hmac.compare_digest(hash_identity(identity, str(recipient.get("salt", ""))), expected)


# -- documents ---------------------------------------------------------------------------------


def _iso(when: date | datetime) -> str:
    if isinstance(when, datetime):
        dt = when if when.tzinfo else when.replace(tzinfo=UTC)
    else:
        dt = datetime.combine(when, time(0, 0), tzinfo=UTC)
    return dt.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def issuer_profile(
    base_url: str,
    name: str,
    url: str,
    email: str,
    *,
    description: str | None = None,
    image: str | None = None,
    lang: str = "en",
) -> JsonDict:
    """The issuer Profile served at /badges/issuer (name, url and email are all required)."""
    if not name.strip():
        raise ValueError("issuer name is required")
    if not re.match(r"^https?://", url):
        raise ValueError("issuer url must be an http(s) URL")
    if not _EMAIL_RE.match(email):
        raise ValueError("issuer email must be an email address")
    doc: JsonDict = {
        "@context": OB2_CONTEXT,
        "type": "Issuer",
        "id": issuer_url(base_url),
        "name": name,
        "url": url,
        "email": email,
        "@language": lang,
    }
    if description:
        doc["description"] = description
    if image:
        doc["image"] = image
    return doc


def badge_class(
    base_url: str,
    cls: BadgeKind,
    lang: str = "en",
    skill_label: str | None = None,
    skill_qid: str | None = None,
    *,
    skill: str | None = None,
    image: str | None = None,
) -> JsonDict:
    """A BadgeClass for `cls` (per-skill classes need `skill`, the canonical skill id).

    `alignment` points at the skill's Wikidata item when the taxonomy knows its QID, so
    backpacks and job platforms can relate the badge to a shared skill vocabulary.
    `image` defaults to the class PNG route; a data: URI is also accepted by OB 2.0.
    """
    if cls.per_skill and not skill:
        raise ValueError(f"badge class {cls.id!r} is per skill: pass skill=")
    if not cls.per_skill and skill:
        raise ValueError(f"badge class {cls.id!r} is not per skill")
    lang = lang if lang in cls.text else "en"
    label = skill_label or skill
    text = cls.localized(lang, label)
    cid = badge_class_id(cls.id, skill)
    doc: JsonDict = {
        "@context": OB2_CONTEXT,
        "type": "BadgeClass",
        "id": class_url(base_url, cid),
        "name": text.name,
        "description": text.description,
        "image": image or class_image_url(base_url, cid, "png"),
        "criteria": {"narrative": text.criteria},
        "issuer": issuer_url(base_url),
        "tags": ["skillmatch", "wikimedia", *cls.tags, *([skill] if skill else [])],
        "@language": lang,
    }
    if skill and skill_qid:
        if not _QID_RE.match(skill_qid):
            raise ValueError(f"not a Wikidata item id: {skill_qid!r}")
        doc["alignment"] = [
            {
                "targetName": label,
                "targetUrl": WIKIDATA_ENTITY + skill_qid,
                "targetFramework": "Wikidata",
                "targetCode": skill_qid,
            }
        ]
    return doc


def assertion(
    base_url: str,
    award: Award,
    recipient_identity: str,
    salt: str,
    issued_on: date | datetime | None = None,
    evidence_urls: Sequence[str] = (),
    revoked: bool = False,
    revocation_reason: str | None = None,
    *,
    image: str | None = None,
    narrative: str | None = None,
) -> JsonDict:
    """The hosted Assertion for `award`; with ``revoked=True`` the minimal revoked form.

    The recipient is a hashed ``url`` identity (the user's page), so the document does not
    reveal who holds the badge, yet anyone who knows the user page can verify it.
    """
    if revoked:
        return revoked_assertion(base_url, award.id, revocation_reason)
    if not salt:
        raise ValueError("a salt is required")
    doc: JsonDict = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": assertion_url(base_url, award.id),
        "recipient": {
            "type": "url",
            "hashed": True,
            "salt": salt,
            "identity": hash_identity(recipient_identity, salt),
        },
        "badge": class_url(base_url, award.badge_class_id),
        "verification": {"type": "hosted"},
        "issuedOn": _iso(issued_on if issued_on is not None else award.date),
        "image": image or assertion_image_url(base_url, award.id, "png"),
    }
    if evidence_urls:
        doc["evidence"] = [{"type": "Evidence", "id": u} for u in evidence_urls]
    if narrative:
        doc["narrative"] = narrative
    return doc


def revoked_assertion(base_url: str, award_id: str, reason: str | None = None) -> JsonDict:
    """What /badges/assertions/<id> answers once revoked (serve it with HTTP 410)."""
    doc: JsonDict = {
        "@context": OB2_CONTEXT,
        "type": "Assertion",
        "id": assertion_url(base_url, award_id),
        "revoked": True,
    }
    if reason:
        doc["revocationReason"] = reason
    return doc


def to_json(doc: Mapping[str, Any]) -> str:
    """Serialize for hosting and baking (UTF-8, compact, stable key order as built)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


# -- images ------------------------------------------------------------------------------------


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def class_svg(cls: BadgeKind, lang: str = "en", skill_label: str | None = None) -> str:
    """The class image as SVG, its <title>/<desc> localized (screen readers read these)."""
    svg = _read_svg(cls.image)
    text = cls.localized(lang if lang in cls.text else "en", skill_label)
    for tag, value in (("title", text.name), ("desc", text.description)):
        m = re.search(rf"<{tag}([^>]*)>.*?</{tag}>", svg, flags=re.S)
        if m:
            element = f"<{tag}{m.group(1)}>{_xml_text(value)}</{tag}>"
            svg = svg[: m.start()] + element + svg[m.end() :]
    return svg


def class_png(cls: BadgeKind, size: int = 256) -> bytes:
    """The class image rasterized to a `size`×`size` PNG (cached per process)."""
    return svg_to_png(_read_svg(cls.image), size)


def assertion_png(doc: Mapping[str, Any], cls: BadgeKind, size: int = 256) -> bytes:
    """The baked badge image for a hosted assertion (PNG with an iTXt ``openbadges`` chunk)."""
    return baking.bake_png(class_png(cls, size), to_json(doc))


def assertion_svg(
    doc: Mapping[str, Any], cls: BadgeKind, lang: str = "en", skill_label: str | None = None
) -> str:
    """The baked badge image as SVG (``<openbadges:assertion verify=…>``)."""
    return baking.bake_svg(class_svg(cls, lang, skill_label), to_json(doc), str(doc["id"]))


@lru_cache(maxsize=64)
def _read_svg(name: str) -> str:
    return (IMAGE_DIR / name).read_text(encoding="utf-8")


# -- a minimal PNG writer ----------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_png(width: int, height: int, rgba: bytes) -> bytes:
    """Encode 8-bit RGBA pixels (row-major, no padding) as a PNG."""
    if len(rgba) != width * height * 4:
        raise ValueError("pixel buffer does not match width × height × 4")
    stride = width * 4
    raw = b"".join(b"\x00" + rgba[y * stride : (y + 1) * stride] for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


# -- a tiny SVG-subset rasterizer --------------------------------------------------------------

_STYLE_ATTRS = (
    "fill",
    "stroke",
    "stroke-width",
    "opacity",
    "fill-opacity",
    "stroke-opacity",
    "fill-rule",
)
_NAMED = {"white": (255, 255, 255), "black": (0, 0, 0)}
_SUBROWS = 4  # vertical samples per pixel; horizontal coverage is exact
Span = tuple[float, float]
SpanFn = Callable[[float], list[Span]]


def _color(value: str | None) -> tuple[int, int, int] | None:
    if value is None or value.strip() in ("", "none", "transparent"):
        return None
    v = value.strip().lower()
    if v in _NAMED:
        return _NAMED[v]
    m = re.fullmatch(r"#([0-9a-f]{3}|[0-9a-f]{6})", v)
    if not m:
        raise ValueError(f"unsupported colour {value!r} (use #rgb, #rrggbb, white, black, none)")
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _num(el: ET.Element, name: str, default: float | None = None) -> float:
    v = el.get(name)
    if v is None:
        if default is None:
            raise ValueError(f"<{_local(el.tag)}> needs {name}")
        return default
    return float(v.strip().removesuffix("px"))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Shape:
    """A filled region given by its horizontal spans at any y (in user units)."""

    def __init__(self, bbox: tuple[float, float, float, float], spans: SpanFn) -> None:
        self.bbox = bbox
        self.spans = spans


def _circle_spans(cx: float, cy: float, rx: float, ry: float) -> SpanFn:
    def f(y: float) -> list[Span]:
        d = (y - cy) / ry
        if abs(d) >= 1:
            return []
        h = rx * math.sqrt(1 - d * d)
        return [(cx - h, cx + h)]

    return f


def _ring_spans(cx: float, cy: float, rx: float, ry: float, w: float) -> SpanFn:
    outer = _circle_spans(cx, cy, rx + w / 2, ry + w / 2)
    inner = _circle_spans(cx, cy, max(rx - w / 2, 1e-9), max(ry - w / 2, 1e-9))

    def f(y: float) -> list[Span]:
        o = outer(y)
        if not o:
            return []
        i = inner(y)
        if not i:
            return o
        return [(o[0][0], i[0][0]), (i[0][1], o[0][1])]

    return f


def _polygon_spans(pts: list[tuple[float, float]], evenodd: bool) -> SpanFn:
    edges = [(pts[i], pts[(i + 1) % len(pts)]) for i in range(len(pts))]

    def f(y: float) -> list[Span]:
        xs: list[tuple[float, int]] = []
        for (x0, y0), (x1, y1) in edges:
            if y0 == y1:
                continue
            if (y0 <= y < y1) or (y1 <= y < y0):
                x = x0 + (y - y0) * (x1 - x0) / (y1 - y0)
                xs.append((x, 1 if y1 > y0 else -1))
        xs.sort()
        out: list[Span] = []
        wind = 0
        start = 0.0
        for x, d in xs:
            before = wind
            wind = wind + 1 if evenodd else wind + d
            inside_before = (before % 2 == 1) if evenodd else before != 0
            inside_after = (wind % 2 == 1) if evenodd else wind != 0
            if not inside_before and inside_after:
                start = x
            elif inside_before and not inside_after:
                out.append((start, x))
        return out

    return f


Paint = tuple[_Shape, tuple[int, int, int], float]


def _shapes(el: ET.Element, inherited: Mapping[str, str]) -> Iterable[Paint]:
    """Yield (shape, colour, alpha) in paint order for the supported subset."""
    tag = _local(el.tag)
    if el.get("transform"):
        raise ValueError(f"<{tag}>: transform is not supported by the badge rasterizer")
    style = dict(inherited)
    for attr in _STYLE_ATTRS:
        if el.get(attr) is not None:
            style[attr] = str(el.get(attr))
    if el.get("style"):
        raise ValueError(f"<{tag}>: use presentation attributes instead of style=")
    if tag in ("svg", "g"):
        for child in el:
            yield from _shapes(child, style)
        return
    if tag in ("title", "desc", "metadata"):
        return
    opacity = float(style.get("opacity", "1"))
    fill = _color(style.get("fill", "#000"))
    stroke = _color(style.get("stroke"))
    fa = opacity * float(style.get("fill-opacity", "1"))
    sa = opacity * float(style.get("stroke-opacity", "1"))
    sw = float(style.get("stroke-width", "1"))
    if tag in ("circle", "ellipse"):
        cx, cy = _num(el, "cx", 0), _num(el, "cy", 0)
        if tag == "circle":
            rx = ry = _num(el, "r")
        else:
            rx, ry = _num(el, "rx"), _num(el, "ry")
        if fill:
            yield (
                _Shape((cx - rx, cy - ry, cx + rx, cy + ry), _circle_spans(cx, cy, rx, ry)),
                fill,
                fa,
            )
        if stroke and sw > 0:
            e = sw / 2
            bbox = (cx - rx - e, cy - ry - e, cx + rx + e, cy + ry + e)
            yield _Shape(bbox, _ring_spans(cx, cy, rx, ry, sw)), stroke, sa
        return
    if stroke:
        raise ValueError(f"<{tag}>: stroke is only supported on circle and ellipse")
    if tag == "rect":
        if el.get("rx") or el.get("ry"):
            raise ValueError("<rect>: rounded corners are not supported")
        x, y, w, h = _num(el, "x", 0), _num(el, "y", 0), _num(el, "width"), _num(el, "height")

        def rect_spans(
            yy: float, x: float = x, y: float = y, w: float = w, h: float = h
        ) -> list[Span]:
            return [(x, x + w)] if y <= yy < y + h else []

        if fill:
            yield _Shape((x, y, x + w, y + h), rect_spans), fill, fa
        return
    if tag == "polygon":
        nums = [float(n) for n in re.split(r"[\s,]+", (el.get("points") or "").strip()) if n]
        if len(nums) < 6 or len(nums) % 2:
            raise ValueError("<polygon>: points must hold at least three x,y pairs")
        pts = list(zip(nums[0::2], nums[1::2], strict=True))
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        if fill:
            evenodd = style.get("fill-rule") == "evenodd"
            yield (
                _Shape((min(xs), min(ys), max(xs), max(ys)), _polygon_spans(pts, evenodd)),
                fill,
                fa,
            )
        return
    raise ValueError(f"<{tag}> is not supported by the badge rasterizer")


@lru_cache(maxsize=32)
def svg_to_png(svg: str, size: int = 256) -> bytes:
    """Rasterize one of our badge SVGs to a square RGBA PNG.

    Supports circle, ellipse, rect (square corners), polygon, g, title/desc; fill, stroke on
    circles/ellipses, opacity, fill-opacity, fill-rule. Anything else raises ValueError so a
    new badge design cannot silently render wrong.
    """
    if not 8 <= size <= 2048:
        raise ValueError("size must be between 8 and 2048")
    root = ET.fromstring(svg)  # noqa: S314  (trusted: config/badge-images)
    if _local(root.tag) != "svg":
        raise ValueError("not an SVG document")
    vb = root.get("viewBox")
    if vb:
        vx, vy, vw, vh = (float(n) for n in re.split(r"[\s,]+", vb.strip()))
    else:
        vx, vy, vw, vh = 0.0, 0.0, _num(root, "width"), _num(root, "height")
    scale = size / max(vw, vh)
    ox = vx - (max(vw, vh) - vw) / 2  # centre non-square view boxes
    oy = vy - (max(vw, vh) - vh) / 2
    n = size
    # premultiplied RGBA floats, 0..1
    red = [0.0] * (n * n)
    grn = [0.0] * (n * n)
    blu = [0.0] * (n * n)
    alp = [0.0] * (n * n)
    for shape, (cr, cg, cb), alpha in _shapes(root, {}):
        if alpha <= 0:
            continue
        fr, fg, fb = cr / 255 * alpha, cg / 255 * alpha, cb / 255 * alpha
        _bx0, by0, _bx1, by1 = shape.bbox
        py0 = max(0, math.floor((by0 - oy) * scale))
        py1 = min(n, math.ceil((by1 - oy) * scale))
        for py in range(py0, py1):
            cov = [0.0] * (n + 1)
            lo, hi = n, -1
            for s in range(_SUBROWS):
                uy = (py + (s + 0.5) / _SUBROWS) / scale + oy
                for ux0, ux1 in shape.spans(uy):
                    x0 = max(0.0, (ux0 - ox) * scale)
                    x1 = min(float(n), (ux1 - ox) * scale)
                    if x1 <= x0:
                        continue
                    i0, i1 = int(x0), int(x1)
                    lo, hi = min(lo, i0), max(hi, min(i1, n - 1))
                    if i0 == i1:
                        cov[i0] += (x1 - x0) / _SUBROWS
                        continue
                    cov[i0] += (i0 + 1 - x0) / _SUBROWS
                    for i in range(i0 + 1, i1):
                        cov[i] += 1 / _SUBROWS
                    if i1 < n:
                        cov[i1] += (x1 - i1) / _SUBROWS
            base = py * n
            for px in range(lo, hi + 1):
                c = cov[px]
                if c <= 0:
                    continue
                c = min(c, 1.0)
                k = base + px
                inv = 1 - alpha * c
                red[k] = fr * c + red[k] * inv
                grn[k] = fg * c + grn[k] * inv
                blu[k] = fb * c + blu[k] * inv
                alp[k] = alpha * c + alp[k] * inv
    out = bytearray(n * n * 4)
    for k in range(n * n):
        a = alp[k]
        if a <= 0:
            continue
        j = 4 * k
        out[j] = min(255, round(red[k] / a * 255))
        out[j + 1] = min(255, round(grn[k] / a * 255))
        out[j + 2] = min(255, round(blu[k] / a * 255))
        out[j + 3] = min(255, round(a * 255))
    return write_png(n, n, bytes(out))
