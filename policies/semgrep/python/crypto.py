import hashlib
import ssl

import requests
from Crypto.Cipher import AES, DES
from cryptography.hazmat.primitives.ciphers import algorithms, modes


def hashes(data):
    # ruleid: python-weak-hash
    hashlib.md5(data)
    # ruleid: python-weak-hash
    hashlib.new("sha1", data)
    # ok: python-weak-hash
    hashlib.md5(data, usedforsecurity=False)
    # ok: python-weak-hash
    hashlib.sha256(data)


def tls(url):
    # ruleid: python-tls-verify-disabled
    requests.get(url, verify=False)
    # ok: python-tls-verify-disabled
    requests.get(url, verify="/etc/ssl/ca.pem", timeout=5)
    # ruleid: python-ssl-unverified-context
    ctx = ssl._create_unverified_context()
    # ruleid: python-ssl-unverified-context
    ctx.verify_mode = ssl.CERT_NONE
    # ok: python-ssl-unverified-context
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def ciphers(key):
    # ruleid: python-weak-cipher
    DES.new(key, DES.MODE_CBC)
    # ruleid: python-weak-cipher
    AES.new(key, AES.MODE_ECB)
    # ok: python-weak-cipher
    AES.new(key, AES.MODE_GCM)
    # ruleid: python-weak-cipher
    modes.ECB()
    # ok: python-weak-cipher
    algorithms.AES(key)
