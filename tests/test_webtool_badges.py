"""The Open Badges routes through Flask's test client.

Every route of ``webtool/badges.py`` on a store filled by ``webtool.sampledata`` plus awards
written the bot's way (``tests/badgeharness.py``): documents whose ids are the URLs they are
served at, recipients hashed from the user page on the home wiki, evidence links, revocation
(410), baked images that carry exactly the served assertion, OB 3.0 credentials that verify
with the served key and fail after any change, the localized award page (English, Arabic
right-to-left, Japanese), and hostile ids and names that get a clear 4xx and are never echoed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from werkzeug.test import TestResponse

from bot import baking, ob3
from bot import openbadges as ob
from bot.badge_rules import default_catalog
from bot.store import Store
from bot.taxonomy import Taxonomy
from tests.badgeharness import (
    EVENT_TITLE,
    GONE_CLASS,
    GONE_SKILL_CLASS,
    HOSTILE_USER,
    ISSUER,
    MATCHES_PAGE,
    PAGE,
    REVOKE_REASON,
    RTL_USER,
    WIKIS,
    add_awards,
    badge_store,
    write_key,
)
from webtool import sampledata
from webtool.app import create_app
from webtool.config import ConfigError, load_config

BASE = "https://badges.example.org"
CATALOG = default_catalog()
TAXONOMY = Taxonomy.load()


@dataclass
class World:
    url: str
    rows: dict[str, dict[str, Any]]
    key: Path

    def all_awards(self) -> list[dict[str, Any]]:
        return Store(self.url).load_awards()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    directory = tmp_path_factory.mktemp("badges")
    url, rows = badge_store(directory, 80, seed=5)
    return World(url, rows, write_key(directory))


def make_app(world: World, **extra: Any) -> Flask:
    config = {
        "store_url": world.url,
        "cache_seconds": 0,
        "wikis": WIKIS,
        "base_url": BASE,
        "badge_issuer": ISSUER,
        "ob3_key_file": str(world.key),
        **extra,
    }
    return create_app(config)


@pytest.fixture(scope="module")
def app(world: World) -> Flask:
    return make_app(world)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def local(url: str) -> str:
    """The path of one of our document URLs (they all live on BASE)."""
    assert url.startswith(BASE + "/"), url
    return url.removeprefix(BASE)


def get(client: FlaskClient, url: str, status: int = 200, **kwargs: Any) -> TestResponse:
    response = client.get(local(url) if url.startswith("http") else url, **kwargs)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    return response


def ld(client: FlaskClient, url: str, status: int = 200) -> dict[str, Any]:
    response = get(client, url, status)
    assert response.mimetype == "application/ld+json"
    doc: dict[str, Any] = json.loads(response.data)
    return doc


def user_page(row: dict[str, Any]) -> str:
    """The recipient's user page, computed independently of the tool (MediaWiki's encoding)."""
    article = {str(w["id"]): str(w["article_url"]) for w in WIKIS}[row["wiki"]]
    title = "User:" + "_".join(str(row["username"]).split())
    return article + quote(title, safe=";@$!*(),/~:")


def assertion_path(award_id: str, ext: str = "") -> str:
    return f"/badges/assertions/{award_id}{ext}"


# -- issuer ----------------------------------------------------------------------------------------


def test_issuer_profile_is_json_ld_at_its_id(client: FlaskClient) -> None:
    response = get(client, "/badges/issuer")
    assert response.mimetype == "application/ld+json"
    doc = json.loads(response.data)
    assert doc == ob.issuer_profile(BASE, ISSUER["name"], ISSUER["url"], ISSUER["email"])
    assert doc["id"] == BASE + "/badges/issuer"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.cache_control.public and (response.cache_control.max_age or 0) >= 3600
    etag = response.headers["ETag"]
    again = client.get("/badges/issuer", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_plain_json_when_asked(client: FlaskClient) -> None:
    response = get(client, "/badges/issuer", headers={"Accept": "application/json"})
    assert response.mimetype == "application/json"
    assert "Accept" in response.headers["Vary"]
    response = get(client, "/badges/issuer", headers={"Accept": "application/ld+json"})
    assert response.mimetype == "application/ld+json"
    response = get(client, "/badges/issuer", headers={"Accept": "text/html,*/*;q=0.8"})
    assert response.mimetype == "application/ld+json"


def test_issuer_without_email_is_a_clear_503(world: World) -> None:
    client = make_app(world, badge_issuer={**ISSUER, "email": ""}).test_client()
    response = client.get("/badges/issuer")
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert "not configured" in response.get_json()["error"]["message"]


# -- badge classes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in CATALOG.kinds if not k.per_skill], ids=str)
def test_general_classes_and_their_images(client: FlaskClient, kind: Any) -> None:
    url = f"{BASE}/badges/classes/{kind.id}"
    doc = ld(client, url)
    assert doc["id"] == url and doc["type"] == "BadgeClass"
    assert doc["issuer"] == BASE + "/badges/issuer"
    assert doc["name"] == kind.localized("en").name
    assert doc["criteria"]["narrative"] == kind.localized("en").criteria
    assert doc["image"] == url + ".png" == ob.class_image_url(BASE, kind.id)
    png = get(client, doc["image"])
    assert png.mimetype == "image/png" and png.data.startswith(ob.PNG_SIGNATURE)
    assert png.cache_control.max_age == 86_400
    svg = get(client, url + ".svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data


def test_per_skill_class_aligns_to_wikidata(client: FlaskClient) -> None:
    url = f"{BASE}/badges/classes/learner-sparql"
    doc = ld(client, url)
    assert doc["id"] == url
    assert doc["name"] == CATALOG.get("learner").localized("en", "SPARQL").name
    assert doc["alignment"] == [
        {
            "targetName": "SPARQL",
            "targetUrl": "https://www.wikidata.org/wiki/Q54871",
            "targetFramework": "Wikidata",
            "targetCode": "Q54871",
        }
    ]
    assert "sparql" in doc["tags"]
    arabic = ld(client, url + "?uselang=ar")
    assert arabic["id"] == url and arabic["@language"] == "ar"
    assert arabic["name"] == CATALOG.get("learner").localized("ar", "سباركل").name
    svg = get(client, "/badges/classes/learner-sparql.svg?uselang=ja").get_data(as_text=True)
    assert CATALOG.get("learner").localized("ja", "SPARQL").name in svg


def test_class_of_a_retired_skill_stays_published(client: FlaskClient) -> None:
    """The taxonomy dropped the skill, but a badge was awarded for it: its class must stay."""
    doc = ld(client, f"{BASE}/badges/classes/learner-retired-skill")
    assert doc["id"] == f"{BASE}/badges/classes/learner-retired-skill"
    assert "alignment" not in doc
    get(client, "/badges/classes/learner-never-awarded-anywhere", 404)


@pytest.mark.parametrize("name", ["learner", "no-such-class", "mentor-1-sparql", "learner-"])
def test_classes_that_cannot_exist_are_404(client: FlaskClient, name: str) -> None:
    response = get(client, f"/badges/classes/{name}", 404)
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == 404


# -- assertions ------------------------------------------------------------------------------------


def test_every_assertion_in_the_store_is_served_at_its_id(
    client: FlaskClient, world: World
) -> None:
    rows = world.all_awards()
    assert len(rows) >= 10
    for row in rows:
        url = BASE + assertion_path(row["id"])
        if row["revoked"]:
            doc = ld(client, url, 410)
            assert doc["revoked"] is True and doc["id"] == url
            continue
        doc = ld(client, url)
        assert doc["id"] == url and doc["type"] == "Assertion"
        assert doc["verification"] == {"type": "hosted"}
        assert doc["issuedOn"] == row["issued_on"].isoformat() + "T00:00:00Z"
        assert doc["recipient"]["salt"] == row["salt"]
        assert ob.identity_matches(user_page(row), doc["recipient"]), row["username"]
        assert not ob.identity_matches(user_page({**row, "username": "Mallory"}), doc["recipient"])
        badge = ld(client, doc["badge"])
        assert badge["id"] == doc["badge"]
        assert doc["badge"].endswith(
            "/" + (row["badge_class"] + (f"-{row['skill']}" if row["skill"] else ""))
        )
        assert get(client, doc["image"]).mimetype == "image/png"
        assert doc["evidence"], row["id"]


def test_evidence_links_to_the_facts(client: FlaskClient, world: World) -> None:
    def evidence(name: str) -> list[str]:
        doc = ld(client, BASE + assertion_path(world.rows[name]["id"]))
        return [e["id"] for e in doc["evidence"]]

    matches = f"https://meta.wikimedia.org/wiki/{MATCHES_PAGE}"
    entry_page = "https://meta.wikimedia.org/wiki/" + PAGE.replace(" ", "_")
    assert evidence("learner") == [matches + "#M3F2A9C01BD"]
    assert evidence("mentor") == [f"{matches}#M{i}" for i in (1, 2, 3)]
    assert evidence("peer") == [matches + "#P77"]
    assert evidence("event") == [entry_page]
    assert evidence("needs") == [entry_page]
    assert evidence("hostile") == [BASE + "/events"]
    sample = next(
        r for r in world.all_awards() if not r["revoked"] and isinstance(r["evidence"][0], dict)
    )
    doc = ld(client, BASE + assertion_path(sample["id"]))
    assert doc["evidence"][0]["id"] == f"{matches}#{sample['evidence'][0]['match']}"


def test_identity_on_the_home_wiki(client: FlaskClient, world: World) -> None:
    """Heidi's home wiki is jawiki; سارة's is a local wiki that reads titles from ?title=."""
    heidi = ld(client, BASE + assertion_path(world.rows["event"]["id"]))
    assert ob.identity_matches("https://ja.wikipedia.org/wiki/User:Heidi", heidi["recipient"])
    sara = ld(client, BASE + assertion_path(world.rows["peer"]["id"]))
    expected = "http://127.0.0.1:9/index.php?title=User:%D8%B3%D8%A7%D8%B1%D8%A9"
    assert ob.identity_matches(expected, sara["recipient"])


def test_revoked_award_answers_410_everywhere(client: FlaskClient, world: World) -> None:
    row = world.rows["revoked"]
    url = BASE + assertion_path(row["id"])
    doc = ld(client, url, 410)
    assert doc == {
        "@context": ob.OB2_CONTEXT,
        "type": "Assertion",
        "id": url,
        "revoked": True,
        "revocationReason": REVOKE_REASON,
    }
    for ext in (".png", ".svg"):
        assert get(client, assertion_path(row["id"], ext), 410).get_json()["revoked"] is True
    gone = get(client, f"/badges/credentials/{row['id']}", 410)
    assert "revoked" in gone.get_json()["error"]["message"]


def test_baked_images_carry_the_served_assertion(client: FlaskClient, world: World) -> None:
    for name, row in world.rows.items():
        if row["revoked"]:
            continue
        served = ld(client, BASE + assertion_path(row["id"]))
        png = get(client, assertion_path(row["id"], ".png"))
        assert png.mimetype == "image/png"
        assert json.loads(baking.unbake_png(png.data)) == served, name
        svg = get(client, assertion_path(row["id"], ".svg"))
        assert svg.mimetype == "image/svg+xml"
        text = svg.get_data(as_text=True)
        assert json.loads(baking.unbake_svg(text)) == served, name
        assert f'verify="{served["id"]}"' in text


def test_unknown_assertion_is_404(client: FlaskClient) -> None:
    for ext in ("", ".png", ".svg"):
        get(client, assertion_path("0" * 32, ext), 404)
    get(client, "/badges/awards/" + "0" * 32, 404)
    get(client, "/badges/credentials/" + "0" * 32, 404)


# -- Open Badges 3.0 -------------------------------------------------------------------------------


def pem_from_jwk(jwk: dict[str, Any]) -> bytes:
    """The served JWK as a PEM, read by PyJWT (not the jwcrypto the tool exports it with)."""
    key = jwt.PyJWK(jwk).key
    return bytes(
        key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def test_credential_verifies_with_the_served_key(client: FlaskClient, world: World) -> None:
    row = world.rows["learner"]
    response = get(client, f"/badges/credentials/{row['id']}")
    assert response.mimetype == "text/plain"  # OB 3.0 §5.3.1: SHOULD be text/plain
    token = response.get_data(as_text=True)
    kid = ob3.token_header(token)["kid"]
    assert kid.startswith(BASE + "/badges/issuer/keys/")
    jwk = get(client, kid).get_json()
    assert jwk["kid"] == kid and jwk["kty"] == "EC" and jwk["crv"] == "P-256"
    assert ob3.token_header(token)["alg"] == jwk["alg"] == "ES256"
    assert get(client, "/badges/issuer/jwks.json").get_json() == {"keys": [jwk]}
    members = json.dumps(
        {"crv": "P-256", "kty": "EC", "x": jwk["x"], "y": jwk["y"]}, separators=(",", ":")
    )
    thumb = base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=")
    assert kid.rsplit("/", 1)[1] == thumb.decode()

    cred = ob3.verify_credential(token, pem_from_jwk(jwk))
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["issuer"]["id"] == BASE + "/badges/issuer"
    assert cred["issuer"]["name"] == ISSUER["name"]
    achievement = cred["credentialSubject"]["achievement"]
    assert achievement["id"] == BASE + "/badges/classes/learner-sparql"
    assert achievement["alignment"][0]["targetCode"] == "Q54871"
    identity = cred["credentialSubject"]["identifier"][0]
    assert identity["identityHash"] == ob.hash_identity(user_page(row), row["salt"])
    served = ld(client, BASE + assertion_path(row["id"]))
    assert [e["id"] for e in cred["evidence"]] == [e["id"] for e in served["evidence"]]

    header, payload, signature = token.split(".")
    for i, part in enumerate((header, payload, signature)):
        middle = len(part) // 2
        flipped = part[:middle] + ("A" if part[middle] != "A" else "B") + part[middle + 1 :]
        parts = [header, payload, signature]
        parts[i] = flipped
        with pytest.raises(ob3.CredentialError):
            ob3.verify_credential(".".join(parts), pem_from_jwk(jwk))
    with pytest.raises(ob3.CredentialError):
        ob3.verify_credential(token, ob3.generate_key()[1])


def test_credential_language(client: FlaskClient, world: World) -> None:
    row = world.rows["learner"]
    token = get(client, f"/badges/credentials/{row['id']}?uselang=fr").get_data(as_text=True)
    payload = token.split(".")[1]
    cred = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert cred["credentialSubject"]["achievement"]["inLanguage"] == "fr"
    assert cred["name"] == CATALOG.get("learner").localized("fr", "SPARQL").name


def test_revocation_list_names_credentials_revoked_later(tmp_path: Path) -> None:
    """A token downloaded while the award was valid stops verifying once the bot revokes it."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = Store(url)
    store.create_schema()
    rows = add_awards(store)
    client = make_app(World(url, rows, write_key(tmp_path))).test_client()
    public = pem_from_jwk(get(client, "/badges/issuer/jwks.json").get_json()["keys"][0])
    tokens = {
        name: get(client, f"/badges/credentials/{rows[name]['id']}").get_data(as_text=True)
        for name in ("learner", "mentor")
    }
    status = {"id": BASE + "/badges/revocations", "type": "1EdTechRevocationList"}
    for token in tokens.values():
        assert ob3.verify_credential(token, public)["credentialStatus"] == status

    response = get(client, status["id"])
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    before = response.get_json()
    assert before["id"] == status["id"] and before["issuer"] == BASE + "/badges/issuer"
    assert (
        before["revokedCredentials"]
        == before["revokedCredential"]
        == [
            {
                "id": ob3.credential_id(rows["revoked"]["id"]),
                "revoked": True,
                "revocationReason": REVOKE_REASON,
            }
        ]
    )
    for token in tokens.values():
        assert ob3.verify_credential(token, public, revocation_list=before)

    learner = rows["learner"]
    with store.transaction() as conn:  # the bot's next run revokes the learner's award
        store.save_award(
            conn, {**learner, "revoked": True, "revocation_reason": "Mentorship withdrawn"}
        )
    store.finish_run(store.begin_run(), "ok", {})
    after = get(client, "/badges/revocations").get_json()
    assert {
        "id": ob3.credential_id(learner["id"]),
        "revoked": True,
        "revocationReason": "Mentorship withdrawn",
    } in after["revokedCredential"]
    assert ob3.credential_id(rows["mentor"]["id"]) not in {
        e["id"] for e in after["revokedCredentials"]
    }
    with pytest.raises(ob3.CredentialRevokedError, match="Mentorship withdrawn"):
        ob3.verify_credential(tokens["learner"], public, revocation_list=after)
    assert ob3.verify_credential(tokens["mentor"], public, revocation_list=after)
    get(client, f"/badges/credentials/{learner['id']}", 410)
    store.engine.dispose()


