/* SPDX-License-Identifier: MIT */
/*
 * kcp_udp.h: mKCP over UDP with libevent (mkcp.md §1, §6, §11): a client
 * dial (one connected socket per stream) and a listener (one socket,
 * sessions keyed by peer and conv). Each session reaches the rest of the
 * program as one end of a bufferevent pair, used like a TCP bufferevent.
 */
#ifndef LIBSHARED_KCP_UDP_H
#define LIBSHARED_KCP_UDP_H

#include <stddef.h>
#include <sys/socket.h>

struct bufferevent;
struct conf_kcp;
struct event_base;
struct kcp_udp_listener;

/*
 * The stream end handed out (the caller owns it and frees it with
 * bufferevent_free). Stream semantics:
 * - bytes written are cut into DATA segments; when the send queue is full
 *   the pair stops taking them (they wait in this end's output buffer);
 * - signal the end of the stream with kcp_udp_finish (or freeing the end):
 *   that is mKCP's Close() once the queued bytes are handed over;
 * - the end receives BEV_EVENT_EOF after the last byte when the peer
 *   terminates, or when the session ends (idle 30 s, closed, aborted).
 * mKCP has no true half-close: after Close() the peer discards what it has
 * not sent yet, so finish only when done with both directions.
 */

/*
 * Open a stream to an mKCP server at to: a new connected UDP socket and the
 * next conv (process-wide counter from a random u16). Nothing is sent
 * until the first write or tick, as V2Ray. NULL with *errstr on failure.
 */
struct bufferevent *kcp_udp_dial(struct event_base *base,
	    const struct sockaddr *to, socklen_t tolen,
	    const struct conf_kcp *k, const char **errstr);

/* A new session's stream end (now the callee's) and its peer. */
typedef void kcp_udp_accept_cb(struct bufferevent *bev,
	    const struct sockaddr *from, socklen_t fromlen, void *arg);

/*
 * Bind a UDP listener at sa; every (peer, conv) whose first datagram is
 * not a TERMINATE becomes a session handed to cb at once. NULL with
 * *errstr on failure (errno kept for socket errors).
 */
struct kcp_udp_listener *kcp_udp_listen(struct event_base *base,
	    const struct sockaddr *sa, socklen_t salen,
	    const struct conf_kcp *k, kcp_udp_accept_cb *cb, void *arg,
	    const char **errstr);
/* Local address (after binding port 0). 0 or -1. */
int	kcp_udp_listener_addr(const struct kcp_udp_listener *l,
	    struct sockaddr_storage *ss, socklen_t *len);
/* Live sessions. */
size_t	kcp_udp_listener_sessions(const struct kcp_udp_listener *l);
/*
 * Close the socket; every session sends one TERMINATE and its stream end
 * gets EOF. Safe from within the accept callback.
 */
void	kcp_udp_listener_free(struct kcp_udp_listener *l);

/* End of the stream from the app (mKCP Close()); see above. */
void	kcp_udp_finish(struct bufferevent *bev);

/* Live client sessions (all bases). */
size_t	kcp_udp_client_sessions(void);
/* Abort every client session now (process exit). */
void	kcp_udp_shutdown(void);

#endif /* LIBSHARED_KCP_UDP_H */
