"""The audit trail in words: phrases instead of action keys, object names instead of types
and ids, details as labels and values, and one name lookup per object type per page."""

from __future__ import annotations

import html
import re

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qaportal.audit import words
from qaportal.audit.services import Actor, record
from qaportal.auth.models import User
from qaportal.db import get_session
from qaportal.feedback import services
from qaportal.feedback.models import Campaign
from qaportal.orgs.models import Organisation
from tests.conftest import login, post_form
from tests.feedback_support import make_campaign, make_specification

AGENCY_ADMIN = "admin@agency.example.org"
UDV_ADMIN = "admin@university.example.org"


def _org_id(app, acronym: str) -> int:
    with app.app_context():
        return (
            get_session()
            .execute(select(Organisation.id).where(Organisation.acronym == acronym))
            .scalar_one()
        )


def _rows(page: str) -> list[str]:
    """The "What happened" cells, as the reader sees them."""
    cells = re.findall(r'<td data-action="[^"]+">(.*?)</td>', page, re.S)
    return [re.sub(r"\s+", " ", c).strip() for c in cells]


def test_the_trail_says_who_did_what_to_which_named_object(app, client, demo):
    campaign_id = make_campaign(
        app, [make_specification(app, "Data literacy")], title="Spring 2026 learners"
    )
    with app.app_context():
        db = get_session()
        user = db.execute(select(User).where(User.email == UDV_ADMIN)).scalar_one()
        campaign = db.get(Campaign, campaign_id)
        services.generate_codes(db, campaign, 30, Actor(user.id, user.email), "http://x")
        db.commit()
    login(client, AGENCY_ADMIN, demo.password)
    page = client.get(f"/agencies/{_org_id(app, 'DAQA')}/audit").get_data(as_text=True)
    assert f"{UDV_ADMIN} generated 30 survey codes for campaign “Spring 2026 learners”" in _rows(
        page
    )
    main = page[page.index("<main") : page.index("</main>")]
    # the keys stay in the data (filters use them), never in what is read
    visible = re.sub(r"<[^>]+>", " ", main)
    for key in ("feedback.codes_generated", "feedback_campaign", "feedback.campaign_created"):
        assert key not in visible, key
    assert "{" not in visible  # no JSON
    # the campaign's creation, with its details as labels and values in words
    created = re.search(r"created the feedback campaign “Spring 2026 learners”", page)
    assert created
    assert "<dt>Kind</dt><dd>Learner feedback</dd>" in page
    assert "<dt>Title</dt><dd>Spring 2026 learners</dd>" in page
    assert "questionnaire_version" not in visible and "Specifications" not in visible


def _add(app, users: list[int], campaigns: list[int], org_id: int) -> None:
    with app.app_context():
        db = get_session()
        for number, user_id in enumerate(users):
            record(
                db,
                Actor(None, "wordsbot@example.org"),
                "user.created",
                object_type="user",
                object_id=user_id,
                organisation_id=org_id,
                details={"email": "x", "via": "invitation"},
            )
            record(
                db,
                Actor(None, "wordsbot@example.org"),
                "feedback.codes_generated",
                object_type="feedback_campaign",
                object_id=campaigns[number % len(campaigns)],
                organisation_id=org_id,
                details={"count": number + 1},
            )
        db.commit()


def _new_users(app, count: int, start: int) -> list[int]:
    with app.app_context():
        db = get_session()
        made = [
            User(email=f"named{start + i}@example.org", display_name=f"Named {i}")
            for i in range(count)
        ]
        db.add_all(made)
        db.commit()
        return [u.id for u in made]


