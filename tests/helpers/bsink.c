/* SPDX-License-Identifier: ISC */
/*
 * bsink: sink/source/echo server and SOCKS5 load clients for tests/bench.sh.
 * Plain sockets on 127.0.0.1 only, so the helper itself is never the bottleneck.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IOBUF		(256 * 1024)
#define ECHOBUF		4096
#define CONN_TIMEOUT_MS	10000

static const char *usage_text =
"usage: bsink serve PORT\n"
"       bsink down SOCKSPORT SINKPORT BYTES SECONDS\n"
"       bsink up SOCKSPORT SINKPORT BYTES SECONDS\n"
"       bsink rtt SOCKSPORT SINKPORT COUNT SIZE\n"
"       bsink setup SOCKSPORT SINKPORT COUNT\n"
"       bsink storm SOCKSPORT SINKPORT COUNT THREADS\n"
"       bsink idle SOCKSPORT SINKPORT N1[,N2...]\n"
"       bsink probe SOCKSPORT SINKPORT SECONDS\n"
"SOCKSPORT given as direct:PORT connects straight to PORT (no SOCKS5),\n"
"e.g. to a dokodemo-door that leads to the sink.\n"
"Protocol on the sink: first byte E (echo), D + u64 N (send N bytes),\n"
"U + u64 N (read N bytes, answer K).\n";

static uint8_t	 pattern_buf[IOBUF];

static double
bsink_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
bsink_fill_pattern(void)
{
	uint32_t	 x = 2463534242u;
	size_t		 i;

	/* Incompressible bytes, in case anything on the path compresses. */
	for (i = 0; i < sizeof(pattern_buf); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		pattern_buf[i] = (uint8_t)x;
	}
}

