"""What a person does on the harness's pages in Chromium, shared by the browser tests."""

from __future__ import annotations

import json

IDM_KEY = "4711"
PASSWORDS = {"alice": "alice123", "bob": "bob123", "carol": "carol123", "dave": "dave123", "erin": "erin123"}


def sign_in(page, username: str, password: str) -> None:
    assert page.title() == "Sign in"
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def whoami(page, servers) -> tuple[int, dict]:
    response = page.goto(servers.sp_base + "/whoami")
    return response.status, json.loads(page.inner_text("body"))


def wait_for_sp(page, servers, path: str = "/home") -> None:
    """The auto-post form submits itself; wait until the SP has answered and redirected."""
    page.wait_for_url(servers.sp_base + path + "*")
    page.wait_for_load_state()


def csp_refusals(page) -> list[str]:
    """What Chromium refuses from now on under a page's Content-Security-Policy (it says so on the
    console: a blocked script, style, frame or form post), to assert that a whole flow needed nothing
    a policy refuses."""
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    return refused