def test_names_cost_one_query_per_object_type_not_per_event(app, client, demo, count_queries):
    udv = _org_id(app, "UDV")
    campaigns = [
        make_campaign(app, [make_specification(app, f"Course {i}")], title=f"Wave {i}")
        for i in range(3)
    ]
    login(client, AGENCY_ADMIN, demo.password)
    url = f"/agencies/{_org_id(app, 'DAQA')}/audit?actor=wordsbot"

    _add(app, _new_users(app, 5, 0), campaigns, udv)  # 10 events
    with count_queries() as few:
        page = client.get(url).get_data(as_text=True)
    assert len(_rows(page)) == 10

    _add(app, _new_users(app, 45, 5), campaigns, udv)  # 100 events, a page of 50
    with count_queries() as many:
        page = client.get(url).get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 50
    assert many.count == few.count
    # every object is named, none by its type and id
    assert "wordsbot@example.org created account “named49@example.org”" in rows
    assert any("survey codes for campaign “Wave " in r for r in rows)
    assert not any(" no. " in r for r in rows)


def test_unknown_actions_and_missing_values_fall_back_to_words(app):
    with app.test_request_context():
        said = words.describe(
            "catalogue.entries_reindexed", "Ana", "spec_bundle", "7", {"total_rows": 3}
        )
        assert said.sentence == "Ana — Catalogue: entries reindexed: spec bundle no. 7"
        assert said.details == [("Total rows", "3")]
        # a phrase that wants a value older events lack says less, not nothing
        old = words.describe("feedback.codes_generated", "Ana", "feedback_campaign", "9", {})
        assert old.sentence == "Ana — Feedback: codes generated: campaign no. 9"
        # ids are internal; coded values and dates read as words
        said = words.describe(
            "x.y",
            "Ana",
            None,
            None,
            {"user_id": 4, "role": "provider_editor", "opens_on": "2026-03-01", "met": True},
        )
        assert said.sentence == "Ana — X: y"
        assert said.details == [
            ("Role", "Provider editor"),
            ("Opens", "Mar 1, 2026"),
            ("Met", "yes"),
        ]


def test_domains_extend_the_vocabulary_and_it_is_translated(app):
    words.register_actions({"test.words_planted": _l("%(actor)s planted %(object)s")})
    words.register_object_kind("test_tree", _l("tree"))
    with app.test_request_context():
        said = words.describe("test.words_planted", "Ana", "test_tree", "3", {})
        assert said.sentence == "Ana planted tree no. 3"
        with force_locale("fr"):
            created = words.describe("user.activated", "Ana", "user", "3", {}, name="b@x")
            # the phrase goes through the catalogue: never the key, whatever the language
            assert "user.activated" not in created.sentence
            assert "b@x" in created.sentence


def test_every_event_of_the_demo_reads_as_a_declared_sentence(app):
    """The demo walks every role through a case, a campaign and a report: each event it
    records must have a phrase whose values its details hold (no fallback, no key)."""
    from qaportal.audit.models import AuditEvent
    from qaportal.demo import seed_all

    with app.app_context():
        seed_all()
        db = get_session()
        events = db.execute(select(AuditEvent)).scalars().all()
        names = words.object_names(db, events)
        with app.test_request_context():
            problems = []
            for event in events:
                said = words.describe(
                    event.action,
                    event.actor_label,
                    event.object_type,
                    event.object_id,
                    words.load_details(event.details),
                    names.get((event.object_type or "", event.object_id or "")),
                )
                if not words.declared(event.action) or " — " in said.sentence:
                    problems.append(f"{event.action}: {said.sentence}")
                if event.object_id and " no. " in (said.object_label or ""):
                    problems.append(f"{event.action}: unnamed {said.object_label}")
    assert len(events) > 100
    assert sorted(set(problems)) == []


def test_no_sentence_of_the_demo_says_a_word_twice_in_french_or_german(app):
    """A phrase that names its object's kind itself, beside the object's own noun, reads
    "die Befragung Befragung „…“": caught here for every event of the demo."""
    from qaportal.audit.models import AuditEvent
    from qaportal.demo import seed_all

    twice = re.compile(r"\b(\w+) \1\b", re.IGNORECASE)
    with app.app_context():
        seed_all()
        db = get_session()
        events = db.execute(select(AuditEvent)).scalars().all()
        names = words.object_names(db, events)
        stutters = set()
        for language in ("fr", "de"):
            with app.test_request_context(), force_locale(language):
                for event in events:
                    said = words.describe(
                        event.action,
                        "Ana",
                        event.object_type,
                        event.object_id,
                        words.load_details(event.details),
                        names.get((event.object_type or "", event.object_id or "")),
                    )
                    if twice.search(said.sentence):
                        stutters.add(f"{language} {event.action}: {said.sentence}")
    assert sorted(stutters) == []


