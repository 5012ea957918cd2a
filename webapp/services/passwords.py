"""The password policy: length, not a common password, not the username, not blank; random initial passwords."""

from __future__ import annotations

import secrets

from webapp.services.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8

# Passwords that top every published leak list (and their Chinese favourites); a guesser tries these first.
_COMMON_PASSWORD_TEXT = """
password password1 password12 password123 passw0rd p@ssw0rd p@ssword pa$$word 12345678 123456789 1234567890
87654321 11111111 00000000 88888888 66666666 12341234 11223344 12121212 123123123 1qaz2wsx 1q2w3e4r 1q2w3e4r5t
qwertyui qwerty12 qwerty123 qwertyuiop asdfghjk asdf1234 zxcvbnm1 zxcvbnm123 abcd1234 abc12345 abc123456
a1234567 a12345678 aa123456 iloveyou iloveyou1 woaini520 woaini1314 5201314520 1314520520 admin123 admin1234
administrator root1234 welcome1 welcome123 letmein1 sunshine princess football baseball superman dragon123
monkey123 trustno1 starwars whatever computer internet changeme changeme1 default1 test1234 testtest user1234
guest123 firegrid firegrid1 firegrid123 xiaofang 12345qwert qweasdzxc 147258369 123654789 159357456 741852963
987654321 1234qwer q1w2e3r4 zaq12wsx !qaz2wsx qazwsxedc 1qazxsw2 aaaaaaaa abcdefgh
"""
COMMON_PASSWORDS = frozenset(_COMMON_PASSWORD_TEXT.split())


def check_password(password: str, username: str = "", *, field: str = "password") -> None:
    """Refuse a password a guesser would find: short, common, the username, or blank. Messages in Chinese."""
    if not password.strip():
        raise InvalidInput("密码不能全为空格。", field=field)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少需要{MIN_PASSWORD_LENGTH}位。", field=field)
    lowered = password.strip().lower()
    if username and username.strip().lower() in lowered:
        raise InvalidInput("密码不能包含用户名。", field=field)
    if lowered in COMMON_PASSWORDS or len(set(lowered)) <= 2:
        raise InvalidInput("该密码过于常见或简单，容易被猜中，请换一个。", field=field)


def random_password() -> str:
    """An initial password an administrator reads out once: 12 letters and digits without look-alikes."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate
