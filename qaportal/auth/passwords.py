"""Password hashing (argon2id) and the password rules: length, not common, nothing else."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import lazy_gettext as _l

from qaportal.paths import DATA_DIR

MIN_LENGTH = 12
MAX_LENGTH = 256

# argon2-cffi's defaults follow RFC 9106's second recommended profile (argon2id).
_hasher = PasswordHasher()
# Verifying against this keeps the time of a sign-in with an unknown email the same.
_DUMMY_HASH = _hasher.hash("qaportal timing equaliser")


def configure_hasher(time_cost: int | None = None, memory_cost_kib: int | None = None) -> None:
    """Set the argon2id cost (from the app config). Tests lower it; production keeps RFC 9106."""
    global _hasher, _DUMMY_HASH
    defaults = PasswordHasher()
    _hasher = PasswordHasher(
        time_cost=time_cost or defaults.time_cost,
        memory_cost=memory_cost_kib or defaults.memory_cost,
        parallelism=defaults.parallelism,
    )
    _DUMMY_HASH = _hasher.hash("qaportal timing equaliser")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = (DATA_DIR / "common-passwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line and not line.startswith("#"))


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """A user-facing reason why this password is refused, or None if it is acceptable."""
    if len(password) < MIN_LENGTH:
        return str(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return str(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 4:
        return str(_l("This password is too common or too easy to guess. Choose another."))
    if email and lowered in {email.lower(), email.split("@")[0].lower()}:
        return str(_l("Do not use your email address as your password."))
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        _dummy_verify(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy_verify(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
