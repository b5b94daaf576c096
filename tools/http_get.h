/*  http_get.h - one small HTTP/1.0 GET, for zchain ping and zchain up
 *
 *  Enough for the node's own endpoints (the sidecar's /healthz and
 *  /autoscale, the gateway's HTTP api): plain HTTP, one request per
 *  connection, a whole answer within a deadline and a size.
 */
#ifndef ZCHAIN_HTTP_GET_H_INCLUDED
#define ZCHAIN_HTTP_GET_H_INCLUDED

#include <stddef.h>

//  GET url (http://HOST[:PORT][/PATH]) within timeout_ms: 0 with the
//  status in *code_p and the body (NUL-terminated, cut at body_size - 1)
//  in body; -1 with reason set when no HTTP answer came.
int
    http_get (const char *url, int timeout_ms, char *body, size_t body_size, int *code_p,
              char *reason, size_t reason_size);

#endif
