/* SPDX-License-Identifier: MIT */
/*
 * vmess_header.c: VMess request and response headers (vmess.md §3-5):
 * command section, legacy and AEAD sealing, server-side classification,
 * response header and the SwitchAccount command.
 */
#include "vmess/vmess.h"

#include <arpa/inet.h>
#include <string.h>

#include <openssl/crypto.h>

static void
vmess_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
vmess_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t
vmess_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
vmess_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static bool
vmess_sec_valid(uint8_t sec)
{
	return sec == VMESS_SEC_LEGACY || sec == VMESS_SEC_AES128GCM ||
	    sec == VMESS_SEC_CHACHA20 || sec == VMESS_SEC_NONE;
}

int
vmess_request_init(struct vmess_request *r)
{
	uint8_t	 p;

	memset(r, 0, sizeof(*r));
	r->ver = VMESS_VERSION;
	if (vcrypto_random(r->req_iv, 16) == -1 ||
	    vcrypto_random(r->req_key, 16) == -1 ||
	    vcrypto_random(&r->v, 1) == -1 || vcrypto_random(&p, 1) == -1 ||
	    vcrypto_random(r->padding, sizeof(r->padding)) == -1)
		return -1;
	r->padlen = p & 15;
	return 0;
}

/* IPv4-mapped IPv6 becomes IPv4, as Go's net.IPAddress does. */
static void
vmess_set_ip6(struct vmess_request *r, const uint8_t ip[16])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (memcmp(ip, mapped, 12) == 0) {
		r->atype = VMESS_ATYPE_IPV4;
		r->addr_len = 4;
		memcpy(r->addr, ip + 12, 4);
	} else {
		r->atype = VMESS_ATYPE_IPV6;
		r->addr_len = 16;
		memcpy(r->addr, ip, 16);
	}
}

/* Go net.ParseIP on s[0..len): 1 and the address set, or 0. */
static int
vmess_parse_ip(struct vmess_request *r, const char *s, size_t len)
{
	char	 buf[256];
	uint8_t	 ip[16];

	if (len > 0 && s[0] == '[' && s[len - 1] == ']') {
		s++;
		len = len >= 2 ? len - 2 : 0;
	}
	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return 0;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, ip) == 1) {
		r->atype = VMESS_ATYPE_IPV4;
		r->addr_len = 4;
		memcpy(r->addr, ip, 4);
		return 1;
	}
	if (inet_pton(AF_INET6, buf, ip) == 1) {
		vmess_set_ip6(r, ip);
		return 1;
	}
	return 0;
}

int
vmess_request_set_host(struct vmess_request *r, const char *host,
    uint16_t port)
{
	size_t	 len = strlen(host);

	r->port = port;
	if (vmess_parse_ip(r, host, len))
		return 0;
	if (len == 0 || len > 255)
		return -1;
	r->atype = VMESS_ATYPE_DOMAIN;
	r->addr_len = (uint8_t)len;
	memcpy(r->addr, host, len);
	r->addr[len] = '\0';
	return 0;
}

static bool
vmess_domain_char(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_';
}

