/* SPDX-License-Identifier: MIT */
/*
 * kcp_conn.c: one mKCP session as V2Ray 4.34's Connection, SendingWorker
 * and ReceivingWorker behave (mkcp.md §6-§7), driven by the caller's clock.
 */
#include <stdlib.h>
#include <string.h>

#include "kcp/kcp_conn.h"
#include "kcp/kcp_packet.h"

/* Largest segment we build: DATA with a datagram-sized payload. */
#define KCP_SEG_BUF	(KCP_SEG_DATA_OVERHEAD + KCP_RECV_BUF_SIZE)

/*
 * Sender pacing, ours only (the wire is unchanged): a flush sends at most
 * KCP_CONN_BURST DATA segments, and while more are due another data-only
 * flush follows KCP_CONN_PACE_MS later instead of a TTI later. V2Ray's
 * cwnd x 20 in one go overflows socket buffers on the path (a relay's
 * default 208 KiB holds ~90 datagrams) and turns into loss.
 */
#define KCP_CONN_PACE_MS	2
/*
 * New DATA is acked within this many ms rather than at the next TTI
 * tick: the peer learns of holes and of the moved window sooner. ACKs
 * are still V2Ray's ACKs, only more of them.
 */
#define KCP_CONN_ACK_DELAY_MS	2
/*
 * A segment counts as lost once one sent this much later was acked
 * (RACK-style; at least srtt / 4). A lower bound that jitter can beat
 * only costs a spurious copy.
 */
#define KCP_CONN_REORDER_MS	10

struct kcp_sslot {		/* a send-queue entry, indexed by num */
	uint8_t		*data;
	uint32_t	 ts;
	uint32_t	 timeout;
	uint32_t	 transmit;
	uint16_t	 len;
	uint8_t		 live;
};

struct kcp_rslot {		/* a receive-window entry */
	uint8_t		*data;
	uint16_t	 len;
	uint8_t		 present;
};

struct kcp_conn {
	uint16_t		 conv;
	enum kcp_state		 state;
	uint32_t		 state_since;
	uint64_t		 epoch;
	uint32_t		 last_in;
	uint32_t		 last_cmd;
	struct kcp_rtt		 rtt;
	struct kcp_conn_config	 cfg;
	kcp_conn_output_fn	*out;
	void			*out_arg;
	struct kcp_conn_stats	 st;

	/* Sender. */
	struct kcp_sslot	*sq;
	uint32_t		 sq_size;	/* power of two */
	uint32_t		 sq_span_max;
	uint32_t		 sq_count;	/* live entries */
	uint32_t		 next_num;
	uint32_t		 first_una;
	uint32_t		 remote_wnd;
	uint32_t		 ctrl_wnd;
	uint32_t		 total_in_flight;
	uint32_t		 deliv_ts;	/* newest send time acked */
	int			 deliv_have;
	uint32_t		 deliv_rtt;	/* largest sample of an ACK */
	int			 deliv_rtt_have;
	uint32_t		 x_srtt;	/* our retransmission timer */
	uint32_t		 x_var;
	uint32_t		 x_min;		/* smallest RTT seen */
	int			 x_have;
	int			 una_changed;
	int			 write_closed;

	/* Receiver. */
	struct kcp_rslot	*rq;		/* cc_recv_in_flight slots */
	uint32_t		 rq_head;	/* slot of rcv_next */
	uint32_t		 rcv_next;
	size_t			 rq_off;	/* consumed bytes of the head */
	int			 read_closed;

	/* Ack list. */
	uint32_t		*ack_num;
	uint32_t		*ack_ts;
	uint32_t		*ack_next;
	size_t			 ack_n;
	size_t			 ack_cap;
	size_t			 ack_max;
	int			 ack_dirty;

	/* Timers, on the caller's clock. */
	int			 tick_on;
	uint64_t		 tick_at;
	uint64_t		 house_at;
	int			 kick;
	uint64_t		 kick_at;
	int			 pace;		/* data-only flush wanted */
	uint64_t		 pace_at;

	uint8_t			 buf[KCP_SEG_BUF];
};

static uint32_t
kcp_conn_clock(const struct kcp_conn *c, uint64_t now_ms)
{
	/* Session ms wrap at 2^32 exactly as V2Ray's uint32 Elapsed(). */
	return (uint32_t)(now_ms - c->epoch);
}

void
kcp_conn_config_init(struct kcp_conn_config *cc, uint32_t mtu, uint32_t tti,
    uint32_t uplink_mb, uint32_t downlink_mb, uint32_t write_buffer_bytes,
    int congestion, uint32_t mss)
{
	memset(cc, 0, sizeof(*cc));
	cc->cc_mss = mss;
	cc->cc_tti = tti;
	cc->cc_send_in_flight = kcp_in_flight(uplink_mb, mtu, tti);
	cc->cc_recv_in_flight = kcp_in_flight(downlink_mb, mtu, tti);
	cc->cc_send_queue_cap = kcp_send_queue_cap(write_buffer_bytes, mtu);
	cc->cc_congestion = congestion != 0;
}

