/* SPDX-License-Identifier: MIT */
/*
 * conf_json.c: V2Ray 4.34 JSON front end. Reads what infra/conf reads (case-
 * insensitive keys, comments, legacy forms, their merge order) into the one
 * model, and reports every problem with the JSON path of the value.
 */
#include "conf/conf.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "base/util.h"

#define JX_PATH		256
#define JX_SHOW		72
#define JX_MAX_LEVELS	1024

struct jx {
	const char		*name;
	struct conf		*c;
	struct conf_diag	*d;
	bool			 has_gkcp;	/* transport.kcpSettings */
	struct conf_kcp		 gkcp;
	bool			 has_gws;	/* transport.wsSettings */
	struct conf_ws		 gws;
	bool			 has_gh2;	/* transport.httpSettings */
	struct conf_h2		 gh2;
};

static void	jx_err(struct jx *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	jx_warn(struct jx *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
jx_err(struct jx *x, const char *path, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path == NULL || *path == '\0')
		conf_err(x->d, "%s: %s", x->name, msg);
	else
		conf_err(x->d, "%s: %s: %s", x->name, path, msg);
}

static void
jx_warn(struct jx *x, const char *path, const char *fmt, ...)
{
	char	msg[512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_warn(x->d, "%s: %s: %s", x->name, path, msg);
}

/* The value as JSON text, shortened, for messages. */
static const char *
jx_show(struct json_object *v, char *buf, size_t size)
{
	const char	*s;
	size_t		 n;

	s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL)
		s = "?";
	n = strlen(s);
	if (n < size) {
		memcpy(buf, s, n + 1);
		return buf;
	}
	snprintf(buf, size, "%.*s...", (int)(size - 4), s);
	return buf;
}

/* buf may be parent itself: "a.b" then becomes "a.b.key". */
static void
jx_path(char *buf, const char *parent, const char *key)
{
	char	tmp[JX_PATH];
	int	n;

	if (parent == NULL || *parent == '\0')
		n = snprintf(tmp, sizeof(tmp), "%s", key);
	else
		n = snprintf(tmp, sizeof(tmp), "%s.%s", parent, key);
	if (n >= JX_PATH)
		tmp[JX_PATH - 2] = '~';
	memcpy(buf, tmp, sizeof(tmp));
}

static void
jx_pathi(char *buf, const char *parent, size_t i)
{
	/* A path too deep to fit is cut; the message still points near. */
	if (snprintf(buf, JX_PATH, "%s[%zu]", parent, i) >= JX_PATH)
		buf[JX_PATH - 2] = '~';
}

static const char *
jx_typename(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a fractional number";
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "?";
}

static void
jx_type_err(struct jx *x, const char *path, const char *want,
    struct json_object *v)
{
	char	show[JX_SHOW];

	jx_err(x, path, "expected %s, got %s %s", want, jx_typename(v),
	    jx_show(v, show, sizeof(show)));
}

/*
 * Go's encoding/json matches keys case-insensitively and lets a later
 * duplicate overwrite an earlier one; so the last folding match wins.
 */
static struct json_object *
jx_get(struct json_object *o, const char *key)
{
	struct json_object_iterator	 it, end;
	struct json_object		*found = NULL;

	if (!json_object_is_type(o, json_type_object))
		return NULL;
	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	for (; !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it))
		if (strcasecmp(json_object_iter_peek_name(&it), key) == 0)
			found = json_object_iter_peek_value(&it);
	return found;
}

/* Present and not null: V2Ray treats `"key": null` as absent. */
static struct json_object *
jx_has(struct json_object *o, const char *key)
{
	struct json_object	*v = jx_get(o, key);

	return json_object_is_type(v, json_type_null) ? NULL : v;
}

static void
jx_unknown_keys(struct jx *x, struct json_object *o, const char *path,
    const char *const *known)
{
	struct json_object_iterator	 it, end;
	const char *const		*k;
	const char			*name;
	char				 p[JX_PATH];

	it = json_object_iter_begin(o);
	end = json_object_iter_end(o);
	for (; !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		name = json_object_iter_peek_name(&it);
		for (k = known; *k != NULL; k++)
			if (strcasecmp(name, *k) == 0)
				break;
		if (*k == NULL) {
			jx_path(p, path, name);
			jx_warn(x, p, "unknown key, ignored");
		}
	}
}

/* Is v an object? Otherwise report it; null counts as an empty object. */
static bool
jx_obj(struct jx *x, struct json_object *v, const char *path)
{
	if (json_object_is_type(v, json_type_object))
		return true;
	if (v != NULL && !json_object_is_type(v, json_type_null))
		jx_type_err(x, path, "an object", v);
	return false;
}

static bool
jx_arr(struct jx *x, struct json_object *v, const char *path)
{
	if (json_object_is_type(v, json_type_array))
		return true;
	if (v != NULL && !json_object_is_type(v, json_type_null))
		jx_type_err(x, path, "an array", v);
	return false;
}

/* String member: 1 when stored into *out, 0 absent, -1 wrong type. */
static int
jx_str(struct jx *x, struct json_object *o, const char *path,
    const char *key, char **out)
{
	struct json_object	*v = jx_has(o, key);
	char			 p[JX_PATH];

	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		jx_path(p, path, key);
		jx_type_err(x, p, "a string", v);
		return -1;
	}
	free(*out);
	*out = xstrdup(json_object_get_string(v));
	return 1;
}

/* A string member only to look at; NULL when absent or mistyped. */
static const char *
jx_cstr(struct jx *x, struct json_object *o, const char *path,
    const char *key)
{
	struct json_object	*v = jx_has(o, key);
	char			 p[JX_PATH];

	if (v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string)) {
		jx_path(p, path, key);
		jx_type_err(x, p, "a string", v);
		return NULL;
	}
	return json_object_get_string(v);
}

static int
jx_bool(struct jx *x, struct json_object *o, const char *path,
    const char *key, bool *out)
{
	struct json_object	*v = jx_has(o, key);
	char			 p[JX_PATH];

	if (v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		jx_path(p, path, key);
		jx_type_err(x, p, "true or false", v);
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 1;
}

/* Integer member within [min, max]; Go refuses fractions and overflow. */
static int
jx_int(struct jx *x, struct json_object *o, const char *path,
    const char *key, int64_t min, int64_t max, int64_t *out)
{
	struct json_object	*v = jx_has(o, key);
	char			 p[JX_PATH], show[JX_SHOW];
	int64_t			 n;

	if (v == NULL)
		return 0;
	jx_path(p, path, key);
	if (!json_object_is_type(v, json_type_int)) {
		jx_type_err(x, p, "an integer", v);
		return -1;
	}
	n = json_object_get_int64(v);
	if (n < min || n > max ||
	    (n == INT64_MAX && json_object_get_uint64(v) != (uint64_t)n)) {
		jx_err(x, p, "%s out of range %lld..%lld",
		    jx_show(v, show, sizeof(show)), (long long)min,
		    (long long)max);
		return -1;
	}
	*out = n;
	return 1;
}

static int
jx_uint32(struct jx *x, struct json_object *o, const char *path,
    const char *key, uint32_t *out)
{
	int64_t	n;
	int	r;

	if ((r = jx_int(x, o, path, key, 0, UINT32_MAX, &n)) == 1)
		*out = (uint32_t)n;
	return r;
}

static int
jx_intr(struct jx *x, struct json_object *o, const char *path,
    const char *key, int min, int max, int *out)
{
	int64_t	n;
	int	r;

	if ((r = jx_int(x, o, path, key, min, max, &n)) == 1)
		*out = (int)n;
	return r;
}

/*
 * V2Ray's StringList: an array of strings, or one string split on commas.
 * Appends to sv.
 */
static int
jx_strlist(struct jx *x, struct json_object *o, const char *path,
    const char *key, struct conf_strv *sv)
{
	struct json_object	*v = jx_has(o, key), *e;
	char			 p[JX_PATH], pi[JX_PATH];
	const char		*s, *q;
	char			*item;
	size_t			 i, n;

	if (v == NULL)
		return 0;
	jx_path(p, path, key);
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		for (;; s = q + 1) {
			q = strchr(s, ',');
			n = q ? (size_t)(q - s) : strlen(s);
			item = xmalloc(n + 1);
			memcpy(item, s, n);
			item[n] = '\0';
			conf_strv_push(sv, item);
			free(item);
			if (q == NULL)
				break;
		}
		return 1;
	}
	if (!json_object_is_type(v, json_type_array)) {
		jx_type_err(x, p, "a string or an array of strings", v);
		return -1;
	}
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string)) {
			jx_pathi(pi, p, i);
			jx_type_err(x, pi, "a string", e);
			continue;
		}
		conf_strv_push(sv, json_object_get_string(e));
	}
	return 1;
}

/* "tcp", "udp", "tcp,udp" or an array of those. */
static int
jx_network(struct jx *x, struct json_object *o, const char *path,
    const char *key, unsigned *bits)
{
	struct conf_strv	 sv = { NULL, 0 };
	char			 p[JX_PATH];
	unsigned		 r = 0, b;
	size_t			 i;
	int			 rv;

	if ((rv = jx_strlist(x, o, path, key, &sv)) != 1)
		return rv;
	jx_path(p, path, key);
	for (i = 0; i < sv.n; i++) {
		if (conf_network_parse(sv.v[i], &b) == -1) {
			jx_err(x, p, "unknown network \"%s\"", sv.v[i]);
			rv = -1;
		} else
			r |= b;
	}
	conf_strv_free(&sv);
	if (rv == 1)
		*bits = r;
	return rv;
}

