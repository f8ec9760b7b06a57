"""Open Badges 3.0 credentials signed as VC-JWT (ES256/RS256): structure, sign/verify, tampering.

Forged and independently checked tokens go through PyJWT, a JOSE library the signing code
(jwcrypto) does not use."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bot import ob3
from bot import openbadges as ob
from bot.badge_rules import Award, award_id, default_catalog

BASE = "https://skillmatch.toolforge.org"
ALICE = "https://meta.wikimedia.org/wiki/User:Alice"
KID = BASE + "/badges/issuer#key-1"
SECRET = b"server-secret-for-subject-ids"


@pytest.fixture(scope="module")
def keys() -> tuple[bytes, bytes]:
    return ob3.generate_key()


def make_credential(kind: str = "learner", skill: str | None = "sparql") -> dict[str, Any]:
    ev = ("match:M1",)
    award = Award(award_id(kind, "Alice", skill, ev), "Alice", kind, skill, date(2025, 2, 3), ev)
    return ob3.open_badge_credential(
        BASE,
        award,
        default_catalog().get(kind),
        issuer_name="SkillMatch",
        issuer_homepage="https://meta.wikimedia.org/wiki/SkillMatch",
        issuer_email="skillmatch@example.org",
        recipient_identity=ALICE,
        salt="pepper",
        subject_secret=SECRET,
        evidence_urls=["https://meta.wikimedia.org/wiki/SkillMatch/Matches#M1"],
        lang="es",
        skill_label="SPARQL" if skill else None,
        skill_qid="Q54871" if skill else None,
    )


def b64json(segment: str) -> dict[str, Any]:
    return cast(
        dict[str, Any], json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    )


def test_credential_structure() -> None:
    cred = make_credential()
    assert cred["@context"] == [ob3.VC_CONTEXT, ob3.OB3_CONTEXT, ob3.EXTENSIONS_CONTEXT]
    assert cred["@context"][2] == "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
    assert cred["@context"][1].endswith("context-3.0.3.json")
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["id"].startswith("urn:uuid:") and cred["id"] == make_credential()["id"]
    assert cred["issuer"]["id"] == ob.issuer_url(BASE)
    assert cred["issuer"]["type"] == ["Profile"] and cred["issuer"]["name"] == "SkillMatch"
    assert cred["validFrom"] == "2025-02-03T00:00:00Z"
    subject = cred["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["id"] == ob3.subject_id(SECRET, ALICE)
    assert subject["id"] == make_credential()["credentialSubject"]["id"]  # stable
    assert subject["id"].startswith("urn:uuid:") and "Alice" not in subject["id"]
    assert subject["id"] != ob3.subject_id(b"another secret", ALICE)
    assert subject["id"] != ob3.subject_id(SECRET, ALICE + "2")
    (ident,) = subject["identifier"]
    assert ident["hashed"] is True and ident["identityHash"] == ob.hash_identity(ALICE, "pepper")
    ach = subject["achievement"]
    assert ach["id"] == ob.class_url(BASE, "learner-sparql")  # same as the OB 2.0 BadgeClass
    assert ach["type"] == ["Achievement"]
    assert "SPARQL" in ach["name"] and ach["criteria"]["narrative"] and ach["description"]
    assert ach["inLanguage"] == "es"
    assert ach["alignment"][0]["targetUrl"] == "https://www.wikidata.org/wiki/Q54871"
    assert cred["name"] == ach["name"]
    assert ALICE not in json.dumps(cred)


def test_general_class_and_mismatch() -> None:
    cred = make_credential("mentor-10", None)
    assert "alignment" not in cred["credentialSubject"]["achievement"]
    with pytest.raises(ValueError):
        ob3.achievement(BASE, default_catalog().get("learner"))  # per-skill without skill
    ev = ("match:M1",)
    award = Award(award_id("trainer", "A", None, ev), "A", "trainer", None, date(2025, 1, 1), ev)
    with pytest.raises(ValueError):
        ob3.open_badge_credential(
            BASE,
            award,
            default_catalog().get("mentor-1"),
            issuer_name="S",
            issuer_homepage="https://x.org",
            recipient_identity=ALICE,
            salt="s",
            subject_secret=SECRET,
        )


def test_sign_and_verify(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    cred = make_credential()
    token = ob3.sign_credential(cred, private, KID)
    header, payload, sig = token.split(".")
    assert b64json(header) == {"alg": "ES256", "typ": "JWT", "kid": KID}
    assert ob3.token_header(token)["kid"] == KID
    claims = b64json(payload)
    assert claims["iss"] == cred["issuer"]["id"]
    assert claims["jti"] == cred["id"]
    assert claims["nbf"] == int(datetime(2025, 2, 3, tzinfo=UTC).timestamp())
    assert claims["sub"] == cred["credentialSubject"]["id"]
    assert len(base64.urlsafe_b64decode(sig + "==")) == 64  # ES256: raw r || s
    got = ob3.verify_credential(token, public)
    assert {k: v for k, v in got.items() if k not in ("iss", "jti", "nbf", "sub")} == cred
    # an independent JOSE library agrees
    assert jwt.decode(token, public, algorithms=["ES256"]) == got


def test_rs256_when_the_operator_gives_an_rsa_key() -> None:
    private, public = ob3.generate_key("RS256")
    cred = make_credential()
    token = ob3.sign_credential(cred, private, KID)
    assert ob3.token_header(token)["alg"] == "RS256"
    assert ob3.verify_credential(token, public)["sub"] == cred["credentialSubject"]["id"]
    assert jwt.decode(token, public, algorithms=["RS256"])["jti"] == cred["id"]
    jwk = ob3.public_jwk(public, KID)
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["e"] == "AQAB"
    _es_private, es_public = ob3.generate_key()
    with pytest.raises(ob3.CredentialError):  # an RS256 token never verifies with an EC key
        ob3.verify_credential(token, es_public)


def test_keys_that_are_refused_say_why(tmp_path: Path) -> None:
    def pem(key: Any) -> bytes:
        return bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )

    path = tmp_path / "old.pem"
    path.write_bytes(pem(Ed25519PrivateKey.generate()))
    with pytest.raises(ob3.CredentialError, match=r"Ed25519.*ES256 or RS256.*P-256"):
        ob3.load_private_key_file(path)
    with pytest.raises(ob3.CredentialError, match="P-256"):
        ob3.sign_credential(make_credential(), pem(ec.generate_private_key(ec.SECP384R1())), KID)
    with pytest.raises(ob3.CredentialError, match="2048"):
        ob3.sign_credential(make_credential(), pem(rsa.generate_private_key(65537, 1024)), KID)  # noqa: S505


def test_public_key_helpers(keys: tuple[bytes, bytes], tmp_path: Path) -> None:
    private, public = keys
    assert ob3.public_key_pem(private) == public
    jwk = ob3.public_jwk(public, KID)
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256" and jwk["kid"] == KID
    assert jwk["alg"] == "ES256" and jwk["use"] == "sig"
    assert len(base64.urlsafe_b64decode(jwk["x"] + "=")) == 32
    assert len(base64.urlsafe_b64decode(jwk["y"] + "=")) == 32
    assert ob3.public_pem_from_jwk(jwk) == public
    # RFC 7638 thumbprint, recomputed by hand from the required members in order
    members = json.dumps(
        {"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]},
        separators=(",", ":"),
    )
    digest = hashlib.sha256(members.encode()).digest()
    assert ob3.jwk_thumbprint(public) == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert ob3.key_algorithm(private) == ob3.key_algorithm(public) == "ES256"
    path = tmp_path / "key.pem"
    path.write_bytes(private)
    assert ob3.load_private_key_file(path) == private
    path.write_bytes(public)
    with pytest.raises(ValueError):
        ob3.load_private_key_file(path)


def test_every_single_byte_change_fails(keys: tuple[bytes, bytes]) -> None:
    """Flip bits in every position of the token (three masks): nothing may verify."""
    private, public = keys
    token = ob3.sign_credential(make_credential(), private, KID)
    raw = token.encode("ascii")
    checked = 0
    for i in range(len(raw)):
        for mask in (0x01, 0x02, 0x20):
            mutated = bytearray(raw)
            mutated[i] ^= mask
            candidate = bytes(mutated).decode("latin-1")
            if candidate == token:
                continue
            with pytest.raises(ob3.CredentialError):
                ob3.verify_credential(candidate, public)
            checked += 1
    assert checked >= 3 * len(raw) - 3


def test_every_substituted_signature_character_fails(keys: tuple[bytes, bytes]) -> None:
    """Base64url's last character has spare bits: canonical decoding must still reject it."""
    private, public = keys
    token = ob3.sign_credential(make_credential(), private, KID)
    head, _, sig = token.rpartition(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for c in alphabet:
        if c != sig[-1]:
            with pytest.raises(ob3.CredentialError):
                ob3.verify_credential(f"{head}.{sig[:-1]}{c}", public)


def test_structural_attacks(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    cred = make_credential()
    token = ob3.sign_credential(cred, private, KID)
    header, payload, sig = token.split(".")

    def seg(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    attacks = [
        f"{seg({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        f"{seg({'alg': 'none'})}.{payload}.{sig}",
        f"{seg({'alg': 'HS256', 'kid': KID})}.{payload}.{sig}",
        f"{header}.{payload}.{sig}=",
        f"{header}.{payload}",
        f"{header}.{payload}.{sig}.{sig}",
        f"{header}.{seg({**cred, 'name': 'Forged'})}.{sig}",
        token + " ",
        "",
    ]
    for bad in attacks:
        with pytest.raises(ob3.CredentialError):
            ob3.verify_credential(bad, public)
    _, other_public = ob3.generate_key()
    with pytest.raises(ob3.CredentialError):
        ob3.verify_credential(token, other_public)


def test_claims_must_match_the_credential(keys: tuple[bytes, bytes]) -> None:
    """Tokens forged with PyJWT and our key: right signature, lying claims, all refused."""
    private, public = keys
    cred = make_credential()

    def forge(payload: dict[str, Any]) -> str:
        return jwt.encode(payload, private, algorithm="ES256", headers={"kid": KID})

    good = json.loads(json.dumps({**cred, **{"iss": cred["issuer"]["id"], "jti": cred["id"]}}))
    good["nbf"] = int(datetime(2025, 2, 3, tzinfo=UTC).timestamp())
    good["sub"] = cred["credentialSubject"]["id"]
    assert ob3.verify_credential(forge(good), public)["name"] == cred["name"]
    for change in (
        {"iss": "https://evil.example"},
        {"jti": "urn:uuid:x"},
        {"nbf": 1},
        {"sub": "urn:uuid:someone-else"},
    ):
        with pytest.raises(ob3.CredentialError, match="claim"):
            ob3.verify_credential(forge({**good, **change}), public)
    no_sub = {k: v for k, v in good.items() if k != "sub"}
    no_sub["credentialSubject"] = {k: v for k, v in good["credentialSubject"].items() if k != "id"}
    with pytest.raises(ob3.CredentialError, match="sub"):
        ob3.verify_credential(forge(no_sub), public)
    with pytest.raises(ob3.CredentialError, match="verifiable credential"):
        ob3.verify_credential(forge({**good, "type": ["Thing"]}), public)
    with pytest.raises(ob3.CredentialError, match="context"):
        ob3.verify_credential(forge({**good, "@context": []}), public)
    hs = jwt.encode(good, "shared-secret-guess-of-at-least-32-bytes", algorithm="HS256")
    with pytest.raises(ob3.CredentialError, match="ES256"):
        ob3.verify_credential(hs, public)


def test_not_yet_valid_and_expired(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    cred = make_credential()
    future = datetime.now(UTC) + timedelta(days=2)
    cred["validFrom"] = future.strftime("%Y-%m-%dT%H:%M:%SZ")
    token = ob3.sign_credential(cred, private, KID)
    with pytest.raises(ob3.CredentialError, match="not valid yet"):
        ob3.verify_credential(token, public)
    assert ob3.verify_credential(token, public, now=future + timedelta(seconds=1))
    cred = make_credential()
    cred["validUntil"] = "2025-03-01T00:00:00Z"
    token = ob3.sign_credential(cred, private, KID)
    with pytest.raises(ob3.CredentialError, match="expired"):
        ob3.verify_credential(token, public)
    assert ob3.verify_credential(token, public, now=datetime(2025, 2, 20, tzinfo=UTC))


def test_sign_refuses_non_credentials_and_wrong_keys(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    with pytest.raises(ValueError):
        ob3.sign_credential({"type": "Thing"}, private, KID)
    with pytest.raises(ValueError):
        ob3.sign_credential(make_credential(), public, KID)


# -- revocation (1EdTech Revocation List Status Method) ------------------------------------------


def make_award_credential(user: str) -> tuple[str, dict[str, Any]]:
    """An award id and its credential, for a user of our choosing (distinct ids)."""
    ev = ("match:M1",)
    aid = award_id("learner", user, "lua", ev)
    award = Award(aid, user, "learner", "lua", date(2025, 2, 3), ev)
    cred = ob3.open_badge_credential(
        BASE,
        award,
        default_catalog().get("learner"),
        issuer_name="SkillMatch",
        issuer_homepage="https://meta.wikimedia.org/wiki/SkillMatch",
        recipient_identity=ALICE,
        salt="pepper",
        subject_secret=SECRET,
        skill_label="Lua",
    )
    return award.id, cred


def test_every_credential_points_at_the_revocation_list() -> None:
    status = {"id": BASE + "/badges/revocations", "type": "1EdTechRevocationList"}
    assert make_credential()["credentialStatus"] == status
    assert make_credential("mentor-10", None)["credentialStatus"] == status
    assert ob3.revocation_list_url(BASE + "/") == status["id"]


def test_revocation_list_document() -> None:
    doc = ob3.revocation_list(BASE, [("b" * 32, "Mentorship withdrawn"), ("a" * 32, None)])
    entries = sorted(
        [
            {
                "id": ob3.credential_id("b" * 32),
                "revoked": True,
                "revocationReason": "Mentorship withdrawn",
            },
            {"id": ob3.credential_id("a" * 32), "revoked": True},
        ],
        key=lambda e: e["id"],
    )
    # both member names: the spec's prose (plural) and what 1EdTech's validator reads
    assert doc == {
        "id": BASE + "/badges/revocations",
        "issuer": ob.issuer_url(BASE),
        "revokedCredential": entries,
        "revokedCredentials": entries,
    }
    assert ob3.revocation_list(BASE, [])["revokedCredentials"] == []


def test_revocation_as_1edtech_validator_reads_it(keys: tuple[bytes, bytes]) -> None:
    """RevocationListProbe: ``revokedCredential`` entries whose ``revoked`` is true or absent."""
    private, public = keys
    award, cred = make_award_credential("Dave")
    token = ob3.sign_credential(cred, private, KID)
    published = ob3.revocation_list(BASE, [(award, "Spam")])
    probe_view = [
        e
        for e in published["revokedCredential"]
        if e["id"] == cred["id"] and e.get("revoked", True) is True
    ]
    assert probe_view == [{"id": cred["id"], "revoked": True, "revocationReason": "Spam"}]
    base = {"id": published["id"], "issuer": published["issuer"]}
    for only in ("revokedCredential", "revokedCredentials"):
        with pytest.raises(ob3.CredentialRevokedError):
            ob3.verify_credential(token, public, revocation_list={**base, only: probe_view})
    not_revoked = {**base, "revokedCredential": [{"id": cred["id"], "revoked": False}]}
    assert ob3.verify_credential(token, public, revocation_list=not_revoked)
    either = {**base, "revokedCredential": [], "revokedCredentials": probe_view}
    with pytest.raises(ob3.CredentialRevokedError):  # listed under either name: revoked
        ob3.verify_credential(token, public, revocation_list=either)


def test_verify_against_the_revocation_list(keys: tuple[bytes, bytes]) -> None:
    """A token signed before its award was revoked stops verifying once the list names it."""
    private, public = keys
    revoked_id, revoked = make_award_credential("Dave")
    valid_id, valid = make_award_credential("Erin")
    revoked_token = ob3.sign_credential(revoked, private, KID)
    valid_token = ob3.sign_credential(valid, private, KID)
    before = ob3.revocation_list(BASE, [])
    after = ob3.revocation_list(BASE, [(revoked_id, "Mentorship withdrawn")])
    assert ob3.verify_credential(revoked_token, public, revocation_list=before)
    assert ob3.verify_credential(revoked_token, public)  # no list given: signature only
    with pytest.raises(ob3.CredentialRevokedError, match="Mentorship withdrawn") as caught:
        ob3.verify_credential(revoked_token, public, revocation_list=after)
    assert caught.value.reason == "Mentorship withdrawn"
    assert isinstance(caught.value, ob3.CredentialError)
    assert ob3.verify_credential(valid_token, public, revocation_list=after)["id"] == valid["id"]
    assert valid_id != revoked_id


def test_revocation_list_must_be_the_credentials_own(keys: tuple[bytes, bytes]) -> None:
    private, public = keys
    award, cred = make_award_credential("Dave")
    token = ob3.sign_credential(cred, private, KID)
    listed = ob3.revocation_list(BASE, [(award, None)])
    other_site = ob3.revocation_list("https://elsewhere.example", [])
    for bad in (
        other_site,
        {**listed, "revokedCredentials": [], "revokedCredential": []}
        | {"issuer": "https://evil.example/issuer"},
        {"id": listed["id"], "issuer": listed["issuer"]},
    ):
        with pytest.raises(ob3.CredentialError) as caught:
            ob3.verify_credential(token, public, revocation_list=bad)
        assert not isinstance(caught.value, ob3.CredentialRevokedError)
    statusless = {k: v for k, v in cred.items() if k != "credentialStatus"}
    with pytest.raises(ob3.CredentialError, match="1EdTechRevocationList"):
        ob3.check_revocation(statusless, listed)
    with pytest.raises(ob3.CredentialRevokedError):
        ob3.check_revocation({**cred, "credentialStatus": [cred["credentialStatus"]]}, listed)
