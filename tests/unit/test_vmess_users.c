/* SPDX-License-Identifier: MIT */
/*
 * test_vmess_users.c: a server's users at scale. The AEAD matcher and the
 * legacy table with thousands of users (the last user, a removed user, a
 * tainted value), the table's incremental refresh across the window edge
 * and clock jumps, and the reload hand-over that derives nothing twice.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/vcrypto.h"
#include "vmess/vmess.h"

#define T0	1700000000LL
#define NU	3000

static struct vmess_user *
mkusers(size_t n, uint16_t alter)
{
	struct vmess_user	*u = calloc(n, sizeof(*u));
	uint8_t			 id[16];
	size_t			 i;

	assert_non_null(u);
	for (i = 0; i < n; i++) {
		memset(id, 0, sizeof(id));
		id[0] = 0x42;
		id[14] = (uint8_t)(i >> 8);
		id[15] = (uint8_t)i;
		assert_int_equal(vmess_user_init(&u[i], id, alter), 0);
	}
	return u;
}

static void
eauid(const struct vmess_user *u, int64_t t, uint8_t out[16])
{
	assert_int_equal(vmess_authid_encode(u->authid_key, t, NULL, out), 0);
}

/* The many-key decryption agrees with OpenSSL, in batches of any size. */
static void
test_aes_many(void **state)
{
	uint8_t		 keys[37][16], rk[37][VCRYPTO_AES_RK], in[16];
	uint8_t		 out[37][16], want[16];
	size_t		 i, n;

#if defined(__x86_64__)
	if (__builtin_cpu_supports("aes"))
		assert_true(vcrypto_aes_many_ok());
#endif
	if (!vcrypto_aes_many_ok()) {
		assert_int_equal(vcrypto_aes_many_key(keys[0], rk[0]), -1);
		return;
	}
	assert_int_equal(vcrypto_random(keys, sizeof(keys)), 0);
	assert_int_equal(vcrypto_random(in, sizeof(in)), 0);
	for (i = 0; i < 37; i++)
		assert_int_equal(vcrypto_aes_many_key(keys[i], rk[i]), 0);
	for (n = 1; n <= 37; n += 6) {
		memset(out, 0, sizeof(out));
		vcrypto_aes_many_dec((const uint8_t (*)[VCRYPTO_AES_RK])rk, n,
		    in, out);
		for (i = 0; i < n; i++) {
			assert_int_equal(vcrypto_aes128_ecb(keys[i], in, want, 0),
			    0);
			assert_memory_equal(out[i], want, 16);
		}
	}
}

/* Without AES-NI the matcher keeps an OpenSSL context per user. */
static void
test_matcher_evp(void **state)
{
	struct vmess_user	*u = mkusers(100, 0);
	struct vmess_matcher	 m, b;
	uint8_t			 e[16];
	int64_t			 t;
	size_t			 i;

	vmess_matcher_init(&m);
	m.m_fast = false;
	vmess_matcher_init(&b);
	b.m_fast = false;
	for (i = 0; i < 100; i++)
		assert_int_equal(vmess_matcher_add(&m, u[i].authid_key), 0);
	eauid(&u[99], T0, e);
	assert_int_equal(vmess_matcher_find(&m, e, T0, &t), 99);
	assert_int_equal(vmess_matcher_find(&m, e, T0, &t), 99);
	assert_int_equal(vmess_matcher_adopt(&b, &m, 99), 0);
	assert_int_equal(vmess_matcher_find(&b, e, T0, &t), 0);
	e[0] ^= 1;
	assert_int_equal(vmess_matcher_find(&m, e, T0, &t), -1);
	vmess_matcher_cleanup(&m);
	vmess_matcher_cleanup(&b);
	free(u);
}

