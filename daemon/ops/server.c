// SPDX-License-Identifier: GPL-2.0-only
/*
 * server.c - the control socket. A fixed table of clients, each one request
 * line in and one reply out, on the caller's sd-event loop: an io source for
 * the listening socket, one per client, and one time source for the idle
 * timeout. Nothing here waits for a client: reads and writes are
 * non-blocking, a client that stops making progress is closed by the idle
 * timer, and a full table makes room by evicting an idle client, so idle
 * connections cannot lock out the operator's `tieringctl status`.
 *
 * Fairness under a reconnect storm: a connection is read as soon as it is
 * accepted (tieringctl has sent its request by then), and only a client that
 * has had EVICT_GRACE since its last progress can be evicted, those that sent
 * nothing first. While no client may be evicted, newcomers wait in the
 * kernel's listen backlog, which is first come, first served.
 *
 * Fairness between users: the backlog does not say who is waiting, so while
 * a privileged peer (root, our euid) could have a slot, accepting goes on and
 * each newcomer's uid decides. An unprivileged uid holds at most a quarter of
 * the table and all of them together all but one slot; a newcomer beyond
 * that is told "busy" at once, which drains the backlog of a flooding uid
 * so that root's connection behind it is reached. A privileged newcomer
 * takes a free slot, else an unprivileged client's that is not being
 * answered, grace or not (it was read at its accept: nothing it sent is
 * lost), else the usual victim past its grace.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "ops/log.h"
#include "ops/server.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59	/* Linux 4.13 */
#endif

#define LISTEN_BACKLOG		64
#define MAX_ACCEPTS		64	/* per wake-up of the listening socket */
#define MAX_CLIENTS_LIMIT	65536
#define MAX_REQUEST_LIMIT	(1 << 20)
#define IDLE_TIMEOUT_MS_LIMIT	(24 * 3600 * 1000ULL)
#define ACCEPT_RETRY_NS		(100 * NSEC_PER_MSEC)
#define NSEC_PER_MSEC		((uint64_t)1000000)
#define EVICT_GRACE_NS		(100 * NSEC_PER_MSEC)	/* at most half the idle timeout */
#define TIMER_ACCURACY_USEC	1000
#define UID_SHARE_DIVISOR	4	/* an unprivileged uid's share of the table */
#define ROOT_SLOTS		1	/* never taken by unprivileged peers */
#define BUSY_DRAIN_BYTES	512	/* read from a refused newcomer per recv */

/* Why new connections are not being accepted. */
enum accept_state { ACCEPT_ON, ACCEPT_FULL, ACCEPT_ERROR };

static const char reply_denied[] = "{\"version\":1,\"ok\":false,\"error\":\"permission denied\"}\n";
static const char reply_too_long[] = "{\"version\":1,\"ok\":false,\"error\":\"request too long\"}\n";
static const char reply_nomem[] = "{\"version\":1,\"ok\":false,\"error\":\"out of memory\"}\n";
static const char reply_busy[] = "{\"version\":1,\"ok\":false,\"error\":"
	"\"busy: too many connections from this user, try again\"}\n";

struct client {
	struct td_server *server;
	sd_event_source *src;	/* io on fd */
	int fd;			/* -1: slot free */
	uint64_t seq;		/* accept order: breaks ties in eviction */
	struct td_peer peer;
	bool allowed;		/* root, our uid, or in the group */
	bool privileged;	/* root or our uid: no share, the reserved slot */
	uint64_t last_ns;	/* accept, or the last byte read or written */
	char *buf;		/* max_request + 1 bytes, owned by the table */
	size_t len;
	const char *out;	/* NULL while reading the request */
	char *out_owned;	/* the handler's reply, freed at close */
	size_t out_len, out_off;
	bool want_out;		/* watching EPOLLOUT */
};

