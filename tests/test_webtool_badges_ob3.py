"""Open Badges 3.0 conformance through the web tool, checked with tools the tool does not use.

* Every credential a demo-like store (``webtool.sampledata`` plus the harness's named awards)
  issues validates against 1EdTech's official AchievementCredential JSON Schema (vendored in
  ``tests/data/ob3``, see its README), verifies with PyJWT (the tool signs with jwcrypto)
  against the served JWKS, and its JWT ``sub``/``iss``/``nbf``/``jti`` match the body.
* Revoked awards are named in the published revocation list.
* Baked OB 3.0 PNG and SVG: the credential extracted from the image verifies; a tampered one
  does not.
* Key rotation on SQLite and MariaDB: after the operator switches keys, old credentials
  still verify (their key stays in the JWKS), new ones use the new key, and a withdrawn key
  leaves the JWKS so its credentials stop verifying, as the README documents.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot import baking, ob3
from bot.store import Store
from tests.badgeharness import ISSUER, WIKIS, add_awards, badge_store, write_key
from webtool import sampledata

BASE = "https://badges.example.org"
SCHEMA_FILE = Path(__file__).parent / "data" / "ob3" / "ob_v3p0_achievementcredential_schema.json"
JWT_CLAIMS = ("iss", "jti", "nbf", "sub", "exp")


def make_app(url: str, key: Path | None, **extra: Any) -> Flask:
    from webtool.app import create_app

    return create_app(
        {
            "store_url": url,
            "cache_seconds": 0,
            "wikis": WIKIS,
            "base_url": BASE,
            "badge_issuer": ISSUER,
            "ob3_key_file": str(key) if key else "",
            **extra,
        }
    )


def path_of(url: str) -> str:
    assert url.startswith(BASE + "/"), url
    return url.removeprefix(BASE)


def fetch(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(path_of(url) if url.startswith("http") else url)
    assert response.status_code == status, (url, response.status_code, response.data[:300])
    return response


def pyjwt_verify(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """Verify as an outside verifier would: PyJWT, key picked from the JWKS by ``kid``."""
    kid = jwt.get_unverified_header(token)["kid"]
    keys = {k["kid"]: k for k in jwks["keys"]}
    if kid not in keys:
        raise jwt.InvalidKeyError(f"the JWKS does not publish {kid}")
    key = jwt.PyJWK(keys[kid])
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["ES256", "RS256"], options={"require": ["iss", "sub", "jti"]}
    )
    return claims


def check_claims_against_body(claims: dict[str, Any]) -> None:
    assert claims["iss"] == claims["issuer"]["id"]
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert claims["jti"] == claims["id"]
    valid_from = datetime.fromisoformat(claims["validFrom"].replace("Z", "+00:00"))
    assert claims["nbf"] == int(valid_from.timestamp())
    assert valid_from.tzinfo is not None and valid_from <= datetime.now(UTC)


def schema_validator() -> jsonschema.protocols.Validator:
    """The vendored AchievementCredential schema, as the draft it declares (2019-09)."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    assert cls is jsonschema.Draft201909Validator
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    return schema_validator()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    directory = tmp_path_factory.mktemp("ob3")
    url, _rows = badge_store(directory, 80, seed=11)
    return url, write_key(directory)


