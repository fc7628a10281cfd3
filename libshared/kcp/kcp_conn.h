/* SPDX-License-Identifier: MIT */
/*
 * kcp_conn.h: one V2Ray 4.34 mKCP session (mkcp.md §6-§7) as a pure state
 * machine: plaintext segments in, segments out through a callback, time
 * from the caller. No sockets, no event loop, no logging.
 */
#ifndef LIBSHARED_KCP_CONN_H
#define LIBSHARED_KCP_CONN_H

/*
 * Most DATA segments one flush sends; more follow KCP_CONN_PACE_MS later.
 * 32 capped a connection near 20 MiB/s on loopback; 256 (345 KB at the
 * default mtu) stays well inside the 4 MiB socket buffers.
 */
#define KCP_CONN_BURST		256

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* §6.1, with V2Ray's numbering. */
enum kcp_state {
	KCP_STATE_ACTIVE = 0,
	KCP_STATE_READY_TO_CLOSE = 1,
	KCP_STATE_PEER_CLOSED = 2,
	KCP_STATE_TERMINATING = 3,
	KCP_STATE_PEER_TERMINATING = 4,
	KCP_STATE_TERMINATED = 5
};

/* Hard bounds that keep a session's memory finite whatever the config. */
#define KCP_CONN_RECV_WND_MAX	65536u	/* receive slots */
#define KCP_CONN_SEND_SPAN_MAX	(1u << 20) /* send numbers in flight */

/* Derived per-side settings (§7); see kcp_conn_config_init. */
struct kcp_conn_config {
	uint32_t	cc_mss;
	uint32_t	cc_tti;
	uint32_t	cc_send_in_flight;
	uint32_t	cc_recv_in_flight;
	uint32_t	cc_send_queue_cap;
	int		cc_congestion;
};

/*
 * Fill cc from kcpSettings values: capacities in MB/s, the write buffer
 * in bytes (see kcp_buffer_bytes), mss from kcp_packet_mss.
 */
void	kcp_conn_config_init(struct kcp_conn_config *cc, uint32_t mtu,
	    uint32_t tti, uint32_t uplink_mb, uint32_t downlink_mb,
	    uint32_t write_buffer_bytes, int congestion, uint32_t mss);

/*
 * Receives each outgoing plaintext segment, to be sealed as one datagram.
 * Return 0 when it was sent or lost, -1 when the transport is blocked: the
 * rest of this flush's DATA stays queued untouched for the next flush.
 */
typedef int kcp_conn_output_fn(void *arg, const uint8_t *seg, size_t len);

/* Counters for tests and debug logs. */
struct kcp_conn_stats {
	uint64_t	cs_data_out;		/* DATA segments sent */
	uint64_t	cs_retrans;		/* of which retransmissions */
	uint64_t	cs_acks_out;
	uint64_t	cs_cmds_out;		/* PING and TERMINATE */
	uint64_t	cs_data_in;		/* DATA accepted into the window */
	uint64_t	cs_data_dropped;	/* outside the window or closed */
	uint64_t	cs_bad_input;		/* datagrams with no segment */
};

struct kcp_conn;

/*
 * now_ms is any monotonic millisecond clock; the session's own clock
 * (DATA ts, state ages) counts from this call. NULL if cc is unusable
 * (mss 0 or above KCP_RECV_BUF_SIZE) or memory is short.
 */
struct kcp_conn	*kcp_conn_new(uint16_t conv, const struct kcp_conn_config *cc,
	    uint64_t now_ms, kcp_conn_output_fn *out, void *arg);
void	kcp_conn_free(struct kcp_conn *c);

/*
 * One opened datagram (one or more segments). Returns the number of
 * segments used (0: conv differs), or -1 when nothing parses (dropped, no
 * state touched). Only a parsing datagram counts as incoming for the idle
 * timeout.
 */
int	kcp_conn_input(struct kcp_conn *c, const uint8_t *p, size_t len,
	    uint64_t now_ms);

/*
 * Queue application bytes in chunks of at most mss. Returns how many were
 * taken (0 when the send queue is full), or -1 when the session no longer
 * accepts writes (any state but Active).
 */
ssize_t	kcp_conn_send(struct kcp_conn *c, const void *p, size_t len,
	    uint64_t now_ms);
/* 1 if kcp_conn_send would take at least one byte now. */
int	kcp_conn_writable(const struct kcp_conn *c);
/* Segments waiting for an ACK or a first transmission. */
size_t	kcp_conn_send_pending(const struct kcp_conn *c);

/*
 * Next in-order bytes without consuming them: a pointer into the session
 * and their length, or NULL. Valid until the next call on c.
 */
const uint8_t *kcp_conn_peek(const struct kcp_conn *c, size_t *len);
/* Consume n peeked bytes; the receive window moves only here. */
void	kcp_conn_consume(struct kcp_conn *c, size_t n, uint64_t now_ms);
/* Copying form of peek + consume. Returns the bytes copied. */
size_t	kcp_conn_recv(struct kcp_conn *c, void *buf, size_t len,
	    uint64_t now_ms);
/* In-order bytes ready for kcp_conn_recv. */
size_t	kcp_conn_readable(const struct kcp_conn *c);
/*
 * 1 once the peer will send nothing more and every byte has been read:
 * it terminated, or this side is terminating.
 */
int	kcp_conn_eof(const struct kcp_conn *c);

/* Local Close() (§6.1). Asks for a flush at once; repeat calls are no-ops. */
void	kcp_conn_close(struct kcp_conn *c, uint64_t now_ms);
/*
 * Give up at once: send one TERMINATE and enter Terminated (used when the
 * transport goes away). The peer then runs its own terminate timeouts.
 */
void	kcp_conn_abort(struct kcp_conn *c, uint64_t now_ms);

/* Run whatever timers are due (data tick, 5 s housekeeping, wake-ups). */
void	kcp_conn_run(struct kcp_conn *c, uint64_t now_ms);
/*
 * When kcp_conn_run must next be called (same clock; may be in the past);
 * UINT64_MAX once Terminated.
 */
uint64_t kcp_conn_next_timer(const struct kcp_conn *c);
/* One flush now, as either tick does (tests). */
void	kcp_conn_flush(struct kcp_conn *c, uint64_t now_ms);

enum kcp_state kcp_conn_state(const struct kcp_conn *c);
uint16_t kcp_conn_conv(const struct kcp_conn *c);
uint32_t kcp_conn_rto(const struct kcp_conn *c);
const struct kcp_conn_stats *kcp_conn_stats(const struct kcp_conn *c);
const char *kcp_conn_state_name(enum kcp_state st);

#endif /* LIBSHARED_KCP_CONN_H */