struct td_server {
	td_server_handler handle;
	void *ctx;
	unsigned max_clients;
	unsigned uid_share;	/* slots one unprivileged uid may hold */
	unsigned open_slots;	/* slots all unprivileged peers may hold */
	uid_t euid;
	size_t max_request;
	uint64_t idle_ns;
	uint64_t grace_ns;	/* before a client may be evicted for a newcomer */
	char *path;		/* NULL for a passed socket without a path */
	char *group;
	gid_t gid;
	bool have_gid;
	bool activated;
	bool bound;		/* we created the socket file: unlink at free */
	dev_t bound_dev;
	ino_t bound_ino;
	int listen_fd;
	sd_event *event;
	sd_event_source *listen_src, *timer_src;
	enum accept_state accept;
	uint64_t accept_resume_ns;	/* ACCEPT_ERROR: retry then */
	uint64_t seq;
	unsigned n_clients;
	struct client *clients;
	char *bufs;
	struct td_server_counters counters;
	/* log once per condition; the counters carry the rest */
	bool warned_evict, warned_timeout, warned_too_long, warned_denied, warned_busy;
	bool warned_nomem, warned_accept, warned_peergroups, warned_timer;
};

/* The loop's time of this wake-up: one clock for every client. */
static uint64_t loop_now_ns(const struct td_server *s)
{
	uint64_t usec = 0;

	(void)sd_event_now(s->event, CLOCK_MONOTONIC, &usec);
	return usec * 1000;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int fill_addr(const char *path, struct sockaddr_un *sa)
{
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n + 1);
	return 0;
}

/* mkdir -p of path's parent; directories we create get 0755 whatever the
 * umask, so group members can reach the socket. */
static int mkdir_parents(const char *path)
{
	char *p = strdup(path), *slash;
	int r = 0;

	if (!p)
		return -ENOMEM;
	for (slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(p, 0755) == 0) {
			if (chmod(p, 0755) < 0)
				r = td_err(errno, "chmod %s", p);
		} else if (errno != EEXIST) {
			r = td_err(errno, "creating %s", p);
		}
		*slash = '/';
		if (r)
			break;
	}
	free(p);
	return r;
}

/* A socket file is stale when nobody accepts on it any more. Anything
 * else at the path is not ours to remove. */
static int remove_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : td_err(errno, "stat %s", path);
	if (!S_ISSOCK(st.st_mode))
		return td_err(EEXIST, "%s exists and is not a socket, refusing to replace it", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return td_err(errno, "socket");
	/* non-blocking: a listener with a full backlog answers EAGAIN */
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ? -errno : 0;
	close(fd);
	if (r == 0 || r == -EAGAIN || r == -EINPROGRESS)
		return td_err(EADDRINUSE, "%s: another process is listening on it", path);
	if (r != -ECONNREFUSED && r != -ENOENT)
		return td_err(r, "probing %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return td_err(errno, "removing stale socket %s", path);
	td_debug("removed stale socket %s", path);
	return 0;
}

static int bind_path(struct td_server *s)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old_mask;
	int r;

	r = fill_addr(s->path, &sa);
	if (r)
		return td_err(r, "socket path %s", s->path);
	r = mkdir_parents(s->path);
	if (!r)
		r = remove_stale(s->path, &sa);
	if (r)
		return r;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0)
		return td_err(errno, "socket");
	/* created 0600: never accessible beyond root before the chown */
	old_mask = umask(0177);
	r = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old_mask);
	if (r)
		return td_err(r, "bind %s", s->path);
	s->bound = true;
	if (lstat(s->path, &st) < 0)
		return td_err(errno, "stat %s", s->path);
	s->bound_dev = st.st_dev;
	s->bound_ino = st.st_ino;
	/* the owner stays our euid, which is root in production */
	if (s->have_gid && chown(s->path, (uid_t)-1, s->gid) < 0)
		td_warn("chgrp %s %s: %s, ignoring", s->group, s->path, strerror(errno));
	if (chmod(s->path, 0660) < 0)
		return td_err(errno, "chmod %s", s->path);
	if (listen(s->listen_fd, LISTEN_BACKLOG) < 0)
		return td_err(errno, "listen %s", s->path);
	td_debug("listening on %s", s->path);
	return 0;
}

