/*  zc_http.h - start a libmicrohttpd server on an IPV4:PORT listen address
 *
 *  For the gateway's api and the metrics sidecar: one place that parses
 *  "127.0.0.1:7780", bounds connections and timeouts, and starts the
 *  daemon with its own threads.
 */
#ifndef ZC_HTTP_H_INCLUDED
#define ZC_HTTP_H_INCLUDED

#include <microhttpd.h>
#include <stddef.h>

//  Serve handler (with cls) on listen with threads polling threads, at
//  most 512 connections, each closed after 60 s idle; completed (may be
//  NULL) is told when a request ends. NULL and a one-line reason in err.
struct MHD_Daemon *
    zc_http_start (const char *listen, unsigned threads, MHD_AccessHandlerCallback handler,
                   void *cls, MHD_RequestCompletedCallback completed, char *err, size_t err_size);

#endif