def test_revocation_list_needs_no_signing_key(world: World) -> None:
    client = make_app(world, ob3_key_file="").test_client()
    doc = get(client, "/badges/revocations").get_json()
    assert ob3.credential_id(world.rows["revoked"]["id"]) in {
        e["id"] for e in doc["revokedCredentials"]
    }


def test_no_key_configured(world: World, tmp_path: Path) -> None:
    row = world.rows["learner"]
    signed = make_app(world).test_client()
    token = get(signed, f"/badges/credentials/{row['id']}").get_data(as_text=True)
    client = make_app(world, ob3_key_file="").test_client()
    response = get(client, f"/badges/credentials/{row['id']}", 404)
    assert response.mimetype == "application/json"
    assert "has not configured a signing key" in response.get_json()["error"]["message"]
    # credentials signed before the key was removed stay checkable: their key stays published
    keys = get(client, "/badges/issuer/jwks.json").get_json()
    assert ob3.verify_credential(token, keys)["id"] == ob3.credential_id(row["id"])
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    Store(empty).create_schema()
    get(
        make_app(World(empty, {}, world.key), ob3_key_file="").test_client(),
        "/badges/issuer/jwks.json",
        404,
    )
    page = get(client, f"/badges/awards/{row['id']}").get_data(as_text=True)
    assert "/badges/credentials/" not in page and "/badges/issuer/jwks.json" not in page
    assert assertion_path(row["id"], ".png") in page  # the rest of the page is all there


