/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * server.h - the control socket that answers tieringctl. One request line
 * per connection, one reply, then the server closes. It runs on the caller's
 * sd-event loop: an io source for the listening socket, one per client, and
 * a time source for the idle timeout; each callback does a bounded amount
 * of work and never blocks. Its clock is the loop's (sd_event_now).
 *
 * A full table (max_clients) makes room for a new connection by evicting a
 * client that has made no progress for 100 ms (or half the idle timeout if
 * that is shorter): one that sent nothing before one with part of a request
 * before one whose reply is pending, the least recently active first. Each
 * new connection is read as soon as it is accepted, so a request sent with
 * the connect is answered before its client could be evicted. While no
 * client may be evicted yet, not even for root, new connections wait in
 * the listen backlog. A request followed by close() or shutdown() is still
 * read and handled.
 *
 * Per-uid limits: root and the server's own euid are privileged; any other
 * uid holds at most max_clients / 4 slots (at least 1), and all of them
 * together at most max_clients - 1 (the last slot is root's, when
 * max_clients > 1). A quarter: one uid reconnecting in a loop leaves three
 * quarters of the table to everyone else, while a uid still has 4 of the
 * default 16 for its own concurrent tieringctl calls, each answered in one
 * turn of the loop. An unprivileged newcomer over its share takes the slot
 * of one of its own clients past the grace, or none; over the open slots,
 * an unprivileged client's past the grace, or none. With none, it is read
 * (not handled), told {"version":1,"ok":false,"error":"busy: too many
 * connections from this user, try again"} and closed at once: so a flood
 * from one uid drains from the backlog and never hides root's connection
 * behind it. A privileged newcomer takes a free slot, else the slot of an
 * unprivileged client whose reply is not pending (within its grace too: it
 * was read at its accept, nothing it sent is lost), else the usual victim
 * past its grace. Refused peers (below) count as unprivileged.
 *
 * Who may talk: root, the server's own effective uid, and members of the
 * configured group (primary or supplementary). Anyone else gets
 * {"version":1,"ok":false,"error":"permission denied"} for its request
 * line, without the handler seeing it, and is closed; the socket file's
 * mode normally stops them first. Which verbs a peer may use is the
 * handler's decision: it gets the peer's credentials.
 */
#ifndef TIERINGD_SERVER_H
#define TIERINGD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <systemd/sd-event.h>

#define TD_SERVER_MAX_CLIENTS		16
#define TD_SERVER_MAX_REQUEST		(4 << 10)
#define TD_SERVER_IDLE_TIMEOUT_MS	5000

/* The peer's credentials as the kernel saw them at connect(). */
struct td_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	bool in_group;		/* member of the group, primary or supplementary */
};

/*
 * Handles one request. line is the request without its '\n' (len bytes, and
 * NUL-terminated at line[len] for convenience; it may contain other NULs).
 * Returns a malloc'd reply of *ret_len bytes (one JSON line ending in '\n'),
 * which the server sends and frees, or NULL on -ENOMEM, in which case the
 * server sends a fixed "out of memory" error reply. Must not block.
 */
typedef char *(*td_server_handler)(void *ctx, const char *line, size_t len,
				   const struct td_peer *peer, size_t *ret_len);

struct td_server_params {
	const char *path;		/* bind here when not socket-activated */
	const char *group;		/* socket file's group when it exists; NULL: none */
	unsigned max_clients;		/* <= 65536; 0: TD_SERVER_MAX_CLIENTS */
	size_t max_request;		/* 2..1 MiB, including '\n'; 0: TD_SERVER_MAX_REQUEST */
	uint64_t idle_timeout_ms;	/* since a client's last progress, <= 1 day; 0: default */
	td_server_handler handle;
	void *ctx;			/* passed to handle */
};

struct td_server_counters {
	uint64_t accepted;	/* connections accepted */
	uint64_t evicted;	/* closed idle to make room for a new connection */
	uint64_t timed_out;	/* closed after idle_timeout_ms without progress */
	uint64_t too_long;	/* max_request bytes without '\n' */
	uint64_t denied;	/* neither root, nor our uid, nor in the group */
	uint64_t busy;		/* told "busy": no slot its uid may take */
};

struct td_server;

/*
 * Takes the socket systemd passed (exactly one listening AF_UNIX stream
 * socket) or, without socket activation, binds p->path itself: creates the
 * missing parent directories (0755), replaces a stale socket (never a file
 * of another type, never a socket someone still listens on), and creates the
 * socket 0660 with group p->group (root-only when that group does not
 * exist). Returns 0, -EINVAL for bad parameters or unusable passed fds,
 * -EEXIST when p->path is not a socket, -EADDRINUSE when another process
 * listens on it, -ENOMEM, or another negative errno from the socket or
 * sd-event calls. Logs its errors. Attaches its sources to e (taking a
 * reference): from then on the server works whenever e runs. Client
 * failures are handled (and counted) in its callbacks, never returned.
 */
int td_server_new(const struct td_server_params *p, sd_event *e, struct td_server **ret);

/* Detaches from the loop, closes all clients and the socket; unlinks the
 * socket file only if td_server_new() bound it. NULL-safe. */
void td_server_free(struct td_server *s);

/* True when the listening socket came from systemd. */
bool td_server_activated(const struct td_server *s);

/* The socket's path in the filesystem; NULL only for a passed socket
 * without one. */
const char *td_server_path(const struct td_server *s);

const struct td_server_counters *td_server_counters(const struct td_server *s);

/* The connections uid holds now ((uid_t)-1: all). */
unsigned td_server_clients(const struct td_server *s, uid_t uid);

#endif
