/* SPDX-License-Identifier: MIT */
/*
 * kcp_packet.h: V2Ray 4.34 mKCP datagram codecs (docs: mkcp.md §2-§8):
 * obfuscation headers, the Simple/AES-GCM security layer, segments, sizes,
 * kcpSettings limits and the window/RTO arithmetic. Pure: no I/O, no logging.
 */
#ifndef LIBSHARED_KCP_PACKET_H
#define LIBSHARED_KCP_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* §4 segment commands and options. */
#define KCP_CMD_ACK		0
#define KCP_CMD_DATA		1
#define KCP_CMD_TERMINATE	2
#define KCP_CMD_PING		3
#define KCP_OPT_CLOSE		0x01

/* §4/§5 sizes, in bytes. */
#define KCP_SEG_PREFIX		4	/* conv:u16 cmd:u8 opt:u8 */
#define KCP_SEG_DATA_OVERHEAD	18	/* DATA header before payload */
#define KCP_SEG_ACK_OVERHEAD	17	/* ACK header before num[] */
#define KCP_SEG_CMD_SIZE	16	/* TERMINATE, PING and others */
#define KCP_ACK_MAX_NUMS	128	/* V2Ray's per-ACK sending limit */
#define KCP_ACK_WIRE_MAX_NUMS	255	/* count is a u8; peers may send 255 */
#define KCP_HEADER_MAX		13	/* largest obfuscation header */
#define KCP_SIMPLE_OVERHEAD	6	/* FNV-1a hash + length */
#define KCP_GCM_NONCE_SIZE	12
#define KCP_GCM_TAG_SIZE	16
#define KCP_GCM_OVERHEAD	(KCP_GCM_NONCE_SIZE + KCP_GCM_TAG_SIZE)
#define KCP_SEAL_MAX		65535	/* Simple length field is a u16 */
#define KCP_RECV_BUF_SIZE	2048	/* V2Ray's read buffer: more is lost */

/*
 * mss = mtu - H - secOverhead - 18. V2Ray counts only the 16-byte GCM tag,
 * not the nonce, so seeded datagrams reach mtu + 12 (§3.2, §5).
 */
#define KCP_SIMPLE_MSS_OVERHEAD	KCP_SIMPLE_OVERHEAD
#define KCP_GCM_MSS_OVERHEAD	KCP_GCM_TAG_SIZE
#define KCP_MSS(mtu, hsize, secov) \
	((mtu) - (hsize) - (secov) - KCP_SEG_DATA_OVERHEAD)

/* §8 kcpSettings defaults and limits. */
#define KCP_MTU_DEFAULT		1350
#define KCP_MTU_MIN		576
#define KCP_MTU_MAX		1460
#define KCP_TTI_DEFAULT		50	/* ms */
#define KCP_TTI_MIN		10
#define KCP_TTI_MAX		100
#define KCP_UPLINK_DEFAULT	5	/* MB/s, x 1048576 */
#define KCP_DOWNLINK_DEFAULT	20
#define KCP_CONGESTION_DEFAULT	0
#define KCP_BUFFER_MB		1048576u
#define KCP_BUFFER_DEFAULT	(2u * KCP_BUFFER_MB)	/* key absent */
#define KCP_BUFFER_ZERO		(512u * 1024u)		/* key given as 0 */