def test_key_from_the_environment_signs_without_a_file(world: World) -> None:
    """Toolforge's web service mounts no files: the PEM itself may come from an envvar."""
    pem = world.key.read_text(encoding="utf-8")
    config = load_config(None, environ={"SKILLMATCH_OB3_KEY": pem})
    assert config.ob3_key == pem and pem not in repr(config)  # never printed
    client = make_app(world, ob3_key_file="", ob3_key=pem).test_client()
    row = world.rows["learner"]
    token = get(client, f"/badges/credentials/{row['id']}").get_data(as_text=True)
    jwk = get(client, "/badges/issuer/jwks.json").get_json()["keys"][0]
    assert ob3.verify_credential(token, pem_from_jwk(jwk))["credentialSubject"]
    assert jwk == get(client, ob3.token_header(token)["kid"]).get_json()
    broken = make_app(world, ob3_key_file="", ob3_key="not a key").test_client()
    response = get(broken, f"/badges/credentials/{row['id']}", 503)
    assert "not a key" not in response.get_data(as_text=True)


def test_unusable_key_is_a_503_that_hides_the_path(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "secret-name-not-a-key.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    for path in (bad, tmp_path / "missing.pem"):
        client = make_app(world, ob3_key_file=str(path)).test_client()
        row = world.rows["learner"]
        response = get(client, f"/badges/credentials/{row['id']}", 503)
        assert "cannot be read" in response.get_json()["error"]["message"]
        assert str(tmp_path) not in response.get_data(as_text=True)
        page = get(client, f"/badges/awards/{row['id']}").get_data(as_text=True)
        assert "/badges/credentials/" not in page


# -- the award page --------------------------------------------------------------------------------


def page(client: FlaskClient, award_id: str, query: str = "") -> str:
    response = get(client, f"/badges/awards/{award_id}{query}")
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert "⧼" not in body, "a message key is missing"
    return body


def test_award_page_in_english(client: FlaskClient, world: World) -> None:
    row = world.rows["learner"]
    body = page(client, row["id"])
    text = CATALOG.get("learner").localized("en", "SPARQL")
    assert '<html lang="en" dir="ltr">' in body
    assert f"<h1>{text.name}</h1>" in body
    assert str(escape(text.description)) in body and str(escape(text.criteria)) in body
    assert f'<a href="{user_page(row)}"><bdi>Alice Example</bdi></a>' in body
    assert f'<time datetime="{row["issued_on"].isoformat()}">' in body
    assert f'href="https://meta.wikimedia.org/wiki/{MATCHES_PAGE}#M3F2A9C01BD"' in body
    assert "Completed mentorship M3F2A9C01BD" in body
    assert ">Valid</span>" in body and "Add this badge to your backpack" in body
    for href in (
        assertion_path(row["id"]),
        assertion_path(row["id"], ".png"),
        assertion_path(row["id"], ".svg"),
        f"/badges/credentials/{row['id']}",
        "/badges/classes/learner-sparql",
        "/badges/issuer",
        "/badges/issuer/jwks.json",
    ):
        assert f'href="{href}"' in body, href
    assert f'<code class="copy" dir="ltr">{BASE}{assertion_path(row["id"])}</code>' in body
    assert 'src="/badges/classes/learner-sparql.svg"' in body
    assert 'alt="Badge image: ' in body


def test_award_page_in_arabic_is_right_to_left(client: FlaskClient, world: World) -> None:
    row = world.rows["peer"]
    body = page(client, row["id"], "?uselang=ar")
    assert '<html lang="ar" dir="rtl">' in body
    name = CATALOG.get("peer-exchange").localized("ar", TAXONOMY.label("lua", "ar")).name
    assert f"<h1>{name}</h1>" in body
    assert f"<bdi>{RTL_USER}</bdi>" in body
    assert "الأدلة" in body and "أضف هذه الشارة إلى حقيبتك" in body
    assert 'src="/badges/classes/peer-exchange-lua.svg?uselang=ar"' in body
    assert "?uselang=ar" in body.split('award-facts">')[1].split("</dl>")[0]


def test_award_page_in_japanese_names_the_event(client: FlaskClient, world: World) -> None:
    row = world.rows["event"]
    body = page(client, row["id"], "?uselang=ja")
    assert '<html lang="ja" dir="ltr">' in body
    assert f"<h1>{CATALOG.get('event-offline').localized('ja').name}</h1>" in body
    assert "Wikidata day &lt;b&gt;Nairobi&lt;/b&gt;" in body and EVENT_TITLE not in body
    assert "https://ja.wikipedia.org/wiki/User:Heidi" in body


def test_revoked_award_page_says_so(client: FlaskClient, world: World) -> None:
    row = world.rows["revoked"]
    body = page(client, row["id"])
    assert 'class="award award-revoked"' in body
    assert "This badge has been revoked" in body
    assert "<script>" not in body
    assert '<bdi lang="en">Mentorship withdrawn &lt;script&gt;alert(1)&lt;/script&gt;</bdi>' in body
    assert "Add this badge to your backpack" not in body
    assert assertion_path(row["id"], ".png") not in body
    assert f'href="{assertion_path(row["id"])}"' in body


def test_hostile_names_are_escaped(client: FlaskClient, world: World) -> None:
    row = world.rows["hostile"]
    body = page(client, row["id"])
    assert "<img src=x" not in body and "<script>x" not in body
    assert "<bdi>&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</bdi>" in body
    doc = ld(client, BASE + assertion_path(row["id"]))
    assert HOSTILE_USER not in json.dumps(doc)  # only the salted hash names the recipient
    assert ob.identity_matches(user_page(row), doc["recipient"])


def test_person_page_links_to_award_pages(client: FlaskClient, world: World) -> None:
    row = world.rows["learner"]
    body = get(client, "/people/Alice_Example?uselang=ar").get_data(as_text=True)
    assert f'href="/badges/awards/{row["id"]}?uselang=ar"' in body


# -- classes removed from the configuration -------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "class_id", "skill"),
    [("gone", GONE_CLASS, None), ("gone-skill", f"{GONE_SKILL_CLASS}-lua", "lua")],
)
def test_awards_of_a_removed_class_stay_published(
    client: FlaskClient, world: World, name: str, class_id: str, skill: str | None
) -> None:
    """config/badges.yaml dropped the class after the bot awarded it: the award page, the
    assertion, the class it points at, the images and the credential all keep answering,
    with generic texts in the reader's language."""
    row = world.rows[name]
    with pytest.raises(KeyError):
        CATALOG.get(row["badge_class"])
    suffix = f": {TAXONOMY.label(skill, 'en')}" if skill else ""
    english = f"Badge {row['badge_class']}{suffix}"

    assertion = ld(client, BASE + assertion_path(row["id"]))
    assert assertion["badge"] == f"{BASE}/badges/classes/{class_id}"
    badge = ld(client, assertion["badge"])
    assert badge["id"] == assertion["badge"] and badge["issuer"] == BASE + "/badges/issuer"
    assert badge["name"] == english
    assert "no longer awarded" in badge["description"]
    assert "no longer awarded" in badge["criteria"]["narrative"]
    assert badge["tags"][-1:] == ([skill] if skill else ["wikimedia"])
    png = get(client, badge["image"])
    assert png.mimetype == "image/png" and png.data.startswith(ob.PNG_SIGNATURE)
    svg = get(client, local(assertion["badge"]) + ".svg?uselang=fr").get_data(as_text=True)
    assert "n’est plus décerné" in svg and "<svg" in svg
    french = ld(client, assertion["badge"] + "?uselang=fr")
    assert french["id"] == badge["id"] and french["@language"] == "fr"

    baked = get(client, assertion_path(row["id"], ".png"))
    assert json.loads(baking.unbake_png(baked.data)) == assertion
    baked_svg = get(client, assertion_path(row["id"], ".svg")).get_data(as_text=True)
    assert json.loads(baking.unbake_svg(baked_svg)) == assertion

    body = page(client, row["id"])
    assert f"<h1>{english}</h1>" in body
    assert f'src="/badges/classes/{class_id}.svg"' in body
    japanese = page(client, row["id"], "?uselang=ja")
    assert "現在は授与されていない種類" in japanese

    token = get(client, f"/badges/credentials/{row['id']}").get_data(as_text=True)
    jwk = get(client, "/badges/issuer/jwks.json").get_json()["keys"][0]
    achievement = ob3.verify_credential(token, pem_from_jwk(jwk))["credentialSubject"][
        "achievement"
    ]
    assert achievement["id"] == badge["id"] and achievement["name"] == english


