"""The Open Badges routes: issuer, badge classes, hosted assertions, baked images, award pages,
and Open Badges 3.0 credentials.

Why here and why this shape: hosted verification means a verifier fetches the assertion at its
``id`` and checks that assertion, badge class and issuer share one origin, so every document is
built by the bot's pure builders (``bot.openbadges``, ``bot.ob3``) with the tool's public base URL
(``web_base_url`` in the operator file, ``SKILLMATCH_BASE_URL``) and served at exactly the URL
its ``id`` names. The tool reads only the store (``queries.award``) and configuration; documents
are a pure function of the stored award, so they are recomputed on request and kept in the run
cache like every page.

Routes (the contract's, ``../shared/spec/wiki-contract.md``; once published they never move):

    /badges/issuer                       Issuer profile (JSON-LD)
    /badges/issuer/profile               the issuer as an OB 3.0 Profile document
    /badges/issuer/jwks.json             the OB 3.0 signing keys (active and earlier) as a JWK set
    /badges/issuer/keys/<thumbprint>     one such key as a JWK: the ``kid`` a credential names
    /badges/classes/<class id>[.png|.svg]  BadgeClass (JSON-LD) and its image
    /badges/assertions/<id>[.png|.svg]   hosted Assertion (JSON-LD; 410 once revoked), baked images
    /badges/awards/<id>                  the human-readable, localized award page
    /badges/credentials/<id>[.png|.svg]  the award as an OB 3.0 OpenBadgeCredential (VC-JWT,
                                         text/plain), and baked into the badge image
    /badges/revocations                  the OB 3.0 revocation list every credential points at

Published URLs never disappear: a class removed from ``config/badges.yaml`` after it was
awarded is served from the stored awards under a stand-in class (`retired_kind`: generic localized
texts, ``config/badge-images/retired.svg``).

Ids are checked against strict patterns before any lookup, so a hostile path is a 404 that
never echoes its input. Error bodies are JSON with a localized, fixed message.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NoReturn
from urllib.parse import quote

import flask
from cryptography.exceptions import UnsupportedAlgorithm
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.wrappers.response import Response

from bot import badge_rules, baking, ob3
from bot import openbadges as ob
from bot.badge_rules import SKILL_PLACEHOLDER, Award, BadgeCatalog, BadgeKind, BadgeText
from webtool import queries
from webtool import translations as tr
from webtool.context import (
    choice,
    in_lang,
    lang_attrs,
    skill_label,
    skill_text,
    state,
    user_page_url,
)
from webtool.pages import cached, cached_page, error_response

log = logging.getLogger(__name__)

bp = flask.Blueprint("badges", __name__, url_prefix="/badges")

# Award ids are 32 hex digits (``badge_rules.award_id``); the column allows 64 characters.
_AWARD_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# A class id is ``<kind>`` or ``<kind>-<skill id>``: lower-case words joined by '-'.
_CLASS_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+){0,15}$")
_MAX_CLASS_ID = 128
_THUMBPRINT = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url SHA-256, RFC 7638
IMAGE_TYPES: Mapping[str, str] = {"png": "image/png", "svg": "image/svg+xml"}
JSON_TYPES = (ob.JSONLD_MIME, "application/json")
# OB 3.0 §5.3.1 "Web Resource": a VC-JWT credential's Content-Type SHOULD be text/plain.
VC_JWT_TYPE = "text/plain; charset=utf-8"
# An assertion can be revoked at the next bot run, so documents about awards are kept briefly;
# classes, images and the issuer change only with a deployment.
AWARD_MAX_AGE = 300
STATIC_MAX_AGE = 86_400
DEFAULT_ISSUER_NAME = "SkillMatch"
RETIRED_IMAGE = "retired.svg"  # in config/badge-images, the image of every removed class
EVIDENCE_KEYS: Mapping[str, str] = {
    "match": "badge-evidence-match",
    "pair": "badge-evidence-pair",
    "event": "badge-evidence-event",
    "need": "badge-evidence-need",
}


class BadgeProblem(HTTPException):
    """A fixed, localized reason why a badge document cannot be served (never echoes input)."""

    def __init__(self, code: int, key: str) -> None:
        super().__init__()
        self.code = code
        self.key = key


@bp.errorhandler(HTTPException)
def _error(exc: HTTPException) -> Any:
    """The award page gets the HTML error page; documents get a small JSON error."""
    return error_response(exc, as_json=flask.request.endpoint != "badges.award")


# -- shared helpers ----------------------------------------------------------------------------


def base_url() -> str:
    """The public origin the documents' ids use (the configured one, else this request's)."""
    return state().config.base_url or flask.request.host_url.rstrip("/")


def catalog() -> BadgeCatalog:
    """The badge classes of ``config/badges.yaml`` (the same catalog the bot awards from)."""
    return badge_rules.default_catalog()


def doc_lang() -> str:
    """Language of a document's texts: ``?uselang=`` when given, else English.

    Documents are fetched by machines at fixed URLs, so their language must not drift with a
    browser's Accept-Language; a reader who asks explicitly gets their language.
    """
    lang = choice()
    return lang.code if lang.explicit and not lang.qqx else "en"


def kind_lang(kind: BadgeKind, chain: tuple[str, ...]) -> str:
    """The first language along ``chain`` the badge class has texts in (English otherwise)."""
    return next((code for code in chain if code in kind.text), "en")


def label_for(skill: str | None, lang: str) -> str | None:
    if not skill:
        return None
    return state().skills.label(skill, tr.fallback_chain(lang))[0]


def qid_for(skill: str | None) -> str | None:
    info = state().skills.get(skill) if skill else None
    return info.qid if info is not None else None


def not_found() -> NoReturn:
    raise NotFound()


def split_ext(name: str) -> tuple[str, str | None]:
    """``learner-sparql.png`` → (``learner-sparql``, ``png``); no other dots are allowed."""
    stem, dot, ext = name.rpartition(".")
    if dot and ext in IMAGE_TYPES:
        return stem, ext
    return name, None


def wants_plain_json() -> bool:
    """OB 2.0 is served as JSON-LD; a client that asks for plain JSON only gets that type."""
    best = flask.request.accept_mimetypes.best_match(JSON_TYPES, default=JSON_TYPES[0])
    return best == "application/json"


def finish(response: Response, max_age: int) -> Response:
    """Public, cacheable, conditional (ETag), readable by backpacks on other origins."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    response.add_etag()
    return response.make_conditional(flask.request)


