"""Open Badges 3.0: the same awards as signed W3C Verifiable Credentials (VC-JWT, ES256/RS256).

OB 2.0 hosted assertions need our server to stay up to be verified; an OB 3.0
`OpenBadgeCredential` carries a signature instead, so a learner's wallet or an employer can
check it offline with the issuer's public key.

Format (OB 3.0 §8.2 "JSON Web Token Proof Format", VC Data Model 2.0): a JWS compact
serialization whose payload is the credential itself, plus the registered claims derived
from it (``iss`` = issuer.id, ``jti`` = id, ``nbf`` = validFrom, ``sub`` =
credentialSubject.id); header ``{"alg": "ES256"|"RS256", "typ": "JWT", "kid": ...}``.
Why ES256 or RS256 and no longer EdDSA: 1EdTech's conformance suite accepts only these two
algorithms for VC-JWT ("issuers MUST use a proof mechanism supported by the 1EdTech
conformance test suite"); ES256 is the default (small keys and tokens), RS256 the spec's
minimum, chosen by giving an RSA key.

Why jwcrypto: the spec "strongly recommends using an existing, stable library" for JOSE;
jwcrypto signs, verifies, exports JWKs and computes RFC 7638 thumbprints. Around it this
module stays strict where generic verification is lenient: only ES256/RS256 (no algorithm
confusion, no ``none``), every segment canonical unpadded base64url (no two token strings
verify as the same token), and the registered claims must agree with the credential body.

The key is operator-supplied (an EC P-256 or RSA >= 2048 PEM); `generate_key` makes one for
development. An old Ed25519 key is refused with a message that says what to do.

Revocation: a signed token verifies offline forever, so every credential carries a
``credentialStatus`` of type ``1EdTechRevocationList`` pointing at the issuer's revocation
list, ``/badges/revocations``; see `revocation_list` for the document's shape.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwcrypto import jwk as jose_jwk
from jwcrypto import jws as jose_jws
from jwcrypto.common import JWException

from bot.badge_rules import Award, BadgeKind, badge_class_id
from bot.openbadges import (
    WIKIDATA_ENTITY,
    class_image_url,
    class_url,
    hash_identity,
    issuer_url,
)

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# Defines 1EdTechRevocationList and 1EdTechJsonSchemaValidator2019, which the OB 3.0 context
# does not; the spec's own examples (ob_v3p0/examples/fullOpenBadge) list it third.
EXTENSIONS_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"
ACHIEVEMENT_SCHEMA = (
    "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
)
DEFAULT_ALG = "ES256"
ALGORITHMS = ("ES256", "RS256")
MIN_RSA_BITS = 2048
REVOCATION_LIST_TYPE = "1EdTechRevocationList"
# A fixed namespace so the credential id (urn:uuid) is a pure function of the award id.
_CREDENTIAL_NS = uuid.UUID("0c4b8f64-7a1e-5d0c-9b57-6b1d2f3a9e10")
# And one for subject ids, which are a function of an HMAC, never of the user name itself.
_SUBJECT_NS = uuid.UUID("5d1f0e2a-3c47-5b8e-a9d2-7e4c1b6f8a03")
_B64URL_RE = re.compile(r"^[A-Za-z0-9_-]*$")
_QID_RE = re.compile(r"^Q[1-9][0-9]*$")
ED25519_MESSAGE = (
    "Ed25519 (EdDSA) keys can no longer sign OB 3.0 credentials: 1EdTech verifiers accept "
    "only ES256 or RS256 in a VC-JWT. Generate an EC P-256 key (openssl genpkey -algorithm "
    "EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem) and follow the key rotation steps "
    "in the README, so credentials signed with the old key stay listed"
)

JsonDict = dict[str, Any]


class CredentialError(ValueError):
    """The token is malformed, tampered with, or not signed by the given key."""


class CredentialRevokedError(CredentialError):
    """The issuer's revocation list names the credential; ``reason`` is the list's, if any."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__("credential has been revoked" + (f": {reason}" if reason else ""))
        self.reason = reason


# -- keys --------------------------------------------------------------------------------------


