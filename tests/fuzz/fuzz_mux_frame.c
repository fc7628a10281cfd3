/* SPDX-License-Identifier: MIT */
/*
 * fuzz_mux_frame.c: Mux.Cool frames decoded in a loop over arbitrary bytes,
 * and the reverse Control decoder; what decodes must re-encode and decode
 * to the same fields, and no prefix of a good frame may be judged early.
 */
#include <stdint.h>
#include <string.h>

#include "mux/mux_control.h"
#include "mux/mux_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static uint8_t	 fz_buf[MUX_FRAME_HDR_MAX + 65536];

static void
fuzz_mux_reencode(const struct mux_frame *m)
{
	struct mux_frame	 again;
	const char		*e;
	ssize_t			 r;

	switch (m->status) {
	case MUX_STATUS_NEW:
		r = mux_frame_encode_new(m->id, m->network, m->port, &m->addr,
		    m->data, m->data_len, fz_buf, sizeof(fz_buf));
		break;
	case MUX_STATUS_KEEP:
		r = mux_frame_encode_keep(m->id, m->data, m->data_len, fz_buf,
		    sizeof(fz_buf));
		break;
	case MUX_STATUS_END:
		r = mux_frame_encode_end(m->id, m->option & MUX_OPT_ERROR,
		    fz_buf, sizeof(fz_buf));
		break;
	default:
		r = mux_frame_encode_keepalive(fz_buf, sizeof(fz_buf));
		break;
	}
	if (r <= 0 || mux_frame_decode(fz_buf, (size_t)r, &again, &e) != r)
		__builtin_trap();
	if (again.status != m->status || again.extra_len != 0)
		__builtin_trap();
	if (m->status == MUX_STATUS_NEW && (again.id != m->id ||
	    again.network != m->network || again.port != m->port ||
	    memcmp(&again.addr, &m->addr, sizeof(m->addr)) != 0))
		__builtin_trap();
	if ((m->status == MUX_STATUS_NEW || m->status == MUX_STATUS_KEEP) &&
	    (again.data_len != m->data_len || (m->data_len > 0 &&
	    memcmp(again.data, m->data, m->data_len) != 0)))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct mux_frame	 m;
	struct mux_control	 c, c2;
	const char		*e;
	size_t			 off = 0;
	ssize_t			 r;

	while (off < n) {
		e = NULL;
		r = mux_frame_decode(p + off, n - off, &m, &e);
		if (r == 0)
			break;
		if (r < 0) {
			if (e == NULL)
				__builtin_trap();
			break;
		}
		if ((size_t)r > n - off || (m.data != NULL &&
		    (m.data < p + off || m.data + m.data_len > p + off + r)))
			__builtin_trap();
		if (mux_frame_decode(p + off, (size_t)r - 1, &m, &e) != 0)
			__builtin_trap();
		r = mux_frame_decode(p + off, (size_t)r, &m, &e);
		fuzz_mux_reencode(&m);
		/* Heartbeats ride on frame data; try it as a Control too. */
		if (m.data != NULL)
			(void)mux_control_decode(m.data, m.data_len, &c, &e);
		off += (size_t)r;
	}

	e = NULL;
	r = mux_control_decode(p, n, &c, &e);
	if (r < 0) {
		if (e == NULL)
			__builtin_trap();
		return 0;
	}
	if ((size_t)r != n || c.random_len > n)
		__builtin_trap();
	r = mux_control_encode(c.state, c.random, c.random_len, fz_buf,
	    sizeof(fz_buf));
	if (r < 0 || mux_control_decode(fz_buf, (size_t)r, &c2, &e) != r ||
	    c2.state != c.state || c2.random_len != c.random_len ||
	    (c.random_len > 0 && memcmp(c2.random, c.random,
	    c.random_len) != 0))
		__builtin_trap();
	return 0;
}
