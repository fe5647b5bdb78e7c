"""The whole accreditation loop in Chromium, each role in its own browser context.

A fresh installation (``qaportal create-admin`` and ``qaportal forms load``, as the README's
production section starts one) and nothing else: every other row is made through the pages.
Invitations and survey links are read from the mail a real local SMTP server received after
``qaportal mail send``, as the people they were sent to would. Background jobs run at once in
the request (``QUEUE_IMMEDIATE``, as in every other test); the journey still waits on the job
pages as a user would. The only thing not done through a page is the passing of days: the
appeal window must end before the conditions are followed up, so the clock of the decision
rules is moved past it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer
from tests.casekit import minimal_pdf
from tests.conftest import link_in_mail, send_mail
from tests.pdf_checks import page_texts

PASSWORD = "correct horse battery staple 42"
AGENCY = "Nordic Agency for Micro-credential Quality"
AGENCY_ADMIN = "ada@nordic-qa.example.org"
OFFICER = "otto@nordic-qa.example.org"
PROVIDER = "Harbour Institute of Applied Skills"
PROVIDER_ADMIN = "pia@harbour.example.org"
CHAIR = "carla@reviewers.example.org"
STUDENT = "sam@students.example.org"
SPEC_TITLES = ("Welding Robotics Basics", "Harbour Logistics Data Skills")
THRESHOLD_ANSWERS = 5  # the anonymity threshold of an agency that has not changed it


@pytest.fixture
def app_config(app_config: dict[str, Any], smtp_server: Any) -> dict[str, Any]:
    return {**app_config, **smtp_server.config(), "RATELIMIT_ENABLED": False}


@dataclass
class Loop:
    """What the journey has learnt from the pages so far (ids read from URLs)."""

    app: Any
    smtp: Any
    browser: Any
    url: str
    later: Callable[[int], None]  # lets days pass for the decision rules
    contexts: list[Any] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    pages: dict[str, Any] = field(default_factory=dict)
    agency_id: int = 0
    provider_id: int = 0
    case_id: int = 0
    spec_ids: list[int] = field(default_factory=list)
    reference: str = ""
    decision_id: int = 0
    learner_campaign_url: str = ""

    def person(self, who: str) -> Any:
        """The page of ``who``'s own browser context (cookies of their own)."""
        if who not in self.pages:
            context = self.browser.new_context(base_url=self.url, locale="en-GB")
            context.set_default_timeout(60_000)
            self.contexts.append(context)
            page = context.new_page()
            page.on("console", lambda msg: self._console(who, msg))
            page.on("pageerror", lambda exc: self.console_errors.append(f"{who}: {exc}"))
            self.pages[who] = page
        return self.pages[who]

    def _console(self, who: str, msg: Any) -> None:
        # Chromium asks for /favicon.ico by itself; that 404 is no fault of a page.
        # The 410 of a one-time link opened again is asserted where the journey does it.
        url = msg.location.get("url", "")
        expected = url.endswith("/favicon.ico") or (url.endswith("/f") and "410" in msg.text)
        if msg.type == "error" and not expected:
            self.console_errors.append(f"{who}: {msg.text} ({msg.location.get('url')})")

    def mailed_link(self, to: str, prefix: str) -> str:
        """Deliver the outbox like the mail worker does, then read ``to``'s newest link."""
        send_mail(self.app)
        for message in reversed(self.smtp.messages):
            if to in str(message["To"]):
                return link_in_mail(message, prefix)
        raise AssertionError(f"no mail to {to} with a {prefix} link")


def id_in_url(page: Any, pattern: str) -> int:
    page.wait_for_url(re.compile(pattern))  # a link just clicked may still be loading
    match = re.search(pattern, page.url)
    assert match, f"{pattern} not in {page.url}"
    return int(match.group(1))


def fill(page: Any, data: dict[str, Any], scope: Any = None) -> None:
    """Fill a form's fields by their names, as typed or chosen by a person."""
    root = scope or page
    for name, value in data.items():
        field_ = root.locator(f'[name="{name}"]')
        kind = field_.first.evaluate("el => el.tagName.toLowerCase() + ':' + (el.type || '')")
        if kind.startswith("select"):
            field_.first.select_option(value)
        elif kind.endswith(":radio"):
            root.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind.endswith(":checkbox"):
            values = value if isinstance(value, list | tuple) else None
            if values is None:
                field_.first.set_checked(bool(value))
            else:
                for v in values:
                    root.locator(f'[name="{name}"][value="{v}"]').check()
        else:
            field_.first.fill(str(value))