/* Explain why conf_ports_parse() refused s. */
static void
jx_port_text_err(struct jx *x, const char *path, const char *s)
{
	unsigned long	 a, b;
	char		*e;

	if (*s >= '0' && *s <= '9') {
		a = strtoul(s, &e, 10);
		if (*e == '\0' && a > 65535) {
			jx_err(x, path, "port %s out of range 1..65535", s);
			return;
		}
		if (*e == '-' && e[1] >= '0' && e[1] <= '9') {
			b = strtoul(e + 1, &e, 10);
			if (*e == '\0') {
				if (a > 65535 || b > 65535)
					jx_err(x, path, "port range %s out of "
					    "range 1..65535", s);
				else if (a > b)
					jx_err(x, path, "invalid port range "
					    "%s: %lu > %lu (reversed)", s, a,
					    b);
				else
					jx_err(x, path, "port range %s "
					    "includes port 0", s);
				return;
			}
		}
	}
	jx_err(x, path, "invalid port \"%.64s\"", s);
}

/* Port: number, "N", "A-B" or "env:NAME" (whose value may be a range). */
static int
jx_ports(struct jx *x, struct json_object *v, const char *path,
    struct conf_ports *out)
{
	const char	*s, *env;
	char		 show[JX_SHOW];
	int64_t		 n;

	if (json_object_is_type(v, json_type_int)) {
		n = json_object_get_int64(v);
		if (n < 0 || n > 65535) {
			jx_err(x, path, "port %s out of range 1..65535",
			    jx_show(v, show, sizeof(show)));
			return -1;
		}
		out->from = out->to = (uint16_t)n;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string)) {
		jx_type_err(x, path, "a port (number or string)", v);
		return -1;
	}
	s = json_object_get_string(v);
	if (strncasecmp(s, "env:", 4) == 0) {
		if ((env = getenv(s + 4)) == NULL || s[4] == '\0') {
			jx_err(x, path, "environment variable \"%.64s\" (from "
			    "%s) is not set", s + 4, jx_show(v, show,
			    sizeof(show)));
			return -1;
		}
		if (conf_ports_parse(env, out) == -1) {
			jx_port_text_err(x, path, env);
			return -1;
		}
		return 0;
	}
	if (conf_ports_parse(s, out) == -1) {
		jx_port_text_err(x, path, s);
		return -1;
	}
	return 0;
}

/* A single uint16 port given as a number (dokodemo, vnext). */
static int
jx_port16(struct jx *x, struct json_object *o, const char *path,
    const char *key, uint16_t *out)
{
	struct json_object	*v = jx_has(o, key);
	struct conf_ports	 pr;
	char			 p[JX_PATH];

	if (v == NULL)
		return 0;
	jx_path(p, path, key);
	if (jx_ports(x, v, p, &pr) == -1)
		return -1;
	if (pr.from != pr.to) {
		jx_err(x, p, "expected one port, got range %u-%u",
		    pr.from, pr.to);
		return -1;
	}
	*out = pr.from;
	return 1;
}

/* Level numbers are bytes in 4.34's user objects. */
static int
jx_level(struct jx *x, struct json_object *o, const char *path,
    uint32_t *out)
{
	int64_t	n;
	int	r;

	if ((r = jx_int(x, o, path, "level", 0, 255, &n)) == 1)
		*out = (uint32_t)n;
	return r;
}

static void
jx_log(struct jx *x, struct json_object *v)
{
	static const char *const known[] = { "access", "error", "loglevel",
	    NULL };
	struct conf_log		*l = &x->c->log;
	const char		*s;

	if (!jx_obj(x, v, "log"))
		return;
	jx_unknown_keys(x, v, "log", known);
	/* With a `log` object, an empty or missing path means the console. */
	l->access_dest = CONF_LOGDEST_CONSOLE;
	l->error_dest = CONF_LOGDEST_CONSOLE;
	if ((s = jx_cstr(x, v, "log", "access")) != NULL && *s != '\0') {
		if (strcasecmp(s, "none") == 0)
			l->access_dest = CONF_LOGDEST_OFF;
		else {
			l->access_dest = CONF_LOGDEST_FILE;
			free(l->access_path);
			l->access_path = xstrdup(s);
		}
	}
	if ((s = jx_cstr(x, v, "log", "error")) != NULL && *s != '\0') {
		if (strcasecmp(s, "none") == 0)
			l->error_dest = CONF_LOGDEST_OFF;
		else {
			l->error_dest = CONF_LOGDEST_FILE;
			free(l->error_path);
			l->error_path = xstrdup(s);
		}
	}
	if ((s = jx_cstr(x, v, "log", "loglevel")) != NULL &&
	    conf_loglevel_parse(s, &l->level) == -1) {
		jx_warn(x, "log.loglevel", "unknown level \"%.64s\", using "
		    "warning", s);
		l->level = CONF_LOG_WARNING;
	}
	if (l->level == CONF_LOG_NONE) {
		l->access_dest = CONF_LOGDEST_OFF;
		l->error_dest = CONF_LOGDEST_OFF;
	}
}

static void
jx_policy(struct jx *x, struct json_object *v)
{
	static const char *const known[] = { "levels", "system", NULL };
	static const char *const lknown[] = { "handshake", "connIdle",
	    "uplinkOnly", "downlinkOnly", "statsUserUplink",
	    "statsUserDownlink", "bufferSize", NULL };
	/* 4.34's system switches, then ours (last). */
	static const char *const sknown[] = { "statsInboundUplink",
	    "statsInboundDownlink", "statsOutboundUplink",
	    "statsOutboundDownlink", "handshakePerSource", NULL };
	struct json_object_iterator	 it, end;
	struct json_object		*levels, *lv, *sys;
	struct conf_level		*l;
	const char			*key;
	char				 p[JX_PATH], *e;
	unsigned long			 n;
	int				 bs;

	if (!jx_obj(x, v, "policy"))
		return;
	jx_unknown_keys(x, v, "policy", known);
	if ((sys = jx_has(v, "system")) != NULL &&
	    jx_obj(x, sys, "policy.system")) {
		jx_unknown_keys(x, sys, "policy.system", sknown);
		jx_bool(x, sys, "policy.system", sknown[0],
		    &x->c->stats_in_up);
		jx_bool(x, sys, "policy.system", sknown[1],
		    &x->c->stats_in_down);
		jx_bool(x, sys, "policy.system", sknown[2],
		    &x->c->stats_out_up);
		jx_bool(x, sys, "policy.system", sknown[3],
		    &x->c->stats_out_down);
		/* A vtools key (V2Ray ignores it): 0 = no cap. */
		jx_intr(x, sys, "policy.system", "handshakePerSource", 0,
		    CONF_HS_PER_SOURCE_MAX, &x->c->hs_per_source);
	}
	if ((levels = jx_has(v, "levels")) == NULL ||
	    !jx_obj(x, levels, "policy.levels"))
		return;
	/* Levels are looked up linearly; real configs have a handful. */
	if (json_object_object_length(levels) > JX_MAX_LEVELS) {
		jx_err(x, "policy.levels", "%d levels, more than %d",
		    json_object_object_length(levels), JX_MAX_LEVELS);
		return;
	}
	it = json_object_iter_begin(levels);
	end = json_object_iter_end(levels);
	for (; !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		key = json_object_iter_peek_name(&it);
		lv = json_object_iter_peek_value(&it);
		snprintf(p, sizeof(p), "policy.levels.%s", key);
		n = strtoul(key, &e, 10);
		if (*key < '0' || *key > '9' || *e != '\0' ||
		    n > UINT32_MAX || strlen(key) > 10) {
			jx_err(x, p, "level must be a decimal number");
			continue;
		}
		if (!jx_obj(x, lv, p))
			continue;
		jx_unknown_keys(x, lv, p, lknown);
		l = conf_get_level(x->c, (uint32_t)n, true);
		jx_intr(x, lv, p, "handshake", 0, INT32_MAX, &l->handshake);
		jx_intr(x, lv, p, "connIdle", 0, INT32_MAX, &l->conn_idle);
		jx_intr(x, lv, p, "uplinkOnly", 0, INT32_MAX,
		    &l->uplink_only);
		jx_intr(x, lv, p, "downlinkOnly", 0, INT32_MAX,
		    &l->downlink_only);
		jx_bool(x, lv, p, "statsUserUplink", &l->stats_user_up);
		jx_bool(x, lv, p, "statsUserDownlink", &l->stats_user_down);
		if (jx_intr(x, lv, p, "bufferSize", INT32_MIN, INT32_MAX,
		    &bs) == 1)
			l->buffer_size = bs < 0 ? -1 : bs;
	}
}

/*
 * "stats" turns V2Ray's counters on (the policy switches choose which);
 * "metrics" (ours) serves them. V2Ray's gRPC "api" is refused, not
 * half-read: its clients (v2ctl api, panels) would find nothing there.
 */
static void
jx_stats(struct jx *x, struct json_object *top)
{
	static const char *const mknown[] = { "listen", "user", "password",
	    "resetOnReload", NULL };
	struct json_object	*v;

	if ((v = jx_has(top, "stats")) != NULL && jx_obj(x, v, "stats")) {
		x->c->stats = true;
		if (json_object_object_length(v) > 0)
			jx_warn(x, "stats", "4.34's stats object has no keys; "
			    "ignored");
	}
	if (jx_has(top, "api") != NULL)
		jx_err(x, "api", "V2Ray's gRPC API (StatsService, v2ctl api) "
		    "is not served; remove it and read the counters from "
		    "\"metrics\": {\"listen\": \"127.0.0.1:9100\"} "
		    "(Prometheus text at /metrics, a status page at /, JSON at "
		    "/status.json)");
	if ((v = jx_has(top, "metrics")) == NULL || !jx_obj(x, v, "metrics"))
		return;
	jx_unknown_keys(x, v, "metrics", mknown);
	jx_str(x, v, "metrics", "listen", &x->c->metrics.listen);
	jx_str(x, v, "metrics", "user", &x->c->metrics.user);
	jx_str(x, v, "metrics", "password", &x->c->metrics.password);
	jx_bool(x, v, "metrics", "resetOnReload",
	    &x->c->metrics.reset_on_reload);
}