static void
test_matcher_many(void **state)
{
	struct vmess_user	*u = mkusers(NU, 0);
	struct vmess_matcher	 m;
	uint8_t			 e[16];
	int64_t			 t;
	size_t			 i;

	vmess_matcher_init(&m);
	for (i = 0; i < NU; i++)
		assert_int_equal(vmess_matcher_add(&m, u[i].authid_key), 0);
	/* The last user, the first, one in the middle; time bounds hold. */
	eauid(&u[NU - 1], T0, e);
	assert_int_equal(vmess_matcher_find(&m, e, T0, &t), NU - 1);
	assert_int_equal(t, T0);
	assert_int_equal(m.m_recent[0], NU - 1);
	assert_int_equal(vmess_matcher_find(&m, e, T0 + 121, &t), -1);
	assert_int_equal(vmess_matcher_find(&m, e, T0 - 120, &t), NU - 1);
	eauid(&u[0], T0, e);
	assert_int_equal(vmess_matcher_find(&m, e, T0, &t), 0);
	eauid(&u[NU / 2], T0 + 5, e);
	assert_int_equal(vmess_matcher_find(&m, e, T0, &t), NU / 2);
	assert_int_equal(t, T0 + 5);
	/* Most recent first, each user once. */
	assert_int_equal(m.m_nrecent, 3);
	assert_int_equal(m.m_recent[0], NU / 2);
	assert_int_equal(m.m_recent[1], 0);
	assert_int_equal(m.m_recent[2], NU - 1);
	eauid(&u[NU - 1], T0, e);
	assert_int_equal(vmess_matcher_find(&m, e, T0, &t), NU - 1);
	assert_int_equal(m.m_nrecent, 3);
	assert_int_equal(m.m_recent[0], NU - 1);
	/* The list keeps VMESS_MATCH_RECENT users, newest first. */
	for (i = 100; i < 100 + 2 * VMESS_MATCH_RECENT; i++) {
		eauid(&u[i], T0, e);
		assert_int_equal(vmess_matcher_find(&m, e, T0, &t), (ssize_t)i);
	}
	assert_int_equal(m.m_nrecent, VMESS_MATCH_RECENT);
	assert_int_equal(m.m_recent[0], 100 + 2 * VMESS_MATCH_RECENT - 1);
	/* Agrees with the plain scan, and garbage matches nobody. */
	eauid(&u[1234], T0, e);
	assert_int_equal(vmess_authid_match(u, NU, e, T0, &t), 1234);
	assert_int_equal(vmess_matcher_find(&m, e, T0, &t), 1234);
	e[3] ^= 0x10;
	assert_int_equal(vmess_matcher_find(&m, e, T0, &t), -1);
	vmess_matcher_cleanup(&m);
	free(u);
}

/* A removed user: the hand-over drops it, renumbers the others. */
static void
test_matcher_adopt(void **state)
{
	struct vmess_user	*u = mkusers(64, 0);
	struct vmess_matcher	 a, b;
	ssize_t			 map[64];
	uint8_t			 e[16];
	int64_t			 t;
	size_t			 i;

	vmess_matcher_init(&a);
	vmess_matcher_init(&b);
	for (i = 0; i < 64; i++)
		assert_int_equal(vmess_matcher_add(&a, u[i].authid_key), 0);
	eauid(&u[40], T0, e);
	assert_int_equal(vmess_matcher_find(&a, e, T0, &t), 40);
	eauid(&u[7], T0, e);
	assert_int_equal(vmess_matcher_find(&a, e, T0, &t), 7);
	/* New list: old users 1..63 as 0..62 (user 0 removed). */
	map[0] = -1;
	for (i = 1; i < 64; i++) {
		map[i] = (ssize_t)i - 1;
		assert_int_equal(vmess_matcher_adopt(&b, &a, i), 0);
	}
	vmess_matcher_adopt_recent(&b, &a, map, 64);
	assert_int_equal(b.m_nrecent, 2);
	assert_int_equal(b.m_recent[0], 6);
	assert_int_equal(b.m_recent[1], 39);
	eauid(&u[0], T0, e);
	assert_int_equal(vmess_matcher_find(&b, e, T0, &t), -1);
	eauid(&u[63], T0, e);
	assert_int_equal(vmess_matcher_find(&b, e, T0, &t), 62);
	vmess_matcher_cleanup(&a);
	vmess_matcher_cleanup(&b);
	free(u);
}

static void
legacy_auth(const struct vmess_user *u, int alt, int64_t ts, uint8_t out[16])
{
	uint8_t	 ids[8][16];

	if (alt == 0) {
		assert_int_equal(vmess_legacy_auth(u->uuid, ts, out), 0);
		return;
	}
	assert_int_equal(vmess_alter_ids(u->uuid, (uint16_t)alt, ids), 0);
	assert_int_equal(vmess_legacy_auth(ids[alt - 1], ts, out), 0);
}

static enum vmess_auth_result
lookup(const struct vmess_authtab *t, const struct vmess_user *u, int alt,
    int64_t ts, size_t *user)
{
	uint8_t		 a[16];
	int64_t		 got = 0;
	size_t		 dummy;
	enum vmess_auth_result r;

	legacy_auth(u, alt, ts, a);
	r = vmess_authtab_lookup(t, a, user != NULL ? user : &dummy, &got);
	if (r == VMESS_AUTH_FOUND)
		assert_int_equal(got, ts);
	return r;
}