def test_every_issued_credential_conforms(
    demo: tuple[str, Path], validator: jsonschema.protocols.Validator
) -> None:
    url, key = demo
    client = make_app(url, key).test_client()
    jwks = fetch(client, "/badges/issuer/jwks.json").get_json()
    revocations = fetch(client, "/badges/revocations").get_json()
    # as 1EdTech's validator reads it: revokedCredential, revoked true or omitted
    listed = {e["id"] for e in revocations["revokedCredential"] if e.get("revoked", True)}
    assert revocations["revokedCredentials"] == revocations["revokedCredential"]
    awards = Store(url).load_awards()
    valid = [a for a in awards if not a["revoked"]]
    revoked = [a for a in awards if a["revoked"]]
    assert len(valid) >= 10 and revoked, "the demo-like store has valid and revoked awards"
    assert len({a["badge_class"] for a in valid}) >= 5, "many kinds of badge"
    subjects: dict[tuple[str, str], str] = {}
    for award in valid:
        response = fetch(client, f"/badges/credentials/{award['id']}")
        assert response.mimetype == "text/plain"
        token = response.get_data(as_text=True)
        claims = pyjwt_verify(token, jwks)
        check_claims_against_body(claims)
        # as 1EdTech's validator (ExternalProofProbe) does it: dereference the kid URL to a JWK
        kid_jwk = fetch(client, jwt.get_unverified_header(token)["kid"]).get_json()
        assert jwt.decode(token, jwt.PyJWK(kid_jwk).key, algorithms=["ES256"]) == claims
        body = {k: v for k, v in claims.items() if k not in JWT_CLAIMS}
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, (award["id"], [f"{list(e.path)}: {e.message}" for e in errors[:5]])
        assert not list(validator.iter_errors(claims))  # the JWT payload as a whole, too
        assert body["@context"][2] == ob3.EXTENSIONS_CONTEXT
        assert body["credentialSchema"][0]["type"] == "1EdTechJsonSchemaValidator2019"
        assert body["credentialStatus"]["id"] == revocations["id"]
        assert body["id"] not in listed
        assert ob3.verify_credential(token, jwks, revocation_list=revocations)["id"] == body["id"]
        # one opaque subject id per recipient, whatever the badge
        who = (award["wiki"], award["username"])
        assert subjects.setdefault(who, claims["sub"]) == claims["sub"]
        assert award["username"] not in claims["sub"]
    assert len(set(subjects.values())) == len(subjects)
    for award in revoked:
        fetch(client, f"/badges/credentials/{award['id']}", 410)
        assert ob3.credential_id(award["id"]) in listed


def test_broken_credentials_fail_the_schema(validator: jsonschema.protocols.Validator) -> None:
    """The vendored schema is not vacuous: it rejects what the spec forbids."""
    good = {
        "@context": [ob3.VC_CONTEXT, ob3.OB3_CONTEXT],
        "id": "urn:uuid:0c4b8f64-7a1e-5d0c-9b57-6b1d2f3a9e10",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": BASE + "/badges/issuer", "type": ["Profile"]},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": BASE + "/badges/classes/x",
                "type": ["Achievement"],
                "name": "X",
                "description": "X",
                "criteria": {"narrative": "X"},
            },
        },
    }
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "@context": [ob3.VC_CONTEXT]})
    assert not validator.is_valid({**good, "type": ["VerifiableCredential"]})
    assert not validator.is_valid({k: v for k, v in good.items() if k != "validFrom"})
    assert not validator.is_valid({**good, "credentialSubject": {"type": ["AchievementSubject"]}})


def test_issuer_profile_document(demo: tuple[str, Path]) -> None:
    url, key = demo
    client = make_app(url, key).test_client()
    response = fetch(client, "/badges/issuer/profile")
    assert response.mimetype == "application/ld+json"
    doc = json.loads(response.data)
    assert doc["@context"] == [ob3.VC_CONTEXT, ob3.OB3_CONTEXT]
    assert doc["type"] == ["Profile"] and doc["id"] == BASE + "/badges/issuer"
    assert doc["name"] == ISSUER["name"] and doc["email"] == ISSUER["email"]
    award = next(a for a in Store(url).load_awards() if not a["revoked"])
    token = fetch(client, f"/badges/credentials/{award['id']}").get_data(as_text=True)
    embedded = jwt.decode(token, options={"verify_signature": False})["issuer"]
    assert {k: v for k, v in doc.items() if k != "@context"} == embedded