static char *
jx_lower(const char *s)
{
	char	*r = xstrdup(s), *q;

	for (q = r; *q != '\0'; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
	return r;
}

static void
jx_kcp(struct jx *x, struct json_object *v, const char *path,
    struct conf_kcp *k)
{
	static const char *const known[] = { "mtu", "tti", "uplinkCapacity",
	    "downlinkCapacity", "congestion", "readBufferSize",
	    "writeBufferSize", "header", "seed", NULL };
	struct json_object	*h;
	char			 p[JX_PATH];
	const char		*s;
	int64_t			 n;

	if (!jx_obj(x, v, path))
		return;
	jx_unknown_keys(x, v, path, known);
	if (jx_int(x, v, path, "mtu", 0, UINT32_MAX, &n) == 1) {
		if (n < 576 || n > 1460) {
			jx_path(p, path, "mtu");
			jx_err(x, p, "invalid mKCP MTU size: %lld (must be "
			    "576..1460)", (long long)n);
		} else
			k->mtu = (int)n;
	}
	if (jx_int(x, v, path, "tti", 0, UINT32_MAX, &n) == 1) {
		if (n < 10 || n > 100) {
			jx_path(p, path, "tti");
			jx_err(x, p, "invalid mKCP TTI: %lld (must be "
			    "10..100)", (long long)n);
		} else
			k->tti = (int)n;
	}
	jx_intr(x, v, path, "uplinkCapacity", 0, INT32_MAX,
	    &k->uplink_capacity);
	jx_intr(x, v, path, "downlinkCapacity", 0, INT32_MAX,
	    &k->downlink_capacity);
	jx_bool(x, v, path, "congestion", &k->congestion);
	jx_intr(x, v, path, "readBufferSize", 0, INT32_MAX,
	    &k->read_buffer_size);
	jx_intr(x, v, path, "writeBufferSize", 0, INT32_MAX,
	    &k->write_buffer_size);
	jx_str(x, v, path, "seed", &k->seed);
	if ((h = jx_has(v, "header")) != NULL) {
		jx_path(p, path, "header");
		if (jx_obj(x, h, p)) {
			static const char *const hknown[] = { "type",
			    "request", "response", NULL };

			jx_unknown_keys(x, h, p, hknown);
			if ((s = jx_cstr(x, h, p, "type")) != NULL) {
				jx_path(p, p, "type");
				if (conf_kcp_header_valid(s) == -1)
					jx_err(x, p, "unknown mKCP header "
					    "type \"%.64s\"", s);
				else {
					free(k->header_type);
					k->header_type = jx_lower(s);
				}
			}
		}
	}
}

/* An inline certificate or key: an array of lines joined with "\n". */
static char *
jx_lines(struct jx *x, struct json_object *o, const char *path,
    const char *key)
{
	struct json_object	*v = jx_has(o, key), *e;
	char			 p[JX_PATH], pi[JX_PATH];
	char			*r = NULL;
	size_t			 i, n, len = 0, l;

	if (v == NULL)
		return NULL;
	jx_path(p, path, key);
	if (json_object_is_type(v, json_type_string))
		return xstrdup(json_object_get_string(v));
	if (!jx_arr(x, v, p))
		return NULL;
	n = json_object_array_length(v);
	r = xstrdup("");
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string)) {
			jx_pathi(pi, p, i);
			jx_type_err(x, pi, "a string", e);
			continue;
		}
		l = strlen(json_object_get_string(e));
		r = xrealloc(r, len + l + 2);
		if (i > 0)
			r[len++] = '\n';
		memcpy(r + len, json_object_get_string(e), l + 1);
		len += l;
	}
	return r;
}

static void
jx_tls(struct jx *x, struct json_object *v, const char *path,
    struct conf_tls *t)
{
	static const char *const known[] = { "serverName", "allowInsecure",
	    "alpn", "certificates", "disableSystemRoot",
	    "enableSessionResumption", "allowInsecureCiphers", NULL };
	static const char *const cknown[] = { "usage", "certificateFile",
	    "certificate", "keyFile", "key", "ocspStapling",
	    "OneTimeLoading", NULL };
	struct json_object	*cv, *e;
	struct conf_cert	*c;
	const char		*s;
	char			 p[JX_PATH], pi[JX_PATH];
	size_t			 i, n;

	if (!jx_obj(x, v, path))
		return;
	jx_unknown_keys(x, v, path, known);
	jx_str(x, v, path, "serverName", &t->server_name);
	if (t->server_name != NULL &&
	    strncmp(t->server_name, "experiment:", 11) == 0) {
		/* 4.34 strips such a prefix (a switch for experiments). */
		const char *rest = strchr(t->server_name + 11, ':');
		char *sn = xstrdup(rest != NULL ? rest + 1 : "");

		free(t->server_name);
		t->server_name = sn;
	}
	if (t->server_name != NULL && *t->server_name == '\0') {
		free(t->server_name);
		t->server_name = NULL;
	}
	jx_bool(x, v, path, "allowInsecure", &t->allow_insecure);
	jx_bool(x, v, path, "disableSystemRoot", &t->disable_system_root);
	conf_strv_free(&t->alpn);
	if (jx_strlist(x, v, path, "alpn", &t->alpn) == 1)
		t->has_alpn = true;
	jx_path(p, path, "certificates");
	if ((cv = jx_has(v, "certificates")) == NULL || !jx_arr(x, cv, p))
		return;
	n = json_object_array_length(cv);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(cv, i);
		jx_pathi(pi, p, i);
		if (!jx_obj(x, e, pi))
			continue;
		jx_unknown_keys(x, e, pi, cknown);
		c = conf_tls_add_cert(t);
		if ((s = jx_cstr(x, e, pi, "usage")) != NULL) {
			char	pu[JX_PATH];

			jx_path(pu, pi, "usage");
			if (*s == '\0' || strcasecmp(s, "encipherment") == 0)
				c->usage = CONF_CERT_ENCIPHERMENT;
			else if (strcasecmp(s, "verify") == 0)
				c->usage = CONF_CERT_VERIFY;
			else if (strcasecmp(s, "issue") == 0)
				jx_err(x, pu, "usage \"issue\" (a CA that "
				    "mints certificates) not supported; "
				    "give a certificate and its key with "
				    "usage \"encipherment\"");
			else
				jx_err(x, pu, "unknown usage \"%.64s\" "
				    "(encipherment or verify)", s);
		}
		jx_str(x, e, pi, "certificateFile", &c->cert_file);
		jx_str(x, e, pi, "keyFile", &c->key_file);
		c->cert_pem = jx_lines(x, e, pi, "certificate");
		c->key_pem = jx_lines(x, e, pi, "key");
		if (c->cert_file == NULL && c->cert_pem == NULL)
			jx_err(x, pi, "a certificate needs certificateFile "
			    "or certificate");
	}
}

/* header.request/response "headers": name to a StringList, sorted. */
static void
jx_http_fields(struct jx *x, struct json_object *o, const char *path,
    struct conf_http_field **fields, size_t *n)
{
	struct json_object_iterator	 it, end;
	struct json_object		*hv;
	struct conf_http_field		*f;
	const char			*name;
	char				 p[JX_PATH], pk[JX_PATH];

	if ((hv = jx_has(o, "headers")) == NULL)
		return;
	jx_path(p, path, "headers");
	if (!jx_obj(x, hv, p))
		return;
	it = json_object_iter_begin(hv);
	end = json_object_iter_end(hv);
	for (; !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		name = json_object_iter_peek_name(&it);
		jx_path(pk, p, name);
		if (json_object_is_type(json_object_iter_peek_value(&it),
		    json_type_null)) {
			jx_err(x, pk, "empty HTTP header value");
			continue;
		}
		if (*name == '\0' || strpbrk(name, ": \t\r\n") != NULL) {
			jx_err(x, pk, "not an HTTP header name");
			continue;
		}
		f = conf_http_field_get(fields, n, name);
		jx_strlist(x, hv, p, name, &f->values);
	}
	conf_http_fields_sort(*fields, *n);
}

/* A header line's text must not break the header it goes into. */
static void
jx_http_text(struct jx *x, struct json_object *o, const char *path,
    const char *key, char **out)
{
	char	 p[JX_PATH];

	if (jx_str(x, o, path, key, out) == 1 && strpbrk(*out, "\r\n") !=
	    NULL) {
		jx_path(p, path, key);
		jx_err(x, p, "holds a line break");
	}
}

/* tcpSettings: acceptProxyProtocol and header (type none or http). */
static void
jx_tcp(struct jx *x, struct json_object *v, const char *path,
    struct conf_tcp *t)
{
	static const char *const known[] = { "header",
	    "acceptProxyProtocol", NULL };
	static const char *const hknown[] = { "type", "request", "response",
	    NULL };
	static const char *const rqknown[] = { "version", "method", "path",
	    "headers", NULL };
	static const char *const rsknown[] = { "version", "status", "reason",
	    "headers", NULL };
	struct json_object	*hv, *rv;
	const char		*s;
	char			 p[JX_PATH], pr[JX_PATH];
	size_t			 i;