/* Returns 1 when systemd passed our socket, 0 when there is none. */
static int take_passed(struct td_server *s)
{
	struct sockaddr_un sa = { 0 };
	socklen_t len = sizeof(sa);
	int n, r;

	n = sd_listen_fds(/* unset_environment= */ 1);
	if (n < 0)
		return td_err(n, "sd_listen_fds");
	if (n == 0)
		return 0;
	if (n > 1)
		return td_err(EINVAL, "%d sockets passed, expected one", n);
	r = sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, /* listening= */ 1, NULL, 0);
	if (r < 0)
		return td_err(r, "checking the passed socket");
	if (r == 0)
		return td_err(EINVAL, "passed fd is not a listening AF_UNIX stream socket");
	s->listen_fd = SD_LISTEN_FDS_START;
	r = set_nonblock(s->listen_fd);
	if (r)
		return td_err(r, "passed socket: O_NONBLOCK");
	s->activated = true;
	free(s->path);
	s->path = NULL;
	if (getsockname(s->listen_fd, (struct sockaddr *)&sa, &len) == 0 &&
	    len > offsetof(struct sockaddr_un, sun_path) && sa.sun_path[0]) {
		s->path = strndup(sa.sun_path, sizeof(sa.sun_path));
		if (!s->path)
			return -ENOMEM;
	}
	td_debug("listening on %s (socket-activated)", s->path ?: "passed socket");
	return 1;
}

static int resolve_group(struct td_server *s)
{
	struct group *gr;

	if (!s->group)
		return 0;
	errno = 0;
	gr = getgrnam(s->group);
	if (gr) {
		s->gid = gr->gr_gid;
		s->have_gid = true;
		return 0;
	}
	if (errno == ENOMEM)
		return -ENOMEM;
	td_warn("group %s not found: control socket is accessible to root only", s->group);
	return 0;
}

static int alloc_table(struct td_server *s)
{
	s->clients = calloc(s->max_clients, sizeof(*s->clients));
	s->bufs = calloc(s->max_clients, s->max_request + 1);
	if (!s->clients || !s->bufs)
		return -ENOMEM;
	for (unsigned i = 0; i < s->max_clients; i++) {
		s->clients[i].fd = -1;
		s->clients[i].server = s;
		s->clients[i].buf = s->bufs + i * (s->max_request + 1);
	}
	return 0;
}

static int copy_params(struct td_server *s, const struct td_server_params *p)
{
	s->handle = p->handle;
	s->ctx = p->ctx;
	s->max_clients = p->max_clients ?: TD_SERVER_MAX_CLIENTS;
	s->uid_share = s->max_clients / UID_SHARE_DIVISOR ?: 1;
	s->open_slots = s->max_clients > ROOT_SLOTS ? s->max_clients - ROOT_SLOTS : s->max_clients;
	s->euid = geteuid();
	s->max_request = p->max_request ?: TD_SERVER_MAX_REQUEST;
	s->idle_ns = (p->idle_timeout_ms ?: TD_SERVER_IDLE_TIMEOUT_MS) * NSEC_PER_MSEC;
	s->grace_ns = s->idle_ns / 2 < EVICT_GRACE_NS ? s->idle_ns / 2 : EVICT_GRACE_NS;
	if (!s->handle || s->max_clients > MAX_CLIENTS_LIMIT || s->max_request < 2 ||
	    s->max_request > MAX_REQUEST_LIMIT || p->idle_timeout_ms > IDLE_TIMEOUT_MS_LIMIT)
		return -EINVAL;
	if (p->path) {
		s->path = strdup(p->path);
		if (!s->path)
			return -ENOMEM;
	}
	if (p->group) {
		s->group = strdup(p->group);
		if (!s->group)
			return -ENOMEM;
	}
	return 0;
}

