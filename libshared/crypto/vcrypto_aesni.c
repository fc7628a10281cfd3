/* SPDX-License-Identifier: MIT */
/*
 * vcrypto_aesni.c: one AES-128 block decrypted under many keys, for the
 * VMess server's AEAD user match (every user's key is tried on the same
 * 16-byte auth ID). OpenSSL pipelines many blocks under one key, not one
 * block under many keys, so here eight keys' rounds are interleaved with
 * the AES-NI instructions. The key schedules are OpenSSL's own
 * (AES_set_decrypt_key); a self-test against EVP at first use picks their
 * byte order, and anything that disagrees, or a CPU without AES-NI, leaves
 * the caller on its EVP path.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* AES_set_decrypt_key */
#include "crypto/vcrypto.h"

#include <pthread.h>
#include <string.h>

#include <openssl/aes.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define VCRYPTO_HAVE_AESNI 1
#endif

enum { LAYOUT_NONE, LAYOUT_BYTES, LAYOUT_WORDS_BE };

static pthread_once_t	 aesni_once = PTHREAD_ONCE_INIT;
static int		 aesni_layout = LAYOUT_NONE;

/* OpenSSL's decryption schedule as 11 round keys in AES-NI byte order. */
static void
schedule(const uint8_t key[16], int layout, uint8_t rk[VCRYPTO_AES_RK])
{
	AES_KEY		 k;
	unsigned	 i;
	uint32_t	 w;

	AES_set_decrypt_key(key, 128, &k);
	for (i = 0; i < 44; i++) {
		w = k.rd_key[i];
		if (layout == LAYOUT_BYTES) {
			memcpy(rk + 4 * i, &w, 4);
		} else {
			rk[4 * i] = (uint8_t)(w >> 24);
			rk[4 * i + 1] = (uint8_t)(w >> 16);
			rk[4 * i + 2] = (uint8_t)(w >> 8);
			rk[4 * i + 3] = (uint8_t)w;
		}
	}
	OPENSSL_cleanse(&k, sizeof(k));
}

#ifdef VCRYPTO_HAVE_AESNI
__attribute__((target("aes,sse2")))
static void
dec_many(const uint8_t (*rk)[VCRYPTO_AES_RK], size_t n, const uint8_t in[16],
    uint8_t (*out)[16])
{
	__m128i	 b = _mm_loadu_si128((const __m128i *)(const void *)in);
	__m128i	 x[8];
	size_t	 i, j, m;
	int	 r;

	for (i = 0; i < n; i += 8) {
		m = n - i < 8 ? n - i : 8;
		for (j = 0; j < m; j++)
			x[j] = _mm_xor_si128(b, _mm_loadu_si128(
			    (const __m128i *)(const void *)rk[i + j]));
		/* Round by round across the keys: the AES units pipeline. */
		for (r = 1; r < 10; r++)
			for (j = 0; j < m; j++)
				x[j] = _mm_aesdec_si128(x[j], _mm_loadu_si128(
				    (const __m128i *)(const void *)
				    (rk[i + j] + 16 * r)));
		for (j = 0; j < m; j++) {
			x[j] = _mm_aesdeclast_si128(x[j], _mm_loadu_si128(
			    (const __m128i *)(const void *)(rk[i + j] + 160)));
			_mm_storeu_si128((__m128i *)(void *)out[i + j], x[j]);
		}
	}
}

/* Which schedule layout decrypts what EVP encrypted, if any. */
static void
aesni_probe(void)
{
	static const uint8_t key[16] = "vtools-aesni-key";
	static const uint8_t plain[16] = "0123456789abcdef";
	uint8_t		 ct[16], rk[1][VCRYPTO_AES_RK], got[1][16];
	EVP_CIPHER_CTX	*c;
	int		 l, layout;

	if (!__builtin_cpu_supports("aes") || (c = EVP_CIPHER_CTX_new()) ==
	    NULL)
		return;
	if (EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(c, 0) != 1 ||
	    EVP_EncryptUpdate(c, ct, &l, plain, 16) != 1 || l != 16) {
		EVP_CIPHER_CTX_free(c);
		return;
	}
	EVP_CIPHER_CTX_free(c);
	for (layout = LAYOUT_BYTES; layout <= LAYOUT_WORDS_BE; layout++) {
		schedule(key, layout, rk[0]);
		dec_many((const uint8_t (*)[VCRYPTO_AES_RK])rk, 1, ct, got);
		if (memcmp(got[0], plain, 16) == 0) {
			aesni_layout = layout;
			return;
		}
	}
}
#endif

bool
vcrypto_aes_many_ok(void)
{
#ifdef VCRYPTO_HAVE_AESNI
	pthread_once(&aesni_once, aesni_probe);
#endif
	return aesni_layout != LAYOUT_NONE;
}

int
vcrypto_aes_many_key(const uint8_t key[16], uint8_t rk[VCRYPTO_AES_RK])
{
	if (!vcrypto_aes_many_ok())
		return -1;
	schedule(key, aesni_layout, rk);
	return 0;
}

void
vcrypto_aes_many_dec(const uint8_t (*rk)[VCRYPTO_AES_RK], size_t n,
    const uint8_t in[16], uint8_t (*out)[16])
{
#ifdef VCRYPTO_HAVE_AESNI
	if (aesni_layout != LAYOUT_NONE) {
		dec_many(rk, n, in, out);
		return;
	}
#endif
	(void)rk;
	(void)in;
	memset(out, 0, n * 16);
}
