/* SPDX-License-Identifier: MIT */
/*
 * vmess_body.c: the VMess body codecs of vmess.md §6 for every security
 * and option set, one direction per struct vmess_body, with the cipher
 * contexts made once and reused for every chunk.
 */
#include "vmess/vmess.h"

#include <limits.h>
#include <string.h>
#include <sys/uio.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

int
vmess_chacha_key(const uint8_t key[16], uint8_t out[32])
{
	if (vcrypto_md5(key, 16, out) == -1)
		return -1;
	return vcrypto_md5(out, 16, out + 16);
}

int
vmess_body_init(struct vmess_body *b, uint8_t sec, uint8_t opt,
    const uint8_t key[16], const uint8_t iv[16], bool udp)
{
	uint8_t	 k32[32];
	int	 ok;

	memset(b, 0, sizeof(*b));
	/* Only padding bodies need the generator; a zero state is stuck. */
	if ((opt & VMESS_OPT_P) && (vcrypto_random(b->b_rng,
	    sizeof(b->b_rng)) == -1 || (b->b_rng[0] | b->b_rng[1] |
	    b->b_rng[2] | b->b_rng[3]) == 0))
		b->b_rng[0] = 0x9E3779B97F4A7C15ULL;
	if (sec == 0)
		sec = VMESS_SEC_LEGACY;
	/* P without M kills a 4.34 server; treat it as off on our side. */
	if (!(opt & VMESS_OPT_M))
		opt &= ~VMESS_OPT_P;
	b->b_sec = sec;
	b->b_opt = opt;
	b->b_udp = udp;
	memcpy(b->b_key, key, 16);
	memcpy(b->b_iv, iv, 16);
	switch (sec) {
	case VMESS_SEC_NONE:
		b->b_mode = !(opt & VMESS_OPT_S) ? VMESS_BODY_RAW :
		    udp ? VMESS_BODY_CHUNK : VMESS_BODY_STREAM;
		break;
	case VMESS_SEC_LEGACY:
		b->b_mode = (opt & VMESS_OPT_S) ? VMESS_BODY_CHUNK :
		    VMESS_BODY_RAW;
		b->b_overhead = 4;
		if ((b->b_cfb = EVP_CIPHER_CTX_new()) == NULL)
			goto fail;
		break;
	case VMESS_SEC_AES128GCM:
	case VMESS_SEC_CHACHA20:
		/* S only decides the end marker here (§6.1). */
		b->b_mode = VMESS_BODY_CHUNK;
		b->b_overhead = 16;
		if ((b->b_aead = EVP_CIPHER_CTX_new()) == NULL)
			goto fail;
		if (sec == VMESS_SEC_AES128GCM)
			ok = EVP_CipherInit_ex(b->b_aead, EVP_aes_128_gcm(),
			    NULL, key, NULL, 1);
		else {
			if (vmess_chacha_key(key, k32) == -1)
				goto fail;
			ok = EVP_CipherInit_ex(b->b_aead,
			    EVP_chacha20_poly1305(), NULL, k32, NULL, 1);
			OPENSSL_cleanse(k32, sizeof(k32));
		}
		if (ok != 1)
			goto fail;
		break;
	default:
		return -1;
	}
	if (b->b_mode != VMESS_BODY_RAW && (opt & VMESS_OPT_M))
		vcrypto_shake128_init(&b->b_shake, iv, 16);
	return 0;
 fail:
	vmess_body_cleanup(b);
	return -1;
}

void
vmess_body_cleanup(struct vmess_body *b)
{
	EVP_CIPHER_CTX_free(b->b_aead);
	EVP_CIPHER_CTX_free(b->b_cfb);
	OPENSSL_cleanse(b, sizeof(*b));
}

bool
vmess_body_done(const struct vmess_body *b)
{
	return b->b_done;
}

bool
vmess_body_is_aead(const struct vmess_body *b)
{
	return b->b_sec == VMESS_SEC_AES128GCM ||
	    b->b_sec == VMESS_SEC_CHACHA20;
}

static size_t
vmess_body_maxpad(const struct vmess_body *b)
{
	return b->b_mode == VMESS_BODY_CHUNK && (b->b_opt & VMESS_OPT_P) ?
	    63 : 0;
}

