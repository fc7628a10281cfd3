/* SPDX-License-Identifier: MIT */
/*
 * test_kcp_conn.c: the mKCP session state machine over a simulated lossy
 * link with a fake clock, and the libevent layer echoing on loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "conf/conf.h"
#include "kcp/kcp_conn.h"
#include "kcp/kcp_packet.h"
#include "kcp/kcp_udp.h"

#ifndef SRCDIR
#define SRCDIR "."
#endif

#define T0		1000000ull	/* fake clock start, ms */
#define MIB		(1024 * 1024)
#define MAXPKT		65536
#define MAXLOG		8192

/* ------------------------------------------------------------ harness */

struct sim_pkt {
	uint64_t	 at;
	int		 to;
	size_t		 len;
	uint8_t		 data[KCP_RECV_BUF_SIZE];
};

struct sim_log {			/* what a side sent, decoded */
	uint64_t	 at;
	uint8_t		 cmd;
	uint8_t		 opt;
	uint32_t	 num;		/* DATA num */
	uint32_t	 rcv_next;	/* ACK/CMD */
	uint32_t	 rcv_wnd;
	uint8_t		 count;
	uint32_t	 first;		/* ACK nums[0] */
};

struct sim;

struct sim_side {
	struct sim	*sim;
	int		 idx;
	struct sim_log	 log[MAXLOG];
	size_t		 nlog;
};

struct sim {
	struct kcp_conn	*c[2];
	struct sim_side	 side[2];
	uint64_t	 now;
	struct sim_pkt	*pkts;
	size_t		 npkts;
	uint32_t	 rng;
	unsigned	 loss;		/* percent, each way */
	unsigned	 dup;		/* percent */
	unsigned	 dmin, dmax;	/* one-way delay range, ms */
	int		 link_up;
	uint64_t	 sent_pkts;
};

static uint32_t
sim_rand(struct sim *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 17;
	s->rng ^= s->rng << 5;
	return s->rng;
}

static void
sim_enqueue(struct sim *s, int to, const uint8_t *p, size_t len)
{
	struct sim_pkt	*k;
	unsigned	 span = s->dmax - s->dmin + 1;

	if (s->npkts == MAXPKT)
		return;
	k = &s->pkts[s->npkts++];
	/* Random delays reorder packets. */
	k->at = s->now + s->dmin + sim_rand(s) % span;
	k->to = to;
	k->len = len;
	memcpy(k->data, p, len);
}

static int
sim_output(void *arg, const uint8_t *seg, size_t len)
{
	struct sim_side		*sd = arg;
	struct sim		*s = sd->sim;
	struct kcp_segment	 d;
	struct sim_log		*l;
	const char		*errstr;

	assert_true(len <= KCP_RECV_BUF_SIZE);
	assert_true(kcp_segment_decode(seg, len, &d, &errstr) ==
	    (ssize_t)len);
	if (sd->nlog < MAXLOG) {
		l = &sd->log[sd->nlog++];
		l->at = s->now;
		l->cmd = d.cmd;
		l->opt = d.opt;
		l->num = d.num;
		l->rcv_next = d.rcv_next;
		l->rcv_wnd = d.rcv_wnd;
		l->count = d.count;
		l->first = d.count > 0 ? d.nums[0] : 0;
	}
	s->sent_pkts++;
	if (!s->link_up || sim_rand(s) % 100 < s->loss)
		return 0;
	sim_enqueue(s, 1 - sd->idx, seg, len);
	if (sim_rand(s) % 100 < s->dup)
		sim_enqueue(s, 1 - sd->idx, seg, len);
	return 0;
}

static struct kcp_conn_config
sim_config(void)
{
	struct kcp_conn_config	 cc;

	/* Defaults: mtu 1350, tti 50, 5/20 MB/s, 2 MiB, no header/seed. */
	kcp_conn_config_init(&cc, 1350, 50, 5, 20, 2 * MIB, 0, 1326);
	return cc;
}

static struct sim *
sim_new(uint32_t seed, unsigned loss, unsigned dup, unsigned dmin,
    unsigned dmax, const struct kcp_conn_config *cc)
{
	struct sim	*s = calloc(1, sizeof(*s));
	int		 i;

	assert_non_null(s);
	s->pkts = calloc(MAXPKT, sizeof(*s->pkts));
	assert_non_null(s->pkts);
	s->rng = seed;
	s->loss = loss;
	s->dup = dup;
	s->dmin = dmin;
	s->dmax = dmax;
	s->link_up = 1;
	s->now = T0;
	for (i = 0; i < 2; i++) {
		s->side[i].sim = s;
		s->side[i].idx = i;
		s->c[i] = kcp_conn_new(4242, cc, T0, sim_output, &s->side[i]);
		assert_non_null(s->c[i]);
	}
	return s;
}

static void
sim_free(struct sim *s)
{
	kcp_conn_free(s->c[0]);
	kcp_conn_free(s->c[1]);
	free(s->pkts);
	free(s);
}