def click(page: Any, name: str, scope: Any = None) -> None:
    """Press the button (or button-like link) ``name``; if a confirmation page follows
    (templates/web/confirm.html), confirm there too."""
    root = scope or page
    target = root.get_by_role("button", name=name, exact=True).or_(
        root.get_by_role("link", name=name, exact=True)
    )
    # Every button here posts a form: wait for the answer before looking at it.
    with page.expect_navigation():
        target.first.click()
    confirm = page.locator('main form button[name="confirm"]')
    if confirm.count():
        with page.expect_navigation():
            confirm.first.click()


def flash(page: Any, text: str) -> None:
    expect(
        page.locator(".flash, [role=alert], [role=status]").filter(has_text=text).first
    ).to_be_visible()


def sign_in(page: Any, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard")


def accept_invitation(loop: Loop, who: str, email: str, name: str) -> Any:
    page = loop.person(who)
    page.goto(loop.mailed_link(email, "/invitations/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Accept your invitation")
    page.get_by_label("Name").first.fill(name)
    fill(page, {"new_password": PASSWORD, "confirm_password": PASSWORD})
    click(page, "Create my account")
    page.wait_for_url("**/dashboard")
    expect(page.locator("body")).to_contain_text(name)
    return page


# ----- the stages ---------------------------------------------------------------------------


def install(loop: Loop) -> None:
    """What an operator does on a new installation: the first admin, the frameworks."""
    runner = loop.app.test_cli_runner()
    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            AGENCY_ADMIN,
            "--name",
            "Ada Admin",
            "--agency",
            AGENCY,
            "--country",
            "FI",
            "--password",
            PASSWORD,
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["forms", "load"])
    assert result.exit_code == 0, result.output


def agency_invites(loop: Loop) -> None:
    """The agency admin registers the provider with its first admin, and invites an
    officer and two reviewers into the pool."""
    page = loop.person("admin")
    sign_in(page, AGENCY_ADMIN)
    page.get_by_role("link", name="Provider organisations").first.click()
    loop.agency_id = id_in_url(page, r"/agencies/(\d+)/providers")
    page.goto(f"/agencies/{loop.agency_id}/providers/new")
    fill(
        page,
        {
            "legal_name": PROVIDER,
            "acronym": "HIAS",
            "country": "FI",
            "provider_type": "vet",
            "admin_email": PROVIDER_ADMIN,
        },
    )
    click(page, "Create the provider")
    flash(page, "has been invited as its administrator")
    loop.provider_id = id_in_url(page, r"/orgs/(\d+)")
    expect(page.get_by_role("heading", level=1)).to_contain_text(PROVIDER)

    page.goto(f"/orgs/{loop.agency_id}/staff")
    fill(page, {"email": OFFICER, "role": "agency_officer"})
    click(page, "Send the invitation")
    flash(page, f"An invitation has been sent to {OFFICER}.")

    for email, name, category in (
        (CHAIR, "Carla Chair", "academic"),
        (STUDENT, "Sam Student", "student"),
    ):
        page.goto(f"/agencies/{loop.agency_id}/reviewers/invite")
        fill(
            page,
            {
                "email": email,
                "display_name": name,
                "category": category,
                "country": "SE",
                "languages": "en",
                "expertise": "Vocational education, welding, logistics",
            },
        )
        click(page, "Add and send the invitation")
        flash(page, f"{name} has been added to the reviewer pool and invited by email.")

    accept_invitation(loop, "provider", PROVIDER_ADMIN, "Pia Provider")
    accept_invitation(loop, "officer", OFFICER, "Otto Officer")
    accept_invitation(loop, "chair", CHAIR, "Carla Chair")
    accept_invitation(loop, "student", STUDENT, "Sam Student")


def provider_profile_and_catalogue(loop: Loop) -> None:
    """The provider admin completes the profile and publishes two micro-credentials."""
    page = loop.person("provider")
    page.goto(f"/orgs/{loop.provider_id}/edit")
    fill(
        page,
        {
            "website": "https://harbour.example.org",
            "legal_id": "2345678-9",
            "vat_id": "FI23456789",
            "street_address": "Satamakatu 1, 00160 Helsinki, Finland",
        },
    )
    click(page, "Save the profile")
    flash(page, "The profile has been saved.")
    expect(page.locator("main")).to_contain_text("https://harbour.example.org")

    for title in SPEC_TITLES:
        page.goto(f"/orgs/{loop.provider_id}/catalogue")
        click(page, "Describe a new micro-credential")
        fill(
            page,
            {
                "title": title,
                "issuer_regions": "FI",
                "awarding_bodies-0-name": PROVIDER,
                "outcomes-0-statement": f"Plan a safe work sequence in {title.lower()}",
                "outcomes-1-statement": "Document the work so that a colleague can repeat it",
                "ects": "3",
                "hours": "80",
                "eqf_level": "4",
                "assessment_type": "A practical task assessed by two teachers",
                "participation_form": "blended",
                "quality_assurance": "Internal QA under the institute's EQAVET-based system",
                "languages": "en, fi",
                "isced_f": "0715",
            },
        )
        click(page, "Save draft")
        flash(page, "Draft saved.")
        spec_id = id_in_url(page, r"/catalogue/(\d+)")
        click(page, "Publish version 1")
        flash(page, "Version 1 is published.")
        loop.spec_ids.append(spec_id)
    page.goto("/catalogue")
    for title in SPEC_TITLES:
        expect(page.locator("main")).to_contain_text(title)


def answer_survey(page: Any, path: str, rating: str) -> None:
    page.goto(path)
    page.get_by_role("radio", name=rating, exact=True).first.check()
    click(page, "Send my answers")
    page.wait_for_url("**/f/thanks")
    again = page.goto(path)  # a one-time link works once
    assert again is not None and again.status == 410, again
    expect(page.get_by_role("heading", level=1)).to_have_text("This link has already been used")


def feedback_campaigns(loop: Loop) -> None:
    """A learner campaign answered through printed one-time links past the anonymity
    threshold, and a peer campaign answered through mailed links."""
    page = loop.person("provider")
    today = dt.date.today()
    for kind, title in (("learner", "Spring cohort feedback"), ("peer", "Employer panel 2026")):
        page.goto(f"/orgs/{loop.provider_id}/feedback/new")
        fill(
            page,
            {
                "kind": kind,
                "title": title,
                "specifications": [str(i) for i in loop.spec_ids],
                "opens_on": today.isoformat(),
                "closes_on": (today + dt.timedelta(days=30)).isoformat(),
            },
        )
        click(page, "Create campaign")
        flash(page, "The campaign has been created.")
        campaign_url = page.url
        if kind == "learner":
            page.get_by_role("link", name="Print one-time codes to hand out").click()
            fill(page, {"count": str(THRESHOLD_ANSWERS + 1)})
            click(page, "Make codes")
            links = [
                re.sub(r"^https?://[^/]+", "", t.strip())
                for t in page.locator(".slip-link").all_inner_texts()
            ]
            assert len(links) == THRESHOLD_ANSWERS + 1, links
        else:
            page.get_by_role("link", name="Invite by email (upload a CSV of addresses)").click()
            peers = [f"peer{i}@employers.example.org" for i in range(2)]
            page.locator('input[type="file"]').set_input_files(
                files=[
                    {
                        "name": "peers.csv",
                        "mimeType": "text/csv",
                        "buffer": ("email\n" + "\n".join(peers) + "\n").encode(),
                    }
                ]
            )
            click(page, "Send invitations")
            links = [loop.mailed_link(p, "/f/") for p in peers]
        respondent = loop.person(f"{kind}s")
        ratings = ["Strongly agree", "Agree"]
        for i, link in enumerate(links):
            answer_survey(respondent, link, ratings[i % 2])
        page.goto(campaign_url)
        responses = page.get_by_role("row", name=re.compile("^Responses"))
        expect(responses).to_contain_text(str(len(links)))
        if kind == "learner":
            with page.expect_navigation():
                page.get_by_role("link", name="Results", exact=True).first.click()
            # Past the threshold: figures instead of the "results appear once…" note.
            expect(page.locator(".threshold-note")).to_have_count(0)
            # Answers alternate 5 and 4: three of each, a mean of 4.50.
            rows = page.get_by_role("row", name=re.compile("^The learning outcomes were stated"))
            expect(rows.first).to_contain_text("3 (50 %)")
            expect(rows.last).to_contain_text("4.50")
            loop.learner_campaign_url = campaign_url


def wait_until(page: Any, text: str, seconds: float = 90) -> None:
    """Reload a progress page, as its reader would, until it says ``text``."""
    deadline = time.monotonic() + seconds
    while text not in page.locator("main").inner_text():
        assert time.monotonic() < deadline, f"{page.url} never said {text!r}"
        page.wait_for_timeout(500)
        page.reload()


def answer_every_question(form: Any, narrative: str) -> None:
    """Answer each question of a criterion's form as a careful writer would: text in every
    text box, the strongest level of every scale, a plausible figure in every number."""
    expect(form).to_have_count(1)  # the page has loaded: the lists below do not wait
    for box in form.locator("textarea").all():
        box.fill(narrative)
    for select in form.locator("select").all():
        values = [
            v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v
        ]
        select.select_option("in_place" if "in_place" in values else values[-1])
    for number in form.locator(
        'input[type="number"], input[inputmode="numeric"], input[inputmode="decimal"]'
    ).all():
        low = float(number.get_attribute("min") or 0)
        high = float(number.get_attribute("max") or 100)
        number.fill(str(int(min(max(60, low), high))))
    for group in {r.get_attribute("name") for r in form.locator('input[type="radio"]').all()}:
        form.locator(f'input[type="radio"][name="{group}"]').first.check()
    for box in form.locator('input[type="checkbox"]').all():
        box.check()


def open_case_with_evidence(loop: Loop) -> Any:
    """The provider opens a case under the EU principles for both micro-credentials and
    uploads one piece of evidence linked to every criterion."""
    page = loop.person("provider")
    page.goto(f"/providers/{loop.provider_id}/cases/new")
    page.get_by_label("European principles for the design and issuance", exact=False).check()
    for title in SPEC_TITLES:
        page.get_by_label(title, exact=True).check()
    click(page, "Open the case")
    match = re.search(r"Case (\S+) is open\.", page.locator(".flash").first.inner_text())
    assert match, page.locator("main").inner_text()[:500]
    loop.reference = match.group(1)
    loop.case_id = id_in_url(page, r"/cases/(\d+)")

    page.goto(f"/cases/{loop.case_id}/evidence")
    page.get_by_label("File").first.set_input_files(
        files=[
            {
                "name": "qa-handbook.pdf",
                "mimeType": "application/pdf",
                "buffer": minimal_pdf("QA handbook"),
            }
        ]
    )
    fill(page, {"title": "Quality handbook 2026"})
    for box in page.locator('input[name="criteria"]').all():
        box.check()
    click(page, "Upload")
    expect(page.locator("main")).to_contain_text("Quality handbook 2026")
    return page


def answer_every_criterion(loop: Loop, page: Any) -> None:
    """From the first criterion, answer each and go on with "Save and go to the next"."""
    page.goto(f"/cases/{loop.case_id}/self-assessment")
    criteria = page.locator("main table th[scope=row] a")
    count = criteria.count()
    assert count == 14, count
    with page.expect_navigation():
        criteria.first.click()
    for i in range(count):
        answer_every_question(
            page.locator("main form").filter(has=page.locator('button[name="then"]')),
            f"Criterion {i + 1}: the programme board checks this every year; see the handbook.",
        )
        click(page, "Save and go to the next criterion")


def self_assessment(loop: Loop) -> None:
    """The provider opens a case, uploads evidence for every criterion, attaches the learner
    feedback summary (a background job), answers each criterion and submits."""
    page = open_case_with_evidence(loop)
    page.goto(loop.learner_campaign_url)
    page.get_by_role("link", name="Attach the summary to a self-assessment as evidence").click()
    case_select = page.get_by_label("Case")
    case_select.select_option(
        case_select.locator("option", has_text=loop.reference).get_attribute("value")
    )
    click(page, "Attach summary")
    wait_until(page, f"The summary is attached to case {loop.reference} as evidence.")

    answer_every_criterion(loop, page)
    page.goto(f"/cases/{loop.case_id}/submit")
    click(page, "Submit the self-assessment")
    flash(page, f"Case {loop.reference} is now submitted.")
    expect(page.locator("main")).to_contain_text("Submitted")


def screening_and_panel(loop: Loop) -> None:
    """The officer screens the application and forms a panel: a chair and a student."""
    page = loop.person("officer")
    page.goto("/dashboard")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile(f"Screen {loop.reference}")).first.click()
    if "/screening" not in page.url:
        with page.expect_navigation():
            page.get_by_role("link", name=re.compile("^Screen the application")).click()
    met = page.locator('input[type="radio"][name^="met_"][value="yes"]')
    expect(met.first).to_be_visible()
    for item in met.all():
        item.check()
    click(page, "Save the checklist")
    click(page, "Accept after screening")
    flash(page, f"Case {loop.reference} is now in review.")

    page.goto(f"/cases/{loop.case_id}/panel")
    for name, role in (("Carla Chair", "chair"), ("Sam Student", "student")):
        invite = page.locator("main form").filter(
            has=page.get_by_role("button", name="Invite", exact=True)
        )
        reviewer = invite.get_by_label("Reviewer")
        reviewer.select_option(reviewer.locator("option", has_text=name).get_attribute("value"))
        invite.get_by_label("Role on the panel").select_option(role)
        click(page, "Invite")
        flash(page, f"{name} is invited as")


