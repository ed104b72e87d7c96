"""The API's root lists every app's endpoints, and a malformed id is a 404, never a 500."""

import pytest


@pytest.mark.django_db
def test_the_api_root_lists_every_apps_endpoints(api_client, staff):
    api_client.force_authenticate(staff)
    root = api_client.get("/api/v1/").json()
    for name in ("households", "rounds", "orders", "collection-points", "jobs"):
        assert name in root


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/rounds/abc/close/",
        "/api/v1/orders/abc/cancel/",
        "/api/v1/rounds/abc/allocate/",
        "/api/v1/jobs/abc/",
    ],
)
def test_a_malformed_id_is_a_404(api_client, staff, url):
    api_client.force_authenticate(staff)
    response = api_client.post(url) if not url.startswith("/api/v1/jobs") else api_client.get(url)
    assert response.status_code == 404
