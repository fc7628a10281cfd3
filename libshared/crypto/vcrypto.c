/* SPDX-License-Identifier: MIT */
/*
 * vcrypto.c: OpenSSL 3 wrappers (hashes, HMAC, AES one-shots, RAND) and
 * the small non-cryptographic checksums VMess uses (FNV-1a, CRC-32).
 */
/* MD5's low-level API: the only way to keep an HMAC's pad states. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/vcrypto.h"

#include <limits.h>
#include <stdarg.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/rand.h>

int
vcrypto_md5(const void *p, size_t len, uint8_t out[16])
{
	unsigned int	 n;

	return EVP_Digest(p, len, out, &n, EVP_md5(), NULL) == 1 ? 0 : -1;
}

int
vcrypto_sha256(const void *p, size_t len, uint8_t out[32])
{
	unsigned int	 n;

	return EVP_Digest(p, len, out, &n, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static int
vcrypto_hmac(const EVP_MD *md, const void *key, size_t klen, const void *msg,
    size_t mlen, uint8_t *out)
{
	unsigned int	 n;

	if (klen > INT_MAX)
		return -1;
	return HMAC(md, key, (int)klen, msg, mlen, out, &n) == NULL ? -1 : 0;
}

int
vcrypto_hmac_md5(const void *key, size_t klen, const void *msg, size_t mlen,
    uint8_t out[16])
{
	return vcrypto_hmac(EVP_md5(), key, klen, msg, mlen, out);
}

_Static_assert(2 * sizeof(MD5_CTX) <= sizeof(struct vcrypto_md5key),
    "vcrypto_md5key too small for two MD5 states");

void
vcrypto_md5key_init(struct vcrypto_md5key *k, const uint8_t key[16])
{
	MD5_CTX	*st = (MD5_CTX *)(void *)k->st;
	uint8_t	 pad[64];
	int	 i;

	for (i = 0; i < 64; i++)
		pad[i] = (uint8_t)((i < 16 ? key[i] : 0) ^ 0x36);
	MD5_Init(&st[0]);
	MD5_Update(&st[0], pad, 64);
	for (i = 0; i < 64; i++)
		pad[i] ^= 0x36 ^ 0x5c;
	MD5_Init(&st[1]);
	MD5_Update(&st[1], pad, 64);
	OPENSSL_cleanse(pad, sizeof(pad));
}

void
vcrypto_md5key_mac(const struct vcrypto_md5key *k, const void *msg,
    size_t len, uint8_t out[16])
{
	const MD5_CTX	*st = (const MD5_CTX *)(const void *)k->st;
	MD5_CTX		 c;

	c = st[0];
	MD5_Update(&c, msg, len);
	MD5_Final(out, &c);
	c = st[1];
	MD5_Update(&c, out, 16);
	MD5_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

int
vcrypto_hmac_sha256(const void *key, size_t klen, const void *msg,
    size_t mlen, uint8_t out[32])
{
	return vcrypto_hmac(EVP_sha256(), key, klen, msg, mlen, out);
}

/*
 * Largest message one KDF level hashes: a pad block in front of either the
 * caller's message or an inner digest, once per level.
 */
#define KDF_BUF	(64 * (VCRYPTO_KDF_MAX_PATH + 1) + VCRYPTO_KDF_MAX_MSG)

/*
 * H_level(msg). Go's hmac.New(H_{i-1}, p_i) pads p_i to the 64-byte block
 * of the wrapped hash; path elements are <= 64 bytes so never pre-hashed.
 */
