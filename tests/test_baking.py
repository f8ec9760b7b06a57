"""Baking: PNG iTXt and SVG openbadges:assertion round trips, replacement, hostile text."""

from __future__ import annotations

import json
import struct
import zlib

import pytest

from bot import baking
from bot import openbadges as ob
from bot.badge_rules import default_catalog

URL = "https://skillmatch.toolforge.org/badges/assertions/abc"
HOSTILE = [
    '{"id": "' + URL + '", "narrative": "tricky ]]> end"}',
    '{"x": "]]]]><![CDATA[>", "y": "]]>]]>"}',
    '{"name": "日本語 العربية Español Français ✓ 🎓", "quote": "\\"<&>\'"}',
    '{"close": "</openbadges:assertion>", "tag": "<svg>"}',
    "  leading and trailing spaces  ",
    "\x00not json\x00",
]


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(png):
        (n,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + n]
        (crc,) = struct.unpack(">I", png[pos + 8 + n : pos + 12 + n])
        assert crc == zlib.crc32(kind + data), kind
        out.append((kind, data))
        pos += 12 + n
    return out


@pytest.fixture(scope="module")
def png() -> bytes:
    return ob.class_png(default_catalog().get("trainer"), 32)


@pytest.fixture(scope="module")
def svg() -> str:
    return ob.class_svg(default_catalog().get("trainer"))


# -- PNG ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_png_round_trip(png: bytes, text: str) -> None:
    baked = baking.bake_png(png, text)
    assert baking.unbake_png(baked) == text


def test_png_chunk_layout(png: bytes) -> None:
    baked = baking.bake_png(png, '{"a": "ü"}')
    kinds = [k for k, _ in chunks(baked)]
    assert kinds[-2:] == [b"iTXt", b"IEND"]  # inserted right before IEND
    assert kinds.count(b"iTXt") == 1
    data = dict(chunks(baked))[b"iTXt"]
    # keyword, NUL, compression flag 0 (uncompressed), method 0, empty language and
    # translated keyword, then UTF-8 text
    assert data == b"openbadges\x00\x00\x00\x00\x00" + '{"a": "ü"}'.encode()
    # the image itself is untouched
    assert [c for c in chunks(baked) if c[0] != b"iTXt"] == chunks(png)


def test_png_rebake_replaces(png: bytes) -> None:
    once = baking.bake_png(png, "first")
    twice = baking.bake_png(once, "second")
    assert baking.unbake_png(twice) == "second"
    assert [k for k, _ in chunks(twice)].count(b"iTXt") == 1
    assert baking.bake_png(twice, "first") == once


def test_png_other_text_chunks_are_kept(png: bytes) -> None:
    other = baking._chunk(b"iTXt", b"Comment\x00\x00\x00\x00\x00hello")
    ihdr_end = 8 + 25
    with_comment = png[:ihdr_end] + other + png[ihdr_end:]
    baked = baking.bake_png(with_comment, "x")
    assert other in baked
    assert baking.unbake_png(baked) == "x"


def test_png_reads_compressed_and_legacy_chunks(png: bytes) -> None:
    ihdr_end = 8 + 25
    comp = baking._chunk(
        b"iTXt", b"openbadges\x00\x01\x00en\x00\x00" + zlib.compress("ça va".encode())
    )
    assert baking.unbake_png(png[:ihdr_end] + comp + png[ihdr_end:]) == "ça va"
    legacy = baking._chunk(b"tEXt", b"openbadges\x00" + URL.encode("latin-1"))
    assert baking.unbake_png(png[:ihdr_end] + legacy + png[ihdr_end:]) == URL


def test_png_errors(png: bytes) -> None:
    with pytest.raises(baking.BakingError):
        baking.unbake_png(png)  # nothing baked
    with pytest.raises(baking.BakingError):
        baking.bake_png(b"GIF89a....", "x")
    baked = bytearray(baking.bake_png(png, "payload"))
    baked[baked.index(b"payload")] ^= 1  # corrupt the text: CRC no longer matches
    with pytest.raises(baking.BakingError, match="CRC"):
        baking.unbake_png(bytes(baked))
    with pytest.raises(baking.BakingError):
        baking.unbake_png(png[:-6])  # truncated
    with pytest.raises(baking.BakingError):
        baking.bake_png(png, "")