	if (!jx_obj(x, v, path))
		return;
	jx_unknown_keys(x, v, path, known);
	jx_bool(x, v, path, "acceptProxyProtocol", &t->accept_proxy_protocol);
	if ((hv = jx_has(v, "header")) == NULL)
		return;
	jx_path(p, path, "header");
	if (!jx_obj(x, hv, p))
		return;
	jx_unknown_keys(x, hv, p, hknown);
	if ((s = jx_cstr(x, hv, p, "type")) == NULL) {
		if (jx_has(hv, "type") == NULL)
			jx_err(x, p, "type is missing (none or http)");
		return;
	}
	if (strcasecmp(s, "none") == 0)
		return;
	if (strcasecmp(s, "http") != 0) {
		jx_path(pr, p, "type");
		jx_err(x, pr, "unknown tcp header type \"%.64s\" (none or "
		    "http)", s);
		return;
	}
	t->http_header = true;
	if ((rv = jx_has(hv, "request")) != NULL) {
		jx_path(pr, p, "request");
		if (jx_obj(x, rv, pr)) {
			jx_unknown_keys(x, rv, pr, rqknown);
			jx_http_text(x, rv, pr, "version", &t->req.version);
			jx_http_text(x, rv, pr, "method", &t->req.method);
			jx_strlist(x, rv, pr, "path", &t->req.path);
			for (i = 0; i < t->req.path.n; i++)
				if (strpbrk(t->req.path.v[i], " \r\n") !=
				    NULL) {
					jx_path(p, pr, "path");
					jx_err(x, p, "a path holds a blank or "
					    "line break");
					break;
				}
			jx_http_fields(x, rv, pr, &t->req.fields,
			    &t->req.nfields);
		}
	}
	if ((rv = jx_has(hv, "response")) != NULL) {
		jx_path(pr, p, "response");
		if (jx_obj(x, rv, pr)) {
			jx_unknown_keys(x, rv, pr, rsknown);
			jx_http_text(x, rv, pr, "version", &t->resp.version);
			jx_http_text(x, rv, pr, "status", &t->resp.status);
			jx_http_text(x, rv, pr, "reason", &t->resp.reason);
			jx_http_fields(x, rv, pr, &t->resp.fields,
			    &t->resp.nfields);
		}
	}
}

/*
 * wsSettings. Header names keep their case (the dialer writes them in
 * Go's canonical form); Host goes apart, as it replaces the default.
 */
static void
jx_ws(struct jx *x, struct json_object *v, const char *path,
    struct conf_ws *w)
{
	static const char *const known[] = { "path", "headers",
	    "acceptProxyProtocol", NULL };
	struct json_object_iterator	 it, end;
	struct json_object		*hv, *e;
	const char			*name;
	char				 p[JX_PATH], ph[JX_PATH];

	if (!jx_obj(x, v, path))
		return;
	jx_unknown_keys(x, v, path, known);
	free(w->path);
	w->path = NULL;
	jx_str(x, v, path, "path", &w->path);
	jx_bool(x, v, path, "acceptProxyProtocol",
	    &w->accept_proxy_protocol);
	jx_path(p, path, "headers");
	if ((hv = jx_has(v, "headers")) == NULL || !jx_obj(x, hv, p))
		return;
	it = json_object_iter_begin(hv);
	end = json_object_iter_end(hv);
	for (; !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		name = json_object_iter_peek_name(&it);
		e = json_object_iter_peek_value(&it);
		jx_path(ph, p, name);
		if (!json_object_is_type(e, json_type_string)) {
			jx_type_err(x, ph, "a string", e);
			continue;
		}
		if (*name == '\0' || strpbrk(name, " \t\r\n:") != NULL ||
		    strpbrk(json_object_get_string(e), "\r\n") != NULL) {
			jx_err(x, ph, "not a valid HTTP header");
			continue;
		}
		if (strcasecmp(name, "Host") == 0) {
			free(w->host);
			w->host = xstrdup(json_object_get_string(e));
			continue;
		}
		conf_strv_push(&w->hdr_names, name);
		conf_strv_push(&w->hdr_values, json_object_get_string(e));
	}
}

static void
jx_ws_copy(struct conf_ws *dst, const struct conf_ws *src)
{
	size_t	 i;

	dst->path = src->path != NULL ? xstrdup(src->path) : NULL;
	dst->host = src->host != NULL ? xstrdup(src->host) : NULL;
	dst->accept_proxy_protocol = src->accept_proxy_protocol;
	for (i = 0; i < src->hdr_names.n; i++) {
		conf_strv_push(&dst->hdr_names, src->hdr_names.v[i]);
		conf_strv_push(&dst->hdr_values, src->hdr_values.v[i]);
	}
}

static void
jx_ws_cleanup(struct conf_ws *w)
{
	free(w->path);
	free(w->host);
	conf_strv_free(&w->hdr_names);
	conf_strv_free(&w->hdr_values);
	memset(w, 0, sizeof(*w));
}

/* httpSettings: host (a list, or a string split at commas) and path. */
static void
jx_h2(struct jx *x, struct json_object *v, const char *path,
    struct conf_h2 *h)
{
	static const char *const known[] = { "host", "path", NULL };

	if (!jx_obj(x, v, path))
		return;
	jx_unknown_keys(x, v, path, known);
	jx_strlist(x, v, path, "host", &h->host);
	jx_str(x, v, path, "path", &h->path);
}

static void
jx_h2_copy(struct conf_h2 *dst, const struct conf_h2 *src)
{
	size_t	 i;

	for (i = 0; i < src->host.n; i++)
		conf_strv_push(&dst->host, src->host.v[i]);
	dst->path = src->path != NULL ? xstrdup(src->path) : NULL;
}

static void
jx_stream(struct jx *x, struct json_object *v, const char *path,
    struct conf_stream *st)
{
	static const char *const known[] = { "network", "security",
	    "tlsSettings", "tcpSettings", "kcpSettings", "wsSettings",
	    "httpSettings", "dsSettings", "quicSettings", "sockopt", NULL };
	struct json_object	*kv, *tv;
	const char		*s;
	char			 p[JX_PATH];

	if (x->has_gkcp)
		conf_kcp_copy(&st->kcp, &x->gkcp);
	if (x->has_gws && jx_has(v, "wsSettings") == NULL)
		jx_ws_copy(&st->ws, &x->gws);
	if (x->has_gh2 && jx_has(v, "httpSettings") == NULL)
		jx_h2_copy(&st->h2, &x->gh2);
	if (v == NULL)
		return;
	if (!jx_obj(x, v, path))
		return;
	jx_unknown_keys(x, v, path, known);
	if ((s = jx_cstr(x, v, path, "network")) != NULL) {
		jx_path(p, path, "network");
		if (*s == '\0' || strcasecmp(s, "tcp") == 0)
			st->network = CONF_NET_TCP;
		else if (strcasecmp(s, "kcp") == 0 ||
		    strcasecmp(s, "mkcp") == 0)
			st->network = CONF_NET_KCP;
		else if (strcasecmp(s, "ws") == 0 ||
		    strcasecmp(s, "websocket") == 0)
			st->network = CONF_NET_WS;
		else if (strcasecmp(s, "h2") == 0 ||
		    strcasecmp(s, "http") == 0)
			st->network = CONF_NET_H2;
		else if (strcasecmp(s, "ds") == 0 ||
		    strcasecmp(s, "domainsocket") == 0 ||
		    strcasecmp(s, "quic") == 0)
			jx_err(x, p, "network %.64s not supported (tcp, kcp, "
			    "ws and http only)", s);
		else
			jx_err(x, p, "unknown network \"%.64s\"", s);
	}
	if ((s = jx_cstr(x, v, path, "security")) != NULL) {
		jx_path(p, path, "security");
		/* 4.34 enables TLS for "tls" only and ignores the rest. */
		if (strcasecmp(s, "tls") == 0)
			st->tls = true;
		else if (*s != '\0' && strcasecmp(s, "none") != 0)
			jx_warn(x, p, "security \"%.64s\" means no TLS, "
			    "ignored", s);
	}
	if ((tv = jx_has(v, "tlsSettings")) != NULL) {
		jx_path(p, path, "tlsSettings");
		jx_tls(x, tv, p, &st->tlss);
	}
	if (jx_has(v, "sockopt") != NULL) {
		jx_path(p, path, "sockopt");
		jx_warn(x, p, "not supported, ignored");
	}
	if ((tv = jx_has(v, "tcpSettings")) != NULL) {
		jx_path(p, path, "tcpSettings");
		jx_tcp(x, tv, p, &st->tcp);
	}
	if ((kv = jx_has(v, "wsSettings")) != NULL) {
		/* Own wsSettings replace the global ones as a whole. */
		jx_ws_cleanup(&st->ws);
		jx_path(p, path, "wsSettings");
		jx_ws(x, kv, p, &st->ws);
	}
	if ((kv = jx_has(v, "httpSettings")) != NULL) {
		jx_path(p, path, "httpSettings");
		jx_h2(x, kv, p, &st->h2);
	}
	if ((kv = jx_has(v, "kcpSettings")) != NULL) {
		/* Own kcpSettings replace the global ones as a whole. */
		free(st->kcp.header_type);
		free(st->kcp.seed);
		conf_kcp_init(&st->kcp);
		jx_path(p, path, "kcpSettings");
		jx_kcp(x, kv, p, &st->kcp);
	}
}

static void
jx_user(struct jx *x, struct json_object *v, const char *path,
    struct conf_user *u, bool outbound)
{
	static const char *const known[] = { "id", "alterId", "level",
	    "email", "security", NULL };
	struct json_object	*idv;
	const char		*s;
	char			 p[JX_PATH], show[JX_SHOW];
	enum conf_security	 sec;

	if (!jx_obj(x, v, path))
		return;
	jx_unknown_keys(x, v, path, known);
	jx_path(p, path, "id");
	if ((idv = jx_has(v, "id")) == NULL)
		jx_err(x, p, "missing, a VMess user needs a UUID");
	else if (!json_object_is_type(idv, json_type_string))
		jx_type_err(x, p, "a UUID string", idv);
	else if (conf_uuid_parse(json_object_get_string(idv), u->uuid,
	    u->id) == -1)
		jx_err(x, p, "invalid UUID %s", jx_show(idv, show,
		    sizeof(show)));
	jx_intr(x, v, path, "alterId", 0, 65535, &u->alter_id);
	jx_level(x, v, path, &u->level);
	jx_str(x, v, path, "email", &u->email);
	if ((s = jx_cstr(x, v, path, "security")) != NULL) {
		jx_path(p, path, "security");
		if (conf_security_parse(s, &sec) == -1)
			jx_err(x, p, "unknown security \"%.64s\" (aes-128-gcm, "
			    "chacha20-poly1305, auto, none, zero)", s);
		else if (outbound)
			u->security = sec;
	}
}

