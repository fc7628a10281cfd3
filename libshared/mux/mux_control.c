/* SPDX-License-Identifier: MIT */
/*
 * mux_control.c: reverse-proxy Control message codec, decoding as
 * protobuf-go v1.25 (V2Ray 4.34's) does and encoding as proto.Marshal.
 *
 *   Control   [08 VARINT(state)] [9A 06 VARINT(len) RANDOM(len)]
 *   field     TAG = VARINT(number << 3 | wire type), then the value:
 *             0 varint, 1 8 bytes, 2 VARINT(len) + len bytes,
 *             3 fields up to a matching 4 (group), 5 4 bytes
 */
#include "mux/mux_control.h"

#include <stdbool.h>
#include <string.h>

#define MUX_PB_VARINT		0
#define MUX_PB_FIXED64		1
#define MUX_PB_BYTES		2
#define MUX_PB_SGROUP		3
#define MUX_PB_EGROUP		4
#define MUX_PB_FIXED32		5

#define MUX_PB_MAX_NUMBER	((1u << 29) - 1)
/*
 * protobuf-go v1.25 skips unknown groups by recursion with no limit; a
 * real Control never has one, so a fixed bound costs nothing.
 */
#define MUX_PB_MAX_DEPTH	64

#define MUX_CTL_STATE_TAG	0x08		/* field 1, varint */
#define MUX_CTL_RANDOM_NUM	99		/* tag bytes 9A 06 */

/* protowire.ConsumeVarint: at most 10 bytes, the 10th at most 1. */
static ssize_t
mux_pb_varint(const uint8_t *p, size_t len, uint64_t *v,
    const char **errstr)
{
	size_t	 i;

	*v = 0;
	for (i = 0; i < 10; i++) {
		if (i == len) {
			*errstr = "truncated varint";
			return -1;
		}
		if (i == 9 && p[i] > 1) {
			*errstr = "varint overflows 64 bits";
			return -1;
		}
		*v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (p[i] < 0x80)
			return (ssize_t)i + 1;
	}
	/* Not reached: the 10th byte is <= 1 and ends the loop. */
	*errstr = "varint overflows 64 bits";
	return -1;
}

/*
 * Reads a tag. Top-level numbers must be 1..2^29-1 (impl.unmarshal);
 * inside a group protowire.ConsumeTag allows up to 2^31-1.
 */
static ssize_t
mux_pb_tag(const uint8_t *p, size_t len, bool nested, uint32_t *num,
    unsigned *type, const char **errstr)
{
	uint64_t	 v;
	ssize_t		 n;

	if ((n = mux_pb_varint(p, len, &v, errstr)) == -1)
		return -1;
	if ((v >> 3) == 0 ||
	    (v >> 3) > (nested ? (uint64_t)INT32_MAX : MUX_PB_MAX_NUMBER)) {
		*errstr = "invalid field number";
		return -1;
	}
	*num = (uint32_t)(v >> 3);
	*type = (unsigned)(v & 7);
	return n;
}

/* Length of one non-group value of the given wire type, or -1. */
static ssize_t
mux_pb_scalar_len(const uint8_t *p, size_t len, unsigned type,
    const char **errstr)
{
	uint64_t	 v;
	ssize_t		 n;

	switch (type) {
	case MUX_PB_VARINT:
		return mux_pb_varint(p, len, &v, errstr);
	case MUX_PB_FIXED64:
	case MUX_PB_FIXED32:
		n = type == MUX_PB_FIXED64 ? 8 : 4;
		if (len < (size_t)n) {
			*errstr = "truncated fixed-size field";
			return -1;
		}
		return n;
	case MUX_PB_BYTES:
		if ((n = mux_pb_varint(p, len, &v, errstr)) == -1)
			return -1;
		if (v > len - (size_t)n) {
			*errstr = "length-delimited field runs past the end";
			return -1;
		}
		return n + (ssize_t)v;
	case MUX_PB_EGROUP:
		*errstr = "unexpected end-group marker";
		return -1;
	default:
		*errstr = "reserved wire type";
		return -1;
	}
}

/*
 * Skips the value of an unknown field whose tag has been read
 * (protowire.ConsumeFieldValue); a group runs to its matching end marker.
 */
