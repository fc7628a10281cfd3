/* SPDX-License-Identifier: MIT */
/*
 * vmess_in.c: the VMess inbound handler. Reads the request header (AEAD
 * or legacy, vmess.md §3.4), defends against replay and probing the way
 * 4.34 does (a bad header costs the prober a per-server amount of bytes
 * before the close), then hands the session to the dispatcher with the
 * body codec on the client side. UDP requests become a flow whose
 * datagrams are the body's chunks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "core/dynport.h"
#include "core/engine.h"
#include "base/log.h"
#include "base/strmap.h"
#include "base/util.h"
#include "core/dispatch.h"
#include "mux/mux.h"
#include "mux/mux_frame.h"
#include "core/session.h"
#include "core/udp.h"
#include "vmess/vmess.h"
#include "vmess/vmess_conn.h"

#define REPLAY_MAX	(1 << 20)	/* live keys before we refuse */

/* A user made up for a dynamic-port client, cached per email (§5.2). */
struct vin_dynuser {
	struct conf_user	 cu;		/* email, level, alterId */
	size_t			 idx;		/* in users[] */
};

/*
 * The replay filters outlive a reload: the new engine's inbound shares
 * its predecessor's, so a request recorded before a SIGHUP cannot be
 * played again after it. Freed with the last inbound holding them.
 */
struct vin_replay {
	unsigned		 refs;
	struct vmess_replay	 authids;
	struct vmess_replay	 sessions;
};

struct vin_state {
	struct vmess_user	*users;
	const struct conf_user	**cusers;
	size_t			 nusers;
	size_t			 ualloc;	/* users/cusers/drain capacity */
	uint32_t		*drain;		/* each user's drain hash bits */
	struct strmap		 by_key;	/* "uuid:alterId" -> user, for
						   a reload to find its keys */
	struct vin_dynuser	**dyn;
	size_t			 ndyn;
	struct strmap		 dyn_by_email;	/* -> index into dyn */
	struct vmess_matcher	 matcher;
	struct vmess_authtab	 legacy;
	struct vin_replay	*replay;	/* shared across reloads */
	struct vmess_server	 srv;
	struct event		*refresh;
	uint32_t		 drain_base;	/* per server, 0..3265 */
	uint32_t		 drain_max;	/* 1..64 */
};

struct vin_conn {
	struct vmess_conn	 vc;
	bool			 have_vc;
	size_t			 seen;		/* header bytes read so far */
	size_t			 drain_left;
	struct udp_flow		*flow;
	struct inbound_rt	*promise_to;	/* dynamic ports the response
						   header announces one of */
};

static void
vin_free(struct session *s)
{
	struct vin_conn	*c = s->in_state;

	if (c == NULL)
		return;
	if (c->flow != NULL) {
		c->flow->in_ctx = NULL;
		udp_flow_close(c->flow);
	}
	if (c->have_vc)
		vmess_conn_cleanup(&c->vc);
	free(c);
	s->in_state = NULL;
	s->c_codec = NULL;
}

static void
drain_read_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;
	struct vin_conn	*c = s->in_state;
	struct evbuffer	*in = bufferevent_get_input(bev);
	size_t		 n = evbuffer_get_length(in);

	if (n >= c->drain_left) {
		session_reject(s, "vmess: invalid request header");
		return;
	}
	c->drain_left -= n;
	evbuffer_drain(in, n);
}

/*
 * Anti-probing (vmess.md §7.2): consume Base + 16 + 38 + rand(Max) bytes in
 * all, then close, so the close point does not tell a prober where the
 * header check failed. The handshake timeout still bounds the wait.
 */
static void
start_drain(struct session *s, struct vin_state *st)
{
	struct vin_conn	*c = s->in_state;
	uint32_t	 r = 0;
	size_t		 total;

	vcrypto_random(&r, sizeof(r));
	total = st->drain_base + 16 + 38 + r % st->drain_max;
	c->drain_left = total > c->seen ? total - c->seen : 1;
	bufferevent_setcb(s->cbev, drain_read_cb, NULL, NULL, s);
	drain_read_cb(s->cbev, s);
}

