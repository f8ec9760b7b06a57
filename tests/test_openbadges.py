"""Open Badges 2.0 builders: required fields, contract URLs, verifiable recipient hashing,
localized classes with Wikidata alignment, and the PNG rendering path."""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from datetime import UTC, date, datetime

import pytest

from bot import baking
from bot import openbadges as ob
from bot.badge_rules import REQUIRED_LANGUAGES, Award, award_id, default_catalog

BASE = "https://skillmatch.toolforge.org/"
ALICE = "https://meta.wikimedia.org/wiki/User:Alice"


def award(kind: str = "learner", skill: str | None = "sparql", user: str = "Alice") -> Award:
    ev = ("match:M1",)
    return Award(award_id(kind, user, skill, ev), user, kind, skill, date(2025, 2, 3), ev)


def test_urls_follow_the_contract_routes() -> None:
    assert ob.issuer_url(BASE) == "https://skillmatch.toolforge.org/badges/issuer"
    assert ob.class_url(BASE, "learner-sparql").endswith("/badges/classes/learner-sparql")
    assert ob.class_image_url(BASE, "trainer", "svg").endswith("/badges/classes/trainer.svg")
    assert ob.assertion_url(BASE, "abc").endswith("/badges/assertions/abc")
    assert ob.assertion_image_url(BASE, "abc").endswith("/badges/assertions/abc.png")
    assert ob.award_page_url(BASE, "abc").endswith("/badges/awards/abc")
    assert ob.class_url(BASE, "learner-a/b c").endswith("/badges/classes/learner-a%2Fb%20c")
    with pytest.raises(ValueError):
        ob.issuer_url("skillmatch.toolforge.org")


def test_user_page_url_is_the_address_bar_form() -> None:
    wiki = "https://meta.wikimedia.org/wiki/"
    assert ob.user_page_url(wiki, "Jane Doe") == "https://meta.wikimedia.org/wiki/User:Jane_Doe"
    assert ob.user_page_url(wiki, "Jane_Doe") == ob.user_page_url(wiki, " Jane  Doe ")
    assert ob.user_page_url(wiki, "مستخدم") == wiki + "User:%D9%85%D8%B3%D8%AA%D8%AE%D8%AF%D9%85"
    assert ob.user_page_url(wiki, "A&B?") == wiki + "User:A%26B%3F"


def test_issuer_profile_has_what_the_validator_requires() -> None:
    doc = ob.issuer_profile(
        BASE,
        "SkillMatch",
        "https://meta.wikimedia.org/wiki/SkillMatch",
        "skillmatch@example.org",
        description="d",
    )
    assert doc["@context"] == ob.OB2_CONTEXT
    assert doc["type"] == "Issuer"
    assert doc["id"] == ob.issuer_url(BASE)
    assert {"name", "url", "email"} <= doc.keys()
    for bad in (
        ("", "https://x.org", "a@b.org"),
        ("N", "x.org", "a@b.org"),
        ("N", "https://x", "nope"),
    ):
        with pytest.raises(ValueError):
            ob.issuer_profile(BASE, *bad)


@pytest.mark.parametrize("lang", REQUIRED_LANGUAGES)
def test_per_skill_badge_class(lang: str) -> None:
    cls = default_catalog().get("learner")
    doc = ob.badge_class(BASE, cls, lang, "SPARQL", "Q54871", skill="sparql")
    for key in ("id", "type", "name", "description", "image", "criteria", "issuer"):
        assert doc[key], key
    assert doc["type"] == "BadgeClass"
    assert doc["id"] == ob.class_url(BASE, "learner-sparql")
    assert doc["issuer"] == ob.issuer_url(BASE)
    assert doc["image"] == ob.class_image_url(BASE, "learner-sparql", "png")
    assert "SPARQL" in doc["name"] and doc["criteria"]["narrative"]
    assert doc["@language"] == lang
    (al,) = doc["alignment"]
    assert al["targetUrl"] == "https://www.wikidata.org/wiki/Q54871"
    assert al["targetName"] == "SPARQL" and al["targetCode"] == "Q54871"
    assert "sparql" in doc["tags"]