/*
 * A list of {user, pass}: a socks or http inbound's accounts, or a socks or
 * http outbound server's users (which may also carry level and email).
 */
static void
jx_accounts_list(struct jx *x, struct json_object *v, const char *path,
    const char *key, const char *const *known, struct conf_account **arr,
    size_t *n)
{
	struct json_object	*av, *e;
	struct conf_account	*a;
	char			 p[JX_PATH], pi[JX_PATH];
	size_t			 i, len;

	jx_path(p, path, key);
	if ((av = jx_has(v, key)) == NULL || !jx_arr(x, av, p))
		return;
	len = json_object_array_length(av);
	for (i = 0; i < len; i++) {
		e = json_object_array_get_idx(av, i);
		jx_pathi(pi, p, i);
		if (!jx_obj(x, e, pi))
			continue;
		jx_unknown_keys(x, e, pi, known);
		a = conf_accounts_add(arr, n);
		jx_str(x, e, pi, "user", &a->user);
		jx_str(x, e, pi, "pass", &a->pass);
		if (a->user == NULL)
			a->user = xstrdup("");
		if (a->pass == NULL)
			a->pass = xstrdup("");
	}
}

/* accounts [{user, pass}] of a socks or http inbound. */
static void
jx_accounts(struct jx *x, struct json_object *v, const char *path,
    struct conf_inbound *in)
{
	static const char *const aknown[] = { "user", "pass", NULL };

	jx_accounts_list(x, v, path, "accounts", aknown, &in->accounts,
	    &in->naccounts);
}

static void
jx_socks_in(struct jx *x, struct json_object *v, const char *path,
    struct conf_inbound *in)
{
	static const char *const known[] = { "auth", "accounts", "udp", "ip",
	    "userLevel", "timeout", NULL };
	const char		*s;
	char			 p[JX_PATH];

	jx_unknown_keys(x, v, path, known);
	if ((s = jx_cstr(x, v, path, "auth")) != NULL) {
		jx_path(p, path, "auth");
		if (strcasecmp(s, "password") == 0)
			in->socks_password = true;
		else if (strcasecmp(s, "noauth") != 0 && *s != '\0')
			/* 4.34 silently treats it as noauth. */
			jx_warn(x, p, "unknown auth \"%.64s\", using noauth",
			    s);
	}
	jx_accounts(x, v, path, in);
	jx_bool(x, v, path, "udp", &in->socks_udp);
	jx_str(x, v, path, "ip", &in->socks_ip);
	jx_uint32(x, v, path, "userLevel", &in->user_level);
	/* Deprecated in 4.34 but still connIdle at level 0. */
	jx_intr(x, v, path, "timeout", 0, INT32_MAX, &in->http_timeout);
}

static void
jx_http_in(struct jx *x, struct json_object *v, const char *path,
    struct conf_inbound *in)
{
	static const char *const known[] = { "accounts", "allowTransparent",
	    "timeout", "userLevel", NULL };

	jx_unknown_keys(x, v, path, known);
	jx_accounts(x, v, path, in);
	jx_bool(x, v, path, "allowTransparent", &in->http_transparent);
	jx_intr(x, v, path, "timeout", 0, INT32_MAX, &in->http_timeout);
	jx_uint32(x, v, path, "userLevel", &in->user_level);
}

static void
jx_dokodemo_in(struct jx *x, struct json_object *v, const char *path,
    struct conf_inbound *in)
{
	static const char *const known[] = { "address", "port", "network",
	    "followRedirect", "userLevel", "timeout", NULL };

	jx_unknown_keys(x, v, path, known);
	jx_str(x, v, path, "address", &in->dk_address);
	jx_port16(x, v, path, "port", &in->dk_port);
	jx_network(x, v, path, "network", &in->dk_network);
	jx_bool(x, v, path, "followRedirect", &in->dk_follow_redirect);
	jx_uint32(x, v, path, "userLevel", &in->user_level);
	jx_intr(x, v, path, "timeout", 0, INT32_MAX, &in->http_timeout);
}

static void
jx_vmess_in(struct jx *x, struct json_object *v, const char *path,
    struct conf_inbound *in)
{
	static const char *const known[] = { "clients", "default", "detour",
	    "disableInsecureEncryption", NULL };
	static const char *const dknown[] = { "alterId", "level", NULL };
	static const char *const tknown[] = { "to", NULL };
	struct json_object	*cv, *dv;
	char			 p[JX_PATH], pi[JX_PATH];
	size_t			 i, n;

	jx_unknown_keys(x, v, path, known);
	jx_path(p, path, "clients");
	if ((cv = jx_has(v, "clients")) != NULL && jx_arr(x, cv, p)) {
		n = json_object_array_length(cv);
		for (i = 0; i < n; i++) {
			jx_pathi(pi, p, i);
			if (!jx_obj(x, json_object_array_get_idx(cv, i), pi))
				continue;
			jx_user(x, json_object_array_get_idx(cv, i), pi,
			    conf_inbound_add_client(in), false);
		}
	}
	jx_path(p, path, "default");
	if ((dv = jx_has(v, "default")) != NULL && jx_obj(x, dv, p)) {
		jx_unknown_keys(x, dv, p, dknown);
		in->has_default = true;
		jx_intr(x, dv, p, "alterId", 0, 65535, &in->default_alter_id);
		jx_level(x, dv, p, &in->default_level);
	}
	jx_path(p, path, "detour");
	if ((dv = jx_has(v, "detour")) != NULL && jx_obj(x, dv, p)) {
		jx_unknown_keys(x, dv, p, tknown);
		jx_str(x, dv, p, "to", &in->detour_to);
	}
	jx_bool(x, v, path, "disableInsecureEncryption",
	    &in->disable_insecure);
}

static void
jx_vmess_out(struct jx *x, struct json_object *v, const char *path,
    struct conf_outbound *out)
{
	static const char *const known[] = { "vnext", NULL };
	static const char *const sknown[] = { "address", "port", "users",
	    NULL };
	struct json_object	*vv, *e, *uv;
	struct conf_server	*srv;
	char			 p[JX_PATH], pi[JX_PATH], pu[JX_PATH];
	char			 pj[JX_PATH];
	size_t			 i, j, n, m;

	jx_unknown_keys(x, v, path, known);
	jx_path(p, path, "vnext");
	if ((vv = jx_has(v, "vnext")) == NULL || !jx_arr(x, vv, p))
		return;
	n = json_object_array_length(vv);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(vv, i);
		jx_pathi(pi, p, i);
		if (!jx_obj(x, e, pi))
			continue;
		jx_unknown_keys(x, e, pi, sknown);
		srv = conf_outbound_add_server(out);
		jx_str(x, e, pi, "address", &srv->address);
		jx_port16(x, e, pi, "port", &srv->port);
		jx_path(pu, pi, "users");
		if ((uv = jx_has(e, "users")) == NULL || !jx_arr(x, uv, pu))
			continue;
		m = json_object_array_length(uv);
		for (j = 0; j < m; j++) {
			jx_pathi(pj, pu, j);
			if (!jx_obj(x, json_object_array_get_idx(uv, j), pj))
				continue;
			jx_user(x, json_object_array_get_idx(uv, j), pj,
			    conf_server_add_user(srv), true);
		}
	}
}

/* socks and http outbounds: servers [{address, port, users [{user, pass}]}] */
static void
jx_proxy_out(struct jx *x, struct json_object *v, const char *path,
    struct conf_outbound *out)
{
	static const char *const known[] = { "servers", NULL };
	static const char *const sknown[] = { "address", "port", "users",
	    NULL };
	static const char *const uknown[] = { "user", "pass", "level",
	    "email", NULL };
	struct json_object	*vv, *e;
	struct conf_server	*srv;
	char			 p[JX_PATH], pi[JX_PATH];
	size_t			 i, n;

	jx_unknown_keys(x, v, path, known);
	jx_path(p, path, "servers");
	if ((vv = jx_has(v, "servers")) == NULL || !jx_arr(x, vv, p))
		return;
	n = json_object_array_length(vv);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(vv, i);
		jx_pathi(pi, p, i);
		if (!jx_obj(x, e, pi))
			continue;
		jx_unknown_keys(x, e, pi, sknown);
		srv = conf_outbound_add_server(out);
		jx_str(x, e, pi, "address", &srv->address);
		jx_port16(x, e, pi, "port", &srv->port);
		jx_accounts_list(x, e, pi, "users", uknown, &srv->accounts,
		    &srv->naccounts);
	}
}

static void
jx_freedom_out(struct jx *x, struct json_object *v, const char *path,
    struct conf_outbound *out)
{
	static const char *const known[] = { "domainStrategy", "redirect",
	    "userLevel", "timeout", NULL };
	const char	*s;
	char		 p[JX_PATH];

	jx_unknown_keys(x, v, path, known);
	if ((s = jx_cstr(x, v, path, "domainStrategy")) != NULL &&
	    conf_dstrategy_parse(s, &out->domain_strategy) == -1) {
		jx_path(p, path, "domainStrategy");
		jx_warn(x, p, "unknown domainStrategy \"%.64s\", using AsIs",
		    s);
		out->domain_strategy = CONF_DS_ASIS;
	}
	if (jx_str(x, v, path, "redirect", &out->redirect) == 1) {
		if (*out->redirect == '\0') {
			free(out->redirect);
			out->redirect = NULL;
		} else if (conf_redirect_valid(out->redirect) == -1) {
			jx_path(p, path, "redirect");
			jx_err(x, p, "invalid redirect \"%.64s\" (want "
			    "host:port or :port)", out->redirect);
		}
	}
	jx_uint32(x, v, path, "userLevel", &out->user_level);
	if (jx_has(v, "timeout") != NULL) {
		jx_path(p, path, "timeout");
		jx_warn(x, p, "deprecated, ignored; use policy connIdle");
	}
}

