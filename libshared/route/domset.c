/* SPDX-License-Identifier: MIT */
/*
 * domset.c: domain pattern sets (see domset.h): hash sets for full names
 * and suffixes, an Aho-Corasick automaton for substrings, POSIX regexps
 * for RE2 patterns; and geosite lists loaded into them.
 */
#include "route/domset.h"
#include "route/geodat.h"
#include "route/route.h"
#include "base/strmap.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Substring automaton: a trie over the keywords' bytes with failure
 * links. Children hang in sibling lists: a node has at most as many
 * children as distinct bytes the keywords use (about 40 for host
 * names), so a step costs a bounded scan whatever the list's size.
 */
struct domset_ac {
	uint32_t	*child;		/* first child, 0 = none */
	uint32_t	*sibling;	/* next sibling, 0 = none */
	uint8_t		*byte;		/* byte leading into the node */
	uint32_t	*fail;
	uint8_t		*out;		/* a keyword ends here or on fail */
	size_t		 n;
	size_t		 cap;
};

struct domset {
	struct strmap	 full;
	struct strmap	 suffix;
	char		**substr;	/* until domset_finish */
	size_t		  nsubstr;
	bool		  any;		/* an empty keyword matches all */
	struct domset_ac  ac;
	bool		  built;
	regex_t		 *re;
	size_t		  nre;
	size_t		  count;
};

struct domset *
domset_new(void)
{
	return calloc(1, sizeof(struct domset));
}

static void
domset_ac_free(struct domset_ac *ac)
{
	free(ac->child);
	free(ac->sibling);
	free(ac->byte);
	free(ac->fail);
	free(ac->out);
	memset(ac, 0, sizeof(*ac));
}

void
domset_free(struct domset *ds)
{
	size_t	i;

	if (ds == NULL)
		return;
	strmap_free(&ds->full);
	strmap_free(&ds->suffix);
	for (i = 0; i < ds->nsubstr; i++)
		free(ds->substr[i]);
	free(ds->substr);
	domset_ac_free(&ds->ac);
	for (i = 0; i < ds->nre; i++)
		regfree(&ds->re[i]);
	free(ds->re);
	free(ds);
}

size_t
domset_count(const struct domset *ds)
{
	return ds != NULL ? ds->count : 0;
}

/* RE2 to POSIX ERE. */

struct rebuf {
	char	*p;
	size_t	 n;
	size_t	 cap;
	bool	 full;
};