def test_badge_class_without_qid_has_no_alignment_and_general_classes_no_skill() -> None:
    cat = default_catalog()
    doc = ob.badge_class(BASE, cat.get("learner"), "en", skill="local-skill")
    assert "alignment" not in doc and "local-skill" in doc["name"]
    assert ob.badge_class(BASE, cat.get("mentor-3"), "xx")["@language"] == "en"  # fallback
    with pytest.raises(ValueError):
        ob.badge_class(BASE, cat.get("learner"), "en")  # per-skill needs a skill
    with pytest.raises(ValueError):
        ob.badge_class(BASE, cat.get("trainer"), "en", skill="lua")
    with pytest.raises(ValueError):
        ob.badge_class(BASE, cat.get("learner"), "en", "Lua", "lua", skill="lua")  # bad QID


def test_assertion_required_fields_and_links() -> None:
    a = award()
    doc = ob.assertion(BASE, a, ALICE, "s4lt", evidence_urls=["https://meta.wikimedia.org/wiki/X"])
    assert doc["@context"] == ob.OB2_CONTEXT and doc["type"] == "Assertion"
    assert doc["id"] == ob.assertion_url(BASE, a.id)
    assert doc["badge"] == ob.class_url(BASE, "learner-sparql")
    assert doc["verification"] == {"type": "hosted"}
    assert doc["issuedOn"] == "2025-02-03T00:00:00Z"
    assert doc["image"] == ob.assertion_image_url(BASE, a.id, "png")
    assert doc["evidence"] == [{"type": "Evidence", "id": "https://meta.wikimedia.org/wiki/X"}]
    assert "revoked" not in doc
    assert ALICE not in json.dumps(doc)  # the recipient is only present hashed


def test_recipient_hash_is_verifiable() -> None:
    doc = ob.assertion(BASE, award(), ALICE, "pepper")
    r = doc["recipient"]
    assert r["type"] == "url" and r["hashed"] is True and r["salt"] == "pepper"
    expected = "sha256$" + hashlib.sha256((ALICE + "pepper").encode()).hexdigest()
    assert r["identity"] == expected
    assert ob.identity_matches(ALICE, r)
    assert not ob.identity_matches(ALICE + "x", r)
    assert not ob.identity_matches("https://meta.wikimedia.org/wiki/User:Mallory", r)
    unhashed = {"type": "url", "hashed": False, "identity": ALICE}
    assert ob.identity_matches(ALICE, unhashed)


def test_salts() -> None:
    assert ob.new_salt() != ob.new_salt() and len(ob.new_salt()) == 32
    assert ob.derive_salt("k", "a1") == ob.derive_salt(b"k", "a1")
    assert ob.derive_salt("k", "a1") != ob.derive_salt("k", "a2")
    assert ob.derive_salt("k", "a1") != ob.derive_salt("other", "a1")
    with pytest.raises(ValueError):
        ob.assertion(BASE, award(), ALICE, "")


def test_issued_on_accepts_datetimes() -> None:
    when = datetime(2025, 2, 3, 14, 5, 6, 789, tzinfo=UTC)
    assert ob.assertion(BASE, award(), ALICE, "s", when)["issuedOn"] == "2025-02-03T14:05:06Z"
    naive = datetime(2025, 2, 3, 14, 5, 6)
    assert ob.assertion(BASE, award(), ALICE, "s", naive)["issuedOn"] == "2025-02-03T14:05:06Z"


def test_revoked_assertion_is_the_minimal_form() -> None:
    a = award()
    doc = ob.assertion(BASE, a, ALICE, "s", revoked=True, revocation_reason="Withdrawn.")
    assert doc == {
        "@context": ob.OB2_CONTEXT,
        "type": "Assertion",
        "id": ob.assertion_url(BASE, a.id),
        "revoked": True,
        "revocationReason": "Withdrawn.",
    }
    assert "revocationReason" not in ob.revoked_assertion(BASE, a.id)


def test_to_json_keeps_unicode() -> None:
    cls = default_catalog().get("learner")
    doc = ob.badge_class(BASE, cls, "ja", "スパークル", skill="sparql")
    text = ob.to_json(doc)
    assert "スパークル" in text and json.loads(text) == doc


# -- images ------------------------------------------------------------------------------------