def test_baked_credentials_verify_and_tampering_fails(demo: tuple[str, Path]) -> None:
    url, key = demo
    client = make_app(url, key).test_client()
    jwks = fetch(client, "/badges/issuer/jwks.json").get_json()
    award = next(a for a in Store(url).load_awards() if not a["revoked"])
    token = fetch(client, f"/badges/credentials/{award['id']}").get_data(as_text=True)
    png = fetch(client, f"/badges/credentials/{award['id']}.png")
    assert png.mimetype == "image/png"
    svg = fetch(client, f"/badges/credentials/{award['id']}.svg")
    assert svg.mimetype == "image/svg+xml"
    svg_text = svg.get_data(as_text=True)
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in svg_text
    signed_part = token.rsplit(".", 1)[0]  # ECDSA signatures differ per signing; the rest not
    assert f'<openbadges:credential verify="{signed_part}.' in svg_text
    assert b"iTXt" in png.data and b"openbadgecredential\x00\x00\x00\x00\x00" in png.data
    for extracted in (
        baking.unbake_credential_png(png.data),
        baking.unbake_credential_svg(svg_text),
    ):
        assert extracted.rsplit(".", 1)[0] == signed_part
        assert pyjwt_verify(extracted, jwks)["jti"] == ob3.credential_id(award["id"])

    # tamper: change the badge name inside the payload, re-encode, bake again
    head, _payload, sig = token.split(".")
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["credentialSubject"]["achievement"]["name"] = "Forged badge"
    forged_payload = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    forged = f"{head}.{forged_payload}.{sig}"
    for baked in (
        baking.unbake_credential_png(baking.bake_credential_png(png.data, forged)),
        baking.unbake_credential_svg(baking.bake_credential_svg(svg_text, forged)),
    ):
        assert baked == forged
        with pytest.raises(jwt.InvalidSignatureError):
            pyjwt_verify(baked, jwks)
        with pytest.raises(ob3.CredentialError):
            ob3.verify_credential(baked, jwks)
    # a flipped byte in the PNG's chunk is caught by the chunk CRC
    broken = bytearray(png.data)
    broken[png.data.index(b"openbadgecredential") + 30] ^= 0x01
    with pytest.raises(baking.BakingError):
        baking.unbake_credential_png(bytes(broken))
    # the award page offers both OB 3.0 images next to the OB 2.0 ones
    page = fetch(client, f"/badges/awards/{award['id']}").get_data(as_text=True)
    for ext in (".png", ".svg"):
        assert f"/badges/credentials/{award['id']}{ext}" in page
        assert f"/badges/assertions/{award['id']}{ext}" in page


def test_key_rotation(db_url: str, tmp_path: Path) -> None:
    """The README's rotation procedure, on this backend."""
    store = Store(db_url)
    store.create_schema()
    sampledata.populate(store, 30, seed=3, today=datetime.now(UTC).date())
    rows = add_awards(store)
    award_id = rows["learner"]["id"]
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    old_key, new_key = write_key(tmp_path / "old"), write_key(tmp_path / "new")
    old_thumb = ob3.jwk_thumbprint(ob3.public_key_pem(old_key.read_bytes()))
    new_thumb = ob3.jwk_thumbprint(ob3.public_key_pem(new_key.read_bytes()))

    before = make_app(db_url, old_key).test_client()
    old_token = fetch(before, f"/badges/credentials/{award_id}").get_data(as_text=True)
    assert jwt.get_unverified_header(old_token)["kid"].endswith("/" + old_thumb)

    # 1. the operator points the tool at the new key and restarts it
    after = make_app(db_url, new_key).test_client()
    new_token = fetch(after, f"/badges/credentials/{award_id}").get_data(as_text=True)
    assert jwt.get_unverified_header(new_token)["kid"].endswith("/" + new_thumb)
    jwks = fetch(after, "/badges/issuer/jwks.json").get_json()
    assert {k["kid"].rsplit("/", 1)[1] for k in jwks["keys"]} == {old_thumb, new_thumb}
    assert jwks["keys"][0]["kid"].endswith(new_thumb)  # the active key first
    for token in (old_token, new_token):
        claims = pyjwt_verify(token, jwks)
        check_claims_against_body(claims)
        assert ob3.verify_credential(token, jwks)["jti"] == ob3.credential_id(award_id)
    assert claims["sub"] == pyjwt_verify(old_token, jwks)["sub"]  # same recipient, same id
    fetch(after, f"/badges/issuer/keys/{old_thumb}")  # the old kid still dereferences

    # 2. later, the operator withdraws the retired key: its credentials stop verifying
    assert store.withdraw_signing_key(old_thumb)
    assert not store.withdraw_signing_key("no-such-key")
    jwks = fetch(after, "/badges/issuer/jwks.json").get_json()
    assert [k["kid"].rsplit("/", 1)[1] for k in jwks["keys"]] == [new_thumb]
    fetch(after, f"/badges/issuer/keys/{old_thumb}", 404)
    with pytest.raises(jwt.InvalidKeyError):
        pyjwt_verify(old_token, jwks)
    with pytest.raises(ob3.CredentialError, match="does not publish"):
        ob3.verify_credential(old_token, jwks)
    assert pyjwt_verify(new_token, jwks)["jti"] == ob3.credential_id(award_id)
    # a restart with the old key by mistake neither signs with it nor brings it back
    mistaken = make_app(db_url, old_key).test_client()
    fetch(mistaken, f"/badges/credentials/{award_id}", 503)
    jwks = fetch(mistaken, "/badges/issuer/jwks.json").get_json()
    assert [k["kid"].rsplit("/", 1)[1] for k in jwks["keys"]] == [new_thumb]
    assert [r["thumbprint"] for r in store.signing_keys() if r["withdrawn"] is None] == [new_thumb]
    store.engine.dispose()