#define NL	400	/* legacy users, alterId 2: 1,200 IDs */

static void
test_authtab_many(void **state)
{
	struct vmess_user	*u = mkusers(NL, 2);
	struct vmess_authtab	 t;
	uint8_t			 a[16];
	size_t			 i, who;

	assert_int_equal(vmess_authtab_init(&t), 0);
	for (i = 0; i < NL; i++)
		assert_int_equal(vmess_authtab_add(&t, i, u[i].uuid, 2, T0), 0);
	/* Every ID's 241 values, 16 bytes each, no more. */
	assert_int_equal(t.at_used, (size_t)NL * 3 * 241);
	assert_true(vmess_authtab_bytes(&t) < (size_t)NL * 3 * 241 * 16 * 3);
	assert_int_equal(lookup(&t, &u[NL - 1], 2, T0 + 120, &who),
	    VMESS_AUTH_FOUND);
	assert_int_equal(who, NL - 1);
	assert_int_equal(lookup(&t, &u[NL - 1], 0, T0 - 120, &who),
	    VMESS_AUTH_FOUND);
	assert_int_equal(lookup(&t, &u[0], 1, T0, &who), VMESS_AUTH_FOUND);
	assert_int_equal(who, 0);
	assert_int_equal(lookup(&t, &u[5], 1, T0 + 121, NULL), VMESS_AUTH_NONE);
	assert_int_equal(lookup(&t, &u[5], 1, T0 - 121, NULL), VMESS_AUTH_NONE);
	/* Taint one value: only that value is refused. */
	legacy_auth(&u[77], 1, T0 + 3, a);
	vmess_authtab_taint(&t, a);
	assert_int_equal(lookup(&t, &u[77], 1, T0 + 3, NULL),
	    VMESS_AUTH_TAINTED);
	assert_int_equal(lookup(&t, &u[77], 1, T0 + 4, NULL), VMESS_AUTH_FOUND);
	assert_int_equal(lookup(&t, &u[77], 2, T0 + 3, NULL), VMESS_AUTH_FOUND);

	/* Incremental refresh: the window slides, taint stays. */
	assert_int_equal(vmess_authtab_refresh(&t, T0 + 10), 0);
	assert_int_equal(t.at_used, (size_t)NL * 3 * 241);
	assert_int_equal(lookup(&t, &u[9], 1, T0 - 111, NULL), VMESS_AUTH_NONE);
	assert_int_equal(lookup(&t, &u[9], 1, T0 - 110, NULL), VMESS_AUTH_FOUND);
	assert_int_equal(lookup(&t, &u[NL - 1], 2, T0 + 130, NULL),
	    VMESS_AUTH_FOUND);
	assert_int_equal(lookup(&t, &u[NL - 1], 2, T0 + 131, NULL),
	    VMESS_AUTH_NONE);
	assert_int_equal(lookup(&t, &u[77], 1, T0 + 3, NULL),
	    VMESS_AUTH_TAINTED);
	/* The same second twice changes nothing. */
	assert_int_equal(vmess_authtab_refresh(&t, T0 + 10), 0);
	assert_int_equal(t.at_used, (size_t)NL * 3 * 241);
	/* A clock that jumps past the window starts afresh. */
	assert_int_equal(vmess_authtab_refresh(&t, T0 + 5000), 0);
	assert_int_equal(t.at_used, (size_t)NL * 3 * 241);
	assert_int_equal(lookup(&t, &u[3], 2, T0, NULL), VMESS_AUTH_NONE);
	assert_int_equal(lookup(&t, &u[3], 2, T0 + 5000, NULL),
	    VMESS_AUTH_FOUND);
	assert_int_equal(vmess_authtab_refresh(&t, T0), 0);	/* and back */
	assert_int_equal(lookup(&t, &u[3], 2, T0 + 5000, NULL),
	    VMESS_AUTH_NONE);
	assert_int_equal(lookup(&t, &u[3], 2, T0 - 120, NULL),
	    VMESS_AUTH_FOUND);
	vmess_authtab_cleanup(&t);
	free(u);
}