def ld_response(doc: Mapping[str, Any], *, status: int = 200, max_age: int) -> Response:
    mime = "application/json" if wants_plain_json() else ob.JSONLD_MIME
    response = Response(
        ob.to_json(doc).encode("utf-8"), status=status, content_type=f"{mime}; charset=utf-8"
    )
    response.vary.add("Accept")
    return finish(response, max_age)


def image_response(body: bytes | str, ext: str, *, max_age: int) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    mime = IMAGE_TYPES[ext] + ("; charset=utf-8" if ext == "svg" else "")
    return finish(Response(data, content_type=mime), max_age)


# -- the issuer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issuer:
    name: str
    url: str
    email: str


def issuer() -> Issuer:
    """The configured issuer; the validator insists on name, url and email."""
    cfg = state().config
    return Issuer(
        name=cfg.issuer_name or DEFAULT_ISSUER_NAME,
        url=cfg.issuer_url or base_url(),
        email=cfg.issuer_email,
    )


def issuer_document(base: str) -> dict[str, Any]:
    who = issuer()
    try:
        return ob.issuer_profile(base, who.name, who.url, who.email, lang=doc_lang())
    except ValueError:
        log.error("badge_issuer needs a name, an http(s) url and an email address")
        raise BadgeProblem(503, "badge-issuer-unconfigured") from None


@bp.get("/issuer")
def issuer_profile() -> Response:
    return ld_response(issuer_document(base_url()), max_age=STATIC_MAX_AGE)


@bp.get("/issuer/profile")
def issuer_profile_ob3() -> Response:
    """The issuer as an OB 3.0 ``Profile`` (the one every credential embeds), at a stable URL."""
    base = base_url()
    issuer_document(base)  # the same checks as the OB 2.0 profile
    who = issuer()
    doc = ob3.issuer_profile_document(base, who.name, who.url, who.email)
    return ld_response(doc, max_age=STATIC_MAX_AGE)