static int on_listen(sd_event_source *src, int fd, uint32_t revents, void *userdata);
static void arm_timer(struct td_server *s, uint64_t now_ns);
static int on_timer(sd_event_source *src, uint64_t usec, void *userdata);

/* The listening socket's and the idle timer's sources on the caller's loop. */
static int attach(struct td_server *s, sd_event *e)
{
	int r;

	s->event = sd_event_ref(e);
	r = sd_event_add_io(e, &s->listen_src, s->listen_fd, EPOLLIN, on_listen, s);
	if (r >= 0)
		r = sd_event_add_time(e, &s->timer_src, CLOCK_MONOTONIC, 0, TIMER_ACCURACY_USEC,
				      on_timer, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->timer_src, SD_EVENT_OFF);
	if (r < 0)
		return td_err(r, "control socket: adding event sources");
	(void)sd_event_source_set_description(s->listen_src, "control-listen");
	(void)sd_event_source_set_description(s->timer_src, "control-idle");
	return 0;
}

int td_server_new(const struct td_server_params *p, sd_event *e, struct td_server **ret)
{
	struct td_server *s;
	int r;

	if (!e)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->listen_fd = -1;
	r = copy_params(s, p);
	if (r == -EINVAL)
		td_err(r, "control socket parameters");
	if (!r)
		r = alloc_table(s);
	if (!r)
		r = resolve_group(s);
	if (r)
		goto fail;
	r = take_passed(s);
	if (r == 0 && !s->path)
		r = td_err(EINVAL, "no control socket path and no socket passed");
	else if (r == 0)
		r = bind_path(s);
	if (r < 0)
		goto fail;
	r = attach(s, e);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	td_server_free(s);
	return r;
}

static void accept_resume(struct td_server *s)
{
	if (s->accept != ACCEPT_ON && s->listen_src &&
	    sd_event_source_set_enabled(s->listen_src, SD_EVENT_ON) >= 0)
		s->accept = ACCEPT_ON;
}

static void client_close(struct td_server *s, struct client *c)
{
	/* the source first: it must not outlive the fd it watches */
	c->src = sd_event_source_disable_unref(c->src);
	close(c->fd);
	c->fd = -1;
	free(c->out_owned);
	c->out_owned = NULL;
	c->out = NULL;
	c->len = c->out_len = c->out_off = 0;
	c->want_out = false;
	s->n_clients--;
	/* a slot and an fd are free again: paused accepts may work now */
	accept_resume(s);
}

void td_server_free(struct td_server *s)
{
	struct stat st;

	if (!s)
		return;
	s->listen_src = sd_event_source_disable_unref(s->listen_src);
	s->timer_src = sd_event_source_disable_unref(s->timer_src);
	for (unsigned i = 0; s->clients && i < s->max_clients; i++)
		if (s->clients[i].fd >= 0)
			client_close(s, &s->clients[i]);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	sd_event_unref(s->event);
	/* only the file we created: someone may have replaced it since */
	if (s->bound && lstat(s->path, &st) == 0 && st.st_dev == s->bound_dev &&
	    st.st_ino == s->bound_ino && unlink(s->path) < 0)
		td_warn("removing %s: %s, ignoring", s->path, strerror(errno));
	free(s->clients);
	free(s->bufs);
	free(s->path);
	free(s->group);
	free(s);
}

bool td_server_activated(const struct td_server *s)
{
	return s->activated;
}

const char *td_server_path(const struct td_server *s)
{
	return s->path;
}

const struct td_server_counters *td_server_counters(const struct td_server *s)
{
	return &s->counters;
}

unsigned td_server_clients(const struct td_server *s, uid_t uid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->max_clients; i++)
		n += s->clients[i].fd >= 0 && (uid == (uid_t)-1 || s->clients[i].peer.uid == uid);
	return n;
}

