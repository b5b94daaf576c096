/*  zc_http.h - a libmicrohttpd server on IPV4:PORT that strangers cannot starve
 *
 *  For the gateway's api and the metrics sidecar: one place that parses
 *  "127.0.0.1:7780", starts the daemon with its own threads and bounds what
 *  any one client can hold:
 *
 *    - connections in all and per client address: one over either limit is
 *      closed as soon as it is accepted, and counted;
 *    - a deadline on the whole request: its line, headers and body must all
 *      have arrived within deadline_ms of the connection (on a kept-alive
 *      connection, of the previous answer), however slowly they trickle in.
 *      libmicrohttpd's own timeout is an idle timeout that every byte
 *      resets, so a sweep thread shuts down the socket of a request past its
 *      deadline and libmicrohttpd then closes it as a client that left;
 *    - an idle timeout, for a client that sends nothing or reads nothing;
 *    - strict framing: two Content-Length headers, Transfer-Encoding with
 *      Content-Length, a transfer coding other than chunked, or a header
 *      name that is not a token are answered 400 (JSON) and the connection
 *      closed, before the handler sees the request.
 *
 *  Refusals and deadline closures are counted (zc_http_stats) and logged at
 *  most once every 10 s, with counts and the busiest addresses.
 */
#ifndef ZC_HTTP_H_INCLUDED
#define ZC_HTTP_H_INCLUDED

#include "zc_config.h"

#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_HTTP_MAX_CONNECTIONS 512
#define ZC_HTTP_PER_ADDRESS 16
#define ZC_HTTP_DEADLINE_MS 10000
#define ZC_HTTP_IDLE_MS 5000

typedef struct {
    int64_t max_connections;            //  open at once, from everyone
    int64_t per_address;                //  open at once, from one address
    int64_t deadline_ms;                //  to send a whole request
    int64_t idle_ms;                    //  of silence (rounded up to seconds)
} zc_http_limits_t;

#define ZC_HTTP_STR_(x) #x
#define ZC_HTTP_STR(x) ZC_HTTP_STR_ (x)

//  Option rows for a service's table: its config struct TYPE holds a
//  zc_http_limits_t FIELD; ENV prefixes the variables (ENV_PER_ADDRESS, ...)
#define ZC_HTTP_OPTIONS(ENV, TYPE, FIELD) \
    { "http-max-connections", ENV "_MAX_CONNECTIONS", ZC_OPT_INT, \
      ZC_HTTP_STR (ZC_HTTP_MAX_CONNECTIONS), \
      "HTTP connections open at once, from all clients", \
      offsetof (TYPE, FIELD.max_connections), 1, 10000 }, \
    { "http-per-address", ENV "_PER_ADDRESS", ZC_OPT_INT, ZC_HTTP_STR (ZC_HTTP_PER_ADDRESS), \
      "HTTP connections open at once from one client address", \
      offsetof (TYPE, FIELD.per_address), 1, 10000 }, \
    { "http-deadline-ms", ENV "_DEADLINE_MS", ZC_OPT_INT, ZC_HTTP_STR (ZC_HTTP_DEADLINE_MS), \
      "ms a client has to send a whole HTTP request, headers and body", \
      offsetof (TYPE, FIELD.deadline_ms), 100, 600000 }, \
    { "http-idle-ms", ENV "_IDLE_MS", ZC_OPT_INT, ZC_HTTP_STR (ZC_HTTP_IDLE_MS), \
      "ms of silence after which an HTTP connection is closed (whole seconds)", \
      offsetof (TYPE, FIELD.idle_ms), 1000, 600000 }

//  Counts since the start; read from any thread
typedef struct {
    uint64_t refused_per_address;       //  over per_address at accept
    uint64_t refused_max;               //  over max_connections at accept
    uint64_t deadline;                  //  closed: no whole request in time
    uint64_t malformed;                 //  answered 400 for their framing
} zc_http_stats_t;

typedef struct _zc_http_t zc_http_t;

//  Serve handler (with cls) on listen with threads polling threads, within
//  limits (NULL: the defaults above); completed (may be NULL) is told when
//  a request ends, with cls. A new server the caller stops with
//  zc_http_stop, or NULL and a one-line reason in err.
zc_http_t *
    zc_http_start (const char *listen, unsigned threads, const zc_http_limits_t *limits,
                   MHD_AccessHandlerCallback handler, void *cls,
                   MHD_RequestCompletedCallback completed, char *err, size_t err_size);

//  Stop serving (open connections are closed) and free the server; safe
//  to call twice.
void
    zc_http_stop (zc_http_t **self_p);

//  Copy the counts into stats.
void
    zc_http_stats (zc_http_t *self, zc_http_stats_t *stats);

#endif