static void
rebuf_put(struct rebuf *b, const char *s, size_t n)
{
	if (b->n + n >= b->cap) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
rebuf_puts(struct rebuf *b, const char *s)
{
	rebuf_put(b, s, strlen(s));
}

/* What \c means inside a bracket, as bracket text; NULL if unknown. */
static const char *
domset_re_class(char c)
{
	switch (c) {
	case 'd':
		return "0-9";
	case 'w':
		return "A-Za-z0-9_";
	case 's':
		return " \t\n\r\f\v";
	case 'n':
		return "\n";
	case 't':
		return "\t";
	default:
		return NULL;
	}
}

/*
 * One bracket expression starting at p ('['); *pp is moved past its ']'.
 * POSIX takes a backslash in brackets literally and wants ']' first and
 * '-' last, so escaped ones are moved there. -1 when unterminated or
 * holding what cannot be said in POSIX (\D, \W, \S).
 */
static int
domset_re_bracket(const char **pp, struct rebuf *b)
{
	const char	*p = *pp + 1, *cls, *end;
	char		 body[1024];
	struct rebuf	 bb = { body, 0, sizeof(body), false };
	bool		 neg = false, rbr = false, dash = false, caret = false;

	body[0] = '\0';
	if (*p == '^') {
		neg = true;
		p++;
	}
	if (*p == ']') {
		rbr = true;
		p++;
	}
	for (; *p != '\0' && *p != ']'; p++) {
		if (p[0] == '[' && p[1] == ':' &&
		    (end = strstr(p + 2, ":]")) != NULL) {
			rebuf_put(&bb, p, (size_t)(end + 2 - p));
			p = end + 1;
			continue;
		}
		if (*p != '\\') {
			if (*p == '^' && bb.n == 0)
				caret = true;
			else
				rebuf_put(&bb, p, 1);
			continue;
		}
		if (*++p == '\0')
			return -1;
		if ((cls = domset_re_class(*p)) != NULL)
			rebuf_puts(&bb, cls);
		else if (isalnum((unsigned char)*p))
			return -1;
		else if (*p == ']')
			rbr = true;
		else if (*p == '-')
			dash = true;
		else if (*p == '^')
			caret = true;
		else
			rebuf_put(&bb, p, 1);
	}
	if (*p != ']' || bb.full)
		return -1;
	if (!rbr && !dash && !caret && bb.n == 0)
		return -1;
	rebuf_puts(b, neg ? "[^" : "[");
	if (rbr)
		rebuf_puts(b, "]");
	rebuf_puts(b, body);
	if (caret)
		rebuf_puts(b, "^");
	if (dash)
		rebuf_puts(b, "-");
	rebuf_puts(b, "]");
	*pp = p;
	return 0;
}

/* 0 with *icase set, or -1 with a reason. */
static int
domset_re_translate(const char *re, char *out, size_t outlen, int *icase,
    const char **why)
{
	struct rebuf	 b = { out, 0, outlen, false };
	const char	*p = re;

	out[0] = '\0';
	*icase = 0;
	if (strncmp(p, "(?i)", 4) == 0) {
		*icase = REG_ICASE;
		p += 4;
	}
	for (; *p != '\0'; p++) {
		if (*p == '[') {
			if (domset_re_bracket(&p, &b) == -1) {
				*why = "bracket expression not supported";
				return -1;
			}
			continue;
		}
		if (p[0] == '(' && p[1] == '?') {
			if (p[2] != ':') {
				*why = "(?flags) and named groups not supported";
				return -1;
			}
			rebuf_puts(&b, "(");
			p += 2;
			continue;
		}
		if (*p != '\\') {
			rebuf_put(&b, p, 1);
			continue;
		}
		switch (*++p) {
		case '\0':
			*why = "trailing backslash";
			return -1;
		case 'd':
			rebuf_puts(&b, "[0-9]");
			break;
		case 'D':
			rebuf_puts(&b, "[^0-9]");
			break;
		case 'A':
			rebuf_puts(&b, "^");
			break;
		case 'z':
			rebuf_puts(&b, "$");
			break;
		case 'w': case 'W': case 's': case 'S': case 'b': case 'B':
			/* glibc knows these as GNU extensions. */
			rebuf_put(&b, p - 1, 2);
			break;
		default:
			if (isalnum((unsigned char)*p)) {
				*why = "escape not supported";
				return -1;
			}
			rebuf_put(&b, p - 1, 2);
			break;
		}
	}
	if (b.full) {
		*why = "too long";
		return -1;
	}
	return 0;
}

static int
domset_add_re(struct domset *ds, const char *value, char *err,
    size_t errlen)
{
	regex_t		*nre;
	char		 msg[128], *pat;
	const char	*why = NULL;
	size_t		 len = strlen(value) * 5 + 16;
	int		 rc, icase;

	if ((pat = malloc(len)) == NULL)
		goto oom;
	if (domset_re_translate(value, pat, len, &icase, &why) == -1) {
		route_err(err, errlen, "bad regexp \"%.128s\": %s", value,
		    why);
		free(pat);
		return -1;
	}
	if ((nre = realloc(ds->re, (ds->nre + 1) * sizeof(*nre))) == NULL) {
		free(pat);
		goto oom;
	}
	ds->re = nre;
	rc = regcomp(&ds->re[ds->nre], pat, REG_EXTENDED | REG_NOSUB | icase);
	free(pat);
	if (rc != 0) {
		regerror(rc, &ds->re[ds->nre], msg, sizeof(msg));
		regfree(&ds->re[ds->nre]);
		route_err(err, errlen, "bad regexp \"%.128s\": %s", value,
		    msg);
		return -1;
	}
	ds->nre++;
	return 0;
oom:
	route_err(err, errlen, "out of memory");
	return -1;
}

int
domset_add(struct domset *ds, enum domset_type type, const char *value,
    char *err, size_t errlen)
{
	char	**nv, *dup;
	int	  rc = 0;

	switch (type) {
	case DOMSET_FULL:
		rc = strmap_add(&ds->full, value, 0);
		break;
	case DOMSET_DOMAIN:
		rc = strmap_add(&ds->suffix, value, 0);
		break;
	case DOMSET_SUBSTR:
		if (*value == '\0') {
			ds->any = true;
			break;
		}
		if ((dup = strdup(value)) == NULL)
			goto oom;
		nv = realloc(ds->substr, (ds->nsubstr + 1) * sizeof(*nv));
		if (nv == NULL) {
			free(dup);
			goto oom;
		}
		ds->substr = nv;
		ds->substr[ds->nsubstr++] = dup;
		ds->built = false;
		break;
	case DOMSET_REGEX:
		if (domset_add_re(ds, value, err, errlen) == -1)
			return -1;
		break;
	default:
		route_err(err, errlen, "unsupported domain type %d",
		    (int)type);
		return -1;
	}
	if (rc == -1)
		goto oom;
	ds->count++;
	return 0;
oom:
	route_err(err, errlen, "out of memory");
	return -1;
}

/* Aho-Corasick. */

static uint32_t
domset_ac_go(const struct domset_ac *ac, uint32_t s, uint8_t c)
{
	uint32_t	k;

	for (k = ac->child[s]; k != 0; k = ac->sibling[k])
		if (ac->byte[k] == c)
			return k;
	return 0;
}

static int
domset_ac_node(struct domset_ac *ac, uint32_t parent, uint8_t c,
    uint32_t *node)
{
	size_t	 ncap, k;

	if (ac->n == ac->cap) {
		ncap = ac->cap ? ac->cap * 2 : 64;
		if (ncap > UINT32_MAX)
			return -1;
#define GROW(f) do {							\
		void *np_ = realloc(ac->f, ncap * sizeof(*ac->f));	\
		if (np_ == NULL)					\
			return -1;					\
		ac->f = np_;						\
	} while (0)
		GROW(child);
		GROW(sibling);
		GROW(byte);
		GROW(fail);
		GROW(out);
#undef GROW
		ac->cap = ncap;
	}
	k = ac->n++;
	ac->child[k] = 0;
	ac->fail[k] = 0;
	ac->out[k] = 0;
	ac->byte[k] = c;
	if (k > 0) {
		ac->sibling[k] = ac->child[parent];
		ac->child[parent] = (uint32_t)k;
	} else
		ac->sibling[k] = 0;
	*node = (uint32_t)k;
	return 0;
}

