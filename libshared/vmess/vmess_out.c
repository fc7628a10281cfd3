/* SPDX-License-Identifier: MIT */
/*
 * vmess_out.c: the VMess outbound handler, as the 4.34 client behaves
 * (vmess.md §7.1): AEAD header when alterId is 0, legacy header with a
 * random alternate ID otherwise; the header leaves together with the first
 * payload already waiting; TCP sessions through the relay, UDP flows as
 * one chunk per datagram.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "app/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "net/dial.h"
#include "net/session.h"
#include "net/udp.h"
#include "vmess/vmess.h"
#include "vmess/vmess_conn.h"

#define VOUT_TRIES	5
#define UDP_QUEUE_MAX	64

/* One configured account: server address and user, keys derived once. */
struct vout_account {
	struct net_addr		 server;
	const struct conf_user	*cu;
	struct vmess_user	 user;
	uint8_t			(*alter)[16];	/* alter_id alternates */
};

struct vout_state {
	struct vout_account	*acc;
	size_t			 nacc;
};

struct vout_conn {
	struct vmess_conn	 vc;
	struct net_dial		*dial;
	uint8_t			 hdr[VMESS_REQ_MAX];
	size_t			 hdrlen;
	/* UDP flows only */
	struct udp_flow		*flow;
	struct bufferevent	*bev;
	struct evbuffer		*queue;		/* [u16 len][datagram]… */
	size_t			 nqueued;
};

static struct vout_account *
pick_account(struct vout_state *st)
{
	uint32_t	 r = 0;

	vcrypto_random(&r, sizeof(r));
	return &st->acc[r % st->nacc];
}

/*
 * Build the request header for dst into vo->hdr and set up the bodies.
 * 0, or -1 when the destination cannot be encoded.
 */
static int
build_request(struct vout_conn *vo, struct vout_account *a, uint8_t cmd,
    const struct net_addr *dst)
{
	struct vmess_request	 rq;
	char			 host[256];
	int64_t			 now = (int64_t)time(NULL);
	uint32_t		 r = 0;
	ssize_t			 n;

	if (vmess_request_init(&rq) == -1)
		return -1;
	vmess_security_wire(a->cu->security, &rq.sec, &rq.opt);
	rq.cmd = cmd;
	if (vmess_request_set_host(&rq, net_addr_host(dst, host,
	    sizeof(host)), dst->port) == -1)
		return -1;
	rq.aead = a->cu->alter_id == 0;
	if (rq.aead)
		n = vmess_aead_req_seal(&rq, a->user.cmd_key, now, NULL, NULL,
		    vo->hdr, sizeof(vo->hdr));
	else {
		/* 4.34: time jittered by [-30, +29] s, a random alternate ID. */
		vcrypto_random(&r, sizeof(r));
		n = vmess_legacy_req_seal(&rq, a->alter[(r >> 8) %
		    (uint32_t)a->cu->alter_id], a->user.cmd_key,
		    now + (int64_t)(r % 60) - 30, vo->hdr, sizeof(vo->hdr));
	}
	if (n < 0 || vmess_conn_init(&vo->vc, false, &rq) == -1)
		return -1;
	vo->hdrlen = (size_t)n;
	OPENSSL_cleanse(&rq, sizeof(rq));
	return 0;
}

static void
vout_free(struct session *s)
{
	struct vout_conn	*vo = s->out_state;

	if (vo == NULL)
		return;
	net_dial_cancel(vo->dial);
	vmess_conn_cleanup(&vo->vc);
	free(vo);
	s->out_state = NULL;
	s->r_codec = NULL;
}

static void
dialed_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct session		*s = arg;
	struct vout_conn	*vo = s->out_state;

	vo->dial = NULL;
	if (bev == NULL) {
		session_close(s, err);
		return;
	}
	/* Header first; the relay appends whatever payload is waiting. */
	evbuffer_add(bufferevent_get_output(bev), vo->hdr, vo->hdrlen);
	s->rbev = bev;
	s->r_codec = &vmess_client_codec;
	s->r_codec_ctx = &vo->vc;
	session_relay(s);
}

static void
vout_open(struct session *s)
{
	struct vout_state	*st = s->out->state;
	struct vout_account	*a = pick_account(st);
	struct vout_conn	*vo = xcalloc(1, sizeof(*vo));

	s->out_state = vo;
	s->out_free = vout_free;
	if (build_request(vo, a, VMESS_CMD_TCP, &s->dst) == -1) {
		session_close(s, "vmess: cannot encode the destination");
		return;
	}
	vo->dial = net_dial(s->eng, &a->server, AF_UNSPEC, VOUT_TRIES,
	    dialed_cb, s);
}

/* UDP: one VMess connection per flow, one chunk per datagram. */
static void
udp_dgram(void *arg, const uint8_t *p, size_t n)
{
	udp_flow_reply(arg, p, n);
}

static void
udp_read_cb(struct bufferevent *bev, void *arg)
{
	struct udp_flow		*f = arg;
	struct vout_conn	*vo = f->out_state;
	struct evbuffer		*in = bufferevent_get_input(bev);
	const char		*err = NULL;
	int			 r;

	if ((r = vmess_conn_resp_read(&vo->vc, in, &err)) == 1)
		r = vmess_conn_open(&vo->vc.down, in, NULL, udp_dgram, f, &err);
	if (r == -1) {
		log_info("vmess: udp flow: %s", err);
		udp_flow_close(f);
	} else if (r == 1 && vmess_body_done(&vo->vc.down))
		udp_flow_close(f);
}