/* Plaintext that fits a whole chunk of `whole` bytes. */
static size_t
vmess_body_fit(const struct vmess_body *b, size_t whole)
{
	/* 4.34 reserves 64, not 63, for padding (§6.2). */
	return whole - 2 - b->b_overhead - ((b->b_opt & VMESS_OPT_P) ? 64 : 0);
}

size_t
vmess_body_chunk_size(const struct vmess_body *b)
{
	if (b->b_mode != VMESS_BODY_CHUNK)
		return VMESS_STREAM_SLICE;
	return vmess_body_fit(b, VMESS_CHUNK_WRITE_MAX);
}

size_t
vmess_body_stream_chunk_size(const struct vmess_body *b)
{
	if (b->b_mode != VMESS_BODY_CHUNK || b->b_udp)
		return vmess_body_chunk_size(b);
	return vmess_body_fit(b, VMESS_CHUNK_STREAM_MAX);
}

size_t
vmess_body_max_payload(const struct vmess_body *b)
{
	switch (b->b_mode) {
	case VMESS_BODY_RAW:
		return INT_MAX;
	case VMESS_BODY_STREAM:
		return VMESS_CHUNK_LEN_MAX;
	default:
		return VMESS_CHUNK_LEN_MAX - b->b_overhead -
		    vmess_body_maxpad(b);
	}
}

/* Claims the body for one direction: 1 sealing, 2 opening. */
static int
vmess_body_claim(struct vmess_body *b, uint8_t dir)
{
	if (b->b_dir != 0 && b->b_dir != dir)
		return -1;
	b->b_dir = dir;
	return 0;
}

/* Runs bytes through the CFB stream, keyed on first use. in == out ok. */
static int
vmess_body_cfb(struct vmess_body *b, const uint8_t *in, uint8_t *out,
    size_t len, int enc)
{
	int	 n, step;

	if (vmess_body_claim(b, enc ? 1 : 2) == -1 || b->b_cfb == NULL)
		return -1;
	if (EVP_CIPHER_CTX_get0_cipher(b->b_cfb) == NULL &&
	    EVP_CipherInit_ex(b->b_cfb, EVP_aes_128_cfb128(), NULL, b->b_key,
	    b->b_iv, enc) != 1)
		return -1;
	while (len > 0) {
		step = len > INT_MAX ? INT_MAX : (int)len;
		if (EVP_CipherUpdate(b->b_cfb, out, &n, in, step) != 1)
			return -1;
		in += step;
		out += step;
		len -= (size_t)step;
	}
	return 0;
}

int
vmess_body_cfb_prefix(struct vmess_body *b, const uint8_t *in, uint8_t *out,
    size_t len, int enc)
{
	if (b->b_sec != VMESS_SEC_LEGACY || b->b_used)
		return -1;
	return vmess_body_cfb(b, in, out, len, enc);
}

static void
vmess_body_nonce(struct vmess_body *b, uint8_t nonce[12])
{
	nonce[0] = (uint8_t)(b->b_count >> 8);
	nonce[1] = (uint8_t)b->b_count;
	memcpy(nonce + 2, b->b_iv + 2, 10);
	/* 16 bits and no re-key, exactly as 4.34 (§8.7). */
	b->b_count++;
}

/* out = ct || tag, the plaintext taken from n pieces. */
static int
vmess_body_aead_seal(struct vmess_body *b, const struct iovec *v, int nv,
    size_t len, uint8_t *out)
{
	uint8_t	 nonce[12];
	size_t	 o = 0;
	int	 n, i;

	vmess_body_nonce(b, nonce);
	if (EVP_EncryptInit_ex(b->b_aead, NULL, NULL, NULL, nonce) != 1)
		return -1;
	for (i = 0; i < nv; i++) {
		if (v[i].iov_len == 0)
			continue;
		if (EVP_EncryptUpdate(b->b_aead, out + o, &n, v[i].iov_base,
		    (int)v[i].iov_len) != 1)
			return -1;
		o += v[i].iov_len;
	}
	if (EVP_EncryptFinal_ex(b->b_aead, out + len, &n) != 1)
		return -1;
	return EVP_CIPHER_CTX_ctrl(b->b_aead, EVP_CTRL_AEAD_GET_TAG, 16,
	    out + len) == 1 ? 0 : -1;
}

