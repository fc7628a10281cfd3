/* SPDX-License-Identifier: MIT */
/*
 * vmess_conn.c: VMess bodies over evbuffers. Sealing writes straight into
 * space reserved in the output buffer; opening pulls up exactly one length
 * field, then exactly one chunk, so a long stream is never copied twice.
 */
#include "vmess/vmess_conn.h"

#include <stddef.h>
#include <string.h>
#include <sys/uio.h>

#include <event2/buffer.h>

#include "conf/conf.h"
#include "core/session.h"

int
vmess_conn_init(struct vmess_conn *vc, bool server,
    const struct vmess_request *req)
{
	uint8_t	 rkey[16], riv[16];

	memset(vc, 0, sizeof(*vc));
	vc->server = server;
	vc->aead = req->aead;
	vc->udp = req->cmd == VMESS_CMD_UDP;
	vc->v = req->v;
	vc->resp.v = req->v;
	if (vmess_resp_keys(req->aead, req->req_key, req->req_iv, rkey,
	    riv) == -1)
		return -1;
	if (vmess_body_init(&vc->up, req->sec, req->opt, req->req_key,
	    req->req_iv, vc->udp) == -1)
		return -1;
	if (vmess_body_init(&vc->down, req->sec, req->opt, rkey, riv,
	    vc->udp) == -1) {
		vmess_body_cleanup(&vc->up);
		return -1;
	}
	return 0;
}

void
vmess_conn_cleanup(struct vmess_conn *vc)
{
	vmess_body_cleanup(&vc->up);
	vmess_body_cleanup(&vc->down);
}

/*
 * Output space is reserved in batches that fit one 64 KiB allocation
 * (libevent rounds chains up to a power of two), so a bulk stream costs
 * one reserve/commit per ~30 chunks and no chain per chunk.
 */
#define CONN_BATCH	(65536 - 256)
#define CONN_PEEK	16

/* libevent's iovec is documented as layout-compatible with struct iovec. */
_Static_assert(sizeof(struct evbuffer_iovec) == sizeof(struct iovec) &&
    offsetof(struct evbuffer_iovec, iov_len) ==
    offsetof(struct iovec, iov_len), "evbuffer_iovec is not an iovec");

static int
seal_one(struct vmess_body *b, const uint8_t *p, size_t n,
    struct evbuffer *dst, const char **errstr)
{
	struct evbuffer_iovec	 v;
	ssize_t			 w;

	if (evbuffer_reserve_space(dst, (ev_ssize_t)(n +
	    VMESS_BODY_OVERHEAD_MAX), &v, 1) != 1)
		goto fail;
	if ((w = vmess_body_seal(b, p, n, v.iov_base, v.iov_len)) < 0)
		goto fail;
	v.iov_len = (size_t)w;
	if (evbuffer_commit_space(dst, &v, 1) == -1)
		goto fail;
	return 0;
 fail:
	*errstr = "vmess: cannot seal a chunk";
	return -1;
}

int
vmess_conn_seal(struct vmess_body *b, struct evbuffer *src,
    struct evbuffer *dst, const char **errstr)
{
	uint8_t			 buf[VMESS_CHUNK_WRITE_MAX];	/* datagrams */
	struct evbuffer_iovec	 sv[CONN_PEEK], v;
	struct iovec		 pc[CONN_PEEK];
	size_t			 slice = vmess_body_stream_chunk_size(b), per, n, k;
	size_t			 total, done, w, off, c, m;
	ssize_t			 r;
	int			 nsv, i, np;

	if (b->b_udp) {
		/* One datagram, one chunk; 4.34 drops what does not fit. */
		n = evbuffer_get_length(src);
		if (n == 0)
			return 0;
		if (n > slice || n > sizeof(buf)) {
			evbuffer_drain(src, n);
			return 0;
		}
		evbuffer_remove(src, buf, n);
		return seal_one(b, buf, n, dst, errstr);
	}
	per = slice + VMESS_BODY_OVERHEAD_MAX;
	k = CONN_BATCH / per > 0 ? CONN_BATCH / per : 1;
	while (evbuffer_get_length(src) > 0) {
		/* Seal straight from the source chains: a chunk that spans
		 * several is sealed piece by piece, never gathered. */
		if ((nsv = evbuffer_peek(src, -1, NULL, sv, CONN_PEEK)) >
		    CONN_PEEK)
			nsv = CONN_PEEK;
		for (total = 0, i = 0; i < nsv; i++)
			total += sv[i].iov_len;
		if (total > k * slice)
			total = k * slice;
		if (evbuffer_reserve_space(dst, (ev_ssize_t)(((total +
		    slice - 1) / slice) * per), &v, 1) != 1)
			goto fail;
		for (done = w = off = 0, i = 0; done < total; done += n) {
			n = total - done < slice ? total - done : slice;
			/* total never exceeds the peeked chains: np <= nsv. */
			for (np = 0, c = 0; c < n; c += m) {
				m = sv[i].iov_len - off;
				if (m > n - c)
					m = n - c;
				pc[np].iov_base = (uint8_t *)sv[i].iov_base + off;
				pc[np++].iov_len = m;
				if ((off += m) == sv[i].iov_len) {
					i++;
					off = 0;
				}
			}
			if ((r = vmess_body_sealv(b, pc, np, n,
			    (uint8_t *)v.iov_base + w, v.iov_len - w)) < 0)
				goto fail;
			w += (size_t)r;
		}
		v.iov_len = w;
		if (evbuffer_commit_space(dst, &v, 1) == -1)
			goto fail;
		evbuffer_drain(src, total);
	}
	return 0;
 fail:
	*errstr = "vmess: cannot seal a chunk";
	return -1;
}