# -- the OB 3.0 signing key --------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """The operator's EC P-256 or RSA key, read once per process, and what verifiers need."""

    private_pem: bytes
    public_pem: bytes
    thumbprint: str
    alg: str

    def kid(self, base: str) -> str:
        return key_url(base, self.thumbprint)

    def jwk(self, base: str) -> dict[str, Any]:
        return ob3.public_jwk(self.public_pem, kid=self.kid(base))


def key_url(base: str, thumbprint: str) -> str:
    return f"{base}/badges/issuer/keys/{thumbprint}"


def jwk_thumbprint(public_pem: bytes) -> str:
    """RFC 7638 thumbprint (computed by the JOSE library): the key's name in its ``kid``."""
    return ob3.jwk_thumbprint(public_pem)


def signing_key() -> SigningKey:
    """The configured key; 404 when none is configured, 503 when it cannot be used.

    The first use in a process records the public key in the store, so the JWKS keeps
    publishing it after the operator rotates to a new key (README, "Rotating the key").
    """
    config = state().config
    path, pem = config.ob3_key_file, config.ob3_key
    if not (path or pem):
        raise BadgeProblem(404, "badge-credential-unconfigured")
    keys: dict[str, SigningKey] = flask.current_app.extensions.setdefault("skillmatch-ob3", {})
    cache = "environment" if pem else path
    found = keys.get(cache)
    if found is None:
        where = "from SKILLMATCH_OB3_KEY" if pem else path
        try:
            if pem:  # SKILLMATCH_OB3_KEY: a web service on Toolforge mounts no files
                private = pem.encode("utf-8")
            else:
                private = ob3.load_private_key_file(os.path.expanduser(path))
            public = ob3.public_key_pem(private)
        except ob3.CredentialError as exc:  # our own words (e.g. an old Ed25519 key)
            log.error("cannot use the OB 3.0 signing key %s: %s", where, exc)
            raise BadgeProblem(503, "badge-credential-unavailable") from None
        except (OSError, ValueError, TypeError, UnsupportedAlgorithm) as exc:
            # The path is the operator's; the reason goes to the log, never to the reader.
            log.error("cannot use the OB 3.0 signing key %s: %s", where, type(exc).__name__)
            raise BadgeProblem(503, "badge-credential-unavailable") from None
        thumbprint = jwk_thumbprint(public)
        alg = ob3.key_algorithm(public)
        jwk = json.dumps(ob3.public_jwk(public), sort_keys=True, separators=(",", ":"))
        store = state().store
        store.remember_signing_key(thumbprint, alg, jwk)
        if any(
            r["thumbprint"] == thumbprint and r["withdrawn"] is not None
            for r in store.signing_keys()
        ):
            # Its credentials were meant to stop verifying; signing new ones would undo that.
            log.error("the OB 3.0 signing key %s was withdrawn: make a new key", where)
            raise BadgeProblem(503, "badge-credential-unavailable")
        found = keys[cache] = SigningKey(private, public, thumbprint, alg)
    return found


def has_signing_key() -> bool:
    try:
        signing_key()
    except BadgeProblem:
        return False
    return True


def published_keys(base: str) -> dict[str, dict[str, Any]]:
    """Thumbprint -> JWK of every key the JWKS publishes: the active one and every earlier
    one the store recorded and the operator has not withdrawn (their credentials verify)."""
    out: dict[str, dict[str, Any]] = {}
    try:
        active: SigningKey | None = signing_key()
    except BadgeProblem:
        active = None  # tokens signed earlier stay checkable without an active key
    if active is not None:
        out[active.thumbprint] = active.jwk(base)
    for row in state().store.signing_keys():
        thumb = str(row["thumbprint"])
        if row["withdrawn"] is not None or thumb in out:
            continue
        try:
            jwk = dict(json.loads(str(row["jwk"])))
        except ValueError:
            log.error("stored signing key %s is not JSON", thumb)
            continue
        out[thumb] = {**jwk, "kid": key_url(base, thumb)}
    return out


@bp.get("/issuer/jwks.json")
def jwks() -> Response:
    keys = list(published_keys(base_url()).values())
    if not keys:
        raise BadgeProblem(404, "badge-credential-unconfigured")
    body = json.dumps({"keys": keys}, separators=(",", ":"))
    return finish(Response(body, content_type="application/json"), AWARD_MAX_AGE)