/* Sends what the socket takes now; closes the client once all is sent. */
static void client_write(struct td_server *s, struct client *c, uint64_t now_ns)
{
	while (c->out_off < c->out_len) {
		ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* watch EPOLLOUT only: one request per connection */
			if (!c->want_out) {
				if (sd_event_source_set_io_events(c->src, EPOLLOUT) < 0)
					break;
				c->want_out = true;
			}
			return;
		}
		if (k < 0)
			break;		/* the peer went away: nothing to tell it */
		c->out_off += k;
		c->last_ns = now_ns;
	}
	if (c->out_off == c->out_len)
		shutdown(c->fd, SHUT_WR);
	client_close(s, c);
}
static void client_reply(struct td_server *s, struct client *c, const char *out, size_t len,
			 char *owned, uint64_t now_ns)
{
	c->out = out;
	c->out_owned = owned;
	c->out_len = len;
	c->out_off = 0;
	client_write(s, c, now_ns);
}

static void client_request(struct td_server *s, struct client *c, size_t len, uint64_t now_ns)
{
	size_t out_len = 0;
	char *out;

	c->buf[len] = '\0';
	out = s->handle(s->ctx, c->buf, len, &c->peer, &out_len);
	if (!out) {
		if (!s->warned_nomem)
			td_warn("control socket: out of memory answering a request, sending an error");
		s->warned_nomem = true;
		client_reply(s, c, reply_nomem, sizeof(reply_nomem) - 1, NULL, now_ns);
		return;
	}
	client_reply(s, c, out, out_len, out, now_ns);
}

static void client_refuse(struct td_server *s, struct client *c, uint64_t now_ns)
{
	if (!c->allowed) {
		s->counters.denied++;
		if (!s->warned_denied)
			td_warn("control socket: denied uid %u pid %d (not root, not in group %s); "
				"further denials are counted", (unsigned)c->peer.uid,
				(int)c->peer.pid, s->group ?: "(none)");
		s->warned_denied = true;
		client_reply(s, c, reply_denied, sizeof(reply_denied) - 1, NULL, now_ns);
		return;
	}
	s->counters.too_long++;
	if (!s->warned_too_long)
		td_debug("control socket: request from pid %d longer than %zu bytes, refused; "
			 "further ones are counted", (int)c->peer.pid, s->max_request);
	s->warned_too_long = true;
	client_reply(s, c, reply_too_long, sizeof(reply_too_long) - 1, NULL, now_ns);
}

/*
 * Reads what is there, up to the first '\n' or max_request bytes. A peer we
 * refuse is still read up to its '\n' first: answered before it has written
 * its request, it would see EPIPE instead of the reason.
 */
static void client_read(struct td_server *s, struct client *c, uint64_t now_ns)
{
	for (;;) {
		ssize_t k = recv(c->fd, c->buf + c->len, s->max_request - c->len, MSG_DONTWAIT);
		char *nl;

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (k <= 0) {
			client_close(s, c);	/* EOF or error before a full line */
			return;
		}
		c->last_ns = now_ns;
		nl = memchr(c->buf + c->len, '\n', k);
		c->len += k;
		if (!nl && c->len < s->max_request)
			continue;
		if (nl && c->allowed)
			client_request(s, c, nl - c->buf, now_ns);
		else
			client_refuse(s, c, now_ns);
		return;
	}
}

static bool in_groups(int fd, gid_t gid, bool *warned)
{
	gid_t stack[64], *groups = stack;
	socklen_t len = sizeof(stack);
	bool found = false;
	int r;

	r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	if (r < 0 && errno == ERANGE) {
		/* len now says how much the peer's group list needs */
		groups = malloc(len);
		if (!groups)
			return false;
		r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len);
	}
	if (r < 0 && !*warned) {
		td_debug("SO_PEERGROUPS: %s, checking primary groups only", strerror(errno));
		*warned = true;
	}
	for (size_t i = 0; r == 0 && i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			found = true;
	if (groups != stack)
		free(groups);
	return found;
}