def test_rs256_is_the_operators_choice(tmp_path: Path, validator: Any) -> None:
    url, rows = badge_store(tmp_path, 20, seed=2)
    private, _public = ob3.generate_key("RS256")
    key = tmp_path / "rsa.pem"
    key.write_bytes(private)
    client = make_app(url, key).test_client()
    token = fetch(client, f"/badges/credentials/{rows['learner']['id']}").get_data(as_text=True)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    jwks = fetch(client, "/badges/issuer/jwks.json").get_json()
    assert [(k["kty"], k["alg"]) for k in jwks["keys"]] == [("RSA", "RS256")]
    claims = pyjwt_verify(token, jwks)
    check_claims_against_body(claims)
    assert validator.is_valid({k: v for k, v in claims.items() if k not in JWT_CLAIMS})


def test_an_old_ed25519_key_is_refused_with_a_clear_message(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    url, rows = badge_store(tmp_path, 10, seed=4)
    key = tmp_path / "old-ed25519.pem"
    key.write_bytes(
        Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    client = make_app(url, key).test_client()
    with caplog.at_level("ERROR"):
        response = fetch(client, f"/badges/credentials/{rows['learner']['id']}", 503)
    assert "Ed25519" not in response.get_data(as_text=True)  # the reader sees a fixed message
    assert any(
        "Ed25519" in r.getMessage() and "ES256 or RS256" in r.getMessage() for r in caplog.records
    )
    # the rest of the badge works: the OB 2.0 assertion is served
    fetch(client, f"/badges/assertions/{rows['learner']['id']}")


def test_a_store_made_before_the_key_table_gets_it_on_first_signing(tmp_path: Path) -> None:
    from bot import store as store_module

    url, rows = badge_store(tmp_path, 10, seed=6)
    store = Store(url)
    store_module.signing_keys.drop(store.engine)  # as an older release left the store
    key = write_key(tmp_path)
    client = make_app(url, key).test_client()
    token = fetch(client, f"/badges/credentials/{rows['learner']['id']}").get_data(as_text=True)
    thumb = ob3.jwk_thumbprint(ob3.public_key_pem(key.read_bytes()))
    assert [r["thumbprint"] for r in store.signing_keys()] == [thumb]
    assert pyjwt_verify(token, fetch(client, "/badges/issuer/jwks.json").get_json())["sub"]
    secret = store.subject_key()
    assert secret == store.subject_key() and len(secret) == 64  # made once, then kept
    store.engine.dispose()
