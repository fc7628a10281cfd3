/* SPDX-License-Identifier: MIT */
/*
 * vmess.h: pure VMess codecs byte-compatible with V2Ray 4.34 (see
 * shared/docs/vmess.md): identities, request/response headers, the body
 * chunk codec and the replay filters. No sockets, no event loop, no logs.
 */
#ifndef LIBSHARED_VMESS_H
#define LIBSHARED_VMESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/vcrypto.h"

struct evp_cipher_ctx_st;	/* OpenSSL's EVP_CIPHER_CTX */

/* ------------------------------------------------------------------ */
/* Constants (§3.1, §9)                                               */

#define VMESS_VERSION		1

#define VMESS_OPT_S		0x01	/* chunk stream */
#define VMESS_OPT_R		0x02	/* legacy "reuse", ignored */
#define VMESS_OPT_M		0x04	/* SHAKE128 length masking */
#define VMESS_OPT_P		0x08	/* global padding, needs M */

#define VMESS_SEC_LEGACY	1	/* AES-128-CFB (+FNV); 0 means this too */
#define VMESS_SEC_AUTO		2	/* never valid on the wire */
#define VMESS_SEC_AES128GCM	3
#define VMESS_SEC_CHACHA20	4	/* ChaCha20-Poly1305 */
#define VMESS_SEC_NONE		5

#define VMESS_CMD_TCP		1
#define VMESS_CMD_UDP		2
#define VMESS_CMD_MUX		3	/* v1.mux.cool, no address */

#define VMESS_ATYPE_IPV4	1
#define VMESS_ATYPE_DOMAIN	2
#define VMESS_ATYPE_IPV6	3

#define VMESS_AEAD_WINDOW	120	/* |EAuID time - now| allowed, s */
#define VMESS_LEGACY_WINDOW	120	/* legacy hash table half width, s */
#define VMESS_LEGACY_REFRESH	10	/* vmess_authtab_refresh period, s */
#define VMESS_SESSION_TTL	180	/* session history, s */

/* ------------------------------------------------------------------ */
/* Size limits an engine sizes its buffers with                       */

#define VMESS_CMD_MIN		42	/* Mux, no padding */
#define VMESS_CMD_MAX		316	/* 46 + 255-byte domain + 15 padding */
#define VMESS_LEGACY_REQ_MAX	(16 + VMESS_CMD_MAX)
/* Longest AEAD command section accepted (4.34 takes up to 65535). */
#define VMESS_AEAD_CMD_LIMIT	1024
#define VMESS_AEAD_REQ_MAX	(16 + 18 + 8 + VMESS_AEAD_CMD_LIMIT + 16)
#define VMESS_REQ_MAX		VMESS_AEAD_REQ_MAX
/* Response: V Opt CmdID CmdLen + up to 255 command bytes. */
#define VMESS_RESP_PLAIN_MAX	(4 + 255)
#define VMESS_RESP_MAX		(18 + VMESS_RESP_PLAIN_MAX + 16)

#define VMESS_CHUNK_LEN_MAX	65535	/* largest L a chunk can carry */
/* Largest whole chunk a reader may have to buffer (length + L). */
#define VMESS_CHUNK_MAX		(2 + VMESS_CHUNK_LEN_MAX)
/* Largest plaintext vmess_body_open can output for one chunk. */
#define VMESS_CHUNK_PAYLOAD_MAX	VMESS_CHUNK_LEN_MAX
/* Most bytes a chunk adds to its plaintext: length, tag, padding. */
#define VMESS_BODY_OVERHEAD_MAX	(2 + 16 + 63)
/* 4.34 writers keep a whole generic chunk within this (§6.2). */
#define VMESS_CHUNK_WRITE_MAX	2048
/*
 * What we write on a TCP stream instead: 4.34 readers take any L up to
 * 65535 (§6.2), and a 16 KiB chunk pays the per-chunk AEAD set-up (nonce,
 * tag, mask) once per 16 KiB instead of once per 2 KiB. With masking the
 * lengths are not visible on the wire either way. Four such chunks with
 * their overhead fit one 64 KiB evbuffer chain.
 */
