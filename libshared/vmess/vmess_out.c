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
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "core/engine.h"
#include "base/log.h"
#include "base/util.h"
#include "mux/mux.h"
#include "mux/mux_frame.h"
#include "core/outdial.h"
#include "core/session.h"
#include "core/udp.h"
#include "vmess/vmess.h"
#include "vmess/vmess_conn.h"

#define VOUT_TRIES	5
#define UDP_QUEUE_MAX	64

/*
 * An account: server address and user, keys derived once. Configured ones
 * never expire; those a server hands out with SwitchAccount (dynamic
 * ports, vmess.md §5.4) expire after their valid minutes, or sooner when
 * they prove stale (a restarted server: see forget_account).
 */
struct vout_account {
	struct net_addr		 server;
	struct conf_user	 cu;		/* id, alterId, security, level */
	struct vmess_user	 user;
	uint8_t			(*alter)[16];	/* alter_id alternates */
	uint64_t		 expire_ms;	/* 0 = configured, never */
	uint64_t		 id;		/* serial, never reused */
	uint64_t		 origin;	/* configured account it came from,
						   itself for a configured one */
};

#define VOUT_MAX_ACCOUNTS	256

struct vout_mux {
	struct mux_worker	*w;
	LIST_ENTRY(vout_mux)	 entry;
};

struct vout_state {
	struct outbound_rt	*ob;
	LIST_HEAD(, vout_mux)	 muxes;		/* mux client workers */
	struct vout_account	**acc;
	size_t			 nacc;
	size_t			 nconf;		/* the first nconf are configured */
	size_t			 next;		/* round robin, as 4.34 */
	uint64_t		 serial;	/* last account id given */
};

struct vout_conn {
	struct vmess_conn	 vc;
	struct vout_state	*st;
	uint64_t		 acc_id;	/* the account; it may go meanwhile */
	uint64_t		 origin;	/* its configured account */
	bool			 connected;	/* the request went out */
	struct net_addr		 server;	/* where the account points */
	struct outbound_dial	*dial;
	uint8_t			 hdr[VMESS_REQ_MAX];
	size_t			 hdrlen;
	/* UDP flows only */
	struct udp_flow		*flow;
	struct bufferevent	*bev;
	struct evbuffer		*queue;		/* [u16 len][datagram]… */
	size_t			 nqueued;
};

