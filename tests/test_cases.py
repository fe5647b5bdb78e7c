"""Opening cases: frameworks fixed at their current version, required frameworks per provider
type, scope, lists, references, and who sees a case."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from qaportal.audit.models import AuditEvent
from qaportal.cases.models import Case, CaseFramework, CaseScope, CaseState
from qaportal.db import get_session
from qaportal.frameworks.models import FrameworkRequirement
from tests.casekit import make_framework, make_spec, make_world, minimal_pdf, org
from tests.conftest import login, post_form

PROVIDER_ADMIN = "admin@university.example.org"
PROVIDER_EDITOR = "editor@university.example.org"
OTHER_PROVIDER = "admin@vet.example.org"
AGENCY_ADMIN = "admin@agency.example.org"
OFFICER = "officer@agency.example.org"


def _setup_catalogue(app):
    with app.app_context():
        db = get_session()
        udv = org(db, "UDV")
        agency = org(db, "DAQA")
        esg = make_framework(db, "esg", title="ESG Part 1")
        eu = make_framework(db, "eu-principles", title="EU principles")
        eqavet = make_framework(db, "eqavet", title="EQAVET")
        spec_a = make_spec(db, udv.id, "Data analysis")
        spec_b = make_spec(db, udv.id, "Project management", complete=False)
        other = make_spec(db, org(db, "NVTC").id, "Welding basics")
        db.commit()
        return {
            "agency": agency.id,
            "udv": udv.id,
            "esg": esg,
            "eu": eu,
            "eqavet": eqavet,
            "specs": [spec_a.id, spec_b.id],
            "other_spec": other.id,
        }


def _set_requirements(client, agency_id, data):
    url = f"/agencies/{agency_id}/framework-requirements"
    response = post_form(client, url, data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]


def test_open_case_records_framework_versions_and_scope(app, client, demo):
    fx = _setup_catalogue(app)
    login(client, PROVIDER_ADMIN, demo.password)
    url = f"/providers/{fx['udv']}/cases/new?agency={fx['agency']}"
    page = client.get(url).get_data(as_text=True)
    assert "ESG Part 1" in page and "EU principles" in page
    assert "Data analysis" in page and "Welding basics" not in page

    response = post_form(
        client,
        f"/providers/{fx['udv']}/cases/new",
        {
            "agency": fx["agency"],
            "frameworks": [fx["esg"].framework_id, fx["eu"].framework_id],
            "scope": fx["specs"],
            "contact_name": "Paula Provider",
            "contact_email": "quality@university.example.org",
        },
        token_from=url,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    year = dt.datetime.now(dt.UTC).year
    with app.app_context():
        db = get_session()
        case = db.execute(select(Case)).scalar_one()
        assert case.reference == f"QA-{year}-0001"
        assert case.state == CaseState.DRAFT
        assert case.contact_email == "quality@university.example.org"
        versions = set(
            db.execute(
                select(CaseFramework.framework_version_id).where(CaseFramework.case_id == case.id)
            ).scalars()
        )
        assert versions == {fx["esg"].id, fx["eu"].id}
        scope = set(
            db.execute(
                select(CaseScope.specification_id).where(CaseScope.case_id == case.id)
            ).scalars()
        )
        assert scope == set(fx["specs"])
        assert db.execute(
            select(AuditEvent).where(AuditEvent.action == "case.opened")
        ).scalar_one().object_id == str(case.id)

        # A new version of a framework later does not touch the open case.
        make_framework(db, "esg", number=2, title="ESG Part 1 (revised)")
        db.commit()
        versions_after = set(
            db.execute(
                select(CaseFramework.framework_version_id).where(CaseFramework.case_id == case.id)
            ).scalars()
        )
        assert versions_after == versions
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "ESG Part 1" in page and "revised" not in page


def test_scope_outside_own_catalogue_is_refused(app, client, demo):
    fx = _setup_catalogue(app)
    login(client, PROVIDER_ADMIN, demo.password)
    url = f"/providers/{fx['udv']}/cases/new?agency={fx['agency']}"
    response = post_form(
        client,
        f"/providers/{fx['udv']}/cases/new",
        {
            "agency": fx["agency"],
            "frameworks": [fx["esg"].framework_id],
            "scope": [fx["other_spec"]],
            "contact_name": "P",
            "contact_email": "p@university.example.org",
        },
        token_from=url,
    )
    assert response.status_code == 200
    with app.app_context():
        assert get_session().execute(select(func.count(Case.id))).scalar_one() == 0


def test_required_frameworks_follow_the_provider_type(app, client, demo):
    fx = _setup_catalogue(app)
    agency = fx["agency"]
    esg, eu, eqavet = fx["esg"].framework_id, fx["eu"].framework_id, fx["eqavet"].framework_id
    login(client, AGENCY_ADMIN, demo.password)
    _set_requirements(
        client,
        agency,
        {
            f"req_{esg}_hei": "required",
            f"req_{eu}_all": "optional",
            f"req_{eqavet}_vet": "required",
        },
    )
    with app.app_context():
        rows = get_session().execute(select(FrameworkRequirement)).scalars().all()
        assert {
            (r.framework_id, r.provider_type and r.provider_type.value, r.required) for r in rows
        } == {
            (esg, "hei", True),
            (eu, None, False),
            (eqavet, "vet", True),
        }
        assert (
            get_session()
            .execute(
                select(AuditEvent).where(
                    AuditEvent.action == "agency.framework_requirements_updated"
                )
            )
            .scalar_one()
        )

    provider = app.test_client()
    login(provider, PROVIDER_ADMIN, demo.password)
    url = f"/providers/{fx['udv']}/cases/new?agency={agency}"
    page = provider.get(url).get_data(as_text=True)
    assert "ESG Part 1" in page and "required by the agency" in page
    assert "EU principles" in page
    assert "EQAVET" not in page  # only for VET providers

    # The required ESG cannot be left out: it is added even when not posted.
    response = post_form(
        provider,
        f"/providers/{fx['udv']}/cases/new",
        {
            "agency": agency,
            "frameworks": [eu],
            "scope": fx["specs"][:1],
            "contact_name": "Paula",
            "contact_email": "paula@university.example.org",
        },
        token_from=url,
    )
    assert response.status_code == 302
    # A framework not offered to this provider type is refused.
    response = post_form(
        provider,
        f"/providers/{fx['udv']}/cases/new",
        {
            "agency": agency,
            "frameworks": [eqavet],
            "scope": fx["specs"][:1],
            "contact_name": "Paula",
            "contact_email": "paula@university.example.org",
        },
        token_from=url,
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "not a valid choice" in body or "not offered" in body
    with app.app_context():
        db = get_session()
        case = db.execute(select(Case)).scalar_one()
        rows = db.execute(
            select(CaseFramework.framework_version_id, CaseFramework.required).where(
                CaseFramework.case_id == case.id
            )
        ).all()
        assert set(rows) == {(fx["esg"].id, True), (fx["eu"].id, False)}


def test_requirements_page_is_for_agency_admins_only(app, client, demo):
    fx = _setup_catalogue(app)
    url = f"/agencies/{fx['agency']}/framework-requirements"
    login(client, OFFICER, demo.password)
    assert client.get(url).status_code == 403
    provider = app.test_client()
    login(provider, PROVIDER_ADMIN, demo.password)
    assert provider.get(url).status_code == 404


def test_only_provider_admin_opens_cases(app, client, demo):
    fx = _setup_catalogue(app)
    login(client, PROVIDER_EDITOR, demo.password)
    assert client.get(f"/providers/{fx['udv']}/cases/new").status_code == 403
    other = app.test_client()
    login(other, OTHER_PROVIDER, demo.password)
    assert other.get(f"/providers/{fx['udv']}/cases/new").status_code == 404


def test_references_are_unique_and_sequential(app, demo):
    first = make_world(app)
    second = make_world(app, code="second-fw")
    with app.app_context():
        db = get_session()
        refs = [db.get(Case, first.case_id).reference, db.get(Case, second.case_id).reference]
    year = dt.datetime.now(dt.UTC).year
    assert refs == [f"QA-{year}-0001", f"QA-{year}-0002"]


def test_case_lists_for_provider_and_agency(app, client, demo):
    world = make_world(app)
    with app.app_context():
        reference = get_session().get(Case, world.case_id).reference
    login(client, PROVIDER_EDITOR, demo.password)
    assert reference in client.get("/cases").get_data(as_text=True)
    officer = app.test_client()
    login(officer, OFFICER, demo.password)
    assert reference in officer.get("/cases").get_data(as_text=True)
    other = app.test_client()
    login(other, OTHER_PROVIDER, demo.password)
    assert reference not in other.get("/cases").get_data(as_text=True)


def test_another_provider_gets_404_everywhere(app, client, demo):
    world = make_world(app)
    owner = app.test_client()
    login(owner, PROVIDER_ADMIN, demo.password)
    cid = world.criteria["C1"]
    response = post_form(
        owner,
        f"/cases/{world.case_id}/evidence",
        {
            "file": (__import__("io").BytesIO(minimal_pdf()), "policy.pdf"),
            "title": "Policy",
            "criteria": [cid],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        from qaportal.evidence.models import Evidence

        evidence_id = get_session().execute(select(Evidence.id)).scalar_one()

    login(client, OTHER_PROVIDER, demo.password)
    case = world.case_id
    for url in (
        f"/cases/{case}",
        f"/cases/{case}/self-assessment",
        f"/cases/{case}/criteria/{cid}",
        f"/cases/{case}/coverage",
        f"/cases/{case}/submit",
        f"/cases/{case}/evidence",
        f"/cases/{case}/evidence/{evidence_id}/download",
    ):
        assert client.get(url).status_code == 404, url
    token_page = "/cases"
    for url, data in (
        (f"/cases/{case}/transition", {"action": "submit"}),
        (f"/cases/{case}/criteria/{cid}", {"lock_version": "0", "q_narrative": "hijack"}),
        (f"/cases/{case}/criteria/{cid}/evidence", {"evidence": evidence_id}),
        (f"/cases/{case}/criteria/{cid}/evidence/{evidence_id}/unlink", {}),
    ):
        assert post_form(client, url, data, token_from=token_page).status_code == 404, url
    with app.app_context():
        from qaportal.cases.models import Answer

        assert get_session().execute(select(func.count(Answer.id))).scalar_one() == 0


def test_agency_staff_see_the_case_read_only(app, client, demo):
    world = make_world(app)
    login(client, OFFICER, demo.password)
    page = client.get(f"/cases/{world.case_id}").get_data(as_text=True)
    assert "Submit the self-assessment" not in page
    criterion_url = f"/cases/{world.case_id}/criteria/{world.criteria['C1']}"
    assert client.get(criterion_url).status_code == 403  # a draft: the provider is writing
    with app.app_context():
        db = get_session()
        case = db.get(Case, world.case_id)
        case.state, case.submitted_at = CaseState.SUBMITTED, dt.datetime.now(dt.UTC)
        db.commit()
    criterion = client.get(criterion_url)
    assert criterion.status_code == 200
    assert 'name="q_narrative"' not in criterion.get_data(as_text=True)
    response = post_form(
        client,
        f"/cases/{world.case_id}/criteria/{world.criteria['C1']}",
        {"lock_version": "0", "q_narrative": "agency text"},
        token_from=f"/cases/{world.case_id}",
    )
    assert response.status_code == 403


def test_demo_case_is_seeded_once_with_answers(app, demo):
    from qaportal.cases.models import Answer
    from qaportal.demo import seed_demo_case, seed_frameworks

    with app.app_context():
        seed_frameworks()
        first = seed_demo_case()
        second = seed_demo_case()
        db = get_session()
        assert first is not None and first == second
        case = db.execute(select(Case).where(Case.reference == first)).scalar_one()
        assert db.execute(select(func.count(Case.id))).scalar_one() == 1
        assert case.state == CaseState.DRAFT
        assert db.execute(select(func.count(Answer.id))).scalar_one() == 2
        assert db.execute(select(func.count(CaseScope.id))).scalar_one() >= 1
        assert db.execute(select(func.count(CaseFramework.id))).scalar_one() == 2  # EU + ESG