static void
jx_blackhole_out(struct jx *x, struct json_object *v, const char *path,
    struct conf_outbound *out)
{
	static const char *const known[] = { "response", NULL };
	static const char *const rknown[] = { "type", NULL };
	struct json_object	*rv;
	const char		*s;
	char			 p[JX_PATH];

	jx_unknown_keys(x, v, path, known);
	jx_path(p, path, "response");
	if ((rv = jx_has(v, "response")) == NULL || !jx_obj(x, rv, p))
		return;
	jx_unknown_keys(x, rv, p, rknown);
	if ((s = jx_cstr(x, rv, p, "type")) == NULL)
		return;
	if (strcasecmp(s, "http") == 0)
		out->bh_http = true;
	else if (strcasecmp(s, "none") != 0 && *s != '\0') {
		jx_path(p, p, "type");
		jx_warn(x, p, "unknown response type \"%.64s\", using none",
		    s);
	}
}

static void
jx_dns_out(struct jx *x, struct json_object *v, const char *path,
    struct conf_outbound *out)
{
	static const char *const known[] = { "network", "address", "port",
	    NULL };
	int64_t	port;

	jx_unknown_keys(x, v, path, known);
	jx_network(x, v, path, "network", &out->dns_network);
	jx_str(x, v, path, "address", &out->dns_address);
	if (jx_int(x, v, path, "port", 0, 65535, &port) == 1)
		out->dns_port = (uint16_t)port;
}

/* V2Ray knows these but this toolkit does not implement them. */
static bool
jx_proto_known_elsewhere(const char *s)
{
	static const char *const names[] = { "shadowsocks", "vless",
	    "trojan", "mtproto", "loopback", NULL };
	size_t	i;

	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(s, names[i]) == 0)
			return true;
	return false;
}

/* Protocol of an inbound or outbound; CONF_PROTO_NONE after an error. */
static enum conf_proto
jx_proto(struct jx *x, struct json_object *o, const char *path, bool inbound)
{
	struct json_object	*v = jx_has(o, "protocol");
	enum conf_proto		 pr;
	char			 p[JX_PATH];
	const char		*s;

	jx_path(p, path, "protocol");
	if (v == NULL) {
		jx_err(x, p, "missing");
		return CONF_PROTO_NONE;
	}
	if (!json_object_is_type(v, json_type_string)) {
		jx_type_err(x, p, "a protocol name", v);
		return CONF_PROTO_NONE;
	}
	s = json_object_get_string(v);
	if (conf_proto_parse(s, &pr) == -1) {
		if (jx_proto_known_elsewhere(s) || strcasecmp(s, "socks") == 0)
			jx_err(x, p, "protocol %.64s not supported", s);
		else
			jx_err(x, p, "unknown protocol \"%.64s\"", s);
		return CONF_PROTO_NONE;
	}
	if (inbound && (pr == CONF_PROTO_FREEDOM ||
	    pr == CONF_PROTO_BLACKHOLE)) {
		jx_err(x, p, "%s is an outbound protocol, not an inbound one",
		    conf_proto_name(pr));
		return CONF_PROTO_NONE;
	}
	if (!inbound && (pr == CONF_PROTO_DOKODEMO)) {
		jx_err(x, p, "%s is an inbound protocol, not an outbound one",
		    conf_proto_name(pr));
		return CONF_PROTO_NONE;
	}
	return pr;
}

static void
jx_sniff_list(struct jx *x, struct json_object *o, const char *path,
    const char *key, struct conf_inbound *in)
{
	struct conf_strv	 sv = { NULL, 0 };
	char			 p[JX_PATH];
	size_t			 i;

	if (jx_strlist(x, o, path, key, &sv) != 1)
		return;
	jx_path(p, path, key);
	for (i = 0; i < sv.n; i++) {
		if (strcasecmp(sv.v[i], "http") == 0)
			in->sniff_http = true;
		else if (strcasecmp(sv.v[i], "tls") == 0 ||
		    strcasecmp(sv.v[i], "https") == 0 ||
		    strcasecmp(sv.v[i], "ssl") == 0)
			in->sniff_tls = true;
		else
			jx_err(x, p, "unknown protocol: %.64s (http or tls)",
			    sv.v[i]);
	}
	conf_strv_free(&sv);
}

static void
jx_allocate(struct jx *x, struct json_object *v, const char *path,
    struct conf_allocate *al)
{
	static const char *const known[] = { "strategy", "refresh",
	    "concurrency", NULL };
	struct json_object	*rv;
	const char		*s;
	char			 p[JX_PATH], show[JX_SHOW];
	int64_t			 n;

	if (!jx_obj(x, v, path))
		return;
	jx_unknown_keys(x, v, path, known);
	al->present = true;
	if ((s = jx_cstr(x, v, path, "strategy")) != NULL &&
	    conf_alloc_strategy_parse(s, &al->strategy) == -1) {
		jx_path(p, path, "strategy");
		jx_err(x, p, "unknown allocation strategy: %.64s (always or "
		    "random)", s);
	}
	jx_path(p, path, "refresh");
	if ((rv = jx_has(v, "refresh")) != NULL) {
		if (json_object_is_type(rv, json_type_string)) {
			if (conf_duration_parse(json_object_get_string(rv),
			    &al->refresh_sec) == -1)
				jx_err(x, p, "invalid duration %s (minutes, "
				    "or \"20s\", \"3m\")", jx_show(rv, show,
				    sizeof(show)));
		} else if (jx_int(x, v, path, "refresh", 0, INT32_MAX / 60,
		    &n) == 1)
			al->refresh_sec = (int)n * 60;
	}
	jx_intr(x, v, path, "concurrency", 0, INT32_MAX, &al->concurrency);
}

static void
jx_inbound(struct jx *x, struct json_object *v, const char *path)
{
	static const char *const known[] = { "port", "listen", "protocol",
	    "settings", "tag", "streamSettings", "sniffing",
	    "domainOverride", "allocate", NULL };
	static const char *const sknown[] = { "enabled", "destOverride",
	    NULL };
	struct conf_inbound	*in;
	struct json_object	*sv, *pv;
	char			 p[JX_PATH];
	bool			 en;

	if (!jx_obj(x, v, path)) {
		if (v == NULL || json_object_is_type(v, json_type_null))
			jx_err(x, path, "expected an object, got null");
		return;
	}
	jx_unknown_keys(x, v, path, known);
	in = conf_add_inbound(x->c);
	in->proto = jx_proto(x, v, path, true);
	jx_str(x, v, path, "tag", &in->tag);
	jx_str(x, v, path, "listen", &in->listen);
	if ((pv = jx_has(v, "port")) != NULL) {
		jx_path(p, path, "port");
		jx_ports(x, pv, p, &in->port);
	}
	jx_path(p, path, "settings");
	sv = jx_has(v, "settings");
	if (sv != NULL && !jx_obj(x, sv, p))
		sv = NULL;
	if (sv != NULL) {
		switch (in->proto) {
		case CONF_PROTO_SOCKS:
			jx_socks_in(x, sv, p, in);
			break;
		case CONF_PROTO_HTTP:
			jx_http_in(x, sv, p, in);
			break;
		case CONF_PROTO_DOKODEMO:
			jx_dokodemo_in(x, sv, p, in);
			break;
		case CONF_PROTO_VMESS:
			jx_vmess_in(x, sv, p, in);
			break;
		default:
			break;
		}
	}
	jx_path(p, path, "streamSettings");
	jx_stream(x, jx_has(v, "streamSettings"), p, &in->stream);
	jx_path(p, path, "sniffing");
	if ((sv = jx_has(v, "sniffing")) != NULL && jx_obj(x, sv, p)) {
		jx_unknown_keys(x, sv, p, sknown);
		if (jx_bool(x, sv, p, "enabled", &en) == 1)
			in->sniff_enabled = en;
		jx_sniff_list(x, sv, p, "destOverride", in);
	}
	/* Legacy: a domainOverride list turns sniffing on by itself. */
	if (jx_has(v, "domainOverride") != NULL) {
		in->sniff_enabled = true;
		jx_sniff_list(x, v, path, "domainOverride", in);
	}
	jx_path(p, path, "allocate");
	if ((sv = jx_has(v, "allocate")) != NULL)
		jx_allocate(x, sv, p, &in->allocate);
}