@bp.get("/issuer/keys/<thumbprint>")
def public_key(thumbprint: str) -> Response:
    """The key a credential's ``kid`` names, as one JWK (what OB 3.0 verifiers dereference)."""
    if not _THUMBPRINT.match(thumbprint):
        not_found()
    found = published_keys(base_url()).get(thumbprint)
    if found is None:
        not_found()
    body = json.dumps(found, separators=(",", ":"))
    return finish(Response(body, content_type="application/json"), AWARD_MAX_AGE)


# -- badge classes -----------------------------------------------------------------------------


def retired_kind(kind_id: str, per_skill: bool) -> BadgeKind:
    """The stand-in for a class that was awarded and has since left ``config/badges.yaml``.

    Published URLs never disappear, so its class, assertions, award pages and credentials keep
    answering from the stored awards, with generic texts in every interface language and a
    generic image (whose ``<title>``/``<desc>`` are filled in like every class image's).
    """
    memo: dict[tuple[str, bool], BadgeKind] = flask.current_app.extensions.setdefault(
        "skillmatch-retired-kinds", {}
    )
    found = memo.get((kind_id, per_skill))
    if found is None:
        messages = state().catalog
        text = {}
        for code in messages.languages:
            lang = tr.Choice(code, tr.fallback_chain(code))
            if per_skill:  # BadgeKind.localized fills the placeholder with the skill's label
                name = tr.text(messages, lang, "badge-unknown-skill", (kind_id, SKILL_PLACEHOLDER))
            else:
                name = tr.text(messages, lang, "badge-unknown", (kind_id,))
            text[code] = BadgeText(
                name=name,
                description=tr.text(messages, lang, "badge-retired-description"),
                criteria=tr.text(messages, lang, "badge-retired-criteria"),
            )
        found = memo[(kind_id, per_skill)] = BadgeKind(
            id=kind_id, rule="retired", per_skill=per_skill, image=RETIRED_IMAGE, text=text
        )
    return found


def kind_for(badge_class: str, skill: str | None) -> BadgeKind:
    """The configured class of a stored award, or its stand-in once the class is gone.

    A class that changed shape (general ↔ per skill) cannot describe the awards made under
    the old one, so those get the stand-in too.
    """
    try:
        kind = catalog().get(badge_class)
    except KeyError:
        return retired_kind(badge_class, bool(skill))
    return kind if kind.per_skill == bool(skill) else retired_kind(badge_class, bool(skill))


@bp.app_template_global()
def badge_name(badge_class: str, skill: str | None) -> Markup:
    """A stored award's badge name for pages, in the reader's language when the class has it."""
    kind = kind_for(badge_class, skill)
    lang = kind_lang(kind, choice().chain)
    label = skill_text(skill)[0] if skill else None
    return in_lang(kind.localized(lang, label).name, lang)


def resolve_class(class_id: str) -> tuple[BadgeKind, str | None]:
    """Kind and skill of a published class id; 404 unless the class can exist.

    A configured class exists for every taxonomy skill. Any class that was ever awarded stays
    published, found through the stored awards: a per-skill class whose skill left the
    taxonomy, and a class that left ``config/badges.yaml`` (with its `retired_kind` stand-in).
    """
    if len(class_id) > _MAX_CLASS_ID or not _CLASS_ID.match(class_id):
        not_found()
    try:
        kind, skill = catalog().parse_class_id(class_id)
    except KeyError:
        pass
    else:
        if skill is None or skill in state().skills:
            return kind, skill
    stored = cached(("badge-class-stored", class_id), lambda c: queries.awarded_class(c, class_id))
    if stored is None:
        not_found()
    badge_class, skill = stored
    return kind_for(badge_class, skill), skill


@bp.get("/classes/<name>")
def badge_class(name: str) -> Response:
    class_id, ext = split_ext(name)
    kind, skill = resolve_class(class_id)
    lang = doc_lang()
    label = label_for(skill, lang)
    if ext == "png":
        return image_response(ob.class_png(kind), ext, max_age=STATIC_MAX_AGE)
    if ext == "svg":
        svg = ob.class_svg(kind, kind_lang(kind, tr.fallback_chain(lang)), label)
        return image_response(svg, ext, max_age=STATIC_MAX_AGE)
    doc = ob.badge_class(base_url(), kind, lang, label, qid_for(skill), skill=skill)
    return ld_response(doc, max_age=STATIC_MAX_AGE)