/*
 * Opens one chunk whose bytes p[0..need) are contiguous into the batch
 * space v (reserving more when the chunk's plaintext does not fit), or
 * hands a datagram to dgram. Returns what vmess_body_open returns.
 */
static ssize_t
open_one(struct vmess_body *b, const uint8_t *p, const struct iovec *pc,
    int npc, size_t need, struct evbuffer *dst, struct evbuffer_iovec *v,
    size_t *w, void (*dgram)(void *, const uint8_t *, size_t), void *arg,
    const char **errstr)
{
	static uint8_t	 dg[VMESS_CHUNK_PAYLOAD_MAX];
	size_t		 outlen, want;
	ssize_t		 used;

	if (dst == NULL) {
		used = vmess_body_open(b, p, need, dg, sizeof(dg), &outlen,
		    errstr);
		if (used > 0 && outlen > 0)
			dgram(arg, dg, outlen);
		return used;
	}
	/* need (L, or a RAW slice) bounds the plaintext. */
	want = need > 0 ? need : 1;
	if (v->iov_len - *w < want) {
		/* Commit what the batch holds, then take a fresh one. */
		if (v->iov_base != NULL) {
			v->iov_len = *w;
			evbuffer_commit_space(dst, v, 1);
		}
		*w = 0;
		if (evbuffer_reserve_space(dst, (ev_ssize_t)(want > CONN_BATCH ?
		    want : CONN_BATCH), v, 1) != 1) {
			v->iov_len = 0;
			*errstr = "vmess: out of memory";
			return -1;
		}
	}
	if (p == NULL)
		used = vmess_body_openv(b, pc, npc, (uint8_t *)v->iov_base + *w,
		    v->iov_len - *w, &outlen, errstr);
	else
		used = vmess_body_open(b, p, need, (uint8_t *)v->iov_base + *w,
		    v->iov_len - *w, &outlen, errstr);
	if (used > 0)
		*w += outlen;
	return used;
}

int
vmess_conn_open(struct vmess_body *b, struct evbuffer *src,
    struct evbuffer *dst, void (*dgram)(void *, const uint8_t *, size_t),
    void *arg, const char **errstr)
{
	static uint8_t		 tmp[VMESS_CHUNK_MAX];
	uint8_t			 lenout[1];
	struct evbuffer_iovec	 v = { NULL, 0 }, head, sv[CONN_PEEK];
	int			 npc;
	const uint8_t		*p;
	size_t			 avail, need, w = 0, outlen;
	ssize_t			 used;
	int			 rc = 0;

	while ((avail = evbuffer_get_length(src)) > 0 && !vmess_body_done(b)) {
		if (b->b_mode == VMESS_BODY_RAW)
			need = avail > 16384 ? 16384 : avail;
		else if (b->b_pending)
			need = b->b_plen;
		else
			need = 2;
		if (avail < need)
			break;
		if (evbuffer_peek(src, -1, NULL, &head, 1) < 1)
			break;
		if (b->b_mode == VMESS_BODY_RAW && head.iov_len > 0 &&
		    head.iov_len < need)
			need = head.iov_len;
		npc = 0;
		if (head.iov_len >= need)
			p = head.iov_base;
		else if (dst != NULL && b->b_pending && vmess_body_is_aead(b) &&
		    (npc = evbuffer_peek(src, (ev_ssize_t)need, NULL, sv,
		    CONN_PEEK)) > 0 && npc <= CONN_PEEK) {
			/* Straddles chains: decrypted where it lies. */
			p = NULL;
		} else {
			/* Straddles chains: one copy, no rearranging. */
			evbuffer_copyout(src, tmp, need);
			p = tmp;
		}
		if (b->b_mode != VMESS_BODY_RAW && !b->b_pending) {
			/* The length alone: it sizes the output space. */
			if ((used = vmess_body_open(b, p, 2, lenout, 0,
			    &outlen, errstr)) < 0) {
				rc = -1;
				break;
			}
			evbuffer_drain(src, (size_t)used);
			continue;
		}
		used = open_one(b, p, (const struct iovec *)sv, npc, need, dst,
		    &v, &w, dgram, arg, errstr);
		if (used < 0) {
			rc = -1;
			break;
		}
		if (used == 0)
			break;
		evbuffer_drain(src, (size_t)used);
	}
	if (v.iov_base != NULL) {
		v.iov_len = w;
		evbuffer_commit_space(dst, &v, 1);
	}
	if (rc == -1)
		return -1;
	if (vmess_body_done(b)) {
		/* 4.34 ignores anything after the end marker. */
		evbuffer_drain(src, evbuffer_get_length(src));
		return 1;
	}
	return 0;
}

