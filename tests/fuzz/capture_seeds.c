/* SPDX-License-Identifier: MIT */
/*
 * capture_seeds.c: turns one captured VMess connection (the first bytes of
 * each direction, as capture_relay.py wrote them) into seed files for the
 * fuzz targets, used by capture.sh:
 *
 *   capture_seeds CORPUS NAME TIME C2S S2C [mux]
 *
 * The request is decoded as a server would at TIME (the capture time),
 * with the fixed users of fuzz_vmess_header.c, so it must have been made
 * with one of those IDs. Written (each only when its part decodes):
 *
 *   fuzz_vmess_header/NAME-wire     mode 0: time | request as sent
 *   fuzz_vmess_header/NAME-section  mode 1 (AEAD) or 2 (legacy): section
 *   fuzz_vmess_header/NAME-cmd      mode 3: section
 *   fuzz_vmess_header/NAME-resp     mode 5: respKey | respIV | V | response
 *   fuzz_vmess_header/NAME-switch   mode 4: SwitchAccount CmdData
 *   fuzz_vmess_chunk/NAME-up, -down sec/opt | key | IV | body as sent
 *   fuzz_mux_frame/NAME-up, -down   the opened body of a Mux.Cool session
 *                                   (Cmd Mux, or with "mux" any command:
 *                                   a reverse bridge's tunnel)
 *
 * Exit status 0 when the request decoded, 1 otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmess/vmess.h"

#define CAP_MAX		(256 * 1024)
#define SEED_BODY_MAX	3072	/* keep corpus files a few KB */

static const char *const cap_ids[2] = {
	"b831381d-6324-4d53-ad4f-8cda48b30811",
	"27848739-7e62-4138-9fd3-098a63964b6b"
};

static const char	*corpus, *name;

static size_t
cap_read(const char *path, uint8_t *buf)
{
	FILE	*fp;
	size_t	 n;

	if ((fp = fopen(path, "rb")) == NULL)
		return 0;
	n = fread(buf, 1, CAP_MAX, fp);
	fclose(fp);
	return n;
}

/* Writes prefix | p[0..len) as CORPUS/TARGET/NAME-SUFFIX. */
static void
cap_write(const char *target, const char *suffix, const uint8_t *prefix,
    size_t plen, const uint8_t *p, size_t len)
{
	char	 path[1024];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s/%s-%s", corpus, target, name,
	    suffix);
	if ((fp = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(2);
	}
	fwrite(prefix, 1, plen, fp);
	fwrite(p, 1, len, fp);
	fclose(fp);
}

/* The first selector byte b with b % mod == want and (b & mask) == bits. */
static uint8_t
cap_selector(unsigned mod, unsigned want, unsigned mask, unsigned bits)
{
	unsigned	 b;

	for (b = 0; b < 256; b++)
		if (b % mod == want && (b & mask) == bits)
			return (uint8_t)b;
	abort();
}

/* fuzz_vmess_chunk's security index (its fuzz_secs[]). */
static unsigned
cap_sec_index(uint8_t sec)
{
	switch (sec) {
	case VMESS_SEC_LEGACY:		return 1;
	case VMESS_SEC_AES128GCM:	return 2;
	case VMESS_SEC_CHACHA20:	return 3;
	default:			return 4;
	}
}

/* Chunk seed: sec/UDP/step byte, opt/step byte, key, IV, body. */
static void
cap_chunk_seed(const char *suffix, const struct vmess_request *r,
    const uint8_t key[16], const uint8_t iv[16], const uint8_t *p,
    size_t len)
{
	uint8_t	 pre[34];
	bool	 udp = r->cmd == VMESS_CMD_UDP;

	if (len == 0)
		return;
	/* Piece sizes vary between seeds: 1 + 9 * hi + mid. */
	pre[0] = cap_selector(5, cap_sec_index(r->sec), 0x80 | 0x38,
	    (udp ? 0x80 : 0) | ((len % 8) << 3));
	pre[1] = (uint8_t)((r->opt & 0x0f) | ((len % 16) << 4));
	memcpy(pre + 2, key, 16);
	memcpy(pre + 18, iv, 16);
	cap_write("fuzz_vmess_chunk", suffix, pre, sizeof(pre), p,
	    len > SEED_BODY_MAX ? SEED_BODY_MAX : len);
}

/* Opens a body as its peer would; the plaintext, for the Mux seeds. */
static size_t
cap_open_body(const struct vmess_body *init, const uint8_t *p, size_t len,
    uint8_t *out, size_t cap)
{
	struct vmess_body	 b = *init;
	const char		*err = NULL;
	size_t			 off = 0, total = 0, outlen;
	ssize_t			 c;

	while (off < len && total < cap) {
		c = vmess_body_open(&b, p + off, len - off, out + total,
		    cap - total, &outlen, &err);
		if (c <= 0)
			break;
		off += (size_t)c;
		total += outlen;
	}
	return total;
}