#define VMESS_CHUNK_STREAM_MAX	(16384 - 64)
/* NONE+S over a stream: 4.34 cuts plaintext into slices of this (§6.3). */
#define VMESS_STREAM_SLICE	8192

/* ------------------------------------------------------------------ */
/* Identities (§1), vmess_id.c                                        */

/* One configured user, plain data with its derived keys. */
struct vmess_user {
	uint8_t		 uuid[16];
	uint8_t		 cmd_key[16];	/* MD5(uuid || salt) */
	uint8_t		 authid_key[16];	/* KDF16(cmdKey, AuthID path) */
	uint16_t	 alter_id;
};

/*
 * 4.34 UUID text: >= 32 characters, hex groups 8-4-4-4-12 each optionally
 * preceded by '-', trailing characters ignored. 0 or -1.
 */
int	vmess_uuid_parse(const char *s, uint8_t out[16]);
/* Canonical lower-case 36-character form into out[37]. */
void	vmess_uuid_format(const uint8_t uuid[16], char out[37]);
int	vmess_cmd_key(const uint8_t uuid[16], uint8_t out[16]);
int	vmess_user_init(struct vmess_user *u, const uint8_t uuid[16],
	    uint16_t alter_id);
/* The alternate-ID chain alter[0..n-1] from the primary uuid (§1.2). */
int	vmess_alter_ids(const uint8_t uuid[16], uint16_t n, uint8_t (*out)[16]);
/* Legacy auth: HMAC-MD5(key = id, msg = BE64(ts)) (§3.2). */
int	vmess_legacy_auth(const uint8_t id[16], int64_t ts, uint8_t out[16]);

/*
 * EAuID (§3.3):
 *
 *   plain = BE64(t) | rand(4) | BE32(CRC32(BE64(t) | rand))      16 bytes
 *   EAuID = AES-128-ECB(authid_key, plain)
 *
 * rand may be NULL (CSPRNG). decode returns 0 with *t when the CRC holds,
 * -1 otherwise; the time window is vmess_authid_match's business.
 */
int	vmess_authid_encode(const uint8_t authid_key[16], int64_t t,
	    const uint8_t rand4[4], uint8_t out[16]);
int	vmess_authid_decode(const uint8_t authid_key[16],
	    const uint8_t in[16], int64_t *t);
/*
 * Server side: the index of the first user whose key decodes `eauid` with a
 * valid CRC, t >= 0 and |t - now| <= 120; -1 when none does.
 */
ssize_t	vmess_authid_match(const struct vmess_user *users, size_t n,
	    const uint8_t eauid[16], int64_t now, int64_t *t);

/*
 * The same match for a server with many users: each user's AuthID key is
 * expanded once (an AES-NI schedule, eight users decrypted at a time; or
 * an OpenSSL context each without AES-NI), and the users that matched
 * most recently are tried first, so a connection from
 * an active user costs about what it costs with one user. Users are added
 * in the order of the server's user list; find returns that index.
 */
#define VMESS_MATCH_RECENT	16
struct vmess_matcher {
	bool			 m_fast;	/* AES-NI: m_rk, else m_ctx */
	uint8_t			(*m_rk)[VCRYPTO_AES_RK];
	struct evp_cipher_ctx_st **m_ctx;
	size_t			 m_n;
	size_t			 m_cap;
	uint32_t		 m_recent[VMESS_MATCH_RECENT];
	size_t			 m_nrecent;
};
void	vmess_matcher_init(struct vmess_matcher *m);
int	vmess_matcher_add(struct vmess_matcher *m, const uint8_t authid_key[16]);
/* Reload: the next user is src's user i (its expanded key copied). */
int	vmess_matcher_adopt(struct vmess_matcher *m,
	    const struct vmess_matcher *src, size_t i);
/* Reload: src's recent users, renumbered by user_map (-1: gone). */
void	vmess_matcher_adopt_recent(struct vmess_matcher *m,
	    const struct vmess_matcher *src, const ssize_t *user_map,
	    size_t nusers);
ssize_t	vmess_matcher_find(struct vmess_matcher *m, const uint8_t eauid[16],
	    int64_t now, int64_t *t);