static void
jx_outbound(struct jx *x, struct json_object *v, const char *path)
{
	static const char *const known[] = { "protocol", "sendThrough",
	    "tag", "settings", "streamSettings", "proxySettings", "mux",
	    NULL };
	static const char *const mknown[] = { "enabled", "concurrency",
	    NULL };
	static const char *const pknown[] = { "tag", NULL };
	struct conf_outbound	*out;
	struct json_object	*sv;
	char			 p[JX_PATH];
	int			 conc;

	if (!jx_obj(x, v, path)) {
		if (v == NULL || json_object_is_type(v, json_type_null))
			jx_err(x, path, "expected an object, got null");
		return;
	}
	jx_unknown_keys(x, v, path, known);
	out = conf_add_outbound(x->c);
	out->proto = jx_proto(x, v, path, false);
	jx_str(x, v, path, "tag", &out->tag);
	jx_str(x, v, path, "sendThrough", &out->send_through);
	jx_path(p, path, "settings");
	sv = jx_has(v, "settings");
	if (sv != NULL && !jx_obj(x, sv, p))
		sv = NULL;
	if (sv != NULL) {
		switch (out->proto) {
		case CONF_PROTO_VMESS:
			jx_vmess_out(x, sv, p, out);
			break;
		case CONF_PROTO_FREEDOM:
			jx_freedom_out(x, sv, p, out);
			break;
		case CONF_PROTO_BLACKHOLE:
			jx_blackhole_out(x, sv, p, out);
			break;
		case CONF_PROTO_DNS:
			jx_dns_out(x, sv, p, out);
			break;
		case CONF_PROTO_SOCKS:
		case CONF_PROTO_HTTP:
			jx_proxy_out(x, sv, p, out);
			break;
		default:
			break;
		}
	}
	jx_path(p, path, "streamSettings");
	jx_stream(x, jx_has(v, "streamSettings"), p, &out->stream);
	jx_path(p, path, "proxySettings");
	if ((sv = jx_has(v, "proxySettings")) != NULL && jx_obj(x, sv, p)) {
		jx_unknown_keys(x, sv, p, pknown);
		jx_str(x, sv, p, "tag", &out->proxy_tag);
		if (out->proxy_tag == NULL || *out->proxy_tag == '\0') {
			jx_path(p, p, "tag");
			jx_err(x, p, "missing: proxySettings names the "
			    "outbound to go through");
		}
	}
	jx_path(p, path, "mux");
	if ((sv = jx_has(v, "mux")) != NULL && jx_obj(x, sv, p)) {
		jx_unknown_keys(x, sv, p, mknown);
		jx_bool(x, sv, p, "enabled", &out->mux_enabled);
		if (jx_intr(x, sv, p, "concurrency", INT16_MIN, INT16_MAX,
		    &conc) == 1) {
			jx_path(p, p, "concurrency");
			if (conc > 1024)
				jx_err(x, p, "invalid mux concurrency: %d "
				    "(at most 1024)", conc);
			else if (conc < 0)
				/* 4.34: a negative concurrency turns mux off. */
				out->mux_enabled = false;
			else if (conc > 0)
				out->mux_concurrency = conc;
		}
	}
}

/* Legacy single object, legacy array, plural array: V2Ray's order. */
static void
jx_bounds(struct jx *x, struct json_object *top, const char *single,
    const char *detour, const char *plural, bool inbound)
{
	const char *const	 arrs[2] = { detour, plural };
	struct json_object	*v;
	char			 p[JX_PATH];
	size_t			 i, n;
	int			 k;

	if ((v = jx_has(top, single)) != NULL) {
		if (inbound)
			jx_inbound(x, v, single);
		else
			jx_outbound(x, v, single);
	}
	for (k = 0; k < 2; k++) {
		if ((v = jx_has(top, arrs[k])) == NULL ||
		    !jx_arr(x, v, arrs[k]))
			continue;
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			jx_pathi(p, arrs[k], i);
			if (inbound)
				jx_inbound(x, json_object_array_get_idx(v, i),
				    p);
			else
				jx_outbound(x,
				    json_object_array_get_idx(v, i), p);
		}
	}
}

static void
jx_rule(struct jx *x, struct json_object *v, const char *path)
{
	static const char *const known[] = { "type", "domain", "domains",
	    "ip", "port", "sourcePort", "network", "source", "user",
	    "inboundTag", "protocol", "attrs", "outboundTag", "balancerTag",
	    NULL };
	static const char *const portkeys[2] = { "port", "sourcePort" };
	struct conf_rule	*r;
	struct json_object	*pv;
	const char		*s;
	char			 p[JX_PATH], **dst;
	int			 k;

	if (!jx_obj(x, v, path)) {
		if (v == NULL || json_object_is_type(v, json_type_null))
			jx_err(x, path, "expected an object, got null");
		return;
	}
	jx_unknown_keys(x, v, path, known);
	jx_path(p, path, "type");
	s = jx_cstr(x, v, path, "type");
	if (jx_has(v, "type") == NULL)
		jx_err(x, p, "missing, must be \"field\"");
	else if (s != NULL && strcasecmp(s, "field") != 0)
		jx_err(x, p, "unknown router rule type \"%.64s\" (must be "
		    "\"field\")", s);
	r = conf_add_rule(x->c);
	jx_strlist(x, v, path, "domain", &r->domain);
	jx_strlist(x, v, path, "domains", &r->domain);
	jx_strlist(x, v, path, "ip", &r->ip);
	for (k = 0; k < 2; k++) {
		dst = k == 0 ? &r->port : &r->source_port;
		if ((pv = jx_has(v, portkeys[k])) == NULL)
			continue;
		jx_path(p, path, portkeys[k]);
		if (json_object_is_type(pv, json_type_int)) {
			if (json_object_get_int64(pv) < 0 ||
			    json_object_get_int64(pv) > 65535)
				jx_err(x, p, "port %lld out of range "
				    "0..65535",
				    (long long)json_object_get_int64(pv));
			else if (asprintf(dst, "%lld",
			    (long long)json_object_get_int64(pv)) == -1)
				*dst = NULL;
		} else if (json_object_is_type(pv, json_type_string))
			*dst = xstrdup(json_object_get_string(pv));
		else
			jx_type_err(x, p, "a port list (number or string)",
			    pv);
	}
	jx_network(x, v, path, "network", &r->network);
	jx_strlist(x, v, path, "source", &r->source);
	jx_strlist(x, v, path, "user", &r->user);
	jx_strlist(x, v, path, "inboundTag", &r->inbound_tag);
	jx_strlist(x, v, path, "protocol", &r->protocol);
	if (jx_has(v, "attrs") != NULL) {
		jx_path(p, path, "attrs");
		jx_err(x, p, "attrs (Starlark) rules not supported");
	}
	jx_str(x, v, path, "outboundTag", &r->outbound_tag);
	jx_str(x, v, path, "balancerTag", &r->balancer_tag);
	if (r->outbound_tag != NULL && *r->outbound_tag == '\0') {
		free(r->outbound_tag);
		r->outbound_tag = NULL;
	}
	if (r->balancer_tag != NULL && *r->balancer_tag == '\0') {
		free(r->balancer_tag);
		r->balancer_tag = NULL;
	}
}

static void
jx_rules(struct jx *x, struct json_object *o, const char *path)
{
	struct json_object	*v;
	char			 p[JX_PATH], pi[JX_PATH];
	size_t			 i, n;

	jx_path(p, path, "rules");
	if ((v = jx_has(o, "rules")) == NULL || !jx_arr(x, v, p))
		return;
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		jx_pathi(pi, p, i);
		jx_rule(x, json_object_array_get_idx(v, i), pi);
	}
}

static void
jx_route_strategy(struct jx *x, struct json_object *o, const char *path)
{
	const char	*s;
	char		 p[JX_PATH];

	if ((s = jx_cstr(x, o, path, "domainStrategy")) == NULL)
		return;
	if (conf_route_strategy_parse(s, &x->c->route_strategy) == -1) {
		jx_path(p, path, "domainStrategy");
		jx_warn(x, p, "unknown domainStrategy \"%.64s\", using AsIs",
		    s);
		x->c->route_strategy = CONF_RS_ASIS;
	}
}

static void
jx_routing(struct jx *x, struct json_object *v)
{
	static const char *const known[] = { "domainStrategy", "rules",
	    "balancers", "strategy", "settings", NULL };
	static const char *const sknown[] = { "domainStrategy", "rules",
	    NULL };
	struct json_object	*sv;

	if (!jx_obj(x, v, "routing"))
		return;
	jx_unknown_keys(x, v, "routing", known);
	/* Top-level rules first, then the legacy settings.rules [V]. */
	jx_rules(x, v, "routing");
	if ((sv = jx_has(v, "settings")) != NULL &&
	    jx_obj(x, sv, "routing.settings")) {
		jx_unknown_keys(x, sv, "routing.settings", sknown);
		jx_rules(x, sv, "routing.settings");
		jx_route_strategy(x, sv, "routing.settings");
	}
	/* ...and the top-level domainStrategy wins. */
	jx_route_strategy(x, v, "routing");
	if (jx_has(v, "balancers") != NULL)
		jx_err(x, "routing.balancers", "balancers not supported");
}

/* The dns object (infra/conf/dns.go); a hosts value may also be a list. */
static void
jx_dns_server(struct jx *x, struct json_object *e, const char *path)
{
	static const char *const known[] = { "address", "port", "domains",
	    "expectIps", "clientIp", NULL };
	struct conf_dns_server	*ds;
	int64_t			 port;

	if (json_object_is_type(e, json_type_string)) {
		ds = conf_dns_add_server(&x->c->dns);
		ds->address = xstrdup(json_object_get_string(e));
		return;
	}
	if (!jx_obj(x, e, path)) {
		if (e == NULL || json_object_is_type(e, json_type_null))
			jx_err(x, path, "expected a server, got null");
		return;
	}
	jx_unknown_keys(x, e, path, known);
	ds = conf_dns_add_server(&x->c->dns);
	jx_str(x, e, path, "address", &ds->address);
	if (jx_int(x, e, path, "port", 0, 65535, &port) == 1)
		ds->port = (uint16_t)port;
	jx_strlist(x, e, path, "domains", &ds->domains);
	jx_strlist(x, e, path, "expectIps", &ds->expect_ips);
	jx_str(x, e, path, "clientIp", &ds->client_ip);
}

