/* SPDX-License-Identifier: MIT */
/*
 * geodat.h: V2Ray's geoip.dat / geosite.dat (app/router/config.proto of
 * 4.34), read entry by entry straight from a mapped file: only the list a
 * rule names is decoded, the rest is skipped by its length prefix, so a
 * 10 MB file costs page cache, not heap. Pure: no logging.
 *
 *   GeoIPList   { repeated GeoIP entry = 1; }
 *   GeoIP       { string country_code = 1; repeated CIDR cidr = 2; }
 *   CIDR        { bytes ip = 1; uint32 prefix = 2; }
 *   GeoSiteList { repeated GeoSite entry = 1; }
 *   GeoSite     { string country_code = 1; repeated Domain domain = 2; }
 *   Domain      { Type type = 1; string value = 2;
 *                 repeated Attribute attribute = 3; }
 *   Attribute   { string key = 1; oneof { bool bool_value = 2;
 *                 int64 int_value = 3; } }
 */
#ifndef LIBSHARED_GEODAT_H
#define LIBSHARED_GEODAT_H

#include <stddef.h>
#include <stdint.h>

/* Domain.Type, as numbered on the wire. */
enum geodat_dtype {
	GEODAT_PLAIN = 0,	/* substring */
	GEODAT_REGEX = 1,
	GEODAT_DOMAIN = 2,	/* the name or any label-aligned suffix */
	GEODAT_FULL = 3
};

/* Called per CIDR (family AF_INET: addr[0..3]); non-zero stops the scan. */
typedef int	geodat_ip_fn(void *arg, int family, const uint8_t *addr,
		    unsigned prefix);
/* Called per domain, value not NUL-terminated; non-zero stops the scan. */
typedef int	geodat_site_fn(void *arg, enum geodat_dtype type,
		    const char *value, size_t len);

/*
 * Find the first entry whose country_code equals tag ignoring ASCII case
 * (4.34's strings.EqualFold) and call fn for each of its CIDRs or domains.
 * geodat_site_scan passes only domains carrying every key in attrs
 * (ignoring case; values are not looked at), as "geosite:TAG@a@b" asks;
 * attrs are already trimmed and non-empty.
 *
 * Returns the number of items passed to fn (0 is possible: an empty list,
 * or attributes no domain has), -2 when no entry has the tag, -1 on
 * malformed input with *errstr set, or -3 when fn returned non-zero
 * (errstr then untouched). Only the framing of other
 * entries is checked, not their contents.
 */
long	geodat_ip_scan(const uint8_t *p, size_t len, const char *tag,
	    geodat_ip_fn *fn, void *arg, const char **errstr);
long	geodat_site_scan(const uint8_t *p, size_t len, const char *tag,
	    const char *const *attrs, size_t nattrs, geodat_site_fn *fn,
	    void *arg, const char **errstr);

/*
 * Where 4.34 looks for an asset: the directory is $v2ray.location.asset,
 * else $V2RAY_LOCATION_ASSET, else the executable's own directory; the
 * first existing of DIR/file, /usr/local/share/v2ray/file and
 * /usr/share/v2ray/file wins, and when none exists path is DIR/file (the
 * name an error should give). An absolute file is taken as it is (4.34
 * joins it under DIR, which never finds it). tried, when not NULL, gets
 * the three places, for messages. 0, or -1 when a path does not fit.
 */
int	geodat_asset_path(const char *file, char *path, size_t len,
	    char *tried, size_t triedlen);

/* A read-only mapping of a whole file. */
struct geodat_file {
	const uint8_t	*p;
	size_t		 len;
};

/* 0, or -1 with errno set (an empty file maps to p NULL, len 0). */
int	geodat_map(const char *path, struct geodat_file *f);
void	geodat_unmap(struct geodat_file *f);

/*
 * "FILE:LIST" after "ext:": exactly one colon and neither side empty, as
 * 4.34 splits it. Returns FILE (malloc'd) with *list pointing into rest,
 * or NULL with errno EINVAL (malformed) or ENOMEM.
 */
char	*geodat_ext_split(const char *rest, const char **list);

/*
 * geodat_asset_path then geodat_map: 0 with path filled, or -1 with err
 * saying where it looked ("geosite.dat not found (looked for ...)") or
 * why the file it found cannot be read.
 */
int	geodat_open_asset(const char *file, struct geodat_file *f, char *path,
	    size_t pathlen, char *err, size_t errlen);

#endif