# -- SVG ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_svg_round_trip(svg: str, text: str) -> None:
    baked = baking.bake_svg(svg, text, URL)
    got = baking.unbake_svg(baked)
    assert got == text


def test_svg_layout(svg: str) -> None:
    baked = baking.bake_svg(svg, '{"a": 1}', URL + "?x=1&y=<2>")
    assert baked.count('xmlns:openbadges="http://openbadges.org"') == 1
    assert baked.count("<openbadges:assertion") == 1
    root_end = baked.index(">", baked.index("<svg")) + 1
    # first child of the root element, with the verify URL attribute-escaped
    assert baked[root_end:].startswith(
        '<openbadges:assertion verify="' + URL + '?x=1&amp;y=&lt;2&gt;"><![CDATA[{"a": 1}]]>'
    )
    # still well-formed XML, and the CDATA survives a real parser unchanged
    from xml.etree import ElementTree as ET

    root = ET.fromstring(baked)  # noqa: S314 (our own output)
    (el,) = root.findall("{http://openbadges.org}assertion")
    assert el.text == '{"a": 1}'
    assert el.get("verify") == URL + "?x=1&y=<2>"


@pytest.mark.parametrize("text", HOSTILE[:4])
def test_svg_hostile_text_stays_well_formed(svg: str, text: str) -> None:
    from xml.etree import ElementTree as ET

    root = ET.fromstring(baking.bake_svg(svg, text, URL))  # noqa: S314 (our own output)
    (el,) = root.findall("{http://openbadges.org}assertion")
    assert el.text == text
    assert root.find("{http://www.w3.org/2000/svg}title") is not None


def test_svg_rebake_replaces(svg: str) -> None:
    once = baking.bake_svg(svg, '{"n": 1}', URL)
    twice = baking.bake_svg(once, '{"n": 2, "s": "]]>"}', URL + "2")
    assert twice.count("<openbadges:assertion") == 1
    assert twice.count("xmlns:openbadges") == 1
    assert json.loads(baking.unbake_svg(twice)) == {"n": 2, "s": "]]>"}
    assert baking.bake_svg(twice, '{"n": 1}', URL) == once


def test_svg_with_prolog_other_prefix_and_self_closing_root() -> None:
    foreign = (
        '<?xml version="1.0"?>\n<!-- made elsewhere -->\n'
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="http://openbadges.org" data-x="a>b">'
        '<ob:assertion verify="' + URL + '">{&quot;old&quot;: true}</ob:assertion>'
        "<rect/></svg>"
    )
    assert baking.unbake_svg(foreign) == '{"old": true}'
    baked = baking.bake_svg(foreign, '{"new": true}', URL)
    assert "<ob:assertion" not in baked and baked.startswith('<?xml version="1.0"?>')
    assert baking.unbake_svg(baked) == '{"new": true}'
    empty = baking.bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', "{}", URL)
    assert empty.endswith("</openbadges:assertion></svg>")
    assert baking.unbake_svg(empty) == "{}"


def test_svg_verify_only_returns_the_url() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        '<openbadges:assertion verify="' + URL + '"/></svg>'
    )
    assert baking.unbake_svg(svg) == URL


def test_svg_errors(svg: str) -> None:
    with pytest.raises(baking.BakingError):
        baking.unbake_svg(svg)
    with pytest.raises(baking.BakingError):
        baking.unbake_svg("<html></html>")
    with pytest.raises(baking.BakingError):
        baking.bake_svg(svg, "{}", "")
    broken = baking.bake_svg(svg, "{}", URL).replace("]]>", "")
    with pytest.raises(baking.BakingError):
        baking.unbake_svg(broken)


# -- Open Badges 3.0 (VC-JWT credential) ---------------------------------------------------------

TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJpZCI6InVybjp1dWlkOjEifQ.c2lnbmF0dXJl"
OTHER = "eyJhbGciOiJSUzI1NiJ9.eyJpZCI6InVybjp1dWlkOjIifQ.b3RoZXI"


def test_ob3_png_chunk_layout_and_round_trip(png: bytes) -> None:
    baked = baking.bake_credential_png(png, TOKEN)
    found = [d for k, d in chunks(baked) if k == b"iTXt" and d.startswith(b"openbadgecredential")]
    # keyword, NUL, compression flag 0 and method 0 (MUST NOT compress), empty language and
    # translated keyword, then the compact JWS as text
    assert found == [b"openbadgecredential\x00\x00\x00\x00\x00" + TOKEN.encode()]
    assert [k for k, _ in chunks(baked)][-2:] == [b"iTXt", b"IEND"]
    assert baking.unbake_credential_png(baked) == TOKEN
    with pytest.raises(baking.BakingError):
        baking.unbake_png(baked)  # not an OB 2.0 chunk


def test_ob3_png_rebake_replaces_and_keeps_ob2(png: bytes) -> None:
    both = baking.bake_credential_png(baking.bake_png(png, URL), TOKEN)
    again = baking.bake_credential_png(both, OTHER)
    keys = [d.split(b"\x00", 1)[0] for k, d in chunks(again) if k == b"iTXt"]
    assert sorted(keys) == [b"openbadgecredential", b"openbadges"]  # one each
    assert baking.unbake_credential_png(again) == OTHER
    assert baking.unbake_png(again) == URL


def test_ob3_png_errors(png: bytes) -> None:
    with pytest.raises(baking.BakingError):
        baking.unbake_credential_png(png)
    with pytest.raises(baking.BakingError):
        baking.bake_credential_png(png, "")
    compressed = baking._chunk(  # a chunk the spec forbids, built by hand
        b"iTXt", b"openbadgecredential\x00\x01\x00\x00\x00" + zlib.compress(TOKEN.encode())
    )
    iend = png.rindex(b"IEND") - 4
    with pytest.raises(baking.BakingError, match="compressed"):
        baking.unbake_credential_png(png[:iend] + compressed + png[iend:])


def test_ob3_svg_layout_round_trip_and_rebake(svg: str) -> None:
    baked = baking.bake_credential_svg(svg, TOKEN)
    root_end = baked.index(">", baked.index("<svg")) + 1
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked[:root_end]
    assert baked[root_end:].startswith(
        f'<openbadges:credential verify="{TOKEN}"></openbadges:credential>'
    )
    assert baking.unbake_credential_svg(baked) == TOKEN
    again = baking.bake_credential_svg(baked, OTHER)
    assert again.count("openbadges:credential verify=") == 1
    assert baking.unbake_credential_svg(again) == OTHER
    with pytest.raises(baking.BakingError):
        baking.unbake_credential_svg(svg)


def test_ob3_svg_next_to_an_ob2_assertion(svg: str) -> None:
    """The OB 2.0 prefix ``openbadges`` is taken by another namespace: a second prefix is used."""
    ob2 = baking.bake_svg(svg, '{"id": "' + URL + '"}', URL)
    both = baking.bake_credential_svg(ob2, TOKEN)
    assert baking.unbake_credential_svg(both) == TOKEN
    assert json.loads(baking.unbake_svg(both)) == {"id": URL}
    assert 'xmlns:openbadges3="https://purl.imsglobal.org/ob/v3p0"' in both


def test_ob3_svg_reads_other_prefixes_and_text_content() -> None:
    doc = (
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
        "xmlns:ob='https://purl.imsglobal.org/ob/v3p0'><ob:credential>"
        '<![CDATA[{"id": "urn:uuid:1"}]]></ob:credential></svg>'
    )
    assert baking.unbake_credential_svg(doc) == '{"id": "urn:uuid:1"}'
    hostile = 'x"><script>alert(1)</script><x y="'
    baked = baking.bake_credential_svg(doc, hostile)
    assert "<script>" not in baked and baking.unbake_credential_svg(baked) == hostile