/* Copies n pieces to out; returns the FNV-1a of what it copied if hash. */
static uint32_t
gather(const struct iovec *v, int n, uint8_t *out, bool hash)
{
	uint32_t	 h = VCRYPTO_FNV1A32_INIT;
	int		 i;

	for (i = 0; i < n; i++) {
		if (v[i].iov_len == 0)
			continue;
		memcpy(out, v[i].iov_base, v[i].iov_len);
		if (hash)
			h = vcrypto_fnv1a32_more(h, out, v[i].iov_len);
		out += v[i].iov_len;
	}
	return h;
}

/*
 * n ciphertext bytes and then the 16-byte tag, from wherever the nv pieces
 * hold them; out gets the n plaintext bytes, wiped if they do not
 * authenticate.
 */
static int
vmess_body_aead_open(struct vmess_body *b, const struct iovec *v, int nv,
    size_t n, uint8_t *out)
{
	uint8_t		 nonce[12], tag[16];
	const uint8_t	*q;
	size_t		 o, k, c;
	int		 i, outl;

	vmess_body_nonce(b, nonce);
	if (EVP_DecryptInit_ex(b->b_aead, NULL, NULL, NULL, nonce) != 1)
		return -1;
	for (o = 0, i = 0; i < nv && o < n + 16; i++) {
		q = v[i].iov_base;
		k = v[i].iov_len;
		if (o < n) {
			c = k < n - o ? k : n - o;
			if (c > 0 && EVP_DecryptUpdate(b->b_aead, out + o, &outl,
			    q, (int)c) != 1)
				return -1;
			o += c;
			q += c;
			k -= c;
		}
		if (o >= n && k > 0) {
			c = k < n + 16 - o ? k : n + 16 - o;
			memcpy(tag + (o - n), q, c);
			o += c;
		}
	}
	if (o < n + 16 || EVP_CIPHER_CTX_ctrl(b->b_aead, EVP_CTRL_AEAD_SET_TAG,
	    16, tag) != 1 || EVP_DecryptFinal_ex(b->b_aead, out + n,
	    &outl) != 1) {
		OPENSSL_cleanse(out, n);
		return -1;
	}
	return 0;
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* xoshiro256** (Blackman, Vigna): fast, good enough for padding. */
static void
pad_fill(struct vmess_body *b, uint8_t *out, size_t n)
{
	uint64_t	*s = b->b_rng, r, t;
	size_t		 i;

	while (n > 0) {
		r = rotl(s[1] * 5, 7) * 9;
		t = s[1] << 17;
		s[2] ^= s[0];
		s[3] ^= s[1];
		s[1] ^= s[2];
		s[0] ^= s[3];
		s[2] ^= t;
		s[3] = rotl(s[3], 45);
		for (i = 0; i < 8 && n > 0; i++, n--) {
			*out++ = (uint8_t)r;
			r >>= 8;
		}
	}
}

/* One generic chunk (§6.2) from n pieces; len 0 is the end marker. */
static ssize_t
vmess_body_seal_chunk(struct vmess_body *b, const struct iovec *v, int nv,
    size_t len, uint8_t *out, size_t cap)
{
	size_t		 pad = 0, sealed = len + b->b_overhead, l;
	uint16_t	 mask = 0;
	uint32_t	 h;

	if (len > vmess_body_max_payload(b) ||
	    cap < 2 + sealed + vmess_body_maxpad(b) ||
	    vmess_body_claim(b, 1) == -1)
		return -1;
	/* Padding length first, then the mask: the order 4.34 reads. */
	if (b->b_opt & VMESS_OPT_P)
		pad = vcrypto_shake128_next16(&b->b_shake) % 64;
	l = sealed + pad;
	if (b->b_opt & VMESS_OPT_M)
		mask = vcrypto_shake128_next16(&b->b_shake);
	out[0] = (uint8_t)((l ^ mask) >> 8);
	out[1] = (uint8_t)(l ^ mask);
	switch (b->b_sec) {
	case VMESS_SEC_AES128GCM:
	case VMESS_SEC_CHACHA20:
		if (vmess_body_aead_seal(b, v, nv, len, out + 2) == -1)
			return -1;
		break;
	case VMESS_SEC_LEGACY:
		h = gather(v, nv, out + 6, true);
		out[2] = (uint8_t)(h >> 24);
		out[3] = (uint8_t)(h >> 16);
		out[4] = (uint8_t)(h >> 8);
		out[5] = (uint8_t)h;
		break;
	default:
		(void)gather(v, nv, out + 2, false);
		break;
	}
	pad_fill(b, out + 2 + sealed, pad);
	if (b->b_sec == VMESS_SEC_LEGACY &&
	    vmess_body_cfb(b, out, out, 2 + l, 1) == -1)
		return -1;
	b->b_used = true;
	return (ssize_t)(2 + l);
}

ssize_t
vmess_body_sealv(struct vmess_body *b, const struct iovec *v, int nv,
    size_t len, uint8_t *out, size_t cap)
{
	uint16_t	 mask = 0;

	if (b->b_done || b->b_dir == 2)
		return -1;
	if (len == 0)
		return 0;
	switch (b->b_mode) {
	case VMESS_BODY_RAW:
		if (len > cap || len > INT_MAX || vmess_body_claim(b, 1) == -1)
			return -1;
		(void)gather(v, nv, out, false);
		if (b->b_sec == VMESS_SEC_LEGACY &&
		    vmess_body_cfb(b, out, out, len, 1) == -1)
			return -1;
		b->b_used = true;
		return (ssize_t)len;
	case VMESS_BODY_STREAM:
		if (len > VMESS_CHUNK_LEN_MAX || cap < 2 + len ||
		    vmess_body_claim(b, 1) == -1)
			return -1;
		if (b->b_opt & VMESS_OPT_M)
			mask = vcrypto_shake128_next16(&b->b_shake);
		out[0] = (uint8_t)((len ^ mask) >> 8);
		out[1] = (uint8_t)(len ^ mask);
		(void)gather(v, nv, out + 2, false);
		b->b_used = true;
		return (ssize_t)(2 + len);
	default:
		return vmess_body_seal_chunk(b, v, nv, len, out, cap);
	}
}

ssize_t
vmess_body_seal(struct vmess_body *b, const uint8_t *p, size_t len,
    uint8_t *out, size_t cap)
{
	struct iovec	 v;

	v.iov_base = (void *)(uintptr_t)p;
	v.iov_len = len;
	return vmess_body_sealv(b, &v, 1, len, out, cap);
}

ssize_t
vmess_body_seal_end(struct vmess_body *b, uint8_t *out, size_t cap)
{
	uint16_t	 mask = 0;
	ssize_t		 n;

	if (b->b_dir == 2)
		return -1;
	if (b->b_done || b->b_mode == VMESS_BODY_RAW ||
	    !(b->b_opt & VMESS_OPT_S))
		return 0;
	if (b->b_mode == VMESS_BODY_STREAM) {
		if (cap < 2 || vmess_body_claim(b, 1) == -1)
			return -1;
		if (b->b_opt & VMESS_OPT_M)
			mask = vcrypto_shake128_next16(&b->b_shake);
		out[0] = (uint8_t)(mask >> 8);
		out[1] = (uint8_t)mask;
		n = 2;
	} else if ((n = vmess_body_seal_chunk(b, NULL, 0, 0, out, cap)) == -1)
		return -1;
	b->b_used = true;
	b->b_done = true;
	return n;
}

/* Reads and unmasks a length field; *end when it is the end marker. */
static int
vmess_body_open_len(struct vmess_body *b, const uint8_t *in, bool *end,
    const char **errstr)
{
	uint8_t		 lb[2];
	uint16_t	 l, pad = 0;

	if (b->b_sec == VMESS_SEC_LEGACY) {
		if (vmess_body_cfb(b, in, lb, 2, 0) == -1) {
			*errstr = "cipher failure";
			return -1;
		}
	} else
		memcpy(lb, in, 2);
	if (b->b_mode == VMESS_BODY_CHUNK && (b->b_opt & VMESS_OPT_P))
		pad = vcrypto_shake128_next16(&b->b_shake) % 64;
	l = (uint16_t)(lb[0] << 8 | lb[1]);
	if (b->b_opt & VMESS_OPT_M)
		l ^= vcrypto_shake128_next16(&b->b_shake);
	b->b_used = true;
	if (b->b_mode == VMESS_BODY_STREAM) {
		*end = l == 0;
		b->b_plen = l;
		b->b_ppad = 0;
		return 0;
	}
	/* 4.34 stops here without reading the marker's tag or padding. */
	*end = l == b->b_overhead + pad;
	if (!*end && l < b->b_overhead + pad) {
		*errstr = "chunk shorter than its overhead";
		return -1;
	}
	b->b_plen = l;
	b->b_ppad = pad;
	return 0;
}

/* The payload of a pending chunk, all L bytes of it present. */
static int
vmess_body_open_payload(struct vmess_body *b, const uint8_t *in, uint8_t *out,
    size_t n, const char **errstr)
{
	uint8_t		 fnv[4], scratch[64];
	struct iovec	 v;

	switch (b->b_sec) {
	case VMESS_SEC_AES128GCM:
	case VMESS_SEC_CHACHA20:
		v.iov_base = (void *)(uintptr_t)in;
		v.iov_len = n + 16;
		if (vmess_body_aead_open(b, &v, 1, n, out) == -1) {
			*errstr = "chunk authentication failed";
			return -1;
		}
		return 0;
	case VMESS_SEC_LEGACY:
		if (vmess_body_cfb(b, in, fnv, 4, 0) == -1 ||
		    vmess_body_cfb(b, in + 4, out, n, 0) == -1 ||
		    vmess_body_cfb(b, in + 4 + n, scratch, b->b_ppad,
		    0) == -1) {
			*errstr = "cipher failure";
			return -1;
		}
		if (vcrypto_fnv1a32(out, n) != ((uint32_t)fnv[0] << 24 |
		    (uint32_t)fnv[1] << 16 | (uint32_t)fnv[2] << 8 | fnv[3])) {
			*errstr = "chunk checksum mismatch";
			return -1;
		}
		return 0;
	default:
		memcpy(out, in, n);
		return 0;
	}
}

ssize_t
vmess_body_openv(struct vmess_body *b, const struct iovec *v, int nv,
    uint8_t *out, size_t cap, size_t *outlen, const char **errstr)
{
	size_t		 n, have;
	int		 i;

	*outlen = 0;
	if (!vmess_body_is_aead(b) || !b->b_pending || b->b_done ||
	    b->b_dir != 2)
		return -2;
	for (have = 0, i = 0; i < nv; i++)
		have += v[i].iov_len;
	if (have < b->b_plen)
		return -2;
	n = (size_t)b->b_plen - b->b_ppad - b->b_overhead;
	if (cap < n) {
		*errstr = "output buffer too small for chunk";
		return -1;
	}
	if (vmess_body_aead_open(b, v, nv, n, out) == -1) {
		*errstr = "chunk authentication failed";
		return -1;
	}
	b->b_pending = false;
	*outlen = n;
	return (ssize_t)b->b_plen;
}

ssize_t
vmess_body_open(struct vmess_body *b, const uint8_t *in, size_t len,
    uint8_t *out, size_t cap, size_t *outlen, const char **errstr)
{
	size_t	 used = 0, n;
	bool	 end;

	*outlen = 0;
	if (vmess_body_claim(b, 2) == -1) {
		*errstr = "body is used for sealing";
		return -1;
	}
	if (b->b_done)
		return (ssize_t)len;
	if (b->b_mode == VMESS_BODY_RAW) {
		n = len < cap ? len : cap;
		if (n > INT_MAX)
			n = INT_MAX;
		if (b->b_sec == VMESS_SEC_LEGACY) {
			if (vmess_body_cfb(b, in, out, n, 0) == -1) {
				*errstr = "cipher failure";
				return -1;
			}
		} else if (n > 0)
			memcpy(out, in, n);
		b->b_used = true;
		*outlen = n;
		return (ssize_t)n;
	}
	if (!b->b_pending) {
		if (len < 2)
			return 0;
		if (vmess_body_open_len(b, in, &end, errstr) == -1)
			return -1;
		used = 2;
		if (end) {
			b->b_done = true;
			return 2;
		}
		b->b_pending = true;
	}
	if (len - used < b->b_plen)
		return (ssize_t)used;
	n = (size_t)b->b_plen - b->b_ppad - b->b_overhead;
	if (cap < n) {
		*errstr = "output buffer too small for chunk";
		return -1;
	}
	if (vmess_body_open_payload(b, in + used, out, n, errstr) == -1)
		return -1;
	b->b_pending = false;
	*outlen = n;
	return (ssize_t)(used + b->b_plen);
}
