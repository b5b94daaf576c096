/*  zc_http.c - HTTP server start-up, connection limits, request deadline, strict framing */
#include "zc_http.h"
#include "zc_err.h"
#include "zc_log.h"
#include "zc_text.h"
#include "zc_time.h"

#include <arpa/inet.h>
#include <assert.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define SWEEP_MS 250                    //  deadline granularity
#define WINDOW_MS 10000                 //  at most one refusal summary this often
#define WINDOW_ADDRESSES 4              //  addresses named in a summary

//  One open connection, from libmicrohttpd's notice to its close
typedef struct s_conn {
    struct s_conn *prev, *next;
    int fd;
    sa_family_t family;
    uint8_t addr [16];                  //  the client's address (4 bytes for IPv4)
    int64_t since_ms;                   //  when the request being received began
    bool in_request;                    //  the handler has seen this request
    bool received;                      //  the whole request is in: no deadline
    bool refused;                       //  over a limit: being closed, not counted
    bool shut;                          //  we shut its socket down
} s_conn_t;

typedef enum { REFUSE_NONE, REFUSE_PER_ADDRESS, REFUSE_MAX } s_refusal_t;

//  What happened since the last summary line
typedef struct {
    int64_t started_ms;                 //  0: nothing to report
    uint64_t refused;
    uint64_t deadline;
    struct {
        sa_family_t family;
        uint8_t addr [16];
        uint64_t count;
    } top [WINDOW_ADDRESSES];
    int n_top;
} s_window_t;

struct _zc_http_t {
    struct MHD_Daemon *daemon;
    char listen [64];
    zc_http_limits_t limits;
    MHD_AccessHandlerCallback handler;
    MHD_RequestCompletedCallback completed;
    void *cls;
    pthread_mutex_t lock;               //  everything below
    pthread_cond_t wake;
    pthread_t sweeper;
    bool sweeping;
    bool stopping;
    s_conn_t *conns;                    //  open connections, newest first
    zc_http_stats_t stats;
    s_window_t window;
};

static size_t
s_addr_key (const struct sockaddr *addr, sa_family_t *family, uint8_t key [16])
{
    memset (key, 0, 16);
    *family = addr ? addr->sa_family : AF_UNSPEC;
    if (*family == AF_INET) {
        memcpy (key, &((const struct sockaddr_in *) addr)->sin_addr, 4);
        return 4;
    }
    if (*family == AF_INET6) {
        memcpy (key, &((const struct sockaddr_in6 *) addr)->sin6_addr, 16);
        return 16;
    }
    return 0;
}

static const char *
s_addr_text (sa_family_t family, const uint8_t addr [16], char *text, size_t size)
{
    if (!inet_ntop (family, addr, text, (socklen_t) size))
        snprintf (text, size, "?");
    return text;
}

//  Which limit a new connection from addr would break; caller holds the lock
static s_refusal_t
s_over_limit (zc_http_t *self, const struct sockaddr *addr)
{
    sa_family_t family;
    uint8_t key [16];
    s_addr_key (addr, &family, key);
    int64_t all = 0, same = 0;
    for (s_conn_t *c = self->conns; c; c = c->next)
        if (!c->refused) {
            all++;
            if (c->family == family && !memcmp (c->addr, key, 16))
                same++;
        }
    if (same >= self->limits.per_address)
        return REFUSE_PER_ADDRESS;
    if (all >= self->limits.max_connections)
        return REFUSE_MAX;
    return REFUSE_NONE;
}

//  Count a refusal for the summary; caller holds the lock
static void
s_count_refusal (zc_http_t *self, s_refusal_t why, const struct sockaddr *addr)
{
    if (why == REFUSE_PER_ADDRESS)
        self->stats.refused_per_address++;
    else
        self->stats.refused_max++;
    s_window_t *w = &self->window;
    if (!w->started_ms)
        w->started_ms = zc_mono_ms ();
    w->refused++;
    sa_family_t family;
    uint8_t key [16];
    s_addr_key (addr, &family, key);
    int i = 0;
    while (i < w->n_top && !(w->top [i].family == family && !memcmp (w->top [i].addr, key, 16)))
        i++;
    if (i == w->n_top && w->n_top < WINDOW_ADDRESSES) {
        w->top [i].family = family;
        memcpy (w->top [i].addr, key, 16);
        w->top [i].count = 0;
        w->n_top++;
    }
    if (i < w->n_top)
        w->top [i].count++;
}

