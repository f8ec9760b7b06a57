"""Bake Open Badges 2.0 assertions into badge images, and read them back.

A baked image carries its assertion, so a learner can upload the file itself to a backpack
or a validator. Formats (Open Badges 2.0 "Baking Specification"):

* PNG: one *uncompressed* ``iTXt`` chunk with keyword ``openbadges`` holding the assertion
  JSON (or its URL), placed before ``IEND``. Baking again replaces the old chunk, so an
  image never carries two assertions.
* SVG: ``xmlns:openbadges="http://openbadges.org"`` on the root element and one
  ``<openbadges:assertion verify="URL">`` as its first child, the JSON inside CDATA.

Readers are deliberately tolerant (compressed iTXt, legacy ``tEXt``, any namespace prefix,
entity-escaped text) because badges baked elsewhere come back to us; writers are strict.
SVG is handled as text, never parsed with an XML library, so a hostile upload cannot make
us expand entities.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KEYWORD = b"openbadges"
OB_NAMESPACE = "http://openbadges.org"


class BakingError(ValueError):
    """The image is not one we can bake into, or holds no (valid) badge data."""


# -- PNG ---------------------------------------------------------------------------------------


def _chunks(png: bytes) -> Iterator[tuple[bytes, bytes, int, int]]:
    """Yield (type, data, start, end) for each chunk; raise on truncation or a bad CRC."""
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG file")
    pos = len(PNG_SIGNATURE)
    while pos < len(png):
        if pos + 12 > len(png):
            raise BakingError("truncated PNG chunk")
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind = png[pos + 4 : pos + 8]
        end = pos + 12 + length
        if end > len(png):
            raise BakingError(f"truncated PNG chunk {kind!r}")
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[end - 4 : end])
        if zlib.crc32(kind + data) != crc:
            raise BakingError(f"bad CRC in PNG chunk {kind!r}")
        yield kind, data, pos, end
        pos = end
        if kind == b"IEND":
            return
    raise BakingError("PNG has no IEND chunk")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _is_badge_chunk(kind: bytes, data: bytes) -> bool:
    return kind in (b"iTXt", b"tEXt", b"zTXt") and data.split(b"\x00", 1)[0] == KEYWORD


def itxt_chunk(text: str) -> bytes:
    """The uncompressed iTXt chunk: keyword, NUL, flag 0, method 0, no language, no
    translated keyword, then the UTF-8 text."""
    return _chunk(b"iTXt", KEYWORD + b"\x00\x00\x00\x00\x00" + text.encode("utf-8"))


def bake_png(png: bytes, assertion: str) -> bytes:
    """Return `png` carrying `assertion` (JSON text or a URL), replacing any earlier one."""
    if not assertion:
        raise BakingError("nothing to bake")
    out = [PNG_SIGNATURE]
    for kind, data, start, end in _chunks(png):
        if _is_badge_chunk(kind, data):
            continue
        if kind == b"IEND":
            out.append(itxt_chunk(assertion))
        out.append(png[start:end])
    return b"".join(out)


def unbake_png(png: bytes) -> str:
    """The assertion text baked into `png`; BakingError when there is none."""
    for kind, data, _start, _end in _chunks(png):
        if not _is_badge_chunk(kind, data):
            continue
        rest = data.split(b"\x00", 1)[1]
        if kind == b"tEXt":
            return rest.decode("latin-1")
        if kind == b"zTXt":
            return zlib.decompress(rest[1:]).decode("latin-1")
        if len(rest) < 2:
            raise BakingError("malformed iTXt chunk")
        flag, method, rest = rest[0], rest[1], rest[2:]
        _lang, rest = _split_nul(rest)
        _translated, text = _split_nul(rest)
        if flag == 1:
            if method != 0:
                raise BakingError("unknown iTXt compression method")
            text = zlib.decompress(text)
        elif flag != 0:
            raise BakingError("malformed iTXt compression flag")
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BakingError("iTXt text is not UTF-8") from exc
    raise BakingError("no Open Badges data in this PNG")


def _split_nul(data: bytes) -> tuple[bytes, bytes]:
    head, sep, tail = data.partition(b"\x00")
    if not sep:
        raise BakingError("malformed iTXt chunk")
    return head, tail


# -- SVG ---------------------------------------------------------------------------------------

_TAG_BODY = r"""(?:[^>"']|"[^"]*"|'[^']*')*"""  # attributes, '>' allowed inside quotes
_ROOT_RE = re.compile(r"<svg(?=[\s>/])" + _TAG_BODY + ">", re.S)
_PREFIX_RE = re.compile(r"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*(["'])http://openbadges\.org/?\2""")


def _skip_prolog_end(svg: str) -> int:
    """Index where the root element's search may start (after comments/doctype/PIs)."""
    pos = 0
    while True:
        m = re.match(r"\s*(<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>)", svg[pos:], re.S)
        if not m:
            return pos
        pos += m.end()


def _root_tag(svg: str) -> re.Match[str]:
    m = _ROOT_RE.search(svg, _skip_prolog_end(svg))
    if not m:
        raise BakingError("not an SVG document")
    return m


def _find_assertion(svg: str, prefix: str, pos: int) -> tuple[int, int, int, int] | None:
    """Locate ``<prefix:assertion …>…</prefix:assertion>`` from `pos`, skipping CDATA, so a
    JSON text that contains the closing tag cannot cut the element short.

    Returns (element start, start-tag end, content end, element end) or None.
    """
    start_re = re.compile(rf"<{re.escape(prefix)}:assertion(?=[\s>/]){_TAG_BODY}>", re.S)
    m = start_re.search(svg, pos)
    if not m:
        return None
    if m.group(0).endswith("/>"):
        return m.start(), m.end(), m.end(), m.end()
    close = f"</{prefix}:assertion"
    i = m.end()
    while i < len(svg):
        if svg.startswith("<![CDATA[", i):
            j = svg.find("]]>", i + 9)
            if j < 0:
                raise BakingError("unterminated CDATA section")
            i = j + 3
        elif svg.startswith(close, i):
            j = svg.find(">", i)
            if j < 0:
                raise BakingError("unterminated assertion element")
            return m.start(), m.end(), i, j + 1
        else:
            nxt = svg.find("<", i + 1)
            i = len(svg) if nxt < 0 else nxt
    raise BakingError("unterminated assertion element")


def cdata(text: str) -> str:
    """Wrap `text` in CDATA, splitting any ``]]>`` so it cannot close the section early."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attr(value: str) -> str:
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace(">", "&gt;")
    )


def bake_svg(svg: str, assertion: str, verify_url: str) -> str:
    """Return `svg` carrying `assertion` and its hosted URL, replacing any earlier one."""
    if not assertion:
        raise BakingError("nothing to bake")
    if not verify_url:
        raise BakingError("verify URL is required")
    root = _root_tag(svg)
    prefixes = [m.group(1) for m in _PREFIX_RE.finditer(root.group(0))]
    for p in prefixes:  # drop every earlier assertion, whatever prefix it used
        while (found := _find_assertion(svg, p, root.end())) is not None:
            svg = svg[: found[0]] + svg[found[3] :]
    tag = root.group(0)
    if "openbadges" not in prefixes:
        close = "/>" if tag.endswith("/>") else ">"
        tag = tag[: -len(close)].rstrip() + f' xmlns:openbadges="{OB_NAMESPACE}"' + close
    element = (
        f'<openbadges:assertion verify="{_attr(verify_url)}">'
        f"{cdata(assertion)}</openbadges:assertion>"
    )
    if tag.endswith("/>"):  # <svg .../> : open it so it can hold a child
        return (
            svg[: root.start()] + tag[:-2].rstrip() + ">" + element + "</svg>" + svg[root.end() :]
        )
    return svg[: root.start()] + tag + element + svg[root.end() :]


_CHARREF_RE = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|lt|gt|amp|quot|apos);")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


def _unescape(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref.startswith("#x"):
            return chr(int(ref[2:], 16))
        if ref.startswith("#"):
            return chr(int(ref[1:]))
        return _ENTITIES[ref]

    return _CHARREF_RE.sub(repl, text)


def unbake_svg(svg: str) -> str:
    """The assertion baked into `svg` (the JSON; the verify URL if the element is empty)."""
    root = _root_tag(svg)
    for pm in _PREFIX_RE.finditer(root.group(0)):
        found = _find_assertion(svg, pm.group(1), root.end())
        if found is None:
            continue
        start, tag_end, content_end, _end = found
        parts = re.split(r"(<!\[CDATA\[.*?\]\]>)", svg[tag_end:content_end], flags=re.S)
        if any(p.startswith("<![CDATA[") for p in parts):
            # CDATA is verbatim; whitespace between sections is layout, other text counts.
            text = "".join(
                p[9:-3] if p.startswith("<![CDATA[") else _unescape(p)
                for p in parts
                if p.startswith("<![CDATA[") or p.strip()
            )
        else:
            text = _unescape("".join(parts)).strip()
        if text:
            return text
        v = re.search(r"""\sverify\s*=\s*(["'])(.*?)\1""", svg[start:tag_end], re.S)
        if v and v.group(2).strip():
            return _unescape(v.group(2))
        raise BakingError("openbadges:assertion element is empty")
    raise BakingError("no Open Badges data in this SVG")


# -- Open Badges 3.0 ---------------------------------------------------------------------------
# OB 3.0 §5.3 "File Format" (Baking): PNG carries one uncompressed iTXt chunk with keyword
# ``openbadgecredential`` whose text is the compact JWS; SVG carries, directly after the root
# tag, ``<openbadges:credential verify="JWS"/>`` in namespace ``https://purl.imsglobal.org/ob/v3p0``
# (for a VC-JWT the token goes in the ``verify`` attribute, per the spec).

OB3_KEYWORD = b"openbadgecredential"
OB3_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
_OB3_PREFIX_RE = re.compile(
    r"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*(["'])https://purl\.imsglobal\.org/ob/v3p0/?\2"""
)


def _is_credential_chunk(kind: bytes, data: bytes) -> bool:
    return kind in (b"iTXt", b"tEXt", b"zTXt") and data.split(b"\x00", 1)[0] == OB3_KEYWORD


def bake_credential_png(png: bytes, token: str) -> bytes:
    """Return `png` carrying the OB 3.0 credential `token`, replacing any earlier one (the
    spec allows the chunk once); an OB 2.0 ``openbadges`` chunk is left as it is."""
    if not token:
        raise BakingError("nothing to bake")
    out = [PNG_SIGNATURE]
    for kind, data, start, end in _chunks(png):
        if _is_credential_chunk(kind, data):
            continue
        if kind == b"IEND":
            out.append(
                _chunk(b"iTXt", OB3_KEYWORD + b"\x00\x00\x00\x00\x00" + token.encode("utf-8"))
            )
        out.append(png[start:end])
    return b"".join(out)


def unbake_credential_png(png: bytes) -> str:
    """The credential (compact JWS or JSON) baked into `png`; BakingError when none."""
    for kind, data, _start, _end in _chunks(png):
        if not _is_credential_chunk(kind, data):
            continue
        if kind != b"iTXt":
            raise BakingError("an OB 3.0 credential must be in an iTXt chunk")
        rest = data.split(b"\x00", 1)[1]
        if len(rest) < 2 or rest[0] != 0:
            raise BakingError("OB 3.0 credential chunks must not be compressed")
        _lang, rest = _split_nul(rest[2:])
        _translated, text = _split_nul(rest)
        try:
            return text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BakingError("iTXt text is not UTF-8") from exc
    raise BakingError("no Open Badges 3.0 credential in this PNG")


def _credential_element(svg: str, prefix: str, pos: int) -> tuple[int, int, int] | None:
    """(element start, start-tag end, element end) of ``<prefix:credential …>``, or None."""
    m = re.compile(rf"<{re.escape(prefix)}:credential(?=[\s>/]){_TAG_BODY}>", re.S).search(svg, pos)
    if not m:
        return None
    if m.group(0).endswith("/>"):
        return m.start(), m.end(), m.end()
    close = re.compile(rf"</{re.escape(prefix)}:credential\s*>").search(svg, m.end())
    if not close:
        raise BakingError("unterminated credential element")
    return m.start(), m.end(), close.end()


def bake_credential_svg(svg: str, token: str) -> str:
    """Return `svg` carrying the VC-JWT `token` in ``<openbadges:credential verify=…>``,
    replacing any earlier credential (an OB 2.0 assertion is left as it is)."""
    if not token:
        raise BakingError("nothing to bake")
    root = _root_tag(svg)
    prefixes = [m.group(1) for m in _OB3_PREFIX_RE.finditer(root.group(0))]
    for p in prefixes:
        while (found := _credential_element(svg, p, root.end())) is not None:
            svg = svg[: found[0]] + svg[found[2] :]
    tag = root.group(0)
    prefix = prefixes[0] if prefixes else "openbadges"
    if not prefixes:
        if re.search(r"""xmlns:openbadges\s*=""", tag):  # taken by OB 2.0's namespace
            prefix = "openbadges3"
        close = "/>" if tag.endswith("/>") else ">"
        tag = tag[: -len(close)].rstrip() + f' xmlns:{prefix}="{OB3_NAMESPACE}"' + close
    element = f'<{prefix}:credential verify="{_attr(token)}"></{prefix}:credential>'
    if tag.endswith("/>"):
        return (
            svg[: root.start()] + tag[:-2].rstrip() + ">" + element + "</svg>" + svg[root.end() :]
        )
    return svg[: root.start()] + tag + element + svg[root.end() :]


def unbake_credential_svg(svg: str) -> str:
    """The credential baked into `svg`: the ``verify`` attribute (VC-JWT), else the text."""
    root = _root_tag(svg)
    for pm in _OB3_PREFIX_RE.finditer(root.group(0)):
        found = _credential_element(svg, pm.group(1), root.end())
        if found is None:
            continue
        start, tag_end, end = found
        v = re.search(r"""\sverify\s*=\s*(["'])(.*?)\1""", svg[start:tag_end], re.S)
        if v and v.group(2).strip():
            return _unescape(v.group(2)).strip()
        body = svg[tag_end:end]
        body = body[: body.rfind("<")] if "<" in body else body
        parts = re.split(r"(<!\[CDATA\[.*?\]\]>)", body, flags=re.S)
        text = "".join(p[9:-3] if p.startswith("<![CDATA[") else _unescape(p) for p in parts)
        if text.strip():
            return text.strip()
        raise BakingError("openbadges:credential element is empty")
    raise BakingError("no Open Badges 3.0 credential in this SVG")