def reviewers_declare(loop: Loop) -> None:
    """Each reviewer answers the invitation: no conflict of interest."""
    for who in ("chair", "student"):
        page = loop.person(who)
        page.goto("/dashboard")
        page.get_by_role(
            "link", name=re.compile(f"invitation to the panel of {loop.reference}")
        ).first.click()
        page.get_by_label("I accept and have no conflict of interest").check()
        page.get_by_label("I confirm that I have no personal").check()
        click(page, "Send my answer")
        flash(page, f"Thank you: you now have access to case {loop.reference}.")
    officer = loop.person("officer")
    officer.goto(f"/cases/{loop.case_id}/panel")
    click(officer, "Announce the panel to the provider")
    flash(officer, "announced to the provider, who may now object")


def findings_and_visit(loop: Loop) -> None:
    """Both reviewers judge every criterion; the chair consolidates, records the visit and
    the recommended outcome, and sends the draft report."""
    for who in ("chair", "student"):
        page = loop.person(who)
        page.goto(f"/reviews/cases/{loop.case_id}/findings")
        count = page.locator("main table th[scope=row] a").count()
        assert count == 14, count
        for i in range(count):
            page.locator("main table th[scope=row] a").nth(i).click()
            page.get_by_label("In place", exact=True).check()
            page.get_by_label("Rationale").fill(f"{who}: the handbook and the interviews show it.")
            click(page, "Save")
            flash(page, "is saved.")
    chair = loop.person("chair")
    chair.goto(f"/reviews/cases/{loop.case_id}/consolidation")
    to_write = chair.get_by_role("link", name="Write the panel’s judgement")
    assert to_write.count() == 14, to_write.count()
    while to_write.count():
        to_write.first.click()
        chair.get_by_label("In place", exact=True).check()
        chair.get_by_label("Rationale").fill("The panel agrees: the practice is in place.")
        click(chair, "Save")
        flash(chair, "The panel's judgement of")
    chair.get_by_role("link", name="Record the site visit").click()
    fill(
        chair,
        {
            "visit_date": dt.date.today().isoformat(),
            "format": "on_site",
            "management": "Director, head of studies",
            "learners": "Six learners of the spring cohort",
            "agenda": "Morning: management. Afternoon: learners and teachers.",
            "notes": "Internal: the workshop visit was cut short.",
        },
    )
    click(chair, "Save the visit record")
    flash(chair, "The site visit record is saved.")
    chair.goto(f"/reviews/cases/{loop.case_id}/consolidation")
    chair.get_by_label("positive with conditions", exact=True).check()
    chair.get_by_label("Summary of the panel's findings").fill(
        "A sound internal QA system; the feedback loop to learners must be published."
    )
    click(chair, "Save the outcome")
    flash(chair, "The panel's recommended outcome is saved.")
    click(chair, "Send the draft report to the provider")
    expect(chair.locator("main")).to_contain_text("Factual check")