//  The summary of the last window, at most one line each for refusals and
//  deadlines; caller holds the lock
static void
s_log_window (zc_http_t *self, int64_t now)
{
    s_window_t *w = &self->window;
    int64_t seconds = (now - w->started_ms + 999) / 1000;
    if (w->refused) {
        char list [WINDOW_ADDRESSES * 96] = "", text [INET6_ADDRSTRLEN];
        uint64_t named = 0;
        size_t used = 0;
        for (int i = 0; i < w->n_top && used < sizeof list - 1; i++) {
            int n = snprintf (list + used, sizeof list - used, "%s%llu from %s", i ? ", " : "",
                              (unsigned long long) w->top [i].count,
                              s_addr_text (w->top [i].family, w->top [i].addr, text, sizeof text));
            if (n > 0)                  //  snprintf says what it would have written
                used = used + (size_t) n < sizeof list ? used + (size_t) n : sizeof list - 1;
            named += w->top [i].count;
        }
        if (named < w->refused)
            snprintf (list + used, sizeof list - used, ", %llu from others",
                      (unsigned long long) (w->refused - named));
        zc_warn ("http %s: refused %llu connections in the last %lld s (%s); limits %lld per "
                 "address, %lld in all", self->listen, (unsigned long long) w->refused,
                 (long long) seconds, list, (long long) self->limits.per_address,
                 (long long) self->limits.max_connections);
    }
    if (w->deadline)
        zc_warn ("http %s: closed %llu connections in the last %lld s that had not sent a whole "
                 "request within %lld ms", self->listen, (unsigned long long) w->deadline,
                 (long long) seconds, (long long) self->limits.deadline_ms);
    memset (w, 0, sizeof *w);
}

//  Before libmicrohttpd allocates anything for a new connection: the cheap
//  refusal, which most of a flood gets
static enum MHD_Result
s_accept_policy (void *cls, const struct sockaddr *addr, socklen_t addr_len)
{
    (void) addr_len;
    zc_http_t *self = cls;
    pthread_mutex_lock (&self->lock);
    s_refusal_t why = s_over_limit (self, addr);
    if (why != REFUSE_NONE)
        s_count_refusal (self, why, addr);
    pthread_mutex_unlock (&self->lock);
    return why == REFUSE_NONE ? MHD_YES : MHD_NO;
}

static void
s_notify (void *cls, struct MHD_Connection *connection, void **socket_context,
          enum MHD_ConnectionNotificationCode code)
{
    zc_http_t *self = cls;
    const union MHD_ConnectionInfo *info;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        info = MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CONNECTION_FD);
        int fd = info ? info->connect_fd : -1;
        info = MHD_get_connection_info (connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *addr = info ? info->client_addr : NULL;
        s_conn_t *conn = calloc (1, sizeof *conn);
        *socket_context = conn;
        if (!conn) {
            //  a connection we cannot follow is one we cannot bound
            if (fd >= 0)
                shutdown (fd, SHUT_RDWR);
            return;
        }
        conn->fd = fd;
        s_addr_key (addr, &conn->family, conn->addr);
        conn->since_ms = zc_mono_ms ();
        pthread_mutex_lock (&self->lock);
        //  the policy's check raced with the other threads' accepts: this
        //  one decides, under the same lock as the insertion
        s_refusal_t why = s_over_limit (self, addr);
        if (why != REFUSE_NONE) {
            s_count_refusal (self, why, addr);
            conn->refused = conn->shut = true;
            shutdown (fd, SHUT_RDWR);
        }
        conn->next = self->conns;
        if (self->conns)
            self->conns->prev = conn;
        self->conns = conn;
        pthread_mutex_unlock (&self->lock);
    }
    else
    if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
        //  libmicrohttpd closes the socket after this returns, so the sweep
        //  never shuts down a descriptor that was reused
        s_conn_t *conn = *socket_context;
        pthread_mutex_lock (&self->lock);
        if (conn->prev)
            conn->prev->next = conn->next;
        else
            self->conns = conn->next;
        if (conn->next)
            conn->next->prev = conn->prev;
        pthread_mutex_unlock (&self->lock);
        free (conn);
        *socket_context = NULL;
    }
}

static s_conn_t *
s_conn_of (struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info (connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

typedef struct {
    int content_length;
    int transfer_encoding;
    bool chunked;
    bool bad_name;
    bool body;
} s_framing_t;

//  RFC 9110 token characters, what a header name is made of
static bool
s_is_token (const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')
        ||    strchr ("!#$%&'*+-.^_`|~", *s)))
            return false;
    return true;
}

