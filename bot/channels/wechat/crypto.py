"""Callback signatures and WeChat "safe mode" message encryption (the WXBizMsgCrypt scheme)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
from xml.sax.saxutils import escape

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.wechat.messages import cdata

ENCODING_AES_KEY_LENGTH = 43
RANDOM_PREFIX_BYTES = 16
# WeChat pads to 32-byte blocks (PKCS#7 with k = 32), not to AES's 16-byte block.
PAD_BLOCK_BYTES = 32
_AES_BLOCK_BYTES = 16
_LENGTH = struct.Struct(">I")


class CryptoError(ValueError):
    """A safe-mode message could not be verified or decrypted."""


def _sorted_sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _same(expected: str, given: str) -> bool:
    # Bytes, because compare_digest refuses non-ASCII str and `given` comes from the request.
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """Whether a plain-mode callback's `signature` query parameter is genuine."""
    return _same(_sorted_sha1(token, timestamp, nonce), signature)


def msg_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """The safe-mode `msg_signature`: sha1 of the sorted token, timestamp, nonce and ciphertext."""
    return _sorted_sha1(token, timestamp, nonce, encrypted)


class MessageCrypto:
    """Encrypts replies and verifies and decrypts callbacks for one Official Account."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        if len(encoding_aes_key) != ENCODING_AES_KEY_LENGTH:
            raise ValueError(
                f"EncodingAESKey must be {ENCODING_AES_KEY_LENGTH} characters long, "
                f"got {len(encoding_aes_key)}"
            )
        try:
            key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("EncodingAESKey is not valid base64") from None
        if len(key) != 32:  # pragma: no cover - 43 valid base64 characters always give 32 bytes
            raise ValueError("EncodingAESKey does not decode to 32 bytes")
        self._token = token
        self._app_id = app_id.encode("utf-8")
        self._cipher = Cipher(algorithms.AES(key), modes.CBC(key[:_AES_BLOCK_BYTES]))

    def encrypt_text(self, text: str, random_bytes: bytes | None = None) -> str:
        """The base64 ciphertext of `text` (16 random bytes, length, text, app id, padding)."""
        prefix = os.urandom(RANDOM_PREFIX_BYTES) if random_bytes is None else random_bytes
        if len(prefix) != RANDOM_PREFIX_BYTES:
            raise ValueError(f"random_bytes must be {RANDOM_PREFIX_BYTES} bytes")
        body = text.encode("utf-8")
        plain = prefix + _LENGTH.pack(len(body)) + body + self._app_id
        padder = padding.PKCS7(PAD_BLOCK_BYTES * 8).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = self._cipher.encryptor()
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")

    def encrypt(
        self, xml: str, nonce: str, timestamp: str, random_bytes: bytes | None = None
    ) -> str:
        """The safe-mode reply envelope for a passive reply `xml`, signed with our token."""
        encrypted = self.encrypt_text(xml, random_bytes)
        signature = msg_signature(self._token, timestamp, nonce, encrypted)
        return (
            f"<xml><Encrypt>{cdata(encrypted)}</Encrypt>"
            f"<MsgSignature>{cdata(signature)}</MsgSignature>"
            f"<TimeStamp>{escape(timestamp)}</TimeStamp>"
            f"<Nonce>{cdata(nonce)}</Nonce></xml>"
        )

    def decrypt(self, encrypted_b64: str) -> str:
        """The message inside a safe-mode ciphertext, after checking padding and app id."""
        try:
            data = base64.b64decode(encrypted_b64, validate=True)
        except (binascii.Error, ValueError):
            raise CryptoError("ciphertext is not valid base64") from None
        if not data or len(data) % _AES_BLOCK_BYTES:
            raise CryptoError("ciphertext has a wrong length")
        decryptor = self._cipher.decryptor()
        plain = _unpad(decryptor.update(data) + decryptor.finalize())
        header = RANDOM_PREFIX_BYTES + _LENGTH.size
        if len(plain) < header:
            raise CryptoError("plaintext too short")
        (length,) = _LENGTH.unpack_from(plain, RANDOM_PREFIX_BYTES)
        if header + length > len(plain):
            raise CryptoError("message length out of range")
        if not hmac.compare_digest(plain[header + length :], self._app_id):
            raise CryptoError("app id mismatch")
        try:
            return plain[header : header + length].decode("utf-8")
        except UnicodeDecodeError:
            raise CryptoError("message is not UTF-8") from None

    def verify_and_decrypt(
        self, msg_signature: str, timestamp: str, nonce: str, encrypted: str
    ) -> str:
        """Check `msg_signature` in constant time, then decrypt (a callback or a URL check)."""
        expected = _sorted_sha1(self._token, timestamp, nonce, encrypted)
        if not _same(expected, msg_signature):
            raise CryptoError("message signature mismatch")
        return self.decrypt(encrypted)


def _unpad(padded: bytes) -> bytes:
    """Strip PKCS#7 padding of 1 to 32 bytes.

    Checked by hand rather than with cryptography's PKCS7(256) unpadder: Tencent's reference
    decoders accept any 16-byte-aligned ciphertext whose padding is 1..32 bytes, and so do we.
    """
    pad = padded[-1]
    if not 1 <= pad <= PAD_BLOCK_BYTES or pad > len(padded):
        raise CryptoError("bad padding")
    if not hmac.compare_digest(padded[-pad:], bytes([pad]) * pad):
        raise CryptoError("bad padding")
    return padded[:-pad]