def test_every_detail_of_the_demo_is_labelled_in_words(app):
    """A detail shown in the trail has a label its domain registered (translated), and the
    coded keys of a detail (the screening checks) read as that detail's words: in French, no
    English label made from a key."""
    from qaportal.audit.models import AuditEvent
    from qaportal.demo import seed_all

    with app.app_context():
        seed_all()
        events = get_session().execute(select(AuditEvent)).scalars().all()
        unlabelled, coded_keys = set(), set()
        for event in events:
            for key, value in words.load_details(event.details).items():
                if words.hidden(key) or value in (None, "", [], {}):
                    continue
                if not words.labelled(key):
                    unlabelled.add(f"{event.action}: {key}")
                if isinstance(value, dict):
                    known = words.value_words(key)
                    coded_keys |= {f"{event.action}: {key}.{k}" for k in value if k not in known}
                if key == "kind" and value not in words.value_words("kind"):  # jobs, documents
                    coded_keys.add(f"{event.action}: kind {value}")
        with app.test_request_context(), force_locale("fr"):
            screened = words.describe(
                "case.screening_saved", "Ana", None, None, {"changed": {"eligible": True}}
            )
    assert sorted(unlabelled) == []
    assert sorted(coded_keys) == []
    assert "Eligible" not in screened.details[0][1] and "oui" in screened.details[0][1]


def test_no_coded_value_of_the_demo_is_shown_as_stored(app):
    """Read in French, a detail whose stored value is a code ("submitted", "outcomes",
    "en", a panel's level) shows words, not the code: only a code that is itself the value
    (a framework's code) stays as it is."""
    from qaportal.audit.models import AuditEvent
    from qaportal.demo import seed_all

    code = re.compile(r"[a-z]+(?:_[a-z]+)*")
    with app.app_context():
        seed_all()
        db = get_session()
        events = db.execute(select(AuditEvent)).scalars().all()
        with app.test_request_context(), force_locale("fr"):
            coded = words.object_values(db, events)
            bare = set()
            for event in events:
                details = words.load_details(event.details)
                the_object = (event.object_type or "", event.object_id or "")
                said = words.describe(
                    event.action,
                    "Ana",
                    event.object_type,
                    event.object_id,
                    details,
                    None,
                    coded.get(the_object),
                )
                stored = {
                    str(item)
                    for key, value in details.items()
                    if key != "code" and not words.hidden(key)
                    for item in (value if isinstance(value, list) else [value])
                }
                # what the trail falls back to for a code nobody put in words
                humanised = {v.replace("_", " ").capitalize() for v in stored if "_" in v}
                bare |= {
                    f"{event.action}: {label} {value}"
                    for label, value in said.details
                    for part in value.split(", ")
                    if (part in stored and code.fullmatch(part)) or part in humanised
                }
    assert sorted(bare) == [], "\n".join(sorted(bare))


def test_one_code_cannot_be_worded_two_ways():
    """Domains share vocabularies ("kind"): a second meaning for a code is refused at start,
    not left to reword another domain's entries in silence."""
    words.register_details(values={"test_shared_key": {"code": _l("Peer feedback")}})
    words.register_job_kind("test-job", _l("Catalogue import"))
    # The same words again, as every app the factory builds registers them: no clash.
    words.register_details(values={"test_shared_key": {"code": _l("Peer feedback")}})
    words.register_job_kind("test-job", _l("Catalogue import"))
    with pytest.raises(ValueError, match="test_shared_key='code'"):
        words.register_details(values={"test_shared_key": {"code": _l("Learner feedback")}})
    with pytest.raises(ValueError, match="job_kind='test-job'"):
        words.register_job_kind("test-job", _l("Document generation"))