def test_removed_classes_answer_only_for_what_was_awarded(client: FlaskClient) -> None:
    get(client, f"/badges/classes/{GONE_SKILL_CLASS}-sparql", 404)  # never awarded for SPARQL
    get(client, f"/badges/classes/{GONE_SKILL_CLASS}", 404)  # it was a per-skill class
    get(client, f"/badges/classes/{GONE_CLASS}-lua", 404)  # it was a general class
    get(client, f"/badges/classes/{GONE_CLASS}.png")


def test_person_page_names_badges_of_removed_classes(client: FlaskClient) -> None:
    body = get(client, "/people/Frank").get_data(as_text=True)
    assert f"Badge {GONE_SKILL_CLASS}: {TAXONOMY.label('lua', 'en')}" in body


# -- hostile requests ------------------------------------------------------------------------------

HOSTILE_PATHS = [
    "/badges/assertions/<script>alert(1)</script>",
    "/badges/assertions/" + "a" * 10_000,
    "/badges/assertions/" + "a" * 65,
    "/badges/assertions/..%2F..%2Fissuer",
    "/badges/assertions/%2e%2e",
    "/badges/assertions/x.png.svg",
    "/badges/assertions/abc.json",
    "/badges/assertions/%00",
    "/badges/assertions/%F0%9F%98%80.png",
    "/badges/awards/<script>alert(1)</script>",
    "/badges/awards/" + "%C3%A9" * 3000,
    "/badges/awards/..",
    "/badges/awards/0'%20OR%20'1'='1",
    "/badges/classes/learner-<svg onload=alert(1)>",
    "/badges/classes/learner-" + "a" * 5000,
    "/badges/classes/..%2Fissuer",
    "/badges/classes/learner-sparql.exe",
    "/badges/classes/LEARNER",
    "/badges/classes/learner-sparql.png.png",
    "/badges/credentials/<script>alert(1)</script>",
    "/badges/credentials/%0d%0aSet-Cookie:x=1",
    "/badges/issuer/keys/<script>alert(1)</script>",
    "/badges/issuer/keys/" + "A" * 43,
    "/badges/nothing-here",
    "/badges/assertions/",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS, ids=lambda p: p[:60])
