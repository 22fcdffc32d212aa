#!/usr/bin/env python3
"""Regenerates the test certificates (public material only; the keys are discarded).

Run: python3 make.py   (needs the `cryptography` package). The rule fixtures embed these
certificates base64-encoded in `kubernetes.io/tls` Secrets; the unit tests read them here.
"""
import datetime as dt
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def cert(name, key, cn, sans, not_before, not_after, issuer_cn=None, ips=()):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn or cn)])
    alt = [x509.DNSName(s) for s in sans] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(1000 + len(name))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if alt:
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    pem = builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)
    with open(name, "wb") as f:
        f.write(pem)


utc = dt.timezone.utc
rsa1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
rsa2048 = rsa.generate_private_key(public_exponent=65537, key_size=2048)
p256 = ec.generate_private_key(ec.SECP256R1())

# Valid for years, ECDSA P-256, issued by a private CA (issuer differs from subject).
cert("good-ecdsa.pem", p256, "pay.example.com", ["pay.example.com", "www.pay.example.com"],
     dt.datetime(2026, 1, 1, tzinfo=utc), dt.datetime(2030, 1, 1, tzinfo=utc),
     issuer_cn="Example Internal CA", ips=["10.0.0.10"])
# Expired long ago, RSA 1024, self-signed.
cert("expired-rsa1024.pem", rsa1024, "old.example.com", ["old.example.com"],
     dt.datetime(2020, 1, 1, tzinfo=utc), dt.datetime(2021, 1, 1, tzinfo=utc))
# Expires on 2026-06-15: within 30 days of the fixtures' scan date (2026-06-01).
cert("expiring-rsa2048.pem", rsa2048, "shop.example.com", ["shop.example.com"],
     dt.datetime(2026, 3, 17, tzinfo=utc), dt.datetime(2026, 6, 15, tzinfo=utc),
     issuer_cn="Example Internal CA")
