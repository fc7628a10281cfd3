/* SPDX-License-Identifier: MIT */
/*
 * geodat.c: a small protobuf reader for geoip.dat and geosite.dat (see
 * geodat.h). Hand-written rather than protobuf-c: protobuf-c unpacks the
 * whole GeoSiteList into heap objects (what makes V2Ray hold tens of MB),
 * while a rule needs one entry; five message types do not justify
 * generated code and a library, and this reader has its own fuzz target
 * (tests/fuzz/fuzz_geodat.c).
 *
 * Wire format (protobuf encoding spec): a message is a run of fields,
 * each a varint key (field number << 3 | wire type) then a varint (type
 * 0), 8 bytes (1), a varint length and that many bytes (2) or 4 bytes
 * (5). Unknown fields and known fields of an unexpected wire type are
 * skipped, as protobuf-go does; groups (3, 4) never occur in these files
 * and are refused.
 */
#include "route/geodat.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct pb {
	const uint8_t	*p;
	const uint8_t	*e;
};

struct pb_field {
	uint32_t	 num;
	int		 wt;
	uint64_t	 v;		/* wire type 0 */
	const uint8_t	*data;		/* wire type 2 */
	size_t		 len;
};

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

static int
pb_varint(struct pb *b, uint64_t *v)
{
	uint64_t	x = 0;
	int		i;

	for (i = 0; i < 10; i++) {
		if (b->p == b->e)
			return -1;
		/* The tenth byte holds bit 63 only. */
		if (i == 9 && *b->p > 1)
			return -1;
		x |= (uint64_t)(*b->p & 0x7f) << (7 * i);
		if ((*b->p++ & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

/* 1 with *f filled, 0 at the end of b, -1 malformed. */
static int
pb_next(struct pb *b, struct pb_field *f, const char **errstr)
{
	uint64_t	key, n;

	if (b->p == b->e)
		return 0;
	if (pb_varint(b, &key) == -1)
		goto bad;
	f->num = (uint32_t)(key >> 3);
	f->wt = (int)(key & 7);
	if (f->num == 0 || key >> 3 > 0x1fffffff)
		goto bad;
	switch (f->wt) {
	case PB_VARINT:
		if (pb_varint(b, &f->v) == -1)
			goto bad;
		return 1;
	case PB_I64:
	case PB_I32:
		n = f->wt == PB_I64 ? 8 : 4;
		if ((size_t)(b->e - b->p) < n)
			goto bad;
		b->p += n;
		return 1;
	case PB_LEN:
		if (pb_varint(b, &n) == -1 || n > (uint64_t)(b->e - b->p))
			goto bad;
		f->data = b->p;
		f->len = (size_t)n;
		b->p += n;
		return 1;
	default:
		goto bad;
	}
bad:
	*errstr = "malformed protobuf data";
	return -1;
}

/* Ends on the first error; the caller checks rc afterwards. */
#define PB_EACH(b, f, rc, errstr) \
	while (((rc) = pb_next((b), (f), (errstr))) == 1)

static bool
pb_is(const struct pb_field *f, uint32_t num, int wt)
{
	return f->num == num && f->wt == wt;
}

/* The entry's country_code (the last one given wins, as in protobuf). */
static int
geodat_entry_tag(const struct pb_field *entry, const uint8_t **tag,
    size_t *tlen, const char **errstr)
{
	struct pb	b = { entry->data, entry->data + entry->len };
	struct pb_field	f;
	int		rc;

	*tag = NULL;
	*tlen = 0;
	PB_EACH(&b, &f, rc, errstr)
		if (pb_is(&f, 1, PB_LEN)) {
			*tag = f.data;
			*tlen = f.len;
		}
	return rc;
}

static bool
geodat_tag_eq(const uint8_t *t, size_t tlen, const char *want)
{
	return strlen(want) == tlen &&
	    strncasecmp((const char *)t, want, tlen) == 0 &&
	    memchr(t, '\0', tlen) == NULL;
}

/*
 * Walk the top-level list for the first entry tagged tag: 1 with *entry
 * set, -2 when none, -1 malformed.
 */
static int
geodat_find(const uint8_t *p, size_t len, const char *tag,
    struct pb_field *entry, const char **errstr)
{
	struct pb	 top = { p, p != NULL ? p + len : NULL };
	const uint8_t	*t;
	size_t		 tlen;
	int		 rc;

	PB_EACH(&top, entry, rc, errstr) {
		if (!pb_is(entry, 1, PB_LEN))
			continue;
		if (geodat_entry_tag(entry, &t, &tlen, errstr) == -1)
			return -1;
		if (t != NULL && geodat_tag_eq(t, tlen, tag))
			return 1;
	}
	return rc == -1 ? -1 : -2;
}

/* CIDR { bytes ip = 1; uint32 prefix = 2; } */
static int
geodat_cidr(const struct pb_field *cf, geodat_ip_fn *fn, void *arg,
    const char **errstr)
{
	struct pb	 b = { cf->data, cf->data + cf->len };
	struct pb_field	 f;
	const uint8_t	*ip = NULL;
	size_t		 iplen = 0;
	uint32_t	 prefix = 0;
	int		 rc;

	PB_EACH(&b, &f, rc, errstr) {
		if (pb_is(&f, 1, PB_LEN)) {
			ip = f.data;
			iplen = f.len;
		} else if (pb_is(&f, 2, PB_VARINT))
			prefix = (uint32_t)f.v;	/* protobuf truncates */
	}
	if (rc == -1)
		return -1;
	/* 4.34 refuses other lengths when it builds the matcher. */
	if (iplen != 4 && iplen != 16) {
		*errstr = "CIDR address is neither 4 nor 16 bytes";
		return -1;
	}
	if (prefix > iplen * 8) {
		*errstr = "CIDR prefix longer than its address";
		return -1;
	}
	return fn(arg, iplen == 4 ? AF_INET : AF_INET6, ip, prefix) != 0 ?
	    -3 : 0;
}

/*
 * Call item for every field 2 (a CIDR or a Domain) of the entry tagged
 * tag. item returns 0 for an item passed on, 1 for one filtered out, -1
 * malformed, -3 stopped.
 */
typedef int	geodat_item_fn(const struct pb_field *f, void *ctx,
		    const char **errstr);

static long
geodat_scan(const uint8_t *p, size_t len, const char *tag,
    geodat_item_fn *item, void *ctx, const char **errstr)
{
	struct pb_field	 entry, f;
	struct pb	 b;
	long		 n = 0;
	int		 rc;

	if ((rc = geodat_find(p, len, tag, &entry, errstr)) != 1)
		return rc;
	b.p = entry.data;
	b.e = entry.data + entry.len;
	PB_EACH(&b, &f, rc, errstr) {
		if (!pb_is(&f, 2, PB_LEN))
			continue;
		rc = item(&f, ctx, errstr);
		if (rc == -1 || rc == -3)
			return rc;
		if (rc == 0)
			n++;
	}
	return rc == -1 ? -1 : n;
}

struct geodat_ipctx {
	geodat_ip_fn	*fn;
	void		*arg;
};

static int
geodat_ip_item(const struct pb_field *f, void *ctx, const char **errstr)
{
	struct geodat_ipctx	*c = ctx;

	return geodat_cidr(f, c->fn, c->arg, errstr);
}

long
geodat_ip_scan(const uint8_t *p, size_t len, const char *tag,
    geodat_ip_fn *fn, void *arg, const char **errstr)
{
	struct geodat_ipctx	c = { fn, arg };

	return geodat_scan(p, len, tag, geodat_ip_item, &c, errstr);
}

/* Attribute { string key = 1; ... }: does one carry key want? */
static int
geodat_attr_has(const struct pb_field *af, const char *want, bool *has,
    const char **errstr)
{
	struct pb	 b = { af->data, af->data + af->len };
	struct pb_field	 f;
	const uint8_t	*k = NULL;
	size_t		 klen = 0;
	int		 rc;

	PB_EACH(&b, &f, rc, errstr)
		if (pb_is(&f, 1, PB_LEN)) {
			k = f.data;
			klen = f.len;
		}
	if (rc == -1)
		return -1;
	if (k != NULL && geodat_tag_eq(k, klen, want))
		*has = true;
	return 0;
}

/* Domain { Type type = 1; string value = 2; repeated Attribute = 3; } */
static int
geodat_domain(const struct pb_field *df, const char *const *attrs,
    size_t nattrs, geodat_site_fn *fn, void *arg, const char **errstr)
{
	struct pb	 b = { df->data, df->data + df->len };
	struct pb_field	 f;
	const char	*val = "";
	size_t		 vlen = 0, i;
	uint64_t	 type = 0;
	bool		 has;
	int		 rc;

	PB_EACH(&b, &f, rc, errstr) {
		if (pb_is(&f, 1, PB_VARINT))
			type = f.v;
		else if (pb_is(&f, 2, PB_LEN)) {
			val = (const char *)f.data;
			vlen = f.len;
		}
	}
	if (rc == -1)
		return -1;
	/* Every asked-for key must be on the domain (AND, as 4.34). */
	for (i = 0; i < nattrs; i++) {
		has = false;
		b.p = df->data;
		PB_EACH(&b, &f, rc, errstr)
			if (pb_is(&f, 3, PB_LEN) &&
			    geodat_attr_has(&f, attrs[i], &has, errstr) == -1)
				return -1;
		if (rc == -1)
			return -1;
		if (!has)
			return 1;	/* filtered out */
	}
	/* Checked only for the domains kept, as 4.34 builds only those. */
	if ((uint32_t)type > GEODAT_FULL) {
		*errstr = "unsupported domain type";
		return -1;
	}
	return fn(arg, (enum geodat_dtype)(uint32_t)type, val, vlen) != 0 ?
	    -3 : 0;
}

struct geodat_sitectx {
	const char *const	*attrs;
	size_t			 nattrs;
	geodat_site_fn		*fn;
	void			*arg;
};

static int
geodat_site_item(const struct pb_field *f, void *ctx, const char **errstr)
{
	struct geodat_sitectx	*c = ctx;

	return geodat_domain(f, c->attrs, c->nattrs, c->fn, c->arg, errstr);
}

long
geodat_site_scan(const uint8_t *p, size_t len, const char *tag,
    const char *const *attrs, size_t nattrs, geodat_site_fn *fn, void *arg,
    const char **errstr)
{
	struct geodat_sitectx	c = { attrs, nattrs, fn, arg };

	return geodat_scan(p, len, tag, geodat_site_item, &c, errstr);
}

/* Asset files. */

static int
geodat_join(char *buf, size_t len, const char *dir, const char *file)
{
	int	n;

	if (*dir == '\0')
		n = snprintf(buf, len, "%s", file);
	else
		n = snprintf(buf, len, "%s%s%s", dir,
		    dir[strlen(dir) - 1] == '/' ? "" : "/", file);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
geodat_asset_path(const char *file, char *path, size_t len, char *tried,
    size_t triedlen)
{
	static const char *const sys[] = { "/usr/local/share/v2ray",
	    "/usr/share/v2ray" };
	char		 exe[PATH_MAX], cand[3][PATH_MAX], *slash;
	const char	*dir;
	struct stat	 st;
	ssize_t		 n;
	size_t		 i;

	if (file[0] == '/') {
		if (tried != NULL && triedlen > 0)
			snprintf(tried, triedlen, "%s", file);
		return snprintf(path, len, "%s", file) >= (int)len ? -1 : 0;
	}
	/* Set but empty counts, as Go's LookupEnv has it. */
	if ((dir = getenv("v2ray.location.asset")) == NULL &&
	    (dir = getenv("V2RAY_LOCATION_ASSET")) == NULL) {
		dir = "";
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n > 0) {
			exe[n] = '\0';
			if ((slash = strrchr(exe, '/')) != NULL) {
				slash[slash == exe ? 1 : 0] = '\0';
				dir = exe;
			}
		}
	}
	if (geodat_join(cand[0], sizeof(cand[0]), dir, file) == -1 ||
	    geodat_join(cand[1], sizeof(cand[1]), sys[0], file) == -1 ||
	    geodat_join(cand[2], sizeof(cand[2]), sys[1], file) == -1)
		return -1;
	if (tried != NULL && triedlen > 0)
		snprintf(tried, triedlen, "%s, %s, %s", cand[0], cand[1],
		    cand[2]);
	for (i = 0; i < 3; i++)
		if (stat(cand[i], &st) == 0 || errno != ENOENT)
			break;
	return snprintf(path, len, "%s", cand[i < 3 ? i : 0]) >= (int)len ?
	    -1 : 0;
}

int
geodat_map(const char *path, struct geodat_file *f)
{
	struct stat	 st;
	void		*p;
	int		 fd, saved;

	f->p = NULL;
	f->len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto fail;
	}
	if (st.st_size == 0) {
		close(fd);
		return 0;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		goto fail;
	close(fd);
	f->p = p;
	f->len = (size_t)st.st_size;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

void
geodat_unmap(struct geodat_file *f)
{
	if (f->p != NULL)
		munmap((void *)f->p, f->len);
	f->p = NULL;
	f->len = 0;
}

char *
geodat_ext_split(const char *rest, const char **list)
{
	const char	*colon = strchr(rest, ':');

	if (colon == NULL || strchr(colon + 1, ':') != NULL ||
	    colon == rest || colon[1] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	*list = colon + 1;
	return strndup(rest, (size_t)(colon - rest));
}

int
geodat_open_asset(const char *file, struct geodat_file *f, char *path,
    size_t pathlen, char *err, size_t errlen)
{
	char	tried[3 * PATH_MAX + 8];

	if (geodat_asset_path(file, path, pathlen, tried, sizeof(tried)) ==
	    -1) {
		snprintf(err, errlen, "path of %s too long", file);
		return -1;
	}
	if (geodat_map(path, f) == 0)
		return 0;
	if (errno == ENOENT && file[0] != '/')
		snprintf(err, errlen, "%s not found (looked for %s; "
		    "V2RAY_LOCATION_ASSET names the first directory)", file,
		    tried);
	else
		snprintf(err, errlen, "cannot read %s: %s", path,
		    strerror(errno));
	return -1;
}
