"""One-click transforms on the open message: shift every time, make it current (fresh IDs, the
InResponseTo of a fresh request, times from now), and apply any attack scenario of the catalogue.

Scenarios are the battery's own builders (`mock_idp.scenarios`), run on a context whose `build`
returns the open message instead of a freshly made Response: each scenario bends the tester's
message exactly as it bends the IdP's in the battery, and signs with the context's key.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, replace
from types import EllipsisType

from lxml import etree

from harness.core.certs import KeyPair
from harness.core.workbench.fields import TIME_ATTRIBUTES, read_field
from harness.core.workbench.message import WorkbenchError, parse_xml
from harness.core.workbench.signing import strip_signatures
from harness.core.workspace import Workspace, resolve
from mock_idp.model import IdPUser, SPSettings
from mock_idp.response import new_id
from mock_idp.scenarios import CATALOGUE, by_name
from mock_idp.scenarios.base import Context, Message, Scenario
from samlkit import ns
from sp.validate import parse_instant

MAX_SHIFT = 100 * 365 * 24 * 3600  # seconds: a century either way is plenty


def _format_instant(t: dt.datetime, like: str) -> str:
    if "." in like:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _time_attributes(root: etree._Element):
    for el in root.iter(etree.Element):
        if el.tag.startswith("{" + ns.DS):
            continue
        for name in TIME_ATTRIBUTES:
            if name in el.attrib:
                yield el, name


def shift_times(root: etree._Element, seconds: int) -> int:
    """Move every SAML time in the message by `seconds`; returns how many moved."""
    if abs(seconds) > MAX_SHIFT:
        raise WorkbenchError(f"a shift of {seconds} s is over a century: give seconds, e.g. -600 or 3600")
    moved = 0
    for el, name in _time_attributes(root):
        value = el.get(name)
        t = parse_instant(value)
        if t is None:
            continue
        try:
            el.set(name, _format_instant(t + dt.timedelta(seconds=seconds), value))
        except OverflowError as err:
            raise WorkbenchError(f"{name} {value} shifted by {seconds} s leaves the calendar") from err
        moved += 1
    return moved


def refresh(
    root: etree._Element,
    *,
    request_id: str | None = None,
    now: dt.datetime | None = None,
    issued: str | None = None,
) -> None:
    """Make an old message current: new Response and Assertion IDs, InResponseTo set to
    `request_id` wherever the message answers a request, and every time moved by the age of the
    message (`issued`: its IssueInstant as opened, else as it is), so that the times keep their
    lengths and any shift the tester made stays relative to now."""
    for el in [root, *root.findall(ns.q(ns.SAML, "Assertion"))]:
        if el.get("ID"):
            el.set("ID", new_id())
    if request_id:
        for el in root.iter(etree.Element):
            if "InResponseTo" in el.attrib and not el.tag.startswith("{" + ns.DS):
                el.set("InResponseTo", request_id)
    then = parse_instant(issued) or parse_instant(root.get("IssueInstant"))
    if then is not None:
        now = now or dt.datetime.now(dt.UTC)
        shift_times(root, int((now - then).total_seconds()))


# -- scenarios ---------------------------------------------------------------------------------------


def scenario_names() -> list[str]:
    return [s.name for s in CATALOGUE]


@dataclass
class MessageContext(Context):
    """A scenario context whose legitimate Response is the open message (signatures removed)."""

    base_xml: bytes = b""

    def build(
        self,
        *,
        user: IdPUser | None = None,
        in_response_to: str | EllipsisType | None = ...,
        now: dt.datetime | None = None,
    ) -> tuple[etree._Element, etree._Element]:
        resp = parse_xml(self.base_xml)
        assertion = resp.find(ns.q(ns.SAML, "Assertion"))
        if resp.tag != ns.q(ns.SAMLP, "Response") or assertion is None:
            raise WorkbenchError("the attack scenarios bend a Response with an Assertion; this message is not one")
        strip_signatures(resp)
        strip_signatures(assertion)
        if user is not None and user.username != self.user.username:
            name_id = assertion.find(f"{ns.q(ns.SAML, 'Subject')}/{ns.q(ns.SAML, 'NameID')}")
            if name_id is not None:
                name_id.text = self.name_id(user)
        if in_response_to is not ...:
            for el in (resp, *assertion.iter(ns.q(ns.SAML, "SubjectConfirmationData"))):
                if in_response_to is None:
                    el.attrib.pop("InResponseTo", None)
                elif "InResponseTo" in el.attrib or el is resp:
                    el.set("InResponseTo", in_response_to)
        return resp, assertion


def scenario_context(
    ws: Workspace, xml: bytes, relay_state: str | None, signer: KeyPair, foreign: KeyPair
) -> MessageContext:
    """The context for the open message: its own SP, user and request; the workspace's IdP users."""
    root = parse_xml(xml)
    audience = read_field(root, "audience") or ""
    acs = read_field(root, "destination") or read_field(root, "recipient") or ""
    known = next((s for s in ws.idp_for_sps() if resolve(s.entity_id, "", "") == audience), None)
    sp = SPSettings(entity_id=audience, acs_url=acs)
    if known is not None:
        sp = replace(sp, nameid_format=known.nameid_format, nameid_source=known.nameid_source)
    users = ws.users() or [IdPUser("attacker", "")]
    probe = Context("", b"", b"", sp, users[0], users[0], b"", b"")
    name_id = read_field(root, "nameid")
    user = next((u for u in users if probe.name_id(u) == name_id), users[0])
    victim = next((u for u in users if u.username != user.username), user)
    issuer = read_field(root, "assertion.issuer") or read_field(root, "issuer") or ws.idp_profile().entity_id
    return MessageContext(
        idp_entity_id=issuer,
        idp_key_pem=signer.key_pem,
        idp_cert_pem=signer.cert_pem,
        sp=sp,
        user=user,
        victim=victim,
        foreign_key_pem=foreign.key_pem,
        foreign_cert_pem=foreign.cert_pem,
        in_response_to=read_field(root, "in_response_to") or None,
        relay_state=relay_state,
        previous=Message({"SAMLResponse": base64.b64encode(xml).decode("ascii")}, xml),
        base_xml=xml,
    )


@dataclass
class ScenarioResult:
    xml: str
    relay_state: str | None
    scenario: Scenario
    note: str = ""  # what the scenario needs beyond the message, when sent


def apply_scenario(name: str, ctx: MessageContext) -> ScenarioResult:
    s = by_name(name)
    if s is None or s.legitimate:
        raise WorkbenchError(f"no attack scenario {name!r} (see `saml-harness battery --list`)")
    try:
        message = s.build(ctx)
    except WorkbenchError:
        raise
    except Exception as err:  # a scenario that cannot bend this message says so in words
        raise WorkbenchError(
            f"the scenario {name} cannot be applied to this message ({type(err).__name__}: {err})"
        ) from err
    xml = message.xml
    if xml is None:
        try:
            xml = base64.b64decode(message.fields.get("SAMLResponse", ""), validate=True)
        except ValueError:
            xml = b""
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError:
        text = ""
    if not text.lstrip().startswith("<"):
        raise WorkbenchError(
            f"the scenario {name} changes how the message is posted, not its XML "
            "(its form field is not base64 XML); run it from the attack battery"
        )
    note = ""
    if s.needs:
        note = f"the battery also arranges {', '.join(sorted(s.needs))} around this scenario when it sends it"
    return ScenarioResult(text, message.fields.get("RelayState", ctx.relay_state), s, note)