static void
set_dest(struct session *s, const struct vmess_request *rq)
{
	char	 host[256];

	memset(&s->dst, 0, sizeof(s->dst));
	s->dst.port = rq->port;
	switch (rq->atype) {
	case VMESS_ATYPE_IPV4:
		s->dst.family = AF_INET;
		memcpy(s->dst.ip, rq->addr, 4);
		break;
	case VMESS_ATYPE_IPV6:
		s->dst.family = AF_INET6;
		memcpy(s->dst.ip, rq->addr, 16);
		break;
	default:
		/* A domain that parses as an IP becomes one, as 4.34. */
		snprintf(host, sizeof(host), "%s", (const char *)rq->addr);
		net_addr_set(&s->dst, host, rq->port);
		break;
	}
}

/*
 * A 4.34 client keeps an announced port for ValidMin minutes from when it
 * reads the response header, which leaves with the first response bytes:
 * from then on the port's generation keeps its promise.
 */
static void
vin_promised(struct vin_conn *c)
{
	struct inbound_rt	*t = c->promise_to;

	if (t == NULL || !c->vc.resp_done)
		return;
	c->promise_to = NULL;
	if (t->dyn != NULL)
		dynport_promise(t->dyn, c->vc.resp.sw.port,
		    c->vc.resp.sw.valid_min);
}

static int
vin_decode(void *ctx, struct evbuffer *src, struct evbuffer *dst,
    const char **errstr)
{
	return vmess_server_codec.decode(&((struct vin_conn *)ctx)->vc, src,
	    dst, errstr);
}

static int
vin_encode(void *ctx, struct evbuffer *src, struct evbuffer *dst,
    const char **errstr)
{
	int	 r;

	r = vmess_server_codec.encode(&((struct vin_conn *)ctx)->vc, src, dst,
	    errstr);
	vin_promised(ctx);
	return r;
}

static void
vin_finish(void *ctx, struct evbuffer *dst)
{
	vmess_server_codec.finish(&((struct vin_conn *)ctx)->vc, dst);
	vin_promised(ctx);
}

/* The server codec, for a response announcing a dynamic port. */
static const struct stream_codec vin_promise_codec = {
	vin_decode, vin_encode, vin_finish
};

/* UDP over VMess: the session carries one flow's datagrams as chunks. */
static void
udp_reply(struct udp_flow *f, const uint8_t *p, size_t n)
{
	struct session		*s = f->in_ctx;
	struct vin_conn		*c;
	struct evbuffer		*tmp;
	const char		*err = NULL;

	if (s == NULL)
		return;
	c = s->in_state;
	tmp = evbuffer_new();
	evbuffer_add(tmp, p, n);
	if (vmess_conn_resp_header(&c->vc, bufferevent_get_output(s->cbev),
	    &err) == -1 || vmess_conn_seal(&c->vc.down, tmp,
	    bufferevent_get_output(s->cbev), &err) == -1)
		log_info("vmess: udp reply dropped: %s", err);
	vin_promised(c);
	evbuffer_free(tmp);
}

static void
udp_dgram(void *arg, const uint8_t *p, size_t n)
{
	struct session	*s = arg;
	struct vin_conn	*c = s->in_state;

	if (c->flow != NULL)
		udp_flow_send(c->flow, p, n);
}

static void
udp_read_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;
	struct vin_conn	*c = s->in_state;
	const char	*err = NULL;
	int		 r;

	r = vmess_conn_open(&c->vc.up, bufferevent_get_input(bev), NULL,
	    udp_dgram, s, &err);
	if (r == -1)
		session_close(s, err);
	else if (r == 1)
		session_close(s, NULL);
}

static void
udp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	session_close(arg, NULL);
}

static void
udp_flow_gone(struct udp_flow *f)
{
	struct session	*s = f->in_ctx;

	if (s != NULL) {
		((struct vin_conn *)s->in_state)->flow = NULL;
		session_close(s, NULL);
	}
}

