/* SPDX-License-Identifier: MIT */
/*
 * fuzz_vmess_header.c: libFuzzer target for the server-side VMess header
 * parse (AEAD and legacy) with a fixed user set, and the response header;
 * inputs are also sealed validly so the parsers see arbitrary plaintext.
 *
 * Byte 0 % 6 picks the mode. Mode 0 (raw bytes off the wire) takes the
 * server's clock from the input, BE64 unix time in bytes 1..8, because a
 * real header is only accepted within 120 s of the time it was made:
 * capture.sh writes the capture time in front of each captured request
 * (made by v2ray with the IDs below), so the seeds pass authentication.
 * Mode 5 (response header) takes the response key, IV and expected V from
 * the input (bytes 1..33), which capture.sh recovers from the request.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/vcrypto.h"
#include "vmess/vmess.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	1700000000LL

/* users[i] has alterId i: user 0 sends AEAD headers, user 1 legacy. */
static const char *const fuzz_ids[2] = {
	"b831381d-6324-4d53-ad4f-8cda48b30811",
	"27848739-7e62-4138-9fd3-098a63964b6b"
};
static struct vmess_user	 users[2];
static uint8_t			 uuids[2][16];
static int			 ready;

static void
fuzz_setup(void)
{
	int	 i;

	if (ready)
		return;
	for (i = 0; i < 2; i++)
		if (vmess_uuid_parse(fuzz_ids[i], uuids[i]) == -1 ||
		    vmess_user_init(&users[i], uuids[i], (uint16_t)i) == -1)
			__builtin_trap();
	ready = 1;
}

/*
 * The legacy tables for the server's clocks the inputs carry: most
 * mutations keep a seed's capture time, so a few tables, least recently
 * used replaced, spare a rebuild (~700 HMACs) per input. A table the last
 * input tainted (FNV error) is rebuilt, so that one mutated header does not
 * lock its original out for the rest of the run.
 */
#define FUZZ_TABS	8
static struct {
	struct vmess_authtab	 t;
	int64_t			 now;	/* -1: to be built */
	uint64_t		 used;
} tabs[FUZZ_TABS];
static struct vmess_authtab	*tab;
static int			 tab_i;

static void
fuzz_tab(int64_t now)
{
	static uint64_t	 tick;
	static int	 init;
	int		 i, k = 0;

	if (!init) {
		for (i = 0; i < FUZZ_TABS; i++)
			tabs[i].now = -1;
		init = 1;
	}
	for (i = 0; i < FUZZ_TABS; i++) {
		if (tabs[i].now == now) {
			k = i;
			goto found;
		}
		if (tabs[i].used < tabs[k].used)
			k = i;
	}
	vmess_authtab_cleanup(&tabs[k].t);
	if (vmess_authtab_init(&tabs[k].t) == -1)
		__builtin_trap();
	for (i = 0; i < 2; i++)
		if (vmess_authtab_add(&tabs[k].t, (size_t)i, uuids[i],
		    (uint16_t)i, now) == -1)
			__builtin_trap();
	tabs[k].now = now;
 found:
	tabs[k].used = ++tick;
	tab = &tabs[k].t;
	tab_i = k;
}

static void
fuzz_untaint(const uint8_t *p, size_t len)
{
	size_t	 user;
	int64_t	 ts;

	if (len >= 16 && vmess_authtab_lookup(tab, p, &user, &ts) ==
	    VMESS_AUTH_TAINTED)
		tabs[tab_i].now = -1;
}

static void
fuzz_check_req(ssize_t rv, size_t len, const struct vmess_request *r,
    const char *err)
{
	if (rv < -1 || (rv > 0 && (size_t)rv > len))
		__builtin_trap();
	if (rv == -1 && (err == NULL || r->fail == VMESS_FAIL_NONE))
		__builtin_trap();
	if (rv <= 0)
		return;
	if (r->fail != VMESS_FAIL_NONE || r->padlen > 15 ||
	    r->user >= 2 || r->sec == 0 || r->sec == VMESS_SEC_AUTO ||
	    r->sec > VMESS_SEC_NONE)
		__builtin_trap();
	if ((r->atype == VMESS_ATYPE_IPV4 && r->addr_len != 4) ||
	    (r->atype == VMESS_ATYPE_IPV6 && r->addr_len != 16) ||
	    (r->atype == VMESS_ATYPE_DOMAIN && (r->addr_len == 0 ||
	    strlen((const char *)r->addr) > r->addr_len)))
		__builtin_trap();
}