int
main(int argc, char *argv[])
{
	static uint8_t		 up[CAP_MAX], down[CAP_MAX], plain[CAP_MAX];
	static uint8_t		 buf[4096];
	struct vmess_user	 users[2];
	struct vmess_authtab	 tab;
	struct vmess_replay	 ids, sess;
	struct vmess_server	 s;
	struct vmess_request	 r;
	struct vmess_resp	 resp;
	struct vmess_body	 b;
	const char		*err = NULL;
	uint8_t			 u[16], pre[34], rkey[16], riv[16];
	size_t			 nup, ndown, n;
	ssize_t			 hl, rl, m;
	int64_t			 now;
	int			 i, mux;

	if (argc != 6 && !(argc == 7 && strcmp(argv[6], "mux") == 0)) {
		fprintf(stderr, "usage: capture_seeds CORPUS NAME TIME C2S "
		    "S2C [mux]\n");
		return 2;
	}
	corpus = argv[1];
	name = argv[2];
	now = strtoll(argv[3], NULL, 10);
	nup = cap_read(argv[4], up);
	ndown = cap_read(argv[5], down);

	if (vmess_authtab_init(&tab) == -1 ||
	    vmess_replay_init(&ids, 16, 64) == -1 ||
	    vmess_replay_init(&sess, 48, 64) == -1)
		return 2;
	for (i = 0; i < 2; i++)
		if (vmess_uuid_parse(cap_ids[i], u) == -1 ||
		    vmess_user_init(&users[i], u, (uint16_t)i) == -1 ||
		    vmess_authtab_add(&tab, (size_t)i, u, (uint16_t)i,
		    now) == -1)
			return 2;
	/* Fields not named are zero: no matcher, users tried in order. */
	s = (struct vmess_server){ .users = users, .nusers = 2,
	    .legacy = &tab, .authids = &ids, .sessions = &sess };
	hl = vmess_server_decode(&s, up, nup, now, &r, &err);
	mux = argc == 7 || r.cmd == VMESS_CMD_MUX;
	if (hl <= 0) {
		fprintf(stderr, "capture_seeds: %s: request does not decode "
		    "at %lld: %s\n", name, (long long)now,
		    err ? err : "short");
		return 1;
	}

	/* Mode 0: the request as sent (and a little body), at its time. */
	pre[0] = 0;
	for (i = 0; i < 8; i++)
		pre[1 + i] = (uint8_t)((uint64_t)now >> (56 - 8 * i));
	n = nup - (size_t)hl > 64 ? (size_t)hl + 64 : nup;
	cap_write("fuzz_vmess_header", "wire", pre, 9, up, n);

	/* Modes 1/2 and 3: the plaintext section, re-encoded from what
	 * decoded (the encoder writes the fields back in wire order). */
	m = vmess_cmd_encode(&r, buf, sizeof(buf));
	if (m > 0) {
		pre[0] = r.aead ? 1 : 2;
		cap_write("fuzz_vmess_header", "section", pre, 1, buf,
		    (size_t)m);
		pre[0] = 3;
		cap_write("fuzz_vmess_header", "cmd", pre, 1, buf, (size_t)m);
	}

	/* Request body. */
	cap_chunk_seed("up", &r, r.req_key, r.req_iv, up + hl,
	    nup - (size_t)hl);
	if (mux && vmess_body_init(&b, r.sec, r.opt,
	    r.req_key, r.req_iv, false) == 0) {
		n = cap_open_body(&b, up + hl, nup - (size_t)hl, plain,
		    SEED_BODY_MAX);
		if (n > 0)
			cap_write("fuzz_mux_frame", "up", NULL, 0, plain, n);
		vmess_body_cleanup(&b);
	}

	/* Response header and body. */
	if (ndown == 0 || vmess_resp_keys(r.aead, r.req_key, r.req_iv, rkey,
	    riv) == -1 || vmess_body_init(&b, r.sec, r.opt, rkey, riv,
	    r.cmd == VMESS_CMD_UDP) == -1)
		return 0;
	rl = vmess_resp_open(&b, r.aead, r.v, down, ndown, &resp, &err);
	if (rl <= 0) {
		fprintf(stderr, "capture_seeds: %s: response does not open: "
		    "%s\n", name, err ? err : "short");
		vmess_body_cleanup(&b);
		return 0;
	}
	pre[0] = cap_selector(6, 5, 8 | 16, (r.aead ? 8 : 0) |
	    (r.sec == VMESS_SEC_LEGACY ? 16 : 0));
	memcpy(buf, pre, 1);
	memcpy(buf + 1, rkey, 16);
	memcpy(buf + 17, riv, 16);
	buf[33] = r.v;
	n = ndown - (size_t)rl > 64 ? (size_t)rl + 64 : ndown;
	cap_write("fuzz_vmess_header", "resp", buf, 34, down, n);
	if (resp.has_switch) {
		m = vmess_switch_encode(&resp.sw, buf + 1, sizeof(buf) - 1);
		buf[0] = 4;
		if (m > 0)
			cap_write("fuzz_vmess_header", "switch", buf,
			    1 + (size_t)m, NULL, 0);
	}
	/* The response body goes on from the header's state (a legacy body
	 * after a legacy header continues its CFB stream). */
	if (mux) {
		n = cap_open_body(&b, down + rl, ndown - (size_t)rl, plain,
		    SEED_BODY_MAX);
		if (n > 0)
			cap_write("fuzz_mux_frame", "down", NULL, 0, plain, n);
	}
	vmess_body_cleanup(&b);
	cap_chunk_seed("down", &r, rkey, riv, down + rl, ndown - (size_t)rl);
	vmess_authtab_cleanup(&tab);
	vmess_replay_cleanup(&ids);
	vmess_replay_cleanup(&sess);
	return 0;
}
