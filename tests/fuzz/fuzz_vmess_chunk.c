/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vmess_chunk.c: libFuzzer target for VMess body decoding under every
 * security and option set, fed whole and in pieces; also checks that what
 * is sealed opens back to the same bytes.
 *
 * Input: byte 0 picks the security (% 5), UDP (0x80) and part of the piece
 * size; byte 1 the option bits (low nibble) and the rest of the piece size;
 * then the body key (16) and IV (16), then the body bytes. The key and IV
 * come from the input so that real captured bodies open: capture.sh
 * recovers them from the captured request header (the response body's from
 * them, as the peer does) and writes them in front of the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>

#include "vmess/vmess.h"
#include "vmess/vmess_conn.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t fuzz_secs[5] = { 0, VMESS_SEC_LEGACY,
    VMESS_SEC_AES128GCM, VMESS_SEC_CHACHA20, VMESS_SEC_NONE };

static uint8_t	 out[VMESS_CHUNK_PAYLOAD_MAX];
static uint8_t	 wire[VMESS_CHUNK_MAX + VMESS_BODY_OVERHEAD_MAX];

/* Opens everything; step 0 means all at once. Returns plaintext bytes. */
static size_t
fuzz_open_all(struct vmess_body *b, const uint8_t *p, size_t len,
    size_t step)
{
	const char	*err = NULL;
	size_t		 off = 0, avail, outlen, total = 0;
	ssize_t		 c;

	avail = step == 0 || step > len ? len : step;
	for (;;) {
		c = vmess_body_open(b, p + off, avail - off, out, sizeof(out),
		    &outlen, &err);
		if (c == -1) {
			if (err == NULL)
				__builtin_trap();
			break;
		}
		if ((size_t)c > avail - off || outlen > sizeof(out))
			__builtin_trap();
		total += outlen;
		off += (size_t)c;
		if (c == 0) {
			if (avail == len)
				break;
			avail = avail + step > len ? len : avail + step;
		}
	}
	return total;
}

/*
 * The same bytes through the evbuffer codec, arriving as separate chains
 * of step bytes, so chunks straddle chains and are opened where they lie
 * (vmess_body_openv). Returns plaintext bytes, or (size_t)-1 on refusal.
 */
static size_t
fuzz_open_chains(struct vmess_body *b, const uint8_t *p, size_t len,
    size_t step)
{
	struct evbuffer	*in = evbuffer_new(), *one, *dst = evbuffer_new();
	const char	*err = NULL;
	size_t		 off, k, total;
	int		 r = 0;

	for (off = 0; off < len && r == 0; off += k) {
		k = len - off < step ? len - off : step;
		one = evbuffer_new();
		evbuffer_add(one, p + off, k);
		evbuffer_add_buffer(in, one);
		evbuffer_free(one);
		r = vmess_conn_open(b, in, dst, NULL, NULL, &err);
		if (r == -1 && err == NULL)
			__builtin_trap();
	}
	total = r == -1 ? (size_t)-1 : evbuffer_get_length(dst);
	evbuffer_free(in);
	evbuffer_free(dst);
	return total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		 key[16], iv[16];
	struct vmess_body b;
	uint8_t		 sec, opt;
	bool		 udp;
	size_t		 a, c, len, step;
	ssize_t		 n;

	if (size < 34)
		return 0;
	sec = fuzz_secs[data[0] % 5];
	opt = data[1] & 0x0f;
	udp = (data[0] & 0x80) != 0;
	step = 1 + (size_t)(data[1] >> 4) * 9 + ((data[0] >> 3) & 7);
	memcpy(key, data + 2, 16);
	memcpy(iv, data + 18, 16);
	data += 34;
	size -= 34;

	if (vmess_body_init(&b, sec, opt, key, iv, udp) == -1)
		__builtin_trap();
	a = fuzz_open_all(&b, data, size, 0);
	vmess_body_cleanup(&b);
	/* Fed in pieces the result must be the same. */
	if (vmess_body_init(&b, sec, opt, key, iv, udp) == -1)
		__builtin_trap();
	c = fuzz_open_all(&b, data, size, step);
	vmess_body_cleanup(&b);
	if (a != c)
		__builtin_trap();
	/* TCP bodies through the evbuffer codec: never more plaintext than
	 * the span decoder found (it may stop earlier on a refusal). */
	if (!udp) {
		if (vmess_body_init(&b, sec, opt, key, iv, false) == -1)
			__builtin_trap();
		c = fuzz_open_chains(&b, data, size, step);
		vmess_body_cleanup(&b);
		if (c != (size_t)-1 && c != a)
			__builtin_trap();
	}

	/* Round trip of the input as one chunk (one datagram). */
	if (vmess_body_init(&b, sec, opt, key, iv, udp) == -1)
		__builtin_trap();
	len = size < vmess_body_max_payload(&b) ? size : 0;
	n = vmess_body_seal(&b, data, len, wire, sizeof(wire));
	if (n < 0 || (len > 0 && n == 0))
		__builtin_trap();
	vmess_body_cleanup(&b);
	if (n > 0) {
		const char *err = NULL;
		size_t outlen;

		if (vmess_body_init(&b, sec, opt, key, iv, udp) == -1)
			__builtin_trap();
		if (vmess_body_open(&b, wire, (size_t)n, out, sizeof(out),
		    &outlen, &err) <= 0)
			__builtin_trap();
		/* A lone length field may come first: open the rest. */
		if (outlen == 0 && b.b_mode != VMESS_BODY_RAW)
			__builtin_trap();
		if (outlen != len || memcmp(out, data, len) != 0)
			__builtin_trap();
		vmess_body_cleanup(&b);
	}
	return 0;
}