int
vmess_conn_resp_header(struct vmess_conn *vc, struct evbuffer *dst,
    const char **errstr)
{
	uint8_t	 buf[VMESS_RESP_MAX];
	ssize_t	 n;

	if (vc->resp_done)
		return 0;
	vc->resp_done = true;
	if ((n = vmess_resp_seal(&vc->down, vc->aead, &vc->resp, buf,
	    sizeof(buf))) < 0) {
		*errstr = "vmess: cannot seal the response header";
		return -1;
	}
	evbuffer_add(dst, buf, (size_t)n);
	return 0;
}

int
vmess_conn_resp_read(struct vmess_conn *vc, struct evbuffer *src,
    const char **errstr)
{
	size_t		 n = evbuffer_get_length(src);
	const uint8_t	*p;
	ssize_t		 used;

	if (vc->resp_done)
		return 1;
	if (n > VMESS_RESP_MAX)
		n = VMESS_RESP_MAX;
	p = evbuffer_pullup(src, (ev_ssize_t)n);
	used = vmess_resp_open(&vc->down, vc->aead, vc->v, p, n, &vc->resp,
	    errstr);
	if (used <= 0)
		return (int)used;
	evbuffer_drain(src, (size_t)used);
	vc->resp_done = true;
	if (vc->resp.has_switch && vc->on_switch != NULL)
		vc->on_switch(vc->on_switch_arg, &vc->resp.sw);
	return 1;
}

static int
server_decode(void *ctx, struct evbuffer *src, struct evbuffer *dst,
    const char **errstr)
{
	struct vmess_conn	*vc = ctx;

	return vmess_conn_open(&vc->up, src, dst, NULL, NULL, errstr);
}

static int
server_encode(void *ctx, struct evbuffer *src, struct evbuffer *dst,
    const char **errstr)
{
	struct vmess_conn	*vc = ctx;

	if (vmess_conn_resp_header(vc, dst, errstr) == -1)
		return -1;
	return vmess_conn_seal(&vc->down, src, dst, errstr);
}

static void
server_finish(void *ctx, struct evbuffer *dst)
{
	struct vmess_conn	*vc = ctx;
	uint8_t			 buf[VMESS_BODY_OVERHEAD_MAX];
	const char		*err;
	ssize_t			 n;

	/* An empty response still carries the header. */
	if (vmess_conn_resp_header(vc, dst, &err) == -1)
		return;
	if ((n = vmess_body_seal_end(&vc->down, buf, sizeof(buf))) > 0)
		evbuffer_add(dst, buf, (size_t)n);
}

static int
client_decode(void *ctx, struct evbuffer *src, struct evbuffer *dst,
    const char **errstr)
{
	struct vmess_conn	*vc = ctx;
	int			 r;

	if ((r = vmess_conn_resp_read(vc, src, errstr)) != 1)
		return r;	/* 0: header incomplete; -1: bad */
	return vmess_conn_open(&vc->down, src, dst, NULL, NULL, errstr);
}

static int
client_encode(void *ctx, struct evbuffer *src, struct evbuffer *dst,
    const char **errstr)
{
	struct vmess_conn	*vc = ctx;

	return vmess_conn_seal(&vc->up, src, dst, errstr);
}

static void
client_finish(void *ctx, struct evbuffer *dst)
{
	struct vmess_conn	*vc = ctx;
	uint8_t			 buf[VMESS_BODY_OVERHEAD_MAX];
	ssize_t			 n;

	if ((n = vmess_body_seal_end(&vc->up, buf, sizeof(buf))) > 0)
		evbuffer_add(dst, buf, (size_t)n);
}

const struct stream_codec vmess_server_codec = {
	server_decode, server_encode, server_finish
};

const struct stream_codec vmess_client_codec = {
	client_decode, client_encode, client_finish
};

void
vmess_security_wire(int conf_security, uint8_t *sec, uint8_t *opt)
{
	/* What a 4.34 client sends (vmess.md §7.1). */
	switch (conf_security) {
	case CONF_SEC_CHACHA20:
		*sec = VMESS_SEC_CHACHA20;
		*opt = VMESS_OPT_S | VMESS_OPT_M | VMESS_OPT_P;
		break;
	case CONF_SEC_NONE:
		*sec = VMESS_SEC_NONE;
		*opt = VMESS_OPT_S | VMESS_OPT_M;
		break;
	case CONF_SEC_ZERO:
		*sec = VMESS_SEC_NONE;
		*opt = 0;
		break;
	case CONF_SEC_LEGACY:
		*sec = VMESS_SEC_LEGACY;
		*opt = VMESS_OPT_S;
		break;
	default:	/* auto and aes-128-gcm: AES on x86-64/arm64 */
		*sec = VMESS_SEC_AES128GCM;
		*opt = VMESS_OPT_S | VMESS_OPT_M | VMESS_OPT_P;
		break;
	}
}