static void
jx_dns(struct jx *x, struct json_object *v)
{
	static const char *const known[] = { "servers", "hosts", "clientIp",
	    "tag", NULL };
	struct conf_dns		*d = &x->c->dns;
	struct conf_dns_host	*h;
	struct json_object	*av, *e;
	struct json_object_iterator it, end;
	char			 p[JX_PATH], pi[JX_PATH];
	size_t			 i, n;

	if (!jx_obj(x, v, "dns"))
		return;
	d->present = true;
	jx_unknown_keys(x, v, "dns", known);
	jx_str(x, v, "dns", "clientIp", &d->client_ip);
	jx_str(x, v, "dns", "tag", &d->tag);
	if ((av = jx_has(v, "servers")) != NULL &&
	    jx_arr(x, av, "dns.servers")) {
		n = json_object_array_length(av);
		for (i = 0; i < n; i++) {
			jx_pathi(pi, "dns.servers", i);
			jx_dns_server(x, json_object_array_get_idx(av, i), pi);
		}
	}
	if ((av = jx_has(v, "hosts")) == NULL || !jx_obj(x, av, "dns.hosts"))
		return;
	it = json_object_iter_begin(av);
	end = json_object_iter_end(av);
	for (; !json_object_iter_equal(&it, &end);
	    json_object_iter_next(&it)) {
		jx_path(p, "dns.hosts", json_object_iter_peek_name(&it));
		e = json_object_iter_peek_value(&it);
		if (json_object_is_type(e, json_type_string)) {
			h = conf_dns_add_host(d);
			h->key = xstrdup(json_object_iter_peek_name(&it));
			conf_strv_push(&h->values, json_object_get_string(e));
			continue;
		}
		if (!json_object_is_type(e, json_type_array)) {
			jx_type_err(x, p, "an address or a list of addresses",
			    e);
			continue;
		}
		h = conf_dns_add_host(d);
		h->key = xstrdup(json_object_iter_peek_name(&it));
		n = json_object_array_length(e);
		for (i = 0; i < n; i++) {
			if (!json_object_is_type(json_object_array_get_idx(e,
			    i), json_type_string)) {
				jx_pathi(pi, p, i);
				jx_type_err(x, pi, "an address",
				    json_object_array_get_idx(e, i));
				continue;
			}
			conf_strv_push(&h->values, json_object_get_string(
			    json_object_array_get_idx(e, i)));
		}
	}
	conf_dns_sort_hosts(d);
}

static void
jx_reverse(struct jx *x, struct json_object *v)
{
	static const char *const known[] = { "bridges", "portals", NULL };
	static const char *const eknown[] = { "tag", "domain", NULL };
	static const char *const keys[2] = { "bridges", "portals" };
	struct conf_reverse_end	*re;
	struct json_object	*av, *e;
	char			 p[JX_PATH], pi[JX_PATH];
	size_t			 i, n;
	int			 k;

	if (!jx_obj(x, v, "reverse"))
		return;
	jx_unknown_keys(x, v, "reverse", known);
	for (k = 0; k < 2; k++) {
		jx_path(p, "reverse", keys[k]);
		if ((av = jx_has(v, keys[k])) == NULL || !jx_arr(x, av, p))
			continue;
		n = json_object_array_length(av);
		for (i = 0; i < n; i++) {
			e = json_object_array_get_idx(av, i);
			jx_pathi(pi, p, i);
			if (!jx_obj(x, e, pi))
				continue;
			jx_unknown_keys(x, e, pi, eknown);
			re = k == 0 ? conf_add_bridge(x->c) :
			    conf_add_portal(x->c);
			jx_str(x, e, pi, "tag", &re->tag);
			jx_str(x, e, pi, "domain", &re->domain);
		}
	}
}

static void
jx_transport(struct jx *x, struct json_object *v)
{
	static const char *const known[] = { "tcpSettings", "kcpSettings",
	    "wsSettings", "httpSettings", "dsSettings", "quicSettings",
	    NULL };
	struct json_object	*kv;

	if (!jx_obj(x, v, "transport"))
		return;
	jx_unknown_keys(x, v, "transport", known);
	if ((kv = jx_has(v, "kcpSettings")) != NULL) {
		x->has_gkcp = true;
		jx_kcp(x, kv, "transport.kcpSettings", &x->gkcp);
	}
	if ((kv = jx_has(v, "wsSettings")) != NULL) {
		x->has_gws = true;
		jx_ws(x, kv, "transport.wsSettings", &x->gws);
	}
	if ((kv = jx_has(v, "httpSettings")) != NULL) {
		x->has_gh2 = true;
		jx_h2(x, kv, "transport.httpSettings", &x->gh2);
	}
}

static void
jx_top(struct jx *x, struct json_object *top)
{
	static const char *const known[] = { "log", "inbounds", "outbounds",
	    "inbound", "outbound", "inboundDetour", "outboundDetour", "port",
	    "routing", "dns", "policy", "reverse", "transport", "api",
	    "stats", "metrics", NULL };
	struct conf		*c = x->c;
	struct json_object	*v;
	int64_t			 port;

	jx_unknown_keys(x, top, "", known);
	if ((v = jx_get(top, "log")) != NULL)
		jx_log(x, v);
	if ((v = jx_has(top, "policy")) != NULL)
		jx_policy(x, v);
	jx_stats(x, top);
	if ((v = jx_has(top, "transport")) != NULL)
		jx_transport(x, v);
	jx_bounds(x, top, "inbound", "inboundDetour", "inbounds", true);
	/* Legacy top-level port: for the first inbound if it has none. */
	if (jx_int(x, top, "", "port", 0, 65535, &port) == 1 && port > 0 &&
	    c->ninbounds > 0 && c->inbounds[0].port.from == 0 &&
	    c->inbounds[0].port.to == 0)
		c->inbounds[0].port.from = c->inbounds[0].port.to =
		    (uint16_t)port;
	jx_bounds(x, top, "outbound", "outboundDetour", "outbounds", false);
	if ((v = jx_has(top, "routing")) != NULL)
		jx_routing(x, v);
	if ((v = jx_has(top, "reverse")) != NULL)
		jx_reverse(x, v);
	if ((v = jx_has(top, "dns")) != NULL)
		jx_dns(x, v);
}

/* 1-based line and byte column of offset off. */
static void
jx_linecol(const char *buf, size_t len, size_t off, size_t *line,
    size_t *col)
{
	size_t	i, l = 1, bol = 0;

	if (off > len)
		off = len;
	for (i = 0; i < off; i++)
		if (buf[i] == '\n') {
			l++;
			bol = i + 1;
		}
	*line = l;
	*col = off - bol + 1;
}

/*
 * Blank //, / * * / and # comments outside strings, keeping newlines so
 * json-c's offsets still name the user's line and column. Returns the
 * offset of an unterminated block comment, or (size_t)-1.
 */
static size_t
jx_strip_comments(char *s, size_t len)
{
	size_t	i = 0, start;
	bool	esc, closed;

	while (i < len) {
		if (s[i] == '"') {
			/* A string ends at its quote, or at a newline. */
			for (i++, esc = false; i < len; i++) {
				if (esc)
					esc = false;
				else if (s[i] == '\\')
					esc = true;
				else if (s[i] == '"' || s[i] == '\n')
					break;
			}
			i++;
		} else if (s[i] == '#' || (s[i] == '/' && i + 1 < len &&
		    s[i + 1] == '/')) {
			for (; i < len && s[i] != '\n'; i++)
				s[i] = ' ';
		} else if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
			start = i;
			closed = false;
			s[i++] = ' ';
			s[i++] = ' ';
			for (; i < len; i++) {
				if (s[i] == '*' && i + 1 < len &&
				    s[i + 1] == '/') {
					s[i++] = ' ';
					s[i++] = ' ';
					closed = true;
					break;
				}
				if (s[i] != '\n')
					s[i] = ' ';
			}
			if (!closed)
				return start;
		} else
			i++;
	}
	return (size_t)-1;
}

int
conf_load_json_buf(const char *name, const char *buf, size_t len,
    struct conf *c, struct conf_diag *d)
{
	struct jx		 x;
	struct json_tokener	*tok;
	struct json_object	*top;
	enum json_tokener_error	 jerr;
	size_t			 nerr = d->errors.n, off, line, col, i;
	char			*s;

	memset(&x, 0, sizeof(x));
	x.name = name != NULL ? name : "config";
	x.c = c;
	x.d = d;
	conf_kcp_init(&x.gkcp);
	if (c->path == NULL)
		c->path = xstrdup(x.name);

	s = xmalloc(len + 1);
	memcpy(s, buf, len);
	s[len] = '\0';
	/* Editors on Windows add a BOM; blank it so columns stay true. */
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		memset(s, ' ', 3);
	if ((off = jx_strip_comments(s, len)) != (size_t)-1) {
		jx_linecol(s, len, off, &line, &col);
		conf_err(d, "%s:%zu:%zu: unterminated /* comment", x.name,
		    line, col);
		goto out;
	}
	/* json-c stops at a NUL; name it rather than a puzzling EOF. */
	if ((off = strlen(s)) < len) {
		jx_linecol(s, len, off, &line, &col);
		conf_err(d, "%s:%zu:%zu: NUL byte, not a text file", x.name,
		    line, col);
		goto out;
	}
	for (i = 0; i < len && strchr(" \t\r\n\f", s[i]) != NULL; i++)
		;
	if (i == len) {
		conf_err(d, "%s: empty, no JSON object in it", x.name);
		goto out;
	}
	tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
	if (tok == NULL) {
		conf_err(d, "%s: out of memory", x.name);
		goto out;
	}
	top = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	off = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		jx_linecol(s, len, len, &line, &col);
		conf_err(d, "%s:%zu:%zu: unexpected end of file", x.name,
		    line, col);
	} else if (jerr != json_tokener_success) {
		jx_linecol(s, len, off, &line, &col);
		conf_err(d, "%s:%zu:%zu: %s", x.name, line, col,
		    json_tokener_error_desc(jerr));
	} else {
		for (i = off; i < len && strchr(" \t\r\n\f", s[i]) != NULL;
		    i++)
			;
		if (i < len) {
			jx_linecol(s, len, i, &line, &col);
			conf_err(d, "%s:%zu:%zu: unexpected text after the "
			    "top-level object", x.name, line, col);
		} else if (!json_object_is_type(top, json_type_object)) {
			conf_err(d, "%s: the top level must be a JSON object, "
			    "not %s", x.name, jx_typename(top));
		} else
			jx_top(&x, top);
	}
	json_object_put(top);
	json_tokener_free(tok);
 out:
	free(s);
	free(x.gkcp.header_type);
	free(x.gkcp.seed);
	jx_ws_cleanup(&x.gws);
	conf_strv_free(&x.gh2.host);
	free(x.gh2.path);
	return d->errors.n > nerr ? -1 : 0;
}