void	vmess_matcher_cleanup(struct vmess_matcher *m);

/*
 * Legacy auth lookup table (§3.4 step 2): HMAC-MD5(id, ts) -> (user, ts)
 * for the primary and every alternate ID of every user added and every ts
 * within [now - 120, now + 120]. Adding a user costs only its own values;
 * vmess_authtab_refresh (every 10 s) deletes the seconds that left the
 * window and adds the new ones. 16 bytes a value (a fingerprint, verified
 * on a hit). A matched value may be reused by many connections until
 * tainted.
 */
struct vmess_authtab_id;
struct vmess_authtab_ent;
struct vmess_authtab {
	struct vmess_authtab_id	*at_ids;
	size_t			 at_nids;
	size_t			 at_nalloc;
	struct vmess_authtab_ent *at_ents;
	size_t			 at_cap;	/* power of two */
	size_t			 at_used;
	int64_t			 at_lo, at_hi;	/* ts window held */
	uint8_t			 at_seed[16];
};
enum vmess_auth_result {
	VMESS_AUTH_FOUND = 0,
	VMESS_AUTH_NONE = -1,
	VMESS_AUTH_TAINTED = -2,
};

int	vmess_authtab_init(struct vmess_authtab *t);
/*
 * Adds the user's IDs (primary + alter_id alternates) and their values for
 * the window now held. 0 or -1 (memory, or more than 2^32 IDs).
 */
int	vmess_authtab_add(struct vmess_authtab *t, size_t user,
	    const uint8_t uuid[16], uint16_t alter_id, int64_t now);
/* Room for nids more IDs' values at once (a bulk add grows no table). */
int	vmess_authtab_expect(struct vmess_authtab *t, size_t nids);
/* Drops ts < now - 120 and adds up to now + 120. 0 or -1 (memory). */
int	vmess_authtab_refresh(struct vmess_authtab *t, int64_t now);
/*
 * Reload: take over src's IDs and values for the users user_map keeps
 * (src user u becomes user_map[u]; -1 drops it), taint included, without
 * computing a value. t must be empty; users added later fill its window.
 */
int	vmess_authtab_adopt(struct vmess_authtab *t,
	    const struct vmess_authtab *src, const ssize_t *user_map,
	    size_t nusers);
enum vmess_auth_result vmess_authtab_lookup(const struct vmess_authtab *t,
	    const uint8_t auth[16], size_t *user, int64_t *ts);
/* Refuses every later use of this auth value (FNV error, session replay). */
void	vmess_authtab_taint(struct vmess_authtab *t, const uint8_t auth[16]);
/* Memory the table holds, for the benchmark. */
size_t	vmess_authtab_bytes(const struct vmess_authtab *t);
void	vmess_authtab_cleanup(struct vmess_authtab *t);

/*
 * Exact replay set (hash table, no false positives). A key is remembered
 * until its expiry; vmess_replay_check returns 0 when the key is new (now
 * remembered), 1 when it is a live duplicate, -1 when the set holds `max`
 * live keys or memory ran out (refuse the connection).
 */
struct vmess_replay {
	uint8_t		*r_tab;		/* cap slots of (expire, key) */
	size_t		 r_cap;		/* power of two, or 0 */
	size_t		 r_used;	/* occupied slots, live or expired */
	size_t		 r_keylen;
	size_t		 r_max;
	int64_t		 r_retry;	/* full: no rescan before this */
	uint8_t		 r_seed[16];
};

int	vmess_replay_init(struct vmess_replay *r, size_t keylen, size_t max);
/* Live while now < expire. expire <= now is never remembered. */
int	vmess_replay_check(struct vmess_replay *r, const uint8_t *key,
	    int64_t now, int64_t expire);
size_t	vmess_replay_live(const struct vmess_replay *r, int64_t now);
void	vmess_replay_cleanup(struct vmess_replay *r);
/*
 * AEAD EAuIDs (keylen 16). Kept until the ID's own time t leaves the
 * +-120 s window (until t + 120 inclusive), after which vmess_authid_match
 * refuses it anyway: exact, and bounded by the accepted rate.
 */