def factual_check(loop: Loop) -> None:
    """The provider comments on the draft report; the chair answers and finalises."""
    page = loop.person("provider")
    page.goto(f"/cases/{loop.case_id}")
    page.get_by_role("link", name="Panel report", exact=True).first.click()
    expect(page.locator("main")).to_contain_text("A sound internal QA system")
    expect(page.locator("main")).not_to_contain_text("the workshop visit was cut short")
    comments = page.locator("main form").filter(
        has=page.get_by_role("button", name="Submit the factual-accuracy comments")
    )
    comments.locator("textarea").first.fill("The visit took place on our main campus, not online.")
    click(page, "Submit the factual-accuracy comments")
    flash(page, "Your comments have been sent to the panel and the agency.")

    chair = loop.person("chair")
    chair.goto(f"/cases/{loop.case_id}/report")
    expect(chair.locator("main")).to_contain_text("not online")
    for form in (
        chair.locator("main form")
        .filter(has=chair.get_by_role("button", name="Save the response"))
        .all()
    ):
        form.locator("textarea").fill("Agreed: the report says on site.")
        form.get_by_role("button", name="Save the response").click()
        flash(chair, "The panel's response is saved.")
    click(chair, "Finalise the panel report")
    expect(chair.locator("main")).to_contain_text("Decision pending")