# -- awards ------------------------------------------------------------------------------------


def load_award(award_id: str) -> dict[str, Any]:
    """The stored award, or 404 (malformed ids never reach the store)."""
    if not _AWARD_ID.match(award_id):
        not_found()
    row = cached(("award", award_id), lambda c: queries.award(c, award_id))
    if row is None:
        not_found()
    return row


def kind_of(row: Mapping[str, Any]) -> BadgeKind:
    return kind_for(str(row["badge_class"]), row["skill"] or None)


def as_award(row: Mapping[str, Any]) -> Award:
    return Award(
        id=str(row["id"]),
        user=str(row["username"]),
        badge_class=str(row["badge_class"]),
        skill=row["skill"] or None,
        date=row["issued_date"],
        evidence=tuple(row["evidence"]),
    )


@dataclass(frozen=True)
class Evidence:
    """One fact an award rests on: what to call it and where anyone can check it."""

    key: str
    params: tuple[Any, ...]
    url: str


def evidence_list(row: Mapping[str, Any], base: str) -> list[Evidence]:
    """Links to the facts: the bot's match table on the central wiki (anchors are match ids),
    the event's or need's entry page on its wiki; the tool's own pages when those are unknown.
    """
    cfg = state().config
    central = cfg.wikis[0]
    username = str(row["username"])
    sources: dict[str, dict[str, Any]] = {}
    if any(item.startswith("event:") for item in row["evidence"]):
        sources |= cached(("evidence-events",), queries.event_sources)
    if any(item.startswith("need:") for item in row["evidence"]):
        sources |= cached(("evidence-needs", username), lambda c: queries.need_sources(c, username))
    person = f"{base}/people/{quote(username.replace(' ', '_'), safe='')}"
    out = []
    for item in row["evidence"]:
        kind, _, value = str(item).partition(":")
        found = sources.get(item)
        origin_url = None
        if found is not None:
            wiki = cfg.wiki(found["origin"]["wiki"])
            if wiki is not None and found["origin"]["page"]:
                origin_url = wiki.page_url(found["origin"]["page"])
        if kind in ("match", "pair") and value:
            url = person
            if central.matches_page:
                url = central.page_url(central.matches_page) + "#" + quote(value, safe="")
            out.append(Evidence(EVIDENCE_KEYS[kind], (value,), url))
        elif kind == "event" and value:
            title = found["title"] if found and found.get("title") else value
            out.append(Evidence(EVIDENCE_KEYS[kind], (title,), origin_url or f"{base}/events"))
        elif kind == "need" and value:
            community, _, skill = value.rpartition(":")
            fallback = f"{base}/skills/{quote(skill, safe='')}"
            params = (skill_label(skill), Markup("<bdi>{}</bdi>").format(community))
            out.append(Evidence(EVIDENCE_KEYS[kind], params, origin_url or fallback))
        else:
            out.append(Evidence("badge-evidence-other", (str(item),), person))
    return out


def assertion_document(row: Mapping[str, Any], base: str) -> dict[str, Any]:
    """The hosted Assertion, or its revoked form (served with HTTP 410)."""
    if row["revoked"]:
        return ob.revoked_assertion(base, str(row["id"]), row["revocation_reason"] or None)
    return ob.assertion(
        base,
        as_award(row),
        user_page_url(str(row["username"]), row["wiki"]),
        str(row["salt"]),
        row["issued_date"],
        [e.url for e in evidence_list(row, base)],
    )


@bp.get("/assertions/<name>")
def assertion(name: str) -> Response:
    award_id, ext = split_ext(name)
    row = load_award(award_id)
    base = base_url()
    doc = assertion_document(row, base)
    if row["revoked"]:
        return ld_response(doc, status=410, max_age=AWARD_MAX_AGE)
    if ext is None:
        return ld_response(doc, max_age=AWARD_MAX_AGE)
    kind = kind_of(row)
    if ext == "png":
        return image_response(ob.assertion_png(doc, kind), ext, max_age=AWARD_MAX_AGE)
    lang = kind_lang(kind, tr.fallback_chain(doc_lang()))
    svg = ob.assertion_svg(doc, kind, lang, label_for(row["skill"], lang))
    return image_response(svg, ext, max_age=AWARD_MAX_AGE)