static void
bsink_raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
bsink_put64(uint8_t *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t
bsink_get64(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* ---- server ---------------------------------------------------------- */

struct bsink_conn {
	int		 fd;
	int		 mode;		/* 0 until the first byte */
	uint8_t		 hdr[8];
	size_t		 hdrlen;
	uint64_t	 left;		/* bytes to send (D) or read (U) */
	int		 acked;
	uint8_t		 buf[ECHOBUF];
	size_t		 off, len;	/* pending output (echo, ack) */
	uint32_t	 events;
};

static int			 srv_ep;
static struct bsink_conn	**srv_conns;
static size_t			 srv_nconns;

static void
bsink_srv_close(struct bsink_conn *c)
{
	epoll_ctl(srv_ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	srv_conns[c->fd] = NULL;
	free(c);
}

static void
bsink_srv_want(struct bsink_conn *c, uint32_t ev)
{
	struct epoll_event	 e;

	if (ev == c->events)
		return;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.fd = c->fd;
	epoll_ctl(srv_ep, EPOLL_CTL_MOD, c->fd, &e);
	c->events = ev;
}

/* Returns -1 when the connection is finished. */
static int
bsink_srv_flush(struct bsink_conn *c)
{
	ssize_t	 n;

	while (c->off < c->len) {
		n = write(c->fd, c->buf + c->off, c->len - c->off);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		c->off += (size_t)n;
	}
	c->off = c->len = 0;
	return 0;
}

static int
bsink_srv_send(struct bsink_conn *c)
{
	ssize_t	 n;
	size_t	 want;

	while (c->left > 0) {
		want = c->left < IOBUF ? (size_t)c->left : IOBUF;
		n = write(c->fd, pattern_buf, want);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -1;
		}
		c->left -= (uint64_t)n;
	}
	return 0;
}

static int
bsink_srv_io(struct bsink_conn *c, uint32_t ev)
{
	static uint8_t	 rbuf[IOBUF];
	ssize_t		 n;
	size_t		 i, take;

	if (c->len > 0 && bsink_srv_flush(c) < 0)
		return -1;
	if (c->mode == 'D' && c->hdrlen == 8 && bsink_srv_send(c) < 0)
		return -1;
	for (;;) {
		if (c->len > 0)
			break;	/* echo back-pressure: stop reading */
		/* Bulk bytes are discarded in the kernel (MSG_TRUNC: no copy
		 * to user space), so the sink takes as little of the shared
		 * cores as possible from what is measured. */
		if (c->mode == 'U' && c->hdrlen == 8)
			n = recv(c->fd, rbuf, sizeof(rbuf), MSG_TRUNC);
		else
			n = read(c->fd, c->mode == 'E' ? c->buf : rbuf,
			    c->mode == 'E' ? sizeof(c->buf) : sizeof(rbuf));
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			return -1;
		}
		i = 0;
		if (c->mode == 0) {
			c->mode = rbuf[0];
			i = 1;
			if (c->mode == 'E') {
				memcpy(c->buf, rbuf + 1, (size_t)n - 1);
				c->len = (size_t)n - 1;
				if (bsink_srv_flush(c) < 0)
					return -1;
				continue;
			}
			if (c->mode != 'D' && c->mode != 'U')
				return -1;
		}
		if (c->mode == 'E') {
			c->len = (size_t)n;
			c->off = 0;
			if (bsink_srv_flush(c) < 0)
				return -1;
			continue;
		}
		while (i < (size_t)n && c->hdrlen < 8)
			c->hdr[c->hdrlen++] = rbuf[i++];
		if (c->hdrlen < 8)
			continue;
		if (c->left == 0 && !c->acked) {
			c->left = bsink_get64(c->hdr);
			c->acked = 1;
			if (c->mode == 'D' && bsink_srv_send(c) < 0)
				return -1;
		}
		if (c->mode == 'U') {
			take = (size_t)n - i;
			if (take > c->left)
				take = (size_t)c->left;
			c->left -= take;
			if (c->left == 0 && c->acked == 1) {
				c->acked = 2;
				c->buf[0] = 'K';
				c->off = 0;
				c->len = 1;
				if (bsink_srv_flush(c) < 0)
					return -1;
			}
		}
	}
	(void)ev;
	if (c->len > 0 || (c->mode == 'D' && c->left > 0))
		bsink_srv_want(c, EPOLLOUT | (c->len > 0 ? 0 : EPOLLIN));
	else
		bsink_srv_want(c, EPOLLIN);
	return 0;
}

static int
bsink_listen(int port)
{
	struct sockaddr_in	 sa;
	int			 fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 4096) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
bsink_serve(int port)
{
	struct epoll_event	 e, evs[256];
	struct rlimit		 rl;
	struct bsink_conn	*c;
	int			 lfd, n, i, fd, one = 1;

	signal(SIGPIPE, SIG_IGN);
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1;
	srv_nconns = rl.rlim_cur == RLIM_INFINITY ? 1 << 20 : rl.rlim_cur;
	if ((srv_conns = calloc(srv_nconns, sizeof(*srv_conns))) == NULL)
		return 1;
	if ((lfd = bsink_listen(port)) < 0) {
		perror("bsink: listen");
		return 1;
	}
	srv_ep = epoll_create1(0);
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.fd = lfd;
	epoll_ctl(srv_ep, EPOLL_CTL_ADD, lfd, &e);
	for (;;) {
		n = epoll_wait(srv_ep, evs, 256, -1);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) >= 0) {
					if ((size_t)fd >= srv_nconns ||
					    (c = calloc(1, sizeof(*c))) == NULL) {
						close(fd);
						continue;
					}
					setsockopt(fd, IPPROTO_TCP, TCP_NODELAY,
					    &one, sizeof(one));
					c->fd = fd;
					c->events = EPOLLIN;
					srv_conns[fd] = c;
					memset(&e, 0, sizeof(e));
					e.events = EPOLLIN;
					e.data.fd = fd;
					epoll_ctl(srv_ep, EPOLL_CTL_ADD, fd, &e);
				}
				continue;
			}
			if ((c = srv_conns[fd]) == NULL)
				continue;
			if (bsink_srv_io(c, evs[i].events) < 0)
				bsink_srv_close(c);
		}
	}
}