int	vmess_replay_authid(struct vmess_replay *r, const uint8_t eauid[16],
	    int64_t t, int64_t now);
/* Session history (keylen 48): (primary uuid, reqKey, reqIV) for 180 s. */
int	vmess_replay_session(struct vmess_replay *r, const uint8_t uuid[16],
	    const uint8_t req_key[16], const uint8_t req_iv[16], int64_t now);

/* ------------------------------------------------------------------ */
/* Request header (§3), vmess_header.c                                */

/* What a failed server-side decode asks the handler to do (§7.2). */
enum vmess_fail {
	VMESS_FAIL_NONE = 0,
	VMESS_FAIL_DRAIN,	/* anti-probing: read Base+54+rand, then close */
	VMESS_FAIL_CLOSE,	/* close at once */
};

/*
 * Command section, plaintext (§3.1). Offsets:
 *
 *   0   Ver        1   (client sends 1; not checked)
 *   1   reqIV     16
 *   17  reqKey    16
 *   33  V          1   response auth byte, echoed by the server
 *   34  Opt        1   VMESS_OPT_*
 *   35  P<<4|Sec   1   P: padding 0..15, Sec: VMESS_SEC_*
 *   36  Rsv        1
 *   37  Cmd        1   VMESS_CMD_*
 *   38  Port       2   \
 *   40  AType      1    > absent for VMESS_CMD_MUX
 *   41  Addr     var   /  IPv4 4 | domain len(1)+bytes | IPv6 16
 *   ..  padding    P
 *   ..  F          4   BE32 FNV-1a over every byte above
 */
struct vmess_request {
	uint8_t		 ver;
	uint8_t		 req_iv[16];
	uint8_t		 req_key[16];
	uint8_t		 v;
	uint8_t		 opt;
	uint8_t		 padlen;	/* 0..15 */
	uint8_t		 sec;		/* decode turns 0 into LEGACY */
	uint8_t		 rsv;
	uint8_t		 cmd;
	uint16_t	 port;
	uint8_t		 atype;		/* 0 for Mux */
	uint8_t		 addr_len;	/* 4, 16 or the domain length */
	uint8_t		 addr[256];	/* domain NUL-terminated */
	uint8_t		 padding[15];

	/* Set by the server-side decoders. */
	bool		 aead;		/* header mode */
	size_t		 user;		/* index into the user list */
	int64_t		 ts;		/* EAuID time or matched legacy ts */
	enum vmess_fail	 fail;		/* why -1 was returned */
};

/*
 * Client helper: Ver 1, random reqIV/reqKey/V, padding length 0..15 and
 * padding bytes; the caller then sets opt, sec, cmd and the address.
 */
int	vmess_request_init(struct vmess_request *r);
/* Sets the address from "1.2.3.4", "::1", "[::1]" or a domain. 0 or -1. */
int	vmess_request_set_host(struct vmess_request *r, const char *host,
	    uint16_t port);

/*
 * Command section codec. encode refuses P without M (it crashes a 4.34
 * server), Sec AUTO/unknown (0 is sent as is), an empty or unencodable
 * address; it returns
 * the length written. decode returns the section length, 0 when more bytes
 * are needed, or -1 (FNV mismatch, bad command, address or Sec).
 */
ssize_t	vmess_cmd_encode(const struct vmess_request *r, uint8_t *out,
	    size_t cap);
ssize_t	vmess_cmd_decode(const uint8_t *p, size_t len,
	    struct vmess_request *out, const char **errstr);

/*
 * AEAD request header (§3.3), 58 + section bytes:
 *
 *   +--------+-----------------+-----------+------------------------+
 *   | EAuID  | ALen            | connNonce | AHeader                |
 *   | 16     | GCM(BE16 len)18 | 8         | GCM(section) len + 16  |
 *   +--------+-----------------+-----------+------------------------+
 *   keys/nonces: KDF(cmdKey, "VMess Header AEAD Key[_Length]" /
 *   "... Nonce[_Length]", EAuID, connNonce), AAD = EAuID.
 *
 * seal: now = exact unix time; rand4/nonce8 may be NULL (CSPRNG). Returns
 * bytes written or -1. open: given the matched user's cmdKey; returns
 * bytes consumed, 0 for more, -1 with out->fail set.
 */