static bool
vmess_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static bool
vmess_space(uint8_t c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * 4.34 readAddress on a domain: one starting with '[' or a digit that
 * parses as an IP (after ParseAddress's bracket strip and TrimSpace) is an
 * IP; any other may hold only [0-9A-Za-z._-].
 */
static int
vmess_check_domain(struct vmess_request *r)
{
	const char	*s = (const char *)r->addr;
	size_t		 len = r->addr_len, a = 0, b = len;
	uint8_t		 c0;

	if (len == 0)
		return -1;
	c0 = r->addr[0];
	if (c0 == '[' || (c0 >= '0' && c0 <= '9')) {
		if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
			a = 1;
			b = len - 1;
		}
		if (b > a && (!vmess_alnum((uint8_t)s[a]) ||
		    !vmess_alnum((uint8_t)s[b - 1]))) {
			while (a < b && vmess_space((uint8_t)s[a]))
				a++;
			while (b > a && vmess_space((uint8_t)s[b - 1]))
				b--;
		}
		if (vmess_parse_ip(r, s + a, b - a))
			return 0;
	}
	for (a = 0; a < len; a++)
		if (!vmess_domain_char(r->addr[a]))
			return -1;
	return 0;
}

ssize_t
vmess_cmd_encode(const struct vmess_request *r, uint8_t *out, size_t cap)
{
	size_t	 n = 38;

	/* Sec 0 is legal on the wire: 4.34 reads it as LEGACY. */
	if (r->padlen > 15 || (r->sec != 0 && !vmess_sec_valid(r->sec)) ||
	    ((r->opt & VMESS_OPT_P) && !(r->opt & VMESS_OPT_M)))
		return -1;
	if (r->cmd != VMESS_CMD_TCP && r->cmd != VMESS_CMD_UDP &&
	    r->cmd != VMESS_CMD_MUX)
		return -1;
	if (r->cmd != VMESS_CMD_MUX) {
		switch (r->atype) {
		case VMESS_ATYPE_IPV4:
			n += 3 + 4;
			break;
		case VMESS_ATYPE_IPV6:
			n += 3 + 16;
			break;
		case VMESS_ATYPE_DOMAIN:
			if (r->addr_len == 0)
				return -1;
			n += 3 + 1 + r->addr_len;
			break;
		default:
			return -1;
		}
	}
	n += r->padlen + 4;
	if (cap < n)
		return -1;
	out[0] = r->ver;
	memcpy(out + 1, r->req_iv, 16);
	memcpy(out + 17, r->req_key, 16);
	out[33] = r->v;
	out[34] = r->opt;
	out[35] = (uint8_t)(r->padlen << 4 | r->sec);
	out[36] = r->rsv;
	out[37] = r->cmd;
	n = 38;
	if (r->cmd != VMESS_CMD_MUX) {
		vmess_put16(out + 38, r->port);
		out[40] = r->atype;
		n = 41;
		if (r->atype == VMESS_ATYPE_DOMAIN)
			out[n++] = r->addr_len;
		memcpy(out + n, r->addr, r->atype == VMESS_ATYPE_IPV4 ? 4 :
		    r->atype == VMESS_ATYPE_IPV6 ? 16 : r->addr_len);
		n += r->atype == VMESS_ATYPE_IPV4 ? 4 :
		    r->atype == VMESS_ATYPE_IPV6 ? 16 : r->addr_len;
	}
	memcpy(out + n, r->padding, r->padlen);
	n += r->padlen;
	vmess_put32(out + n, vcrypto_fnv1a32(out, n));
	return (ssize_t)(n + 4);
}

/*
 * The command section parser behind every decoder. *fnv_bad tells a
 * checksum failure apart: legacy drains on it, AEAD closes (§3.4).
 */
static ssize_t
vmess_cmd_parse(const uint8_t *p, size_t len, struct vmess_request *out,
    const char **errstr, bool *fnv_bad)
{
	size_t	 n, alen = 0;

	*fnv_bad = false;
	if (len < 38)
		return 0;
	out->ver = p[0];
	memcpy(out->req_iv, p + 1, 16);
	memcpy(out->req_key, p + 17, 16);
	out->v = p[33];
	out->opt = p[34];
	out->padlen = p[35] >> 4;
	out->sec = p[35] & 15;
	out->rsv = p[36];
	out->cmd = p[37];
	out->port = 0;
	out->atype = 0;
	out->addr_len = 0;
	memset(out->addr, 0, sizeof(out->addr));
	n = 38;
	if (out->cmd != VMESS_CMD_TCP && out->cmd != VMESS_CMD_UDP &&
	    out->cmd != VMESS_CMD_MUX) {
		*errstr = "unknown request command";
		return -1;
	}
	if (out->cmd != VMESS_CMD_MUX) {
		if (len < 41)
			return 0;
		out->port = vmess_get16(p + 38);
		out->atype = p[40];
		n = 41;
		switch (out->atype) {
		case VMESS_ATYPE_IPV4:
			alen = 4;
			break;
		case VMESS_ATYPE_IPV6:
			alen = 16;
			break;
		case VMESS_ATYPE_DOMAIN:
			if (len < 42)
				return 0;
			alen = p[41];
			n = 42;
			break;
		default:
			*errstr = "unknown address type";
			return -1;
		}
		if (len < n + alen)
			return 0;
		memcpy(out->addr, p + n, alen);
		out->addr_len = (uint8_t)alen;
		n += alen;
	}
	if (len < n + out->padlen + 4)
		return 0;
	memcpy(out->padding, p + n, out->padlen);
	n += out->padlen;
	if (vcrypto_fnv1a32(p, n) != vmess_get32(p + n)) {
		*fnv_bad = true;
		*errstr = "command section checksum mismatch";
		return -1;
	}
	n += 4;
	if (out->atype == VMESS_ATYPE_IPV6)
		vmess_set_ip6(out, out->addr);
	else if (out->atype == VMESS_ATYPE_DOMAIN &&
	    vmess_check_domain(out) == -1) {
		*errstr = "invalid remote address";
		return -1;
	}
	if (out->sec == 0)
		out->sec = VMESS_SEC_LEGACY;	/* backward compatibility */
	if (!vmess_sec_valid(out->sec)) {
		*errstr = "unknown security type";
		return -1;
	}
	return (ssize_t)n;
}

ssize_t
vmess_cmd_decode(const uint8_t *p, size_t len, struct vmess_request *out,
    const char **errstr)
{
	bool	 fnv_bad;

	return vmess_cmd_parse(p, len, out, errstr, &fnv_bad);
}

/* The four request-header keys and nonces of §3.3 for one EAuID+nonce. */
static int
vmess_aead_req_kdf(const uint8_t cmd_key[16], const uint8_t eauid[16],
    const uint8_t nonce8[8], const char *what, uint8_t *out, size_t outlen)
{
	struct vcrypto_span	 path[3];
	uint8_t			 full[32];
	int			 rv;

	path[0].p = what;
	path[0].len = strlen(what);
	path[1].p = eauid;
	path[1].len = 16;
	path[2].p = nonce8;
	path[2].len = 8;
	if ((rv = vcrypto_kdf(cmd_key, 16, path, 3, full)) == 0)
		memcpy(out, full, outlen);
	OPENSSL_cleanse(full, sizeof(full));
	return rv;
}

ssize_t
vmess_aead_req_seal(const struct vmess_request *r, const uint8_t cmd_key[16],
    int64_t now, const uint8_t rand4[4], const uint8_t nonce8[8],
    uint8_t *out, size_t cap)
{
	uint8_t		 sec[VMESS_CMD_MAX], akey[16], k[16], nonce[12];
	uint8_t		 len2[2];
	ssize_t		 n, rv = -1;

	if ((n = vmess_cmd_encode(r, sec, sizeof(sec))) == -1 ||
	    cap < (size_t)n + 58)
		return -1;
	if (vcrypto_kdf_str(cmd_key, 16, akey, 16, "AES Auth ID Encryption",
	    (const char *)NULL) == -1 ||
	    vmess_authid_encode(akey, now, rand4, out) == -1)
		goto out;
	if (nonce8 != NULL)
		memcpy(out + 34, nonce8, 8);
	else if (vcrypto_random(out + 34, 8) == -1)
		goto out;
	vmess_put16(len2, (uint16_t)n);
	if (vmess_aead_req_kdf(cmd_key, out, out + 34,
	    "VMess Header AEAD Key_Length", k, 16) == -1 ||
	    vmess_aead_req_kdf(cmd_key, out, out + 34,
	    "VMess Header AEAD Nonce_Length", nonce, 12) == -1 ||
	    vcrypto_aes128_gcm_seal(k, nonce, out, 16, len2, 2,
	    out + 16) == -1)
		goto out;
	if (vmess_aead_req_kdf(cmd_key, out, out + 34,
	    "VMess Header AEAD Key", k, 16) == -1 ||
	    vmess_aead_req_kdf(cmd_key, out, out + 34,
	    "VMess Header AEAD Nonce", nonce, 12) == -1 ||
	    vcrypto_aes128_gcm_seal(k, nonce, out, 16, sec, (size_t)n,
	    out + 42) == -1)
		goto out;
	rv = n + 58;
 out:
	OPENSSL_cleanse(sec, sizeof(sec));
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(akey, sizeof(akey));
	return rv;
}

ssize_t
vmess_aead_req_open(const uint8_t *p, size_t len, const uint8_t cmd_key[16],
    struct vmess_request *out, const char **errstr)
{
	uint8_t		 k[16], nonce[12], len2[2];
	uint8_t		 sec[VMESS_AEAD_CMD_LIMIT];
	size_t		 hlen;
	ssize_t		 n, rv = -1;
	bool		 fnv_bad;

	out->aead = true;
	out->fail = VMESS_FAIL_CLOSE;
	if (len < 42)
		return 0;
	if (vmess_aead_req_kdf(cmd_key, p, p + 34,
	    "VMess Header AEAD Key_Length", k, 16) == -1 ||
	    vmess_aead_req_kdf(cmd_key, p, p + 34,
	    "VMess Header AEAD Nonce_Length", nonce, 12) == -1) {
		*errstr = "key derivation failed";
		return -1;
	}
	if (vcrypto_aes128_gcm_open(k, nonce, p, 16, p + 16, 18,
	    len2) == -1) {
		out->fail = VMESS_FAIL_DRAIN;
		*errstr = "AEAD header length authentication failed";
		goto out;
	}
	hlen = vmess_get16(len2);
	if (hlen > VMESS_AEAD_CMD_LIMIT) {
		*errstr = "AEAD header too long";
		goto out;
	}
	if (len < 42 + hlen + 16) {
		rv = 0;
		goto out;
	}
	if (vmess_aead_req_kdf(cmd_key, p, p + 34, "VMess Header AEAD Key",
	    k, 16) == -1 ||
	    vmess_aead_req_kdf(cmd_key, p, p + 34, "VMess Header AEAD Nonce",
	    nonce, 12) == -1) {
		*errstr = "key derivation failed";
		goto out;
	}
	if (vcrypto_aes128_gcm_open(k, nonce, p, 16, p + 42, hlen + 16,
	    sec) == -1) {
		out->fail = VMESS_FAIL_DRAIN;
		*errstr = "AEAD header authentication failed";
		goto out;
	}
	n = vmess_cmd_parse(sec, hlen, out, errstr, &fnv_bad);
	if (n == 0) {
		/* 4.34 hits EOF reading the decrypted buffer: plain close. */
		*errstr = "AEAD header shorter than its command section";
		goto out;
	}
	if (n == -1)
		goto out;	/* FNV error included: AEAD closes (§3.4) */
	out->fail = VMESS_FAIL_NONE;
	rv = (ssize_t)(42 + hlen + 16);
 out:
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(sec, sizeof(sec));
	return rv;
}

static int
vmess_legacy_iv(int64_t ts, uint8_t iv[16])
{
	uint8_t	 b[32];
	int	 i, j;

	for (i = 0; i < 4; i++)
		for (j = 0; j < 8; j++)
			b[i * 8 + j] = (uint8_t)((uint64_t)ts >> (56 - 8 * j));
	return vcrypto_md5(b, sizeof(b), iv);
}

ssize_t
vmess_legacy_req_seal(const struct vmess_request *r,
    const uint8_t auth_id[16], const uint8_t cmd_key[16], int64_t ts,
    uint8_t *out, size_t cap)
{
	uint8_t	 iv[16];
	ssize_t	 n;

	if ((n = vmess_cmd_encode(r, out + (cap >= 16 ? 16 : 0),
	    cap >= 16 ? cap - 16 : 0)) == -1)
		return -1;
	if (vmess_legacy_auth(auth_id, ts, out) == -1 ||
	    vmess_legacy_iv(ts, iv) == -1 ||
	    vcrypto_aes128_cfb(cmd_key, iv, out + 16, out + 16, (size_t)n,
	    1) == -1)
		return -1;
	return n + 16;
}

ssize_t
vmess_legacy_req_open(const uint8_t *p, size_t len, const uint8_t cmd_key[16],
    int64_t ts, struct vmess_request *out, const char **errstr)
{
	uint8_t	 iv[16], sec[VMESS_CMD_MAX];
	size_t	 n;
	ssize_t	 rv;
	bool	 fnv_bad;

	out->aead = false;
	out->ts = ts;
	out->fail = VMESS_FAIL_CLOSE;
	if (len < 16 + 38)
		return 0;
	/* A fresh stream per attempt keeps "need more" retries pure. */
	n = len - 16 < sizeof(sec) ? len - 16 : sizeof(sec);
	if (vmess_legacy_iv(ts, iv) == -1 ||
	    vcrypto_aes128_cfb(cmd_key, iv, p + 16, sec, n, 0) == -1) {
		*errstr = "cipher failure";
		return -1;
	}
	rv = vmess_cmd_parse(sec, n, out, errstr, &fnv_bad);
	OPENSSL_cleanse(sec, sizeof(sec));
	if (rv == -1 && fnv_bad)
		out->fail = VMESS_FAIL_DRAIN;
	if (rv <= 0)
		return rv;
	out->fail = VMESS_FAIL_NONE;
	return rv + 16;
}

ssize_t
vmess_server_decode(struct vmess_server *s, const uint8_t *p, size_t len,
    int64_t now, struct vmess_request *out, const char **errstr)
{
	enum vmess_auth_result	 ar;
	const struct vmess_user	*u;
	int64_t			 t;
	ssize_t			 idx, rv;
	size_t			 user;
	int			 rp;

	memset(out, 0, sizeof(*out));
	out->fail = VMESS_FAIL_CLOSE;
	if (len < 16)
		return 0;
	idx = s->matcher != NULL ? vmess_matcher_find(s->matcher, p, now, &t) :
	    vmess_authid_match(s->users, s->nusers, p, now, &t);
	if (idx >= 0 && (size_t)idx < s->nusers) {
		u = &s->users[idx];
		if ((rv = vmess_aead_req_open(p, len, u->cmd_key, out,
		    errstr)) <= 0)
			return rv;
		out->user = (size_t)idx;
		out->ts = t;
		out->fail = VMESS_FAIL_DRAIN;
		if ((rp = vmess_replay_authid(s->authids, p, t, now)) != 0) {
			*errstr = rp == 1 ? "replayed AEAD auth ID" :
			    "AEAD replay filter full";
			return -1;
		}
		out->fail = VMESS_FAIL_CLOSE;
		if ((rp = vmess_replay_session(s->sessions, u->uuid,
		    out->req_key, out->req_iv, now)) != 0) {
			*errstr = rp == 1 ? "duplicated session ID" :
			    "session history full";
			return -1;
		}
		out->fail = VMESS_FAIL_NONE;
		return rv;
	}
	/* Unknown users drain so a prober cannot tell us from noise. */
	out->fail = VMESS_FAIL_DRAIN;
	if (s->legacy == NULL) {
		*errstr = "invalid user";
		return -1;
	}
	ar = vmess_authtab_lookup(s->legacy, p, &user, &t);
	if (ar != VMESS_AUTH_FOUND || user >= s->nusers) {
		*errstr = ar == VMESS_AUTH_TAINTED ? "tainted auth" :
		    "invalid user";
		return -1;
	}
	u = &s->users[user];
	rv = vmess_legacy_req_open(p, len, u->cmd_key, t, out, errstr);
	if (rv == 0)
		return 0;
	out->user = user;
	if (rv == -1) {
		if (out->fail == VMESS_FAIL_DRAIN)
			vmess_authtab_taint(s->legacy, p);
		return -1;
	}
	if ((rp = vmess_replay_session(s->sessions, u->uuid, out->req_key,
	    out->req_iv, now)) != 0) {
		if (rp == 1)
			vmess_authtab_taint(s->legacy, p);
		out->fail = rp == 1 ? VMESS_FAIL_DRAIN : VMESS_FAIL_CLOSE;
		*errstr = rp == 1 ? "duplicated session ID" :
		    "session history full";
		return -1;
	}
	out->fail = VMESS_FAIL_NONE;
	return rv;
}

int
vmess_resp_keys(bool aead, const uint8_t req_key[16],
    const uint8_t req_iv[16], uint8_t resp_key[16], uint8_t resp_iv[16])
{
	uint8_t	 h[32];

	if (!aead)
		return vcrypto_md5(req_key, 16, resp_key) == -1 ||
		    vcrypto_md5(req_iv, 16, resp_iv) == -1 ? -1 : 0;
	if (vcrypto_sha256(req_key, 16, h) == -1)
		return -1;
	memcpy(resp_key, h, 16);
	if (vcrypto_sha256(req_iv, 16, h) == -1)
		return -1;
	memcpy(resp_iv, h, 16);
	OPENSSL_cleanse(h, sizeof(h));
	return 0;
}

ssize_t
vmess_switch_encode(const struct vmess_switch *sw, uint8_t *out, size_t cap)
{
	uint8_t	*p = out + 4;
	size_t	 n = 23 + (size_t)sw->host_len;

	/* CmdLen = 4 + payload must fit its byte. */
	if (4 + n > 255 || cap < 4 + n)
		return -1;
	*p++ = sw->host_len;
	memcpy(p, sw->host, sw->host_len);
	p += sw->host_len;
	vmess_put16(p, sw->port);
	memcpy(p + 2, sw->uuid, 16);
	vmess_put16(p + 18, sw->alter_ids);
	p[20] = sw->level;
	p[21] = sw->valid_min;
	vmess_put32(out, vcrypto_fnv1a32(out + 4, n));
	return (ssize_t)(4 + n);
}

ssize_t
vmess_switch_decode(const uint8_t *p, size_t len, struct vmess_switch *sw,
    const char **errstr)
{
	const uint8_t	*d = p + 4;
	size_t		 n, h;

	memset(sw, 0, sizeof(*sw));
	if (len <= 4) {
		*errstr = "command too short";
		return -1;
	}
	n = len - 4;
	if (vcrypto_fnv1a32(d, n) != vmess_get32(p)) {
		*errstr = "command checksum mismatch";
		return -1;
	}
	h = d[0];
	/* Every field must be present, ValidMin too (CVE-2021-4070). */
	if (n < 1 + h + 2 + 16 + 2 + 1 + 1) {
		*errstr = "SwitchAccount truncated";
		return -1;
	}
	sw->host_len = (uint8_t)h;
	memcpy(sw->host, d + 1, h);
	sw->host[h] = '\0';
	d += 1 + h;
	sw->port = vmess_get16(d);
	memcpy(sw->uuid, d + 2, 16);
	sw->alter_ids = vmess_get16(d + 18);
	sw->level = d[20];
	sw->valid_min = d[21];
	return (ssize_t)len;
}

/* Response plaintext; returns its length or -1. */
static ssize_t
vmess_resp_plain(const struct vmess_resp *r, uint8_t out[VMESS_RESP_PLAIN_MAX])
{
	ssize_t	 n;

	out[0] = r->v;
	out[1] = r->opt;
	out[2] = 0;
	out[3] = 0;
	if (!r->has_switch)
		return 4;
	if ((n = vmess_switch_encode(&r->sw, out + 4,
	    VMESS_RESP_PLAIN_MAX - 4)) == -1)
		return -1;
	out[2] = VMESS_RESP_CMD_SWITCH;
	out[3] = (uint8_t)n;
	return 4 + n;
}

static int
vmess_resp_kdf(const struct vmess_body *rb, const char *kpath,
    const char *npath, uint8_t key[16], uint8_t nonce[12])
{
	if (vcrypto_kdf_str(rb->b_key, 16, key, 16, kpath,
	    (const char *)NULL) == -1)
		return -1;
	return vcrypto_kdf_str(rb->b_iv, 16, nonce, 12, npath,
	    (const char *)NULL);
}

ssize_t
vmess_resp_seal(struct vmess_body *rb, bool aead, const struct vmess_resp *r,
    uint8_t *out, size_t cap)
{
	uint8_t	 plain[VMESS_RESP_PLAIN_MAX], key[16], nonce[12], len2[2];
	ssize_t	 n, rv = -1;

	if (rb->b_used || rb->b_dir == 2 ||
	    (n = vmess_resp_plain(r, plain)) == -1)
		return -1;
	if (!aead) {
		if (cap < (size_t)n)
			return -1;
		if (rb->b_sec == VMESS_SEC_LEGACY)
			rv = vmess_body_cfb_prefix(rb, plain, out, (size_t)n,
			    1);
		else
			rv = vcrypto_aes128_cfb(rb->b_key, rb->b_iv, plain,
			    out, (size_t)n, 1);
		return rv == -1 ? -1 : n;
	}
	if (cap < 18 + (size_t)n + 16)
		return -1;
	vmess_put16(len2, (uint16_t)n);
	if (vmess_resp_kdf(rb, "AEAD Resp Header Len Key",
	    "AEAD Resp Header Len IV", key, nonce) == -1 ||
	    vcrypto_aes128_gcm_seal(key, nonce, NULL, 0, len2, 2,
	    out) == -1)
		goto out;
	if (vmess_resp_kdf(rb, "AEAD Resp Header Key", "AEAD Resp Header IV",
	    key, nonce) == -1 ||
	    vcrypto_aes128_gcm_seal(key, nonce, NULL, 0, plain, (size_t)n,
	    out + 18) == -1)
		goto out;
	rv = 18 + n + 16;
 out:
	OPENSSL_cleanse(key, sizeof(key));
	return rv;
}

/* Fills r from a complete plaintext; 4.34 skips bad commands silently. */
static int
vmess_resp_parse(const uint8_t *plain, size_t n, uint8_t expect_v,
    struct vmess_resp *r, const char **errstr)
{
	const char	*ignored;

	memset(r, 0, sizeof(*r));
	r->v = plain[0];
	r->opt = plain[1];
	r->cmd = plain[2];
	if (r->v != expect_v) {
		*errstr = "unexpected response header";
		return -1;
	}
	if (r->cmd != 0 && n < 4 + (size_t)plain[3]) {
		*errstr = "response command truncated";
		return -1;
	}
	if (r->cmd == VMESS_RESP_CMD_SWITCH &&
	    vmess_switch_decode(plain + 4, plain[3], &r->sw, &ignored) > 0)
		r->has_switch = true;
	return 0;
}

ssize_t
vmess_resp_open(struct vmess_body *rb, bool aead, uint8_t expect_v,
    const uint8_t *p, size_t len, struct vmess_resp *r, const char **errstr)
{
	uint8_t	 plain[VMESS_RESP_PLAIN_MAX], key[16], nonce[12], len2[2];
	size_t	 n, plen;
	ssize_t	 rv = -1;

	if (rb->b_used || rb->b_dir == 1) {
		*errstr = "response body already in use";
		return -1;
	}
	if (!aead) {
		if (len < 4)
			return 0;
		n = len < sizeof(plain) ? len : sizeof(plain);
		if (vcrypto_aes128_cfb(rb->b_key, rb->b_iv, p, plain, n,
		    0) == -1) {
			*errstr = "cipher failure";
			return -1;
		}
		plen = plain[2] != 0 ? 4 + (size_t)plain[3] : 4;
		if (n < plen)
			return 0;
		if (vmess_resp_parse(plain, plen, expect_v, r, errstr) == -1)
			return -1;
		/* A LEGACY body goes on in the header's stream (§4). */
		if (rb->b_sec == VMESS_SEC_LEGACY &&
		    vmess_body_cfb_prefix(rb, p, plain, plen, 0) == -1) {
			*errstr = "cipher failure";
			return -1;
		}
		return (ssize_t)plen;
	}
	if (len < 18)
		return 0;
	if (vmess_resp_kdf(rb, "AEAD Resp Header Len Key",
	    "AEAD Resp Header Len IV", key, nonce) == -1 ||
	    vcrypto_aes128_gcm_open(key, nonce, NULL, 0, p, 18, len2) == -1) {
		*errstr = "response length authentication failed";
		goto out;
	}
	plen = vmess_get16(len2);
	if (plen < 4 || plen > VMESS_RESP_PLAIN_MAX) {
		*errstr = "bad response header length";
		goto out;
	}
	if (len < 18 + plen + 16) {
		rv = 0;
		goto out;
	}
	if (vmess_resp_kdf(rb, "AEAD Resp Header Key", "AEAD Resp Header IV",
	    key, nonce) == -1 ||
	    vcrypto_aes128_gcm_open(key, nonce, NULL, 0, p + 18, plen + 16,
	    plain) == -1) {
		*errstr = "response header authentication failed";
		goto out;
	}
	if (vmess_resp_parse(plain, plen, expect_v, r, errstr) == -1)
		goto out;
	rv = (ssize_t)(18 + plen + 16);
 out:
	OPENSSL_cleanse(key, sizeof(key));
	return rv;
}
