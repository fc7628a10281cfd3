/* SPDX-License-Identifier: MIT */
/*
 * vcrypto.h: the primitives VMess needs (vmess.md §0, §2): hashes, HMAC,
 * the nested-HMAC KDF, an incrementally squeezable SHAKE128, FNV-1a, CRC-32,
 * SipHash for hash tables, one-shot AES helpers and the CSPRNG.
 */
#ifndef LIBSHARED_VCRYPTO_H
#define LIBSHARED_VCRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VCRYPTO_MD5_LEN		16
#define VCRYPTO_SHA256_LEN	32
#define VCRYPTO_GCM_TAG_LEN	16
#define VCRYPTO_GCM_NONCE_LEN	12

/*
 * All functions returning int give 0 on success and -1 when OpenSSL
 * failed (out of memory, provider missing); outputs are then undefined.
 */
int	vcrypto_md5(const void *p, size_t len, uint8_t out[16]);
int	vcrypto_sha256(const void *p, size_t len, uint8_t out[32]);
int	vcrypto_hmac_md5(const void *key, size_t klen, const void *msg,
	    size_t mlen, uint8_t out[16]);
/*
 * One AES-128 block decrypted under many keys at once (vcrypto_aesni.c):
 * eight keys' rounds interleaved with AES-NI. ok is false on a CPU without
 * it (then keep to EVP); key fills a decryption schedule; dec writes the
 * n plaintexts of in under rk[0..n-1].
 */
#define VCRYPTO_AES_RK	176
bool	vcrypto_aes_many_ok(void);
int	vcrypto_aes_many_key(const uint8_t key[16], uint8_t rk[VCRYPTO_AES_RK]);
void	vcrypto_aes_many_dec(const uint8_t (*rk)[VCRYPTO_AES_RK], size_t n,
	    const uint8_t in[16], uint8_t (*out)[16]);

/*
 * HMAC-MD5 under one fixed 16-byte key with both pads absorbed once: each
 * MAC then costs two MD5 compressions instead of a fresh HMAC set-up (the
 * legacy VMess table makes ~250 per ID). Opaque storage for two MD5 states.
 */
struct vcrypto_md5key {
	uint64_t	 st[24];
};
void	vcrypto_md5key_init(struct vcrypto_md5key *k, const uint8_t key[16]);
void	vcrypto_md5key_mac(const struct vcrypto_md5key *k, const void *msg,
	    size_t len, uint8_t out[16]);
int	vcrypto_hmac_sha256(const void *key, size_t klen, const void *msg,
	    size_t mlen, uint8_t out[32]);

/* A byte span, used for KDF path elements. */
struct vcrypto_span {
	const void	*p;
	size_t		 len;
};

#define VCRYPTO_KDF_MAX_PATH	4	/* VMess uses at most 3 */
#define VCRYPTO_KDF_MAX_ELEM	64	/* one HMAC block; VMess uses <= 30 */
#define VCRYPTO_KDF_MAX_MSG	64	/* the KDF input key (cmdKey etc.) */

/*
 * VMess KDF (vmess.md §2): HMAC-SHA256 keyed "VMess AEAD KDF", with each
 * path element wrapping one more HMAC layer around the previous one.
 * `msg` is the KDF key K (it is the HMAC message, not its key). Returns -1
 * also when npath, an element or msg exceeds the limits above.
 */
int	vcrypto_kdf(const void *msg, size_t len,
	    const struct vcrypto_span *path, size_t npath, uint8_t out[32]);
/* KDF with string path elements, NULL-terminated; out gets `outlen` <= 32. */
int	vcrypto_kdf_str(const void *msg, size_t len, uint8_t *out,
	    size_t outlen, const char *p1, ...);

/* One AES-128 block, no padding. enc: 1 encrypt, 0 decrypt. */
int	vcrypto_aes128_ecb(const uint8_t key[16], const uint8_t in[16],
	    uint8_t out[16], int enc);
/* One-shot AES-128-CFB (128-bit segments, Go cipher.NewCFB*). in == out ok. */
int	vcrypto_aes128_cfb(const uint8_t key[16], const uint8_t iv[16],
	    const uint8_t *in, uint8_t *out, size_t len, int enc);
/* AES-128-GCM, 12-byte nonce: out = ct || tag (len + 16 bytes). */
int	vcrypto_aes128_gcm_seal(const uint8_t key[16], const uint8_t nonce[12],
	    const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t len,
	    uint8_t *out);
/* in = ct || tag (len >= 16); out gets len - 16 bytes. -1: bad tag too. */
int	vcrypto_aes128_gcm_open(const uint8_t key[16], const uint8_t nonce[12],
	    const uint8_t *aad, size_t aadlen, const uint8_t *in, size_t len,
	    uint8_t *out);

/* CSPRNG (RAND_bytes). */
int	vcrypto_random(void *p, size_t len);

/* FNV-1a 32 (offset 0x811C9DC5, prime 0x01000193). */
uint32_t vcrypto_fnv1a32(const void *p, size_t len);
/* FNV-1a continued over more bytes: start from VCRYPTO_FNV1A32_INIT. */
#define VCRYPTO_FNV1A32_INIT	0x811c9dc5u
uint32_t vcrypto_fnv1a32_more(uint32_t h, const void *p, size_t len);
/* CRC-32/IEEE, the zlib crc32() of the whole buffer. */
uint32_t vcrypto_crc32(const void *p, size_t len);
/* SipHash-2-4, for hash tables whose keys a peer may influence. */
uint64_t vcrypto_siphash(const uint8_t key[16], const void *p, size_t len);

/*
 * SHAKE128 as an endless stream (OpenSSL 3.0 cannot squeeze step by
 * step). Plain data: copy it to fork the stream, no cleanup needed.
 */
struct vcrypto_shake {
	uint64_t	 st[25];
	size_t		 pos;		/* next output byte within the rate */
};

#define VCRYPTO_SHAKE128_RATE	168

void	vcrypto_shake128_init(struct vcrypto_shake *s, const void *seed,
	    size_t len);
void	vcrypto_shake128_read(struct vcrypto_shake *s, uint8_t *out,
	    size_t len);
/* The next two output bytes, big-endian (VMess length masks, padding). */
uint16_t vcrypto_shake128_next16(struct vcrypto_shake *s);

#endif