/* Fills the peer's credentials. Returns true when it may talk to us. */
static bool peer_allowed(struct td_server *s, int fd, struct td_peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	/* nobody, should the kernel not say */
	*peer = (struct td_peer){ .uid = (uid_t)-1, .gid = (gid_t)-1 };
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	peer->uid = cred.uid;
	peer->gid = cred.gid;
	peer->pid = cred.pid;
	peer->in_group = s->have_gid &&
		(cred.gid == s->gid || in_groups(fd, s->gid, &s->warned_peergroups));
	return cred.uid == 0 || cred.uid == geteuid() || peer->in_group;
}

/* 0: sent nothing yet; 1: part of a request; 2: being answered. */
static int client_rank(const struct client *c)
{
	return c->out ? 2 : c->len ? 1 : 0;
}

/* Among which clients a victim is chosen. */
enum pick { PICK_ANY, PICK_UNPRIVILEGED, PICK_UID };

static bool picks(const struct client *c, enum pick who, uid_t uid)
{
	if (c->fd < 0)
		return false;
	if (who == PICK_UNPRIVILEGED)
		return !c->privileged;
	return who != PICK_UID || c->peer.uid == uid;
}

/*
 * The client a newcomer would replace, among those @who picks: of the
 * lowest rank present, the one active least recently. Whether it may go
 * yet is the caller's question.
 */
static struct client *client_victim(struct td_server *s, enum pick who, uid_t uid)
{
	struct client *v = NULL;

	for (unsigned i = 0; i < s->max_clients; i++) {
		struct client *c = &s->clients[i];

		if (!picks(c, who, uid))
			continue;
		if (!v || client_rank(c) < client_rank(v) ||
		    (client_rank(c) == client_rank(v) &&
		     (c->last_ns < v->last_ns || (c->last_ns == v->last_ns && c->seq < v->seq))))
			v = c;
	}
	return v;
}

static bool past_grace(const struct td_server *s, const struct client *v, uint64_t now_ns)
{
	return v && now_ns - v->last_ns >= s->grace_ns;
}

static struct client *free_slot(struct td_server *s)
{
	for (unsigned i = 0; i < s->max_clients; i++)
		if (s->clients[i].fd < 0)
			return &s->clients[i];
	return NULL;
}

/* A free slot, or the client a privileged newcomer replaces: an
 * unprivileged one not being answered, or any past its grace. NULL: none
 * yet, not even for root. */
static struct client *slot_privileged(struct td_server *s, uint64_t now_ns)
{
	struct client *v = free_slot(s);

	if (v)
		return v;
	v = client_victim(s, PICK_UNPRIVILEGED, 0);
	if (v && (client_rank(v) < 2 || past_grace(s, v, now_ns)))
		return v;
	v = client_victim(s, PICK_ANY, 0);
	return past_grace(s, v, now_ns) ? v : NULL;
}

/* The same for an unprivileged uid: within its share and the open slots,
 * a free slot or a victim past its grace; at its share, only one of its own. */
static struct client *slot_unprivileged(struct td_server *s, uid_t uid, uint64_t now_ns)
{
	unsigned of_uid = 0, open = 0;
	struct client *v;

	for (unsigned i = 0; i < s->max_clients; i++) {
		const struct client *c = &s->clients[i];

		open += c->fd >= 0 && !c->privileged;
		of_uid += c->fd >= 0 && !c->privileged && c->peer.uid == uid;
	}
	if (of_uid >= s->uid_share)
		v = client_victim(s, PICK_UID, uid);
	else if (open >= s->open_slots)
		v = client_victim(s, PICK_UNPRIVILEGED, 0);
	else
		v = free_slot(s) ?: client_victim(s, PICK_ANY, 0);
	return v && (v->fd < 0 || past_grace(s, v, now_ns)) ? v : NULL;
}

