/* SPDX-License-Identifier: MIT */
/*
 * vmess_id.c: VMess identities (vmess.md §1, §3.2-3.4): UUIDs, cmdKey,
 * alternate IDs, EAuID, the legacy auth table and the exact replay sets.
 */
#include "vmess/vmess.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/util.h"

static const char vmess_cmdkey_salt[] = "c48619fe-8f02-49e0-b9e9-edf763e17e21";
static const char vmess_alter_salt[] = "16167dc8-16b6-4e6d-b8bb-65dd68113a81";
static const char vmess_alter_retry[] = "533eff8a-4113-4b10-b5ce-0f5d76b98cd2";

static void
vmess_be64(uint8_t *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
vmess_get64(const uint8_t *p)
{
	uint64_t v = 0;
	int	 i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

int
vmess_uuid_parse(const char *s, uint8_t out[16])
{
	static const int groups[5] = { 8, 4, 4, 4, 12 };
	size_t		 len = strlen(s), off = 0, o = 0;
	int		 g, i, hi, lo;

	if (len < 32)
		return -1;
	for (g = 0; g < 5; g++) {
		if (off < len && s[off] == '-')
			off++;
		/* 4.34 would panic here on short input; we refuse it. */
		if (len - off < (size_t)groups[g])
			return -1;
		for (i = 0; i < groups[g]; i += 2) {
			hi = util_hexval((unsigned char)s[off + i]);
			lo = util_hexval((unsigned char)s[off + i + 1]);
			if (hi < 0 || lo < 0)
				return -1;
			out[o++] = (uint8_t)(hi << 4 | lo);
		}
		off += groups[g];
	}
	return 0;
}

void
vmess_uuid_format(const uint8_t u[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	size_t		 i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[o] = '\0';
}

int
vmess_cmd_key(const uint8_t uuid[16], uint8_t out[16])
{
	uint8_t	 buf[16 + 36];

	memcpy(buf, uuid, 16);
	memcpy(buf + 16, vmess_cmdkey_salt, 36);
	return vcrypto_md5(buf, sizeof(buf), out);
}

int
vmess_user_init(struct vmess_user *u, const uint8_t uuid[16],
    uint16_t alter_id)
{
	memset(u, 0, sizeof(*u));
	memcpy(u->uuid, uuid, 16);
	u->alter_id = alter_id;
	if (vmess_cmd_key(uuid, u->cmd_key) == -1)
		return -1;
	return vcrypto_kdf_str(u->cmd_key, 16, u->authid_key, 16,
	    "AES Auth ID Encryption", (const char *)NULL);
}

/*
 * next(u) of §1.2: the MD5 state keeps absorbing the retry salt and is
 * digested without being finalised, hence the context copy.
 */
static int
vmess_alter_next(const uint8_t u[16], uint8_t out[16])
{
	EVP_MD_CTX	*h, *t;
	unsigned int	 n;
	int		 rv = -1;

	h = EVP_MD_CTX_new();
	t = EVP_MD_CTX_new();
	if (h == NULL || t == NULL)
		goto out;
	if (EVP_DigestInit_ex(h, EVP_md5(), NULL) != 1 ||
	    EVP_DigestUpdate(h, u, 16) != 1 ||
	    EVP_DigestUpdate(h, vmess_alter_salt, 36) != 1)
		goto out;
	for (;;) {
		if (EVP_MD_CTX_copy_ex(t, h) != 1 ||
		    EVP_DigestFinal_ex(t, out, &n) != 1)
			goto out;
		if (memcmp(out, u, 16) != 0)
			break;
		if (EVP_DigestUpdate(h, vmess_alter_retry, 36) != 1)
			goto out;
	}
	rv = 0;
 out:
	EVP_MD_CTX_free(h);
	EVP_MD_CTX_free(t);
	return rv;
}

int
vmess_alter_ids(const uint8_t uuid[16], uint16_t n, uint8_t (*out)[16])
{
	const uint8_t	*prev = uuid;
	uint16_t	 i;

	for (i = 0; i < n; i++) {
		if (vmess_alter_next(prev, out[i]) == -1)
			return -1;
		prev = out[i];
	}
	return 0;
}

int
vmess_legacy_auth(const uint8_t id[16], int64_t ts, uint8_t out[16])
{
	uint8_t	 t[8];

	vmess_be64(t, (uint64_t)ts);
	return vcrypto_hmac_md5(id, 16, t, 8, out);
}

int
vmess_authid_encode(const uint8_t authid_key[16], int64_t t,
    const uint8_t rand4[4], uint8_t out[16])
{
	uint8_t		 plain[16];
	uint32_t	 crc;
	int		 rv;

	vmess_be64(plain, (uint64_t)t);
	if (rand4 != NULL)
		memcpy(plain + 8, rand4, 4);
	else if (vcrypto_random(plain + 8, 4) == -1)
		return -1;
	crc = vcrypto_crc32(plain, 12);
	plain[12] = (uint8_t)(crc >> 24);
	plain[13] = (uint8_t)(crc >> 16);
	plain[14] = (uint8_t)(crc >> 8);
	plain[15] = (uint8_t)crc;
	rv = vcrypto_aes128_ecb(authid_key, plain, out, 1);
	OPENSSL_cleanse(plain, sizeof(plain));
	return rv;
}

static int
vmess_authid_check(const uint8_t plain[16], int64_t *t)
{
	uint32_t	 crc = vcrypto_crc32(plain, 12);
	uint32_t	 got = (uint32_t)plain[12] << 24 |
			    (uint32_t)plain[13] << 16 |
			    (uint32_t)plain[14] << 8 | plain[15];

	if (crc != got)
		return -1;
	*t = (int64_t)vmess_get64(plain);
	return 0;
}

int
vmess_authid_decode(const uint8_t authid_key[16], const uint8_t in[16],
    int64_t *t)
{
	uint8_t	 plain[16];

	if (vcrypto_aes128_ecb(authid_key, in, plain, 0) == -1)
		return -1;
	return vmess_authid_check(plain, t);
}

/* The time an EAuID decrypted to, if its CRC holds and it is in window. */
static int
vmess_authid_plain_ok(const uint8_t plain[16], int64_t now, int64_t *tp)
{
	int64_t	 t = (int64_t)vmess_get64(plain);

	/*
	 * The window first: a wrong key's plaintext fails it but for a
	 * chance of 2^-55, so the CRC runs about once per connection, not
	 * once per user. Both ends inclusive: 4.34 rejects only
	 * |t - now| > 120.
	 */
	if (t < 0 || t > now + VMESS_AEAD_WINDOW || t < now - VMESS_AEAD_WINDOW)
		return -1;
	return vmess_authid_check(plain, tp);
}

ssize_t
vmess_authid_match(const struct vmess_user *users, size_t n,
    const uint8_t eauid[16], int64_t now, int64_t *tp)
{
	EVP_CIPHER_CTX	*ctx;
	uint8_t		 plain[16];
	int64_t		 t;
	ssize_t		 found = -1;
	size_t		 i;
	int		 l;

	if (n == 0 || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	/* One context, re-keyed per user: one allocation per connection. */
	for (i = 0; i < n && found == -1; i++) {
		if (EVP_DecryptInit_ex(ctx, EVP_aes_128_ecb(), NULL,
		    users[i].authid_key, NULL) != 1)
			break;
		EVP_CIPHER_CTX_set_padding(ctx, 0);
		if (EVP_DecryptUpdate(ctx, plain, &l, eauid, 16) != 1 ||
		    l != 16)
			break;
		if (vmess_authid_plain_ok(plain, now, &t) == -1)
			continue;
		*tp = t;
		found = (ssize_t)i;
	}
	EVP_CIPHER_CTX_free(ctx);
	return found;
}

void
vmess_matcher_init(struct vmess_matcher *m)
{
	memset(m, 0, sizeof(*m));
	m->m_fast = vcrypto_aes_many_ok();
}

/* Room for one more user. */
static int
vmess_matcher_grow(struct vmess_matcher *m)
{
	EVP_CIPHER_CTX	**v;
	uint8_t		(*rk)[VCRYPTO_AES_RK];
	size_t		  cap;

	if (m->m_n == UINT32_MAX)
		return -1;
	if (m->m_n < m->m_cap)
		return 0;
	cap = m->m_cap ? m->m_cap * 2 : 16;
	if (m->m_fast) {
		if ((rk = realloc(m->m_rk, cap * sizeof(*rk))) == NULL)
			return -1;
		m->m_rk = rk;
	} else {
		if ((v = realloc(m->m_ctx, cap * sizeof(*v))) == NULL)
			return -1;
		m->m_ctx = v;
	}
	m->m_cap = cap;
	return 0;
}

int
vmess_matcher_add(struct vmess_matcher *m, const uint8_t authid_key[16])
{
	EVP_CIPHER_CTX	*c;

	if (vmess_matcher_grow(m) == -1)
		return -1;
	if (m->m_fast) {
		if (vcrypto_aes_many_key(authid_key, m->m_rk[m->m_n]) == -1)
			return -1;
		m->m_n++;
		return 0;
	}
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_DecryptInit_ex(c, EVP_aes_128_ecb(), NULL, authid_key, NULL)
	    != 1) {
		EVP_CIPHER_CTX_free(c);
		return -1;
	}
	EVP_CIPHER_CTX_set_padding(c, 0);
	m->m_ctx[m->m_n++] = c;
	return 0;
}

int
vmess_matcher_adopt(struct vmess_matcher *m, const struct vmess_matcher *src,
    size_t i)
{
	EVP_CIPHER_CTX	*c;

	if (i >= src->m_n || src->m_fast != m->m_fast ||
	    vmess_matcher_grow(m) == -1)
		return -1;
	if (m->m_fast) {
		memcpy(m->m_rk[m->m_n++], src->m_rk[i], VCRYPTO_AES_RK);
		return 0;
	}
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_CIPHER_CTX_copy(c, src->m_ctx[i]) != 1) {
		EVP_CIPHER_CTX_free(c);
		return -1;
	}
	m->m_ctx[m->m_n++] = c;
	return 0;
}

void
vmess_matcher_adopt_recent(struct vmess_matcher *m,
    const struct vmess_matcher *src, const ssize_t *user_map, size_t nusers)
{
	size_t	 i;

	m->m_nrecent = 0;
	for (i = 0; i < src->m_nrecent; i++)
		if (src->m_recent[i] < nusers &&
		    user_map[src->m_recent[i]] >= 0 &&
		    (size_t)user_map[src->m_recent[i]] < m->m_n)
			m->m_recent[m->m_nrecent++] =
			    (uint32_t)user_map[src->m_recent[i]];
}

static int
vmess_matcher_try(struct vmess_matcher *m, size_t i, const uint8_t eauid[16],
    int64_t now, int64_t *tp)
{
	uint8_t	 plain[1][16];
	int	 l;

	if (m->m_fast)
		vcrypto_aes_many_dec(&m->m_rk[i], 1, eauid, plain);
	else if (EVP_DecryptUpdate(m->m_ctx[i], plain[0], &l, eauid, 16) !=
	    1 || l != 16)
		return -1;
	return vmess_authid_plain_ok(plain[0], now, tp);
}

/* Move (or insert) user i to the front of the recent list. */
static void
vmess_matcher_touch(struct vmess_matcher *m, uint32_t i)
{
	size_t	 p;

	for (p = 0; p < m->m_nrecent && m->m_recent[p] != i; p++)
		;
	if (p == m->m_nrecent) {
		if (m->m_nrecent < VMESS_MATCH_RECENT)
			m->m_nrecent++;
		p = m->m_nrecent - 1;
	}
	memmove(&m->m_recent[1], &m->m_recent[0], p * sizeof(m->m_recent[0]));
	m->m_recent[0] = i;
}

#define MATCH_BATCH	64	/* keys tried per vcrypto_aes_many_dec call */

ssize_t
vmess_matcher_find(struct vmess_matcher *m, const uint8_t eauid[16],
    int64_t now, int64_t *tp)
{
	uint8_t	 plain[MATCH_BATCH][16];
	size_t	 i, j, k;

	for (i = 0; i < m->m_nrecent; i++)
		if (vmess_matcher_try(m, m->m_recent[i], eauid, now, tp) == 0) {
			vmess_matcher_touch(m, m->m_recent[i]);
			return (ssize_t)m->m_recent[0];
		}
	if (!m->m_fast) {
		for (i = 0; i < m->m_n; i++)
			if (vmess_matcher_try(m, i, eauid, now, tp) == 0) {
				vmess_matcher_touch(m, (uint32_t)i);
				return (ssize_t)i;
			}
		return -1;
	}
	for (i = 0; i < m->m_n; i += k) {
		k = m->m_n - i < MATCH_BATCH ? m->m_n - i : MATCH_BATCH;
		vcrypto_aes_many_dec(&m->m_rk[i], k, eauid, plain);
		for (j = 0; j < k; j++)
			if (vmess_authid_plain_ok(plain[j], now, tp) == 0) {
				vmess_matcher_touch(m, (uint32_t)(i + j));
				return (ssize_t)(i + j);
			}
	}
	return -1;
}

void
vmess_matcher_cleanup(struct vmess_matcher *m)
{
	size_t	 i;

	for (i = 0; m->m_ctx != NULL && i < m->m_n; i++)
		EVP_CIPHER_CTX_free(m->m_ctx[i]);
	free(m->m_ctx);
	if (m->m_rk != NULL)
		OPENSSL_cleanse(m->m_rk, m->m_n * sizeof(*m->m_rk));
	free(m->m_rk);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------ */
/* Legacy auth table                                                  */

/*
 * One ID (a user's primary or an alternate): its HMAC pads, so a value
 * costs two MD5 compressions, and the user it belongs to.
 */
struct vmess_authtab_id {
	struct vcrypto_md5key	 key;
	uint32_t		 user;
};

/*
 * 16 bytes a value instead of the value itself: the first 8 bytes of the
 * auth value (0 = empty slot; a value starting with 8 zero bytes is kept
 * as 1), the ID, and the low 16 bits of ts (the table's window is far
 * narrower than 65536 s, so ts is recovered exactly from at_lo). A hit is
 * verified by recomputing the whole value.
 */
struct vmess_authtab_ent {
	uint64_t	 fp;
	uint32_t	 id;
	uint16_t	 ts_lo;
	uint16_t	 tainted;
};

static uint64_t
vmess_authtab_fp(const uint8_t auth[16])
{
	uint64_t	 fp = vmess_get64(auth);

	return fp != 0 ? fp : 1;
}

/*
 * A fingerprint is part of an HMAC under a secret ID, already uniform and
 * unknown to anyone probing: a keyed multiply spreads it (a SipHash per
 * probe cost a seventh of the start with 17,000 IDs).
 */
static size_t
vmess_authtab_home(const struct vmess_authtab *t, uint64_t fp)
{
	uint64_t	 k = vmess_get64(t->at_seed);

	return (size_t)(((fp ^ k) * 0x9e3779b97f4a7c15ULL) >> 32) &
	    (t->at_cap - 1);
}

int
vmess_authtab_init(struct vmess_authtab *t)
{
	memset(t, 0, sizeof(*t));
	return vcrypto_random(t->at_seed, sizeof(t->at_seed));
}

/* Insert without growing; an equal fingerprint (same ID twice) stays. */
static void
vmess_authtab_put(struct vmess_authtab *t, const struct vmess_authtab_ent *n)
{
	size_t	 h = vmess_authtab_home(t, n->fp);

	while (t->at_ents[h].fp != 0) {
		if (t->at_ents[h].fp == n->fp)
			return;
		h = (h + 1) & (t->at_cap - 1);
	}
	t->at_ents[h] = *n;
	t->at_used++;
}

/* Room for `more` values at a load of at most 3/4 (entries rehash by fp). */
static int
vmess_authtab_reserve(struct vmess_authtab *t, size_t more)
{
	struct vmess_authtab_ent *old = t->at_ents;
	size_t			 oldcap = t->at_cap, cap = oldcap ? oldcap : 64;
	size_t			 i;

	while ((t->at_used + more) * 4 > cap * 3)
		cap *= 2;
	if (cap == oldcap)
		return 0;
	if ((t->at_ents = calloc(cap, sizeof(*t->at_ents))) == NULL) {
		t->at_ents = old;
		return -1;
	}
	t->at_cap = cap;
	t->at_used = 0;
	for (i = 0; i < oldcap; i++)
		if (old[i].fp != 0)
			vmess_authtab_put(t, &old[i]);
	free(old);
	return 0;
}

int
vmess_authtab_expect(struct vmess_authtab *t, size_t nids)
{
	return vmess_authtab_reserve(t, nids * (2 * VMESS_LEGACY_WINDOW + 1));
}

static void
vmess_authtab_value(const struct vmess_authtab *t, uint32_t id, int64_t ts,
    uint8_t out[16])
{
	uint8_t	 b[8];

	vmess_be64(b, (uint64_t)ts);
	vcrypto_md5key_mac(&t->at_ids[id].key, b, 8, out);
}

/* Values of IDs [from, to) for ts in [lo, hi]; room reserved by caller. */
static void
vmess_authtab_fill(struct vmess_authtab *t, size_t from, size_t to,
    int64_t lo, int64_t hi)
{
	struct vmess_authtab_ent n;
	uint8_t			 auth[16];
	int64_t			 ts;
	size_t			 i;

	memset(&n, 0, sizeof(n));
	for (i = from; i < to; i++) {
		n.id = (uint32_t)i;
		for (ts = lo; ts <= hi; ts++) {
			vmess_authtab_value(t, (uint32_t)i, ts, auth);
			n.fp = vmess_authtab_fp(auth);
			n.ts_lo = (uint16_t)ts;
			vmess_authtab_put(t, &n);
		}
	}
}

/* The slot holding exactly this value, verified, or NULL. */
static struct vmess_authtab_ent *
vmess_authtab_find(const struct vmess_authtab *t, const uint8_t auth[16],
    int64_t *tsp)
{
	struct vmess_authtab_ent *e;
	uint64_t		 fp = vmess_authtab_fp(auth);
	uint8_t			 v[16];
	int64_t			 ts;
	size_t			 h;

	if (t->at_cap == 0)
		return NULL;
	for (h = vmess_authtab_home(t, fp); t->at_ents[h].fp != 0;
	    h = (h + 1) & (t->at_cap - 1)) {
		e = &t->at_ents[h];
		if (e->fp != fp)
			continue;
		ts = t->at_lo + (int64_t)(uint16_t)(e->ts_lo -
		    (uint16_t)t->at_lo);
		vmess_authtab_value(t, e->id, ts, v);
		if (memcmp(v, auth, 16) != 0)
			return NULL;	/* fingerprints are unique */
		*tsp = ts;
		return e;
	}
	return NULL;
}

/* Backward-shift deletion: linear probing stays exact, no tombstones. */
static void
vmess_authtab_del(struct vmess_authtab *t, struct vmess_authtab_ent *e)
{
	size_t	 mask = t->at_cap - 1, i = (size_t)(e - t->at_ents), j = i, k;

	for (;;) {
		j = (j + 1) & mask;
		if (t->at_ents[j].fp == 0)
			break;
		k = vmess_authtab_home(t, t->at_ents[j].fp);
		/* Move j back to i unless its home lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		t->at_ents[i] = t->at_ents[j];
		i = j;
	}
	memset(&t->at_ents[i], 0, sizeof(t->at_ents[i]));
	t->at_used--;
}

static void
vmess_authtab_drop(struct vmess_authtab *t, int64_t lo, int64_t hi)
{
	struct vmess_authtab_ent *e;
	uint8_t			 auth[16];
	int64_t			 ts, got;
	size_t			 i;

	for (i = 0; i < t->at_nids; i++)
		for (ts = lo; ts <= hi; ts++) {
			vmess_authtab_value(t, (uint32_t)i, ts, auth);
			if ((e = vmess_authtab_find(t, auth, &got)) != NULL)
				vmess_authtab_del(t, e);
		}
}

/*
 * Incremental, as 4.34 adds ~10 values per ID every 10 s: the seconds that
 * left [now - 120, now + 120] are deleted (taint on the rest is kept) and
 * the new ones added. A clock that jumped past the window starts afresh.
 */
int
vmess_authtab_refresh(struct vmess_authtab *t, int64_t now)
{
	int64_t	 lo = now - VMESS_LEGACY_WINDOW, hi = now + VMESS_LEGACY_WINDOW;

	if (t->at_nids == 0 || t->at_cap == 0) {
		t->at_lo = lo;
		t->at_hi = hi;
		return 0;
	}
	if (lo > t->at_hi || hi < t->at_lo) {
		memset(t->at_ents, 0, t->at_cap * sizeof(*t->at_ents));
		t->at_used = 0;
		t->at_lo = lo;
		t->at_hi = hi;
		if (vmess_authtab_reserve(t, t->at_nids * (size_t)(hi - lo + 1))
		    == -1)
			return -1;
		vmess_authtab_fill(t, 0, t->at_nids, lo, hi);
		return 0;
	}
	if (lo > t->at_lo) {
		vmess_authtab_drop(t, t->at_lo, lo - 1);
		t->at_lo = lo;
	}
	if (hi > t->at_hi) {
		if (vmess_authtab_reserve(t, t->at_nids *
		    (size_t)(hi - t->at_hi)) == -1)
			return -1;
		vmess_authtab_fill(t, 0, t->at_nids, t->at_hi + 1, hi);
		t->at_hi = hi;
	}
	return 0;
}

int
vmess_authtab_add(struct vmess_authtab *t, size_t user,
    const uint8_t uuid[16], uint16_t alter_id, int64_t now)
{
	struct vmess_authtab_id	*ids;
	uint8_t			(*alt)[16] = NULL;
	size_t			 i, n = (size_t)alter_id + 1, first;

	if (user > UINT32_MAX || t->at_nids + n > UINT32_MAX)
		return -1;
	if (t->at_nids == 0) {
		t->at_lo = now - VMESS_LEGACY_WINDOW;
		t->at_hi = now + VMESS_LEGACY_WINDOW;
	}
	if (t->at_nids + n > t->at_nalloc) {
		size_t	cap = t->at_nalloc ? t->at_nalloc : 16;

		while (cap < t->at_nids + n)
			cap *= 2;
		if ((ids = realloc(t->at_ids, cap * sizeof(*ids))) == NULL)
			return -1;
		t->at_ids = ids;
		t->at_nalloc = cap;
	}
	if (alter_id > 0) {
		if ((alt = calloc(alter_id, 16)) == NULL)
			return -1;
		if (vmess_alter_ids(uuid, alter_id, alt) == -1) {
			OPENSSL_cleanse(alt, (size_t)alter_id * 16);
			free(alt);
			return -1;
		}
	}
	if (vmess_authtab_reserve(t, n * (size_t)(t->at_hi - t->at_lo + 1))
	    == -1) {
		free(alt);
		return -1;
	}
	first = t->at_nids;
	for (i = 0; i < n; i++) {
		vcrypto_md5key_init(&t->at_ids[first + i].key,
		    i == 0 ? uuid : alt[i - 1]);
		t->at_ids[first + i].user = (uint32_t)user;
	}
	t->at_nids += n;
	if (alt != NULL)
		OPENSSL_cleanse(alt, (size_t)alter_id * 16);
	free(alt);
	vmess_authtab_fill(t, first, t->at_nids, t->at_lo, t->at_hi);
	return 0;
}

int
vmess_authtab_adopt(struct vmess_authtab *t, const struct vmess_authtab *src,
    const ssize_t *user_map, size_t nusers)
{
	uint32_t		*idmap;
	struct vmess_authtab_ent n;
	size_t			 i, keep = 0, u;

	if (t->at_nids != 0 || src->at_nids == 0)
		return 0;
	if ((idmap = calloc(src->at_nids, sizeof(*idmap))) == NULL)
		return -1;
	for (i = 0; i < src->at_nids; i++) {
		u = src->at_ids[i].user;
		idmap[i] = u < nusers && user_map[u] >= 0 ? (uint32_t)keep++ :
		    UINT32_MAX;
	}
	if (keep == 0) {
		free(idmap);
		return 0;
	}
	if ((t->at_ids = calloc(keep, sizeof(*t->at_ids))) == NULL) {
		free(idmap);
		return -1;
	}
	t->at_nalloc = keep;
	for (i = 0; i < src->at_nids; i++) {
		if (idmap[i] == UINT32_MAX)
			continue;
		t->at_ids[idmap[i]] = src->at_ids[i];
		t->at_ids[idmap[i]].user =
		    (uint32_t)user_map[src->at_ids[i].user];
	}
	t->at_nids = keep;
	t->at_lo = src->at_lo;
	t->at_hi = src->at_hi;
	if (vmess_authtab_reserve(t, src->at_used) == -1) {
		free(idmap);
		return -1;
	}
	for (i = 0; i < src->at_cap; i++) {
		if (src->at_ents[i].fp == 0 ||
		    idmap[src->at_ents[i].id] == UINT32_MAX)
			continue;
		n = src->at_ents[i];
		n.id = idmap[n.id];
		vmess_authtab_put(t, &n);
	}
	free(idmap);
	return 0;
}

enum vmess_auth_result
vmess_authtab_lookup(const struct vmess_authtab *t, const uint8_t auth[16],
    size_t *user, int64_t *ts)
{
	const struct vmess_authtab_ent *e;
	int64_t			 got;

	if ((e = vmess_authtab_find(t, auth, &got)) == NULL)
		return VMESS_AUTH_NONE;
	if (e->tainted)
		return VMESS_AUTH_TAINTED;
	*user = t->at_ids[e->id].user;
	*ts = got;
	return VMESS_AUTH_FOUND;
}

void
vmess_authtab_taint(struct vmess_authtab *t, const uint8_t auth[16])
{
	struct vmess_authtab_ent *e;
	int64_t			 got;

	if ((e = vmess_authtab_find(t, auth, &got)) != NULL)
		e->tainted = 1;
}

size_t
vmess_authtab_bytes(const struct vmess_authtab *t)
{
	return t->at_cap * sizeof(*t->at_ents) +
	    t->at_nalloc * sizeof(*t->at_ids);
}

void
vmess_authtab_cleanup(struct vmess_authtab *t)
{
	if (t->at_ids != NULL)
		OPENSSL_cleanse(t->at_ids, t->at_nalloc * sizeof(*t->at_ids));
	free(t->at_ids);
	free(t->at_ents);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ */
/* Exact replay sets                                                  */

/* Slot layout: BE64 expiry (0 = empty), then the key. */
#define RP_STRIDE(r)	(8 + (r)->r_keylen)

int
vmess_replay_init(struct vmess_replay *r, size_t keylen, size_t max)
{
	memset(r, 0, sizeof(*r));
	if (keylen == 0 || keylen > 64 || max == 0)
		return -1;
	r->r_keylen = keylen;
	r->r_max = max;
	return vcrypto_random(r->r_seed, sizeof(r->r_seed));
}

static int64_t
vmess_replay_expire(const uint8_t *slot)
{
	return (int64_t)vmess_get64(slot);
}

static size_t
vmess_replay_home(const struct vmess_replay *r, const uint8_t *key)
{
	return (size_t)vcrypto_siphash(r->r_seed, key, r->r_keylen) &
	    (r->r_cap - 1);
}

size_t
vmess_replay_live(const struct vmess_replay *r, int64_t now)
{
	size_t	 i, n = 0;

	for (i = 0; i < r->r_cap; i++)
		if (vmess_replay_expire(r->r_tab + i * RP_STRIDE(r)) > now)
			n++;
	return n;
}

/*
 * Copies live keys into a table four times their number. When `max` keys
 * are live it fails and notes the first expiry, so a full set is not
 * rescanned for every refused key.
 */
static int
vmess_replay_rebuild(struct vmess_replay *r, int64_t now)
{
	size_t	 live = 0, cap = 64, i, h;
	int64_t	 e, first = INT64_MAX;
	uint8_t	*tab, *s;

	for (i = 0; i < r->r_cap; i++) {
		e = vmess_replay_expire(r->r_tab + i * RP_STRIDE(r));
		if (e > now) {
			live++;
			if (e < first)
				first = e;
		}
	}
	if (live >= r->r_max) {
		r->r_retry = first;
		return -1;
	}
	while (cap < 4 * (live + 1))
		cap *= 2;
	if ((tab = calloc(cap, RP_STRIDE(r))) == NULL)
		return -1;
	for (i = 0; i < r->r_cap; i++) {
		s = r->r_tab + i * RP_STRIDE(r);
		if (vmess_replay_expire(s) <= now)
			continue;
		h = (size_t)vcrypto_siphash(r->r_seed, s + 8, r->r_keylen) &
		    (cap - 1);
		while (vmess_replay_expire(tab + h * RP_STRIDE(r)) != 0)
			h = (h + 1) & (cap - 1);
		memcpy(tab + h * RP_STRIDE(r), s, RP_STRIDE(r));
	}
	free(r->r_tab);
	r->r_tab = tab;
	r->r_cap = cap;
	r->r_used = live;
	return 0;
}

int
vmess_replay_check(struct vmess_replay *r, const uint8_t *key, int64_t now,
    int64_t expire)
{
	uint8_t	*s, *dead = NULL;
	size_t	 h;
	int64_t	 e;

	if (r->r_cap > 0) {
		h = vmess_replay_home(r, key);
		while ((e = vmess_replay_expire(s = r->r_tab +
		    h * RP_STRIDE(r))) != 0) {
			if (memcmp(s + 8, key, r->r_keylen) == 0) {
				if (e > now)
					return 1;
				/* Same key, expired: remember it afresh. */
				if (expire > now)
					vmess_be64(s, (uint64_t)expire);
				return 0;
			}
			if (e <= now && dead == NULL)
				dead = s;
			h = (h + 1) & (r->r_cap - 1);
		}
		if (expire <= now || expire <= 0)
			return 0;
		if (dead != NULL) {
			vmess_be64(dead, (uint64_t)expire);
			memcpy(dead + 8, key, r->r_keylen);
			return 0;
		}
	}
	if (expire <= now || expire <= 0)
		return 0;
	/* r_used counts expired slots too: purge before calling it full. */
	if (r->r_used + 1 > r->r_max || (r->r_used + 1) * 2 > r->r_cap) {
		if (r->r_used >= r->r_max && now < r->r_retry)
			return -1;
		if (vmess_replay_rebuild(r, now) == -1)
			return -1;
	}
	h = vmess_replay_home(r, key);
	while (vmess_replay_expire(r->r_tab + h * RP_STRIDE(r)) != 0)
		h = (h + 1) & (r->r_cap - 1);
	s = r->r_tab + h * RP_STRIDE(r);
	vmess_be64(s, (uint64_t)expire);
	memcpy(s + 8, key, r->r_keylen);
	r->r_used++;
	return 0;
}

void
vmess_replay_cleanup(struct vmess_replay *r)
{
	free(r->r_tab);
	memset(r, 0, sizeof(*r));
}

int
vmess_replay_authid(struct vmess_replay *r, const uint8_t eauid[16],
    int64_t t, int64_t now)
{
	if (r->r_keylen != 16)
		return -1;
	return vmess_replay_check(r, eauid, now, t + VMESS_AEAD_WINDOW + 1);
}

int
vmess_replay_session(struct vmess_replay *r, const uint8_t uuid[16],
    const uint8_t req_key[16], const uint8_t req_iv[16], int64_t now)
{
	uint8_t	 key[48];

	if (r->r_keylen != 48)
		return -1;
	memcpy(key, uuid, 16);
	memcpy(key + 16, req_key, 16);
	memcpy(key + 32, req_iv, 16);
	return vmess_replay_check(r, key, now, now + VMESS_SESSION_TTL);
}