def test_a_rating_reads_as_its_criterions_scale_says_it_in_the_readers_language(app, demo):
    """An answer's rating is stored as its scale's code ("partly"); the trail shows the
    level as the criterion page does, in the reader's language, for a page of answers in
    one query (qaportal.cases.assessment.answer_words)."""
    from qaportal.cases.models import Answer, Case
    from qaportal.demo import seed_all

    with app.app_context():
        reference = seed_all(stages=False).case_reference
        db = get_session()
        case_id = db.execute(select(Case.id).where(Case.reference == reference)).scalar_one()
        answered = set(db.execute(select(Answer.criterion_id)).scalars())
    editor = app.test_client()
    login(editor, "editor@university.example.org", demo.password)
    overview = editor.get(f"/cases/{case_id}/self-assessment").get_data(as_text=True)
    criterion = next(
        int(c)
        for c in re.findall(rf"/cases/{case_id}/criteria/(\d+)", overview)
        if int(c) not in answered
    )
    url = f"/cases/{case_id}/criteria/{criterion}"
    page = editor.get(url).get_data(as_text=True)
    lock = re.search(r'name="lock_version"[^>]*value="(\d+)"', page).group(1)
    form = {"lock_version": lock, "q_narrative": "A start", "q_rating": "partly"}
    assert post_form(editor, url, form).status_code == 302

    admin = app.test_client()
    login(admin, AGENCY_ADMIN, demo.password)
    trail = f"/agencies/{_org_id(app, 'DAQA')}/audit"
    for language, level, label in (
        ("en", "Partly in place", "Rating"),
        ("fr", "Partiellement en place", "Note"),
    ):
        page = admin.get(trail, headers={"Accept-Language": language}).get_data(as_text=True)
        details = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page)
        assert (label, level) in details, (language, details[:12])
        assert (label, "partly") not in details


def test_the_panels_levels_read_as_the_cases_scales_say_them(app, demo):
    """A reviewer's judgement is recorded on the case with the level's code
    ("substantially"); the trail shows it in the scale's words in the reader's language,
    looked up once per page (qaportal.reviews.findings.level_words)."""
    from qaportal.cases.models import Case, CaseState
    from qaportal.demo import seed_all
    from qaportal.reviews import findings

    with app.app_context():
        seed_all()
        db = get_session()
        cases = db.execute(select(Case).where(Case.state != CaseState.DRAFT)).scalars().all()
        codes, labels = set(), {}
        for language in ("en", "fr"):
            with app.test_request_context(), force_locale(language):
                options = [
                    option
                    for case in cases
                    for fact in findings.criteria(db, case)
                    for option in fact.scale
                ]
            codes |= {option.value for option in options}
            labels[language] = {option.label for option in options}
    assert codes and labels["en"] and labels["en"].isdisjoint(labels["fr"])

    admin = app.test_client()
    login(admin, AGENCY_ADMIN, demo.password)
    trail = f"/agencies/{_org_id(app, 'DAQA')}/audit?action=review."
    for language, label in (("en", "Level"), ("fr", "Niveau")):
        page = admin.get(trail, headers={"Accept-Language": language}).get_data(as_text=True)
        levels = [v for k, v in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page) if k == label]
        assert levels, (language, page[:2000])
        shown = {html.unescape(level) for level in levels}
        assert shown <= labels[language], (language, shown)
        assert shown.isdisjoint(codes), "a level shown as its stored code"


@pytest.mark.parametrize(
    ("language", "document_language", "element"),
    [("en", "English", "Learning outcomes"), ("fr", "Anglais", "Acquis d’apprentissage")],
)
def test_a_documents_language_and_weak_elements_read_as_names(
    app, language, document_language, element
):
    """Codes the demo's trail showed bare: a document's language ("en") and the Annex I
    elements a publication left weak ("outcomes")."""
    with app.test_request_context(), force_locale(language):
        asked = words.describe("report.requested", "Ana", "case", "1", {"locale": "en"})
        published = words.describe(
            "specification.published", "Ana", "specification", "1", {"weak": ["outcomes"]}
        )
    assert [value for _label, value in asked.details] == [document_language]
    assert [value for _label, value in published.details] == [element]


