"""Builders shared by the case, self-assessment, evidence and workflow tests: frameworks
(in the loader's normalised format), catalogue specifications and cases, made directly in
the database so the tests do not depend on the shipped framework files."""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from qaportal.audit.services import Actor
from qaportal.auth.models import User
from qaportal.cases import services as case_services
from qaportal.cases.models import Case
from qaportal.catalogue.models import (
    LearningOutcome,
    ParticipationForm,
    Specification,
    SpecificationVersion,
    VersionStatus,
)
from qaportal.db import get_session
from qaportal.frameworks.models import Criterion, Framework, FrameworkVersion
from qaportal.orgs.models import Organisation

SCALE = {
    "compliance": {
        "levels": [
            {"value": "partially", "label": "Partially compliant"},
            {"value": "fully", "label": "Fully compliant"},
        ]
    }
}
LEVELS = SCALE["compliance"]["levels"]


def narrative_q(required: bool = True) -> dict[str, Any]:
    return {
        "code": "narrative",
        "type": "narrative",
        "prompt": "How do you meet it?",
        "required": required,
    }


def rating_q() -> dict[str, Any]:
    return {
        "code": "rating",
        "type": "rating",
        "prompt": "Your rating",
        "scale": "compliance",
        "levels": LEVELS,
        "required": True,
    }


def figure_q(code: str = "completion", required: bool = True) -> dict[str, Any]:
    return {
        "code": code,
        "type": "figure",
        "prompt": "Completion rate",
        "unit": "percentage",
        "decimals": 1,
        "min": 0,
        "max": 100,
        "required": required,
    }


def evidence_q(required: bool) -> dict[str, Any]:
    return {"code": "evidence", "type": "evidence", "prompt": "Evidence", "required": required}


def make_framework(
    session: Any,
    code: str = "test-fw",
    criteria: list[dict[str, Any]] | None = None,
    *,
    number: int = 1,
    title: str | None = None,
) -> FrameworkVersion:
    """A framework version with criteria; ``criteria`` items are criterion definitions."""
    if criteria is None:
        criteria = default_criteria()
    framework = session.execute(
        select(Framework).where(Framework.code == code, Framework.owner_agency_id.is_(None))
    ).scalar_one_or_none()
    if framework is None:
        framework = Framework(code=code)
        session.add(framework)
        session.flush()
    definition = {"code": code, "title": title or code, "scales": SCALE, "criteria": criteria}
    version = FrameworkVersion(
        framework_id=framework.id,
        number=number,
        title=title or f"Framework {code}",
        edition="2015",
        content_hash=hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest(),
        definition=definition,
    )
    session.add(version)
    session.flush()
    for position, c in enumerate(criteria, start=1):
        session.add(
            Criterion(
                framework_version_id=version.id,
                code=c["code"],
                position=position,
                title=c["title"],
                required=c.get("required", True),
                evidence_required=c.get("evidence_required", False),
                qa_elements=c.get("qa_elements", []),
                definition=c,
            )
        )
    session.flush()
    return version


def criterion_def(
    code: str,
    title: str,
    *,
    questions: list[dict[str, Any]] | None = None,
    evidence_required: bool = False,
    required: bool = True,
    qa_elements: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "code": code,
        "title": title,
        "statement": f"Statement of **{code}**.",
        "guidance": [f"Guidance prompt for {code}?"],
        "evidence_hints": [f"Evidence hint for {code}"],
        "required": required,
        "evidence_required": evidence_required,
        "qa_elements": qa_elements or [],
        "questions": questions
        if questions is not None
        else [narrative_q(), rating_q(), evidence_q(evidence_required)],
    }


def default_criteria() -> list[dict[str, Any]]:
    """Three criteria: a plain one, one asking for a figure, one requiring evidence."""
    return [
        criterion_def(
            "C1", "Policy for quality assurance", qa_elements=["micro_credential", "course"]
        ),
        criterion_def(
            "C2",
            "Completion",
            questions=[narrative_q(), rating_q(), figure_q()],
            qa_elements=["learner_feedback"],
        ),
        criterion_def("C3", "Public information", evidence_required=True),
    ]


def make_spec(
    session: Any, provider_id: int, title: str, *, complete: bool = True
) -> Specification:
    spec = Specification(provider_id=provider_id)
    version = SpecificationVersion(number=1, status=VersionStatus.DRAFT, title=title)
    if complete:
        version.issuer_regions = ["DE"]
        version.awarding_bodies = [{"name": "University of Demoville"}]
        version.ects = Decimal("5")
        version.hours = 140
        version.eqf_level = 6
        version.assessment_type = "Written exam of 90 minutes"
        version.participation_form = ParticipationForm.ONLINE
        version.quality_assurance = "Internal QA system accredited by the national agency"
        version.outcomes = [
            LearningOutcome(position=1, statement="Analyse data sets with statistical methods")
        ]
    spec.versions.append(version)
    session.add(spec)
    session.flush()
    return spec


def org(session: Any, acronym: str) -> Organisation:
    return session.execute(select(Organisation).where(Organisation.acronym == acronym)).scalar_one()


def user(session: Any, email: str) -> User:
    return session.execute(select(User).where(User.email == email)).scalar_one()


@dataclass
class World:
    case_id: int
    version_id: int
    criteria: dict[str, int]  # code -> id
    spec_ids: list[int]
    agency_id: int
    provider_id: int
    other_provider_id: int


def make_world(
    app: Any,
    *,
    criteria: list[dict[str, Any]] | None = None,
    complete_spec: bool = True,
    code: str = "test-fw",
) -> World:
    """A draft case of the demo university with the demo agency on one framework."""
    with app.app_context():
        db = get_session()
        agency, udv, nvtc = org(db, "DAQA"), org(db, "UDV"), org(db, "NVTC")
        version = make_framework(db, code, criteria)
        spec = make_spec(db, udv.id, "Data analysis for beginners", complete=complete_spec)
        admin = user(db, "admin@university.example.org")
        case = case_services.open_case(
            db,
            udv,
            agency,
            framework_ids=[version.framework_id],
            specification_ids=[spec.id],
            contact_name="Paula Provider",
            contact_email="contact@university.example.org",
            user=admin,
            actor=Actor(admin.id, admin.email),
        )
        db.commit()
        ids = {
            c.code: c.id
            for c in db.execute(
                select(Criterion).where(Criterion.framework_version_id == version.id)
            ).scalars()
        }
        return World(case.id, version.id, ids, [spec.id], agency.id, udv.id, nvtc.id)


def load_case(app: Any, case_id: int) -> Case:
    with app.app_context():
        db = get_session()
        case = db.get(Case, case_id)
        db.expunge(case)
        return case


LOCK_RE = re.compile(r'name="lock_version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="lock_version"')


def lock_version(html: str) -> str:
    match = LOCK_RE.search(html)
    assert match, "no lock_version in the form"
    return match.group(1) or match.group(2)


# ----- files made in the tests -------------------------------------------------------------


def minimal_pdf(text: str = "Evidence") -> bytes:
    """A small valid PDF written by hand, with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    stream = f"BT /F1 12 Tf 20 100 Td ({text}) Tj ET".encode()
    objects[3] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n" % (len(objects) + 1))
    out.write(b"0000000000 65535 f \n")
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def minimal_png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def minimal_docx(text: str = "Internal QA policy") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f"<w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


def zip_bomb(size: int = 20 * 1024 * 1024) -> bytes:
    """Looks like a DOCX, but one part expands from a few kB to ``size`` bytes of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/media/padding.bin", b"\x00" * size)
    return buffer.getvalue()
