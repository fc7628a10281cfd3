/* SPDX-License-Identifier: MIT */
/*
 * test_ws_codec.c: WebSocket frames (RFC 6455 examples, every length
 * encoding, masks at every phase, split input, protocol errors) and the
 * upgrade's checks (RFC 6455's accept example, 101 answers, paths).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "transport/ws_codec.h"

/* RFC 6455 5.7: a masked "Hello" from a client. */
static const uint8_t hello_masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d,
    0x7f, 0x9f, 0x4d, 0x51, 0x58 };
/* Unmasked "Hel", then "lo" (fragments), from a server. */
static const uint8_t hel[] = { 0x01, 0x03, 0x48, 0x65, 0x6c };
static const uint8_t lo[] = { 0x80, 0x02, 0x6c, 0x6f };

/* Decode all of p as one direction; payload to out, returns its length;
 * -1 on a protocol error. Control payloads go to *ctl. */
static ssize_t
decode(bool server, const uint8_t *in, size_t n, size_t step, uint8_t *out,
    int *nctl)
{
	struct ws_rd	 r;
	uint8_t		*p = malloc(n ? n : 1);
	size_t		 i = 0, o = 0, avail, k;
	const char	*why;
	int		 h = 0;

	assert_non_null(p);
	memcpy(p, in, n);
	ws_rd_init(&r, server);
	*nctl = 0;
	while (i < n) {
		avail = n - i < step ? n - i : step;
		if (!r.in_frame) {
			/* The header may come in pieces: give it a byte more
			 * at a time until it parses. */
			for (k = 1; k <= n - i; k++) {
				h = ws_rd_header(&r, p + i, k, &why);
				if (h != 0)
					break;
			}
			if (h == -1) {
				free(p);
				return -1;
			}
			assert_true(h > 0);
			i += (size_t)h;
			if (!r.in_frame && ws_rd_is_control(&r))
				(*nctl)++;
			continue;
		}
		k = ws_rd_take(&r, p + i, avail);
		assert_true(k > 0);
		if (!ws_rd_is_control(&r)) {
			memcpy(out + o, p + i, k);
			o += k;
		} else if (!r.in_frame)
			(*nctl)++;
		i += k;
	}
	free(p);
	return (ssize_t)o;
}

static void
test_ws_rfc_examples(void **state)
{
	uint8_t		 out[64], both[sizeof(hel) + sizeof(lo)];
	int		 nctl;
	size_t		 step;

	for (step = 1; step < 8; step++) {
		assert_int_equal(decode(true, hello_masked,
		    sizeof(hello_masked), step, out, &nctl), 5);
		assert_memory_equal(out, "Hello", 5);
	}
	memcpy(both, hel, sizeof(hel));
	memcpy(both + sizeof(hel), lo, sizeof(lo));
	assert_int_equal(decode(false, both, sizeof(both), 1, out, &nctl), 5);
	assert_memory_equal(out, "Hello", 5);
	/* The wrong side for each. */
	assert_int_equal(decode(false, hello_masked, sizeof(hello_masked), 4,
	    out, &nctl), -1);
	assert_int_equal(decode(true, both, sizeof(both), 4, out, &nctl), -1);
}

static void
test_ws_lengths_and_masks(void **state)
{
	static const uint64_t lens[] = { 0, 1, 125, 126, 127, 65535, 65536,
	    70000 };
	const uint8_t	 key[4] = { 0xa1, 0x02, 0xff, 0x3c };
	uint8_t		 hdr[WS_HDR_MAX], *frame, *src, *out;
	size_t		 i, hl, j, step;
	int		 nctl;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		src = malloc(lens[i] + 1);
		out = malloc(lens[i] + 1);
		frame = malloc(lens[i] + WS_HDR_MAX);
		for (j = 0; j < lens[i]; j++)
			src[j] = (uint8_t)(j * 7 + 3);
		hl = ws_hdr_build(hdr, WS_OP_BINARY, true, lens[i], key);
		assert_int_equal(hl, 2 + 4 + (lens[i] < 126 ? 0 :
		    lens[i] <= 65535 ? 2 : 8));
		memcpy(frame, hdr, hl);
		/* Masked in two pieces at an odd phase: as one. */
		ws_mask_copy(frame + hl, src, lens[i] / 3, key, 0);
		ws_mask_copy(frame + hl + lens[i] / 3, src + lens[i] / 3,
		    lens[i] - lens[i] / 3, key, lens[i] / 3);
		for (step = 1; step < 20000; step = step * 5 + 2) {
			assert_int_equal(decode(true, frame, hl + lens[i],
			    step, out, &nctl), (ssize_t)lens[i]);
			assert_memory_equal(out, src, lens[i]);
		}
		/* Unmasked, as a server sends. */
		hl = ws_hdr_build(hdr, WS_OP_BINARY, true, lens[i], NULL);
		memcpy(frame, hdr, hl);
		memcpy(frame + hl, src, lens[i]);
		assert_int_equal(decode(false, frame, hl + lens[i], 4096,
		    out, &nctl), (ssize_t)lens[i]);
		assert_memory_equal(out, src, lens[i]);
		free(src);
		free(out);
		free(frame);
	}
}

static void
test_ws_control_frames(void **state)
{
	/* ping "ab" between two fragments, then close 1000 */
	static const uint8_t in[] = { 0x02, 0x01, 'x', 0x89, 0x02, 'a', 'b',
	    0x80, 0x01, 'y', 0x88, 0x02, 0x03, 0xe8 };
	struct ws_rd	 r;
	const char	*why;
	uint8_t		 out[16];
	int		 nctl;

	assert_int_equal(decode(false, in, sizeof(in), 1, out, &nctl), 2);
	assert_memory_equal(out, "xy", 2);
	assert_int_equal(nctl, 2);
	ws_rd_init(&r, false);
	assert_int_equal(ws_rd_header(&r, in + 10, 2, &why), 2);
	assert_int_equal(ws_rd_take(&r, (uint8_t *)in + 12, 2), 2);
	assert_false(r.in_frame);
	assert_int_equal(r.h.op, WS_OP_CLOSE);
	assert_int_equal(ws_close_code(&r), 1000);
}

static void
test_ws_protocol_errors(void **state)
{
	static const struct {
		uint8_t	 b[10];
		size_t	 n;
	} bad[] = {
		{ { 0xc2, 0x00 }, 2 },			/* RSV1 */
		{ { 0x83, 0x00 }, 2 },			/* opcode 3 */
		{ { 0x80, 0x00 }, 2 },			/* stray continuation */
		{ { 0x09, 0x00 }, 2 },			/* fragmented ping */
		{ { 0x89, 0x7e, 0x00, 0x7e }, 4 },	/* ping of 126 */
		{ { 0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0 }, 10 },
	};
	static const uint8_t twice[] = { 0x01, 0x00, 0x02, 0x00 };
	struct ws_rd	 r;
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ws_rd_init(&r, false);
		why = NULL;
		assert_int_equal(ws_rd_header(&r, bad[i].b, bad[i].n, &why),
		    -1);
		assert_non_null(why);
	}
	ws_rd_init(&r, false);
	assert_int_equal(ws_rd_header(&r, twice, 2, &why), 2);
	assert_int_equal(ws_rd_header(&r, twice + 2, 2, &why), -1);
	/* Need-more for every short header. */
	ws_rd_init(&r, true);
	assert_int_equal(ws_rd_header(&r, hello_masked, 5, &why), 0);
}

static void
test_ws_accept(void **state)
{
	char	 a[29];

	/* RFC 6455 1.3. */
	ws_accept_for("dGhlIHNhbXBsZSBub25jZQ==", 24, a);
	assert_string_equal(a, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_true(ws_token_in("keep-alive, Upgrade", 19, "upgrade"));
	assert_false(ws_token_in("upgraded", 8, "upgrade"));
}

static void
test_ws_response(void **state)
{
	static const char ok[] = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x82";
	static const char nf[] = "HTTP/1.1 404 Not Found\r\n"
	    "Content-Length: 0\r\n\r\n";
	static const char badacc[] = "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: xxx\r\n\r\n";
	const char	*acc = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
	char		 why[200];
	size_t		 i, n = strlen(ok);

	for (i = 0; i < n - 1; i++)
		assert_int_equal(ws_response_check((const uint8_t *)ok, i,
		    4096, acc, why, sizeof(why)), 0);
	assert_int_equal(ws_response_check((const uint8_t *)ok, n, 4096, acc,
	    why, sizeof(why)), (ssize_t)n - 1);
	assert_int_equal(ws_response_check((const uint8_t *)nf, strlen(nf),
	    4096, acc, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "404 Not Found"));
	assert_int_equal(ws_response_check((const uint8_t *)badacc,
	    strlen(badacc), 4096, acc, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "Accept"));
	/* No end within the limit. */
	assert_int_equal(ws_response_check((const uint8_t *)ok, 40, 40, acc,
	    why, sizeof(why)), -1);
}

static void
test_ws_target_path(void **state)
{
	char	 p[64];

	assert_int_equal(ws_target_path("/ws?ed=2048", 11, p, sizeof(p)), 0);
	assert_string_equal(p, "/ws");
	assert_int_equal(ws_target_path("/w%73", 5, p, sizeof(p)), 0);
	assert_string_equal(p, "/ws");
	assert_int_equal(ws_target_path("http://h:1/a/b?c", 16, p,
	    sizeof(p)), 0);
	assert_string_equal(p, "/a/b");
	assert_int_equal(ws_target_path("/w%7", 4, p, sizeof(p)), -1);
	assert_int_equal(ws_target_path("ws", 2, p, sizeof(p)), -1);
	assert_int_equal(ws_target_path("/0123456789", 11, p, 8), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ws_rfc_examples),
		cmocka_unit_test(test_ws_lengths_and_masks),
		cmocka_unit_test(test_ws_control_frames),
		cmocka_unit_test(test_ws_protocol_errors),
		cmocka_unit_test(test_ws_accept),
		cmocka_unit_test(test_ws_response),
		cmocka_unit_test(test_ws_target_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