static void
account_free(struct vout_account *a)
{
	free(a->alter);
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

static void
drop_account(struct vout_state *st, size_t i)
{
	account_free(st->acc[i]);
	memmove(&st->acc[i], &st->acc[i + 1], (st->nacc - i - 1) *
	    sizeof(*st->acc));
	st->nacc--;
	if (st->next > i)
		st->next--;
}

/* Round robin over every account; expired ones are dropped on the way. */
static struct vout_account *
pick_account(struct vout_state *st)
{
	uint64_t	 now = util_now_ms();
	size_t		 i;

	for (;;) {
		if (st->next >= st->nacc)
			st->next = 0;
		i = st->next++;
		if (st->acc[i]->expire_ms == 0 || st->acc[i]->expire_ms > now)
			return st->acc[i];
		drop_account(st, i);	/* the configured ones never go */
	}
}

/*
 * A dynamic account proved useless: its port refused us, or a request went
 * out on it and the connection ended without one byte of response (the
 * server restarted and reuses the port with fresh users, so it takes our
 * header for a probe). 4.34 keeps such an account until it expires, which
 * fails one request in every few for minutes; dropping it costs at most a
 * request, and the next response from the main port hands out a live one.
 */
static void
forget_account(struct vout_state *st, uint64_t id, const char *why)
{
	size_t	 i;

	for (i = st->nconf; i < st->nacc; i++)
		if (st->acc[i]->id == id) {
			log_info("vmess: dynamic port %u %s, dropped",
			    st->acc[i]->server.port, why);
			drop_account(st, i);
			return;
		}
}

static int
account_keys(struct vout_account *a)
{
	if (vmess_user_init(&a->user, a->cu.uuid, (uint16_t)a->cu.alter_id))
		return -1;
	if (a->cu.alter_id > 0) {
		a->alter = xcalloc((size_t)a->cu.alter_id, 16);
		if (vmess_alter_ids(a->cu.uuid, (uint16_t)a->cu.alter_id,
		    a->alter) == -1)
			return -1;
	}
	return 0;
}

/*
 * SwitchAccount from the server at `server`, received on a connection of
 * configured account `origin`: add (or renew) a LEGACY account on the given
 * port. Unlike 4.34, which appends one entry per response, an account
 * already known is only renewed, and one for the same port and origin with
 * another ID is replaced: a server never gives one user two IDs on a port
 * at once (a port is not reused while an older generation holds it), so
 * the old ID is from before a restart and would only be taken for a probe.
 */
static void
on_switch(struct vout_state *st, uint64_t origin, const struct net_addr *server,
    const struct vmess_switch *sw)
{
	struct vout_account	*a;
	uint64_t		 expire = util_now_ms() +
				    (uint64_t)sw->valid_min * 60000;
	size_t			 i;

	for (i = st->nconf; i < st->nacc; i++) {
		a = st->acc[i];
		if (a->server.port != sw->port || a->origin != origin)
			continue;
		if (memcmp(a->cu.uuid, sw->uuid, 16) == 0) {
			a->expire_ms = expire;
			return;
		}
		forget_account(st, a->id, "has a new ID");
		break;
	}
	if (st->nacc >= VOUT_MAX_ACCOUNTS || sw->valid_min == 0)
		return;
	a = xcalloc(1, sizeof(*a));
	a->id = ++st->serial;
	a->origin = origin;
	a->server = *server;
	if (sw->host_len > 0)
		net_addr_set(&a->server, sw->host, sw->port);
	a->server.port = sw->port;
	memcpy(a->cu.uuid, sw->uuid, 16);
	a->cu.alter_id = sw->alter_ids;
	a->cu.level = sw->level;
	a->cu.security = CONF_SEC_LEGACY;
	a->expire_ms = expire;
	if (account_keys(a) == -1) {
		account_free(a);
		return;
	}
	st->acc[st->nacc++] = a;
	log_info("vmess: server switched us to port %u for %u min",
	    sw->port, sw->valid_min);
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
	vmess_security_wire(a->cu.security, &rq.sec, &rq.opt);
	/* The mux connection itself: command 3, no address (§1.1). */
	if (cmd == VMESS_CMD_TCP && dst->family == 0 &&
	    strcmp(dst->domain, MUX_MAGIC_DOMAIN) == 0)
		cmd = VMESS_CMD_MUX;
	rq.cmd = cmd;
	if (cmd != VMESS_CMD_MUX && vmess_request_set_host(&rq, net_addr_host(dst, host,
	    sizeof(host)), dst->port) == -1)
		return -1;
	rq.aead = a->cu.alter_id == 0;
	if (rq.aead)
		n = vmess_aead_req_seal(&rq, a->user.cmd_key, now, NULL, NULL,
		    vo->hdr, sizeof(vo->hdr));
	else {
		/* 4.34: time jittered by [-30, +29] s, a random alternate ID. */
		vcrypto_random(&r, sizeof(r));
		n = vmess_legacy_req_seal(&rq, a->alter[(r >> 8) %
		    (uint32_t)a->cu.alter_id], a->user.cmd_key,
		    now + (int64_t)(r % 60) - 30, vo->hdr, sizeof(vo->hdr));
	}
	if (n < 0 || vmess_conn_init(&vo->vc, false, &rq) == -1)
		return -1;
	vo->hdrlen = (size_t)n;
	OPENSSL_cleanse(&rq, sizeof(rq));
	return 0;
}

static void
switch_cb(void *arg, const struct vmess_switch *sw)
{
	struct vout_conn	*vo = arg;

	on_switch(vo->st, vo->origin, &vo->server, sw);
}

/*
 * vo's request for dst on the next account: header and bodies set up, the
 * account noted (by id: it may go while vo lives) and its responses
 * watched for SwitchAccount. 0, or -1 when dst cannot be encoded.
 */
static int
next_request(struct vout_conn *vo, struct vout_state *st, uint8_t cmd,
    const struct net_addr *dst)
{
	struct vout_account	*a = pick_account(st);

	if (build_request(vo, a, cmd, dst) == -1)
		return -1;
	vo->st = st;
	vo->acc_id = a->id;
	vo->origin = a->origin;
	vo->server = a->server;
	vo->vc.on_switch = switch_cb;
	vo->vc.on_switch_arg = vo;
	return 0;
}

/* On an account from SwitchAccount: its origin is another account. */
static bool
on_dynamic(const struct vout_conn *vo)
{
	return vo->origin != vo->acc_id;
}

/*
 * A dynamic port gets one try: refused, it is dropped and the request goes
 * on to the next account (as 4.34 picks again on each retry).
 */
static int
dial_tries(const struct vout_conn *vo)
{
	return on_dynamic(vo) ? 1 : VOUT_TRIES;
}

/* vo's connection is over; a request that got no byte back marks it stale. */
static void
conn_end(struct vout_conn *vo)
{
	if (on_dynamic(vo) && vo->connected && !vo->vc.resp_done)
		forget_account(vo->st, vo->acc_id, "gave no response");
	outbound_dial_cancel(vo->dial);
	vmess_conn_cleanup(&vo->vc);
}

static void
vout_free(struct session *s)
{
	struct vout_conn	*vo = s->out_state;

	if (vo == NULL)
		return;
	conn_end(vo);
	free(vo);
	s->out_state = NULL;
	s->r_codec = NULL;
}

static void tcp_dial(struct session *);

static void
dialed_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct session		*s = arg;
	struct vout_conn	*vo = s->out_state;

	vo->dial = NULL;
	if (bev == NULL && on_dynamic(vo)) {
		forget_account(vo->st, vo->acc_id, "unreachable");
		conn_end(vo);
		tcp_dial(s);
		return;
	}
	if (bev == NULL) {
		session_close(s, err);
		return;
	}
	vo->connected = true;
	/* Header first; the relay appends whatever payload is waiting. */
	evbuffer_add(bufferevent_get_output(bev), vo->hdr, vo->hdrlen);
	s->rbev = bev;
	s->r_shutdown = outbound_dial_shutdown(s->out);
	s->r_codec = &vmess_client_codec;
	s->r_codec_ctx = &vo->vc;
	session_relay(s);
}

