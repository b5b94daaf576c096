/*  zc_http.c - HTTP server start-up */
#include "zc_http.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct MHD_Daemon *
zc_http_start (const char *listen, unsigned threads, MHD_AccessHandlerCallback handler,
               void *cls, MHD_RequestCompletedCallback completed, char *err, size_t err_size)
{
    char host [64];
    const char *colon = listen ? strrchr (listen, ':') : NULL;
    int port = colon ? atoi (colon + 1) : 0;
    snprintf (host, sizeof host, "%.*s", colon ? (int) (colon - listen) : 0, colon ? listen : "");
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    if (!colon || port <= 0 || port > 65535 || inet_pton (AF_INET, host, &addr.sin_addr) != 1) {
        snprintf (err, err_size, "%s: expected IPV4:PORT, like 127.0.0.1:7780", listen ? listen : "");
        return NULL;
    }
    struct MHD_Daemon *daemon = MHD_start_daemon (
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, cls,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads ? threads : 1u,
        MHD_OPTION_CONNECTION_LIMIT, 512u,
        MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
        MHD_OPTION_END);
    if (!daemon)
        snprintf (err, err_size, "cannot listen on %s (in use?)", listen);
    return daemon;
}