/* §6/§7 protocol constants (ms unless noted). */
#define KCP_HOUSEKEEP_MS	5000	/* session-long flush ticker */
#define KCP_PING_INTERVAL_MS	3000	/* since the last CMD sent */
#define KCP_IDLE_TIMEOUT_MS	30000	/* no valid input -> Close() */
#define KCP_READY_CLOSE_MS	15000	/* ReadyToClose -> Terminating */
#define KCP_PEER_TERMINATING_MS	4000	/* PeerTerminating -> Terminating */
#define KCP_TERMINATING_MS	8000	/* Terminating -> Terminated */
#define KCP_RTO_INITIAL		100
#define KCP_RTO_MAX		10000	/* cap before the x5/4 */
#define KCP_RTT_SAMPLE_MAX	10000	/* larger ACK echo ages are ignored */
#define KCP_PEER_RTO_HOLD_MS	3000	/* peer_rto ignored this soon after */
#define KCP_ACK_INTERVAL_MIN	20
#define KCP_REMOTE_WND_INITIAL	32	/* segments, before the first ACK */
#define KCP_FLUSH_BURST		20	/* V2Ray's "magic" cwnd multiplier */
#define KCP_MIN_INFLIGHT	8
#define KCP_CTRL_WND_MIN	16

/*
 * Source of random bytes: fill buf with len bytes, return 0, or -1 on
 * failure. NULL everywhere means OpenSSL RAND_bytes. Tests pass a fixed one.
 */
typedef int kcp_random_fn(void *arg, void *buf, size_t len);

enum kcp_header_type {
	KCP_HEADER_NONE,
	KCP_HEADER_SRTP,
	KCP_HEADER_UTP,
	KCP_HEADER_WECHAT_VIDEO,
	KCP_HEADER_DTLS,
	KCP_HEADER_WIREGUARD
};

/*
 * One per packet writer (§2): per dial on the client, per listener on the
 * server. Random starting values are drawn once at init as BE u16s.
 */
struct kcp_header {
	enum kcp_header_type	h_type;
	uint16_t		h_id;	/* srtp seq, utp connid, dtls epoch */
	uint32_t		h_seq;	/* wechat-video sn, dtls seq */
	uint16_t		h_len;	/* dtls fake length */
};

/* Map a JSON header.type to its enum; NULL and "" are "none". -1: unknown. */
int	kcp_header_type_parse(const char *type, enum kcp_header_type *out);

/* Set up h for type with OpenSSL randomness; -1: unknown type or RNG error. */
int	kcp_header_init(struct kcp_header *h, const char *type);
/* Same, with a caller-supplied random source (NULL = RAND_bytes). */
int	kcp_header_init_rand(struct kcp_header *h, const char *type,
	    kcp_random_fn *rnd, void *arg);
/* H: 0, 4 or 13. h may be NULL (no header). */
size_t	kcp_header_size(const struct kcp_header *h);
/*
 * Write the next header into out (room for kcp_header_size() bytes) and
 * advance the counters. Returns the bytes written.
 */
size_t	kcp_header_write(struct kcp_header *h, uint8_t *out);

enum kcp_sec_kind {
	KCP_SEC_SIMPLE,		/* no seed */
	KCP_SEC_GCM		/* seed present, even "" */
};

struct evp_cipher_ctx_st;

/* §3 security layer. The GCM contexts are made once and reused per packet. */
struct kcp_security {
	enum kcp_sec_kind	 s_kind;
	uint8_t			 s_key[16];	/* sha256(seed)[:16] */
	struct evp_cipher_ctx_st *s_enc;
	struct evp_cipher_ctx_st *s_dec;
	kcp_random_fn		*s_rnd;		/* nonce source */
	void			*s_rnd_arg;
};

/*
 * seed NULL selects SimpleAuthenticator, anything else AES-128-GCM keyed
 * with sha256(seed)[:16]. Returns 0, or -1 if OpenSSL fails (nothing held).
 */
int	kcp_security_init(struct kcp_security *s, const char *seed);
/* Nonce source for GCM seals (NULL = RAND_bytes). */
void	kcp_security_set_random(struct kcp_security *s, kcp_random_fn *rnd,
	    void *arg);
/* Free the contexts and wipe the key; harmless to repeat. */
void	kcp_security_cleanup(struct kcp_security *s);
/* Bytes added on the wire: 6 or 28. */
size_t	kcp_security_overhead(const struct kcp_security *s);
/* What V2Ray subtracts for the mss: 6 or 16. */
size_t	kcp_security_mss_overhead(const struct kcp_security *s);
/*
 * Seal len plaintext bytes into out (must not overlap p). Returns the bytes
 * written (len + overhead), or -1 if len > KCP_SEAL_MAX, out is too small or
 * the RNG/cipher fails.
 */