static ssize_t
mux_pb_skip(const uint8_t *p, size_t len, uint32_t num, unsigned type,
    const char **errstr)
{
	uint32_t	 stack[MUX_PB_MAX_DEPTH];
	size_t		 depth = 0, off = 0;
	ssize_t		 n;
	uint32_t	 inum;
	unsigned	 itype;

	if (type != MUX_PB_SGROUP)
		return mux_pb_scalar_len(p, len, type, errstr);
	stack[depth++] = num;
	while (depth > 0) {
		n = mux_pb_tag(p + off, len - off, true, &inum, &itype, errstr);
		if (n == -1)
			return -1;
		off += (size_t)n;
		if (itype == MUX_PB_EGROUP) {
			if (stack[--depth] != inum) {
				*errstr = "mismatching end-group marker";
				return -1;
			}
		} else if (itype == MUX_PB_SGROUP) {
			if (depth == MUX_PB_MAX_DEPTH) {
				*errstr = "groups nested too deep";
				return -1;
			}
			stack[depth++] = inum;
		} else {
			n = mux_pb_scalar_len(p + off, len - off, itype,
			    errstr);
			if (n == -1)
				return -1;
			off += (size_t)n;
		}
	}
	return (ssize_t)off;
}

/* int32(v) as Go converts: keep the low 32 bits, two's complement. */
static int32_t
mux_pb_int32(uint64_t v)
{
	uint32_t	 u = (uint32_t)v;

	if (u <= INT32_MAX)
		return (int32_t)u;
	return -(int32_t)(UINT32_MAX - u) - 1;
}

ssize_t
mux_control_decode(const uint8_t *p, size_t len, struct mux_control *out,
    const char **errstr)
{
	size_t		 off = 0;
	ssize_t		 n;
	uint64_t	 v;
	uint32_t	 num;
	unsigned	 type;

	memset(out, 0, sizeof(*out));
	while (off < len) {
		n = mux_pb_tag(p + off, len - off, false, &num, &type, errstr);
		if (n == -1)
			return -1;
		off += (size_t)n;
		if (type == MUX_PB_EGROUP) {
			*errstr = "mismatching end-group marker";
			return -1;
		}
		if (num == 1 && type == MUX_PB_VARINT) {
			n = mux_pb_varint(p + off, len - off, &v, errstr);
			if (n == -1)
				return -1;
			out->state = mux_pb_int32(v);
		} else if (num == MUX_CTL_RANDOM_NUM && type == MUX_PB_BYTES) {
			n = mux_pb_varint(p + off, len - off, &v, errstr);
			if (n == -1)
				return -1;
			if (v > len - off - (size_t)n) {
				*errstr = "random field runs past the end";
				return -1;
			}
			out->random = v > 0 ? p + off + n : NULL;
			out->random_len = (size_t)v;
			n += (ssize_t)v;
		} else {
			/* A known number with another wire type is unknown. */
			n = mux_pb_skip(p + off, len - off, num, type, errstr);
			if (n == -1)
				return -1;
		}
		off += (size_t)n;
	}
	return (ssize_t)off;
}

static size_t
mux_pb_put_varint(uint8_t *out, uint64_t v)
{
	size_t	 n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static size_t
mux_pb_varint_size(uint64_t v)
{
	size_t	 n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

ssize_t
mux_control_encode(int32_t state, const uint8_t *random, size_t random_len,
    uint8_t *out, size_t cap)
{
	/* Go sign-extends a negative enum to a 10-byte varint. */
	uint64_t	 sv = (uint64_t)(int64_t)state;
	size_t		 need = 0, off = 0;

	if (random == NULL && random_len != 0)
		return -1;
	if (state != MUX_CONTROL_ACTIVE)
		need += 1 + mux_pb_varint_size(sv);
	if (random_len > 0) {
		if (random_len > SIZE_MAX - 32)
			return -1;
		need += 2 + mux_pb_varint_size(random_len) + random_len;
	}
	if (cap < need)
		return -1;
	if (state != MUX_CONTROL_ACTIVE) {
		out[off++] = MUX_CTL_STATE_TAG;
		off += mux_pb_put_varint(out + off, sv);
	}
	if (random_len > 0) {
		off += mux_pb_put_varint(out + off,
		    (uint64_t)MUX_CTL_RANDOM_NUM << 3 | MUX_PB_BYTES);
		off += mux_pb_put_varint(out + off, random_len);
		memcpy(out + off, random, random_len);
		off += random_len;
	}
	return (ssize_t)off;
}
