"""Secrets stored in the database (SMTP passwords, access point keys) are encrypted with a
key derived from `FIELD_ENCRYPTION_KEY`, or from SECRET_KEY when that is not set. Changing
the key makes stored secrets unreadable: they must then be entered again."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    secret = settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY
    key = hashlib.sha256(b"leadflip-field-encryption:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode() if value else ""


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return ""


class EncryptedText:
    """A model attribute that reads and writes a secret through an encrypted text field:
    `password = EncryptedText("password_encrypted")` stores what is assigned encrypted and
    gives it back decrypted."""

    def __init__(self, field_name: str):
        self.field_name = field_name

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return decrypt(getattr(instance, self.field_name))

    def __set__(self, instance, value: str) -> None:
        setattr(instance, self.field_name, encrypt(value))
