/* SPDX-License-Identifier: MIT */
/*
 * fuzz_ws.c: the WebSocket frame reader over arbitrary bytes, fed as the
 * transport feeds it (a header from at most WS_HDR_MAX bytes, payload in
 * pieces whose size byte 0 picks), with byte 1 choosing the side. Every
 * frame must stay inside the input, a control payload inside its 125
 * bytes, and a data frame re-built and read again must give the same
 * payload. The rest goes through the 101 answer check and the request
 * path decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "transport/ws_codec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A data frame rebuilt from its unmasked payload reads back the same. */
static void
fuzz_ws_roundtrip(const uint8_t *pl, size_t n, bool server)
{
	static const uint8_t key[4] = { 0x12, 0x34, 0x56, 0x78 };
	struct ws_rd	 r;
	uint8_t		*f;
	const char	*why;
	size_t		 hl;
	int		 h;

	if ((f = malloc(n + WS_HDR_MAX)) == NULL)
		return;
	hl = ws_hdr_build(f, WS_OP_BINARY, true, n, server ? key : NULL);
	if (server)
		ws_mask_copy(f + hl, pl, n, key, 0);
	else
		memcpy(f + hl, pl, n);
	ws_rd_init(&r, server);
	if ((h = ws_rd_header(&r, f, hl, &why)) != (int)hl ||
	    ws_rd_take(&r, f + hl, n) != n || r.in_frame ||
	    memcmp(f + hl, pl, n) != 0)
		abort();
	free(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_rd	 r;
	const char	*why;
	uint8_t		*p, *pl = NULL;
	size_t		 i, step, k, npl = 0;
	char		 path[256], msg[256];
	bool		 server;
	int		 h;

	if (size < 2)
		return 0;
	step = (size_t)data[0] * 7 + 1;
	server = data[1] & 1;
	size -= 2;
	if ((p = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(p, data + 2, size);
	ws_rd_init(&r, server);
	for (i = 0; i < size; ) {
		if (!r.in_frame) {
			k = size - i < WS_HDR_MAX ? size - i : WS_HDR_MAX;
			h = ws_rd_header(&r, p + i, k, &why);
			if (h == -1 && why == NULL)
				abort();
			if (h <= 0)
				break;
			if ((size_t)h > k || r.left != r.h.len)
				abort();
			i += (size_t)h;
			if (npl > 0 && !ws_rd_is_control(&r) && r.h.fin)
				npl = 0;
			continue;
		}
		k = ws_rd_take(&r, p + i, size - i < step ? size - i : step);
		if (k == 0 || k > size - i || r.nctl > WS_CTL_MAX)
			abort();
		if (!ws_rd_is_control(&r) && !r.in_frame && r.h.len == r.off &&
		    r.off == k) {
			pl = p + i;
			npl = k;
			fuzz_ws_roundtrip(pl, npl, server);
		}
		if (ws_rd_is_control(&r) && !r.in_frame && r.h.op ==
		    WS_OP_CLOSE)
			(void)ws_close_code(&r);
		i += k;
	}
	memcpy(p, data + 2, size);
	if (ws_response_check(p, size, 4096, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
	    msg, sizeof(msg)) > (ssize_t)size)
		abort();
	if (ws_target_path((const char *)p, size, path, sizeof(path)) == 0 &&
	    strlen(path) >= sizeof(path))
		abort();
	free(p);
	return 0;
}