def credential_token(row: Mapping[str, Any]) -> str:
    """The award's signed OB 3.0 credential (compact JWS)."""
    key = signing_key()
    if row["revoked"]:
        raise BadgeProblem(410, "badge-credential-revoked")
    base = base_url()
    kind = kind_of(row)
    lang = doc_lang()
    who = issuer()
    try:
        issuer_document(base)  # the same checks as the OB 2.0 profile
        cred = ob3.open_badge_credential(
            base,
            as_award(row),
            kind,
            issuer_name=who.name,
            issuer_homepage=who.url,
            issuer_email=who.email,
            recipient_identity=user_page_url(str(row["username"]), row["wiki"]),
            salt=str(row["salt"]),
            issued_on=row["issued_date"],
            evidence_urls=[e.url for e in evidence_list(row, base)],
            lang=lang,
            skill_label=label_for(row["skill"], lang),
            skill_qid=qid_for(row["skill"]),
            subject_secret=state().store.subject_key(),
        )
    except ValueError:
        log.exception("cannot build the credential of award %s", row["id"])
        raise BadgeProblem(503, "error-unavailable") from None
    return ob3.sign_credential(cred, key.private_pem, key.kid(base))


@bp.get("/credentials/<name>")
def credential(name: str) -> Response:
    """The award as a signed OB 3.0 OpenBadgeCredential (compact JWS, ES256/RS256), or
    baked into the badge image (``.png``: iTXt ``openbadgecredential``; ``.svg``:
    ``<openbadges:credential verify=…>``), next to the OB 2.0 baked assertions."""
    award_id, ext = split_ext(name)
    row = load_award(award_id)
    token = credential_token(row)
    if ext is None:
        return finish(Response(token, content_type=VC_JWT_TYPE), AWARD_MAX_AGE)
    kind = kind_of(row)
    if ext == "png":
        png = baking.bake_credential_png(ob.class_png(kind), token)
        return image_response(png, ext, max_age=AWARD_MAX_AGE)
    lang = kind_lang(kind, tr.fallback_chain(doc_lang()))
    svg = baking.bake_credential_svg(ob.class_svg(kind, lang, label_for(row["skill"], lang)), token)
    return image_response(svg, ext, max_age=AWARD_MAX_AGE)


@bp.get("/revocations")
def revocations() -> Response:
    """The 1EdTech revocation list that every credential's ``credentialStatus`` names.

    A downloaded token verifies offline forever; this list is how a verifier learns that the
    award behind it was revoked. It is served with or without a signing key, since tokens
    signed earlier must stay checkable after an operator removes the key.
    """
    revoked = cached(("revocations",), queries.revocations)
    body = json.dumps(ob3.revocation_list(base_url(), revoked), ensure_ascii=False)
    response = Response(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    return finish(response, AWARD_MAX_AGE)


# -- the award page ----------------------------------------------------------------------------


@bp.get("/awards/<award_id>")
@cached_page
def award(award_id: str) -> str:
    """One badge for people: what it is, who earned it, why, and how to take it along."""
    row = load_award(award_id)
    kind = kind_of(row)
    text_lang = kind_lang(kind, choice().chain)
    label = label_for(row["skill"], text_lang)
    text = kind.localized(text_lang, label)
    base = base_url()
    who = issuer()
    issued: date = row["issued_date"]
    return flask.render_template(
        "award.html",
        award=row,
        text=text,
        text_attrs=lang_attrs(text_lang),
        class_id=badge_rules.badge_class_id(kind.id, row["skill"] or None),
        issued=issued.isoformat(),
        identity=user_page_url(str(row["username"]), row["wiki"]),
        evidence=evidence_list(row, base),
        issuer=who,
        assertion_id=ob.assertion_url(base, str(row["id"])),
        has_credential=has_signing_key(),
    )


__all__ = ["bp"]