static void client_evict(struct td_server *s, struct client *c)
{
	s->counters.evicted++;
	if (!s->warned_evict)
		td_warn("control socket: %u clients connected, closing an idle one; "
			"further evictions are counted", s->max_clients);
	s->warned_evict = true;
	client_close(s, c);
}

static int on_client(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct client *c = userdata;
	struct td_server *s = c->server;
	uint64_t now_ns = loop_now_ns(s);

	/* EPOLLHUP with a request still queued: read it first, recv says EOF after */
	if (!c->out)
		client_read(s, c, now_ns);
	else
		client_write(s, c, now_ns);
	arm_timer(s, now_ns);
	return 0;	/* a negative return would disable this source */
}

/* Takes slot c (free, or a client to evict) for fd and reads at once:
 * tieringctl writes its request right after connect(). */
static void client_start(struct td_server *s, struct client *c, int fd,
			 const struct td_peer *peer, bool allowed, uint64_t now_ns)
{
	int r;

	if (c->fd >= 0)
		client_evict(s, c);
	c->fd = fd;
	c->seq = ++s->seq;
	c->last_ns = now_ns;
	c->len = 0;
	c->peer = *peer;
	c->allowed = allowed;
	c->privileged = allowed && (peer->uid == 0 || peer->uid == s->euid);
	s->n_clients++;
	r = sd_event_add_io(s->event, &c->src, fd, EPOLLIN, on_client, c);
	if (r < 0) {
		client_close(s, c);
		return;
	}
	client_read(s, c, now_ns);
}

/* A newcomer with no slot its uid may take: what it sent is read (closing
 * with unread bytes would reset the connection before the reply is read),
 * then it is told and closed. Never blocks. */