ssize_t	kcp_security_seal(struct kcp_security *s, const uint8_t *p, size_t len,
	    uint8_t *out, size_t outlen);
/*
 * Open a sealed span into out (must not overlap w). Returns the plaintext
 * length (>= 1), or -1 with *errstr set: too short, bad checksum/length,
 * authentication failure, or out too small. Nothing is left in out on -1.
 */
ssize_t	kcp_security_open(struct kcp_security *s, const uint8_t *w, size_t len,
	    uint8_t *out, size_t outlen, const char **errstr);

/*
 * One decoded segment. Which fields are meaningful depends on cmd:
 * DATA ts num snd_next data/data_len; ACK rcv_wnd rcv_next ts count nums;
 * any other cmd snd_next rcv_next peer_rto. data points into the input.
 */
struct kcp_segment {
	uint16_t	 conv;
	uint8_t		 cmd;
	uint8_t		 opt;
	uint32_t	 ts;
	uint32_t	 num;
	uint32_t	 snd_next;
	uint32_t	 rcv_next;
	uint32_t	 rcv_wnd;
	uint32_t	 peer_rto;
	const uint8_t	*data;
	uint16_t	 data_len;
	uint8_t		 count;
	uint32_t	 nums[KCP_ACK_WIRE_MAX_NUMS];
};

/* Encoded size of s. */
size_t	kcp_segment_size(const struct kcp_segment *s);
/*
 * Encode s into out. Returns the bytes written, or -1 if out is too small,
 * or an ACK lists more than KCP_ACK_MAX_NUMS numbers.
 */
ssize_t	kcp_segment_encode(const struct kcp_segment *s, uint8_t *out,
	    size_t outlen);
/*
 * Decode one segment at p. A datagram is complete, so short input is never
 * "need more": returns the bytes consumed, or -1 with *errstr for a short
 * prefix or body (V2Ray's rule: DATA needs 15 body bytes even when len is 0).
 */
ssize_t	kcp_segment_decode(const uint8_t *p, size_t len,
	    struct kcp_segment *out, const char **errstr);

/* Called per segment by kcp_segment_walk; nonzero stops the walk. */
typedef int kcp_segment_cb(const struct kcp_segment *seg, void *arg);
/*
 * V2Ray's receive loop (§4): decode while >= 1 byte remains, stop at the
 * first segment that does not parse and keep the earlier ones. Returns how
 * many segments were handed to cb; 0 means drop the datagram.
 */
size_t	kcp_segment_walk(const uint8_t *p, size_t len, kcp_segment_cb *cb,
	    void *arg);

/*
 * Datagram = header (h may be NULL) + security seal of the plaintext
 * segments. Returns the datagram length, or -1 as kcp_security_seal.
 */
ssize_t	kcp_packet_seal(struct kcp_header *h, struct kcp_security *s,
	    const uint8_t *p, size_t len, uint8_t *out, size_t outlen);
/*
 * Skip the header unread and open the rest into out. Refuses datagrams no
 * longer than the header and ones over KCP_RECV_BUF_SIZE (V2Ray would
 * truncate them and fail authentication). Returns the plaintext length.
 */
ssize_t	kcp_packet_open(const struct kcp_header *h, struct kcp_security *s,
	    const uint8_t *d, size_t len, uint8_t *out, size_t outlen,
	    const char **errstr);
/* Largest DATA payload for this mtu, header and security (0 if none fits). */
uint32_t kcp_packet_mss(uint32_t mtu, const struct kcp_header *h,
	    const struct kcp_security *s);

