/*  fetch.h - bounded HTTP requests with libcurl, over TCP or a unix socket
 *
 *  The autoscaler reads two servers it does not control: the metrics
 *  sidecar and the Docker engine. Every request through a fetch_t has a
 *  deadline, a cap on the bytes of the answer (body and headers), follows
 *  no redirect, speaks plain http only, and gives up within about a second
 *  when the stop flag it was made with is set, so SIGTERM is never stuck
 *  behind a slow server.
 *
 *      fetch_t *fetch = fetch_new ("/var/run/docker.sock", 10000, 4 << 20, &stop);
 *      fetch_reply_t reply;
 *      if (fetch_request (fetch, "GET", "http://docker/_ping", NULL, &reply, err, sizeof err) == 0)
 *          printf ("%ld %s\n", reply.status, reply.body);
 *      fetch_destroy (&fetch);
 */
#ifndef AUTOSCALER_FETCH_H_INCLUDED
#define AUTOSCALER_FETCH_H_INCLUDED

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _fetch_t fetch_t;

typedef struct {
    long status;                        //  the HTTP status
    const char *body;                   //  NUL-terminated; borrowed until the next request
    size_t size;                        //  bytes in body, the NUL not counted
} fetch_reply_t;

//  A client for one server: unix_path is the socket to connect to (the
//  URL's host is then only a name), or NULL for TCP to the URL's host.
//  timeout_ms bounds each whole request; max_bytes its answer. stop, when
//  not NULL, is polled during requests. NULL when libcurl failed.
fetch_t *
    fetch_new (const char *unix_path, int64_t timeout_ms, size_t max_bytes,
               const volatile sig_atomic_t *stop);

//  Free the client; NULL-safe, nulls the pointer.
void
    fetch_destroy (fetch_t **self_p);

//  One request: method "GET" or "POST" (body, JSON, for POST; NULL for
//  GET). 0 when the server answered, whatever the status, with reply
//  filled in; -1 with a one-line reason in err when it did not (could not
//  connect, timed out, answered too much, stopped).
int
    fetch_request (fetch_t *self, const char *method, const char *url, const char *body,
                   fetch_reply_t *reply, char *err, size_t err_size);

//  The errno of the last request's failed connect (ECONNREFUSED, EACCES,
//  ENOENT, ...), or 0.
int
    fetch_os_errno (fetch_t *self);

//  Parse text as one JSON value with nothing but white space after it
//  (cJSON alone would take trailing garbage). The caller owns the result
//  (cJSON_Delete); NULL when it is not JSON.
struct cJSON *
    fetch_json (const char *text, size_t size);

//  Copy the last answer's header name (case-insensitive) into value; false
//  when it had none.
bool
    fetch_header (fetch_t *self, const char *name, char *value, size_t value_size);

#endif