def generate_key(alg: str = DEFAULT_ALG) -> tuple[bytes, bytes]:
    """A new key pair for `alg` as (private PKCS#8 PEM, public SubjectPublicKeyInfo PEM).

    For development and tests; in production the operator generates the key once, keeps the
    private PEM outside the repository (e.g. ``~/skillmatch-ob3.pem``, mode 600) and points
    the config at it.
    """
    if alg == "ES256":
        key = jose_jwk.JWK.generate(kty="EC", crv="P-256")
    elif alg == "RS256":
        key = jose_jwk.JWK.generate(kty="RSA", size=3072)
    else:
        raise ValueError(f"unsupported algorithm {alg!r}; use one of {ALGORITHMS}")
    return key.export_to_pem(private_key=True, password=None), key.export_to_pem()


def load_private_key_file(path: str | Path) -> bytes:
    """Read the operator's private key PEM (checked to be EC P-256 or RSA)."""
    pem = Path(path).read_bytes()
    _private_key(pem)
    return pem


def _as_bytes(pem: bytes | str) -> bytes:
    return pem.encode() if isinstance(pem, str) else pem


def _check_key(key: object) -> str:
    """The JOSE algorithm for a loaded key; CredentialError for any other kind of key."""
    if isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        raise CredentialError(ED25519_MESSAGE)
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise CredentialError("an EC signing key must be on curve P-256 (ES256)")
        return "ES256"
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise CredentialError(f"an RSA signing key needs at least {MIN_RSA_BITS} bits")
        return "RS256"
    raise CredentialError("the signing key must be an EC P-256 or RSA key")


def _private_key(pem: bytes | str, password: bytes | None = None) -> tuple[jose_jwk.JWK, str]:
    """The signing key as a JWK, and the algorithm it signs with."""
    alg = _check_key(serialization.load_pem_private_key(_as_bytes(pem), password=password))
    return jose_jwk.JWK.from_pem(_as_bytes(pem), password=password), alg


def _public_key(pem: bytes | str) -> jose_jwk.JWK:
    _check_key(serialization.load_pem_public_key(_as_bytes(pem)))
    return jose_jwk.JWK.from_pem(_as_bytes(pem))


def key_algorithm(pem: bytes | str) -> str:
    """``ES256`` or ``RS256``: what a private or public key PEM signs with."""
    data = _as_bytes(pem)
    if b"PRIVATE KEY" in data:
        return _check_key(serialization.load_pem_private_key(data, password=None))
    return _check_key(serialization.load_pem_public_key(data))


def public_key_pem(private_key_pem: bytes | str) -> bytes:
    """The public half of a private key PEM, as PEM."""
    key = serialization.load_pem_private_key(_as_bytes(private_key_pem), password=None)
    _check_key(key)
    public = key.public_key()
    return bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def jwk_thumbprint(public_key_pem_bytes: bytes | str) -> str:
    """RFC 7638 thumbprint (SHA-256, base64url): the stable name of a key, used in ``kid``."""
    return str(_public_key(public_key_pem_bytes).thumbprint())


def public_jwk(public_key_pem_bytes: bytes | str, kid: str | None = None) -> JsonDict:
    """The public key as a JWK (RFC 7517/7518), to publish in the JWKS and at the `kid` URL."""
    alg = key_algorithm(public_key_pem_bytes)
    jwk: JsonDict = dict(_public_key(public_key_pem_bytes).export_public(as_dict=True))
    jwk.update({"alg": alg, "use": "sig"})
    if kid:
        jwk["kid"] = kid
    return jwk


def public_pem_from_jwk(jwk: Mapping[str, Any]) -> bytes:
    """A published JWK back as a public key PEM (checked like any verification key)."""
    members = {k: v for k, v in jwk.items() if k in ("kty", "crv", "x", "y", "n", "e")}
    try:
        pem = bytes(jose_jwk.JWK(**members).export_to_pem())
    except (JWException, ValueError, TypeError) as exc:
        raise CredentialError("not a usable public JWK") from exc
    key_algorithm(pem)
    return pem


