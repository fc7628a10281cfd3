/* SPDX-License-Identifier: MIT */
/*
 * domset.h: a set of V2Ray domain patterns (4.34 common/strmatcher) that
 * answers "does any pattern match this name" without a scan per pattern:
 * full names and label-aligned suffixes are hash lookups (one per label
 * of the name), substrings one Aho-Corasick pass over the name. Regular
 * expressions are the exception, tried in turn (lists carry few).
 * Used by routing rules and, through route_geosite_load, by DNS hosts.
 */
#ifndef LIBSHARED_DOMSET_H
#define LIBSHARED_DOMSET_H

#include <stdbool.h>
#include <stddef.h>

struct domset;

/* Numbered as geosite's Domain.Type. */
enum domset_type {
	DOMSET_SUBSTR = 0,	/* "keyword:", a bare routing value */
	DOMSET_REGEX = 1,	/* "regexp:" (RE2 syntax, see domset_add) */
	DOMSET_DOMAIN = 2,	/* "domain:": the name or a.b.NAME */
	DOMSET_FULL = 3		/* "full:" */
};

struct domset	*domset_new(void);
void		 domset_free(struct domset *ds);

/*
 * Add one pattern. Regexps use Go's RE2 syntax as V2Ray does; they are
 * run by POSIX regcomp after translating what RE2 writes differently
 * (\d, (?:, (?i), escapes inside brackets). 0, or -1 with err giving the
 * reason (a bad regexp). Matching is case-sensitive, as in 4.34.
 */
int	domset_add(struct domset *ds, enum domset_type type, const char *value,
	    char *err, size_t errlen);

/*
 * Add a V2Ray domain rule as written in a config: "domain:", "full:",
 * "keyword:", "regexp:", "dotless:", "geosite:LIST[@attr...]",
 * "ext:FILE:LIST[@attr...]" or "ext-domain:..."; a value without a
 * prefix is of type bare (DOMSET_SUBSTR in routing rules, DOMSET_FULL in
 * DNS hosts). Lists are read from geosite.dat or FILE where V2Ray looks
 * (geodat_asset_path), only the named list. 0, or -1 with err naming the
 * file and list when one is missing or malformed.
 */
int	domset_add_spec(struct domset *ds, const char *spec,
	    enum domset_type bare, char *err, size_t errlen);

/* Build the substring automaton; matching works before it, slower. */
int	domset_finish(struct domset *ds);

bool	domset_match(const struct domset *ds, const char *name);

/* How many patterns were added. */
size_t	domset_count(const struct domset *ds);

/*
 * The API for other modules (DNS hosts with geosite: keys): a finished
 * set holding one list. spec is "geosite:LIST[@attr...]",
 * "ext:FILE:LIST[@...]", "ext-domain:..." or a bare "LIST" (geosite.dat).
 * NULL with err naming the file and list on failure. domset_free it.
 */
struct domset	*route_geosite_load(const char *spec, char *err,
		    size_t errlen);

#endif
