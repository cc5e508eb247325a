#!/usr/bin/env python3
"""Writes testdata/geoip/test-country.mmdb: a tiny GeoIP2-Country-shaped MaxMind DB (format 2.0,
IPv4, 24-bit records) mapping the documentation ranges to countries, for the GeoIP tests.
Written from the format's specification (https://maxmind.github.io/MaxMind-DB/); no MaxMind
data is in it. Run it again only to change the networks; the file is committed.
"""
import os
import struct
import sys

NETWORKS = [
    ("192.0.2.0", 24, "RU", "Russia"),
    ("198.51.100.0", 24, "US", "United States"),
    ("203.0.113.0", 24, "JP", "Japan"),
]


def size_bytes(size):
    if size < 29:
        return size, b""
    if size < 285:
        return 29, bytes([size - 29])
    if size < 65821:
        return 30, struct.pack(">H", size - 285)
    return 31, struct.pack(">I", size - 65821)[1:]


def control(kind, size):
    low, extra = size_bytes(size)
    if kind <= 7:
        return bytes([(kind << 5) | low]) + extra
    return bytes([low, kind - 7]) + extra


def uint(kind, n):
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return control(kind, len(body)) + body


def encode(v):
    if isinstance(v, str):
        b = v.encode()
        return control(2, len(b)) + b
    if isinstance(v, dict):
        out = control(7, len(v))
        for k, x in v.items():
            out += encode(k) + encode(x)
        return out
    if isinstance(v, list):
        out = control(11, len(v))
        for x in v:
            out += encode(x)
        return out
    if isinstance(v, tuple):  # (type, int): uint16 = 5, uint32 = 6, uint64 = 9
        return uint(v[0], v[1])
    raise TypeError(v)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "testdata", "geoip", "test-country.mmdb")
    data = b""
    offsets = {}
    for _, _, code, name in NETWORKS:
        offsets[code] = len(data)
        data += encode({"country": {"iso_code": code, "names": {"en": name}}})
    nodes = [[None, None]]
    for addr, bits, code, _ in NETWORKS:
        ip = int.from_bytes(bytes(int(p) for p in addr.split(".")), "big")
        node = 0
        for i in range(bits):
            bit = (ip >> (31 - i)) & 1
            if i == bits - 1:
                nodes[node][bit] = ("data", offsets[code])
            else:
                if nodes[node][bit] is None:
                    nodes.append([None, None])
                    nodes[node][bit] = ("node", len(nodes) - 1)
                node = nodes[node][bit][1]
    count = len(nodes)

    def record(r):
        if r is None:
            return count
        return r[1] if r[0] == "node" else count + 16 + r[1]

    tree = b"".join(record(l).to_bytes(3, "big") + record(r).to_bytes(3, "big") for l, r in nodes)
    meta = encode({
        "binary_format_major_version": (5, 2),
        "binary_format_minor_version": (5, 0),
        "build_epoch": (9, 1_790_000_000),
        "database_type": "GeoIP2-Country",
        "description": {"en": "parapet test country database (documentation ranges only)"},
        "ip_version": (5, 4),
        "languages": ["en"],
        "node_count": (6, count),
        "record_size": (5, 24),
    })
    with open(out, "wb") as f:
        f.write(tree + b"\0" * 16 + data + b"\xab\xcd\xefMaxMind.com" + meta)
    print(f"{out}: {count} nodes, {len(data)} data bytes")


if __name__ == "__main__":
    main()
