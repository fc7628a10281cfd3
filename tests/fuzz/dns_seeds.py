#!/usr/bin/env python3
"""dns_seeds.py: write the seed corpus of fuzz_dns_msg (dnslib): queries
with and without a client-subnet option, and answers with CNAMEs,
compression, TTL 0, AAAA, MX and NXDOMAIN. Run from the repository root."""
import os
import sys

sys.path.append("/usr/lib/python3/dist-packages")  # Debian's python3-dnslib
from dnslib import (A, AAAA, CNAME, EDNS0, MX, QTYPE, RCODE, RR,  # noqa
                    DNSRecord, EDNSOption)

D = "tests/fuzz/corpus/fuzz_dns_msg"
os.makedirs(D, exist_ok=True)


def w(name, rec):
    with open(os.path.join(D, name), "wb") as f:
        f.write(rec.pack())


w("query-a", DNSRecord.question("a.test", "A"))
w("query-aaaa", DNSRecord.question("www.example.com", "AAAA"))
w("query-mx", DNSRecord.question("mx.test", "MX"))
q = DNSRecord.question("ecs.test", "A")
q.add_ar(EDNS0(udp_len=1350, opts=[EDNSOption(8, b"\0\1\x18\0\1\2\3")]))
w("query-ecs", q)
r = DNSRecord.question("www.a.test", "A").reply()
r.add_answer(RR("www.a.test", QTYPE.CNAME, rdata=CNAME("b.a.test"), ttl=50))
r.add_answer(RR("b.a.test", QTYPE.A, rdata=A("10.0.0.1"), ttl=0))
r.add_answer(RR("b.a.test", QTYPE.A, rdata=A("10.0.0.2"), ttl=300))
w("resp-cname", r)
r = DNSRecord.question("both.test", "AAAA").reply()
r.add_answer(RR("both.test", QTYPE.AAAA, rdata=AAAA("fd00::5"), ttl=300))
w("resp-aaaa", r)
r = DNSRecord.question("nx.test", "A").reply()
r.header.rcode = RCODE.NXDOMAIN
w("resp-nx", r)
r = DNSRecord.question("mx.test", "MX").reply()
r.add_answer(RR("mx.test", QTYPE.MX, rdata=MX("mail.mx.test"), ttl=300))
w("resp-mx", r)