struct kcp_conn *
kcp_conn_new(uint16_t conv, const struct kcp_conn_config *cc,
    uint64_t now_ms, kcp_conn_output_fn *out, void *arg)
{
	struct kcp_conn	*c;
	uint32_t	 span;

	/* A segment larger than a datagram could never be received. */
	if (cc->cc_mss == 0 || cc->cc_mss > KCP_RECV_BUF_SIZE || out == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->conv = conv;
	c->cfg = *cc;
	if (c->cfg.cc_tti == 0)
		c->cfg.cc_tti = KCP_TTI_DEFAULT;
	if (c->cfg.cc_send_in_flight == 0)
		c->cfg.cc_send_in_flight = KCP_MIN_INFLIGHT;
	if (c->cfg.cc_recv_in_flight == 0)
		c->cfg.cc_recv_in_flight = KCP_MIN_INFLIGHT;
	if (c->cfg.cc_recv_in_flight > KCP_CONN_RECV_WND_MAX)
		c->cfg.cc_recv_in_flight = KCP_CONN_RECV_WND_MAX;
	if (c->cfg.cc_send_queue_cap > KCP_CONN_SEND_SPAN_MAX / 2 - 1)
		c->cfg.cc_send_queue_cap = KCP_CONN_SEND_SPAN_MAX / 2 - 1;
	c->out = out;
	c->out_arg = arg;
	c->epoch = now_ms;
	c->state = KCP_STATE_ACTIVE;
	kcp_rtt_init(&c->rtt, c->cfg.cc_tti);
	c->remote_wnd = KCP_REMOTE_WND_INITIAL;
	c->ctrl_wnd = c->cfg.cc_send_in_flight;

	/*
	 * V2Ray bounds the live count by SendQueueCap; holes left by
	 * out-of-order ACKs are allowed twice that span before writes wait.
	 */
	for (span = 16; span < 2 * (c->cfg.cc_send_queue_cap + 1); span <<= 1)
		;
	c->sq_span_max = span;
	c->ack_max = 2 * (size_t)c->cfg.cc_recv_in_flight + KCP_ACK_MAX_NUMS;
	c->house_at = now_ms + KCP_HOUSEKEEP_MS;
	return c;
}

static void
kcp_conn_sq_discard(struct kcp_conn *c)
{
	uint32_t	 i;

	if (c->sq != NULL) {
		for (i = 0; i < c->sq_size; i++) {
			free(c->sq[i].data);
			c->sq[i].data = NULL;
			c->sq[i].live = 0;
		}
	}
	c->sq_count = 0;
	if (c->first_una != c->next_num)
		c->una_changed = 1;
	c->first_una = c->next_num;
}

void
kcp_conn_free(struct kcp_conn *c)
{
	uint32_t	 i;

	if (c == NULL)
		return;
	kcp_conn_sq_discard(c);
	free(c->sq);
	if (c->rq != NULL) {
		for (i = 0; i < c->cfg.cc_recv_in_flight; i++)
			free(c->rq[i].data);
		free(c->rq);
	}
	free(c->ack_num);
	free(c->ack_ts);
	free(c->ack_next);
	free(c);
}

/* ------------------------------------------------------------ output */

static int
kcp_conn_emit(struct kcp_conn *c, const struct kcp_segment *seg)
{
	ssize_t	 n;

	if ((n = kcp_segment_encode(seg, c->buf, sizeof(c->buf))) <= 0)
		return 0;
	return c->out(c->out_arg, c->buf, (size_t)n);
}

static uint8_t
kcp_conn_opt(const struct kcp_conn *c)
{
	return c->state == KCP_STATE_READY_TO_CLOSE ? KCP_OPT_CLOSE : 0;
}

/* PING or TERMINATE: V2Ray's Connection.Ping. */
static void
kcp_conn_send_cmd(struct kcp_conn *c, uint32_t t, uint8_t cmd)
{
	struct kcp_segment	 seg;

	memset(&seg, 0, offsetof(struct kcp_segment, nums));
	seg.conv = c->conv;
	seg.cmd = cmd;
	seg.opt = kcp_conn_opt(c);
	seg.snd_next = c->first_una;
	seg.rcv_next = c->rcv_next;
	seg.peer_rto = c->rtt.r_rto;
	(void)kcp_conn_emit(c, &seg);
	c->st.cs_cmds_out++;
	c->last_cmd = t;
}

/* ------------------------------------------------------------ sender */

static struct kcp_sslot *
kcp_conn_sslot(const struct kcp_conn *c, uint32_t num)
{
	return &c->sq[num & (c->sq_size - 1)];
}

/* Move first_una to the first live number (FindFirstUnacknowledged). */
static void
kcp_conn_find_una(struct kcp_conn *c)
{
	uint32_t	 old = c->first_una;

	while (c->first_una != c->next_num &&
	    !kcp_conn_sslot(c, c->first_una)->live)
		c->first_una++;
	if (c->first_una != old)
		c->una_changed = 1;
}

/*
 * Note the send time of an acked segment for loss detection, and its RTT
 * when it went only once (Karn): unlike V2Ray's sample, which echoes the
 * newest DATA ts of an ACK, this includes the peer's ACK delay.
 */
static void
kcp_conn_delivered(struct kcp_conn *c, const struct kcp_sslot *s,
    uint32_t t)
{
	uint32_t	 r = t - s->ts;

	if (s->transmit == 0 || r >= KCP_RTT_SAMPLE_MAX)
		return;
	if (s->transmit == 1) {
		if (!c->deliv_rtt_have || r > c->deliv_rtt)
			c->deliv_rtt = r;
		c->deliv_rtt_have = 1;
		if (!c->x_have || r < c->x_min)
			c->x_min = r;
	} else if (!c->x_have || r < c->x_min) {
		/*
		 * Sooner than any real round trip: the ACK is for an earlier
		 * copy, and its send time says nothing about the others.
		 */
		return;
	}
	if (!c->deliv_have || kcp_seq_diff(s->ts, c->deliv_ts) > 0)
		c->deliv_ts = s->ts;
	c->deliv_have = 1;
}

/* RFC 6298 smoothing of the per-ACK samples above. */
static void
kcp_conn_x_sample(struct kcp_conn *c, uint32_t r)
{
	uint32_t	 d;

	if (!c->x_have) {
		c->x_srtt = r;
		c->x_var = r / 2;
		c->x_have = 1;
		return;
	}
	d = r > c->x_srtt ? r - c->x_srtt : c->x_srtt - r;
	c->x_var = (3 * c->x_var + d) / 4;
	c->x_srtt = (7 * c->x_srtt + r) / 8;
}

/*
 * When our unacked DATA is resent. V2Ray's rto (still what we advertise
 * as peer_rto) can fall to a few ms from its low-biased samples and from
 * the peer's rto, and every early timeout is a wasted datagram; losses
 * are found sooner by kcp_conn_detect_loss anyway.
 */
static uint32_t
kcp_conn_resend_rto(const struct kcp_conn *c)
{
	uint32_t	 rto = c->rtt.r_rto, x;

	if (!c->x_have)
		x = KCP_RTO_INITIAL;
	else
		x = c->x_srtt + 4 * c->x_var + c->cfg.cc_tti;
	if (x > KCP_RTO_MAX)
		x = KCP_RTO_MAX;
	return rto > x ? rto : x;
}

static void
kcp_conn_sslot_drop(struct kcp_conn *c, struct kcp_sslot *s)
{
	free(s->data);
	s->data = NULL;
	s->live = 0;
	c->sq_count--;
}

/* Drop every queued num < una, plain compare as V2Ray's window Clear. */
static void
kcp_conn_sq_clear(struct kcp_conn *c, uint32_t una, uint32_t t)
{
	struct kcp_sslot	*s;

	if (c->write_closed)
		return;
	while (c->sq_count > 0 && c->first_una < una) {
		s = kcp_conn_sslot(c, c->first_una);
		if (s->live) {
			kcp_conn_delivered(c, s, t);
			kcp_conn_sslot_drop(c, s);
		}
		c->first_una++;
		kcp_conn_find_una(c);
		c->una_changed = 1;
	}
}

static int
kcp_conn_sq_grow(struct kcp_conn *c, uint32_t need)
{
	struct kcp_sslot	*nsq;
	uint32_t		 nsize, num;

	nsize = c->sq_size == 0 ? 16 : c->sq_size;
	while (nsize < need)
		nsize <<= 1;
	if (nsize == c->sq_size)
		return 0;
	if ((nsq = calloc(nsize, sizeof(*nsq))) == NULL)
		return -1;
	for (num = c->first_una; num != c->next_num; num++)
		nsq[num & (nsize - 1)] = *kcp_conn_sslot(c, num);
	free(c->sq);
	c->sq = nsq;
	c->sq_size = nsize;
	return 0;
}

int
kcp_conn_writable(const struct kcp_conn *c)
{
	return c->state == KCP_STATE_ACTIVE && !c->write_closed &&
	    c->sq_count <= c->cfg.cc_send_queue_cap &&
	    c->next_num - c->first_una < c->sq_span_max;
}

size_t
kcp_conn_send_pending(const struct kcp_conn *c)
{
	return c->sq_count;
}

static void
kcp_conn_wake(struct kcp_conn *c, uint64_t now_ms)
{
	if (c->state == KCP_STATE_TERMINATING ||
	    c->state == KCP_STATE_TERMINATED || c->tick_on)
		return;
	c->tick_on = 1;
	c->tick_at = now_ms;
}

/*
 * Ask for an early flush at at_ms (earlier requests win): pending ACKs
 * and due DATA only, no state timers.
 */
static void
kcp_conn_pace(struct kcp_conn *c, uint64_t at_ms)
{
	if (c->state == KCP_STATE_TERMINATING ||
	    c->state == KCP_STATE_TERMINATED)
		return;
	if (!c->pace || at_ms < c->pace_at)
		c->pace_at = at_ms;
	c->pace = 1;
}

ssize_t
kcp_conn_send(struct kcp_conn *c, const void *p, size_t len,
    uint64_t now_ms)
{
	const uint8_t		*b = p;
	struct kcp_sslot	*s;
	size_t			 done = 0, n;

	if (c->state != KCP_STATE_ACTIVE || c->write_closed)
		return -1;
	while (done < len && kcp_conn_writable(c)) {
		if (c->next_num - c->first_una + 1 > c->sq_size &&
		    kcp_conn_sq_grow(c, c->next_num - c->first_una + 1) == -1)
			break;
		n = len - done;
		if (n > c->cfg.cc_mss)
			n = c->cfg.cc_mss;
		s = kcp_conn_sslot(c, c->next_num);
		if ((s->data = malloc(n)) == NULL)
			break;
		memcpy(s->data, b + done, n);
		s->len = (uint16_t)n;
		s->live = 1;
		s->transmit = 0;
		/* Due at once; V2Ray's 0 stops being due after 2^31 ms. */
		s->timeout = kcp_conn_clock(c, now_ms);
		s->ts = 0;
		if (c->sq_count == 0)
			c->first_una = c->next_num;
		c->next_num++;
		c->sq_count++;
		done += n;
	}
	if (done > 0) {
		kcp_conn_wake(c, now_ms);
		/* V2Ray holds new data until the next tick; no need. */
		kcp_conn_pace(c, now_ms);
	}
	return (ssize_t)done;
}

/* Remove an explicitly ACKed number (processAck). */
static int
kcp_conn_ack_one(struct kcp_conn *c, uint32_t num, uint32_t t)
{
	struct kcp_sslot	*s;

	if (c->sq_count == 0 ||
	    !kcp_ack_in_range(num, c->first_una, c->next_num))
		return 0;
	s = kcp_conn_sslot(c, num);
	if (!s->live)
		return 0;
	kcp_conn_delivered(c, s, t);
	kcp_conn_sslot_drop(c, s);
	if (c->total_in_flight > 0)
		c->total_in_flight--;
	kcp_conn_find_una(c);
	return 1;
}

/*
 * Instead of V2Ray's "timeout -= rto/3 before maxack" (which fires on
 * plain reordering and otherwise waits most of an rto), a sent segment is
 * lost once one sent more than the reordering window after it has been
 * acked: it goes out at the next (immediate) data flush. The receiver
 * sees an ordinary retransmission.
 */
static void
kcp_conn_detect_loss(struct kcp_conn *c, uint32_t t, uint64_t now_ms)
{
	struct kcp_sslot	*s;
	uint32_t		 num, reo;
	int			 lost = 0;

	if (!c->deliv_have || c->sq_count == 0)
		return;
	reo = c->x_srtt / 4;
	if (reo < KCP_CONN_REORDER_MS)
		reo = KCP_CONN_REORDER_MS;
	/* Nothing past the window's first segment has been sent. */
	for (num = c->first_una; num != c->next_num &&
	    !kcp_seq_before(c->remote_wnd, num); num++) {
		s = kcp_conn_sslot(c, num);
		if (!s->live || s->transmit == 0 ||
		    kcp_timer_due(t, s->timeout) ||
		    kcp_seq_diff(c->deliv_ts, s->ts) <= (int32_t)reo)
			continue;
		s->timeout = t;
		lost++;
	}
	if (lost)
		kcp_conn_pace(c, now_ms);
}

static void
kcp_conn_input_ack(struct kcp_conn *c, const struct kcp_segment *seg,
    uint32_t t, uint64_t now_ms)
{
	uint32_t		 maxack = 0, una = c->first_una;
	uint32_t		 wnd = c->remote_wnd;
	int			 removed, maxack_removed = 0;
	size_t			 i;

	if (c->write_closed)
		return;
	if (c->remote_wnd < seg->rcv_wnd)
		c->remote_wnd = seg->rcv_wnd;
	c->deliv_have = 0;
	c->deliv_rtt_have = 0;
	kcp_conn_sq_clear(c, seg->rcv_next, t);
	for (i = 0; i < seg->count; i++) {
		removed = kcp_conn_ack_one(c, seg->nums[i], t);
		/* V2Ray starts maxack at 0, so an ACK of only 0 gives none. */
		if (maxack < seg->nums[i]) {
			maxack = seg->nums[i];
			maxack_removed = removed;
		}
	}
	if (c->deliv_rtt_have)
		kcp_conn_x_sample(c, c->deliv_rtt);
	kcp_conn_detect_loss(c, t, now_ms);
	/* A window that opened is used now, not a TTI later. */
	if (c->sq_count > 0 && (una != c->first_una || wnd != c->remote_wnd))
		kcp_conn_pace(c, now_ms);
	if (maxack_removed && t - seg->ts < KCP_RTT_SAMPLE_MAX)
		kcp_rtt_sample(&c->rtt, t - seg->ts, t);
}

static void
kcp_conn_flush_data(struct kcp_conn *c, uint32_t t, uint64_t now_ms)
{
	struct kcp_segment	 seg;
	struct kcp_sslot	*s;
	uint32_t		 limit, sent = 0, lost = 0, num, rto, thr = 0;
	int			 last = 0, stalled;

	if (c->write_closed)
		return;
	if (c->sq_count == 0) {
		/* Tell the peer everything was acked (snd_next moved). */
		if (c->una_changed) {
			c->una_changed = 0;
			kcp_conn_send_cmd(c, t, KCP_CMD_PING);
		}
		return;
	}
	c->una_changed = 0;
	rto = kcp_conn_resend_rto(c);
	limit = kcp_flush_limit(c->cfg.cc_send_in_flight, c->remote_wnd,
	    c->first_una, c->cfg.cc_congestion, c->ctrl_wnd);
	if (limit > KCP_CONN_BURST)
		limit = KCP_CONN_BURST;
	/*
	 * Stalled on the peer's window, with every segment in it sent: the
	 * link is idle until the head is acked, so any segment in the
	 * window still unacked after about a round trip goes again now
	 * rather than at its timeout. A hole at the head costs a whole
	 * window's worth of time; a duplicate costs one datagram.
	 */
	stalled = 0;
	if (c->x_have && !kcp_seq_before(c->next_num, c->remote_wnd) &&
	    !kcp_seq_before(c->remote_wnd - 1, c->first_una)) {
		s = kcp_conn_sslot(c, c->remote_wnd - 1);
		stalled = !s->live || s->transmit > 0;
		thr = c->x_srtt + c->x_var;
	}
	memset(&seg, 0, offsetof(struct kcp_segment, nums));
	seg.conv = c->conv;
	seg.cmd = KCP_CMD_DATA;
	seg.opt = kcp_conn_opt(c);
	for (num = c->first_una; num != c->next_num; num++) {
		s = kcp_conn_sslot(c, num);
		if (!s->live)
			continue;
		/*
		 * The peer drops what lies beyond its window without an ACK
		 * (V2Ray sends it anyway). Only the first such segment goes,
		 * on its rto timer: it finds a window that opened since the
		 * last ACK.
		 */
		if (!kcp_seq_before(num, c->remote_wnd))
			last = 1;
		if (!kcp_timer_due(t, s->timeout) && (!stalled || last ||
		    s->transmit == 0 || t - s->ts < thr)) {
			if (last)
				break;
			continue;
		}
		seg.ts = t;
		seg.num = num;
		seg.snd_next = c->first_una;
		seg.data = s->data;
		seg.data_len = s->len;
		if (kcp_conn_emit(c, &seg) == -1)
			break;
		if (s->transmit == 0)
			c->total_in_flight++;
		else {
			lost++;
			c->st.cs_retrans++;
		}
		c->st.cs_data_out++;
		s->timeout = t + rto;
		s->ts = t;
		s->transmit++;
		if (last)
			break;
		if (++sent >= limit) {
			/* More may be due: the next burst, shortly. */
			kcp_conn_pace(c, now_ms + KCP_CONN_PACE_MS);
			break;
		}
	}
	if (c->cfg.cc_congestion && sent > 0 && c->total_in_flight != 0 &&
	    c->rtt.r_rto != 0)
		c->ctrl_wnd = kcp_ctrl_wnd_update(c->ctrl_wnd,
		    kcp_loss_rate(lost, c->total_in_flight),
		    c->cfg.cc_send_in_flight);
}

/* ---------------------------------------------------------- receiver */

static void
kcp_conn_ack_clear(struct kcp_conn *c, uint32_t una)
{
	size_t	 i, k = 0;

	for (i = 0; i < c->ack_n; i++) {
		if (c->ack_num[i] < una)
			continue;
		if (i != k) {
			c->ack_num[k] = c->ack_num[i];
			c->ack_ts[k] = c->ack_ts[i];
			c->ack_next[k] = c->ack_next[i];
		}
		k++;
	}
	if (k < c->ack_n) {
		c->ack_n = k;
		c->ack_dirty = 1;
	}
}

static int
kcp_conn_ack_reserve(struct kcp_conn *c)
{
	size_t		 ncap;
	uint32_t	*a, *b, *d;

	if (c->ack_n < c->ack_cap)
		return 0;
	ncap = c->ack_cap == 0 ? 32 : c->ack_cap * 2;
	if (ncap > c->ack_max)
		ncap = c->ack_max;
	if (ncap <= c->ack_cap)
		return -1;
	a = realloc(c->ack_num, ncap * sizeof(*a));
	if (a != NULL)
		c->ack_num = a;
	b = realloc(c->ack_ts, ncap * sizeof(*b));
	if (b != NULL)
		c->ack_ts = b;
	d = realloc(c->ack_next, ncap * sizeof(*d));
	if (d != NULL)
		c->ack_next = d;
	if (a == NULL || b == NULL || d == NULL)
		return -1;
	c->ack_cap = ncap;
	return 0;
}

/*
 * V2Ray appends duplicates; refreshing the existing entry acks the same
 * numbers at the same times and keeps a replaying peer from growing the
 * list. A peer that never advances snd_next still cannot: the oldest
 * entry goes once the list is full.
 */
static void
kcp_conn_ack_add(struct kcp_conn *c, uint32_t num, uint32_t ts)
{
	size_t	 i;

	c->ack_dirty = 1;
	for (i = c->ack_n; i-- > 0; ) {
		if (c->ack_num[i] == num) {
			c->ack_ts[i] = ts;
			c->ack_next[i] = 0;
			return;
		}
	}
	if (kcp_conn_ack_reserve(c) == -1) {
		if (c->ack_n == 0)
			return;
		memmove(c->ack_num, c->ack_num + 1,
		    (c->ack_n - 1) * sizeof(*c->ack_num));
		memmove(c->ack_ts, c->ack_ts + 1,
		    (c->ack_n - 1) * sizeof(*c->ack_ts));
		memmove(c->ack_next, c->ack_next + 1,
		    (c->ack_n - 1) * sizeof(*c->ack_next));
		c->ack_n--;
	}
	c->ack_num[c->ack_n] = num;
	c->ack_ts[c->ack_n] = ts;
	c->ack_next[c->ack_n] = 0;
	c->ack_n++;
}

static void
kcp_conn_emit_ack(struct kcp_conn *c, struct kcp_segment *seg)
{
	seg->conv = c->conv;
	seg->cmd = KCP_CMD_ACK;
	seg->opt = kcp_conn_opt(c);
	seg->rcv_next = c->rcv_next;
	seg->rcv_wnd = kcp_rcv_wnd(c->rcv_next, c->cfg.cc_recv_in_flight);
	(void)kcp_conn_emit(c, seg);
	c->st.cs_acks_out++;
	seg->count = 0;
	seg->ts = 0;
}

/* AckList.Flush: due numbers, then fill with not-yet-due candidates. */
static void
kcp_conn_flush_acks(struct kcp_conn *c, uint32_t t)
{
	struct kcp_segment	 seg;
	uint32_t		 cand[KCP_ACK_MAX_NUMS], ival;
	size_t			 i, ncand = 0;

	memset(&seg, 0, offsetof(struct kcp_segment, nums));
	ival = kcp_ack_interval(c->rtt.r_rto);
	for (i = 0; i < c->ack_n; i++) {
		if (c->ack_next[i] > t) {
			if (ncand < KCP_ACK_MAX_NUMS)
				cand[ncand++] = c->ack_num[i];
			continue;
		}
		seg.nums[seg.count++] = c->ack_num[i];
		seg.ts = kcp_ts_fold(seg.ts, c->ack_ts[i]);
		c->ack_next[i] = t + ival;
		if (seg.count == KCP_ACK_MAX_NUMS) {
			kcp_conn_emit_ack(c, &seg);
			c->ack_dirty = 0;
		}
	}
	if (c->ack_dirty || seg.count > 0) {
		for (i = 0; i < ncand && seg.count < KCP_ACK_MAX_NUMS; i++)
			seg.nums[seg.count++] = cand[i];
		kcp_conn_emit_ack(c, &seg);
		c->ack_dirty = 0;
	}
}

static struct kcp_rslot *
kcp_conn_rslot(const struct kcp_conn *c, uint32_t num)
{
	uint32_t	 w = c->cfg.cc_recv_in_flight;

	return &c->rq[(c->rq_head + (num - c->rcv_next) % w) % w];
}

/* Give the head slot back and move the window by one number. */
static void
kcp_conn_rq_advance(struct kcp_conn *c)
{
	struct kcp_rslot	*r = &c->rq[c->rq_head];

	free(r->data);
	r->data = NULL;
	r->len = 0;
	r->present = 0;
	c->rq_off = 0;
	c->rq_head = (c->rq_head + 1) % c->cfg.cc_recv_in_flight;
	c->rcv_next++;
}

/* Zero-length DATA carries nothing to read; pass over it at once. */
static void
kcp_conn_rq_skip_empty(struct kcp_conn *c)
{
	while (c->rq != NULL && c->rq[c->rq_head].present &&
	    c->rq[c->rq_head].len == 0)
		kcp_conn_rq_advance(c);
}

static void
kcp_conn_input_data(struct kcp_conn *c, const struct kcp_segment *seg,
    uint64_t now_ms)
{
	struct kcp_rslot	*r;

	/* No peer can send more than a datagram holds. */
	if (c->read_closed || seg->data_len > KCP_RECV_BUF_SIZE ||
	    !kcp_recv_accept(seg->num, c->rcv_next,
	    c->cfg.cc_recv_in_flight)) {
		c->st.cs_data_dropped++;
		return;
	}
	if (c->rq == NULL &&
	    (c->rq = calloc(c->cfg.cc_recv_in_flight, sizeof(*c->rq))) == NULL)
		return;
	kcp_conn_ack_clear(c, seg->snd_next);
	kcp_conn_ack_add(c, seg->num, seg->ts);
	kcp_conn_pace(c, now_ms + KCP_CONN_ACK_DELAY_MS);
	r = kcp_conn_rslot(c, seg->num);
	if (r->present)
		return;
	if (seg->data_len > 0) {
		if ((r->data = malloc(seg->data_len)) == NULL)
			return;
		memcpy(r->data, seg->data, seg->data_len);
	}
	r->len = seg->data_len;
	r->present = 1;
	c->st.cs_data_in++;
	kcp_conn_rq_skip_empty(c);
}

const uint8_t *
kcp_conn_peek(const struct kcp_conn *c, size_t *len)
{
	const struct kcp_rslot	*r;

	*len = 0;
	if (c->rq == NULL)
		return NULL;
	r = &c->rq[c->rq_head];
	if (!r->present || r->len <= c->rq_off)
		return NULL;
	*len = r->len - c->rq_off;
	return r->data + c->rq_off;
}

void
kcp_conn_consume(struct kcp_conn *c, size_t n, uint64_t now_ms)
{
	struct kcp_rslot	*r;
	size_t			 k;
	int			 moved = 0;

	while (n > 0 && c->rq != NULL) {
		r = &c->rq[c->rq_head];
		if (!r->present)
			break;
		k = r->len - c->rq_off;
		if (n < k) {
			c->rq_off += n;
			break;
		}
		n -= k;
		kcp_conn_rq_advance(c);
		kcp_conn_rq_skip_empty(c);
		moved = 1;
	}
	/* The peer hears of the new window with the next ACK. */
	if (moved)
		kcp_conn_wake(c, now_ms);
}

size_t
kcp_conn_recv(struct kcp_conn *c, void *buf, size_t len, uint64_t now_ms)
{
	const uint8_t	*p;
	uint8_t		*b = buf;
	size_t		 n, done = 0;

	while (done < len && (p = kcp_conn_peek(c, &n)) != NULL) {
		if (n > len - done)
			n = len - done;
		memcpy(b + done, p, n);
		done += n;
		kcp_conn_consume(c, n, now_ms);
	}
	return done;
}

size_t
kcp_conn_readable(const struct kcp_conn *c)
{
	const struct kcp_rslot	*r;
	uint32_t		 i, w = c->cfg.cc_recv_in_flight;
	size_t			 n = 0;

	if (c->rq == NULL)
		return 0;
	for (i = 0; i < w; i++) {
		r = &c->rq[(c->rq_head + i) % w];
		if (!r->present)
			break;
		n += r->len;
	}
	return n - c->rq_off;
}

int
kcp_conn_eof(const struct kcp_conn *c)
{
	size_t	 n;

	switch (c->state) {
	case KCP_STATE_PEER_TERMINATING:
	case KCP_STATE_TERMINATING:
	case KCP_STATE_TERMINATED:
		return kcp_conn_peek(c, &n) == NULL;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------ states */

/* SetState: entering a state closes the directions V2Ray closes. */
static void
kcp_conn_enter(struct kcp_conn *c, enum kcp_state st, uint32_t t)
{
	c->state = st;
	c->state_since = t;
	switch (st) {
	case KCP_STATE_PEER_CLOSED:
	case KCP_STATE_PEER_TERMINATING:
		kcp_conn_sq_discard(c);
		c->write_closed = 1;
		break;
	case KCP_STATE_TERMINATING:
	case KCP_STATE_TERMINATED:
		kcp_conn_sq_discard(c);
		c->write_closed = 1;
		c->read_closed = 1;
		c->tick_on = 0;
		break;
	default:
		break;
	}
}

static void
kcp_conn_close_at(struct kcp_conn *c, uint32_t t)
{
	switch (c->state) {
	case KCP_STATE_ACTIVE:
		kcp_conn_enter(c, KCP_STATE_READY_TO_CLOSE, t);
		break;
	case KCP_STATE_PEER_CLOSED:
		kcp_conn_enter(c, KCP_STATE_TERMINATING, t);
		break;
	case KCP_STATE_PEER_TERMINATING:
		kcp_conn_enter(c, KCP_STATE_TERMINATED, t);
		break;
	default:
		break;
	}
}

void
kcp_conn_close(struct kcp_conn *c, uint64_t now_ms)
{
	enum kcp_state	 old = c->state;

	kcp_conn_close_at(c, kcp_conn_clock(c, now_ms));
	/*
	 * V2Ray waits for the next tick (up to 5 s); flushing now sends the
	 * Close bit or the first TERMINATE without that delay.
	 */
	if (c->state != old && c->state != KCP_STATE_TERMINATED) {
		c->kick = 1;
		c->kick_at = now_ms;
	}
}

void
kcp_conn_abort(struct kcp_conn *c, uint64_t now_ms)
{
	uint32_t	 t = kcp_conn_clock(c, now_ms);

	if (c->state == KCP_STATE_TERMINATED)
		return;
	kcp_conn_enter(c, KCP_STATE_TERMINATING, t);
	kcp_conn_send_cmd(c, t, KCP_CMD_TERMINATE);
	kcp_conn_enter(c, KCP_STATE_TERMINATED, t);
}

/* HandleOption: the peer's Close bit. */
static void
kcp_conn_peer_close_bit(struct kcp_conn *c, uint8_t opt, uint32_t t)
{
	if (!(opt & KCP_OPT_CLOSE))
		return;
	if (c->state == KCP_STATE_READY_TO_CLOSE)
		kcp_conn_enter(c, KCP_STATE_TERMINATING, t);
	else if (c->state == KCP_STATE_ACTIVE)
		kcp_conn_enter(c, KCP_STATE_PEER_CLOSED, t);
}

struct kcp_conn_walk {
	struct kcp_conn	*c;
	uint32_t	 t;
	uint64_t	 now_ms;
	int		 used;
};

static int
kcp_conn_segment(const struct kcp_segment *seg, void *arg)
{
	struct kcp_conn_walk	*w = arg;
	struct kcp_conn		*c = w->c;
	uint32_t		 t = w->t;

	if (seg->conv != c->conv || c->state == KCP_STATE_TERMINATED)
		return 1;
	w->used++;
	kcp_conn_peer_close_bit(c, seg->opt, t);
	switch (seg->cmd) {
	case KCP_CMD_DATA:
		kcp_conn_input_data(c, seg, w->now_ms);
		kcp_conn_wake(c, w->now_ms);
		break;
	case KCP_CMD_ACK:
		kcp_conn_input_ack(c, seg, t, w->now_ms);
		kcp_conn_wake(c, w->now_ms);
		break;
	default:
		if (seg->cmd == KCP_CMD_TERMINATE) {
			switch (c->state) {
			case KCP_STATE_ACTIVE:
			case KCP_STATE_PEER_CLOSED:
				kcp_conn_enter(c, KCP_STATE_PEER_TERMINATING,
				    t);
				break;
			case KCP_STATE_READY_TO_CLOSE:
				kcp_conn_enter(c, KCP_STATE_TERMINATING, t);
				break;
			case KCP_STATE_TERMINATING:
				kcp_conn_enter(c, KCP_STATE_TERMINATED, t);
				break;
			default:
				break;
			}
		}
		kcp_conn_sq_clear(c, seg->rcv_next, t);
		kcp_conn_ack_clear(c, seg->snd_next);
		kcp_rtt_peer(&c->rtt, seg->peer_rto, t);
		break;
	}
	return 0;
}

int
kcp_conn_input(struct kcp_conn *c, const uint8_t *p, size_t len,
    uint64_t now_ms)
{
	struct kcp_conn_walk	 w;
	struct kcp_segment	 first;
	const char		*errstr;

	/* Parse before touching anything: garbage must not look alive. */
	if (len == 0 || kcp_segment_decode(p, len, &first, &errstr) <= 0) {
		c->st.cs_bad_input++;
		return -1;
	}
	w.c = c;
	w.t = kcp_conn_clock(c, now_ms);
	w.now_ms = now_ms;
	w.used = 0;
	c->last_in = w.t;
	(void)kcp_segment_walk(p, len, kcp_conn_segment, &w);
	return w.used;
}

/* ------------------------------------------------------------- flush */

static void
kcp_conn_flush_at(struct kcp_conn *c, uint64_t now_ms)
{
	uint32_t	 t = kcp_conn_clock(c, now_ms);

	if (c->state == KCP_STATE_TERMINATED)
		return;
	if (c->state == KCP_STATE_ACTIVE &&
	    t - c->last_in >= KCP_IDLE_TIMEOUT_MS)
		kcp_conn_close_at(c, t);
	if (c->state == KCP_STATE_READY_TO_CLOSE && c->sq_count == 0)
		kcp_conn_enter(c, KCP_STATE_TERMINATING, t);
	if (c->state == KCP_STATE_TERMINATING) {
		kcp_conn_send_cmd(c, t, KCP_CMD_TERMINATE);
		if (t - c->state_since > KCP_TERMINATING_MS)
			kcp_conn_enter(c, KCP_STATE_TERMINATED, t);
		return;
	}
	if (c->state == KCP_STATE_PEER_TERMINATING &&
	    t - c->state_since > KCP_PEER_TERMINATING_MS)
		kcp_conn_enter(c, KCP_STATE_TERMINATING, t);
	if (c->state == KCP_STATE_READY_TO_CLOSE &&
	    t - c->state_since > KCP_READY_CLOSE_MS)
		kcp_conn_enter(c, KCP_STATE_TERMINATING, t);
	kcp_conn_flush_acks(c, t);
	c->pace = 0;
	kcp_conn_flush_data(c, t, now_ms);
	if (t - c->last_cmd >= KCP_PING_INTERVAL_MS)
		kcp_conn_send_cmd(c, t, KCP_CMD_PING);
}

void
kcp_conn_flush(struct kcp_conn *c, uint64_t now_ms)
{
	kcp_conn_flush_at(c, now_ms);
}

/* The data tick's shouldContinue. */
static int
kcp_conn_tick_needed(const struct kcp_conn *c)
{
	if (c->state == KCP_STATE_TERMINATING ||
	    c->state == KCP_STATE_TERMINATED)
		return 0;
	return c->sq_count > 0 || c->ack_n > 0;
}

static int
kcp_conn_due(uint64_t now_ms, uint64_t at)
{
	return now_ms >= at;
}

void
kcp_conn_run(struct kcp_conn *c, uint64_t now_ms)
{
	uint32_t	 t;
	int	 run = 0;

	if (c->state == KCP_STATE_TERMINATED)
		return;
	if (kcp_conn_due(now_ms, c->house_at)) {
		/* A ticker drops the ticks it missed. */
		c->house_at += ((now_ms - c->house_at) / KCP_HOUSEKEEP_MS + 1) *
		    KCP_HOUSEKEEP_MS;
		run = 1;
	}
	if (c->kick) {
		c->kick = 0;
		run = 1;
	}
	if (c->tick_on && kcp_conn_due(now_ms, c->tick_at)) {
		if (kcp_conn_tick_needed(c)) {
			c->tick_at = now_ms + c->cfg.cc_tti;
			run = 1;
		} else
			c->tick_on = 0;
	}
	if (run)
		kcp_conn_flush_at(c, now_ms);
	else if (c->pace && kcp_conn_due(now_ms, c->pace_at)) {
		c->pace = 0;
		if (c->state == KCP_STATE_ACTIVE ||
		    c->state == KCP_STATE_READY_TO_CLOSE ||
		    c->state == KCP_STATE_PEER_CLOSED ||
		    c->state == KCP_STATE_PEER_TERMINATING) {
			t = kcp_conn_clock(c, now_ms);
			if (c->ack_dirty)
				kcp_conn_flush_acks(c, t);
			kcp_conn_flush_data(c, t, now_ms);
		}
	}
	if (c->tick_on && !kcp_conn_tick_needed(c))
		c->tick_on = 0;
}

uint64_t
kcp_conn_next_timer(const struct kcp_conn *c)
{
	uint64_t	 at = c->house_at;

	if (c->state == KCP_STATE_TERMINATED)
		return UINT64_MAX;
	if (c->tick_on && c->tick_at < at)
		at = c->tick_at;
	if (c->kick && c->kick_at < at)
		at = c->kick_at;
	if (c->pace && c->pace_at < at)
		at = c->pace_at;
	return at;
}

enum kcp_state
kcp_conn_state(const struct kcp_conn *c)
{
	return c->state;
}

uint16_t
kcp_conn_conv(const struct kcp_conn *c)
{
	return c->conv;
}

uint32_t
kcp_conn_rto(const struct kcp_conn *c)
{
	return c->rtt.r_rto;
}

const struct kcp_conn_stats *
kcp_conn_stats(const struct kcp_conn *c)
{
	return &c->st;
}

const char *
kcp_conn_state_name(enum kcp_state st)
{
	switch (st) {
	case KCP_STATE_ACTIVE:
		return "Active";
	case KCP_STATE_READY_TO_CLOSE:
		return "ReadyToClose";
	case KCP_STATE_PEER_CLOSED:
		return "PeerClosed";
	case KCP_STATE_TERMINATING:
		return "Terminating";
	case KCP_STATE_PEER_TERMINATING:
		return "PeerTerminating";
	case KCP_STATE_TERMINATED:
		return "Terminated";
	}
	return "?";
}