/* §8: 0, or -1 with *errstr when mtu or tti is outside V2Ray's range. */
int	kcp_settings_check(uint32_t mtu, uint32_t tti, const char **errstr);
/* read/writeBufferSize in MB to bytes: 0 -> 512 KiB, u32 wrap as V2Ray. */
uint32_t kcp_buffer_bytes(uint32_t mb);

/*
 * §7 window sizes, in segments, with V2Ray's u32 arithmetic:
 * max(8, capacity*1048576 / mtu / (1000 / tti)). SendInFlight uses the
 * uplink capacity, RecvInFlight the downlink one.
 */
uint32_t kcp_in_flight(uint32_t capacity_mb, uint32_t mtu, uint32_t tti);
/* SendQueueCap = writeBufferBytes / mtu. */
uint32_t kcp_send_queue_cap(uint32_t write_buffer_bytes, uint32_t mtu);

/* a - b as a signed distance mod 2^32. */
int32_t	kcp_seq_diff(uint32_t a, uint32_t b);
/* 1 if a comes before b, allowing for wrap. */
int	kcp_seq_before(uint32_t a, uint32_t b);
/* 1 if a segment/ack with this timeout is due at now (V2Ray's test). */
int	kcp_timer_due(uint32_t now, uint32_t timeout);
/* 1 if DATA num fits the receive window; otherwise drop it without ACK. */
int	kcp_recv_accept(uint32_t num, uint32_t rcv_next,
	    uint32_t recv_in_flight);
/* ACK.rcv_wnd advertised: rcv_next + RecvInFlight. */
uint32_t kcp_rcv_wnd(uint32_t rcv_next, uint32_t recv_in_flight);
/* 1 if an ACKed num lies in [first_una, next_num) (wrap-aware). */
int	kcp_ack_in_range(uint32_t num, uint32_t first_una, uint32_t next_num);
/* Fold a DATA ts into an ACK's ts (starts at 0): wrap-aware max. */
uint32_t kcp_ts_fold(uint32_t acc, uint32_t ts);
/* Re-ACK interval: max(rto/2, 20). */
uint32_t kcp_ack_interval(uint32_t rto);
/*
 * Segments a flush may send: min(SendInFlight, remote_wnd - first_una),
 * capped by ctrl_wnd when congestion is on, times 20. The flush still
 * sends one segment when this is 0.
 */
uint32_t kcp_flush_limit(uint32_t send_in_flight, uint32_t remote_wnd,
	    uint32_t first_una, int congestion, uint32_t ctrl_wnd);
/* Loss rate of a flush in percent; 0 when total is 0. */
uint32_t kcp_loss_rate(uint32_t lost, uint32_t total_in_flight);
/* Congestion controller step: shrink at >= 15%, grow at <= 5%, clamp. */
uint32_t kcp_ctrl_wnd_update(uint32_t ctrl_wnd, uint32_t rate,
	    uint32_t send_in_flight);
/* Fast retransmit: timeout - rto/3 for already sent segments before maxack. */
uint32_t kcp_fast_ack_timeout(uint32_t timeout, uint32_t transmit,
	    uint32_t rto);

/* §7 RTO estimator, per session. */
struct kcp_rtt {
	uint32_t	r_srtt;
	uint32_t	r_var;
	uint32_t	r_rto;
	uint32_t	r_min_rtt;	/* = TTI */
	uint32_t	r_updated;	/* session ms of the last rto change */
};

void	kcp_rtt_init(struct kcp_rtt *r, uint32_t tti);
/* Feed an RTT sample taken at now (samples >= 2^31 are ignored). */
void	kcp_rtt_sample(struct kcp_rtt *r, uint32_t rtt, uint32_t now);
/* Adopt a CMD segment's peer_rto unless our rto changed < 3000 ms ago. */
void	kcp_rtt_peer(struct kcp_rtt *r, uint32_t peer_rto, uint32_t now);

#endif /* LIBSHARED_KCP_PACKET_H */