/* Deliver due packets in arrival order, then run due timers. */
static void
sim_step(struct sim *s)
{
	size_t		 i, best;
	int		 found;

	do {
		found = 0;
		best = 0;
		for (i = 0; i < s->npkts; i++) {
			if (s->pkts[i].at <= s->now &&
			    (!found || s->pkts[i].at < s->pkts[best].at)) {
				best = i;
				found = 1;
			}
		}
		if (found) {
			struct sim_pkt	*k = &s->pkts[best];

			if (s->c[k->to] != NULL)
				(void)kcp_conn_input(s->c[k->to], k->data,
				    k->len, s->now);
			s->pkts[best] = s->pkts[--s->npkts];
		}
	} while (found);
	for (i = 0; i < 2; i++)
		if (s->c[i] != NULL)
			kcp_conn_run(s->c[i], s->now);
}

/* Move the clock to the next packet or timer (at least 1 ms on). */
static void
sim_advance(struct sim *s)
{
	uint64_t	 next = s->now + 1000;
	size_t		 i;
	int		 k;

	for (i = 0; i < s->npkts; i++)
		if (s->pkts[i].at < next)
			next = s->pkts[i].at;
	for (k = 0; k < 2; k++)
		if (s->c[k] != NULL && kcp_conn_next_timer(s->c[k]) < next)
			next = kcp_conn_next_timer(s->c[k]);
	s->now = next > s->now ? next : s->now + 1;
}

static uint8_t
pattern(uint64_t i, unsigned salt)
{
	return (uint8_t)(((i + salt) * 2654435761u) >> 13);
}

struct flow {
	size_t	 total;
	size_t	 sent;
	size_t	 got;
	int	 bad;
	unsigned salt;
};

static void
flow_pump(struct sim *s, int from, struct flow *f)
{
	uint8_t		 buf[8192];
	size_t		 n, i;
	ssize_t		 r;

	while (f->sent < f->total) {
		n = f->total - f->sent < sizeof(buf) ? f->total - f->sent :
		    sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(f->sent + i, f->salt);
		r = kcp_conn_send(s->c[from], buf, n, s->now);
		assert_true(r >= 0);
		f->sent += (size_t)r;
		if ((size_t)r < n)
			break;
	}
	while ((n = kcp_conn_recv(s->c[1 - from], buf, sizeof(buf),
	    s->now)) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(f->got + i, f->salt))
				f->bad = 1;
		f->got += n;
	}
}

static size_t
count_cmd(const struct sim_side *sd, uint8_t cmd, uint64_t from,
    uint64_t to)
{
	size_t	 i, n = 0;

	for (i = 0; i < sd->nlog; i++)
		if (sd->log[i].cmd == cmd && sd->log[i].at >= from &&
		    sd->log[i].at < to)
			n++;
	return n;
}

/* -------------------------------------------------------------- tests */

static void
lossy_transfer(uint32_t seed, unsigned loss, unsigned dup, int congestion)
{
	struct kcp_conn_config	 cc = sim_config();
	struct sim		*s;
	struct flow		 up = { MIB, 0, 0, 0, 1 };
	struct flow		 down = { MIB, 0, 0, 0, 77 };
	uint64_t		 deadline;

	cc.cc_congestion = congestion;
	s = sim_new(seed, loss, dup, 5, 40, &cc);
	deadline = T0 + 600000;
	while (s->now < deadline && (up.got < up.total ||
	    down.got < down.total)) {
		flow_pump(s, 0, &up);
		flow_pump(s, 1, &down);
		sim_step(s);
		sim_advance(s);
	}
	assert_int_equal(up.got, MIB);
	assert_int_equal(down.got, MIB);
	assert_false(up.bad);
	assert_false(down.bad);
	/* Loss was real and was repaired by retransmission. */
	if (loss > 0) {
		assert_true(kcp_conn_stats(s->c[0])->cs_retrans > 0);
		assert_true(kcp_conn_stats(s->c[1])->cs_retrans > 0);
	}

	/* Close from 0, then 1 closes on EOF: both must end Terminated. */
	kcp_conn_close(s->c[0], s->now);
	deadline = s->now + 120000;
	while (s->now < deadline &&
	    (kcp_conn_state(s->c[0]) != KCP_STATE_TERMINATED ||
	    kcp_conn_state(s->c[1]) != KCP_STATE_TERMINATED)) {
		if (kcp_conn_eof(s->c[1]))
			kcp_conn_close(s->c[1], s->now);
		sim_step(s);
		sim_advance(s);
	}
	assert_int_equal(kcp_conn_state(s->c[0]), KCP_STATE_TERMINATED);
	assert_int_equal(kcp_conn_state(s->c[1]), KCP_STATE_TERMINATED);
	sim_free(s);
}

static void
test_kcp_conn_lossy_transfer(void **state)
{
	/* 10% loss each way, 3% duplicates, 5-40 ms jitter (reordering). */
	lossy_transfer(0x1234567u, 10, 3, 0);
}

static void
test_kcp_conn_lossy_transfer_congestion(void **state)
{
	lossy_transfer(0xBEEFu, 10, 5, 1);
}

static void
test_kcp_conn_clean_transfer(void **state)
{
	lossy_transfer(99, 0, 0, 0);
}

/*
 * §6 "client closes first with an empty queue": Terminating at the next
 * flush with a TERMINATE; the peer goes PeerTerminating, reads EOF, and
 * its own close makes it Terminated at once and silent. The closer sends
 * TERMINATE at about +0, +5, +10 s and is Terminated after > 8 s.
 */
