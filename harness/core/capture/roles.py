"""Tell the SP from the IdP in a capture by what each origin sent and received.

An origin that receives AuthnRequests or sends Responses is an IdP; one that receives Responses
or redirects with AuthnRequests is an SP. Logout messages go both ways and decide nothing; a
message that cannot be read is judged by its parameter's name (SAMLRequest, SAMLResponse).
"""

from __future__ import annotations

from collections import Counter

from harness.core.safe_url import urlsplit
from harness.core.trace import Message

_RECEIVED = {"AuthnRequest": "idp", "Response": "sp"}
_SENT = {"AuthnRequest": "sp", "Response": "idp"}
_RECEIVED_PARAM = {"SAMLRequest": "idp", "SAMLResponse": "sp"}
_SENT_PARAM = {"SAMLRequest": "sp", "SAMLResponse": "idp"}


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class RoleVotes:
    def __init__(self) -> None:
        self._votes: dict[str, Counter[str]] = {}

    def vote(self, url: str, message: Message | None, *, sent: bool) -> None:
        if message is None:
            return
        role = (_SENT if sent else _RECEIVED).get(message.summary.kind)
        if role is None and not message.summary.kind:  # unreadable: the parameter's name still tells
            role = (_SENT_PARAM if sent else _RECEIVED_PARAM).get(message.param)
        if role:
            self._votes.setdefault(origin(url), Counter())[role] += 1

    def roles(self) -> dict[str, str]:
        return {o: votes.most_common(1)[0][0] for o, votes in self._votes.items()}