static void
start_udp(struct session *s)
{
	struct vin_conn	*c = s->in_state;

	s->network = CONF_NETBIT_UDP;
	session_handshake_done(s);
	evtimer_del(s->timer);
	c->flow = udp_flow_new(s->eng, s->in, &s->src, &s->dst, s, udp_reply,
	    NULL);
	if (c->flow == NULL) {
		session_close(s, "vmess: udp flow refused");
		return;
	}
	c->flow->in_close = udp_flow_gone;
	if (s->user != NULL)
		c->flow->user = xstrdup(s->user);
	bufferevent_setcb(s->cbev, udp_read_cb, NULL, udp_event_cb, s);
	udp_read_cb(s->cbev, s);
}

/*
 * v1.mux.cool (command 3): the decoded stream feeds a mux server worker
 * whose sub-sessions are dispatched as coming from this inbound and user.
 */
static void
start_mux(struct session *s)
{
	struct bufferevent	*pair[2];
	struct mux_worker	*w;

	memset(&s->dst, 0, sizeof(s->dst));
	snprintf(s->dst.domain, sizeof(s->dst.domain), "%s", MUX_MAGIC_DOMAIN);
	session_handshake_done(s);
	if (bufferevent_pair_new(s->eng->base, BEV_OPT_CLOSE_ON_FREE |
	    BEV_OPT_DEFER_CALLBACKS, pair) == -1) {
		session_close(s, "mux: out of memory");
		return;
	}
	w = mux_worker_new(s->eng, MUX_ROLE_SERVER, pair[1]);
	mux_worker_set_origin(w, s->in, NULL, &s->src, s->user, s->level);
	mux_worker_bind_session(w, s);
	s->rbev = pair[0];
	s->r_shutdown = stream_shutdown_pair;
	session_log_accept(s);
	session_relay(s);
}

static void
header_read_cb(struct bufferevent *bev, void *arg)
{
	struct session		*s = arg;
	struct vin_state	*st = s->in->state;
	struct vin_conn		*c = s->in_state;
	struct evbuffer		*in = bufferevent_get_input(bev);
	struct vmess_request	 rq;
	const struct conf_user	*cu;
	const char		*err = "vmess: invalid request header";
	const uint8_t		*p;
	size_t			 n = evbuffer_get_length(in);
	ssize_t			 used;

	if (n > VMESS_REQ_MAX)
		n = VMESS_REQ_MAX;
	p = evbuffer_pullup(in, (ev_ssize_t)n);
	memset(&rq, 0, sizeof(rq));
	used = vmess_server_decode(&st->srv, p, n, (int64_t)time(NULL), &rq,
	    &err);
	if (used == 0 && n < VMESS_REQ_MAX)
		return;
	c->seen = n;
	if (used <= 0) {
		stats_handshake_fail(s, stats_vmess_reason(err));
		log_info("vmess: rejected from %s: %s", s->src.family ?
		    "client" : "?", err);
		if (used == 0 || rq.fail == VMESS_FAIL_DRAIN)
			start_drain(s, st);
		else
			session_reject(s, err);
		return;
	}
	evbuffer_drain(in, (size_t)used);
	cu = st->cusers[rq.user];
	if (cu->email != NULL)
		s->user = xstrdup(cu->email);
	s->level = cu->level;
	s->policy = conf_policy(s->eng->conf, s->level);
	if (s->in->c->disable_insecure && (rq.sec == VMESS_SEC_NONE ||
	    rq.sec == VMESS_SEC_LEGACY)) {
		session_reject(s, "vmess: insecure encryption refused");
		return;
	}
	if (vmess_conn_init(&c->vc, true, &rq) == -1) {
		session_reject(s, "vmess: unusable security");
		return;
	}
	c->have_vc = true;
	if (s->in->c->detour_to != NULL)
		c->vc.resp.has_switch = vmess_inbound_switch(s->in, s->user,
		    &c->vc.resp.sw) == 0;
	if (c->vc.resp.has_switch)
		c->promise_to = engine_inbound(s->eng, s->in->c->detour_to);
	set_dest(s, &rq);
	if (rq.cmd == VMESS_CMD_UDP) {
		start_udp(s);
		return;
	}
	s->c_codec = &vmess_server_codec;
	s->c_codec_ctx = &c->vc;
	if (c->promise_to != NULL && c->promise_to->dyn != NULL) {
		s->c_codec = &vin_promise_codec;
		s->c_codec_ctx = c;
	}
	if (rq.cmd == VMESS_CMD_MUX) {
		start_mux(s);
		return;
	}
	dispatch_start(s);
}

