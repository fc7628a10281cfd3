/* SPDX-License-Identifier: MIT */
/*
 * fuzz_kcp_packet.c: libFuzzer target for mKCP datagram open + segment walk,
 * checking that every decoded segment re-encodes to the bytes it came from.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kcp/kcp_packet.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_kcp_types[] = {
	"none", "srtp", "utp", "wechat-video", "dtls", "wireguard"
};

struct fuzz_kcp_count {
	size_t	n;
};

static int
fuzz_kcp_count_cb(const struct kcp_segment *seg, void *arg)
{
	struct fuzz_kcp_count	*c = arg;

	c->n++;
	return 0;
}

/* Decode like the receiver; every accepted segment must re-encode exactly. */
static void
fuzz_kcp_segments(const uint8_t *p, size_t len)
{
	static struct kcp_segment	 seg;
	static uint8_t			 enc[KCP_RECV_BUF_SIZE + 65536];
	struct fuzz_kcp_count		 c = { 0 };
	const uint8_t			*q = p;
	const char			*errstr = NULL;
	size_t				 left = len, n = 0;
	ssize_t				 r, e;

	while (left > 0) {
		r = kcp_segment_decode(q, left, &seg, &errstr);
		if (r == -1) {
			if (errstr == NULL)
				abort();
			break;
		}
		if (r <= 0 || (size_t)r > left)
			abort();
		if (kcp_segment_size(&seg) != (size_t)r)
			abort();
		e = kcp_segment_encode(&seg, enc, sizeof(enc));
		if (seg.cmd == KCP_CMD_ACK && seg.count > KCP_ACK_MAX_NUMS) {
			if (e != -1)
				abort();
		} else if (e != r || memcmp(enc, q, (size_t)r) != 0)
			abort();
		n++;
		q += r;
		left -= (size_t)r;
	}
	if (kcp_segment_walk(p, len, fuzz_kcp_count_cb, &c) != n || c.n != n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct kcp_security	 simple, gcm;
	static int			 ready;
	static uint8_t			 out[KCP_RECV_BUF_SIZE];
	static uint8_t			 sealed[KCP_RECV_BUF_SIZE + 64];
	struct kcp_security		*sec;
	struct kcp_header		 h;
	const char			*errstr;
	size_t				 hs, plen;
	ssize_t				 n, m;

	if (!ready) {
		if (kcp_security_init(&simple, NULL) == -1 ||
		    kcp_security_init(&gcm, "fuzz") == -1)
			abort();
		ready = 1;
	}
	if (size < 1)
		return 0;
	if (kcp_header_init(&h, fuzz_kcp_types[data[0] % 6]) == -1)
		abort();
	sec = (data[0] & 0x80) ? &gcm : &simple;
	data++;
	size--;

	/* Raw bytes as a datagram: header skip, open, segment walk. */
	errstr = NULL;
	n = kcp_packet_open(&h, sec, data, size, out, sizeof(out), &errstr);
	if (n == -1) {
		if (errstr == NULL)
			abort();
	} else {
		if (n <= 0 || (size_t)n > size)
			abort();
		fuzz_kcp_segments(out, (size_t)n);
	}

	/* Raw bytes as plaintext: segment walk, then a seal/open round trip. */
	fuzz_kcp_segments(data, size);
	hs = kcp_header_size(&h);
	plen = size;
	if (plen > KCP_RECV_BUF_SIZE - hs - kcp_security_overhead(sec))
		plen = KCP_RECV_BUF_SIZE - hs - kcp_security_overhead(sec);
	n = kcp_packet_seal(&h, sec, data, plen, sealed, sizeof(sealed));
	if (n != (ssize_t)(hs + kcp_security_overhead(sec) + plen))
		abort();
	errstr = NULL;
	m = kcp_packet_open(&h, sec, sealed, (size_t)n, out, sizeof(out),
	    &errstr);
	if (plen == 0) {
		if (m != -1)
			abort();
	} else if (m != (ssize_t)plen || memcmp(out, data, plen) != 0)
		abort();
	return 0;
}