static enum MHD_Result
s_framing_header (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void) kind;
    s_framing_t *f = cls;
    if (!s_is_token (key))
        f->bad_name = true;
    else
    if (!strcasecmp (key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        f->content_length++;
        if (value && strcmp (value, "0") != 0)
            f->body = true;
    }
    else
    if (!strcasecmp (key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        f->transfer_encoding++;
        f->chunked = value && !strcasecmp (value, "chunked");
        f->body = true;
    }
    return MHD_YES;
}

//  NULL when the request's framing is unambiguous, else why not. Two
//  lengths, or a length and a coding, let a proxy and this server disagree
//  on where the request ends (request smuggling).
static const char *
s_framing_error (struct MHD_Connection *connection, bool *has_body)
{
    s_framing_t f = { 0 };
    MHD_get_connection_values (connection, MHD_HEADER_KIND, s_framing_header, &f);
    *has_body = f.body;
    if (f.bad_name)
        return "a header name that is not a token (white space before the colon?)";
    if (f.content_length > 1)
        return "more than one Content-Length header";
    if (f.transfer_encoding && f.content_length)
        return "both Transfer-Encoding and Content-Length";
    if (f.transfer_encoding > 1 || (f.transfer_encoding && !f.chunked))
        return "a Transfer-Encoding other than chunked";
    return NULL;
}

static enum MHD_Result
s_refuse_framing (zc_http_t *self, struct MHD_Connection *connection, const char *why)
{
    pthread_mutex_lock (&self->lock);
    self->stats.malformed++;
    pthread_mutex_unlock (&self->lock);
    zc_debug ("http %s: 400, %s", self->listen, why);
    zc_text_t t;
    zc_text_init (&t);
    zc_text_printf (&t, "{\"error\":\"%s\",\"code\":%d,\"detail\":", zc_err_name (ZC_ERR_BAD_REQUEST),
                    (int) ZC_ERR_BAD_REQUEST);
    zc_text_json_string (&t, why);
    zc_text_printf (&t, "}\n");
    size_t size;
    char *body = zc_text_take (&t, &size);
    if (!body)
        return MHD_NO;
    struct MHD_Response *response = MHD_create_response_from_buffer (size, body,
                                                                     MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free (body);
        return MHD_NO;
    }
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    //  where this request ends is in doubt, so nothing after it is read
    MHD_add_response_header (response, MHD_HTTP_HEADER_CONNECTION, "close");
    enum MHD_Result rc = MHD_queue_response (connection, MHD_HTTP_BAD_REQUEST, response);
    MHD_destroy_response (response);
    return rc;
}

static enum MHD_Result
s_access (void *cls, struct MHD_Connection *connection, const char *url, const char *method,
          const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    zc_http_t *self = cls;
    s_conn_t *conn = s_conn_of (connection);
    if (!conn)
        return MHD_NO;                  //  not followed (out of memory): closed
    pthread_mutex_lock (&self->lock);
    bool first = !conn->in_request, shut = conn->shut;
    conn->in_request = true;
    pthread_mutex_unlock (&self->lock);
    //  refused or past its deadline, but its request was already buffered:
    //  no work for a connection that is being closed
    if (shut)
        return MHD_NO;
    bool has_body = !first;
    if (first) {
        const char *why = s_framing_error (connection, &has_body);
        if (why)
            return s_refuse_framing (self, connection, why);
    }
    //  the last call of a request with a body has no data; a request
    //  without one is whole at its first call
    if (*upload_data_size == 0 && (!first || !has_body)) {
        pthread_mutex_lock (&self->lock);
        conn->received = true;
        pthread_mutex_unlock (&self->lock);
    }
    return self->handler (self->cls, connection, url, method, version, upload_data,
                          upload_data_size, con_cls);
}

static void
s_completed (void *cls, struct MHD_Connection *connection, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    zc_http_t *self = cls;
    if (self->completed)
        self->completed (self->cls, connection, con_cls, toe);
    s_conn_t *conn = s_conn_of (connection);
    if (conn) {
        //  a kept-alive connection's next request has the same deadline,
        //  from now: else a client would trickle its second request forever
        pthread_mutex_lock (&self->lock);
        conn->in_request = false;
        conn->received = false;
        conn->since_ms = zc_mono_ms ();
        pthread_mutex_unlock (&self->lock);
    }
}

//  The deadline: libmicrohttpd cannot close a connection from outside, but a
//  shut-down socket reads as a client that left, which it then closes
static void *
s_sweep (void *arg)
{
    zc_http_t *self = arg;
    pthread_mutex_lock (&self->lock);
    while (!self->stopping) {
        int64_t now = zc_mono_ms ();
        for (s_conn_t *c = self->conns; c; c = c->next)
            if (!c->received && !c->shut && now - c->since_ms > self->limits.deadline_ms) {
                shutdown (c->fd, SHUT_RDWR);
                c->shut = true;
                self->stats.deadline++;
                if (!self->window.started_ms)
                    self->window.started_ms = now;
                self->window.deadline++;
            }
        if (self->window.started_ms && now - self->window.started_ms >= WINDOW_MS)
            s_log_window (self, now);
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += SWEEP_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait (&self->wake, &self->lock, &ts);
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

//  libmicrohttpd's own messages: one per bad request or refused socket, so
//  at debug only
__attribute__ ((format (printf, 2, 0)))
static void
s_mhd_log (void *cls, const char *format, va_list ap)
{
    zc_http_t *self = cls;
    if (!zc_log_enabled (ZC_LOG_DEBUG))
        return;
    char line [512];
    vsnprintf (line, sizeof line, format, ap);
    line [strcspn (line, "\r\n")] = 0;
    zc_debug ("http %s: %s", self->listen, line);
}

static int
s_parse_listen (const char *listen, struct sockaddr_in *addr)
{
    char host [64];
    const char *colon = listen ? strrchr (listen, ':') : NULL;
    if (!colon || colon - listen >= (long) sizeof host)
        return -1;
    char *end;
    long port = strtol (colon + 1, &end, 10);
    snprintf (host, sizeof host, "%.*s", (int) (colon - listen), listen);
    memset (addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons ((uint16_t) port);
    if (colon [1] < '0' || colon [1] > '9' || *end || port <= 0 || port > 65535
    ||  inet_pton (AF_INET, host, &addr->sin_addr) != 1)
        return -1;
    return 0;
}

zc_http_t *
zc_http_start (const char *listen, unsigned threads, const zc_http_limits_t *limits,
               MHD_AccessHandlerCallback handler, void *cls,
               MHD_RequestCompletedCallback completed, char *err, size_t err_size)
{
    assert (handler);
    struct sockaddr_in addr;
    if (s_parse_listen (listen, &addr)) {
        snprintf (err, err_size, "%s: expected IPV4:PORT, like 127.0.0.1:7780", listen ? listen : "");
        return NULL;
    }
    zc_http_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    snprintf (self->listen, sizeof self->listen, "%s", listen);
    self->limits = limits ? *limits : (zc_http_limits_t) {
        ZC_HTTP_MAX_CONNECTIONS, ZC_HTTP_PER_ADDRESS, ZC_HTTP_DEADLINE_MS, ZC_HTTP_IDLE_MS };
    self->handler = handler;
    self->completed = completed;
    self->cls = cls;
    pthread_mutex_init (&self->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init (&attr);
    pthread_condattr_setclock (&attr, CLOCK_MONOTONIC);
    pthread_cond_init (&self->wake, &attr);
    pthread_condattr_destroy (&attr);
    threads = threads ? threads : 1u;
    //  our limits are the ones that hold: libmicrohttpd splits its own
    //  among the threads, so it gets room for each thread to take them all
    unsigned backstop = (unsigned) (self->limits.max_connections + 1) * threads;
    unsigned idle_s = (unsigned) ((self->limits.idle_ms + 999) / 1000);
    self->daemon = MHD_start_daemon (
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0,
        s_accept_policy, self, s_access, self,
        MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log, self,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_LIMIT, backstop,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
        MHD_OPTION_NOTIFY_CONNECTION, s_notify, self,
        MHD_OPTION_NOTIFY_COMPLETED, s_completed, self,
        MHD_OPTION_STRICT_FOR_CLIENT, (int) 1,
        MHD_OPTION_END);
    if (!self->daemon) {
        snprintf (err, err_size, "cannot listen on %s (in use?)", listen);
        zc_http_stop (&self);
        return NULL;
    }
    int rc = pthread_create (&self->sweeper, NULL, s_sweep, self);
    if (rc) {
        snprintf (err, err_size, "cannot start a thread: %s", strerror (rc));
        zc_http_stop (&self);
        return NULL;
    }
    self->sweeping = true;
    return self;
}

void
zc_http_stop (zc_http_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_http_t *self = *self_p;
    if (self->sweeping) {
        pthread_mutex_lock (&self->lock);
        self->stopping = true;
        pthread_cond_signal (&self->wake);
        pthread_mutex_unlock (&self->lock);
        pthread_join (self->sweeper, NULL);
    }
    //  closes every connection; each close is noticed (s_notify frees it)
    if (self->daemon)
        MHD_stop_daemon (self->daemon);
    pthread_mutex_destroy (&self->lock);
    pthread_cond_destroy (&self->wake);
    free (self);
    *self_p = NULL;
}

void
zc_http_stats (zc_http_t *self, zc_http_stats_t *stats)
{
    pthread_mutex_lock (&self->lock);
    *stats = self->stats;
    pthread_mutex_unlock (&self->lock);
}