int
domset_finish(struct domset *ds)
{
	struct domset_ac	*ac = &ds->ac;
	uint32_t		*queue, s, k, f, t;
	size_t			 i, head, tail;
	const uint8_t		*p;

	if (ds->built)
		return 0;
	domset_ac_free(ac);
	if (ds->nsubstr == 0) {
		ds->built = true;
		return 0;
	}
	if (domset_ac_node(ac, 0, 0, &s) == -1)
		goto fail;
	for (i = 0; i < ds->nsubstr; i++) {
		s = 0;
		for (p = (const uint8_t *)ds->substr[i]; *p != '\0'; p++) {
			if ((k = domset_ac_go(ac, s, *p)) == 0 &&
			    domset_ac_node(ac, s, *p, &k) == -1)
				goto fail;
			s = k;
		}
		ac->out[s] = 1;
	}
	/* Breadth first, so a node's failure target is done before it. */
	if ((queue = malloc(ac->n * sizeof(*queue))) == NULL)
		goto fail;
	head = tail = 0;
	for (k = ac->child[0]; k != 0; k = ac->sibling[k])
		queue[tail++] = k;
	while (head < tail) {
		s = queue[head++];
		for (k = ac->child[s]; k != 0; k = ac->sibling[k]) {
			queue[tail++] = k;
			for (f = ac->fail[s];; f = ac->fail[f]) {
				if ((t = domset_ac_go(ac, f, ac->byte[k])) != 0) {
					ac->fail[k] = t;
					break;
				}
				if (f == 0)
					break;
			}
			ac->out[k] |= ac->out[ac->fail[k]];
		}
	}
	free(queue);
	ds->built = true;
	return 0;
fail:
	domset_ac_free(ac);
	return -1;
}

static bool
domset_substr_match(const struct domset *ds, const char *name)
{
	const struct domset_ac	*ac = &ds->ac;
	const uint8_t		*p;
	uint32_t		 s = 0, t;
	size_t			 i;

	if (ds->any)
		return true;
	if (ds->nsubstr == 0)
		return false;
	if (!ds->built) {
		for (i = 0; i < ds->nsubstr; i++)
			if (strstr(name, ds->substr[i]) != NULL)
				return true;
		return false;
	}
	for (p = (const uint8_t *)name; *p != '\0'; p++) {
		while ((t = domset_ac_go(ac, s, *p)) == 0 && s != 0)
			s = ac->fail[s];
		s = t;
		if (ac->out[s])
			return true;
	}
	return false;
}