static int
vcrypto_kdf_level(size_t level, const struct vcrypto_span *path,
    const uint8_t *msg, size_t len, uint8_t out[32])
{
	uint8_t		 buf[KDF_BUF], inner[32];
	const uint8_t	*k;
	size_t		 i, klen;
	int		 rv;

	if (level == 0)
		return vcrypto_hmac_sha256("VMess AEAD KDF", 14, msg, len, out);
	if (64 + len > sizeof(buf))
		return -1;
	k = path[level - 1].p;
	klen = path[level - 1].len;
	for (i = 0; i < 64; i++)
		buf[i] = (i < klen ? k[i] : 0) ^ 0x36;
	memcpy(buf + 64, msg, len);
	rv = vcrypto_kdf_level(level - 1, path, buf, 64 + len, inner);
	if (rv == 0) {
		for (i = 0; i < 64; i++)
			buf[i] = (i < klen ? k[i] : 0) ^ 0x5c;
		memcpy(buf + 64, inner, 32);
		rv = vcrypto_kdf_level(level - 1, path, buf, 64 + 32, out);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	OPENSSL_cleanse(inner, sizeof(inner));
	return rv;
}

int
vcrypto_kdf(const void *msg, size_t len, const struct vcrypto_span *path,
    size_t npath, uint8_t out[32])
{
	size_t	 i;

	if (npath > VCRYPTO_KDF_MAX_PATH || len > VCRYPTO_KDF_MAX_MSG)
		return -1;
	for (i = 0; i < npath; i++)
		if (path[i].len > VCRYPTO_KDF_MAX_ELEM ||
		    (path[i].len > 0 && path[i].p == NULL))
			return -1;
	return vcrypto_kdf_level(npath, path, msg, len, out);
}

int
vcrypto_kdf_str(const void *msg, size_t len, uint8_t *out, size_t outlen,
    const char *p1, ...)
{
	struct vcrypto_span	 path[VCRYPTO_KDF_MAX_PATH];
	uint8_t			 full[32];
	const char		*s;
	size_t			 n = 0;
	va_list			 ap;
	int			 rv;

	if (outlen > sizeof(full))
		return -1;
	va_start(ap, p1);
	for (s = p1; s != NULL; s = va_arg(ap, const char *)) {
		if (n == VCRYPTO_KDF_MAX_PATH) {
			va_end(ap);
			return -1;
		}
		path[n].p = s;
		path[n++].len = strlen(s);
	}
	va_end(ap);
	if ((rv = vcrypto_kdf(msg, len, path, n, full)) == 0)
		memcpy(out, full, outlen);
	OPENSSL_cleanse(full, sizeof(full));
	return rv;
}

/* Runs one-shot cipher work through a throwaway context. */
static int
vcrypto_cipher(const EVP_CIPHER *c, const uint8_t *key, const uint8_t *iv,
    const uint8_t *in, uint8_t *out, size_t len, int enc)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n, rv = -1;

	if (len > INT_MAX || (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_CipherInit_ex(ctx, c, NULL, key, iv, enc) != 1)
		goto out;
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	if (len > 0 && EVP_CipherUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	rv = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	return rv;
}

int
vcrypto_aes128_ecb(const uint8_t key[16], const uint8_t in[16],
    uint8_t out[16], int enc)
{
	return vcrypto_cipher(EVP_aes_128_ecb(), key, NULL, in, out, 16, enc);
}

int
vcrypto_aes128_cfb(const uint8_t key[16], const uint8_t iv[16],
    const uint8_t *in, uint8_t *out, size_t len, int enc)
{
	return vcrypto_cipher(EVP_aes_128_cfb128(), key, iv, in, out, len,
	    enc);
}

int
vcrypto_aes128_gcm_seal(const uint8_t key[16], const uint8_t nonce[12],
    const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t len,
    uint8_t *out)
{
	EVP_CIPHER_CTX	*ctx;
	int		 n, rv = -1;

	if (len > INT_MAX || aadlen > INT_MAX ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, nonce) != 1)
		goto out;
	if (aadlen > 0 &&
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	if (len > 0 && EVP_EncryptUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, out + len, &n) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16,
	    out + len) != 1)
		goto out;
	rv = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	return rv;
}

int
vcrypto_aes128_gcm_open(const uint8_t key[16], const uint8_t nonce[12],
    const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t len,
    uint8_t *out)
{
	EVP_CIPHER_CTX	*ctx;
	uint8_t		 tag[16];
	int		 n, rv = -1;

	if (len < 16 || len > INT_MAX || aadlen > INT_MAX)
		return -1;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	len -= 16;
	memcpy(tag, in + len, 16);
	if (EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, nonce) != 1)
		goto out;
	if (aadlen > 0 &&
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	if (len > 0 && EVP_DecryptUpdate(ctx, out, &n, in, (int)len) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag) != 1)
		goto out;
	if (EVP_DecryptFinal_ex(ctx, out + len, &n) != 1) {
		/* Never hand out plaintext that failed authentication. */
		OPENSSL_cleanse(out, len);
		goto out;
	}
	rv = 0;
 out:
	EVP_CIPHER_CTX_free(ctx);
	return rv;
}

int
vcrypto_random(void *p, size_t len)
{
	if (len == 0)
		return 0;
	if (len > INT_MAX)
		return -1;
	return RAND_bytes(p, (int)len) == 1 ? 0 : -1;
}

uint32_t
vcrypto_fnv1a32_more(uint32_t h, const void *p, size_t len)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x01000193u;
	}
	return h;
}

uint32_t
vcrypto_fnv1a32(const void *p, size_t len)
{
	return vcrypto_fnv1a32_more(VCRYPTO_FNV1A32_INIT, p, len);
}

/* Bitwise: only ever run over 12-byte AuthIDs, and needs no table setup. */
uint32_t
vcrypto_crc32(const void *p, size_t len)
{
	const uint8_t	*b = p;
	uint32_t	 c = 0xffffffffu;
	size_t		 i;
	int		 k;

	for (i = 0; i < len; i++) {
		c ^= b[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return c ^ 0xffffffffu;
}

#define ROTL64(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);	\
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);	\
} while (0)

static uint64_t
vcrypto_le64(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t
vcrypto_siphash(const uint8_t key[16], const void *p, size_t len)
{
	const uint8_t	*b = p;
	uint64_t	 k0 = vcrypto_le64(key), k1 = vcrypto_le64(key + 8);
	uint64_t	 v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t	 v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t	 v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t	 v3 = 0x7465646279746573ULL ^ k1;
	uint64_t	 m, last = (uint64_t)len << 56;
	size_t		 i, full = len & ~(size_t)7;

	for (i = 0; i < full; i += 8) {
		m = vcrypto_le64(b + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (i = 0; i < (len & 7); i++)
		last |= (uint64_t)b[full + i] << (8 * i);
	v3 ^= last;
	SIPROUND;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}
