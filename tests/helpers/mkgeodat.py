#!/usr/bin/env python3
# mkgeodat.py: write small geoip.dat / geosite.dat files (V2Ray 4.34's
# app/router/config.proto) for tests, without protoc.
#   mkgeodat.py ip OUT TAG=CIDR,CIDR... [TAG=...]
#   mkgeodat.py site OUT TAG=TYPE:VALUE[@attr...],... [TAG=...]
# TYPE is plain, regex, domain or full (Domain.Type 0..3).
import ipaddress
import sys

TYPES = {"plain": 0, "regex": 1, "domain": 2, "full": 3}


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_len(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_varint(num, v):
    return varint(num << 3) + varint(v)


def cidr(s):
    net = ipaddress.ip_network(s, strict=False)
    return field_len(1, net.network_address.packed) + \
        field_varint(2, net.prefixlen)


def domain(s):
    typ, _, rest = s.partition(":")
    parts = rest.split("@")
    out = field_varint(1, TYPES[typ]) if TYPES[typ] else b""
    out += field_len(2, parts[0].encode())
    for a in parts[1:]:
        # Attribute { key = 1; bool_value = 2 }
        out += field_len(3, field_len(1, a.encode()) + field_varint(2, 1))
    return out


def main():
    kind, out = sys.argv[1], sys.argv[2]
    data = b""
    for arg in sys.argv[3:]:
        tag, _, items = arg.partition("=")
        entry = field_len(1, tag.encode())
        for it in filter(None, items.split(",")):
            entry += field_len(2, cidr(it) if kind == "ip" else domain(it))
        data += field_len(1, entry)
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