def decide_and_publish(loop: Loop) -> None:
    """The officer decides positive with a condition, generates and publishes the report,
    and publishes the decision to the register."""
    page = loop.person("officer")
    page.goto(f"/cases/{loop.case_id}/decision")
    page.get_by_label("Positive with conditions", exact=True).check()
    page.locator('input[type="radio"][name="eqa_status"]').first.check()
    page.get_by_label("Rationale").fill("The panel's findings show a working internal QA system.")
    fill(
        page,
        {
            "conditions-0-text": "Publish what changed after each learner feedback campaign.",
            "conditions-0-due_on": (dt.date.today() + dt.timedelta(days=120)).isoformat(),
        },
    )
    criterion = page.locator('select[name="conditions-0-criterion"]')
    if criterion.count():
        values = criterion.locator("option").evaluate_all("os => os.map(o => o.value)")
        criterion.select_option(next(v for v in values if v))
    click(page, "Continue")
    flash(page, "The decision is recorded; the provider has been told.")
    expect(page.locator("main")).to_contain_text("Positive with conditions")

    page.goto(f"/cases/{loop.case_id}/documents")
    report = page.locator("section.document-kind").filter(has_text="Accreditation report")
    click(page, "Generate", scope=report)
    report = page.locator("section.document-kind").filter(has_text="Accreditation report")
    deadline = time.monotonic() + 120
    while not report.get_by_role("link", name="Publish…").count():
        assert time.monotonic() < deadline, report.inner_text()
        page.wait_for_timeout(1000)
        page.reload()
        report = page.locator("section.document-kind").filter(has_text="Accreditation report")
    report.get_by_role("link", name="Publish…").first.click()
    click(page, "Publish this version")
    expect(page.locator("main")).to_contain_text("published")

    page.goto(f"/cases/{loop.case_id}/decision")
    click(page, "Publish to the register")
    if page.get_by_role("button", name="Publish to the register").count():
        click(page, "Publish to the register")
    flash(page, "The decision is published in the public register.")
    page.get_by_role("link", name="See the public page").first.click()
    loop.decision_id = id_in_url(page, r"/register/decisions/(\d+)")