def subject_id(secret: bytes, identity: str) -> str:
    """The opaque, stable ``credentialSubject.id`` (and JWT ``sub``) of a recipient.

    An HMAC of the recipient's identity (the user page URL) under a server secret, as a
    ``urn:uuid:``: the same person always gets the same id, and without the secret the id
    reveals nothing about who holds the badge (unlike a plain hash of a guessable URL).
    """
    if not secret:
        raise ValueError("a subject id needs a server secret")
    digest = hmac.new(secret, identity.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"urn:uuid:{uuid.uuid5(_SUBJECT_NS, digest)}"


# -- building ----------------------------------------------------------------------------------


def _iso(when: date | datetime) -> str:
    if isinstance(when, datetime):
        dt = when if when.tzinfo else when.replace(tzinfo=UTC)
    else:
        dt = datetime.combine(when, time(0, 0), tzinfo=UTC)
    return dt.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def credential_id(award_id: str) -> str:
    """Stable ``urn:uuid:`` id for the credential of an award."""
    return f"urn:uuid:{uuid.uuid5(_CREDENTIAL_NS, award_id)}"


def revocation_list_url(base_url: str) -> str:
    """Where the issuer publishes its revocation list (next to ``/badges/issuer``)."""
    return issuer_url(base_url).removesuffix("/issuer") + "/revocations"


def credential_status(base_url: str) -> JsonDict:
    """The ``credentialStatus`` every credential carries: a pointer to the revocation list."""
    return {"id": revocation_list_url(base_url), "type": REVOCATION_LIST_TYPE}


def revocation_list(base_url: str, revoked: Iterable[tuple[str, str | None]]) -> JsonDict:
    """The 1EdTech revocation list for the revoked awards ``(award id, reason or None)``.

    Shape per the 1EdTech Revocation List Status Method 1.0 ([[VCRL-10]],
    https://www.imsglobal.org/spec/vcrl/v1p0/, which OB 3.0's "Verification" section names for
    ``1EdTechRevocationList``): a ``RevocationList`` with ``id`` and ``issuer`` and the
    revoked credentials, each ``{"id": credential id, "revoked": true,
    "revocationReason"?}``; revoked when "the credential's id is in the list of
    revokedCredentials and the value of revoked is true or omitted" (VCRL-10's rule, as
    quoted in 1EdTech's own validator). The array is published under both
    names in use: ``revokedCredentials`` (the spec's prose; what earlier SkillMatch
    versions and their verifiers read) and ``revokedCredential``, the member 1EdTech's
    validator actually reads (digital-credentials-public-validator,
    ``inspector-vc/.../probe/RevocationListProbe.java``); with only the plural, that
    validator would report every revoked SkillMatch credential as valid.

    Credential ids are a pure function of award ids, so a credential downloaded before its
    award was revoked is listed without remembering which tokens were ever handed out.
    Entries are sorted, so the document (and its ETag) changes only when a revocation does.
    """
    entries: list[JsonDict] = []
    for award_id, reason in revoked:
        entry: JsonDict = {"id": credential_id(award_id), "revoked": True}
        if reason:
            entry["revocationReason"] = reason
        entries.append(entry)
    entries.sort(key=lambda e: str(e["id"]))
    return {
        "id": revocation_list_url(base_url),
        "issuer": issuer_url(base_url),
        "revokedCredential": entries,
        "revokedCredentials": entries,
    }


def issuer_profile(base_url: str, name: str, url: str, email: str | None = None) -> JsonDict:
    """The OB 3.0 issuer Profile as embedded in credentials (same id as the OB 2.0 issuer)."""
    doc: JsonDict = {"id": issuer_url(base_url), "type": ["Profile"], "name": name, "url": url}
    if email:
        doc["email"] = email
    return doc


def profile_url(base_url: str) -> str:
    """Where the standalone OB 3.0 issuer Profile document is served."""
    return issuer_url(base_url) + "/profile"


def issuer_profile_document(
    base_url: str, name: str, url: str, email: str | None = None
) -> JsonDict:
    """The issuer Profile as a JSON-LD document of its own (OB 3.0 §B.1.14 Profile).

    Its ``id`` stays the issuer id every credential names (the OB 2.0 issuer URL, so both
    generations share one issuer); this stable URL serves the OB 3.0 form of it.
    """
    return {"@context": [VC_CONTEXT, OB3_CONTEXT], **issuer_profile(base_url, name, url, email)}


def achievement(
    base_url: str,
    cls: BadgeKind,
    lang: str = "en",
    skill_label: str | None = None,
    skill_qid: str | None = None,
    *,
    skill: str | None = None,
) -> JsonDict:
    """The OB 3.0 Achievement for a badge class; its id is the OB 2.0 BadgeClass URL."""
    if cls.per_skill != bool(skill):
        raise ValueError(
            f"badge class {cls.id!r}: skill= is required exactly for per-skill classes"
        )
    lang = lang if lang in cls.text else "en"
    label = skill_label or skill
    text = cls.localized(lang, label)
    cid = badge_class_id(cls.id, skill)
    doc: JsonDict = {
        "id": class_url(base_url, cid),
        "type": ["Achievement"],
        "achievementType": "Badge",
        "name": text.name,
        "description": text.description,
        "criteria": {"narrative": text.criteria},
        "image": {"id": class_image_url(base_url, cid, "png"), "type": "Image"},
        "inLanguage": lang,
        "tag": ["skillmatch", "wikimedia", *cls.tags, *([skill] if skill else [])],
    }
    if skill and skill_qid:
        if not _QID_RE.match(skill_qid):
            raise ValueError(f"not a Wikidata item id: {skill_qid!r}")
        doc["alignment"] = [
            {
                "type": ["Alignment"],
                "targetName": label,
                "targetUrl": WIKIDATA_ENTITY + skill_qid,
                "targetFramework": "Wikidata",
                "targetCode": skill_qid,
            }
        ]
    return doc


def open_badge_credential(
    base_url: str,
    award: Award,
    cls: BadgeKind,
    *,
    issuer_name: str,
    issuer_homepage: str,
    recipient_identity: str,
    salt: str,
    issued_on: date | datetime | None = None,
    evidence_urls: Sequence[str] = (),
    lang: str = "en",
    skill_label: str | None = None,
    skill_qid: str | None = None,
    issuer_email: str | None = None,
    subject_secret: bytes,
) -> JsonDict:
    """The award as an unsigned `OpenBadgeCredential`; sign it with `sign_credential`.

    The recipient has an opaque ``id`` (`subject_id`, the JWT ``sub``) and is identified
    like in OB 2.0 too: a salted SHA-256 of the user page URL (``identifier`` with
    ``hashed: true``), so the credential does not reveal who holds it.
    """
    if cls.id != award.badge_class:
        raise ValueError(f"award is of class {award.badge_class!r}, not {cls.id!r}")
    ach = achievement(base_url, cls, lang, skill_label, skill_qid, skill=award.skill)
    doc: JsonDict = {
        "@context": [VC_CONTEXT, OB3_CONTEXT, EXTENSIONS_CONTEXT],
        "id": credential_id(award.id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer_profile(base_url, issuer_name, issuer_homepage, issuer_email),
        "validFrom": _iso(issued_on if issued_on is not None else award.date),
        "name": ach["name"],
        "credentialSubject": {
            "id": subject_id(subject_secret, recipient_identity),
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "identityHash": hash_identity(recipient_identity, salt),
                    "identityType": "identifier",
                    "hashed": True,
                    "salt": salt,
                }
            ],
            "achievement": ach,
        },
        "credentialSchema": [{"id": ACHIEVEMENT_SCHEMA, "type": "1EdTechJsonSchemaValidator2019"}],
        "credentialStatus": credential_status(base_url),
    }
    if evidence_urls:
        doc["evidence"] = [{"id": u, "type": ["Evidence"]} for u in evidence_urls]
    return doc


