"""Callback signatures and safe-mode crypto against published WeChat test vectors."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bot.channels.wechat.crypto import (
    CryptoError,
    MessageCrypto,
    check_signature,
    msg_signature,
)
from bot.channels.wechat.messages import extract_encrypted, parse_message

# --- Published vectors, copied verbatim -------------------------------------------------------
#
# A: Tencent's Java sample (WXBizMsgCryptTest), as kept in weixin-java-tools:
#    chanjarster/weixin-java-tools @ 516c1cc80a23e8188c9b231f3f4ea55c40e9e947,
#    weixin-java-common/src/test/java/me/chanjar/weixin/common/util/crypto/WxCryptUtilTest.java
#    (testAesEncrypt, testAesEncrypt2: encryption with the fixed random prefix "aaaabbbbccccdddd").
A_TOKEN = "pamtest"
A_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
A_APP_ID = "wxb11529c136998cb6"
A_RANDOM = b"aaaabbbbccccdddd"
A_REPLY = "我是中文abcd123"
A_CIPHER = (
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
)
A_REPLY2 = (
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName>"
    "<FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime>"
    "<MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-"
    "HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]>"
    "</Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>"
)
A_CIPHER2 = (
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkup"
    "qcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb"
    "3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7"
    "KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVI"
    "NGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EA"
    "jLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtn"
    "X8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb"
)

# B: Tencent's Python sample (Sample.py, "测试解密接口"): an incoming encrypted text message.
#    The same token / timestamp / nonce / ciphertext / msg_signature are asserted in
#    sdkwe/pywe-sign @ 197912e4fd15e59043d3e80cc124dfebd44b2f62, tests/test_sign.py
#    (test_msg_signature_relative); appid and key are those of the sample.
B_TOKEN = "spamtest"
B_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
B_APP_ID = "wx2c2769f8efd9abc2"
B_TIMESTAMP = "1409735669"
B_NONCE = "1320562132"
B_MSG_SIGNATURE = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
B_ENCRYPT = (
    "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PG"
    "HQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6t"
    "EDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3y"
    "ZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+"
    "q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
)

# C: wechatpy/wechatpy @ 3d560725881d69a5a8aca7a36f98e06dd8975042, tests/test_crypto.py
#    (WeCom callbacks use the same WXBizMsgCrypt scheme; the corp id takes the app id's place).
C_TOKEN = "123456"
C_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
C_APP_ID = "wx49f0ab532d5d035a"
C_ECHO_SIGNATURE = "dd6b9c95b495b3f7e2901bfbc76c664930ffdb96"
C_ECHO_TIMESTAMP = "1411443780"
C_ECHO_NONCE = "437374425"
C_ECHO_STR = (
    "4ByGGj+sVCYcvGeQYhaKIk1o0pQRNbRjxybjTGblXrBaXlTXeOo1+bXFXDQQb1o6co6Yh9Bv41n7hOchLF6p+Q=="
)
C_RANDOM = b"1234567890123456"
C_NONCE = "461056294"
C_TIMESTAMP = "1411525903"
C_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
C_REPLY_ENCRYPT = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8"
    "GqxlhZgURnAtObvesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL"
    "2Q1qvSUCUld+/WIXrx0oyKQmpB6o8NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurD"
    "XafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMp"
    "atF9XiKzHo3"
)
C_REPLY_SIGNATURE = "407518b7649e86ef23978113f92d27afa9296533"
C_INCOMING_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
C_INCOMING_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTye"
    "DXzF6Bv283dGymzxh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyol"
    "Bug/gYNx410cvkKR2/nPwBiT+P4hIiOAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZn"
    "YZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvccTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5n"
    "oTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)

# D: plain-mode signature, wechatpy/wechatpy @ 037d1b579522d8a40af26463854fa190fb56ca1b,
#    tests/test_utils.py (test_check_signature_should_ok / _should_fail).
D_TOKEN = "test"
D_SIGNATURE = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
D_TIMESTAMP = "1410685589"
D_NONCE = "test"


def test_check_signature_accepts_the_published_vector() -> None:
    assert check_signature(D_TOKEN, D_SIGNATURE, D_TIMESTAMP, D_NONCE)


@pytest.mark.parametrize(
    ("signature", "timestamp", "nonce"),
    [
        ("f21891de399b4e33a1a93c9a7b8a8fffb5a443fe", D_TIMESTAMP, D_NONCE),  # wechatpy's _fail
        (D_SIGNATURE, "1410685590", D_NONCE),
        (D_SIGNATURE, D_TIMESTAMP, "tesT"),
        ("", D_TIMESTAMP, D_NONCE),
        ("签名", D_TIMESTAMP, D_NONCE),  # non-ASCII must be a plain "no", not a TypeError
    ],
)
def test_check_signature_rejects_anything_else(signature: str, timestamp: str, nonce: str) -> None:
    assert not check_signature(D_TOKEN, signature, timestamp, nonce)


def test_msg_signature_matches_the_published_vectors() -> None:
    assert msg_signature(B_TOKEN, B_TIMESTAMP, B_NONCE, B_ENCRYPT) == B_MSG_SIGNATURE
    assert msg_signature(C_TOKEN, C_TIMESTAMP, C_NONCE, C_REPLY_ENCRYPT) == C_REPLY_SIGNATURE
    assert msg_signature(C_TOKEN, C_ECHO_TIMESTAMP, C_ECHO_NONCE, C_ECHO_STR) == C_ECHO_SIGNATURE


@pytest.mark.parametrize(("text", "expected"), [(A_REPLY, A_CIPHER), (A_REPLY2, A_CIPHER2)])
def test_encryption_with_a_fixed_prefix_matches_tencents_java_sample(
    text: str, expected: str
) -> None:
    crypto = MessageCrypto(A_TOKEN, A_KEY, A_APP_ID)
    assert crypto.encrypt_text(text, A_RANDOM) == expected
    assert crypto.decrypt(expected) == text


def test_incoming_message_of_tencents_python_sample_decrypts() -> None:
    crypto = MessageCrypto(B_TOKEN, B_KEY, B_APP_ID)
    plain = crypto.verify_and_decrypt(B_MSG_SIGNATURE, B_TIMESTAMP, B_NONCE, B_ENCRYPT)
    message = parse_message(plain)
    assert (message.to_user, message.from_user) == (
        "gh_10f6c3c3ac5a",
        "oyORnuP8q7ou2gfYjqLzSIWZf0rs",
    )
    assert (message.msg_type, message.content) == ("text", "abcdteT")
    assert message.msg_id == "6054768590064713728"


def test_reply_envelope_matches_wechatpys_vector() -> None:
    crypto = MessageCrypto(C_TOKEN, C_KEY, C_APP_ID)
    envelope = crypto.encrypt(C_REPLY, C_NONCE, C_TIMESTAMP, random_bytes=C_RANDOM)
    assert envelope == (
        f"<xml><Encrypt><![CDATA[{C_REPLY_ENCRYPT}]]></Encrypt>"
        f"<MsgSignature><![CDATA[{C_REPLY_SIGNATURE}]]></MsgSignature>"
        f"<TimeStamp>{C_TIMESTAMP}</TimeStamp><Nonce><![CDATA[{C_NONCE}]]></Nonce></xml>"
    )


def test_incoming_message_and_url_check_of_wechatpys_vectors_decrypt() -> None:
    crypto = MessageCrypto(C_TOKEN, C_KEY, C_APP_ID)
    plain = crypto.verify_and_decrypt(
        C_INCOMING_SIGNATURE, C_TIMESTAMP, C_NONCE, C_INCOMING_ENCRYPT
    )
    message = parse_message(plain)
    assert (message.content, message.from_user) == ("test", "messense")
    echo = crypto.verify_and_decrypt(C_ECHO_SIGNATURE, C_ECHO_TIMESTAMP, C_ECHO_NONCE, C_ECHO_STR)
    assert echo.isdigit()


def test_round_trip_with_random_prefix_chinese_and_envelope() -> None:
    crypto = MessageCrypto(A_TOKEN, A_KEY, A_APP_ID)
    text = "<xml><Content><![CDATA[绿卡续签要多少钱？ 🇨🇳]]></Content></xml>"
    first, second = crypto.encrypt_text(text), crypto.encrypt_text(text)
    assert first != second  # a fresh random prefix each time
    assert crypto.decrypt(first) == crypto.decrypt(second) == text
    envelope = crypto.encrypt(text, "nonce]]>x", "1700000000")
    encrypted = extract_encrypted(envelope)
    assert (
        crypto.verify_and_decrypt(
            msg_signature(A_TOKEN, "1700000000", "nonce]]>x", encrypted),
            "1700000000",
            "nonce]]>x",
            encrypted,
        )
        == text
    )


@pytest.mark.parametrize("length", [0, 1, 31, 32, 33, 1000])
def test_round_trip_at_padding_boundaries(length: int) -> None:
    crypto = MessageCrypto(A_TOKEN, A_KEY, A_APP_ID)
    text = "x" * length
    encrypted = crypto.encrypt_text(text)
    assert len(base64.b64decode(encrypted)) % 32 == 0
    assert crypto.decrypt(encrypted) == text


def _flip(encrypted: str, index: int) -> str:
    data = bytearray(base64.b64decode(encrypted))
    data[index] ^= 0x01
    return base64.b64encode(bytes(data)).decode()


def test_a_flipped_byte_in_the_last_block_is_refused() -> None:
    crypto = MessageCrypto(A_TOKEN, A_KEY, A_APP_ID)
    # The last ciphertext block decrypts to the app id and the padding.
    with pytest.raises(CryptoError):
        crypto.decrypt(_flip(A_CIPHER, -1))
    with pytest.raises(CryptoError):
        crypto.decrypt(_flip(A_CIPHER, -20))


def test_a_flipped_byte_is_caught_by_the_signature_first() -> None:
    crypto = MessageCrypto(B_TOKEN, B_KEY, B_APP_ID)
    tampered = _flip(B_ENCRYPT, 40)
    with pytest.raises(CryptoError, match="signature"):
        crypto.verify_and_decrypt(B_MSG_SIGNATURE, B_TIMESTAMP, B_NONCE, tampered)


def test_wrong_app_id_is_refused() -> None:
    other = MessageCrypto(B_TOKEN, B_KEY, "wx0000000000000000")
    with pytest.raises(CryptoError, match="app id"):
        other.verify_and_decrypt(B_MSG_SIGNATURE, B_TIMESTAMP, B_NONCE, B_ENCRYPT)


@pytest.mark.parametrize(
    ("signature", "timestamp", "nonce"),
    [
        ("5d197aaffba7e9b25a30732f161a50dee96bd5fb", B_TIMESTAMP, B_NONCE),
        ("12345", B_TIMESTAMP, B_NONCE),  # the Java sample's "wrong signature" case
        (B_MSG_SIGNATURE, "1409735670", B_NONCE),
        (B_MSG_SIGNATURE, B_TIMESTAMP, "1320562133"),
        ("签名", B_TIMESTAMP, B_NONCE),
    ],
)
def test_wrong_signature_is_refused(signature: str, timestamp: str, nonce: str) -> None:
    crypto = MessageCrypto(B_TOKEN, B_KEY, B_APP_ID)
    with pytest.raises(CryptoError, match="signature"):
        crypto.verify_and_decrypt(signature, timestamp, nonce, B_ENCRYPT)


def test_a_different_token_is_refused() -> None:
    crypto = MessageCrypto("not-the-token", B_KEY, B_APP_ID)
    with pytest.raises(CryptoError, match="signature"):
        crypto.verify_and_decrypt(B_MSG_SIGNATURE, B_TIMESTAMP, B_NONCE, B_ENCRYPT)


@pytest.mark.parametrize(
    "encrypted",
    [
        "",
        "not base64 at all!",
        "QUJD",  # 3 bytes: not a whole AES block
        base64.b64encode(b"\x00" * 24).decode(),  # 24 bytes: not a whole AES block
        A_CIPHER[:-24] + "==",  # truncated
    ],
)
def test_malformed_ciphertext_is_a_crypto_error(encrypted: str) -> None:
    crypto = MessageCrypto(A_TOKEN, A_KEY, A_APP_ID)
    with pytest.raises(CryptoError):
        crypto.decrypt(encrypted)


def _raw_aes_cbc(key_b64: str, plain: bytes) -> str:
    key = base64.b64decode(key_b64 + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


@pytest.mark.parametrize(
    "tail",
    [
        b"\x00",  # a pad length of 0
        b"\x21",  # 33: longer than WeChat's 32-byte block
        b"\x03\x02\x03",  # the pad bytes disagree
    ],
)
def test_bad_padding_is_a_crypto_error(tail: bytes) -> None:
    crypto = MessageCrypto(A_TOKEN, A_KEY, A_APP_ID)
    plain = b"p" * (32 - len(tail)) + tail
    with pytest.raises(CryptoError, match="padding"):
        crypto.decrypt(_raw_aes_cbc(A_KEY, plain))


def test_a_length_field_beyond_the_plaintext_is_refused() -> None:
    crypto = MessageCrypto(A_TOKEN, A_KEY, A_APP_ID)
    plain = b"r" * 16 + (1000).to_bytes(4, "big") + b"abc" + A_APP_ID.encode()
    plain += bytes([32 - len(plain) % 32]) * (32 - len(plain) % 32)
    with pytest.raises(CryptoError, match="length"):
        crypto.decrypt(_raw_aes_cbc(A_KEY, plain))


def test_ciphertext_aligned_to_16_but_not_32_bytes_still_decrypts() -> None:
    # Tencent's reference decoders accept any padding of 1..32 bytes on 16-byte blocks.
    crypto = MessageCrypto(A_TOKEN, A_KEY, A_APP_ID)
    plain = b"r" * 16 + (2).to_bytes(4, "big") + b"ok" + A_APP_ID.encode()
    plain += bytes([16 - len(plain) % 16]) * (16 - len(plain) % 16)
    assert len(plain) % 32 == 16
    assert crypto.decrypt(_raw_aes_cbc(A_KEY, plain)) == "ok"


def test_crypto_error_is_a_value_error() -> None:
    assert issubclass(CryptoError, ValueError)


@pytest.mark.parametrize("key", ["", "short", A_KEY + "H", A_KEY[:-1]])
def test_encoding_aes_key_must_be_43_characters(key: str) -> None:
    with pytest.raises(ValueError, match="43 characters"):
        MessageCrypto(A_TOKEN, key, A_APP_ID)


def test_encoding_aes_key_must_be_base64() -> None:
    with pytest.raises(ValueError, match="base64") as raised:
        MessageCrypto(A_TOKEN, "!" * 43, A_APP_ID)
    assert "!!!" not in str(raised.value)  # the secret is never echoed


def test_random_prefix_must_be_16_bytes() -> None:
    crypto = MessageCrypto(A_TOKEN, A_KEY, A_APP_ID)
    with pytest.raises(ValueError, match="16 bytes"):
        crypto.encrypt_text("x", b"short")