static void
tcp_dial(struct session *s)
{
	struct vout_conn	*vo = s->out_state;

	if (next_request(vo, s->out->state, VMESS_CMD_TCP, &s->dst) == -1) {
		session_close(s, "vmess: cannot encode the destination");
		return;
	}
	vo->dial = outbound_dial(s->out, &vo->server, AF_UNSPEC,
	    dial_tries(vo), dialed_cb, s);
}

static void
vout_open_direct(struct session *s)
{
	s->out_state = xcalloc(1, sizeof(struct vout_conn));
	s->out_free = vout_free;
	tcp_dial(s);
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

static void udp_dialed_cb(struct bufferevent *, const char *, void *);

/* The flow's request on the next account; datagrams wait in vo->queue. */
static int
udp_dial(struct udp_flow *f)
{
	struct vout_conn	*vo = f->out_state;

	if (next_request(vo, f->out->state, VMESS_CMD_UDP, &f->dst) == -1)
		return -1;
	vo->dial = outbound_dial(f->out, &vo->server, AF_UNSPEC,
	    dial_tries(vo), udp_dialed_cb, f);
	return 0;
}

static void
udp_dialed_cb(struct bufferevent *bev, const char *err, void *arg)
{
	struct udp_flow		*f = arg;
	struct vout_conn	*vo = f->out_state;
	uint8_t			 buf[UDP_MAX_DATAGRAM];
	uint16_t		 len;

	vo->dial = NULL;
	if (bev == NULL && on_dynamic(vo)) {
		forget_account(vo->st, vo->acc_id, "unreachable");
		conn_end(vo);
		if (udp_dial(f) == -1)
			udp_flow_close(f);
		return;
	}
	if (bev == NULL) {
		log_info("vmess: udp flow: %s", err);
		udp_flow_close(f);
		return;
	}
	vo->connected = true;
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
	conn_end(vo);
	if (vo->bev != NULL)
		bufferevent_free(vo->bev);
	evbuffer_free(vo->queue);
	free(vo);
	f->out_state = NULL;
}

static int
vout_udp_open(struct udp_flow *f)
{
	struct vout_conn	*vo = xcalloc(1, sizeof(*vo));

	f->out_state = vo;
	f->send = udp_send;
	f->out_close = udp_close;
	vo->flow = f;
	vo->queue = evbuffer_new();
	return udp_dial(f);
}

static void
vout_stop(struct outbound_rt *ob)
{
	struct vout_state	*st = ob->state;
	struct vout_mux		*vm;
	size_t			 i;

	if (st == NULL)
		return;
	while ((vm = LIST_FIRST(&st->muxes)) != NULL)
		mux_worker_close(vm->w);	/* mux_gone unlinks vm */
	for (i = 0; i < st->nacc; i++)
		account_free(st->acc[i]);
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
	st->ob = ob;
	LIST_INIT(&st->muxes);
	for (i = 0; i < co->nvnext; i++)
		n += co->vnext[i].nusers;
	if (n == 0 || n > VOUT_MAX_ACCOUNTS / 2) {
		snprintf(err, errlen, "vmess outbound %s needs 1 to %d users",
		    co->tag ? co->tag : "(untagged)", VOUT_MAX_ACCOUNTS / 2);
		vout_stop(ob);
		return -1;
	}
	st->acc = xcalloc(VOUT_MAX_ACCOUNTS, sizeof(*st->acc));
	for (i = 0; i < co->nvnext; i++) {
		for (j = 0; j < co->vnext[i].nusers; j++) {
			struct vout_account *a = xcalloc(1, sizeof(*a));

			st->acc[st->nacc++] = a;
			a->id = a->origin = ++st->serial;
			net_addr_set(&a->server, co->vnext[i].address,
			    co->vnext[i].port);
			a->cu = co->vnext[i].users[j];
			a->cu.email = NULL;	/* not ours to free */
			if (account_keys(a) == -1) {
				snprintf(err, errlen,
				    "vmess: cannot derive user keys");
				vout_stop(ob);
				return -1;
			}
		}
	}
	st->nconf = st->nacc;
	return 0;
}

static void
mux_gone(struct mux_worker *w, void *arg)
{
	struct vout_mux	*vm = arg;

	LIST_REMOVE(vm, entry);
	free(vm);
}

/*
 * A mux worker with room for one more session: the first that is not full
 * (4.34's picker), or a new one whose link is an internal session sent
 * through this same outbound to v1.mux.cool.
 */
static struct mux_worker *
pick_mux(struct vout_state *st, struct engine *eng)
{
	struct vout_mux		*vm;
	struct session		*link;
	struct bufferevent	*peer;
	struct net_addr		 magic;
	int			 conc = st->ob->c->mux_concurrency;

	LIST_FOREACH(vm, &st->muxes, entry)
		if (!mux_worker_full(vm->w))
			return vm->w;
	memset(&magic, 0, sizeof(magic));
	snprintf(magic.domain, sizeof(magic.domain), "%s", MUX_MAGIC_DOMAIN);
	magic.port = MUX_MAGIC_PORT;
	if ((link = session_new_internal(eng, &magic, &peer)) == NULL)
		return NULL;
	vm = xcalloc(1, sizeof(*vm));
	vm->w = mux_worker_new(eng, MUX_ROLE_CLIENT, peer);
	mux_worker_set_limits(vm->w, conc > 0 ? (unsigned)conc :
	    MUX_CONCURRENCY_DEFAULT, MUX_MAX_CONNECTION);
	mux_worker_idle_close(vm->w, true);
	mux_worker_on_close(vm->w, mux_gone, vm);
	mux_worker_bind_session(vm->w, link);
	LIST_INSERT_HEAD(&st->muxes, vm, entry);
	link->out = st->ob;
	vout_open_direct(link);
	return vm->w;
}

static void
vout_open(struct session *s)
{
	struct vout_state	*st = s->out->state;
	struct mux_worker	*w;

	if (!s->out->c->mux_enabled) {
		vout_open_direct(s);
		return;
	}
	if ((w = pick_mux(st, s->eng)) == NULL || mux_worker_open(w, s) == -1)
		session_close(s, "vmess: no mux connection available");
}

static int
vout_udp_open_any(struct udp_flow *f)
{
	struct vout_state	*st = f->out->state;
	struct mux_worker	*w;

	if (!f->out->c->mux_enabled)
		return vout_udp_open(f);
	if ((w = pick_mux(st, f->eng)) == NULL)
		return -1;
	return mux_worker_open_flow(w, f);
}

/* Stopping: idle mux connections go now instead of holding the grace. */
static void
vout_quiesce(struct outbound_rt *ob)
{
	struct vout_state	*st = ob->state;
	struct vout_mux		*vm, *next;

	if (st == NULL)
		return;
	for (vm = LIST_FIRST(&st->muxes); vm != NULL; vm = next) {
		next = LIST_NEXT(vm, entry);
		if (mux_worker_active(vm->w) == 0)
			mux_worker_close(vm->w);	/* mux_gone frees vm */
	}
}

const struct outbound_ops vmess_outbound_ops = {
	.name = "vmess",
	.proto = CONF_PROTO_VMESS,
	.start = vout_start,
	.stop = vout_stop,
	.open = vout_open,
	.udp_open = vout_udp_open_any,
	.quiesce = vout_quiesce,
};
