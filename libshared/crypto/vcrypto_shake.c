/* SPDX-License-Identifier: MIT */
/*
 * vcrypto_shake.c: Keccak-f[1600] and SHAKE128 with incremental squeeze,
 * which VMess reads two bytes at a time for the whole life of a body.
 */
#include "crypto/vcrypto.h"

#include <string.h>

static const uint64_t keccak_rc[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
	0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
	0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static const unsigned keccak_rotc[24] = {
	1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14,
	27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
};

static const unsigned keccak_piln[24] = {
	10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4,
	15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
};

#define ROTL64(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

static void
vcrypto_keccakf(uint64_t st[25])
{
	uint64_t	 bc[5], t;
	unsigned	 i, j, r;

	for (r = 0; r < 24; r++) {
		for (i = 0; i < 5; i++)
			bc[i] = st[i] ^ st[i + 5] ^ st[i + 10] ^ st[i + 15] ^
			    st[i + 20];
		for (i = 0; i < 5; i++) {
			t = bc[(i + 4) % 5] ^ ROTL64(bc[(i + 1) % 5], 1);
			for (j = 0; j < 25; j += 5)
				st[j + i] ^= t;
		}
		t = st[1];
		for (i = 0; i < 24; i++) {
			j = keccak_piln[i];
			bc[0] = st[j];
			st[j] = ROTL64(t, keccak_rotc[i]);
			t = bc[0];
		}
		for (j = 0; j < 25; j += 5) {
			for (i = 0; i < 5; i++)
				bc[i] = st[j + i];
			for (i = 0; i < 5; i++)
				st[j + i] ^= (~bc[(i + 1) % 5]) & bc[(i + 2) % 5];
		}
		st[0] ^= keccak_rc[r];
	}
}

/* Lanes are little-endian byte strings; shifts keep this host-neutral. */
static void
vcrypto_keccak_xor(uint64_t st[25], size_t i, uint8_t b)
{
	st[i / 8] ^= (uint64_t)b << (8 * (i % 8));
}

static uint8_t
vcrypto_keccak_byte(const uint64_t st[25], size_t i)
{
	return (uint8_t)(st[i / 8] >> (8 * (i % 8)));
}

void
vcrypto_shake128_init(struct vcrypto_shake *s, const void *seed, size_t len)
{
	const uint8_t	*p = seed;
	size_t		 i, pos = 0;

	memset(s->st, 0, sizeof(s->st));
	for (i = 0; i < len; i++) {
		vcrypto_keccak_xor(s->st, pos++, p[i]);
		if (pos == VCRYPTO_SHAKE128_RATE) {
			vcrypto_keccakf(s->st);
			pos = 0;
		}
	}
	/* SHAKE domain bits 1111 then pad10*1 (FIPS 202). */
	vcrypto_keccak_xor(s->st, pos, 0x1f);
	vcrypto_keccak_xor(s->st, VCRYPTO_SHAKE128_RATE - 1, 0x80);
	vcrypto_keccakf(s->st);
	s->pos = 0;
}

void
vcrypto_shake128_read(struct vcrypto_shake *s, uint8_t *out, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (s->pos == VCRYPTO_SHAKE128_RATE) {
			vcrypto_keccakf(s->st);
			s->pos = 0;
		}
		out[i] = vcrypto_keccak_byte(s->st, s->pos++);
	}
}

uint16_t
vcrypto_shake128_next16(struct vcrypto_shake *s)
{
	uint8_t	 b[2];

	vcrypto_shake128_read(s, b, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}