# -- JWS ---------------------------------------------------------------------------------------


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(segment: str, what: str) -> bytes:
    """Strict base64url: alphabet only, no padding, and canonical (re-encodes identically)."""
    if not _B64URL_RE.match(segment) or len(segment) % 4 == 1:
        raise CredentialError(f"{what} is not base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CredentialError(f"{what} is not base64url") from exc
    if _b64e(data) != segment:
        raise CredentialError(f"{what} is not canonical base64url")
    return data


def _json_bytes(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _registered_claims(cred: Mapping[str, Any]) -> JsonDict:
    issuer = cred.get("issuer")
    iss = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    claims: JsonDict = {"iss": iss, "jti": cred.get("id")}
    if cred.get("validFrom"):
        claims["nbf"] = _epoch(str(cred["validFrom"]))
    if cred.get("validUntil"):
        claims["exp"] = _epoch(str(cred["validUntil"]))
    subject = cred.get("credentialSubject")
    if isinstance(subject, Mapping) and subject.get("id"):
        claims["sub"] = subject["id"]
    return {k: v for k, v in claims.items() if v is not None}


def sign_credential(
    cred: Mapping[str, Any],
    private_key_pem: bytes | str,
    kid: str,
    *,
    password: bytes | None = None,
) -> str:
    """Sign `cred` as a VC-JWT (compact JWS, ES256 or RS256 by the key) and return the token."""
    if not isinstance(cred.get("type"), list) or "VerifiableCredential" not in cred["type"]:
        raise ValueError("not a verifiable credential")
    key, alg = _private_key(private_key_pem, password)
    header = {"alg": alg, "typ": "JWT", "kid": kid}
    payload = {**cred, **_registered_claims(cred)}
    token = jose_jws.JWS(_json_bytes(payload))
    token.add_signature(key, alg=alg, protected=_json_bytes(header).decode("utf-8"))
    return str(token.serialize(compact=True))


def token_header(token: str) -> JsonDict:
    """The (unverified) JOSE header, e.g. to pick the key by ``kid`` before verifying."""
    parts = token.split(".")
    if len(parts) != 3:
        raise CredentialError("not a compact JWS")
    try:
        header = json.loads(_b64d(parts[0], "header"))
    except ValueError as exc:
        raise CredentialError("header is not JSON") from exc
    if not isinstance(header, dict):
        raise CredentialError("header is not a JSON object")
    return header


def _key_for(token_kid: object, keys: bytes | str | Mapping[str, Any]) -> bytes:
    """The public PEM to check a token with: the given PEM, or the JWKS entry its kid names.

    A JWKS (``{"keys": [...]}``) is how a verifier meets key rotation: a token verifies only
    while the issuer still publishes the key its ``kid`` names.
    """
    if not isinstance(keys, Mapping):
        return _as_bytes(keys)
    entries = keys.get("keys")
    if not isinstance(entries, list):
        raise CredentialError("not a JWK set")
    for entry in entries:
        if isinstance(entry, Mapping) and token_kid is not None and entry.get("kid") == token_kid:
            return public_pem_from_jwk(entry)
    raise CredentialError("the key set does not publish the key this token names")


def verify_credential(
    token: str,
    public_key: bytes | str | Mapping[str, Any],
    *,
    now: datetime | None = None,
    leeway_seconds: int = 300,
    revocation_list: Mapping[str, Any] | None = None,
) -> JsonDict:
    """Check the signature and claims of a VC-JWT; return the credential (with its claims).

    `public_key` is a public key PEM or the issuer's JWKS (the key is then picked by
    ``kid``). Raises CredentialError on any malformation, tampering, wrong or withdrawn key,
    a credential not yet valid (``nbf``) or expired (``exp``), or claims that contradict the
    credential body. With ``revocation_list`` (the document the caller fetched from the
    credential's ``credentialStatus.id``) it also raises CredentialRevokedError when the list
    names the credential; fetching stays with the caller, so this function does no I/O.
    """
    if not isinstance(token, str) or not token.isascii():
        raise CredentialError("token must be ASCII text")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise CredentialError("not a compact JWS")
    header_b, payload_b, _sig = (
        _b64d(parts[0], "header"),
        _b64d(parts[1], "payload"),
        _b64d(parts[2], "signature"),
    )
    try:
        header = json.loads(header_b)
    except ValueError as exc:
        raise CredentialError("header is not JSON") from exc
    if not isinstance(header, dict) or header.get("alg") not in ALGORITHMS:
        raise CredentialError("only ES256- or RS256-signed tokens are accepted")
    if header.get("crit"):
        raise CredentialError("unsupported critical header parameters")
    if header.get("typ") not in (None, "JWT", "vc+jwt"):
        raise CredentialError("unexpected token type")
    pem = _key_for(header.get("kid"), public_key)
    if key_algorithm(pem) != header["alg"]:
        raise CredentialError("the token's algorithm does not match the key")
    checker = jose_jws.JWS()
    checker.allowed_algs = [header["alg"]]
    try:
        checker.deserialize(token)
        checker.verify(_public_key(pem), alg=header["alg"])
    except (JWException, ValueError) as exc:
        raise CredentialError("signature does not verify") from exc
    try:
        payload = json.loads(payload_b)
    except ValueError as exc:
        raise CredentialError("payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise CredentialError("payload is not a JSON object")
    _check_claims(payload, now or datetime.now(UTC), leeway_seconds)
    if revocation_list is not None:
        check_revocation(payload, revocation_list)
    return payload


def check_revocation(cred: Mapping[str, Any], revocations: Mapping[str, Any]) -> None:
    """Raise CredentialRevokedError when ``revocations`` lists ``cred``.

    The list must be the one the credential's ``1EdTechRevocationList`` status names and be
    published by the credential's issuer; anything else raises CredentialError, so a verifier
    handed some other (empty) list cannot be made to accept a revoked credential.
    """
    status = cred.get("credentialStatus")
    statuses = status if isinstance(status, list) else [status]
    urls = {
        s.get("id")
        for s in statuses
        if isinstance(s, Mapping) and s.get("type") == REVOCATION_LIST_TYPE
    }
    if not urls:
        raise CredentialError(f"credential has no {REVOCATION_LIST_TYPE} status")
    if not isinstance(revocations, Mapping) or revocations.get("id") not in urls:
        raise CredentialError("revocation list is not the one the credential names")
    issuer = cred.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if revocations.get("issuer") != issuer_id:
        raise CredentialError("revocation list is not from the credential's issuer")
    arrays = [
        revocations[name]
        for name in ("revokedCredential", "revokedCredentials")  # see `revocation_list`
        if isinstance(revocations.get(name), list)
    ]
    if not arrays:
        raise CredentialError("revocation list has no revokedCredential(s) array")
    for entry in (e for array in arrays for e in array):
        if (
            isinstance(entry, Mapping)
            and entry.get("id") == cred.get("id")
            and entry.get("revoked", True) is not False  # "true or omitted"
        ):
            reason = entry.get("revocationReason")
            raise CredentialRevokedError(reason if isinstance(reason, str) and reason else None)


def _check_claims(payload: Mapping[str, Any], now: datetime, leeway: int) -> None:
    types = payload.get("type")
    if not isinstance(types, list) or "VerifiableCredential" not in types:
        raise CredentialError("payload is not a verifiable credential")
    if not {"OpenBadgeCredential", "AchievementCredential"} & set(types):
        raise CredentialError("payload is not an Open Badges credential")
    context = payload.get("@context")
    if not isinstance(context, list) or not context or context[0] != VC_CONTEXT:
        raise CredentialError("first @context must be the VC 2.0 context")
    try:
        expected = _registered_claims(payload)
    except (TypeError, ValueError) as exc:
        raise CredentialError("validFrom/validUntil are not ISO 8601 dates") from exc
    for claim, value in expected.items():
        if payload.get(claim) != value:
            raise CredentialError(f"claim {claim} contradicts the credential")
    if not payload.get("sub"):  # OB 3.0 §8.2.4: verifiers MUST have the sub claim
        raise CredentialError("token has no sub claim (credentialSubject.id)")
    ts = now.timestamp()
    nbf = payload.get("nbf")
    if isinstance(nbf, int) and nbf > ts + leeway:
        raise CredentialError("credential is not valid yet")
    exp = payload.get("exp")
    if isinstance(exp, int) and exp < ts - leeway:
        raise CredentialError("credential has expired")
