"""What the public register's audit events say (see :mod:`qaportal.audit.words`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from qaportal.audit.words import register_actions, register_details


def _deqar_exported(v: Mapping[str, Any]) -> str:
    return ngettext(
        "%(actor)s exported %(num)d row of the register of %(object)s for DEQAR",
        "%(actor)s exported %(num)d rows of the register of %(object)s for DEQAR",
        v["rows"],
        actor=v["actor"],
        object=v["object"],
    )


def register_audit_words() -> None:
    register_actions(
        {
            "register.published": _l(
                "%(actor)s published the decision on %(case)s in the register"
            ),
            "register.withdrawn": _l(
                "%(actor)s withdrew the decision on %(case)s from the register"
            ),
            "register.deqar_exported": _deqar_exported,
        }
    )
    register_details(
        labels={"report_version": _l("Report version"), "report_versions": _l("Report versions")}
    )