@pytest.mark.parametrize(
    ("language", "action", "object_type", "details", "sentence"),
    [
        ("fr", "case.submit", "case", {}, "Ana a soumis le dossier « QA-1 »"),
        (
            "fr",
            "review.consolidated",
            "case",
            {},
            "Ana a consolidé les constats du comité sur le dossier « QA-1 »",
        ),
        (
            "fr",
            "review.judgement",
            "case",
            {"criterion": "P1.1"},
            "Ana a porté une appréciation sur le critère P1.1 du dossier « QA-1 »",
        ),
        (
            "fr",
            "feedback.campaign_closed",
            "feedback_campaign",
            {},
            "Ana a clos la campagne « QA-1 »",
        ),
        (
            "de",
            "feedback.campaign_created",
            "feedback_campaign",
            {},
            "Ana hat die Befragung „QA-1“ erstellt",
        ),
        ("en", "case.submit", "case", {}, "Ana submitted case “QA-1”"),
        ("de", "case.submit", "case", {}, "Ana hat das Verfahren „QA-1“ eingereicht"),
        # German declines the article its noun is given with, in the nominative: "der"
        # after a verb or "für", and every article after a dative preposition ("vom").
        (
            "de",
            "evidence.uploaded",
            "evidence",
            {"case": "QA-2"},
            "Ana hat den Nachweis „QA-1“ zu QA-2 hochgeladen",
        ),
        (
            "de",
            "framework.version_loaded",
            "framework_version",
            {"number": 2},
            "Ana hat Version 2 vom Referenzrahmen „QA-1“ geladen",
        ),
        (
            "de",
            "panel.accept",
            "case",
            {},
            "Ana ist dem Gutachtergremium vom Verfahren „QA-1“ beigetreten",
        ),
        (
            "de",
            "review.consolidated",
            "case",
            {},
            "Ana hat die Feststellungen des Gutachtergremiums zum Verfahren „QA-1“ zusammengeführt",
        ),
        (
            "de",
            "agency.framework_requirements_updated",
            "organisation",
            {},
            "Ana hat die von der Organisation „QA-1“ geforderten Referenzrahmen geändert",
        ),
        # a phrase that is a function (a plural) is declined as well
        (
            "de",
            "register.deqar_exported",
            "organisation",
            {"rows": 2},
            "Ana hat 2 Zeilen des Registers von der Organisation „QA-1“ für DEQAR exportiert",
        ),
    ],
)
def test_the_object_reads_with_its_article_where_the_language_wants_one(
    app, language, action, object_type, details, sentence
):
    """French and German put the article before the object's noun; the word before it in the
    phrase contracts or declines it ("de le dossier" is "du dossier", "von das Verfahren"
    is "vom Verfahren"); a name that happens to hold such words is left alone."""
    with app.test_request_context(), force_locale(language):
        said = words.describe(action, "Ana", object_type, "1", details, name="QA-1")
        kept = words.describe(
            "case.screen", "Ana", "case", "1", {}, name="Note de le test, von das Ende"
        )
    assert said.sentence == sentence
    assert "Note de le test, von das Ende" in kept.sentence


def test_the_codes_of_a_page_of_answers_cost_one_statement(app, count_queries):
    """An answer's rating and figures are worded from the same rows (its criterion's spec):
    one statement for both, whatever the number of answers on the page."""
    from qaportal.audit.models import AuditEvent
    from qaportal.demo import seed_all

    with app.app_context():
        seed_all()
        db = get_session()
        saved = db.execute(select(AuditEvent).where(AuditEvent.action == "answer.saved"))
        events = saved.scalars().all()
        assert len(events) > 3
        assert sum('"rating"' in (event.details or "") for event in events) > 1
        with app.test_request_context(), force_locale("fr"):
            words.object_values(db, events)  # the frameworks' parts are cached from now on
            with count_queries() as counted:
                coded = words.object_values(db, events)
    assert counted.count == 1
    for event in events:
        worded = coded[("answer", event.object_id)]
        assert set(worded) == {"rating", "figures"}, worded
        rating = words.load_details(event.details).get("rating")
        if rating:
            assert worded["rating"][rating] != rating, worded