ssize_t	vmess_aead_req_seal(const struct vmess_request *r,
	    const uint8_t cmd_key[16], int64_t now, const uint8_t rand4[4],
	    const uint8_t nonce8[8], uint8_t *out, size_t cap);
ssize_t	vmess_aead_req_open(const uint8_t *p, size_t len,
	    const uint8_t cmd_key[16], struct vmess_request *out,
	    const char **errstr);

/*
 * Legacy request header (§3.2), 16 + section bytes:
 *
 *   +-------------------------+-----------------------------------+
 *   | Auth = HMAC-MD5(id, ts) | AES-128-CFB(cmdKey, IV)(section)  |
 *   | 16                      | IV = MD5(BE64(ts) x 4)            |
 *   +-------------------------+-----------------------------------+
 *
 * seal: auth_id is the alternate (or, with alterId 0, primary) ID, cmd_key
 * always the primary's; ts carries the client's jitter. open: p starts at
 * Auth (not checked here, see vmess_authtab) and ts is the matched one.
 */
ssize_t	vmess_legacy_req_seal(const struct vmess_request *r,
	    const uint8_t auth_id[16], const uint8_t cmd_key[16], int64_t ts,
	    uint8_t *out, size_t cap);
ssize_t	vmess_legacy_req_open(const uint8_t *p, size_t len,
	    const uint8_t cmd_key[16], int64_t ts, struct vmess_request *out,
	    const char **errstr);

/*
 * Server-side classification and parse (§3.4): AEAD first against every
 * user, then the legacy table (NULL: legacy refused). Replay filters are
 * updated only once the whole header is present, so a 0 ("need more")
 * return may be retried with more bytes. On success out->aead, ->user and
 * ->ts are set and the return is the header length; on -1 out->fail says
 * whether to drain. Legacy FNV errors and session replays taint the auth.
 */
struct vmess_server {
	const struct vmess_user	*users;
	size_t			 nusers;
	struct vmess_matcher	*matcher;	/* NULL: try users in order */
	struct vmess_authtab	*legacy;	/* may be NULL */
	struct vmess_replay	*authids;	/* keylen 16 */
	struct vmess_replay	*sessions;	/* keylen 48 */
};

ssize_t	vmess_server_decode(struct vmess_server *s, const uint8_t *p,
	    size_t len, int64_t now, struct vmess_request *out,
	    const char **errstr);

/* Response body key/IV (§4): MD5 of reqKey/reqIV (legacy) or SHA-256[:16]. */
int	vmess_resp_keys(bool aead, const uint8_t req_key[16],
	    const uint8_t req_iv[16], uint8_t resp_key[16],
	    uint8_t resp_iv[16]);

/* ------------------------------------------------------------------ */
/* Response header and commands (§4, §5), vmess_header.c              */

#define VMESS_RESP_CMD_SWITCH	1	/* the only command in 4.34 */

/*
 * SwitchAccount (§5.1). On the wire as CmdData = BE32(FNV1a(payload)) |
 * payload, payload:
 *
 *   HostLen(1) Host(HostLen) Port(2) UUID(16) AlterIds(2) Level(1)
 *   ValidMin(1)
 */
struct vmess_switch {
	uint8_t		 host_len;
	char		 host[256];	/* NUL-terminated; "" = this server */
	uint16_t	 port;
	uint8_t		 uuid[16];
	uint16_t	 alter_ids;
	uint8_t		 level;
	uint8_t		 valid_min;
};

/* Writes CmdData; returns CmdLen (<= 255) or -1 (host too long, cap). */
ssize_t	vmess_switch_encode(const struct vmess_switch *sw, uint8_t *out,
	    size_t cap);
/*
 * Parses CmdData of exactly `len` bytes. -1 when len <= 4, the FNV differs
 * or any field is cut short, ValidMin included (CVE-2021-4070); else len.
 */
ssize_t	vmess_switch_decode(const uint8_t *p, size_t len,
	    struct vmess_switch *sw, const char **errstr);

