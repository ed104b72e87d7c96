"""Schemathesis against the product's own OpenAPI document, as each role of the seeded demo.

Every operation is called with examples generated from the schema, valid and invalid, through
the WSGI application: no answer may be a server error, every answer must be one the schema
documents (status, content type, body) and invalid input must be refused with a 4xx. The totals
per role (operations, cases, failures by check) are printed in the run's output.

SCHEMATHESIS_EXAMPLES (per operation), SCHEMATHESIS_SECONDS (per role) and SCHEMATHESIS_SEED
tune a run; the defaults keep the module within about two minutes on two cores."""

import collections
import dataclasses
import io
import json
import os

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connections
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema
from schemathesis.transport import wsgi as schemathesis_wsgi

from config.wsgi import application

# The demo logins of seed_demo, one per role the API serves.
ROLES = {
    "committee staff": "staff",
    "street staff": "street",
    "resident": "resident",
    "volunteer": "volunteer",
    "group leader": "leader",
}
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
SECONDS = int(os.environ.get("SCHEMATHESIS_SECONDS", "12"))
SEED = int(os.environ.get("SCHEMATHESIS_SEED", "20221130"))


@dataclasses.dataclass
class Totals:
    role: str
    operations: set[str] = dataclasses.field(default_factory=set)
    cases: int = 0
    failures: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    # One example of each distinct failure (check, operation, first line), and how often.
    examples: dict[tuple, list] = dataclasses.field(default_factory=dict)
    errors: list[str] = dataclasses.field(default_factory=list)

    def line(self) -> str:
        by_check = ", ".join(f"{check} {self.failures[check]}" for check in CHECKS)
        return (
            f"schemathesis {self.role:<16} operations {len(self.operations):>3}  "
            f"cases {self.cases:>5}  failures: {by_check}  errors {len(self.errors)}"
        )


def _send_without_socket_settings(send):
    """Schemathesis 4 hands socket settings (max_redirects …) to Werkzeug when a check calls
    again without the run's session (ignored_auth's probe); Werkzeug refuses them."""

    def send_in_process(self, case, *, session=None, **kwargs):
        if session is None:
            for name in ("max_redirects", "verify", "cert", "proxies"):
                kwargs.pop(name, None)
        return send(self, case, session=session, **kwargs)

    return send_in_process


@pytest.fixture
def in_process_transport(monkeypatch):
    transport = schemathesis_wsgi.WSGITransport
    monkeypatch.setattr(transport, "send", _send_without_socket_settings(transport.send))


@pytest.fixture
def seeded(transactional_db):
    """The demo of `make run`: committees, compounds, a planned round, a volunteer on shift."""
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo_points", stdout=io.StringIO())


def application_closing_connections(environ, start_response):
    """The application, closing the calling thread's database connections after each answer:
    schemathesis calls from a thread of its own, whose open connection would keep PostgreSQL
    from dropping the test database."""
    response = application(environ, start_response)
    try:
        yield from response
    finally:
        response.close()
        connections.close_all()


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "max-time": SECONDS,
            "workers": 1,
            "continue-on-failure": True,
            "generation": {"max-examples": EXAMPLES, "mode": "all", "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "checks": {"enabled": False, **{check: {"enabled": True} for check in CHECKS}},
        }
    )


def _describe(scenario: events.ScenarioFinished, case_id: str, check) -> str:
    node = scenario.recorder.cases.get(case_id)
    response = scenario.recorder.find_response(case_id=case_id)
    case = node.value if node is not None else None
    sent = {
        "path": case.formatted_path if case else None,
        "query": case.query if case else None,
        "body": case.body if case and not callable(getattr(case.body, "read", None)) else None,
    }
    return (
        f"{check.name}: {scenario.label} → {response.status_code if response else '-'} "
        f"{json.dumps(sent, default=repr, ensure_ascii=False)[:400]}\n"
        f"    {check.failure_info.failure.title}: "
        f"{check.failure_info.failure.message[:600]}\n"
        f"    answered: {(response.content[:300].decode(errors='replace') if response else '')}"
    )


def _run(role: str, token: str) -> Totals:
    schema = schemathesis.openapi.from_wsgi(
        "/api/schema/", application_closing_connections, config=_config()
    )
    # Identity: Werkzeug's client hands back gzip unopened, where an HTTP client would open it.
    schema.config.update(headers={"Authorization": f"Token {token}", "Accept-Encoding": "identity"})
    totals = Totals(role)
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError):
            totals.errors.append(f"{event.label}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            totals.errors.append(f"fatal: {event.exception!r}")
        elif isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            if event.label and event.recorder.cases:
                totals.operations.add(event.label)
            totals.cases += len(event.recorder.cases)
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.status == Status.FAILURE and check.failure_info is not None:
                        totals.failures[check.name] += 1
                        message = check.failure_info.failure.message.strip().splitlines()
                        key = (check.name, event.label, message[0] if message else "")
                        if key not in totals.examples:
                            totals.examples[key] = [0, _describe(event, case_id, check)]
                        totals.examples[key][0] += 1
    return totals


def test_the_api_answers_as_its_schema_says_for_every_role(seeded, in_process_transport, capsys):
    results = []
    for role, username in ROLES.items():
        token, _created = Token.objects.get_or_create(user=User.objects.get(username=username))
        results.append(_run(role, token.key))
    with capsys.disabled():
        print(f"\nschemathesis: {EXAMPLES} examples per operation, {SECONDS} s per role")
        for totals in results:
            print(totals.line())

    report = [
        f"{totals.role}: {detail}"
        for totals in results
        for detail in [
            *totals.errors,
            *(f"{count} × {example}" for count, example in totals.examples.values()),
        ]
    ]
    if report:
        with capsys.disabled():  # pytest would cut a long assertion message short
            print("\n".join(["", "schemathesis found:", *report]))
    assert not report, f"{len(report)} distinct failures, listed above"
    assert all(totals.cases > len(totals.operations) for totals in results)