/* Many small slides: deletion keeps every probe chain intact. */
static void
test_authtab_slide(void **state)
{
	struct vmess_user	*u = mkusers(50, 3);
	struct vmess_authtab	 t;
	int64_t			 now;
	size_t			 i;

	assert_int_equal(vmess_authtab_init(&t), 0);
	for (i = 0; i < 50; i++)
		assert_int_equal(vmess_authtab_add(&t, i, u[i].uuid, 3, T0), 0);
	for (now = T0; now < T0 + 600; now += 7) {
		assert_int_equal(vmess_authtab_refresh(&t, now), 0);
		assert_int_equal(t.at_used, (size_t)50 * 4 * 241);
	}
	now -= 7;
	for (i = 0; i < 50; i++) {
		assert_int_equal(lookup(&t, &u[i], (int)(i % 4), now - 120,
		    NULL), VMESS_AUTH_FOUND);
		assert_int_equal(lookup(&t, &u[i], (int)(i % 4), now + 120,
		    NULL), VMESS_AUTH_FOUND);
		assert_int_equal(lookup(&t, &u[i], (int)(i % 4), now - 121,
		    NULL), VMESS_AUTH_NONE);
	}
	vmess_authtab_cleanup(&t);
	free(u);
}

/* Reload: kept users' values move over (taint too), one user removed. */
static void
test_authtab_adopt(void **state)
{
	struct vmess_user	*u = mkusers(20, 1);
	struct vmess_authtab	 a, b;
	ssize_t			 map[19];
	uint8_t			 v[16];
	size_t			 i, who;

	assert_int_equal(vmess_authtab_init(&a), 0);
	assert_int_equal(vmess_authtab_init(&b), 0);
	for (i = 0; i < 19; i++)
		assert_int_equal(vmess_authtab_add(&a, i, u[i].uuid, 1, T0), 0);
	legacy_auth(&u[4], 1, T0, v);
	vmess_authtab_taint(&a, v);
	/* New order: old 0..18 reversed, old 10 removed. */
	for (i = 0; i < 19; i++)
		map[i] = i == 10 ? -1 : i < 10 ? (ssize_t)(17 - i) :
		    (ssize_t)(18 - i);
	assert_int_equal(vmess_authtab_adopt(&b, &a, map, 19), 0);
	assert_int_equal(b.at_used, (size_t)18 * 2 * 241);
	assert_int_equal(lookup(&b, &u[0], 1, T0, &who), VMESS_AUTH_FOUND);
	assert_int_equal(who, 17);
	assert_int_equal(lookup(&b, &u[18], 0, T0 + 100, &who),
	    VMESS_AUTH_FOUND);
	assert_int_equal(who, 0);
	assert_int_equal(lookup(&b, &u[10], 1, T0, NULL), VMESS_AUTH_NONE);
	assert_int_equal(lookup(&b, &u[4], 1, T0, NULL), VMESS_AUTH_TAINTED);
	/* A user added after the hand-over fills the same window. */
	assert_int_equal(vmess_authtab_add(&b, 18, u[19].uuid, 1, T0 + 3), 0);
	assert_int_equal(lookup(&b, &u[19], 1, T0 - 120, &who),
	    VMESS_AUTH_FOUND);
	assert_int_equal(who, 18);
	assert_int_equal(vmess_authtab_refresh(&b, T0 + 20), 0);
	assert_int_equal(lookup(&b, &u[19], 1, T0 + 140, NULL),
	    VMESS_AUTH_FOUND);
	assert_int_equal(lookup(&b, &u[0], 1, T0 + 140, NULL),
	    VMESS_AUTH_FOUND);
	vmess_authtab_cleanup(&a);
	vmess_authtab_cleanup(&b);
	free(u);
}

static void
test_md5key(void **state)
{
	struct vcrypto_md5key	 k;
	uint8_t			 key[16], msg[8], a[16], b[16];
	int			 i;

	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)(i * 13 + 1);
	vcrypto_md5key_init(&k, key);
	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(i + 100);
	vcrypto_md5key_mac(&k, msg, 8, a);
	assert_int_equal(vcrypto_hmac_md5(key, 16, msg, 8, b), 0);
	assert_memory_equal(a, b, 16);
	vcrypto_md5key_mac(&k, msg, 3, a);
	assert_int_equal(vcrypto_hmac_md5(key, 16, msg, 3, b), 0);
	assert_memory_equal(a, b, 16);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_md5key),
		cmocka_unit_test(test_aes_many),
		cmocka_unit_test(test_matcher_evp),
		cmocka_unit_test(test_matcher_many),
		cmocka_unit_test(test_matcher_adopt),
		cmocka_unit_test(test_authtab_many),
		cmocka_unit_test(test_authtab_slide),
		cmocka_unit_test(test_authtab_adopt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
