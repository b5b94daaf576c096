/*  http_get.c - one small HTTP/1.0 GET */
#include "http_get.h"
#include "zc_time.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEADERS_MAX 4096                //  room for the status line and headers

//  Split http://HOST[:PORT][/PATH]; 0 or -1 when it is not such a URL
static int
s_parse_url (const char *url, char *host, size_t host_size, char *port, size_t port_size,
             const char **path)
{
    const char *p = url + strlen ("http://");
    const char *slash = strchr (p, '/');
    const char *end = slash ? slash : p + strlen (p);
    const char *colon = memchr (p, ':', (size_t) (end - p));
    const char *host_end = colon ? colon : end;
    if (host_end == p || (size_t) (host_end - p) >= host_size)
        return -1;
    memcpy (host, p, (size_t) (host_end - p));
    host [host_end - p] = 0;
    if (colon) {
        if ((size_t) (end - colon - 1) >= port_size || end == colon + 1)
            return -1;
        memcpy (port, colon + 1, (size_t) (end - colon - 1));
        port [end - colon - 1] = 0;
    }
    else
        snprintf (port, port_size, "80");
    *path = slash ? slash : "/";
    return 0;
}

//  Wait for fd to be ready for events until deadline; 0, or -1 on timeout
static int
s_wait (int fd, short events, int64_t deadline)
{
    int64_t left = deadline - zc_mono_ms ();
    if (left <= 0)
        return -1;
    struct pollfd item = { .fd = fd, .events = events };
    return poll (&item, 1, (int) left) == 1 ? 0 : -1;
}

//  The error of a finished non-blocking connect, 0 when it succeeded
static int
s_connect_error (int fd)
{
    int error = 0;
    socklen_t size = sizeof error;
    if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &error, &size))
        return errno;
    return error;
}

//  Read the whole answer (the server closes: HTTP/1.0) into buf; its size
static size_t
s_read_all (int fd, char *buf, size_t size, int64_t deadline)
{
    size_t have = 0;
    while (have < size - 1) {
        if (s_wait (fd, POLLIN, deadline))
            break;
        ssize_t got = recv (fd, buf + have, size - 1 - have, 0);
        if (got <= 0)
            break;
        have += (size_t) got;
    }
    buf [have] = 0;
    return have;
}

int
http_get (const char *url, int timeout_ms, char *body, size_t body_size, int *code_p,
          char *reason, size_t reason_size)
{
    char host [256], port [16];
    const char *path;
    if (strncmp (url, "http://", 7) || s_parse_url (url, host, sizeof host, port, sizeof port, &path)) {
        snprintf (reason, reason_size, "not a URL of the form http://HOST:PORT/PATH");
        return -1;
    }
    int64_t deadline = zc_mono_ms () + timeout_ms;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    int gai = getaddrinfo (host, port, &hints, &res);
    if (gai) {
        snprintf (reason, reason_size, "%s: %s", host, gai_strerror (gai));
        return -1;
    }
    int fd = socket (res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int status = -1;
    size_t size = body_size + HEADERS_MAX;
    char *reply = malloc (size);
    int error;
    if (!reply)
        snprintf (reason, reason_size, "out of memory");
    else
    if (fd < 0)
        snprintf (reason, reason_size, "socket: %s", strerror (errno));
    else
    if (connect (fd, res->ai_addr, res->ai_addrlen) && errno != EINPROGRESS)
        snprintf (reason, reason_size, "connect: %s", strerror (errno));
    else
    if (s_wait (fd, POLLOUT, deadline))
        snprintf (reason, reason_size, "connect: no answer");
    else
    if ((error = s_connect_error (fd)))
        snprintf (reason, reason_size, "connect: %s", strerror (error));
    else {
        char request [600];
        int n = snprintf (request, sizeof request,
                          "GET %.400s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);
        if (send (fd, request, (size_t) n, MSG_NOSIGNAL) != n)
            snprintf (reason, reason_size, "send: %s", strerror (errno));
        else {
            s_read_all (fd, reply, size, deadline);
            int code = 0;
            const char *start = strstr (reply, "\r\n\r\n");
            if (sscanf (reply, "HTTP/%*d.%*d %d", &code) != 1)
                snprintf (reason, reason_size, "no HTTP answer");
            else {
                snprintf (body, body_size, "%s", start ? start + 4 : "");
                *code_p = code;
                status = 0;
            }
        }
    }
    free (reply);
    if (fd >= 0)
        close (fd);
    freeaddrinfo (res);
    return status;
}