/*
 * Response plaintext: V(1) Opt(1) CmdID(1) CmdLen(1) CmdData(CmdLen).
 *
 *   legacy: AES-128-CFB(respKey, respIV)(plaintext)             4 | 31 B
 *   AEAD:   GCM(KDF16(respKey,"AEAD Resp Header Len Key"),
 *               KDF(respIV,"AEAD Resp Header Len IV")[:12])(BE16 len) 18
 *         | GCM(KDF16(respKey,"AEAD Resp Header Key"),
 *               KDF(respIV,"AEAD Resp Header IV")[:12])(plaintext) len+16
 */
struct vmess_resp {
	uint8_t		 v;
	uint8_t		 opt;		/* 4.34 servers send 0 */
	uint8_t		 cmd;		/* CmdID received; 0 = none */
	bool		 has_switch;	/* encode: send sw; decode: sw valid */
	struct vmess_switch sw;
};

struct vmess_body;

/*
 * The response header is bound to the response-direction body `rb`
 * (initialised with respKey/respIV, not used yet): in legacy-header mode a
 * LEGACY body continues the header's CFB stream (§4). seal returns bytes
 * written or -1. open checks V against expect_v and returns bytes consumed,
 * 0 for more, or -1; a malformed or unknown command is skipped
 * (has_switch false) as 4.34 does.
 */
ssize_t	vmess_resp_seal(struct vmess_body *rb, bool aead,
	    const struct vmess_resp *r, uint8_t *out, size_t cap);
ssize_t	vmess_resp_open(struct vmess_body *rb, bool aead, uint8_t expect_v,
	    const uint8_t *p, size_t len, struct vmess_resp *r,
	    const char **errstr);

/* ------------------------------------------------------------------ */
/* Body (§6), vmess_body.c                                            */

enum vmess_body_mode {
	VMESS_BODY_RAW,		/* NONE or LEGACY without S: plain stream */
	VMESS_BODY_STREAM,	/* NONE+S over TCP/Mux: BE16(len) | data */
	VMESS_BODY_CHUNK,	/* generic: BE16(L) | sealed | padding */
};

/*
 * One direction of a body. Generic chunk (§6.2):
 *
 *   +-------------+---------------------------------+-------------+
 *   | BE16(L^mask)| GCM/ChaCha: ct|tag  LEGACY: FNV|d| padding(pad)|
 *   |             | NONE(UDP): d                    |             |
 *   +-------------+---------------------------------+-------------+
 *   L = sealed + pad; pad = next16 % 64 (P), mask = next16 (M), both
 *   from SHAKE128(iv), pad first. Nonce = BE16(count) | iv[2..11].
 *   LEGACY: everything, length included, inside AES-128-CFB(key, iv).
 *   End of stream: an empty plaintext (L == overhead + pad).
 *
 * Contexts are created by init and reused for every chunk.
 */
struct vmess_body {
	uint8_t		 b_sec;		/* VMESS_SEC_* (0 became LEGACY) */
	uint8_t		 b_opt;		/* effective: P cleared without M */
	bool		 b_udp;
	enum vmess_body_mode b_mode;
	uint8_t		 b_overhead;	/* 16 GCM/ChaCha, 4 LEGACY, 0 NONE */
	uint8_t		 b_dir;		/* 0 unused, 1 sealing, 2 opening */
	bool		 b_used;	/* a chunk went through */
	bool		 b_done;	/* end of stream seen or sent */
	bool		 b_pending;	/* open: length read, payload next */
	uint16_t	 b_plen;	/* pending L */
	uint16_t	 b_ppad;	/* pending padding */
	uint16_t	 b_count;	/* AEAD nonce counter, wraps as 4.34 */
	uint8_t		 b_key[16];
	uint8_t		 b_iv[16];
	struct evp_cipher_ctx_st *b_aead;	/* GCM / ChaCha, keyed once */
	struct evp_cipher_ctx_st *b_cfb;	/* LEGACY */
	struct vcrypto_shake b_shake;
	uint64_t	 b_rng[4];	/* padding bytes: xoshiro256**, seeded
					   once from the CSPRNG (they travel
					   in the clear; no secret rides on
					   them, and RAND_bytes per chunk was
					   a quarter of the sealing cost) */
};