def test_hostile_paths_are_a_clear_4xx(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    body = response.get_data(as_text=True)
    for needle in ("<script", "onload", "<svg onload", "Set-Cookie", "OR '1'"):
        assert needle not in body, needle
    assert "x=1" not in response.headers.get("Set-Cookie", "")
    assert len(body) < 20_000


def test_hostile_query_is_not_reflected(client: FlaskClient, world: World) -> None:
    award_id = world.rows["learner"]["id"]
    body = page(client, award_id, "?uselang=%3Cscript%3Ealert(1)%3C/script%3E&x=%3Cb%3E")
    assert "<script>alert" not in body and "<b>" not in body
    response = client.get(assertion_path(award_id) + "?uselang=<script>")
    assert response.status_code == 200 and b"<script>" not in response.data


def test_writes_are_refused(client: FlaskClient, world: World) -> None:
    award_id = world.rows["learner"]["id"]
    for path in (assertion_path(award_id), f"/badges/awards/{award_id}", "/badges/issuer"):
        assert client.post(path).status_code == 405
        assert client.delete(path).status_code == 405


def test_head_works_for_documents(client: FlaskClient, world: World) -> None:
    response = client.head(assertion_path(world.rows["learner"]["id"], ".png"))
    assert response.status_code == 200 and response.mimetype == "image/png"


# -- configuration ---------------------------------------------------------------------------------


def test_issuer_and_matches_page_come_from_the_operator_file() -> None:
    config = load_config(None, environ={})  # config/skillmatch.yaml, shared with the bot
    assert config.issuer_name == "SkillMatch (Wikimedia skill-sharing)"
    assert config.issuer_email == "skillmatch.badges@toolforge.org"
    assert config.issuer_url == "https://skillmatch.toolforge.org"
    assert config.wikis[0].matches_page == "Skill-sharing/Matches"
    assert config.ob3_key_file == ""


def test_signing_key_from_env_or_webtool_section(tmp_path: Path) -> None:
    env = {"SKILLMATCH_OB3_KEY_FILE": "/srv/keys/ob3.pem"}
    assert load_config(None, environ=env).ob3_key_file == "/srv/keys/ob3.pem"
    operator = tmp_path / "operator.yaml"
    operator.write_text(
        "store: sqlite:////tmp/x.db\n"
        "badge_issuer: {name: Local issuer, url: 'https://example.org', email: a@example.org}\n"
        "wikis:\n"
        "  meta: {family: meta, code: meta, lang: en, signup_pages: [S],"
        " pages: {matches: M/Matches}}\n"
        "webtool:\n"
        "  ob3_key_file: /home/tool/ob3.pem\n"
        "  badge_issuer: {email: other@example.org}\n"
    )
    config = load_config(None, environ={"SKILLMATCH_CONFIG": str(operator)})
    assert config.ob3_key_file == "/home/tool/ob3.pem"
    assert (config.issuer_name, config.issuer_email) == ("Local issuer", "other@example.org")
    assert config.wikis[0].matches_page == "M/Matches"
    overridden = load_config(
        {"badge_issuer": {"name": "Code"}}, environ={"SKILLMATCH_CONFIG": str(operator)}
    )
    assert overridden.issuer_name == "Code" and overridden.issuer_url == "https://example.org"
    with pytest.raises(ConfigError):
        load_config({"badge_issuer": "SkillMatch"}, environ={})
    with pytest.raises(ConfigError):
        load_config({"badge_issuer": {"logo": "x"}}, environ={})


# -- both store backends ---------------------------------------------------------------------------


def test_badge_routes_on_this_backend(db_url: str, tmp_path: Path) -> None:
    """The award reads (one award, a class's awards, evidence sources) on SQLite and MariaDB."""
    store = Store(db_url)
    store.create_schema()
    sampledata.populate(store, 40, seed=9, today=date.today())
    rows = add_awards(store)
    store.engine.dispose()
    world = World(db_url, rows, write_key(tmp_path))
    client = make_app(world).test_client()
    for row in world.all_awards():
        url = BASE + assertion_path(row["id"])
        doc = ld(client, url, 410 if row["revoked"] else 200)
        assert doc["id"] == url
        if not row["revoked"]:
            assert ob.identity_matches(user_page(row), doc["recipient"])
            png = get(client, assertion_path(row["id"], ".png")).data
            assert json.loads(baking.unbake_png(png)) == doc
        assert "⧼" not in page(client, row["id"])
    assert ld(client, BASE + assertion_path(rows["event"]["id"]))["evidence"][0]["id"].endswith(
        PAGE.replace(" ", "_")
    )
    ld(client, f"{BASE}/badges/classes/learner-retired-skill")
    token = get(client, f"/badges/credentials/{rows['learner']['id']}").get_data(as_text=True)
    jwk = get(client, "/badges/issuer/jwks.json").get_json()["keys"][0]
    assert ob3.verify_credential(token, pem_from_jwk(jwk))["credentialSubject"]