static void client_busy(struct td_server *s, int fd, const struct td_peer *peer)
{
	char junk[BUSY_DRAIN_BYTES];
	size_t got = 0;
	ssize_t k;

	s->counters.busy++;
	if (!s->warned_busy)
		td_warn("control socket: uid %u has its share of %u connections (or the table is "
			"full for unprivileged users), refusing more; further refusals are counted",
			(unsigned)peer->uid, s->uid_share);
	s->warned_busy = true;
	while (got < s->max_request &&
	       ((k = recv(fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0 || (k < 0 && errno == EINTR)))
		got += k > 0 ? k : 0;
	if (send(fd, reply_busy, sizeof(reply_busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) > 0)
		shutdown(fd, SHUT_WR);
	close(fd);
}

/* A new connection: its credentials decide which slot it may take. */
static void client_admit(struct td_server *s, int fd, uint64_t now_ns)
{
	struct td_peer peer;
	bool allowed = peer_allowed(s, fd, &peer);
	struct client *c;

	s->counters.accepted++;
	if (allowed && (peer.uid == 0 || peer.uid == s->euid))
		c = slot_privileged(s, now_ns);
	else
		c = slot_unprivileged(s, peer.uid, now_ns);
	if (c)
		client_start(s, c, fd, &peer, allowed, now_ns);
	else
		client_busy(s, fd, &peer);
}

/* The listening socket would stay readable and spin the loop: stop watching
 * it until a slot is free (ACCEPT_FULL) or for a moment (out of fds). */
static void accept_pause(struct td_server *s, enum accept_state why, int err, uint64_t now_ns)
{
	if (why == ACCEPT_ERROR && !s->warned_accept)
		td_warn("control socket: accept: %s, pausing accepts", strerror(err));
	if (why == ACCEPT_ERROR)
		s->warned_accept = true;
	if (sd_event_source_set_enabled(s->listen_src, SD_EVENT_OFF) < 0)
		return;
	s->accept = why;
	s->accept_resume_ns = now_ns + ACCEPT_RETRY_NS;
}

static void accept_clients(struct td_server *s, uint64_t now_ns)
{
	for (int i = 0; i < MAX_ACCEPTS; i++) {
		int fd;

		/* who waits is known only once accepted: go on while root could
		 * have a slot, the newcomer's uid decides then */
		if (!slot_privileged(s, now_ns)) {
			accept_pause(s, ACCEPT_FULL, 0, now_ns);
			return;
		}
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			client_admit(s, fd, now_ns);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return;
		case EINTR:
		case ECONNABORTED:
		case EPERM:		/* refused by an LSM */
		case EPROTO:
			continue;
		default:
			accept_pause(s, ACCEPT_ERROR, errno, now_ns);
			return;
		}
	}
}

static int on_listen(sd_event_source *src, int fd, uint32_t revents, void *userdata)
{
	struct td_server *s = userdata;
	uint64_t now_ns = loop_now_ns(s);

	accept_clients(s, now_ns);
	arm_timer(s, now_ns);
	return 0;	/* a negative return would disable this source */
}

static void expire(struct td_server *s, uint64_t now_ns)
{
	for (unsigned i = 0; i < s->max_clients; i++) {
		struct client *c = &s->clients[i];

		if (c->fd < 0 || now_ns < c->last_ns || now_ns - c->last_ns < s->idle_ns)
			continue;
		s->counters.timed_out++;
		if (!s->warned_timeout)
			td_debug("control socket: closing pid %d after %" PRIu64 " ms without progress",
				 (int)c->peer.pid, s->idle_ns / NSEC_PER_MSEC);
		s->warned_timeout = true;
		client_close(s, c);
	}
	/* ACCEPT_FULL: the victim's grace is over, or a slot was freed above */
	if (s->accept == ACCEPT_FULL || (s->accept == ACCEPT_ERROR && now_ns >= s->accept_resume_ns))
		accept_resume(s);
}

static int on_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct td_server *s = userdata;
	uint64_t now_ns = loop_now_ns(s);

	expire(s, now_ns);
	arm_timer(s, now_ns);
	return 0;	/* a negative return would disable this source */
}

/* The earliest of: a client's idle timeout, the end of a victim's grace
 * while accepts wait for it (see slot_privileged), the retry after an accept
 * error. 0: none. */
static uint64_t next_deadline(struct td_server *s)
{
	uint64_t deadline = 0;
	const struct client *v, *u;

	for (unsigned i = 0; i < s->max_clients; i++) {
		const struct client *c = &s->clients[i];

		if (c->fd >= 0 && (!deadline || c->last_ns + s->idle_ns < deadline))
			deadline = c->last_ns + s->idle_ns;
	}
	if (s->accept == ACCEPT_ERROR && (!deadline || s->accept_resume_ns < deadline))
		deadline = s->accept_resume_ns;
	v = s->accept == ACCEPT_FULL ? client_victim(s, PICK_ANY, 0) : NULL;
	u = s->accept == ACCEPT_FULL ? client_victim(s, PICK_UNPRIVILEGED, 0) : NULL;
	if (u && (!v || u->last_ns < v->last_ns))
		v = u;
	if (v && (!deadline || v->last_ns + s->grace_ns < deadline))
		deadline = v->last_ns + s->grace_ns;
	return deadline;
}

/* Arms the idle timer for the next deadline (rounded up to the loop's
 * microseconds, so it never fires early), or disarms it. */
static void arm_timer(struct td_server *s, uint64_t now_ns)
{
	uint64_t deadline = next_deadline(s);
	int r;

	if (!deadline) {
		(void)sd_event_source_set_enabled(s->timer_src, SD_EVENT_OFF);
		return;
	}
	if (deadline <= now_ns)
		deadline = now_ns + NSEC_PER_MSEC;
	r = sd_event_source_set_time(s->timer_src, (deadline + 999) / 1000);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->timer_src, SD_EVENT_ONESHOT);
	if (r < 0 && !s->warned_timer)
		td_warn("control socket: arming the idle timer: %s, ignoring", strerror(-r));
	s->warned_timer = r < 0;
}
