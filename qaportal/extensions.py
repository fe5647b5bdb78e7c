"""Flask extensions, created unbound and initialised by the app factory."""

from __future__ import annotations

from flask_babel import Babel
from flask_babel.speaklater import LazyString
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from markupsafe import Markup, escape

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)


def _escaped_html(text: LazyString) -> Markup:
    return escape(str(text))


# Flask-Babel's lazy strings call themselves HTML (``__html__`` returns the text as it is),
# so a lazy text holding a visitor's value, such as a form error naming the language codes
# typed into a filter, reached the page unescaped. The portal's texts hold no markup
# (tests/test_i18n.py checks the catalogue): a lazy text is escaped like any other string.
LazyString.__html__ = _escaped_html  # type: ignore[method-assign]