/* Seals arbitrary bytes as an AEAD header for users[0]. */
static size_t
fuzz_seal_aead(const uint8_t *sec, size_t n, uint8_t *out)
{
	struct vcrypto_span path[3];
	uint8_t		 k[32], nonce[32], len2[2];
	static const uint8_t cn[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	const char	*what[4] = { "VMess Header AEAD Key_Length",
	    "VMess Header AEAD Nonce_Length", "VMess Header AEAD Key",
	    "VMess Header AEAD Nonce" };
	int		 i;

	if (vmess_authid_encode(users[0].authid_key, NOW, NULL, out) == -1)
		__builtin_trap();
	memcpy(out + 34, cn, 8);
	path[1].p = out;
	path[1].len = 16;
	path[2].p = cn;
	path[2].len = 8;
	len2[0] = (uint8_t)(n >> 8);
	len2[1] = (uint8_t)n;
	for (i = 0; i < 4; i += 2) {
		path[0].p = what[i];
		path[0].len = strlen(what[i]);
		if (vcrypto_kdf(users[0].cmd_key, 16, path, 3, k) == -1)
			__builtin_trap();
		path[0].p = what[i + 1];
		path[0].len = strlen(what[i + 1]);
		if (vcrypto_kdf(users[0].cmd_key, 16, path, 3, nonce) == -1)
			__builtin_trap();
		if (i == 0 && vcrypto_aes128_gcm_seal(k, nonce, out, 16, len2,
		    2, out + 16) == -1)
			__builtin_trap();
		if (i == 2 && vcrypto_aes128_gcm_seal(k, nonce, out, 16, sec,
		    n, out + 42) == -1)
			__builtin_trap();
	}
	return 42 + n + 16;
}

static void
fuzz_server(const uint8_t *p, size_t len, int64_t now)
{
	struct vmess_replay	 ids, sess;
	struct vmess_server	 s;
	struct vmess_request	 r;
	const char		*err = NULL;
	ssize_t			 rv;
	size_t			 i;

	if (vmess_replay_init(&ids, 16, 64) == -1 ||
	    vmess_replay_init(&sess, 48, 64) == -1)
		__builtin_trap();
	fuzz_tab(now);
	/* Fields not named are zero: no matcher, users tried in order. */
	s = (struct vmess_server){ .users = users, .nusers = 2,
	    .legacy = tab, .authids = &ids, .sessions = &sess };
	rv = vmess_server_decode(&s, p, len, now, &r, &err);
	fuzz_check_req(rv, len, &r, err);
	/*
	 * Prefixes of an accepted header only ever ask for more; sampled
	 * (each decode costs the full AEAD match), so that long accepted
	 * headers do not slow the run tenfold.
	 */
	if (rv > 0)
		for (i = 0; i < (size_t)rv; i += 7 + (size_t)rv / 16) {
			err = NULL;
			if (vmess_server_decode(&s, p, i, now, &r, &err) != 0)
				__builtin_trap();
		}
	vmess_replay_cleanup(&ids);
	vmess_replay_cleanup(&sess);
	fuzz_untaint(p, len);
}

/* p: respKey (16), respIV (16), V (1), then the response header. */
static void
fuzz_resp(const uint8_t *p, size_t len, int aead, int legacy_body)
{
	struct vmess_body	 b;
	struct vmess_resp	 r;
	const char		*err = NULL;
	ssize_t			 rv;
	uint8_t			 v;

	if (len < 33)
		return;
	v = p[32];
	if (vmess_body_init(&b, legacy_body ? VMESS_SEC_LEGACY :
	    VMESS_SEC_AES128GCM, 0x01, p, p + 16, false) == -1)
		__builtin_trap();
	p += 33;
	len -= 33;
	rv = vmess_resp_open(&b, aead, v, p, len, &r, &err);
	if (rv < -1 || (rv > 0 && (size_t)rv > len) ||
	    (rv == -1 && err == NULL))
		__builtin_trap();
	vmess_body_cleanup(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 buf[VMESS_REQ_MAX + 70000], ct[VMESS_CMD_MAX];
	struct vmess_request r;
	struct vmess_switch sw;
	const char	*err = NULL;
	uint8_t		 auth[16], iv[16], tsb[32];
	size_t		 n, i;
	ssize_t		 rv;
	int64_t		 now;

	fuzz_setup();
	if (size == 0)
		return 0;
	switch (data[0] % 6) {
	case 0:		/* raw bytes off the wire, at the input's time */
		if (size < 9)
			return 0;
		now = 0;
		for (i = 1; i < 9; i++)
			now = now << 8 | data[i];
		/* Any time a clock can give (the window arithmetic is
		 * signed), so at most 2^40 s. */
		now &= ((int64_t)1 << 40) - 1;
		fuzz_server(data + 9, size - 9, now);
		break;
	case 1:		/* authentic AEAD header, arbitrary section */
		n = size - 1 > VMESS_AEAD_CMD_LIMIT ? VMESS_AEAD_CMD_LIMIT :
		    size - 1;
		n = fuzz_seal_aead(data + 1, n, buf);
		fuzz_server(buf, n, NOW);
		break;
	case 2:		/* authentic legacy auth (alternate ID), section */
		n = size - 1 > VMESS_CMD_MAX ? VMESS_CMD_MAX : size - 1;
		{
			uint8_t alt[1][16];

			if (vmess_alter_ids(users[1].uuid, 1, alt) == -1 ||
			    vmess_legacy_auth(alt[0], NOW + 7, auth) == -1)
				__builtin_trap();
		}
		for (i = 0; i < 32; i++)
			tsb[i] = (uint8_t)((uint64_t)(NOW + 7) >>
			    (56 - 8 * (i % 8)));
		if (vcrypto_md5(tsb, 32, iv) == -1 ||
		    vcrypto_aes128_cfb(users[1].cmd_key, iv, data + 1, ct, n,
		    1) == -1)
			__builtin_trap();
		memcpy(buf, auth, 16);
		memcpy(buf + 16, ct, n);
		fuzz_server(buf, 16 + n, NOW);
		break;
	case 3:
		rv = vmess_cmd_decode(data + 1, size - 1, &r, &err);
		if (rv < -1 || (rv > 0 && (size_t)rv > size - 1) ||
		    (rv == -1 && err == NULL))
			__builtin_trap();
		/* What decodes re-encodes to the same bytes (Sec 0 aside). */
		if (rv > 0 && (data[1 + 35] & 15) != 0 &&
		    (r.opt & (VMESS_OPT_P | VMESS_OPT_M)) != VMESS_OPT_P &&
		    r.atype != VMESS_ATYPE_IPV6 &&
		    r.atype != VMESS_ATYPE_DOMAIN) {
			if (vmess_cmd_encode(&r, buf, sizeof(buf)) != rv ||
			    memcmp(buf, data + 1, (size_t)rv) != 0)
				__builtin_trap();
		}
		break;
	case 4:
		rv = vmess_switch_decode(data + 1, size - 1, &sw, &err);
		if (rv != -1 && (size_t)rv != size - 1)
			__builtin_trap();
		/*
		 * What decodes re-encodes to something that decodes to the
		 * same fields (trailing bytes after ValidMin are ignored, as
		 * 4.34 ignores them, so the bytes may differ).
		 */
		if (rv > 0) {
			struct vmess_switch sw2;
			ssize_t m = vmess_switch_encode(&sw, buf, sizeof(buf));

			if (m <= 0 || vmess_switch_decode(buf, (size_t)m, &sw2,
			    &err) != m || sw2.port != sw.port ||
			    sw2.alter_ids != sw.alter_ids ||
			    sw2.level != sw.level ||
			    sw2.valid_min != sw.valid_min ||
			    memcmp(sw2.uuid, sw.uuid, 16) != 0 ||
			    strcmp(sw2.host, sw.host) != 0)
				__builtin_trap();
		}
		break;
	default:
		fuzz_resp(data + 1, size - 1, data[0] & 8 ? 1 : 0,
		    data[0] & 16 ? 1 : 0);
		break;
	}
	return 0;
}
