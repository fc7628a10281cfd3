/* SPDX-License-Identifier: MIT */
/*
 * test_kcp.c: mKCP codecs against the captured vectors of mkcp.md §12, every
 * header's byte sequence, segment round trips and refusals, window maths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kcp/kcp_packet.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

/* Hands out a fixed byte string, so "random" starts and nonces are known. */
struct fixed_rand {
	const uint8_t	*bytes;
	size_t		 len;
	size_t		 off;
	int		 calls;
};

static int
fixed_rand_cb(void *arg, void *buf, size_t len)
{
	struct fixed_rand	*fr = arg;

	fr->calls++;
	if (fr->off + len > fr->len)
		return -1;
	memcpy(buf, fr->bytes + fr->off, len);
	fr->off += len;
	return 0;
}

static size_t
unhex(const char *hex, uint8_t *out, size_t outlen)
{
	size_t		n = strlen(hex) / 2, i;
	unsigned int	v;

	assert_true(n <= outlen);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/* ---------------------------------------------------------- §12 vectors */

static void
test_kcp_simple_ping_vector(void **state)
{
	struct kcp_security	 sec;
	struct kcp_segment	 seg;
	uint8_t			 plain[64], wire[64], out[128], back[64];
	size_t			 plen, wlen;
	ssize_t			 n;
	const char		*e = NULL;

	plen = unhex("f6cf0300000000010000000000000064", plain, sizeof(plain));
	wlen = unhex("aed82c6aaec8daa5adc8daa5adc9daa5adc9daa5adad", wire,
	    sizeof(wire));

	memset(&seg, 0, sizeof(seg));
	seg.conv = 63183;
	seg.cmd = KCP_CMD_PING;
	seg.snd_next = 1;
	seg.rcv_next = 0;
	seg.peer_rto = 100;
	assert_int_equal(kcp_segment_encode(&seg, out, sizeof(out)), plen);
	assert_memory_equal(out, plain, plen);

	assert_int_equal(kcp_security_init(&sec, NULL), 0);
	assert_int_equal(kcp_security_overhead(&sec), 6);
	n = kcp_security_seal(&sec, plain, plen, out, sizeof(out));
	assert_int_equal(n, wlen);
	assert_memory_equal(out, wire, wlen);

	n = kcp_security_open(&sec, wire, wlen, back, sizeof(back), &e);
	assert_int_equal(n, plen);
	assert_memory_equal(back, plain, plen);
	assert_int_equal(kcp_segment_decode(back, plen, &seg, &e), 16);
	assert_int_equal(seg.conv, 63183);
	assert_int_equal(seg.cmd, KCP_CMD_PING);
	assert_int_equal(seg.snd_next, 1);
	assert_int_equal(seg.peer_rto, 100);
	kcp_security_cleanup(&sec);
}

static void
test_kcp_simple_ack_vector(void **state)
{
	struct kcp_security	 sec;
	struct kcp_segment	 seg;
	uint8_t			 plain[64], wire[64], out[128];
	size_t			 plen, wlen;
	const char		*e = NULL;

	plen = unhex("f6cf00000000030800000000000000000100000000", plain,
	    sizeof(plain));
	wlen = unhex("2dd6ffad2dc309622dc309622ecb09622ecb09622ecb08622ecb08",
	    wire, sizeof(wire));

	memset(&seg, 0, sizeof(seg));
	seg.conv = 63183;
	seg.cmd = KCP_CMD_ACK;
	seg.rcv_wnd = kcp_rcv_wnd(0, kcp_in_flight(KCP_DOWNLINK_DEFAULT,
	    KCP_MTU_DEFAULT, KCP_TTI_DEFAULT));
	seg.count = 1;
	seg.nums[0] = 0;
	assert_int_equal(kcp_segment_encode(&seg, out, sizeof(out)), plen);
	assert_memory_equal(out, plain, plen);

	assert_int_equal(kcp_security_init(&sec, NULL), 0);
	assert_int_equal(kcp_packet_seal(NULL, &sec, plain, plen, out,
	    sizeof(out)), wlen);
	assert_memory_equal(out, wire, wlen);
	assert_int_equal(kcp_packet_open(NULL, &sec, wire, wlen, out,
	    sizeof(out), &e), plen);
	assert_memory_equal(out, plain, plen);
	assert_int_equal(kcp_segment_decode(out, plen, &seg, &e), plen);
	assert_int_equal(seg.rcv_wnd, 776);
	assert_int_equal(seg.count, 1);
	assert_int_equal(seg.nums[0], 0);
	kcp_security_cleanup(&sec);
}

static void
test_kcp_gcm_wechat_vector(void **state)
{
	static const uint8_t	 hdr_start[2] = { 0xd8, 0xcd };
	struct fixed_rand	 hr = { hdr_start, 2, 0, 0 };
	struct fixed_rand	 nr;
	struct kcp_header	 h;
	struct kcp_security	 sec;
	uint8_t			 key[16], nonce[12], plain[32], wire[128];
	uint8_t			 out[256], back[64];
	size_t			 wlen, plen;
	ssize_t			 n;
	const char		*e = NULL;

	unhex("acd2b6bdb2f5ea37f9d761219e72b10a", key, sizeof(key));
	unhex("1545aeaf4c790d34fd4dc249", nonce, sizeof(nonce));
	plen = unhex("a41a0300000000010000000000000064", plain, sizeof(plain));
	wlen = unhex("a1080000d8ce00101118302230"
	    "1545aeaf4c790d34fd4dc249"
	    "ed8b4706748e2fecefe0ad1db134fd435d3f0dfab9a5988e40e0a822ba0cfdac",
	    wire, sizeof(wire));

	assert_int_equal(kcp_header_init_rand(&h, "wechat-video",
	    fixed_rand_cb, &hr), 0);
	assert_int_equal(kcp_security_init(&sec, "testseed123"), 0);
	assert_int_equal(sec.s_kind, KCP_SEC_GCM);
	assert_memory_equal(sec.s_key, key, 16);
	assert_int_equal(kcp_security_overhead(&sec), 28);

	/* Open first, then seal, then open again: the contexts are reused. */
	n = kcp_packet_open(&h, &sec, wire, wlen, back, sizeof(back), &e);
	assert_int_equal(n, plen);
	assert_memory_equal(back, plain, plen);

	nr.bytes = nonce;
	nr.len = sizeof(nonce);
	nr.off = 0;
	nr.calls = 0;
	kcp_security_set_random(&sec, fixed_rand_cb, &nr);
	n = kcp_packet_seal(&h, &sec, plain, plen, out, sizeof(out));
	assert_int_equal(n, wlen);
	assert_memory_equal(out, wire, wlen);

	memset(back, 0, sizeof(back));
	n = kcp_packet_open(&h, &sec, wire, wlen, back, sizeof(back), &e);
	assert_int_equal(n, plen);
	assert_memory_equal(back, plain, plen);
	kcp_security_cleanup(&sec);
	kcp_security_cleanup(&sec);	/* repeatable */
}

/* --------------------------------------------------------- §3 refusals */

static void
test_kcp_simple_open_rejects(void **state)
{
	struct kcp_security	 sec;
	uint8_t			 plain[20], w[64], out[64];
	const char		*e;
	ssize_t			 n;
	size_t			 i;
	uint32_t		 h;

	for (i = 0; i < sizeof(plain); i++)
		plain[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(kcp_security_init(&sec, NULL), 0);
	n = kcp_security_seal(&sec, plain, sizeof(plain), w, sizeof(w));
	assert_int_equal(n, 26);

	/* Too short, including a sealed empty plaintext (6 bytes). */
	for (i = 0; i <= 6; i++) {
		e = NULL;
		assert_int_equal(kcp_security_open(&sec, w, i, out,
		    sizeof(out), &e), -1);
		assert_non_null(e);
	}
	assert_int_equal(kcp_security_seal(&sec, plain, 0, w + 32, 32), 6);
	e = NULL;
	assert_int_equal(kcp_security_open(&sec, w + 32, 6, out, sizeof(out),
	    &e), -1);
	assert_non_null(e);

	/* Any single flipped bit fails the checksum or the length check. */
	for (i = 0; i < 26; i++) {
		w[i] ^= 0x10;
		e = NULL;
		assert_int_equal(kcp_security_open(&sec, w, 26, out,
		    sizeof(out), &e), -1);
		assert_non_null(e);
		w[i] ^= 0x10;
	}
	/* Truncated by one byte: checksum no longer matches. */
	e = NULL;
	assert_int_equal(kcp_security_open(&sec, w, 25, out, sizeof(out), &e),
	    -1);

	/* Valid checksum but a lying length field (hand-made). */
	memset(w, 0, sizeof(w));
	w[4] = 0;
	w[5] = 5;		/* claims 5, carries 3 */
	w[6] = 'a';
	w[7] = 'b';
	w[8] = 'c';
	h = 0x811C9DC5u;
	for (i = 4; i < 9; i++)
		h = (h ^ w[i]) * 0x01000193u;
	w[0] = h >> 24;
	w[1] = (h >> 16) & 0xff;
	w[2] = (h >> 8) & 0xff;
	w[3] = h & 0xff;
	for (i = 4; i < 9; i++)
		w[i] ^= w[i - 4];
	e = NULL;
	assert_int_equal(kcp_security_open(&sec, w, 9, out, sizeof(out), &e),
	    -1);
	assert_string_equal(e, "simple: length mismatch");
	w[5] ^= 5 ^ 3;		/* fix the length, the hash now fails */
	e = NULL;
	assert_int_equal(kcp_security_open(&sec, w, 9, out, sizeof(out), &e),
	    -1);
	assert_string_equal(e, "simple: checksum mismatch");

	/* Output too small. */
	n = kcp_security_seal(&sec, plain, sizeof(plain), w, sizeof(w));
	e = NULL;
	assert_int_equal(kcp_security_open(&sec, w, (size_t)n, out, 19, &e),
	    -1);
	assert_non_null(e);
	/* Seal refuses a too-small output and an over-long plaintext. */
	assert_int_equal(kcp_security_seal(&sec, plain, sizeof(plain), w, 25),
	    -1);
	assert_int_equal(kcp_security_seal(&sec, plain, KCP_SEAL_MAX + 1, w,
	    (size_t)-1), -1);
	kcp_security_cleanup(&sec);
}

static void
test_kcp_gcm_open_rejects(void **state)
{
	struct kcp_security	 a, b, empty;
	uint8_t			 plain[40], w[128], out[128];
	uint8_t			 k_empty[16];
	const char		*e;
	ssize_t			 n;
	size_t			 i;

	memset(plain, 0x5a, sizeof(plain));
	assert_int_equal(kcp_security_init(&a, "one"), 0);
	assert_int_equal(kcp_security_init(&b, "two"), 0);
	n = kcp_security_seal(&a, plain, sizeof(plain), w, sizeof(w));
	assert_int_equal(n, 40 + 28);

	/* Many round trips on the same reused contexts. */
	for (i = 0; i < 50; i++) {
		plain[0] = (uint8_t)i;
		n = kcp_security_seal(&a, plain, sizeof(plain), w, sizeof(w));
		assert_int_equal(kcp_security_open(&a, w, (size_t)n, out,
		    sizeof(out), &e), 40);
		assert_memory_equal(out, plain, 40);
	}

	/* Wrong key. */
	e = NULL;
	assert_int_equal(kcp_security_open(&b, w, (size_t)n, out, sizeof(out),
	    &e), -1);
	assert_string_equal(e, "gcm: authentication failed");
	/* Flipped nonce, ciphertext or tag byte. */
	for (i = 0; i < (size_t)n; i += 7) {
		w[i] ^= 1;
		e = NULL;
		assert_int_equal(kcp_security_open(&a, w, (size_t)n, out,
		    sizeof(out), &e), -1);
		assert_non_null(e);
		w[i] ^= 1;
	}
	/* Too short: 28 bytes or less never opens. */
	for (i = 0; i <= 28; i++) {
		e = NULL;
		assert_int_equal(kcp_security_open(&a, w, i, out, sizeof(out),
		    &e), -1);
		assert_non_null(e);
	}
	/* A genuine seal of nothing is 28 bytes and still refused. */
	assert_int_equal(kcp_security_seal(&a, plain, 0, w + 80, 48), 28);
	e = NULL;
	assert_int_equal(kcp_security_open(&a, w + 80, 28, out, sizeof(out),
	    &e), -1);
	assert_string_equal(e, "gcm: datagram too short");
	/* The good packet still opens after all that. */
	assert_int_equal(kcp_security_open(&a, w, (size_t)n, out, sizeof(out),
	    &e), 40);

	/* seed "" is GCM too, key sha256("")[:16]. */
	assert_int_equal(kcp_security_init(&empty, ""), 0);
	assert_int_equal(empty.s_kind, KCP_SEC_GCM);
	unhex("e3b0c44298fc1c149afbf4c8996fb924", k_empty, sizeof(k_empty));
	assert_memory_equal(empty.s_key, k_empty, 16);
	kcp_security_cleanup(&empty);
	kcp_security_cleanup(&a);
	kcp_security_cleanup(&b);
}

/* -------------------------------------------------------------- §2 */

static void
test_kcp_header_sequences(void **state)
{
	static const uint8_t	 ffff[2] = { 0xff, 0xff };
	static const uint8_t	 r1234[2] = { 0x12, 0x34 };
	static const uint16_t	 dtls_len[] = { 17, 34, 51, 68, 85, 52, 69,
				    86, 53, 70, 87, 54, 71, 88, 55 };
	struct fixed_rand	 fr;
	struct kcp_header	 h;
	uint8_t			 b[KCP_HEADER_MAX];
	size_t			 i;

	/* none */
	assert_int_equal(kcp_header_init(&h, "none"), 0);
	assert_int_equal(kcp_header_size(&h), 0);
	assert_int_equal(kcp_header_write(&h, b), 0);
	assert_int_equal(kcp_header_init(&h, NULL), 0);
	assert_int_equal(kcp_header_size(&h), 0);
	assert_int_equal(kcp_header_size(NULL), 0);

	/* srtp: pre-incremented u16, wrapping */
	fr = (struct fixed_rand){ ffff, 2, 0, 0 };
	assert_int_equal(kcp_header_init_rand(&h, "srtp", fixed_rand_cb, &fr),
	    0);
	assert_int_equal(kcp_header_size(&h), 4);
	assert_int_equal(kcp_header_write(&h, b), 4);
	assert_memory_equal(b, "\xb5\xe8\x00\x00", 4);
	kcp_header_write(&h, b);
	assert_memory_equal(b, "\xb5\xe8\x00\x01", 4);

	/* utp: constant random connid */
	fr = (struct fixed_rand){ r1234, 2, 0, 0 };
	assert_int_equal(kcp_header_init_rand(&h, "utp", fixed_rand_cb, &fr),
	    0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(kcp_header_write(&h, b), 4);
		assert_memory_equal(b, "\x12\x34\x01\x00", 4);
	}

	/* wechat-video: u16 start widened to u32, pre-incremented */
	fr = (struct fixed_rand){ ffff, 2, 0, 0 };
	assert_int_equal(kcp_header_init_rand(&h, "wechat-video",
	    fixed_rand_cb, &fr), 0);
	assert_int_equal(kcp_header_size(&h), 13);
	assert_int_equal(kcp_header_write(&h, b), 13);
	assert_memory_equal(b, "\xa1\x08\x00\x01\x00\x00"
	    "\x00\x10\x11\x18\x30\x22\x30", 13);
	kcp_header_write(&h, b);
	assert_memory_equal(b, "\xa1\x08\x00\x01\x00\x01", 6);

	/* dtls: constant epoch, post-incremented seq, fake length cycle */
	fr = (struct fixed_rand){ r1234, 2, 0, 0 };
	assert_int_equal(kcp_header_init_rand(&h, "dtls", fixed_rand_cb, &fr),
	    0);
	assert_int_equal(kcp_header_size(&h), 13);
	for (i = 0; i < sizeof(dtls_len) / sizeof(dtls_len[0]); i++) {
		assert_int_equal(kcp_header_write(&h, b), 13);
		assert_memory_equal(b, "\x17\xfe\xfd\x12\x34\x00\x00", 7);
		assert_int_equal(b[7] << 24 | b[8] << 16 | b[9] << 8 | b[10],
		    i);
		assert_int_equal(b[11] << 8 | b[12], dtls_len[i]);
	}

	/* wireguard: constant, no randomness drawn */
	fr = (struct fixed_rand){ r1234, 0, 0, 0 };
	assert_int_equal(kcp_header_init_rand(&h, "wireguard", fixed_rand_cb,
	    &fr), 0);
	assert_int_equal(fr.calls, 0);
	assert_int_equal(kcp_header_write(&h, b), 4);
	assert_memory_equal(b, "\x04\x00\x00\x00", 4);

	/* Unknown types and a failing RNG. */
	assert_int_equal(kcp_header_init(&h, "http"), -1);
	assert_int_equal(kcp_header_init(&h, "DTLS"), -1);
	assert_int_equal(kcp_header_init_rand(&h, "dtls", fixed_rand_cb, &fr),
	    -1);
	/* The OpenSSL path works for every type. */
	assert_int_equal(kcp_header_init(&h, "srtp"), 0);
	assert_int_equal(kcp_header_init(&h, "dtls"), 0);
	assert_int_equal(h.h_seq, 0);
	assert_int_equal(h.h_len, 17);
}

static void
test_kcp_packet_header_skip(void **state)
{
	static const uint8_t	 plain[] = { 0, 7, KCP_CMD_TERMINATE, 0,
				    0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3 };
	struct kcp_header	 h;
	struct kcp_security	 sec;
	uint8_t			 d[KCP_RECV_BUF_SIZE + 8], out[64];
	const char		*e;
	ssize_t			 n;

	assert_int_equal(kcp_header_init(&h, "dtls"), 0);
	assert_int_equal(kcp_security_init(&sec, NULL), 0);
	n = kcp_packet_seal(&h, &sec, plain, sizeof(plain), d, sizeof(d));
	assert_int_equal(n, 13 + 6 + 16);
	/* The receiver does not look at the header bytes. */
	memset(d, 0xee, 13);
	assert_int_equal(kcp_packet_open(&h, &sec, d, (size_t)n, out,
	    sizeof(out), &e), 16);
	assert_memory_equal(out, plain, 16);
	/* Not longer than the header. */
	e = NULL;
	assert_int_equal(kcp_packet_open(&h, &sec, d, 13, out, sizeof(out),
	    &e), -1);
	assert_non_null(e);
	/* Larger than V2Ray's read buffer. */
	e = NULL;
	assert_int_equal(kcp_packet_open(&h, &sec, d, KCP_RECV_BUF_SIZE + 1,
	    out, sizeof(out), &e), -1);
	assert_non_null(e);
	/* A datagram sealed with a 4-byte header does not open as dtls. */
	assert_int_equal(kcp_header_init(&h, "wireguard"), 0);
	n = kcp_packet_seal(&h, &sec, plain, sizeof(plain), d, sizeof(d));
	assert_int_equal(kcp_header_init(&h, "dtls"), 0);
	e = NULL;
	assert_int_equal(kcp_packet_open(&h, &sec, d, (size_t)n, out,
	    sizeof(out), &e), -1);
	/* seal refuses an output with no room. */
	assert_int_equal(kcp_packet_seal(&h, &sec, plain, sizeof(plain), d,
	    10), -1);
	assert_int_equal(kcp_packet_seal(&h, &sec, plain, sizeof(plain), d,
	    13 + 6 + 15), -1);
	kcp_security_cleanup(&sec);
}

/* -------------------------------------------------------------- §4 */

static void
test_kcp_segment_round_trips(void **state)
{
	static const uint8_t	 payload[] = "hello, mkcp";
	static const uint8_t	 cmds[] = { KCP_CMD_TERMINATE, KCP_CMD_PING,
				    7, 0xff };
	struct kcp_segment	 s, d;
	uint8_t			 buf[1024];
	const char		*e;
	size_t			 i;
	ssize_t			 n;

	memset(&s, 0, sizeof(s));
	s.conv = 0xBEEF;
	s.cmd = KCP_CMD_DATA;
	s.opt = KCP_OPT_CLOSE;
	s.ts = 0xFFFFFFFE;
	s.num = 42;
	s.snd_next = 40;
	s.data = payload;
	s.data_len = sizeof(payload) - 1;
	n = kcp_segment_encode(&s, buf, sizeof(buf));
	assert_int_equal(n, 18 + 11);
	assert_int_equal(kcp_segment_size(&s), n);
	assert_memory_equal(buf, "\xbe\xef\x01\x01\xff\xff\xff\xfe"
	    "\x00\x00\x00\x2a\x00\x00\x00\x28\x00\x0b", 18);
	assert_int_equal(kcp_segment_decode(buf, (size_t)n, &d, &e), n);
	assert_int_equal(d.conv, 0xBEEF);
	assert_int_equal(d.cmd, KCP_CMD_DATA);
	assert_int_equal(d.opt, KCP_OPT_CLOSE);
	assert_int_equal(d.ts, 0xFFFFFFFE);
	assert_int_equal(d.num, 42);
	assert_int_equal(d.snd_next, 40);
	assert_int_equal(d.data_len, 11);
	assert_ptr_equal(d.data, buf + 18);
	assert_memory_equal(d.data, payload, 11);
	/* Encode refuses a short buffer. */
	assert_int_equal(kcp_segment_encode(&s, buf, (size_t)n - 1), -1);

	/* ACK with the full 128 numbers; 129 is refused on encode. */
	memset(&s, 0, sizeof(s));
	s.conv = 1;
	s.cmd = KCP_CMD_ACK;
	s.rcv_wnd = 1000;
	s.rcv_next = 224;
	s.ts = 77;
	s.count = KCP_ACK_MAX_NUMS;
	for (i = 0; i < KCP_ACK_MAX_NUMS; i++)
		s.nums[i] = 0xFFFFFFC0u + (uint32_t)i;
	n = kcp_segment_encode(&s, buf, sizeof(buf));
	assert_int_equal(n, 17 + 4 * 128);
	memset(&d, 0, sizeof(d));
	assert_int_equal(kcp_segment_decode(buf, (size_t)n, &d, &e), n);
	assert_int_equal(d.rcv_wnd, 1000);
	assert_int_equal(d.rcv_next, 224);
	assert_int_equal(d.ts, 77);
	assert_int_equal(d.count, 128);
	assert_memory_equal(d.nums, s.nums, sizeof(uint32_t) * 128);
	s.count = 129;
	assert_int_equal(kcp_segment_encode(&s, buf, sizeof(buf)), -1);
	/* Empty ACK (count 0) is normal traffic. */
	s.count = 0;
	assert_int_equal(kcp_segment_encode(&s, buf, sizeof(buf)), 17);
	assert_int_equal(kcp_segment_decode(buf, 17, &d, &e), 17);
	assert_int_equal(d.count, 0);

	/* Command-only layout for TERMINATE, PING and unknown commands. */
	for (i = 0; i < sizeof(cmds); i++) {
		memset(&s, 0, sizeof(s));
		s.conv = 0x0102;
		s.cmd = cmds[i];
		s.opt = (uint8_t)i;
		s.snd_next = 0x11223344;
		s.rcv_next = 0x55667788;
		s.peer_rto = 0x99AABBCC;
		n = kcp_segment_encode(&s, buf, sizeof(buf));
		assert_int_equal(n, 16);
		assert_memory_equal(buf + 4, "\x11\x22\x33\x44\x55\x66\x77\x88"
		    "\x99\xaa\xbb\xcc", 12);
		assert_int_equal(kcp_segment_decode(buf, 16, &d, &e), 16);
		assert_int_equal(d.cmd, cmds[i]);
		assert_int_equal(d.opt, i);
		assert_int_equal(d.snd_next, 0x11223344);
		assert_int_equal(d.rcv_next, 0x55667788);
		assert_int_equal(d.peer_rto, 0x99AABBCC);
	}
}

/* A peer's ACK may list up to 255 numbers; V2Ray parses them all. */
static void
test_kcp_segment_ack_255(void **state)
{
	uint8_t			 buf[17 + 4 * 255];
	struct kcp_segment	 d;
	const char		*e;
	size_t			 i;

	memset(buf, 0, sizeof(buf));
	buf[16] = 255;
	for (i = 0; i < 255; i++)
		buf[17 + 4 * i + 3] = (uint8_t)i;
	assert_int_equal(kcp_segment_decode(buf, sizeof(buf), &d, &e),
	    sizeof(buf));
	assert_int_equal(d.count, 255);
	assert_int_equal(d.nums[254], 254);
}

struct refusal {
	const char	*name;
	const char	*hex;
};

static void
test_kcp_segment_malformed(void **state)
{
	static const struct refusal	 bad[] = {
		{ "empty", "" },
		{ "1-byte prefix", "00" },
		{ "3-byte prefix", "000101" },
		{ "data, no body", "00010100" },
		{ "data, 13 body bytes",
		    "00010100" "00000001000000020000000300" },
		/* 14 body bytes, len 0: V2Ray needs 15 */
		{ "data, empty at end",
		    "00010100" "0000000100000002000000030000" },
		{ "data, payload short",
		    "00010100" "000000010000000200000003" "0005" "61626364" },
		{ "data, len 255",
		    "00010100" "00000001000000020000000300ff00" },
		{ "ack, 12 body bytes", "00000000" "000000010000000200000003" },
		{ "ack, list short",
		    "00000000" "00000001000000020000000302" "00000001" },
		{ "ack, list short by 1",
		    "00000000" "00000001000000020000000301" "000000" },
		{ "terminate, 11 body", "00000200" "0000000100000002000000" },
		{ "ping, 4 body", "00000300" "00000001" },
		{ "unknown cmd, 0 body", "0000ff00" },
	};
	struct kcp_segment	 d;
	uint8_t			 buf[64];
	const char		*e;
	size_t			 i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = unhex(bad[i].hex, buf, sizeof(buf));
		e = NULL;
		if (kcp_segment_decode(buf, n, &d, &e) != -1 || e == NULL ||
		    *e == '\0')
			fail_msg("%s: not refused with a reason", bad[i].name);
	}
	/* Zero-length DATA followed by one more byte is accepted. */
	n = unhex("00010100" "000000010000000200000003000099", buf,
	    sizeof(buf));
	assert_int_equal(kcp_segment_decode(buf, n, &d, &e), 18);
	assert_int_equal(d.data_len, 0);
}

struct walk_log {
	int		n;
	uint8_t		cmds[8];
	uint16_t	convs[8];
	int		stop_after;
};

static int
walk_cb(const struct kcp_segment *seg, void *arg)
{
	struct walk_log	*w = arg;

	w->cmds[w->n] = seg->cmd;
	w->convs[w->n] = seg->conv;
	w->n++;
	return w->n == w->stop_after;
}

static void
test_kcp_segment_walk(void **state)
{
	struct kcp_segment	 s;
	struct walk_log		 w;
	uint8_t			 buf[256];
	size_t			 len = 0;
	ssize_t			 n;

	memset(&s, 0, sizeof(s));
	s.conv = 5;
	s.cmd = KCP_CMD_DATA;
	s.data = (const uint8_t *)"xyz";
	s.data_len = 3;
	n = kcp_segment_encode(&s, buf, sizeof(buf));
	len += (size_t)n;
	s.cmd = KCP_CMD_PING;
	s.conv = 6;
	n = kcp_segment_encode(&s, buf + len, sizeof(buf) - len);
	len += (size_t)n;
	s.cmd = KCP_CMD_ACK;
	s.count = 2;
	n = kcp_segment_encode(&s, buf + len, sizeof(buf) - len);
	len += (size_t)n;

	memset(&w, 0, sizeof(w));
	assert_int_equal(kcp_segment_walk(buf, len, walk_cb, &w), 3);
	assert_int_equal(w.cmds[0], KCP_CMD_DATA);
	assert_int_equal(w.cmds[1], KCP_CMD_PING);
	assert_int_equal(w.cmds[2], KCP_CMD_ACK);
	assert_int_equal(w.convs[1], 6);

	/* Trailing garbage and a cut last segment: earlier ones are kept. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(kcp_segment_walk(buf, len - 1, walk_cb, &w), 2);
	memset(&w, 0, sizeof(w));
	buf[len] = 0xAA;
	assert_int_equal(kcp_segment_walk(buf, len + 1, walk_cb, &w), 3);
	/* The callback may stop the walk (server: conv changed). */
	memset(&w, 0, sizeof(w));
	w.stop_after = 1;
	assert_int_equal(kcp_segment_walk(buf, len, walk_cb, &w), 1);
	/* Nothing parses: the datagram is dropped. */
	memset(&w, 0, sizeof(w));
	assert_int_equal(kcp_segment_walk(buf, 10, walk_cb, &w), 0);
	assert_int_equal(kcp_segment_walk(buf, 0, walk_cb, &w), 0);
	assert_int_equal(w.n, 0);
}

/* -------------------------------------------------------- §5, §7, §8 */

static void
test_kcp_sizes(void **state)
{
	struct kcp_header	 none, dtls;
	struct kcp_security	 simple, gcm;

	assert_int_equal(kcp_header_init(&none, NULL), 0);
	assert_int_equal(kcp_header_init(&dtls, "dtls"), 0);
	assert_int_equal(kcp_security_init(&simple, NULL), 0);
	assert_int_equal(kcp_security_init(&gcm, "x"), 0);
	assert_int_equal(kcp_packet_mss(1350, &none, &simple), 1326);
	assert_int_equal(kcp_packet_mss(1350, NULL, &gcm), 1316);
	assert_int_equal(kcp_packet_mss(1200, &dtls, &simple), 1163);
	assert_int_equal(KCP_MSS(1350, 0, KCP_GCM_MSS_OVERHEAD), 1316);
	/* A seeded full DATA datagram is mtu + 12. */
	assert_int_equal(1316 + KCP_SEG_DATA_OVERHEAD +
	    kcp_security_overhead(&gcm), 1362);
	assert_int_equal(kcp_packet_mss(30, &dtls, &gcm), 0);
	kcp_security_cleanup(&simple);
	kcp_security_cleanup(&gcm);
}

static void
test_kcp_settings(void **state)
{
	const char	*e = NULL;

	assert_int_equal(kcp_settings_check(KCP_MTU_DEFAULT, KCP_TTI_DEFAULT,
	    &e), 0);
	assert_int_equal(kcp_settings_check(576, 10, &e), 0);
	assert_int_equal(kcp_settings_check(1460, 100, &e), 0);
	assert_int_equal(kcp_settings_check(575, 50, &e), -1);
	assert_non_null(e);
	assert_int_equal(kcp_settings_check(1461, 50, &e), -1);
	assert_int_equal(kcp_settings_check(1350, 9, &e), -1);
	assert_int_equal(kcp_settings_check(1350, 101, &e), -1);
	assert_int_equal(kcp_buffer_bytes(0), 512 * 1024);
	assert_int_equal(kcp_buffer_bytes(2), KCP_BUFFER_DEFAULT);
	assert_int_equal(kcp_buffer_bytes(4096), 0);	/* u32 wrap, as V2Ray */
	assert_int_equal(kcp_send_queue_cap(KCP_BUFFER_DEFAULT, 1350), 1553);
}

static void
test_kcp_window_sizes(void **state)
{
	assert_int_equal(kcp_in_flight(KCP_UPLINK_DEFAULT, 1350, 50), 194);
	assert_int_equal(kcp_in_flight(KCP_DOWNLINK_DEFAULT, 1350, 50), 776);
	assert_int_equal(kcp_in_flight(2, 1200, 20), 34);
	assert_int_equal(kcp_in_flight(1, 1200, 20), 17);
	assert_int_equal(kcp_in_flight(0, 1350, 50), 8);
	assert_int_equal(kcp_in_flight(100, 1350, 10), 776);
	assert_int_equal(kcp_rcv_wnd(0, 776), 776);
	assert_int_equal(kcp_rcv_wnd(0xFFFFFFFF, 34), 33);
}

static void
test_kcp_seq_arithmetic(void **state)
{
	assert_int_equal(kcp_seq_diff(1, 0xFFFFFFFF), 2);
	assert_int_equal(kcp_seq_diff(0xFFFFFFFF, 1), -2);
	assert_int_equal(kcp_seq_diff(0x80000000u, 0), INT32_MIN);
	assert_int_equal(kcp_seq_diff(0x7FFFFFFF, 0), INT32_MAX);
	assert_true(kcp_seq_before(0xFFFFFFF0, 5));
	assert_false(kcp_seq_before(5, 0xFFFFFFF0));
	assert_false(kcp_seq_before(7, 7));

	/* Due when now has reached the timeout, across wrap. */
	assert_true(kcp_timer_due(100, 100));
	assert_true(kcp_timer_due(101, 100));
	assert_false(kcp_timer_due(99, 100));
	assert_true(kcp_timer_due(3, 0xFFFFFFFE));
	assert_false(kcp_timer_due(0xFFFFFFFE, 3));
	assert_false(kcp_timer_due(0x7FFFFFFF, 0));	/* V2Ray's edge */

	/* Receive window: rcv_next .. rcv_next + 775, wrap-aware. */
	assert_true(kcp_recv_accept(0, 0, 776));
	assert_true(kcp_recv_accept(775, 0, 776));
	assert_false(kcp_recv_accept(776, 0, 776));
	assert_false(kcp_recv_accept(9, 10, 776));	/* already delivered */
	assert_true(kcp_recv_accept(2, 0xFFFFFFFE, 8));

	/* ACK numbers must lie in [first_una, next_num). */
	assert_true(kcp_ack_in_range(5, 5, 10));
	assert_true(kcp_ack_in_range(9, 5, 10));
	assert_false(kcp_ack_in_range(10, 5, 10));
	assert_false(kcp_ack_in_range(4, 5, 10));
	assert_true(kcp_ack_in_range(1, 0xFFFFFFFE, 3));
	assert_false(kcp_ack_in_range(3, 0xFFFFFFFE, 3));

	/* ACK ts: wrap-aware max, starting from 0. */
	assert_int_equal(kcp_ts_fold(0, 500), 500);
	assert_int_equal(kcp_ts_fold(500, 400), 500);
	assert_int_equal(kcp_ts_fold(0xFFFFFFF0, 5), 5);
	assert_int_equal(kcp_ts_fold(0, 0x80000000u), 0);

	assert_int_equal(kcp_ack_interval(0), 20);
	assert_int_equal(kcp_ack_interval(41), 20);
	assert_int_equal(kcp_ack_interval(300), 150);
}

static void
test_kcp_flush_and_congestion(void **state)
{
	/* Before any ACK the remote window is 32. */
	assert_int_equal(kcp_flush_limit(194, KCP_REMOTE_WND_INITIAL, 0, 0, 0),
	    640);
	assert_int_equal(kcp_flush_limit(194, 1000, 100, 0, 0), 194 * 20);
	assert_int_equal(kcp_flush_limit(194, 1000, 100, 1, 50), 50 * 20);
	assert_int_equal(kcp_flush_limit(194, 100, 100, 0, 0), 0);
	assert_int_equal(kcp_flush_limit(194, 5, 0xFFFFFFFE, 0, 0), 7 * 20);

	assert_int_equal(kcp_loss_rate(3, 20), 15);
	assert_int_equal(kcp_loss_rate(3, 0), 0);
	assert_int_equal(kcp_ctrl_wnd_update(100, 15, 194), 75);
	assert_int_equal(kcp_ctrl_wnd_update(100, 5, 194), 125);
	assert_int_equal(kcp_ctrl_wnd_update(100, 10, 194), 100);
	assert_int_equal(kcp_ctrl_wnd_update(16, 50, 194), 16);
	assert_int_equal(kcp_ctrl_wnd_update(380, 0, 194), 388);

	assert_int_equal(kcp_fast_ack_timeout(1000, 1, 300), 900);
	assert_int_equal(kcp_fast_ack_timeout(1000, 0, 300), 1000);
	assert_int_equal(kcp_fast_ack_timeout(100, 1, 300), 100);
}

static void
test_kcp_rtt(void **state)
{
	struct kcp_rtt	r;

	kcp_rtt_init(&r, 50);
	assert_int_equal(r.r_rto, KCP_RTO_INITIAL);
	/* peer_rto is ignored in the first 3 s, then adopted. */
	kcp_rtt_peer(&r, 7, 2999);
	assert_int_equal(r.r_rto, 100);
	kcp_rtt_peer(&r, 7, 3000);
	assert_int_equal(r.r_rto, 7);
	kcp_rtt_peer(&r, 9, 5000);
	assert_int_equal(r.r_rto, 7);

	kcp_rtt_init(&r, 50);
	kcp_rtt_sample(&r, 100, 10);
	assert_int_equal(r.r_srtt, 100);
	assert_int_equal(r.r_var, 50);
	assert_int_equal(r.r_rto, 375);		/* (100 + 200) * 5/4 */
	kcp_rtt_sample(&r, 20, 20);
	/* var = (150 + 80)/4 = 57; srtt = (700 + 20)/8 = 90 */
	assert_int_equal(r.r_var, 57);
	assert_int_equal(r.r_srtt, 90);
	assert_int_equal(r.r_rto, (90 + 228) * 5 / 4);
	kcp_rtt_sample(&r, 0x80000000u, 30);	/* ignored */
	assert_int_equal(r.r_srtt, 90);
	kcp_rtt_peer(&r, 1, 3019);		/* too soon after the sample */
	assert_int_equal(r.r_rto, 397);

	/* Loopback: a 0 ms first sample leaves srtt 0 and rto 0. */
	kcp_rtt_init(&r, 50);
	kcp_rtt_sample(&r, 0, 1);
	assert_int_equal(r.r_rto, 0);
	/* Low variance picks srtt + var; cap at 10000 before x5/4. */
	kcp_rtt_init(&r, 50);
	kcp_rtt_sample(&r, 60, 1);		/* var 30, 4var 120 > 50 */
	assert_int_equal(r.r_rto, (60 + 120) * 5 / 4);
	kcp_rtt_init(&r, 100);
	kcp_rtt_sample(&r, 40, 1);		/* 4var 80 <= 100 */
	assert_int_equal(r.r_rto, (40 + 20) * 5 / 4);
	kcp_rtt_init(&r, 50);
	kcp_rtt_sample(&r, 9000, 1);
	assert_int_equal(r.r_rto, 12500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kcp_simple_ping_vector),
		cmocka_unit_test(test_kcp_simple_ack_vector),
		cmocka_unit_test(test_kcp_gcm_wechat_vector),
		cmocka_unit_test(test_kcp_simple_open_rejects),
		cmocka_unit_test(test_kcp_gcm_open_rejects),
		cmocka_unit_test(test_kcp_header_sequences),
		cmocka_unit_test(test_kcp_packet_header_skip),
		cmocka_unit_test(test_kcp_segment_round_trips),
		cmocka_unit_test(test_kcp_segment_ack_255),
		cmocka_unit_test(test_kcp_segment_malformed),
		cmocka_unit_test(test_kcp_segment_walk),
		cmocka_unit_test(test_kcp_sizes),
		cmocka_unit_test(test_kcp_settings),
		cmocka_unit_test(test_kcp_window_sizes),
		cmocka_unit_test(test_kcp_seq_arithmetic),
		cmocka_unit_test(test_kcp_flush_and_congestion),
		cmocka_unit_test(test_kcp_rtt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