def public_record(loop: Loop) -> None:
    """Anyone downloads the report and verifies it; the provider is in the register and the
    API; the agency's DEQAR export lists the case."""
    public = loop.person("public")
    public.goto(f"/register/decisions/{loop.decision_id}")
    expect(public.locator("main")).to_contain_text(PROVIDER)
    with public.expect_download() as download:
        public.get_by_role("link", name=re.compile(r"Accreditation report, version 1")).click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    text = " ".join(page_texts(pdf))
    assert PROVIDER in " ".join(text.split()), text[:2000]

    public.goto("/verify")
    public.locator('input[type="file"]').set_input_files(
        files=[{"name": "report.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    click(public, "Check the file")
    expect(public.locator("main")).to_contain_text("Genuine: this is the current published version")
    expect(public.locator("main")).to_contain_text(PROVIDER)

    public.goto("/register")
    expect(public.locator("main")).to_contain_text(PROVIDER)
    public.goto(f"/register/decisions/{loop.decision_id}")
    api = public.request.get(
        public.get_by_role("link", name="This decision in the register API (JSON)").get_attribute(
            "href"
        )
    )
    assert api.ok, api.status
    decision = api.json()
    assert decision["provider_name"].startswith(PROVIDER), decision
    assert decision["outcome"] == "positive with conditions or restrictions", decision
    assert decision["case_reference"] == loop.reference, decision
    listed = public.request.get("/api/v1/decisions?country=FI").json()
    assert [d["id"] for d in listed["items"]] == [loop.decision_id], listed

    # The officer finds the agency's DEQAR submission file on the decision page.
    officer = loop.person("officer")
    officer.goto(f"/cases/{loop.case_id}/decision")
    deqar_link = officer.get_by_role("link", name=re.compile("DEQAR submission file"))
    export = officer.request.get(deqar_link.get_attribute("href"))
    assert export.ok, export.status
    rows = list(csv.DictReader(io.StringIO(export.text())))
    assert any(loop.reference in " ".join(r.values()) for r in rows), export.text()[:2000]


def follow_up(loop: Loop) -> None:
    """After the appeal window, the provider answers the condition, the officer marks it met
    and the case closes."""
    loop.later(31)
    officer = loop.person("officer")
    officer.goto(f"/cases/{loop.case_id}/decision")
    click(officer, "Start the follow-up of the conditions")
    flash(officer, f"Case {loop.reference} is now in follow-up.")
    expect(officer.locator("main")).to_contain_text("to be answered")

    provider = loop.person("provider")
    provider.goto(f"/cases/{loop.case_id}/decision")
    provider.get_by_label("How the condition is met").fill(
        "Each campaign's changes are now listed on our website under 'You said, we did'."
    )
    click(provider, "Send the answer")
    expect(provider.locator("main")).to_contain_text("You said, we did")

    officer.goto(f"/cases/{loop.case_id}/decision")
    officer.get_by_label("met", exact=True).check()
    officer.get_by_label("Comment").fill("Seen on the website.")
    click(officer, "Save the assessment")
    click(officer, "Close the case: all conditions are met")
    flash(officer, f"Case {loop.reference} is now closed.")
    provider.goto(f"/cases/{loop.case_id}")
    expect(provider.locator("main")).to_contain_text("Closed")


# ----- the journey ------------------------------------------------------------------------


def test_the_whole_loop_through_the_pages(
    app: Any, smtp_server: Any, browser: Any, live_server: LiveServer, monkeypatch: Any
):
    def later(days: int) -> None:
        """Days pass for the decision rules (the appeal window), and for nothing else."""
        from qaportal.decisions import services

        now = services.utcnow()
        monkeypatch.setattr(services, "utcnow", lambda: now + dt.timedelta(days=days))

    loop = Loop(app=app, smtp=smtp_server, browser=browser, url=live_server.url, later=later)

    stages: list[Callable[[Loop], None]] = [
        install,
        agency_invites,
        provider_profile_and_catalogue,
        feedback_campaigns,
        self_assessment,
        screening_and_panel,
        reviewers_declare,
        findings_and_visit,
        factual_check,
        decide_and_publish,
        public_record,
        follow_up,
    ]
    try:
        for stage in stages:
            started = time.monotonic()
            try:
                stage(loop)
            except Exception as exc:
                # Say where each person was when the journey broke.
                exc.add_note(f"stage: {getattr(stage, '__name__', stage)}")
                for who, page in loop.pages.items():
                    exc.add_note(f"{who} was on {page.url}")
                raise
            print(f"{getattr(stage, '__name__', stage)}: {time.monotonic() - started:.1f} s")
    finally:
        for context in loop.contexts:
            context.close()
    assert not loop.console_errors, f"errors in the browser console: {loop.console_errors}"