bool
domset_match(const struct domset *ds, const char *name)
{
	const char	*p;
	size_t		 i;

	if (ds == NULL || name == NULL)
		return false;
	if (strmap_get(&ds->full, name) != NULL)
		return true;
	if (ds->suffix.n > 0) {
		/* "a.b.example.com" tries itself, "b.example.com", ... */
		if (strmap_get(&ds->suffix, name) != NULL)
			return true;
		for (p = strchr(name, '.'); p != NULL; p = strchr(p + 1, '.'))
			if (strmap_get(&ds->suffix, p + 1) != NULL)
				return true;
	}
	if (domset_substr_match(ds, name))
		return true;
	for (i = 0; i < ds->nre; i++)
		if (regexec(&ds->re[i], name, 0, NULL, 0) == 0)
			return true;
	return false;
}

/* Geosite lists. */

struct domset_load {
	struct domset	*ds;
	char		*err;
	size_t		 errlen;
	char		 buf[1024];
	bool		 failed;
};

static int
domset_load_cb(void *arg, enum geodat_dtype type, const char *value,
    size_t len)
{
	struct domset_load	*l = arg;
	char			*v, msg[256];

	/* A NUL can never be in a name asked about: the pattern is dead. */
	if (memchr(value, '\0', len) != NULL)
		return 0;
	if (len < sizeof(l->buf))
		v = l->buf;
	else if ((v = malloc(len + 1)) == NULL) {
		route_err(l->err, l->errlen, "out of memory");
		l->failed = true;
		return 1;
	}
	memcpy(v, value, len);
	v[len] = '\0';
	if (domset_add(l->ds, (enum domset_type)type, v, msg,
	    sizeof(msg)) == -1) {
		route_err(l->err, l->errlen, "%s", msg);
		l->failed = true;
	}
	if (v != l->buf)
		free(v);
	return l->failed ? 1 : 0;
}

static char *
domset_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	return s;
}

/*
 * Load LIST[@attr...] of file into ds (infra/conf/router.go's
 * loadGeositeWithAttr); file NULL: listattr is ext:'s "FILE:LIST[@...]".
 * what is the rule text, for messages.
 */
static int
domset_load_list(struct domset *ds, const char *file, const char *listattr,
    const char *what, char *err, size_t errlen)
{
	struct domset_load	 l = { ds, err, errlen, "", false };
	struct geodat_file	 f;
	char			 path[PATH_MAX], msg[1024];
	char			*copy, *list, *a, *next, *t, *q;
	char			**attrs = NULL, **na;
	const char		*errstr = "malformed";
	size_t			 nattrs = 0;
	long			 n;
	int			 rc = -1;

	if (file == NULL) {
		if ((copy = geodat_ext_split(listattr, &listattr)) == NULL) {
			route_err(err, errlen, "%s: %s", what, errno ==
			    EINVAL ? "want ext:FILE:LIST" : "out of memory");
			return -1;
		}
		rc = domset_load_list(ds, copy, listattr, what, err, errlen);
		free(copy);
		return rc;
	}
	if ((copy = strdup(listattr)) == NULL) {
		route_err(err, errlen, "%s: out of memory", what);
		return -1;
	}
	list = copy;
	if ((a = strchr(copy, '@')) != NULL)
		*a++ = '\0';
	list = domset_trim(list);
	if (*list == '\0') {
		route_err(err, errlen, "%s: empty list name", what);
		goto out;
	}
	while (a != NULL) {
		if ((next = strchr(a, '@')) != NULL)
			*next++ = '\0';
		t = domset_trim(a);
		for (q = t; *q != '\0'; q++)
			*q = (char)tolower((unsigned char)*q);
		if (*t != '\0') {
			if ((na = realloc(attrs, (nattrs + 1) *
			    sizeof(*na))) == NULL) {
				route_err(err, errlen, "%s: out of memory",
				    what);
				goto out;
			}
			attrs = na;
			attrs[nattrs++] = t;
		}
		a = next;
	}
	if (geodat_open_asset(file, &f, path, sizeof(path), msg,
	    sizeof(msg)) == -1) {
		route_err(err, errlen, "%s: %s", what, msg);
		goto out;
	}
	n = geodat_site_scan(f.p, f.len, list, (const char *const *)attrs,
	    nattrs, domset_load_cb, &l, &errstr);
	geodat_unmap(&f);
	if (n == -3 || l.failed) {
		snprintf(msg, sizeof(msg), "%s", err != NULL ? err : "");
		route_err(err, errlen, "%s: list \"%s\" in %s: %s", what, list,
		    path, msg);
	} else if (n == -2)
		route_err(err, errlen, "%s: list \"%s\" not found in %s",
		    what, list, path);
	else if (n == -1)
		route_err(err, errlen, "%s: %s: %s", what, path, errstr);
	else if (n == 0)
		/*
		 * 4.34 drops the rule's whole domain condition then, so the
		 * rule matches on its other fields alone: never what was
		 * meant.
		 */
		route_err(err, errlen, "%s: list \"%s\" in %s has no domains%s",
		    what, list, path, nattrs ? " with those attributes" : "");
	else
		rc = 0;
out:
	free(attrs);
	free(copy);
	return rc;
}