def png_info(png: bytes) -> tuple[int, int, bytes]:
    """(width, height, raw scanlines) of an 8-bit RGBA PNG, checking every CRC."""
    assert png.startswith(ob.PNG_SIGNATURE)
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(png):
        (n,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + n]
        assert struct.unpack(">I", png[pos + 8 + n : pos + 12 + n])[0] == zlib.crc32(kind + data)
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", data[:10])
            assert (depth, ctype) == (8, 6)
        elif kind == b"IDAT":
            idat += data
        pos += 12 + n
    return w, h, zlib.decompress(idat)


def pixel(raw: bytes, w: int, x: int, y: int) -> tuple[int, ...]:
    row = raw[y * (w * 4 + 1) + 1 :]
    return tuple(row[x * 4 : x * 4 + 4])


def test_write_png_round_trips() -> None:
    px = bytes([255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 1, 2, 3, 4])
    w, h, raw = png_info(ob.write_png(2, 2, px))
    assert (w, h) == (2, 2)
    assert pixel(raw, 2, 0, 0) == (255, 0, 0, 255) and pixel(raw, 2, 1, 1) == (1, 2, 3, 4)
    with pytest.raises(ValueError):
        ob.write_png(2, 2, px[:-1])


@pytest.mark.parametrize("kind_id", [k.id for k in default_catalog().kinds])
def test_every_class_renders_to_png(kind_id: str) -> None:
    kind = default_catalog().get(kind_id)
    w, h, raw = png_info(ob.class_png(kind, 64))
    assert (w, h) == (64, 64)
    assert pixel(raw, 64, 0, 0)[3] == 0  # transparent corner outside the medal
    assert pixel(raw, 64, 32, 4)[3] == 255  # inside the outer ring: opaque


def test_rasterizer_geometry_and_antialiasing() -> None:
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        '<rect x="0" y="0" width="5" height="10" fill="#ff0000"/>'
        '<circle cx="7.5" cy="5" r="2" fill="#00f" opacity="0.5"/>'
        '<polygon points="0,0 2,0 0,2" fill="white"/>'
        "</svg>"
    )
    w, _h, raw = png_info(ob.svg_to_png(svg, 10))
    assert pixel(raw, w, 3, 5) == (255, 0, 0, 255)
    assert pixel(raw, w, 7, 5) == (0, 0, 255, 128)  # half-transparent blue
    assert pixel(raw, w, 9, 9)[3] == 0
    assert pixel(raw, w, 0, 0)[:3] == (255, 255, 255)
    edge = pixel(raw, w, 1, 0)  # the triangle's hypotenuse cuts this pixel: blended
    assert edge[3] == 255 and 0 < edge[1] < 255


@pytest.mark.parametrize(
    "element",
    [
        '<path d="M0 0 L1 1"/>',
        '<rect x="0" y="0" width="1" height="1" rx="1"/>',
        '<rect x="0" y="0" width="1" height="1" transform="rotate(4)"/>',
        '<circle cx="1" cy="1" r="1" fill="red"/>',
        '<circle cx="1" cy="1" r="1" style="fill:#fff"/>',
        '<polygon points="0,0 1,1" fill="#fff"/>',
        '<rect x="0" y="0" width="1" height="1" fill="#fff" stroke="#000"/>',
    ],
)
def test_rasterizer_refuses_what_it_cannot_draw(element: str) -> None:
    with pytest.raises(ValueError):
        ob.svg_to_png(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4">{element}</svg>', 8
        )


def test_class_svg_is_localized_and_accessible() -> None:
    cls = default_catalog().get("learner")
    svg = ob.class_svg(cls, "ar", "<SPARQL & co>")
    assert '<title id="title">متعلّم: &lt;SPARQL &amp; co&gt;</title>' in svg
    assert 'aria-labelledby="title desc"' in svg
    assert ob.class_svg(cls, "xx", "Lua").count("Learner: Lua") == 1


def test_baked_assertion_images_carry_the_assertion() -> None:
    cat = default_catalog()
    a = award()
    doc = ob.assertion(BASE, a, ALICE, "s")
    png = ob.assertion_png(doc, cat.get("learner"))
    assert json.loads(baking.unbake_png(png)) == doc
    svg = ob.assertion_svg(doc, cat.get("learner"), "fr", "SPARQL")
    assert json.loads(baking.unbake_svg(svg)) == doc
    assert f'verify="{doc["id"]}"' in svg
