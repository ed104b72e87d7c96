"""OPTIONS on every endpoint of the API describes it, never a 500 (a viewset whose actions
build their own answers still names the serializer OPTIONS shows)."""

import re

import pytest
from rest_framework.test import APIClient

from config.urls import api_router


def endpoints() -> list[str]:
    """Every route of the API router, with 1 for any id in it."""
    paths = set()
    for pattern in api_router.urls:
        route = str(pattern.pattern)
        if "format" in route:
            continue
        path = re.sub(r"\(\?P<[^>]+>[^)]+\)", "1", route).strip("^$")
        paths.add("/api/v1/" + path.replace("\\.", "."))
    return sorted(paths)


@pytest.mark.parametrize("path", endpoints())
def test_options_describes_every_endpoint(path, staff):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(staff)
    response = client.options(path)
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"] == "application/json"