/*
 * sec: VMESS_SEC_* (0 = LEGACY); opt: the request's Opt; key/iv: reqKey/
 * reqIV or respKey/respIV; udp: Cmd is UDP (one chunk per datagram).
 * Returns 0, or -1 for AUTO/unknown security or out of memory. A body is
 * used for sealing or for opening, not both.
 */
int	vmess_body_init(struct vmess_body *b, uint8_t sec, uint8_t opt,
	    const uint8_t key[16], const uint8_t iv[16], bool udp);
void	vmess_body_cleanup(struct vmess_body *b);
/* ChaCha20-Poly1305 key: MD5(key) | MD5(MD5(key)). */
int	vmess_chacha_key(const uint8_t key[16], uint8_t out[32]);

/* Plaintext per chunk a 4.34 writer uses (1966 GCM+P, 2030, 8192 ...). */
size_t	vmess_body_chunk_size(const struct vmess_body *b);
/* Plaintext per chunk our stream writer uses: VMESS_CHUNK_STREAM_MAX whole
 * chunks on TCP, the 4.34 size for datagrams and NONE streams. */
size_t	vmess_body_stream_chunk_size(const struct vmess_body *b);
/* Largest plaintext one seal accepts (what fits in L <= 65535). */
size_t	vmess_body_max_payload(const struct vmess_body *b);

/*
 * Seals len (1..max_payload) bytes as one chunk, or the bytes themselves
 * for RAW. cap must be >= len + VMESS_BODY_OVERHEAD_MAX. Returns bytes
 * written, 0 when len is 0 (never an end marker), -1 when too large or
 * the cipher failed. For UDP pass one datagram per call.
 */
ssize_t	vmess_body_seal(struct vmess_body *b, const uint8_t *p, size_t len,
	    uint8_t *out, size_t cap);
/* The same from n pieces holding len bytes in all, so a chunk that spans
 * buffers is sealed where it lies instead of being gathered first. */
struct iovec;
ssize_t	vmess_body_sealv(struct vmess_body *b, const struct iovec *v, int n,
	    size_t len, uint8_t *out, size_t cap);
/* The end-of-stream chunk; 0 bytes when the mode has none (RAW, no S). */
ssize_t	vmess_body_seal_end(struct vmess_body *b, uint8_t *out, size_t cap);

/*
 * Opens at most one chunk from in[0..len). Returns bytes consumed (the
 * caller drains them and calls again), 0 when more input is needed, -1
 * when malformed or unauthentic (*errstr). *outlen gets the plaintext
 * written to out (may be 0 even when bytes were consumed: a length field
 * alone, or the end marker). out must not overlap in; for chunk modes cap
 * must hold the chunk's plaintext (VMESS_CHUNK_PAYLOAD_MAX always does).
 * After the end marker vmess_body_done() is true and further input is
 * consumed and discarded, as 4.34 ignores it.
 */
ssize_t	vmess_body_open(struct vmess_body *b, const uint8_t *in, size_t len,
	    uint8_t *out, size_t cap, size_t *outlen, const char **errstr);
bool	vmess_body_done(const struct vmess_body *b);
/* AES-128-GCM or ChaCha20-Poly1305: what vmess_body_openv can open. */
bool	vmess_body_is_aead(const struct vmess_body *b);
/*
 * The same for a pending AEAD chunk (its length already read) whose L
 * bytes lie in n pieces, decrypted where they lie. Returns the bytes
 * consumed (L), -1 as above, or -2 when the body is not an AEAD one with a
 * chunk pending (the caller gathers the bytes and uses vmess_body_open).
 */
ssize_t	vmess_body_openv(struct vmess_body *b, const struct iovec *v, int n,
	    uint8_t *out, size_t cap, size_t *outlen, const char **errstr);

/*
 * For vmess_header.c: runs header bytes through a LEGACY body's CFB
 * stream before its first chunk. enc: 1 seal, 0 open. 0 or -1.
 */
int	vmess_body_cfb_prefix(struct vmess_body *b, const uint8_t *in,
	    uint8_t *out, size_t len, int enc);

#endif
