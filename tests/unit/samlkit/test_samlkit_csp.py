"""samlkit.csp: hash sources as browsers compute them, policies rendered strictly, origins kept clean."""

from __future__ import annotations

from samlkit.csp import AUTO_POST, PAGE, STATIC, Policy, framed_by, origins, source_hash
from samlkit.html import AUTO_POST_SCRIPT, CSS


def test_a_hash_source_is_the_base64_sha256_of_the_exact_text() -> None:
    # the example of the CSP specification (and MDN)
    assert source_hash("alert('Hello, world.');") == "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"


def test_every_policy_loads_nothing_but_the_shared_style_and_cannot_be_based_elsewhere() -> None:
    for p in (PAGE, STATIC, AUTO_POST):
        parts = p.header.split("; ")
        assert parts[:3] == ["default-src 'none'", f"style-src {source_hash(CSS)}", "base-uri 'none'"]
        assert parts[-1] == "frame-ancestors 'none'"
    assert "form-action 'self'" in PAGE.header and "script-src" not in PAGE.header
    assert "form-action 'none'" in STATIC.header
    assert "form-action" not in AUTO_POST.header and f"script-src {source_hash(AUTO_POST_SCRIPT)}" in AUTO_POST.header


def test_frame_sources_and_form_targets_are_listed_once_each() -> None:
    p = Policy(frame_src=("'self'", "http://a.test", "'self'"), form_action=("'self'", "'self'"))
    assert p.header.endswith("frame-src 'self' http://a.test; form-action 'self'; frame-ancestors 'none'")


def test_only_clean_origins_of_urls_reach_a_policy() -> None:
    urls = [
        "https://sp.example/slo?x=1",
        "http://SP.example:8080/a; script-src *",
        "https://sp.example/other",
        "javascript:alert(1)",
        "http://a b/slo",
        "http://sp.test:99999/slo",
        "http://[::1]:5000/slo",
        "",
    ]
    assert origins(urls) == ("https://sp.example", "http://sp.example:8080", "http://[::1]:5000")


def test_a_page_framed_by_a_url_names_exactly_its_origin_whatever_the_url_smuggles() -> None:
    """The IdP's SLO URL comes from its metadata or a tester's typing: spaces, `;`, `,`, quotes or
    userinfo in its authority must not add sources (`*`) or directives to frame-ancestors."""

    def ancestors(url: str) -> str:
        return framed_by(AUTO_POST, url).header.split("; ")[-1]

    assert ancestors("https://idp.example:8443/slo?x=1") == "frame-ancestors https://idp.example:8443"
    assert ancestors("https://attacker.example@IDP.Example/slo") == "frame-ancestors https://idp.example"
    assert ancestors("http://[::1]:8080/slo") == "frame-ancestors http://[::1]:8080"
    assert ancestors("HTTP://127.0.0.1:5000/slo") == "frame-ancestors http://127.0.0.1:5000"
    for smuggled in (
        "",
        "javascript:alert(1)",
        "/relative",
        "data:text/html,x",
        "https://idp.example */slo",
        "https://idp.example,*/slo",
        "https://idp.example;frame-ancestors */slo",
        "https://idp.example'unsafe-inline'/slo",
        "https://idp.example:99999/slo",
        "https://idp.example:8o/slo",
    ):
        assert ancestors(smuggled) == "frame-ancestors 'none'", smuggled
    assert framed_by(AUTO_POST, "https://idp.example/slo").scripts == AUTO_POST.scripts  # the rest kept