/* ---- clients --------------------------------------------------------- */

enum bsink_fail { F_CONNECT, F_SOCKS, F_ECHO_TIMEOUT, F_ECHO_EOF, F_NFAIL };
static const char *fail_names[F_NFAIL] = {
	"connect", "socks", "echo-timeout", "echo-eof/reset"
};

static void
bsink_timeouts(int fd, int ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
bsink_writen(int fd, const void *p, size_t n)
{
	const uint8_t	*b = p;
	ssize_t		 r;

	while (n > 0) {
		r = write(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/* 0 ok, -1 error/EOF, -2 timeout. */
static int
bsink_readn(int fd, void *p, size_t n)
{
	uint8_t	*b = p;
	ssize_t	 r;

	while (n > 0) {
		r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -2;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * CONNECT through the SOCKS5 proxy to the sink, blocking with timeouts
 * (a negative socks_port means: connect to -socks_port without SOCKS5).
 * Returns the descriptor or -1 with *why set.
 */
static int
bsink_socks(int socks_port, int sink_port, int ms, enum bsink_fail *why)
{
	struct sockaddr_in	 sa;
	uint8_t			 req[10], rep[10];
	int			 fd, one = 1;

	*why = F_CONNECT;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	bsink_timeouts(fd, ms);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)(socks_port < 0 ? -socks_port :
	    socks_port));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	if (socks_port < 0)
		return fd;	/* direct: the listener already leads to the sink */
	*why = F_SOCKS;
	if (bsink_writen(fd, "\x05\x01\x00", 3) < 0 ||
	    bsink_readn(fd, rep, 2) != 0 || rep[0] != 5 || rep[1] != 0)
		goto fail;
	req[0] = 5; req[1] = 1; req[2] = 0; req[3] = 1;
	req[4] = 127; req[5] = 0; req[6] = 0; req[7] = 1;
	req[8] = (uint8_t)(sink_port >> 8);
	req[9] = (uint8_t)sink_port;
	if (bsink_writen(fd, req, sizeof(req)) < 0 ||
	    bsink_readn(fd, rep, 4) != 0 || rep[1] != 0)
		goto fail;
	if (rep[3] == 1) {
		if (bsink_readn(fd, rep, 6) != 0)
			goto fail;
	} else if (rep[3] == 4) {
		uint8_t	 v6[18];

		if (bsink_readn(fd, v6, 18) != 0)
			goto fail;
	} else
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* Echo round trip on an open echo connection; 0 or a failure code + 1. */
static int
bsink_echo(int fd, const uint8_t *msg, size_t n)
{
	uint8_t	 back[ECHOBUF];
	int	 r;

	if (bsink_writen(fd, msg, n) < 0)
		return F_ECHO_EOF + 1;
	if ((r = bsink_readn(fd, back, n)) != 0)
		return (r == -2 ? F_ECHO_TIMEOUT : F_ECHO_EOF) + 1;
	if (memcmp(back, msg, n) != 0)
		return F_ECHO_EOF + 1;
	return 0;
}

static int
bsink_cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
bsink_print_stats(double *v, size_t n, size_t fails)
{
	if (n == 0) {
		printf("nan nan %zu\n", fails);
		return;
	}
	qsort(v, n, sizeof(*v), bsink_cmp_double);
	printf("%.1f %.1f %zu\n", v[n / 2] * 1e6, v[(n * 9) / 10] * 1e6,
	    fails);
}

static int
bsink_bulk(int socks_port, int sink_port, uint64_t bytes, double secs,
    int upload)
{
	struct pollfd	 pfd;
	enum bsink_fail	 why;
	uint8_t		 req[9], *rbuf;
	uint64_t	 done = 0;
	double		 t0, deadline, t1;
	ssize_t		 n;
	int		 fd, fl, acked = 0;

	if ((fd = bsink_socks(socks_port, sink_port, CONN_TIMEOUT_MS,
	    &why)) < 0) {
		printf("0 0 fail:%s\n", fail_names[why]);
		return 1;
	}
	if ((rbuf = malloc(IOBUF)) == NULL)
		return 1;
	req[0] = upload ? 'U' : 'D';
	bsink_put64(req + 1, bytes);
	t0 = bsink_now();
	deadline = t0 + secs;
	if (bsink_writen(fd, req, sizeof(req)) < 0) {
		printf("0 0 fail:request\n");
		return 1;
	}
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	for (;;) {
		if (upload ? acked : done >= bytes)
			break;
		t1 = bsink_now();
		if (t1 >= deadline)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN | (upload && done < bytes ? POLLOUT : 0);
		pfd.revents = 0;
		if (poll(&pfd, 1, (int)((deadline - t1) * 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd.revents & POLLIN) {
			/* As the sink: a download is discarded unread. */
			n = recv(fd, rbuf, IOBUF, upload ? 0 : MSG_TRUNC);
			if (n == 0 || (n < 0 && errno != EAGAIN &&
			    errno != EINTR))
				break;
			if (n > 0) {
				if (upload)
					acked = 1;
				else
					done += (uint64_t)n;
			}
		}
		if (upload && (pfd.revents & POLLOUT) && done < bytes) {
			size_t want = bytes - done < IOBUF ?
			    (size_t)(bytes - done) : IOBUF;

			n = write(fd, pattern_buf, want);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				break;
			if (n > 0)
				done += (uint64_t)n;
		}
		if (pfd.revents & (POLLERR | POLLHUP) &&
		    !(pfd.revents & POLLIN))
			break;
	}
	t1 = bsink_now();
	/* bytes seconds status */
	printf("%llu %.4f %s\n", (unsigned long long)done, t1 - t0,
	    (upload ? acked : done >= bytes) ? "ok" :
	    t1 >= deadline ? "timeout" : "broken");
	close(fd);
	free(rbuf);
	return 0;
}

static int
bsink_rtt(int socks_port, int sink_port, size_t count, size_t size)
{
	enum bsink_fail	 why;
	double		*v, t0;
	size_t		 i, n = 0, fails = 0;
	int		 fd;

	if (size == 0 || size > ECHOBUF)
		size = 64;
	if ((v = calloc(count, sizeof(*v))) == NULL)
		return 1;
	if ((fd = bsink_socks(socks_port, sink_port, CONN_TIMEOUT_MS,
	    &why)) < 0) {
		printf("nan nan fail:%s\n", fail_names[why]);
		return 1;
	}
	if (bsink_writen(fd, "E", 1) < 0)
		return 1;
	/* Warm up: the first exchange carries the protocol headers. */
	for (i = 0; i < 20; i++)
		if (bsink_echo(fd, pattern_buf, size) != 0) {
			printf("nan nan fail:warmup\n");
			return 1;
		}
	for (i = 0; i < count; i++) {
		t0 = bsink_now();
		if (bsink_echo(fd, pattern_buf + (i % 64), size) != 0) {
			fails++;
			break;
		}
		v[n++] = bsink_now() - t0;
	}
	bsink_print_stats(v, n, fails);
	close(fd);
	free(v);
	return 0;
}

/* Connect-to-first-echoed-byte: the sink strips the E, so expect "x". */
static int
bsink_open_echo(int socks_port, int sink_port, int ms, enum bsink_fail *why)
{
	uint8_t	 b;
	int	 fd, r;

	if ((fd = bsink_socks(socks_port, sink_port, ms, why)) < 0)
		return -1;
	if (bsink_writen(fd, "Ex", 2) < 0) {
		*why = F_ECHO_EOF;
		close(fd);
		return -1;
	}
	if ((r = bsink_readn(fd, &b, 1)) != 0 || b != 'x') {
		*why = r == -2 ? F_ECHO_TIMEOUT : F_ECHO_EOF;
		close(fd);
		return -1;
	}
	return fd;
}

static int
bsink_setup_time(int socks_port, int sink_port, size_t count)
{
	enum bsink_fail	 why;
	double		*v, t0;
	size_t		 i, n = 0, fails = 0;
	int		 fd;

	if ((v = calloc(count, sizeof(*v))) == NULL)
		return 1;
	for (i = 0; i < count; i++) {
		t0 = bsink_now();
		if ((fd = bsink_open_echo(socks_port, sink_port,
		    CONN_TIMEOUT_MS, &why)) < 0) {
			fails++;
			continue;
		}
		v[n++] = bsink_now() - t0;
		close(fd);
	}
	bsink_print_stats(v, n, fails);
	free(v);
	return 0;
}

struct bsink_storm {
	pthread_t	 th;
	int		 socks_port, sink_port;
	size_t		 count;
	size_t		 ok;
	size_t		 fail[F_NFAIL];
};

static void *
bsink_storm_run(void *arg)
{
	struct bsink_storm	*s = arg;
	enum bsink_fail		 why;
	size_t			 i;
	int			 fd;

	for (i = 0; i < s->count; i++) {
		fd = bsink_open_echo(s->socks_port, s->sink_port,
		    CONN_TIMEOUT_MS, &why);
		if (fd < 0) {
			s->fail[why]++;
			continue;
		}
		s->ok++;
		close(fd);
	}
	return NULL;
}

static int
bsink_storm(int socks_port, int sink_port, size_t count, size_t nth)
{
	struct bsink_storm	*st;
	size_t			 i, j, ok = 0, fail[F_NFAIL] = { 0 }, nfail = 0;
	double			 t0;

	if (nth == 0)
		nth = 1;
	if ((st = calloc(nth, sizeof(*st))) == NULL)
		return 1;
	t0 = bsink_now();
	for (i = 0; i < nth; i++) {
		st[i].socks_port = socks_port;
		st[i].sink_port = sink_port;
		st[i].count = count / nth + (i < count % nth);
		pthread_create(&st[i].th, NULL, bsink_storm_run, &st[i]);
	}
	for (i = 0; i < nth; i++) {
		pthread_join(st[i].th, NULL);
		ok += st[i].ok;
		for (j = 0; j < F_NFAIL; j++)
			fail[j] += st[i].fail[j];
	}
	for (j = 0; j < F_NFAIL; j++)
		nfail += fail[j];
	/* ok failed seconds [reason=count...] */
	printf("%zu %zu %.2f", ok, nfail, bsink_now() - t0);
	for (j = 0; j < F_NFAIL; j++)
		if (fail[j] > 0)
			printf(" %s=%zu", fail_names[j], fail[j]);
	printf("\n");
	free(st);
	return 0;
}

static volatile sig_atomic_t	 idle_go;

static void
bsink_on_usr1(int sig)
{
	(void)sig;
	idle_go = 1;
}

static void
bsink_wait_usr1(void)
{
	sigset_t	 none;

	sigemptyset(&none);
	while (!idle_go)
		sigsuspend(&none);
	idle_go = 0;
}

/*
 * Open the connections stage by stage; after each stage print "ready" and
 * wait for SIGUSR1.  After the last stage check that every held connection
 * still echoes, then close them all.
 */
static int
bsink_idle(int socks_port, int sink_port, const char *stages)
{
	enum bsink_fail	 why;
	struct sigaction sa;
	sigset_t	 usr1;
	const char	*p = stages;
	char		*end;
	int		*fds;
	size_t		 nfd = 0, target, cap = 0, fails = 0, alive = 0, i;
	size_t		 fail[F_NFAIL] = { 0 };
	double		 t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bsink_on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	for (p = stages; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		target = strtoul(p, &end, 10);
		if (end == p)
			break;
		if (target > cap)
			cap = target;
	}
	if ((fds = calloc(cap + 1, sizeof(*fds))) == NULL)
		return 1;
	for (p = stages; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		target = strtoul(p, &end, 10);
		if (end == p)
			break;
		t0 = bsink_now();
		while (nfd + fails < target) {
			int fd = bsink_open_echo(socks_port, sink_port,
			    CONN_TIMEOUT_MS, &why);

			if (fd < 0) {
				fails++;
				fail[why]++;
				continue;
			}
			fds[nfd++] = fd;
		}
		printf("ready %zu held %zu failed %zu secs %.2f", target, nfd, fails,
		    bsink_now() - t0);
		for (i = 0; i < F_NFAIL; i++)
			if (fail[i] > 0)
				printf(" %s=%zu", fail_names[i], fail[i]);
		printf("\n");
		fflush(stdout);
		bsink_wait_usr1();
	}
	/* Are the held connections still alive end to end? */
	for (i = 0; i < nfd; i++) {
		bsink_timeouts(fds[i], 3000);
		if (bsink_echo(fds[i], (const uint8_t *)"y", 1) == 0)
			alive++;
	}
	printf("alive %zu of %zu\n", alive, nfd);
	fflush(stdout);
	for (i = 0; i < nfd; i++)
		close(fds[i]);
	free(fds);
	return 0;
}

/*
 * Time until a fresh connection gets its first byte echoed, retrying every
 * 10 ms with a short timeout per attempt: how long a restarted tunnel takes
 * to carry a request again.  Prints "MS ATTEMPTS" or "never ATTEMPTS".
 */
static int
bsink_probe(int socks_port, int sink_port, double secs)
{
	enum bsink_fail	 why;
	struct timespec	 pause = { 0, 10 * 1000 * 1000 };
	double		 t0, now;
	size_t		 attempts = 0;
	int		 fd, ms;

	t0 = bsink_now();
	for (;;) {
		now = bsink_now();
		if (now - t0 >= secs)
			break;
		ms = (int)((secs - (now - t0)) * 1000) + 1;
		if (ms > 2000)
			ms = 2000;
		attempts++;
		fd = bsink_open_echo(socks_port, sink_port, ms, &why);
		if (fd >= 0) {
			close(fd);
			printf("%.1f %zu\n", (bsink_now() - t0) * 1e3,
			    attempts);
			return 0;
		}
		nanosleep(&pause, NULL);
	}
	printf("never %zu\n", attempts);
	return 0;
}

/* "PORT" for SOCKS5, "direct:PORT" for a plain connection (negative). */
static int
bsink_port_arg(const char *s)
{
	if (strncmp(s, "direct:", 7) == 0)
		return -atoi(s + 7);
	return atoi(s);
}

int
main(int argc, char *argv[])
{
	bsink_fill_pattern();
	bsink_raise_nofile();
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return bsink_serve(atoi(argv[2]));
	if (argc == 6 && strcmp(argv[1], "down") == 0)
		return bsink_bulk(bsink_port_arg(argv[2]), atoi(argv[3]),
		    strtoull(argv[4], NULL, 10), atof(argv[5]), 0);
	if (argc == 6 && strcmp(argv[1], "up") == 0)
		return bsink_bulk(bsink_port_arg(argv[2]), atoi(argv[3]),
		    strtoull(argv[4], NULL, 10), atof(argv[5]), 1);
	if (argc == 6 && strcmp(argv[1], "rtt") == 0)
		return bsink_rtt(bsink_port_arg(argv[2]), atoi(argv[3]),
		    strtoul(argv[4], NULL, 10), strtoul(argv[5], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "setup") == 0)
		return bsink_setup_time(bsink_port_arg(argv[2]), atoi(argv[3]),
		    strtoul(argv[4], NULL, 10));
	if (argc == 6 && strcmp(argv[1], "storm") == 0)
		return bsink_storm(bsink_port_arg(argv[2]), atoi(argv[3]),
		    strtoul(argv[4], NULL, 10), strtoul(argv[5], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "probe") == 0)
		return bsink_probe(bsink_port_arg(argv[2]), atoi(argv[3]),
		    atof(argv[4]));
	if (argc == 5 && strcmp(argv[1], "idle") == 0)
		return bsink_idle(bsink_port_arg(argv[2]), atoi(argv[3]),
		    argv[4]);
	fputs(usage_text, stderr);
	return 2;
}