/*
 * The user a dynamic-port worker knows `email` by: cached, or made up now
 * with a random ID and the inbound's `default` alterId and level, as 4.34's
 * GetUser. Returns its index, or -1.
 */
/* The 3 bytes of a user's keyed hash that the drain constants use (§7.2). */
static uint32_t
drain_hash(const uint8_t uuid[16])
{
	uint8_t	 h[32];

	vcrypto_hmac_sha256("VMESSBSKDF", 10, uuid, 16, h);
	vcrypto_sha256(h, sizeof(h), h);
	return (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
}

/*
 * Derive one user's keys into slot i of users/cusers and make it known to
 * the AEAD matcher and, when its alterId allows the legacy header, to the
 * legacy table (alterId 0 users speak AEAD only; see README). Only this
 * user's values are computed: adding users in bulk stays linear.
 */
static int
add_user(struct vin_state *st, size_t i, const struct conf_user *cu,
    int64_t now)
{
	st->cusers[i] = cu;
	st->drain[i] = drain_hash(cu->uuid);
	if (vmess_user_init(&st->users[i], cu->uuid,
	    (uint16_t)cu->alter_id) == -1 ||
	    vmess_matcher_add(&st->matcher, st->users[i].authid_key) == -1)
		return -1;
	if (cu->alter_id > 0 && vmess_authtab_add(&st->legacy, i, cu->uuid,
	    (uint16_t)cu->alter_id, now) == -1)
		return -1;
	return 0;
}

/*
 * The user a dynamic-port worker knows `email` by: cached, or made up now
 * with a random ID and the inbound's `default` alterId and level, as 4.34's
 * GetUser. Returns its index, or -1.
 */
static ssize_t
dyn_user(struct inbound_rt *w, const char *email)
{
	struct vin_state	*st = w->state;
	struct vin_dynuser	*du;
	uint32_t		*known;

	if ((known = strmap_get(&st->dyn_by_email, email)) != NULL)
		return (ssize_t)st->dyn[*known]->idx;
	du = xcalloc(1, sizeof(*du));
	du->cu.email = xstrdup(email);
	du->cu.alter_id = w->c->default_alter_id;
	du->cu.level = w->c->default_level;
	vcrypto_random(du->cu.uuid, 16);
	vmess_uuid_format(du->cu.uuid, du->cu.id);
	if (st->nusers == st->ualloc) {
		st->ualloc = st->ualloc ? st->ualloc * 2 : 16;
		st->users = xrealloc(st->users, st->ualloc *
		    sizeof(*st->users));
		st->cusers = xrealloc(st->cusers, st->ualloc *
		    sizeof(*st->cusers));
		st->drain = xrealloc(st->drain, st->ualloc *
		    sizeof(*st->drain));
	}
	if (add_user(st, st->nusers, &du->cu, (int64_t)time(NULL)) == -1 ||
	    strmap_add(&st->dyn_by_email, email, (uint32_t)st->ndyn) == -1) {
		free(du->cu.email);
		free(du);
		return -1;
	}
	du->idx = st->nusers++;
	st->srv.users = st->users;
	st->srv.nusers = st->nusers;
	st->dyn = xrealloc(st->dyn, (st->ndyn + 1) * sizeof(*st->dyn));
	st->dyn[st->ndyn++] = du;
	return (ssize_t)du->idx;
}

int
vmess_inbound_switch(struct inbound_rt *ib, const char *email,
    struct vmess_switch *sw)
{
	struct inbound_rt	*target, *w;
	struct vin_state	*st;
	char			 key[256];
	uint32_t		 r = 0;
	ssize_t			 idx;
	size_t			 i;
	int			 valid = 255;

	target = engine_inbound(ib->eng, ib->c->detour_to);
	if (target == NULL || target->ops != &vmess_inbound_ops)
		return -1;
	if (target->dyn != NULL) {
		if ((w = dynport_pick(target->dyn, &valid)) == NULL)
			return -1;
	} else {
		/* Allocate "always": every port listens; any will do. */
		w = target;
		vcrypto_random(&r, sizeof(r));
		w->port = (uint16_t)(target->c->port.from + r %
		    ((unsigned)(target->c->port.to - target->c->port.from) + 1));
	}
	/* Users without an email share the key "", as in 4.34. */
	snprintf(key, sizeof(key), "%s", email != NULL ? email : "");
	for (i = 0; key[i] != '\0'; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (char)(key[i] - 'A' + 'a');
	if ((idx = dyn_user(w, key)) == -1)
		return -1;
	st = w->state;
	memset(sw, 0, sizeof(*sw));
	sw->port = w->port;
	memcpy(sw->uuid, st->users[idx].uuid, 16);
	sw->alter_ids = (uint16_t)st->cusers[idx]->alter_id;
	sw->level = (uint8_t)st->cusers[idx]->level;
	sw->valid_min = (uint8_t)valid;
	return 0;
}

static void
header_event_cb(struct bufferevent *bev, short what, void *arg)
{
	session_reject(arg, "vmess: connection ended before the header");
}

static void
vin_accept(struct session *s)
{
	s->in_state = xcalloc(1, sizeof(struct vin_conn));
	s->in_free = vin_free;
	bufferevent_setcb(s->cbev, header_read_cb, NULL, header_event_cb, s);
	bufferevent_enable(s->cbev, EV_READ | EV_WRITE);
}

static void
refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	struct vin_state	*st = arg;

	if (vmess_authtab_refresh(&st->legacy, (int64_t)time(NULL)) == -1)
		log_warn("vmess: out of memory refreshing the legacy table");
}

static void
vin_stop(struct inbound_rt *ib)
{
	struct vin_state	*st = ib->state;

	if (st == NULL)
		return;
	if (st->refresh != NULL)
		event_free(st->refresh);
	vmess_authtab_cleanup(&st->legacy);
	vmess_matcher_cleanup(&st->matcher);
	strmap_free(&st->dyn_by_email);
	strmap_free(&st->by_key);
	free(st->drain);
	if (st->replay != NULL && --st->replay->refs == 0) {
		vmess_replay_cleanup(&st->replay->authids);
		vmess_replay_cleanup(&st->replay->sessions);
		free(st->replay);
	}
	if (st->users != NULL)
		OPENSSL_cleanse(st->users, st->nusers * sizeof(*st->users));
	for (size_t i = 0; i < st->ndyn; i++) {
		free(st->dyn[i]->cu.email);
		free(st->dyn[i]);
	}
	free(st->dyn);
	free(st->users);
	free(st->cusers);
	free(st);
	ib->state = NULL;
}

/* Per-server drain constants from the XOR of the users' hashes. */
static void
drain_params(struct vin_state *st)
{
	uint32_t	 acc = 0;
	uint8_t		 r[3];
	size_t		 i;

	for (i = 0; i < st->nusers; i++)
		acc ^= st->drain[i];
	if (st->nusers == 0) {
		vcrypto_random(r, sizeof(r));
		acc = (uint32_t)r[0] << 16 | (uint32_t)r[1] << 8 | r[2];
	}
	st->drain_base = (acc >> 8 & 0xffff) % 3266;
	st->drain_max = (acc & 0xff) % 64 + 1;
}

/* The index key of a configured user: its ID and alterId. */
static void
user_key(const struct conf_user *cu, char out[48])
{
	char	 id[37];

	vmess_uuid_format(cu->uuid, id);
	snprintf(out, 48, "%s:%d", id, cu->alter_id);
}

/* On reload, the state of the inbound this one replaces, if any. */
static struct vin_state *
previous_state(struct inbound_rt *ib)
{
	struct inbound_rt	*old = engine_previous_inbound(ib);

	return old != NULL ? old->state : NULL;
}

/*
 * The configured users. On a reload, a user whose ID and alterId the
 * replaced engine had keeps its derived keys, matcher context, legacy
 * values and place among the recently active; only new users are derived
 * (a SIGHUP that adds one user costs one user).
 */
static int
start_users(struct vin_state *st, struct vin_state *old,
    const struct conf_inbound *ci, int64_t now)
{
	ssize_t		*map = NULL, *src;	/* old -> new, new -> old */
	uint32_t	*j;
	char		 key[48];
	size_t		 i, n = ci->nclients, kept = 0, nids = 0;
	int		 rv = -1;

	src = xcalloc(n ? n : 1, sizeof(*src));
	for (i = 0; i < n; i++)
		src[i] = -1;
	for (i = 0; i < n; i++)
		if (ci->clients[i].alter_id > 0)
			nids += (size_t)ci->clients[i].alter_id + 1;
	if (vmess_authtab_expect(&st->legacy, nids) == -1)
		goto out;
	if (old != NULL) {
		map = xcalloc(old->nusers ? old->nusers : 1, sizeof(*map));
		for (i = 0; i < old->nusers; i++)
			map[i] = -1;
		for (i = 0; i < n; i++) {
			user_key(&ci->clients[i], key);
			if ((j = strmap_get(&old->by_key, key)) != NULL &&
			    *j < old->nusers && map[*j] == -1) {
				map[*j] = (ssize_t)i;
				src[i] = (ssize_t)*j;
				kept++;
			}
		}
		if (vmess_authtab_adopt(&st->legacy, &old->legacy, map,
		    old->nusers) == -1)
			goto out;
	}
	for (i = 0; i < n; i++) {
		user_key(&ci->clients[i], key);
		if (strmap_add(&st->by_key, key, (uint32_t)i) == -1)
			goto out;
		if (src[i] < 0) {
			if (add_user(st, i, &ci->clients[i], now) == -1)
				goto out;
			continue;
		}
		st->cusers[i] = &ci->clients[i];
		st->users[i] = old->users[src[i]];
		st->drain[i] = old->drain[src[i]];
		if (vmess_matcher_adopt(&st->matcher, &old->matcher,
		    (size_t)src[i]) == -1)
			goto out;
	}
	if (old != NULL) {
		vmess_matcher_adopt_recent(&st->matcher, &old->matcher, map,
		    old->nusers);
		log_info("vmess: reload kept the keys of %zu users, derived %zu",
		    kept, n - kept);
	}
	rv = 0;
 out:
	free(map);
	free(src);
	return rv;
}

static int
vin_start(struct inbound_rt *ib, char *err, size_t errlen)
{
	const struct conf_inbound	*ci = ib->c;
	struct vin_state		*st = xcalloc(1, sizeof(*st)), *old;
	struct timeval			 tv = { VMESS_LEGACY_REFRESH, 0 };
	int64_t				 now = (int64_t)time(NULL);

	ib->state = st;
	st->nusers = st->ualloc = ci->nclients;
	st->users = xcalloc(st->nusers ? st->nusers : 1, sizeof(*st->users));
	st->cusers = xcalloc(st->nusers ? st->nusers : 1, sizeof(*st->cusers));
	st->drain = xcalloc(st->nusers ? st->nusers : 1, sizeof(*st->drain));
	vmess_matcher_init(&st->matcher);
	if ((old = previous_state(ib)) != NULL) {
		st->replay = old->replay;
		st->replay->refs++;
	} else {
		st->replay = xcalloc(1, sizeof(*st->replay));
		st->replay->refs = 1;
		if (vmess_replay_init(&st->replay->authids, 16, REPLAY_MAX) ==
		    -1 || vmess_replay_init(&st->replay->sessions, 48,
		    REPLAY_MAX) == -1)
			goto fail;
	}
	if (vmess_authtab_init(&st->legacy) == -1 ||
	    start_users(st, old, ci, now) == -1)
		goto fail;
	st->srv.matcher = &st->matcher;
	st->srv.users = st->users;
	st->srv.nusers = st->nusers;
	st->srv.legacy = &st->legacy;
	st->srv.authids = &st->replay->authids;
	st->srv.sessions = &st->replay->sessions;
	drain_params(st);
	st->refresh = event_new(ib->eng->base, -1, EV_PERSIST, refresh_cb, st);
	event_add(st->refresh, &tv);
	return 0;
 fail:
	snprintf(err, errlen, "vmess: cannot set up the users");
	vin_stop(ib);
	return -1;
}

const struct inbound_ops vmess_inbound_ops = {
	.name = "vmess",
	.proto = CONF_PROTO_VMESS,
	.tcp = true,
	.start = vin_start,
	.stop = vin_stop,
	.accept = vin_accept,
};
