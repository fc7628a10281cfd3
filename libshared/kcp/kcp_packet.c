/* SPDX-License-Identifier: MIT */
/*
 * kcp_packet.c: V2Ray 4.34 mKCP datagram codecs: obfuscation headers (§2),
 * SimpleAuthenticator and AES-128-GCM (§3), segments (§4), sizes and the
 * window/RTO arithmetic of §5-§8. Pure functions, no I/O.
 */
#include "kcp/kcp_packet.h"

#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static uint16_t
kcp_get16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static uint32_t
kcp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
kcp_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
kcp_put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

static int
kcp_random(kcp_random_fn *rnd, void *arg, void *buf, size_t len)
{
	if (rnd != NULL)
		return rnd(arg, buf, len);
	if (len > INT_MAX || RAND_bytes(buf, (int)len) != 1)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ §2 */

static const struct {
	const char		*name;
	enum kcp_header_type	 type;
} kcp_header_names[] = {
	{ "none",		KCP_HEADER_NONE },
	{ "srtp",		KCP_HEADER_SRTP },
	{ "utp",		KCP_HEADER_UTP },
	{ "wechat-video",	KCP_HEADER_WECHAT_VIDEO },
	{ "dtls",		KCP_HEADER_DTLS },
	{ "wireguard",		KCP_HEADER_WIREGUARD },
};

int
kcp_header_type_parse(const char *type, enum kcp_header_type *out)
{
	size_t	i;

	if (type == NULL || *type == '\0') {
		*out = KCP_HEADER_NONE;
		return 0;
	}
	for (i = 0; i < sizeof(kcp_header_names) / sizeof(kcp_header_names[0]);
	    i++) {
		if (strcmp(type, kcp_header_names[i].name) == 0) {
			*out = kcp_header_names[i].type;
			return 0;
		}
	}
	return -1;
}

int
kcp_header_init_rand(struct kcp_header *h, const char *type,
    kcp_random_fn *rnd, void *arg)
{
	enum kcp_header_type	t;
	uint8_t			r[2];

	if (kcp_header_type_parse(type, &t) == -1)
		return -1;
	memset(h, 0, sizeof(*h));
	h->h_type = t;
	switch (t) {
	case KCP_HEADER_SRTP:
	case KCP_HEADER_UTP:
	case KCP_HEADER_WECHAT_VIDEO:
	case KCP_HEADER_DTLS:
		if (kcp_random(rnd, arg, r, sizeof(r)) == -1)
			return -1;
		h->h_id = kcp_get16(r);
		break;
	default:
		break;
	}
	if (t == KCP_HEADER_WECHAT_VIDEO) {
		/* V2Ray rolls a u16 and widens it: sn starts below 65536. */
		h->h_seq = h->h_id;
		h->h_id = 0;
	}
	if (t == KCP_HEADER_DTLS)
		h->h_len = 17;
	return 0;
}

int
kcp_header_init(struct kcp_header *h, const char *type)
{
	return kcp_header_init_rand(h, type, NULL, NULL);
}

size_t
kcp_header_size(const struct kcp_header *h)
{
	if (h == NULL)
		return 0;
	switch (h->h_type) {
	case KCP_HEADER_SRTP:
	case KCP_HEADER_UTP:
	case KCP_HEADER_WIREGUARD:
		return 4;
	case KCP_HEADER_WECHAT_VIDEO:
	case KCP_HEADER_DTLS:
		return 13;
	default:
		return 0;
	}
}

size_t
kcp_header_write(struct kcp_header *h, uint8_t *out)
{
	static const uint8_t	wechat_tail[7] = {
		0x00, 0x10, 0x11, 0x18, 0x30, 0x22, 0x30
	};

	if (h == NULL)
		return 0;
	switch (h->h_type) {
	case KCP_HEADER_SRTP:
		h->h_id++;		/* pre-increment, u16 wrap */
		out[0] = 0xB5;
		out[1] = 0xE8;
		kcp_put16(out + 2, h->h_id);
		return 4;
	case KCP_HEADER_UTP:
		kcp_put16(out, h->h_id);
		out[2] = 0x01;
		out[3] = 0x00;
		return 4;
	case KCP_HEADER_WECHAT_VIDEO:
		h->h_seq++;		/* pre-increment, u32 */
		out[0] = 0xA1;
		out[1] = 0x08;
		kcp_put32(out + 2, h->h_seq);
		memcpy(out + 6, wechat_tail, sizeof(wechat_tail));
		return 13;
	case KCP_HEADER_DTLS:
		out[0] = 0x17;
		out[1] = 0xFE;
		out[2] = 0xFD;
		kcp_put16(out + 3, h->h_id);
		out[5] = 0;
		out[6] = 0;
		kcp_put32(out + 7, h->h_seq);
		h->h_seq++;		/* post-increment */
		kcp_put16(out + 11, h->h_len);
		/* Fake length cycling in 17..100, unrelated to the datagram. */
		h->h_len += 17;
		if (h->h_len > 100)
			h->h_len -= 50;
		return 13;
	case KCP_HEADER_WIREGUARD:
		out[0] = 0x04;
		out[1] = 0x00;
		out[2] = 0x00;
		out[3] = 0x00;
		return 4;
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ §3 */

#define KCP_FNV_BASIS	0x811C9DC5u
#define KCP_FNV_PRIME	0x01000193u

static uint32_t
kcp_fnv_step(uint32_t h, uint8_t b)
{
	return (h ^ b) * KCP_FNV_PRIME;
}

int
kcp_security_init(struct kcp_security *s, const char *seed)
{
	uint8_t	digest[32];

	memset(s, 0, sizeof(*s));
	if (seed == NULL) {
		s->s_kind = KCP_SEC_SIMPLE;
		return 0;
	}
	s->s_kind = KCP_SEC_GCM;
	if (EVP_Digest(seed, strlen(seed), digest, NULL, EVP_sha256(),
	    NULL) != 1)
		return -1;
	memcpy(s->s_key, digest, sizeof(s->s_key));
	OPENSSL_cleanse(digest, sizeof(digest));

	/* Key once here; each packet only re-sets the IV. */
	if ((s->s_enc = EVP_CIPHER_CTX_new()) == NULL ||
	    (s->s_dec = EVP_CIPHER_CTX_new()) == NULL)
		goto fail;
	if (EVP_EncryptInit_ex(s->s_enc, EVP_aes_128_gcm(), NULL, NULL,
	    NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->s_enc, EVP_CTRL_GCM_SET_IVLEN,
	    KCP_GCM_NONCE_SIZE, NULL) != 1 ||
	    EVP_EncryptInit_ex(s->s_enc, NULL, NULL, s->s_key, NULL) != 1)
		goto fail;
	if (EVP_DecryptInit_ex(s->s_dec, EVP_aes_128_gcm(), NULL, NULL,
	    NULL) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->s_dec, EVP_CTRL_GCM_SET_IVLEN,
	    KCP_GCM_NONCE_SIZE, NULL) != 1 ||
	    EVP_DecryptInit_ex(s->s_dec, NULL, NULL, s->s_key, NULL) != 1)
		goto fail;
	return 0;
 fail:
	kcp_security_cleanup(s);
	return -1;
}

void
kcp_security_set_random(struct kcp_security *s, kcp_random_fn *rnd,
    void *arg)
{
	s->s_rnd = rnd;
	s->s_rnd_arg = arg;
}

void
kcp_security_cleanup(struct kcp_security *s)
{
	EVP_CIPHER_CTX_free(s->s_enc);
	EVP_CIPHER_CTX_free(s->s_dec);
	s->s_enc = NULL;
	s->s_dec = NULL;
	OPENSSL_cleanse(s->s_key, sizeof(s->s_key));
}

size_t
kcp_security_overhead(const struct kcp_security *s)
{
	return s->s_kind == KCP_SEC_GCM ? KCP_GCM_OVERHEAD :
	    KCP_SIMPLE_OVERHEAD;
}

size_t
kcp_security_mss_overhead(const struct kcp_security *s)
{
	return s->s_kind == KCP_SEC_GCM ? KCP_GCM_MSS_OVERHEAD :
	    KCP_SIMPLE_MSS_OVERHEAD;
}

/*
 * Simple: out = hash(4) | len(2) | P, then every byte from 4 on is XORed
 * with the already scrambled byte 4 before it (a running XOR per lane).
 */
static void
kcp_simple_seal(const uint8_t *p, size_t len, uint8_t *out)
{
	uint32_t	h = KCP_FNV_BASIS;
	size_t		i;

	kcp_put16(out + 4, (uint16_t)len);
	memcpy(out + 6, p, len);
	for (i = 4; i < len + 6; i++)
		h = kcp_fnv_step(h, out[i]);
	kcp_put32(out, h);
	for (i = 4; i < len + 6; i++)
		out[i] ^= out[i - 4];
}

/*
 * Undoing the running XOR needs no copy: plain[i] = w[i] ^ w[i-4] since
 * w[i-4] is exactly what was folded in. So verify first, then write out.
 */
static ssize_t
kcp_simple_open(const uint8_t *w, size_t len, uint8_t *out, size_t outlen,
    const char **errstr)
{
	uint32_t	h = KCP_FNV_BASIS;
	size_t		i, plen;

	if (len <= KCP_SIMPLE_OVERHEAD) {
		*errstr = "simple: datagram too short";
		return -1;
	}
	for (i = 4; i < len; i++)
		h = kcp_fnv_step(h, w[i] ^ w[i - 4]);
	if (h != kcp_get32(w)) {
		*errstr = "simple: checksum mismatch";
		return -1;
	}
	plen = len - KCP_SIMPLE_OVERHEAD;
	if ((((unsigned)(w[4] ^ w[0]) << 8) | (w[5] ^ w[1])) != plen) {
		*errstr = "simple: length mismatch";
		return -1;
	}
	if (outlen < plen) {
		*errstr = "output buffer too small";
		return -1;
	}
	for (i = 0; i < plen; i++)
		out[i] = w[i + 6] ^ w[i + 2];
	return (ssize_t)plen;
}

static ssize_t
kcp_gcm_seal(struct kcp_security *s, const uint8_t *p, size_t len,
    uint8_t *out)
{
	uint8_t	*ct = out + KCP_GCM_NONCE_SIZE;
	int	 n = 0, fin = 0;

	if (kcp_random(s->s_rnd, s->s_rnd_arg, out, KCP_GCM_NONCE_SIZE) == -1)
		return -1;
	if (EVP_EncryptInit_ex(s->s_enc, NULL, NULL, NULL, out) != 1)
		return -1;
	if (len > 0 && EVP_EncryptUpdate(s->s_enc, ct, &n, p, (int)len) != 1)
		return -1;
	if (EVP_EncryptFinal_ex(s->s_enc, ct + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != len)
		return -1;
	if (EVP_CIPHER_CTX_ctrl(s->s_enc, EVP_CTRL_GCM_GET_TAG,
	    KCP_GCM_TAG_SIZE, ct + len) != 1)
		return -1;
	return (ssize_t)(len + KCP_GCM_OVERHEAD);
}

static ssize_t
kcp_gcm_open(struct kcp_security *s, const uint8_t *w, size_t len,
    uint8_t *out, size_t outlen, const char **errstr)
{
	const uint8_t	*ct = w + KCP_GCM_NONCE_SIZE;
	uint8_t		 tag[KCP_GCM_TAG_SIZE];
	size_t		 plen;
	int		 n = 0, fin = 0;

	if (len <= KCP_GCM_OVERHEAD) {
		*errstr = "gcm: datagram too short";
		return -1;
	}
	plen = len - KCP_GCM_OVERHEAD;
	if (outlen < plen) {
		*errstr = "output buffer too small";
		return -1;
	}
	if (plen > KCP_SEAL_MAX) {
		*errstr = "gcm: datagram too long";
		return -1;
	}
	/* SET_TAG takes a non-const pointer; copy rather than cast away. */
	memcpy(tag, ct + plen, sizeof(tag));
	if (EVP_DecryptInit_ex(s->s_dec, NULL, NULL, NULL, w) != 1 ||
	    EVP_DecryptUpdate(s->s_dec, out, &n, ct, (int)plen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->s_dec, EVP_CTRL_GCM_SET_TAG,
	    KCP_GCM_TAG_SIZE, tag) != 1) {
		*errstr = "gcm: cipher failure";
		goto fail;
	}
	if (EVP_DecryptFinal_ex(s->s_dec, out + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != plen) {
		*errstr = "gcm: authentication failed";
		goto fail;
	}
	return (ssize_t)plen;
 fail:
	/* Never hand back unauthenticated plaintext. */
	OPENSSL_cleanse(out, plen);
	return -1;
}

ssize_t
kcp_security_seal(struct kcp_security *s, const uint8_t *p, size_t len,
    uint8_t *out, size_t outlen)
{
	if (len > KCP_SEAL_MAX || outlen < len + kcp_security_overhead(s))
		return -1;
	if (s->s_kind == KCP_SEC_GCM)
		return kcp_gcm_seal(s, p, len, out);
	kcp_simple_seal(p, len, out);
	return (ssize_t)(len + KCP_SIMPLE_OVERHEAD);
}

ssize_t
kcp_security_open(struct kcp_security *s, const uint8_t *w, size_t len,
    uint8_t *out, size_t outlen, const char **errstr)
{
	if (s->s_kind == KCP_SEC_GCM)
		return kcp_gcm_open(s, w, len, out, outlen, errstr);
	return kcp_simple_open(w, len, out, outlen, errstr);
}

/* ------------------------------------------------------------------ §4 */

size_t
kcp_segment_size(const struct kcp_segment *s)
{
	switch (s->cmd) {
	case KCP_CMD_DATA:
		return KCP_SEG_DATA_OVERHEAD + (size_t)s->data_len;
	case KCP_CMD_ACK:
		return KCP_SEG_ACK_OVERHEAD + 4 * (size_t)s->count;
	default:
		return KCP_SEG_CMD_SIZE;
	}
}

ssize_t
kcp_segment_encode(const struct kcp_segment *s, uint8_t *out, size_t outlen)
{
	size_t	need = kcp_segment_size(s), i;

	if (outlen < need)
		return -1;
	if (s->cmd == KCP_CMD_ACK && s->count > KCP_ACK_MAX_NUMS)
		return -1;
	kcp_put16(out, s->conv);
	out[2] = s->cmd;
	out[3] = s->opt;
	switch (s->cmd) {
	case KCP_CMD_DATA:
		kcp_put32(out + 4, s->ts);
		kcp_put32(out + 8, s->num);
		kcp_put32(out + 12, s->snd_next);
		kcp_put16(out + 16, s->data_len);
		if (s->data_len > 0)
			memcpy(out + 18, s->data, s->data_len);
		break;
	case KCP_CMD_ACK:
		kcp_put32(out + 4, s->rcv_wnd);
		kcp_put32(out + 8, s->rcv_next);
		kcp_put32(out + 12, s->ts);
		out[16] = s->count;
		for (i = 0; i < s->count; i++)
			kcp_put32(out + 17 + 4 * i, s->nums[i]);
		break;
	default:
		kcp_put32(out + 4, s->snd_next);
		kcp_put32(out + 8, s->rcv_next);
		kcp_put32(out + 12, s->peer_rto);
		break;
	}
	return (ssize_t)need;
}

/*
 * +------+-----+-----+------------------------------------------+
 * | conv | cmd | opt | DATA: ts num snd_next len:u16 payload    |
 * | u16  | u8  | u8  | ACK:  rcv_wnd rcv_next ts count:u8 num[] |
 * |      |     |     | else: snd_next rcv_next peer_rto         |
 * +------+-----+-----+------------------------------------------+
 */
ssize_t
kcp_segment_decode(const uint8_t *p, size_t len, struct kcp_segment *out,
    const char **errstr)
{
	const uint8_t	*b = p + KCP_SEG_PREFIX;
	size_t		 blen, i;

	if (len < KCP_SEG_PREFIX) {
		*errstr = "segment: short prefix";
		return -1;
	}
	blen = len - KCP_SEG_PREFIX;
	out->conv = kcp_get16(p);
	out->cmd = p[2];
	out->opt = p[3];
	out->ts = out->num = out->snd_next = 0;
	out->rcv_next = out->rcv_wnd = out->peer_rto = 0;
	out->data = NULL;
	out->data_len = 0;
	out->count = 0;
	switch (out->cmd) {
	case KCP_CMD_DATA:
		/* 15, not 14: V2Ray refuses an empty DATA ending a datagram. */
		if (blen < 15) {
			*errstr = "data: short header";
			return -1;
		}
		out->ts = kcp_get32(b);
		out->num = kcp_get32(b + 4);
		out->snd_next = kcp_get32(b + 8);
		out->data_len = kcp_get16(b + 12);
		if (blen - 14 < out->data_len) {
			*errstr = "data: payload truncated";
			return -1;
		}
		out->data = b + 14;
		return (ssize_t)(KCP_SEG_DATA_OVERHEAD + out->data_len);
	case KCP_CMD_ACK:
		if (blen < 13) {
			*errstr = "ack: short header";
			return -1;
		}
		out->rcv_wnd = kcp_get32(b);
		out->rcv_next = kcp_get32(b + 4);
		out->ts = kcp_get32(b + 8);
		out->count = b[12];
		if (blen - 13 < 4 * (size_t)out->count) {
			*errstr = "ack: number list truncated";
			out->count = 0;
			return -1;
		}
		for (i = 0; i < out->count; i++)
			out->nums[i] = kcp_get32(b + 13 + 4 * i);
		return (ssize_t)(KCP_SEG_ACK_OVERHEAD + 4 * (size_t)out->count);
	default:
		if (blen < 12) {
			*errstr = "cmd: short body";
			return -1;
		}
		out->snd_next = kcp_get32(b);
		out->rcv_next = kcp_get32(b + 4);
		out->peer_rto = kcp_get32(b + 8);
		return KCP_SEG_CMD_SIZE;
	}
}

size_t
kcp_segment_walk(const uint8_t *p, size_t len, kcp_segment_cb *cb, void *arg)
{
	struct kcp_segment	 seg;
	const char		*errstr;
	size_t			 n = 0;
	ssize_t			 r;

	while (len > 0) {
		if ((r = kcp_segment_decode(p, len, &seg, &errstr)) <= 0)
			break;
		n++;
		if (cb(&seg, arg) != 0)
			break;
		p += r;
		len -= (size_t)r;
	}
	return n;
}

ssize_t
kcp_packet_seal(struct kcp_header *h, struct kcp_security *s,
    const uint8_t *p, size_t len, uint8_t *out, size_t outlen)
{
	size_t	hs = kcp_header_size(h);
	ssize_t	n;

	if (outlen < hs)
		return -1;
	/* Seal first so a failure does not consume a header counter. */
	if ((n = kcp_security_seal(s, p, len, out + hs, outlen - hs)) == -1)
		return -1;
	kcp_header_write(h, out);
	return n + (ssize_t)hs;
}

ssize_t
kcp_packet_open(const struct kcp_header *h, struct kcp_security *s,
    const uint8_t *d, size_t len, uint8_t *out, size_t outlen,
    const char **errstr)
{
	size_t	hs = kcp_header_size(h);

	if (len <= hs) {
		*errstr = "datagram not longer than its header";
		return -1;
	}
	if (len > KCP_RECV_BUF_SIZE) {
		*errstr = "datagram exceeds the receive buffer";
		return -1;
	}
	return kcp_security_open(s, d + hs, len - hs, out, outlen, errstr);
}

uint32_t
kcp_packet_mss(uint32_t mtu, const struct kcp_header *h,
    const struct kcp_security *s)
{
	size_t	ov = kcp_header_size(h) + kcp_security_mss_overhead(s) +
		    KCP_SEG_DATA_OVERHEAD;

	return mtu > ov ? mtu - (uint32_t)ov : 0;
}

/* -------------------------------------------------------------- §7, §8 */

int
kcp_settings_check(uint32_t mtu, uint32_t tti, const char **errstr)
{
	if (mtu < KCP_MTU_MIN || mtu > KCP_MTU_MAX) {
		*errstr = "invalid mKCP MTU size (576..1460)";
		return -1;
	}
	if (tti < KCP_TTI_MIN || tti > KCP_TTI_MAX) {
		*errstr = "invalid mKCP TTI (10..100)";
		return -1;
	}
	return 0;
}

uint32_t
kcp_buffer_bytes(uint32_t mb)
{
	/* u32 product wraps exactly as V2Ray's does. */
	return mb == 0 ? KCP_BUFFER_ZERO : mb * KCP_BUFFER_MB;
}

uint32_t
kcp_in_flight(uint32_t capacity_mb, uint32_t mtu, uint32_t tti)
{
	uint32_t	size;

	/* Go would panic; validated settings never get here. */
	if (mtu == 0 || tti == 0 || tti > 1000)
		return KCP_MIN_INFLIGHT;
	size = capacity_mb * KCP_BUFFER_MB / mtu / (1000 / tti);
	return size < KCP_MIN_INFLIGHT ? KCP_MIN_INFLIGHT : size;
}

uint32_t
kcp_send_queue_cap(uint32_t write_buffer_bytes, uint32_t mtu)
{
	return mtu == 0 ? 0 : write_buffer_bytes / mtu;
}

int32_t
kcp_seq_diff(uint32_t a, uint32_t b)
{
	uint32_t	d = a - b;

	/* Converting a u32 above INT32_MAX is implementation-defined. */
	if (d <= INT32_MAX)
		return (int32_t)d;
	return -(int32_t)(~d) - 1;
}

int
kcp_seq_before(uint32_t a, uint32_t b)
{
	return kcp_seq_diff(a, b) < 0;
}

int
kcp_timer_due(uint32_t now, uint32_t timeout)
{
	return now - timeout < 0x7FFFFFFFu;
}

int
kcp_recv_accept(uint32_t num, uint32_t rcv_next, uint32_t recv_in_flight)
{
	return num - rcv_next < recv_in_flight;
}

uint32_t
kcp_rcv_wnd(uint32_t rcv_next, uint32_t recv_in_flight)
{
	return rcv_next + recv_in_flight;
}

int
kcp_ack_in_range(uint32_t num, uint32_t first_una, uint32_t next_num)
{
	return !(num - first_una > 0x7FFFFFFFu ||
	    num - next_num < 0x7FFFFFFFu);
}

uint32_t
kcp_ts_fold(uint32_t acc, uint32_t ts)
{
	return ts - acc < 0x7FFFFFFFu ? ts : acc;
}

uint32_t
kcp_ack_interval(uint32_t rto)
{
	return rto / 2 < KCP_ACK_INTERVAL_MIN ? KCP_ACK_INTERVAL_MIN : rto / 2;
}

uint32_t
kcp_flush_limit(uint32_t send_in_flight, uint32_t remote_wnd,
    uint32_t first_una, int congestion, uint32_t ctrl_wnd)
{
	uint32_t	cwnd = send_in_flight;

	/* Plain u32 difference, as V2Ray: a lagging remote_wnd wraps huge. */
	if (cwnd > remote_wnd - first_una)
		cwnd = remote_wnd - first_una;
	if (congestion && cwnd > ctrl_wnd)
		cwnd = ctrl_wnd;
	return cwnd * KCP_FLUSH_BURST;
}

uint32_t
kcp_loss_rate(uint32_t lost, uint32_t total_in_flight)
{
	return total_in_flight == 0 ? 0 : lost * 100 / total_in_flight;
}

uint32_t
kcp_ctrl_wnd_update(uint32_t ctrl_wnd, uint32_t rate, uint32_t send_in_flight)
{
	if (rate >= 15)
		ctrl_wnd = 3 * ctrl_wnd / 4;
	else if (rate <= 5)
		ctrl_wnd += ctrl_wnd / 4;
	if (ctrl_wnd < KCP_CTRL_WND_MIN)
		ctrl_wnd = KCP_CTRL_WND_MIN;
	if (ctrl_wnd > 2 * send_in_flight)
		ctrl_wnd = 2 * send_in_flight;
	return ctrl_wnd;
}

uint32_t
kcp_fast_ack_timeout(uint32_t timeout, uint32_t transmit, uint32_t rto)
{
	if (transmit > 0 && timeout > rto / 3)
		return timeout - rto / 3;
	return timeout;
}

void
kcp_rtt_init(struct kcp_rtt *r, uint32_t tti)
{
	memset(r, 0, sizeof(*r));
	r->r_rto = KCP_RTO_INITIAL;
	r->r_min_rtt = tti;
}

void
kcp_rtt_sample(struct kcp_rtt *r, uint32_t rtt, uint32_t now)
{
	uint32_t	delta, rto;

	if (rtt > 0x7FFFFFFFu)
		return;
	/* srtt 0 means "no sample yet", so a 0 ms sample keeps restarting. */
	if (r->r_srtt == 0) {
		r->r_srtt = rtt;
		r->r_var = rtt / 2;
	} else {
		delta = rtt > r->r_srtt ? rtt - r->r_srtt : r->r_srtt - rtt;
		r->r_var = (3 * r->r_var + delta) / 4;
		r->r_srtt = (7 * r->r_srtt + rtt) / 8;
		if (r->r_srtt < r->r_min_rtt)
			r->r_srtt = r->r_min_rtt;
	}
	if (r->r_min_rtt < 4 * r->r_var)
		rto = r->r_srtt + 4 * r->r_var;
	else
		rto = r->r_srtt + r->r_var;
	if (rto > KCP_RTO_MAX)
		rto = KCP_RTO_MAX;
	r->r_rto = rto * 5 / 4;
	r->r_updated = now;
}

void
kcp_rtt_peer(struct kcp_rtt *r, uint32_t peer_rto, uint32_t now)
{
	if (now - r->r_updated < KCP_PEER_RTO_HOLD_MS)
		return;
	r->r_updated = now;
	r->r_rto = peer_rto;
}
