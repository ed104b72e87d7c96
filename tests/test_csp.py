"""A Content-Security-Policy on every page with no inline script allowed, and templates that
need none: no <script> without src, no on…= handlers, no style attributes."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

TEMPLATES = Path(settings.BASE_DIR) / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)


def template_files():
    return sorted(TEMPLATES.rglob("*.html"))


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_needs_unsafe_inline(path):
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.findall(text), "move the script into static/js"
    assert not HANDLER.findall(text), "use addEventListener in a static script"
    assert not STYLE_ATTRIBUTE.findall(text), "use a class of the stylesheet"


def test_the_checks_find_inline_code():
    assert INLINE_SCRIPT.findall('<script>alert(1)</script><script src="/a.js"></script>') == [
        "<script>"
    ]
    assert HANDLER.findall('<button onclick="go()">') and not HANDLER.findall("<button data-on>")
    assert STYLE_ATTRIBUTE.findall('<p style="color:red">')


def test_every_page_carries_the_policy(client, db):
    response = client.get(reverse("login"))
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def test_the_api_docs_load_their_script_from_a_file(client, staff):
    client.force_login(staff)
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert not INLINE_SCRIPT.findall(html)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
