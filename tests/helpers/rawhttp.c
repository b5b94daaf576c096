/*  rawhttp.c - HTTP over plain sockets for tests */
#include "rawhttp.h"
#include "zc_time.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int
s_wait (int fd, short events, int64_t deadline)
{
    struct pollfd p = { .fd = fd, .events = events };
    int64_t left = deadline - zc_mono_ms ();
    int rc = poll (&p, 1, left > 0 ? (int) left : 0);
    return rc > 0 ? p.revents : 0;
}

int
rawhttp_connect (const char *source, int port, int timeout_ms)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (source) {
        struct sockaddr_in from = { .sin_family = AF_INET };
        inet_pton (AF_INET, source, &from.sin_addr);
        if (bind (fd, (struct sockaddr *) &from, sizeof from)) {
            close (fd);
            return -1;
        }
    }
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    inet_pton (AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect (fd, (struct sockaddr *) &to, sizeof to) && errno != EINPROGRESS) {
        close (fd);
        return -1;
    }
    int error = 0;
    socklen_t len = sizeof error;
    if (!(s_wait (fd, POLLOUT, zc_mono_ms () + timeout_ms) & POLLOUT)
    ||  getsockopt (fd, SOL_SOCKET, SO_ERROR, &error, &len) || error) {
        close (fd);
        return -1;
    }
    return fd;
}

int
rawhttp_send (int fd, const void *data, size_t size, int timeout_ms)
{
    int64_t deadline = zc_mono_ms () + timeout_ms;
    size_t sent = 0;
    while (sent < size) {
        ssize_t n = send (fd, (const char *) data + sent, size - sent, MSG_NOSIGNAL);
        if (n > 0)
            sent += (size_t) n;
        else
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!(s_wait (fd, POLLOUT, deadline) & POLLOUT))
                return -1;
        }
        else
            return -1;
    }
    return 0;
}

int
rawhttp_read (int fd, char *out, size_t out_size, int timeout_ms)
{
    int64_t deadline = zc_mono_ms () + timeout_ms;
    size_t cap = 1 << 20, got = 0;
    char *buf = malloc (cap);
    if (!buf)
        return 0;
    while (got < cap - 1) {
        ssize_t n = recv (fd, buf + got, cap - 1 - got, 0);
        if (n > 0)
            got += (size_t) n;
        else
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!s_wait (fd, POLLIN, deadline))
                break;
        }
        else
            break;                      //  closed or reset
    }
    buf [got] = 0;
    int status = 0;
    if (sscanf (buf, "HTTP/%*s %d", &status) != 1)
        status = 0;
    if (out) {
        const char *body = strstr (buf, "\r\n\r\n");
        snprintf (out, out_size, "%s", body ? body + 4 : "");
    }
    free (buf);
    return status;
}

int
rawhttp_request (const char *source, int port, const char *request, char *out, size_t out_size,
                 int timeout_ms)
{
    if (out && out_size)
        *out = 0;
    int fd = rawhttp_connect (source, port, timeout_ms);
    if (fd < 0)
        return -1;
    int status = rawhttp_send (fd, request, strlen (request), timeout_ms) == 0
               ? rawhttp_read (fd, out, out_size, timeout_ms) : 0;
    close (fd);
    return status;
}

bool
rawhttp_closed (int fd, int timeout_ms)
{
    int64_t deadline = zc_mono_ms () + timeout_ms;
    char sink [4096];
    while (true) {
        ssize_t n = recv (fd, sink, sizeof sink, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return true;
        if (n < 0 && !s_wait (fd, POLLIN, deadline))
            return false;
    }
}