int
domset_add_spec(struct domset *ds, const char *spec, enum domset_type bare,
    char *err, size_t errlen)
{
	static const struct {
		const char		*prefix;
		enum domset_type	 type;
	} simple[] = {
		{ "regexp:", DOMSET_REGEX },
		{ "domain:", DOMSET_DOMAIN },
		{ "full:", DOMSET_FULL },
		{ "keyword:", DOMSET_SUBSTR },
	};
	char		 msg[256], what[256], *pat;
	const char	*v;
	size_t		 i, n, len;
	int		 rc;

	snprintf(what, sizeof(what), "\"%.200s\"", spec);
	/* Prefixes are case-sensitive in 4.34 (strings.HasPrefix). */
	if (strncmp(spec, "geosite:", 8) == 0)
		return domset_load_list(ds, "geosite.dat", spec + 8, what, err,
		    errlen);
	if (strncmp(spec, "ext:", 4) == 0)
		return domset_load_list(ds, NULL, spec + 4, what, err, errlen);
	if (strncmp(spec, "ext-domain:", 11) == 0)
		return domset_load_list(ds, NULL, spec + 11, what, err,
		    errlen);
	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		n = strlen(simple[i].prefix);
		if (strncmp(spec, simple[i].prefix, n) != 0)
			continue;
		if (spec[n] == '\0') {
			route_err(err, errlen, "\"%s\": empty value after the "
			    "prefix", spec);
			return -1;
		}
		if (domset_add(ds, simple[i].type, spec + n, msg,
		    sizeof(msg)) == -1) {
			route_err(err, errlen, "\"%s\": %s", spec, msg);
			return -1;
		}
		return 0;
	}
	if (strncmp(spec, "dotless:", 8) == 0) {
		/* Built exactly as 4.34's infra/conf/router.go. */
		v = spec + 8;
		if (strchr(v, '.') != NULL) {
			route_err(err, errlen, "\"%s\": dotless: value must "
			    "not contain a dot", spec);
			return -1;
		}
		len = strlen(v) + sizeof("^[^.]*[^.]*$");
		if ((pat = malloc(len)) == NULL) {
			route_err(err, errlen, "out of memory");
			return -1;
		}
		snprintf(pat, len, "^[^.]*%s[^.]*$", v);
		rc = domset_add(ds, DOMSET_REGEX, *v == '\0' ? "^[^.]*$" : pat,
		    msg, sizeof(msg));
		free(pat);
		if (rc == -1)
			route_err(err, errlen, "\"%s\": %s", spec, msg);
		return rc;
	}
	if (domset_add(ds, bare, spec, msg, sizeof(msg)) == -1) {
		route_err(err, errlen, "\"%s\": %s", spec, msg);
		return -1;
	}
	return 0;
}

struct domset *
route_geosite_load(const char *spec, char *err, size_t errlen)
{
	struct domset	*ds;
	char		 what[256];
	int		 rc;

	if ((ds = domset_new()) == NULL) {
		route_err(err, errlen, "out of memory");
		return NULL;
	}
	if (strncmp(spec, "geosite:", 8) == 0 || strncmp(spec, "ext:", 4) == 0 ||
	    strncmp(spec, "ext-domain:", 11) == 0)
		rc = domset_add_spec(ds, spec, DOMSET_FULL, err, errlen);
	else {
		snprintf(what, sizeof(what), "\"geosite:%.200s\"", spec);
		rc = domset_load_list(ds, "geosite.dat", spec, what, err,
		    errlen);
	}
	if (rc == -1 || domset_finish(ds) == -1) {
		if (rc != -1)
			route_err(err, errlen, "out of memory");
		domset_free(ds);
		return NULL;
	}
	return ds;
}