static void
test_kcp_conn_close_handshake(void **state)
{
	struct kcp_conn_config	 cc = sim_config();
	struct sim		*s = sim_new(7, 0, 0, 10, 10, &cc);
	uint8_t			 buf[64];
	uint64_t		 t_close, t_term = 0, t_peer_done = 0;
	size_t			 peer_sent = 0, i;

	assert_int_equal(kcp_conn_send(s->c[0], "hello", 5, s->now), 5);
	while (s->now < T0 + 1000) {
		sim_step(s);
		sim_advance(s);
	}
	assert_int_equal(kcp_conn_recv(s->c[1], buf, sizeof(buf), s->now), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_false(kcp_conn_eof(s->c[1]));
	/* Let the final ACK/PING settle. */
	while (s->now < T0 + 2000) {
		sim_step(s);
		sim_advance(s);
	}
	assert_int_equal(kcp_conn_send_pending(s->c[0]), 0);

	t_close = s->now;
	kcp_conn_close(s->c[0], s->now);
	assert_int_equal(kcp_conn_state(s->c[0]), KCP_STATE_READY_TO_CLOSE);
	assert_int_equal(kcp_conn_send(s->c[0], "x", 1, s->now), -1);
	while (s->now < t_close + 20000) {
		sim_step(s);
		if (t_peer_done == 0 && kcp_conn_eof(s->c[1])) {
			assert_int_equal(kcp_conn_state(s->c[1]),
			    KCP_STATE_PEER_TERMINATING);
			t_peer_done = s->now;
			peer_sent = s->side[1].nlog;
			kcp_conn_close(s->c[1], s->now);
			assert_int_equal(kcp_conn_state(s->c[1]),
			    KCP_STATE_TERMINATED);
		}
		if (t_term == 0 &&
		    kcp_conn_state(s->c[0]) == KCP_STATE_TERMINATED)
			t_term = s->now;
		sim_advance(s);
	}
	/* The first TERMINATE went out in the close's own flush. */
	assert_int_equal(count_cmd(&s->side[0], KCP_CMD_TERMINATE, t_close,
	    t_close + 1), 1);
	assert_true(t_peer_done > 0 && t_peer_done <= t_close + 100);
	assert_int_equal(s->side[1].nlog, peer_sent);
	/* Later TERMINATEs ride the 5 s housekeeping tick only. */
	for (i = 0; i < s->side[0].nlog; i++)
		if (s->side[0].log[i].cmd == KCP_CMD_TERMINATE &&
		    s->side[0].log[i].at != t_close)
			assert_int_equal((s->side[0].log[i].at - T0) % 5000, 0);
	assert_true(t_term > t_close + 8000 && t_term <= t_close + 13000);
	assert_int_equal((t_term - T0) % 5000, 0);
	assert_int_equal(count_cmd(&s->side[0], KCP_CMD_TERMINATE, t_close,
	    t_term + 1), 1 + (t_term - t_close) / 5000 +
	    ((t_term - t_close) % 5000 != 0));
	sim_free(s);
}

/*
 * A peer's Close bit is not EOF (§6): PeerClosed discards the send queue
 * and refuses writes, reads continue; then TERMINATE gives EOF.
 */
static void
test_kcp_conn_peer_close_bit(void **state)
{
	struct kcp_conn_config	 cc = sim_config();
	struct sim		*s = sim_new(11, 0, 0, 10, 10, &cc);
	uint8_t			 big[4000], buf[64];

	memset(big, 'a', sizeof(big));
	s->link_up = 0;			/* keep 1's data unacknowledged */
	assert_int_equal(kcp_conn_send(s->c[1], big, sizeof(big), s->now),
	    sizeof(big));
	kcp_conn_run(s->c[1], s->now);
	assert_int_equal(kcp_conn_send_pending(s->c[1]), 4);
	s->link_up = 1;
	assert_int_equal(kcp_conn_send(s->c[0], "bye", 3, s->now), 3);
	kcp_conn_close(s->c[0], s->now);
	kcp_conn_run(s->c[0], s->now);	/* DATA with opt = 1 */
	assert_int_equal(s->side[0].log[0].cmd, KCP_CMD_DATA);
	assert_int_equal(s->side[0].log[0].opt, KCP_OPT_CLOSE);
	s->now += 10;
	sim_step(s);
	assert_int_equal(kcp_conn_state(s->c[1]), KCP_STATE_PEER_CLOSED);
	assert_int_equal(kcp_conn_send_pending(s->c[1]), 0);
	assert_int_equal(kcp_conn_send(s->c[1], "z", 1, s->now), -1);
	assert_false(kcp_conn_eof(s->c[1]));
	assert_int_equal(kcp_conn_recv(s->c[1], buf, sizeof(buf), s->now), 3);
	while (!kcp_conn_eof(s->c[1]) && s->now < T0 + 30000) {
		sim_step(s);
		sim_advance(s);
	}
	assert_true(kcp_conn_eof(s->c[1]));
	sim_free(s);
}

/*
 * §6: with no input the session pings at 5..30 s, closes at the 35 s tick
 * (TERMINATE at 35, 40, 45 s) and is Terminated at the 45 s tick.
 */
static void
test_kcp_conn_idle_timeout(void **state)
{
	struct kcp_conn_config	 cc = sim_config();
	struct sim		*s = sim_new(3, 0, 0, 1, 1, &cc);
	struct sim_side		*sd = &s->side[0];
	uint64_t		 t_term = 0;
	size_t			 i;

	struct kcp_segment	 ping;
	uint8_t			 buf[64];
	ssize_t			 n;

	kcp_conn_free(s->c[1]);
	s->c[1] = NULL;
	s->link_up = 0;
	/* One input just after creation, as on a real connection. */
	memset(&ping, 0, sizeof(ping));
	ping.conv = 4242;
	ping.cmd = KCP_CMD_PING;
	n = kcp_segment_encode(&ping, buf, sizeof(buf));
	s->now = T0 + 100;
	assert_int_equal(kcp_conn_input(s->c[0], buf, (size_t)n, s->now), 1);
	while (s->now < T0 + 60000) {
		sim_step(s);
		if (t_term == 0 &&
		    kcp_conn_state(s->c[0]) == KCP_STATE_TERMINATED)
			t_term = s->now;
		sim_advance(s);
	}
	assert_int_equal(count_cmd(sd, KCP_CMD_PING, T0, T0 + 60000), 6);
	assert_int_equal(count_cmd(sd, KCP_CMD_TERMINATE, T0, T0 + 60000), 3);
	for (i = 0; i < 6; i++) {
		assert_int_equal(sd->log[i].cmd, KCP_CMD_PING);
		assert_int_equal(sd->log[i].at, T0 + 5000 * (i + 1));
		assert_int_equal(sd->log[i].opt, 0);
	}
	for (i = 6; i < 9; i++) {
		assert_int_equal(sd->log[i].cmd, KCP_CMD_TERMINATE);
		assert_int_equal(sd->log[i].at, T0 + 5000 * (i + 1));
	}
	assert_int_equal(t_term, T0 + 45000);
	assert_true(kcp_conn_eof(s->c[0]));
	sim_free(s);
}

/* Input keeps the session alive; garbage does not. */
static void
test_kcp_conn_garbage_refused(void **state)
{
	struct kcp_conn_config	 cc = sim_config();
	struct sim		*s = sim_new(5, 0, 0, 1, 1, &cc);
	struct kcp_conn		*c = s->c[0];
	uint8_t			 junk[3] = { 0x10, 0x92, 0x01 };
	uint8_t			 seg[64], rnd[2048];
	struct kcp_segment	 ping;
	ssize_t			 n;
	size_t			 i, k;
	uint64_t		 t;

	s->link_up = 0;
	assert_int_equal(kcp_conn_input(c, junk, sizeof(junk), s->now), -1);
	assert_int_equal(kcp_conn_input(c, junk, 0, s->now), -1);
	/* DATA header one byte short: V2Ray's 15-byte rule. */
	memset(seg, 0, sizeof(seg));
	seg[0] = 0x10;
	seg[1] = 0x92;
	seg[2] = KCP_CMD_DATA;
	assert_int_equal(kcp_conn_input(c, seg, 18, s->now), -1);
	assert_int_equal(kcp_conn_stats(c)->cs_bad_input, 3);

	/* A well-formed PING of another conv parses but is not ours. */
	memset(&ping, 0, sizeof(ping));
	ping.conv = 1;
	ping.cmd = KCP_CMD_PING;
	n = kcp_segment_encode(&ping, seg, sizeof(seg));
	assert_int_equal(n, KCP_SEG_CMD_SIZE);
	assert_int_equal(kcp_conn_input(c, seg, (size_t)n, s->now), 0);

	/* Random garbage for 40 s: the idle close still happens. */
	for (t = 0; t < 40000; t += 100) {
		s->now = T0 + t;
		for (k = 0; k < sizeof(rnd); k++)
			rnd[k] = (uint8_t)sim_rand(s);
		rnd[0] = 0xff;		/* never our conv (4242 = 0x1092) */
		(void)kcp_conn_input(c, rnd, 1 + sim_rand(s) % 3, s->now);
		kcp_conn_run(c, s->now);
	}
	assert_int_not_equal(kcp_conn_state(c), KCP_STATE_ACTIVE);
	for (i = 0; i < s->side[0].nlog; i++)
		assert_int_not_equal(s->side[0].log[i].cmd, KCP_CMD_DATA);
	sim_free(s);
}

/* Hostile segments of our own conv: no crash, bounded state (ASan). */
static void
test_kcp_conn_hostile_segments(void **state)
{
	struct kcp_conn_config	 cc = sim_config();
	struct sim		*s = sim_new(17, 0, 0, 1, 1, &cc);
	struct kcp_conn		*c = s->c[0];
	struct kcp_segment	 seg;
	uint8_t			 buf[2048], pay[600];
	ssize_t			 n;
	int			 i, k;

	s->link_up = 0;
	memset(pay, 'p', sizeof(pay));
	assert_int_equal(kcp_conn_send(c, pay, sizeof(pay), s->now), 600);
	for (i = 0; i < 20000; i++) {
		memset(&seg, 0, sizeof(seg));
		seg.conv = 4242;
		seg.cmd = (uint8_t)(sim_rand(s) % 64 == 0 ? 2 + sim_rand(s) % 3 :
		    sim_rand(s) % 2);
		seg.opt = (uint8_t)(sim_rand(s) % 64 == 0);
		seg.ts = sim_rand(s);
		seg.num = sim_rand(s) % 4 ? sim_rand(s) % 1000 : sim_rand(s);
		seg.snd_next = sim_rand(s) % 3 ? 0 : sim_rand(s);
		seg.rcv_next = sim_rand(s) % 3 ? 0 : sim_rand(s);
		seg.rcv_wnd = sim_rand(s);
		seg.peer_rto = sim_rand(s);
		seg.data = pay;
		seg.data_len = (uint16_t)(sim_rand(s) % sizeof(pay));
		seg.count = (uint8_t)(sim_rand(s) % (KCP_ACK_MAX_NUMS + 1));
		for (k = 0; k < seg.count; k++)
			seg.nums[k] = sim_rand(s) % 64;
		n = kcp_segment_encode(&seg, buf, sizeof(buf));
		assert_true(n > 0);
		(void)kcp_conn_input(c, buf, (size_t)n, s->now);
		if (i % 7 == 0)
			(void)kcp_conn_recv(c, buf, sizeof(buf), s->now);
		if (i % 13 == 0)
			(void)kcp_conn_send(c, pay, sizeof(pay), s->now);
		s->now += sim_rand(s) % 50;
		kcp_conn_run(c, s->now);
		if (kcp_conn_state(c) == KCP_STATE_TERMINATED) {
			kcp_conn_free(c);
			c = s->c[0] = kcp_conn_new(4242, &cc, s->now,
			    sim_output, &s->side[0]);
			assert_non_null(c);
			(void)kcp_conn_send(c, pay, sizeof(pay), s->now);
		}
		/* Every ACK stays within V2Ray's 128 numbers. */
		assert_true(s->side[0].nlog == 0 ||
		    s->side[0].log[s->side[0].nlog - 1].count <=
		    KCP_ACK_MAX_NUMS);
		s->side[0].nlog = 0;
	}
	sim_free(s);
}

/*
 * §7 receiver: DATA beyond rcv_next + RecvInFlight is dropped without an
 * ACK; rcv_next (and the advertised window) moves only when the app
 * consumes; numbers are re-acked until the peer's snd_next passes them.
 */
static void
test_kcp_conn_receive_window(void **state)
{
	struct kcp_conn_config	 cc;
	struct sim		*s;
	struct kcp_conn		*c;
	struct kcp_segment	 seg;
	struct sim_log		*l;
	uint8_t			 buf[2048];
	ssize_t			 n;
	size_t			 i, acks;

	kcp_conn_config_init(&cc, 1350, 50, 5, 0, 2 * MIB, 0, 1326);
	assert_int_equal(cc.cc_recv_in_flight, 8);
	s = sim_new(23, 0, 0, 1, 1, &cc);
	c = s->c[1];
	s->link_up = 0;
	memset(&seg, 0, sizeof(seg));
	seg.conv = 4242;
	seg.cmd = KCP_CMD_DATA;
	seg.data = (const uint8_t *)"0123456789";
	seg.data_len = 10;
	for (i = 0; i < 9; i++) {	/* 0..7 fit, 8 does not */
		seg.num = (uint32_t)i;
		seg.ts = 100 + (uint32_t)i;
		n = kcp_segment_encode(&seg, buf, sizeof(buf));
		assert_int_equal(kcp_conn_input(c, buf, (size_t)n, s->now), 1);
	}
	assert_int_equal(kcp_conn_stats(c)->cs_data_in, 8);
	assert_int_equal(kcp_conn_stats(c)->cs_data_dropped, 1);
	kcp_conn_run(c, s->now);
	l = &s->side[1].log[0];
	assert_int_equal(s->side[1].nlog, 1);
	assert_int_equal(l->cmd, KCP_CMD_ACK);
	assert_int_equal(l->count, 8);
	assert_int_equal(l->rcv_next, 0);
	assert_int_equal(l->rcv_wnd, 8);
	assert_int_equal(kcp_conn_readable(c), 80);

	/* Not consumed: the window stays; consume 3 segments and a half. */
	assert_int_equal(kcp_conn_recv(c, buf, 35, s->now), 35);
	s->now += 60;
	kcp_conn_run(c, s->now);
	l = &s->side[1].log[s->side[1].nlog - 1];
	assert_int_equal(l->rcv_next, 3);
	assert_int_equal(l->rcv_wnd, 11);

	/* Re-acks keep coming while the peer's snd_next stays at 0. */
	for (i = 0; i < 40; i++) {
		s->now += 50;
		kcp_conn_run(c, s->now);
	}
	for (i = 0, acks = 0; i < s->side[1].nlog; i++)
		if (s->side[1].log[i].cmd == KCP_CMD_ACK &&
		    s->side[1].log[i].count > 0)
			acks++;
	assert_true(acks >= 10);
	/* A PING with snd_next 8 clears the list: one empty ACK, then quiet. */
	memset(&seg, 0, sizeof(seg));
	seg.conv = 4242;
	seg.cmd = KCP_CMD_PING;
	seg.snd_next = 8;
	n = kcp_segment_encode(&seg, buf, sizeof(buf));
	assert_int_equal(kcp_conn_input(c, buf, (size_t)n, s->now), 1);
	/*
	 * The data tick stops with the list empty (shouldContinue); the
	 * next 5 s tick's flush carries the empty ACK with the new window.
	 */
	s->side[1].nlog = 0;
	for (i = 0; i < 200; i++) {
		s->now += 50;
		kcp_conn_run(c, s->now);
	}
	assert_int_equal(count_cmd(&s->side[1], KCP_CMD_ACK, 0, UINT64_MAX),
	    1);
	for (i = 0; i < s->side[1].nlog; i++) {
		if (s->side[1].log[i].cmd != KCP_CMD_ACK)
			continue;
		assert_int_equal(s->side[1].log[i].count, 0);
		assert_int_equal(s->side[1].log[i].rcv_next, 3);
		assert_int_equal(s->side[1].log[i].rcv_wnd, 11);
		/* Steps are 50 ms, so "at the tick" means within one. */
		assert_true((s->side[1].log[i].at - T0) % 5000 < 50);
	}
	sim_free(s);
}

/* The send queue takes SendQueueCap + 1 segments, then refuses. */
static void
test_kcp_conn_send_queue_cap(void **state)
{
	struct kcp_conn_config	 cc;
	struct sim		*s;
	uint8_t			 buf[1326 * 50];
	ssize_t			 r;

	/* writeBufferSize 0 -> 512 KiB / 1350 = 388 segments. */
	kcp_conn_config_init(&cc, 1350, 50, 5, 20, kcp_buffer_bytes(0), 0,
	    1326);
	assert_int_equal(cc.cc_send_queue_cap, 388);
	s = sim_new(29, 0, 0, 1, 1, &cc);
	s->link_up = 0;
	memset(buf, 1, sizeof(buf));
	r = 0;
	while (kcp_conn_writable(s->c[0]))
		r += kcp_conn_send(s->c[0], buf, sizeof(buf), s->now);
	assert_int_equal(kcp_conn_send_pending(s->c[0]), 389);
	assert_int_equal(r, 389 * 1326);
	assert_int_equal(kcp_conn_send(s->c[0], buf, 10, s->now), 0);
	/*
	 * V2Ray would send min(32, 194) x 20 = 640 >= 389 at once; we stop
	 * at the peer's initial window of 32 plus the one probe past it.
	 */
	kcp_conn_run(s->c[0], s->now);
	assert_true(kcp_conn_stats(s->c[0])->cs_data_out <= 33);
	s->now += 2;
	kcp_conn_run(s->c[0], s->now);
	assert_int_equal(kcp_conn_stats(s->c[0])->cs_data_out, 33);
	assert_int_equal(s->side[0].log[32].num, 32);
	sim_free(s);
}

static void
ack_in(struct kcp_conn *c, uint64_t now, uint32_t rcv_wnd, uint32_t ts,
    const uint32_t *nums, uint8_t count)
{
	struct kcp_segment	 seg;
	uint8_t			 buf[2048];
	ssize_t			 n;

	memset(&seg, 0, sizeof(seg));
	seg.conv = 4242;
	seg.cmd = KCP_CMD_ACK;
	seg.rcv_wnd = rcv_wnd;
	seg.ts = ts;
	seg.count = count;
	if (count > 0)
		memcpy(seg.nums, nums, count * sizeof(*nums));
	n = kcp_segment_encode(&seg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(kcp_conn_input(c, buf, (size_t)n, now), 1);
}

/*
 * Ours, not V2Ray's (the wire is the same): DATA stays inside the peer's
 * advertised window apart from one probe, goes in bursts of at most 32
 * spaced 2 ms apart, and a window that opens is used at once.
 */
static void
test_kcp_conn_window_paced(void **state)
{
	struct kcp_conn_config	 cc = sim_config();
	struct sim		*s = sim_new(31, 0, 0, 1, 1, &cc);
	uint8_t			 buf[1326 * 200];
	uint64_t		 t0;
	size_t			 i, n;
	uint32_t		 maxnum = 0;

	s->link_up = 0;
	memset(buf, 2, sizeof(buf));
	assert_int_equal(kcp_conn_send(s->c[0], buf, sizeof(buf), s->now),
	    (ssize_t)sizeof(buf));
	kcp_conn_run(s->c[0], s->now);
	s->now += 2;
	kcp_conn_run(s->c[0], s->now);
	assert_int_equal(s->side[0].nlog, 33);

	/* The window opens to 100 mid-tick: sent now, 32 at a time. */
	s->now += 5;
	t0 = s->now;
	ack_in(s->c[0], s->now, 100, 0, NULL, 0);
	s->side[0].nlog = 0;
	while (s->now < t0 + 40) {
		kcp_conn_run(s->c[0], s->now);
		s->now++;
	}
	n = s->side[0].nlog;
	for (i = 0; i < n; i++) {
		assert_int_equal(s->side[0].log[i].cmd, KCP_CMD_DATA);
		if (s->side[0].log[i].num > maxnum)
			maxnum = s->side[0].log[i].num;
		/* Burst size: at most KCP_CONN_BURST in any one ms. */
		if (i >= KCP_CONN_BURST)
			assert_true(s->side[0].log[i].at >
			    s->side[0].log[i - KCP_CONN_BURST].at);
	}
	/* 33..99 in the window, then the probe 100; nothing beyond. */
	assert_int_equal(maxnum, 100);
	assert_int_equal(n, 100 - 33 + 1);
	assert_int_equal(s->side[0].log[0].at, t0);
	assert_true(s->side[0].log[n - 1].at <= t0 + 6);
	sim_free(s);
}

/*
 * An ACK for segments sent well after earlier unacked ones marks those
 * lost at once: they go again now, not an rto later (V2Ray would only
 * pull their timeout in by rto/3).
 */
static void
test_kcp_conn_fast_retransmit(void **state)
{
	struct kcp_conn_config	 cc = sim_config();
	struct sim		*s = sim_new(37, 0, 0, 1, 1, &cc);
	uint8_t			 buf[1326 * 5];
	uint32_t		 late[5] = { 5, 6, 7, 8, 9 };
	size_t			 i;

	s->link_up = 0;
	memset(buf, 3, sizeof(buf));
	assert_int_equal(kcp_conn_send(s->c[0], buf, sizeof(buf), s->now),
	    (ssize_t)sizeof(buf));
	kcp_conn_run(s->c[0], s->now);		/* 0..4 at +0 */
	s->now += 30;
	assert_int_equal(kcp_conn_send(s->c[0], buf, sizeof(buf), s->now),
	    (ssize_t)sizeof(buf));
	kcp_conn_run(s->c[0], s->now);		/* 5..9 at +30 */
	assert_int_equal(kcp_conn_stats(s->c[0])->cs_data_out, 10);
	assert_int_equal(kcp_conn_stats(s->c[0])->cs_retrans, 0);

	/* 5..9 acked 15 ms later: 0..4, 30 ms older, are lost. */
	s->now += 15;
	s->side[0].nlog = 0;
	ack_in(s->c[0], s->now, 1000, 30, late, 5);
	kcp_conn_run(s->c[0], s->now);
	assert_int_equal(kcp_conn_stats(s->c[0])->cs_retrans, 5);
	assert_int_equal(kcp_conn_send_pending(s->c[0]), 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(s->side[0].log[i].cmd, KCP_CMD_DATA);
		assert_int_equal(s->side[0].log[i].num, i);
	}

	/* Acked segments sent at the same time as the rest prove nothing. */
	sim_free(s);
	s = sim_new(41, 0, 0, 1, 1, &cc);
	s->link_up = 0;
	assert_int_equal(kcp_conn_send(s->c[0], buf, sizeof(buf), s->now),
	    (ssize_t)sizeof(buf));
	kcp_conn_run(s->c[0], s->now);
	s->now += 15;
	ack_in(s->c[0], s->now, 1000, 0, late + 2, 1);	/* num 7: none */
	late[0] = 3;
	late[1] = 4;
	ack_in(s->c[0], s->now, 1000, 0, late, 2);
	kcp_conn_run(s->c[0], s->now);
	assert_int_equal(kcp_conn_stats(s->c[0])->cs_retrans, 0);
	assert_int_equal(kcp_conn_send_pending(s->c[0]), 3);
	sim_free(s);
}

/* New DATA is acked within 2 ms even while the TTI tick is running. */
static void
test_kcp_conn_prompt_ack(void **state)
{
	struct kcp_conn_config	 cc = sim_config();
	struct sim		*s = sim_new(43, 0, 0, 1, 1, &cc);
	struct kcp_conn		*c = s->c[1];
	struct kcp_segment	 seg;
	uint8_t			 buf[2048];
	ssize_t			 n;
	uint64_t		 t1;
	size_t			 i;

	s->link_up = 0;
	memset(&seg, 0, sizeof(seg));
	seg.conv = 4242;
	seg.cmd = KCP_CMD_DATA;
	seg.data = (const uint8_t *)"abc";
	seg.data_len = 3;
	n = kcp_segment_encode(&seg, buf, sizeof(buf));
	assert_int_equal(kcp_conn_input(c, buf, (size_t)n, s->now), 1);
	kcp_conn_run(c, s->now);
	assert_int_equal(count_cmd(&s->side[1], KCP_CMD_ACK, 0, UINT64_MAX),
	    1);
	s->now += 5;			/* the next tick is 50 ms away */
	seg.num = 1;
	n = kcp_segment_encode(&seg, buf, sizeof(buf));
	assert_int_equal(kcp_conn_input(c, buf, (size_t)n, s->now), 1);
	t1 = s->now;
	for (i = 0; i < 3; i++) {
		kcp_conn_run(c, s->now);
		s->now++;
	}
	assert_int_equal(count_cmd(&s->side[1], KCP_CMD_ACK, t1, t1 + 3), 1);
	assert_int_equal(s->side[1].log[s->side[1].nlog - 1].first, 1);
	sim_free(s);
}

/* ------------------------------------------------- libevent, loopback */

struct echo_ctx {
	struct event_base	*base;
	struct bufferevent	*client;
	size_t			 total;
	size_t			 sent;
	size_t			 got;
	int			 bad;
	int			 client_eof;
	int			 server_eof;
	int			 accepted;
};

static void
echo_fill(struct echo_ctx *e)
{
	uint8_t	 buf[16384];
	size_t	 n, i;

	while (e->sent < e->total && evbuffer_get_length(
	    bufferevent_get_output(e->client)) < 262144) {
		n = e->total - e->sent < sizeof(buf) ? e->total - e->sent :
		    sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(e->sent + i, 5);
		bufferevent_write(e->client, buf, n);
		e->sent += n;
	}
}

static void
echo_client_read(struct bufferevent *bev, void *arg)
{
	struct echo_ctx	*e = arg;
	uint8_t		 buf[16384];
	size_t		 n, i;

	while ((n = bufferevent_read(bev, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(e->got + i, 5))
				e->bad = 1;
		e->got += n;
	}
	if (e->got == e->total && e->sent == e->total)
		kcp_udp_finish(bev);
}

static void
echo_client_write(struct bufferevent *bev, void *arg)
{
	echo_fill(arg);
}

static void
echo_client_event(struct bufferevent *bev, short what, void *arg)
{
	struct echo_ctx	*e = arg;

	if (what & BEV_EVENT_EOF) {
		e->client_eof = 1;
		bufferevent_free(bev);
		e->client = NULL;
	}
}

static void
echo_server_read(struct bufferevent *bev, void *arg)
{
	(void)bufferevent_write_buffer(bev, bufferevent_get_input(bev));
}

static void
echo_server_event(struct bufferevent *bev, short what, void *arg)
{
	struct echo_ctx	*e = arg;

	if (what & BEV_EVENT_EOF) {
		e->server_eof = 1;
		echo_server_read(bev, arg);
		kcp_udp_finish(bev);
		bufferevent_free(bev);
	}
}

static void
echo_accept(struct bufferevent *bev, const struct sockaddr *from,
    socklen_t fromlen, void *arg)
{
	struct echo_ctx	*e = arg;

	e->accepted++;
	bufferevent_setcb(bev, echo_server_read, NULL, echo_server_event, e);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void
echo_watch(evutil_socket_t fd, short what, void *arg)
{
	struct echo_ctx	*e = arg;

	if (e->client_eof && e->server_eof)
		event_base_loopexit(e->base, NULL);
}

static void
udp_echo(const char *header, const char *seed, size_t total)
{
	struct echo_ctx		 e;
	struct conf_kcp		 k;
	struct sockaddr_in	 sin;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	struct kcp_udp_listener	*l;
	struct event		*watch;
	struct timeval		 tv = { 0, 20000 }, lim = { 30, 0 };
	const char		*errstr = NULL;

	memset(&e, 0, sizeof(e));
	memset(&k, 0, sizeof(k));
	k.mtu = 1350;
	k.tti = 20;
	k.uplink_capacity = 5;
	k.downlink_capacity = 20;
	k.write_buffer_size = 2;
	k.header_type = (char *)header;
	k.seed = (char *)seed;
	e.total = total;
	e.base = event_base_new();
	assert_non_null(e.base);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = kcp_udp_listen(e.base, (struct sockaddr *)&sin, sizeof(sin), &k,
	    echo_accept, &e, &errstr);
	assert_non_null(l);
	assert_int_equal(kcp_udp_listener_addr(l, &ss, &sslen), 0);
	e.client = kcp_udp_dial(e.base, (struct sockaddr *)&ss, sslen, &k,
	    &errstr);
	assert_non_null(e.client);
	assert_int_equal(kcp_udp_client_sessions(), 1);
	bufferevent_setcb(e.client, echo_client_read, echo_client_write,
	    echo_client_event, &e);
	bufferevent_enable(e.client, EV_READ | EV_WRITE);
	echo_fill(&e);

	watch = event_new(e.base, -1, EV_PERSIST, echo_watch, &e);
	event_add(watch, &tv);
	event_base_loopexit(e.base, &lim);
	event_base_dispatch(e.base);

	assert_int_equal(e.accepted, 1);
	assert_int_equal(e.got, total);
	assert_false(e.bad);
	assert_true(e.client_eof);
	assert_true(e.server_eof);
	/*
	 * The client closed first: the server got TERMINATE and its app's
	 * close ended it at once; the client waits out Terminating (> 8 s).
	 */
	assert_int_equal(kcp_udp_listener_sessions(l), 0);
	assert_int_equal(kcp_udp_client_sessions(), 1);
	kcp_udp_shutdown();
	assert_int_equal(kcp_udp_client_sessions(), 0);
	kcp_udp_listener_free(l);
	event_free(watch);
	/* Let deferred frees run. */
	event_base_loop(e.base, EVLOOP_NONBLOCK);
	event_base_free(e.base);
}

static void
test_kcp_conn_udp_echo(void **state)
{
	udp_echo("none", NULL, MIB);
}

static void
test_kcp_conn_udp_echo_seed_header(void **state)
{
	udp_echo("wechat-video", "vtools-seed", MIB);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kcp_conn_clean_transfer),
		cmocka_unit_test(test_kcp_conn_lossy_transfer),
		cmocka_unit_test(test_kcp_conn_lossy_transfer_congestion),
		cmocka_unit_test(test_kcp_conn_close_handshake),
		cmocka_unit_test(test_kcp_conn_peer_close_bit),
		cmocka_unit_test(test_kcp_conn_idle_timeout),
		cmocka_unit_test(test_kcp_conn_garbage_refused),
		cmocka_unit_test(test_kcp_conn_hostile_segments),
		cmocka_unit_test(test_kcp_conn_receive_window),
		cmocka_unit_test(test_kcp_conn_send_queue_cap),
		cmocka_unit_test(test_kcp_conn_window_paced),
		cmocka_unit_test(test_kcp_conn_fast_retransmit),
		cmocka_unit_test(test_kcp_conn_prompt_ack),
		cmocka_unit_test(test_kcp_conn_udp_echo),
		cmocka_unit_test(test_kcp_conn_udp_echo_seed_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