static void
udp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	udp_flow_close(arg);
}

static int
udp_seal(struct vout_conn *vo, const uint8_t *p, size_t n)
{
	struct evbuffer	*tmp = evbuffer_new();
	const char	*err;
	int		 r;

	evbuffer_add(tmp, p, n);
	r = vmess_conn_seal(&vo->vc.up, tmp, bufferevent_get_output(vo->bev),
	    &err);
	evbuffer_free(tmp);
	return r;
}

static void
udp_dialed_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct udp_flow		*f = arg;
	struct vout_conn	*vo = f->out_state;
	uint8_t			 buf[UDP_MAX_DATAGRAM];
	uint16_t		 len;

	vo->dial = NULL;
	if (bev == NULL) {
		log_info("vmess: udp flow: %s", err);
		udp_flow_close(f);
		return;
	}
	vo->bev = bev;
	evbuffer_add(bufferevent_get_output(bev), vo->hdr, vo->hdrlen);
	while (evbuffer_remove(vo->queue, &len, sizeof(len)) == sizeof(len)) {
		evbuffer_remove(vo->queue, buf, len);
		udp_seal(vo, buf, len);
	}
	vo->nqueued = 0;
	bufferevent_setcb(bev, udp_read_cb, NULL, udp_event_cb, f);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static int
udp_send(struct udp_flow *f, const uint8_t *p, size_t n)
{
	struct vout_conn	*vo = f->out_state;
	uint16_t		 len = (uint16_t)n;

	if (vo->bev != NULL)
		return udp_seal(vo, p, n);
	if (vo->nqueued >= UDP_QUEUE_MAX || n > UDP_MAX_DATAGRAM)
		return 0;	/* UDP may drop; memory may not grow */
	evbuffer_add(vo->queue, &len, sizeof(len));
	evbuffer_add(vo->queue, p, n);
	vo->nqueued++;
	return 0;
}

static void
udp_close(struct udp_flow *f)
{
	struct vout_conn	*vo = f->out_state;

	if (vo == NULL)
		return;
	net_dial_cancel(vo->dial);
	if (vo->bev != NULL)
		bufferevent_free(vo->bev);
	evbuffer_free(vo->queue);
	vmess_conn_cleanup(&vo->vc);
	free(vo);
	f->out_state = NULL;
}

static int
vout_udp_open(struct udp_flow *f)
{
	struct vout_state	*st = f->out->state;
	struct vout_account	*a = pick_account(st);
	struct vout_conn	*vo = xcalloc(1, sizeof(*vo));

	f->out_state = vo;
	f->send = udp_send;
	f->out_close = udp_close;
	vo->flow = f;
	vo->queue = evbuffer_new();
	if (build_request(vo, a, VMESS_CMD_UDP, &f->dst) == -1)
		return -1;
	vo->dial = net_dial(f->eng, &a->server, AF_UNSPEC, VOUT_TRIES,
	    udp_dialed_cb, f);
	return 0;
}

static void
vout_stop(struct outbound_rt *ob)
{
	struct vout_state	*st = ob->state;
	size_t			 i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nacc; i++) {
		free(st->acc[i].alter);
		OPENSSL_cleanse(&st->acc[i].user, sizeof(st->acc[i].user));
	}
	free(st->acc);
	free(st);
	ob->state = NULL;
}

static int
vout_start(struct outbound_rt *ob, char *err, size_t errlen)
{
	const struct conf_outbound	*co = ob->c;
	struct vout_state		*st = xcalloc(1, sizeof(*st));
	size_t				 i, j, n = 0;

	ob->state = st;
	for (i = 0; i < co->nvnext; i++)
		n += co->vnext[i].nusers;
	if (n == 0) {
		snprintf(err, errlen, "vmess outbound %s has no user",
		    co->tag ? co->tag : "(untagged)");
		vout_stop(ob);
		return -1;
	}
	st->acc = xcalloc(n, sizeof(*st->acc));
	for (i = 0; i < co->nvnext; i++) {
		for (j = 0; j < co->vnext[i].nusers; j++) {
			struct vout_account *a = &st->acc[st->nacc++];
			const struct conf_user *cu = &co->vnext[i].users[j];

			net_addr_set(&a->server, co->vnext[i].address,
			    co->vnext[i].port);
			a->cu = cu;
			if (vmess_user_init(&a->user, cu->uuid,
			    (uint16_t)cu->alter_id) == -1)
				goto fail;
			if (cu->alter_id > 0) {
				a->alter = xcalloc((size_t)cu->alter_id, 16);
				if (vmess_alter_ids(cu->uuid,
				    (uint16_t)cu->alter_id, a->alter) == -1)
					goto fail;
			}
		}
	}
	return 0;
 fail:
	snprintf(err, errlen, "vmess: cannot derive user keys");
	vout_stop(ob);
	return -1;
}

const struct outbound_ops vmess_outbound_ops = {
	.name = "vmess",
	.proto = CONF_PROTO_VMESS,
	.start = vout_start,
	.stop = vout_stop,
	.open = vout_open,
	.udp_open = vout_udp_open,
};
