"""Mixed traffic against the production shape (scripts/production-shape.sh), for locust.

Run it through ``python -m tests.load.run`` (it seeds, runs locust headless and counts the
survey answers in the database afterwards). Each simulated user is one kind of visitor:

- ``Visitor``: the public catalogue (list, search, filter, detail), the register, the API;
- ``Staff``: signs in once (agency officer and admin, reviewer, provider admins) and opens
  its dashboard and a case it may see;
- ``Assessor``: a provider's admin or editor saving self-assessment answers, one criterion
  per user so that legitimate saves never collide;
- ``Respondent``: spends one-time survey codes (redeem, form, submit), one person each;
- ``Downloader``: the register's report PDF;
- ``Hostile``: bad CSRF tokens, oversize bodies, survey codes already used, other
  providers' ids. Each of these counts as refused or accepted, never as a legitimate error.

The client plays a browser behind the TLS proxy the portal expects in production: it sends
``X-Forwarded-Proto: https`` (the shape trusts one proxy hop), a same-origin ``Referer`` as
browsers do over HTTPS, an ``X-Forwarded-For`` address of its own, and its ``Secure``
cookies over the proxy's plain-HTTP hop. Tallies go to ``<load dir>/summary.json`` when the
test stops.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from collections import Counter
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, constant, events, task

# The client stands for the TLS proxy's plain-HTTP hop, where the browser's Secure cookies
# travel too; without this the cookie jar keeps them back and every form fails its CSRF.
DefaultCookiePolicy.return_ok_secure = lambda self, cookie, request: True  # type: ignore[method-assign]

LOAD_DIR = Path(os.environ.get("QAPORTAL_LOAD_DIR", "/tmp/qaportal-shape/load"))
SEED: dict[str, Any] = json.loads((LOAD_DIR / "seed.json").read_text())
_CODES = iter((LOAD_DIR / "codes.txt").read_text().split())
_CODES_LOCK = threading.Lock()
WAIT = float(os.environ.get("QAPORTAL_LOAD_WAIT", "0"))

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
LOCK_RE = re.compile(r'name="lock_version" type="hidden" value="(\d+)"')
RADIO_RE = re.compile(r'name="(q_[a-z0-9_]+)" type="radio" value="([^"]+)"')
CRITERION_RE = re.compile(r"/cases/\d+/criteria/(\d+)")
REFUSED = frozenset({400, 403, 404, 410, 413, 422, 429})

# Tallies, read when the test stops (gevent: one thread, no locks needed but for the codes).
legit_errors: Counter[str] = Counter()
hostile: Counter[tuple[str, str]] = Counter()
survey = Counter()
used_codes: list[str] = []
_criteria = itertools.count()
_addresses = itertools.count(1)


def _address() -> str:
    n = next(_addresses)
    return f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _next_code() -> str | None:
    with _CODES_LOCK:
        return next(_CODES, None)


def _account(role: str, organisation: str | None = None) -> str:
    for email, account_role, org in SEED["accounts"]:
        if account_role == role and (organisation is None or org == organisation):
            return str(email)
    raise LookupError(role)


class PortalUser(FastHttpUser):
    abstract = True
    wait_time = constant(WAIT)

    def on_start(self) -> None:
        self.address = _address()
        self.origin = "https://" + urlsplit(self.host).netloc

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Referer": self.origin + "/",
            **(extra or {}),
        }

    def legit(
        self, method: str, path: str, name: str, expect: tuple[int, ...] = (200,), **kw: Any
    ) -> Any:
        body = kw.pop("form", None)
        headers = self.headers(kw.pop("headers", None))
        if body is not None:
            kw["data"] = urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.request(
            method,
            path,
            name=name,
            headers=headers,
            catch_response=True,
            allow_redirects=False,
            **kw,
        ) as response:
            if response.status_code in expect:
                response.success()
            else:
                legit_errors[f"{name} → {response.status_code}"] += 1
                response.failure(f"{name}: {response.status_code}")
            return response

    def attack(self, kind: str, method: str, path: str, **kw: Any) -> Any:
        body = kw.pop("form", None)
        headers = self.headers(kw.pop("headers", None))
        if body is not None:
            kw["data"] = body if isinstance(body, str) else urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.request(
            method,
            path,
            name=f"hostile: {kind}",
            headers=headers,
            catch_response=True,
            allow_redirects=False,
            **kw,
        ) as response:
            if response.status_code in REFUSED:
                hostile[(kind, "refused")] += 1
                response.success()
            else:
                hostile[(kind, f"accepted {response.status_code}")] += 1
                response.failure(f"hostile {kind} accepted: {response.status_code}")
            return response

    def csrf(self, path: str, name: str) -> tuple[str, str]:
        page = self.legit("GET", path, name).text or ""
        match = CSRF_RE.search(page)
        return (match.group(1) if match else ""), page

    def sign_in(self, email: str) -> None:
        token, _page = self.csrf("/login", "sign in (form)")
        form = {"csrf_token": token, "email": email, "password": SEED["password"]}
        self.legit("POST", "/login", "sign in", (302, 303), form=form)


class Visitor(PortalUser):
    weight = 12

    @task(4)
    def catalogue(self) -> None:
        self.legit("GET", "/catalogue", "catalogue list")

    @task(2)
    def catalogue_deep(self) -> None:
        self.legit("GET", f"/catalogue?page={random.randint(2, 40)}", "catalogue page N")

    @task(2)
    def search(self) -> None:
        word = random.choice(["data", "digital", "green", "care", "python", "energy"])
        self.legit("GET", f"/catalogue?q={word}", "catalogue search")

    @task(1)
    def filtered(self) -> None:
        self.legit("GET", "/catalogue?eqf=5&language=en", "catalogue filter")

    @task(4)
    def detail(self) -> None:
        public_id = random.choice(SEED["public_ids"])
        self.legit("GET", f"/catalogue/{public_id}", "catalogue detail")

    @task(2)
    def register(self) -> None:
        self.legit("GET", "/register", "register list")

    @task(1)
    def decision(self) -> None:
        decision = random.choice(SEED["decision_ids"])
        self.legit("GET", f"/register/decisions/{decision}", "register decision")

    @task(1)
    def provider_catalogue(self) -> None:
        provider = random.choice(SEED["provider_ids"])
        self.legit("GET", f"/providers/{provider}/catalogue", "provider catalogue")

    @task(1)
    def api(self) -> None:
        self.legit("GET", "/api/v1/specifications?limit=50", "api specifications")


class Staff(PortalUser):
    weight = 8
    _turn = itertools.count()
    ROLES = [
        ("agency_officer", None),
        ("agency_admin", None),
        ("reviewer", None),
        ("provider_admin", "UDV"),
        ("provider_admin", "NVTC"),
    ]

    def on_start(self) -> None:
        super().on_start()
        role, organisation = self.ROLES[next(self._turn) % len(self.ROLES)]
        try:
            self.email = _account(role, organisation)
        except LookupError:
            self.email = _account(role)
        self.sign_in(self.email)
        self.case_id = (
            SEED["foreign_case_id"] if role.startswith("agency") else SEED["draft_case_id"]
        )
        self.sees_case = role != "reviewer" and organisation != "NVTC"

    @task(5)
    def dashboard(self) -> None:
        self.legit("GET", "/dashboard", "dashboard")

    @task(1)
    def case(self) -> None:
        if self.sees_case:
            self.legit("GET", f"/cases/{self.case_id}", "case page")


class Assessor(PortalUser):
    weight = 3
    _turn = itertools.count()

    def on_start(self) -> None:
        super().on_start()
        role = "provider_admin" if next(self._turn) % 2 == 0 else "provider_editor"
        self.sign_in(_account(role, "UDV"))
        case = SEED["draft_case_id"]
        page = self.legit("GET", f"/cases/{case}/self-assessment", "self-assessment").text
        criteria = sorted({int(c) for c in CRITERION_RE.findall(page or "")})
        self.path = None
        if criteria:
            self.path = f"/cases/{case}/criteria/{criteria[next(_criteria) % len(criteria)]}"

    @task
    def save(self) -> None:
        if self.path is None:
            return
        page = self.legit("GET", self.path, "criterion (form)").text or ""
        token, lock = CSRF_RE.search(page), LOCK_RE.search(page)
        form = {
            "csrf_token": token.group(1) if token else "",
            "lock_version": lock.group(1) if lock else "0",
            "q_narrative": f"We meet this criterion; draft {random.randint(1, 10**9)}.",
            "q_rating": random.choice(["partially", "substantially", "fully"]),
        }
        self.legit("POST", self.path, "self-assessment save", (302, 303), form=form)


class Respondent(PortalUser):
    weight = 6

    @task
    def answer(self) -> None:
        code = _next_code()
        if code is None:
            survey["codes exhausted"] += 1
            return
        # A different person each time: own address, no cookie from the one before.
        self.address = _address()
        self.client.cookiejar.clear()
        self.legit("GET", f"/f/{code}", "survey link", (303,))
        page = self.legit("GET", "/f", "survey form").text or ""
        token = CSRF_RE.search(page)
        choices: dict[str, list[str]] = {}
        for name, value in RADIO_RE.findall(page):
            choices.setdefault(name, []).append(value)
        form = {name: random.choice(values) for name, values in choices.items()}
        form["csrf_token"] = token.group(1) if token else ""
        response = self.legit("POST", "/f", "survey submit", (303,), form=form)
        if response.status_code == 303:
            survey["submitted"] += 1
            used_codes.append(code)


class Downloader(PortalUser):
    weight = 1

    @task
    def report(self) -> None:
        decision = random.choice(SEED["decision_ids"])
        response = self.legit("GET", f"/register/decisions/{decision}/report", "report PDF")
        if response.status_code == 200 and not (response.content or b"").startswith(b"%PDF"):
            legit_errors["report PDF → not a PDF"] += 1


class Hostile(PortalUser):
    weight = 2

    def on_start(self) -> None:
        super().on_start()
        self.sign_in(_account("provider_admin", "UDV"))
        case = SEED["draft_case_id"]
        page = self.legit("GET", f"/cases/{case}/self-assessment", "self-assessment").text
        self.criterion = min((int(c) for c in CRITERION_RE.findall(page or "")), default=1)

    @task
    def bad_csrf(self) -> None:
        form = {"csrf_token": "forged", "email": "x@example.org", "password": "x" * 12}
        self.attack("bad CSRF", "POST", "/login", form=form)
        path = f"/cases/{SEED['draft_case_id']}/criteria/{self.criterion}"
        forged = {"csrf_token": "forged", "lock_version": "0", "q_narrative": "overwritten"}
        self.attack("bad CSRF", "POST", path, form=forged)

    @task
    def oversize(self) -> None:
        body = "code=" + "A" * (3 * 1024 * 1024)  # past the 2 MiB form limit
        self.attack("oversize body", "POST", "/f/code", form=body)

    @task
    def reused_code(self) -> None:
        if not used_codes:
            return
        code = random.choice(used_codes)
        # One address trying used codes back to back meets the links' rate limit: a 429 at
        # the link refuses the reuse before any survey page (which, with no pass, would show
        # the code entry page, 200). Otherwise the link redirects and the page must refuse.
        link = self.legit("GET", f"/f/{code}", "hostile: reused survey code (link)", (303, 429))
        if link.status_code == 429:
            hostile[("reused survey code, rate-limited at its link", "refused")] += 1
        elif link.status_code == 303:
            self.attack("reused survey code", "GET", "/f")

    @task
    def other_providers_ids(self) -> None:
        foreign = SEED["foreign_case_id"]
        self.attack("other provider's id", "GET", f"/cases/{foreign}")
        self.attack("other provider's id", "GET", f"/cases/{foreign}/self-assessment")
        token, _page = self.csrf("/dashboard", "dashboard")
        form = {"csrf_token": token, "lock_version": "0", "q_narrative": "not mine"}
        self.attack(
            "other provider's id", "POST", f"/cases/{foreign}/criteria/{self.criterion}", form=form
        )
        provider = random.choice(SEED["provider_ids"])
        self.attack("other provider's id", "GET", f"/orgs/{provider}/catalogue")


@events.test_stop.add_listener
def _write_summary(environment: Any, **_kw: Any) -> None:
    total = environment.stats.total
    per_name = {
        f"{entry.method} {entry.name}": {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
        }
        for entry in environment.stats.entries.values()
    }
    summary = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "rps": total.total_rps,
        "p50": total.get_response_time_percentile(0.5),
        "p95": total.get_response_time_percentile(0.95),
        "p99": total.get_response_time_percentile(0.99),
        "legit_errors": dict(legit_errors),
        "hostile": {f"{kind}: {outcome}": n for (kind, outcome), n in hostile.items()},
        "survey": dict(survey),
        "per_name": per_name,
    }
    (LOAD_DIR / "summary.json").write_text(json.dumps(summary, indent=1))
