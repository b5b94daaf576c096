/*  rawhttp.h - HTTP over plain sockets for tests: exact bytes, chosen source address
 *
 *  A library would normalise what it sends (one Content-Length, no space
 *  before a colon); these send what the test wrote, from a loopback source
 *  address of its choice (Linux routes all of 127/8 to lo, so a client
 *  bound to 127.0.0.2 is another address to a server on 127.0.0.1).
 *  Every wait is bounded by a timeout.
 */
#ifndef RAWHTTP_H_INCLUDED
#define RAWHTTP_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

//  A TCP connection from source (NULL: the kernel's choice) to
//  127.0.0.1:port, non-blocking; -1 if it is not up within timeout_ms.
int
    rawhttp_connect (const char *source, int port, int timeout_ms);

//  Send all of data (never raises SIGPIPE); 0, or -1 when the peer is gone
//  or the socket stays full for timeout_ms.
int
    rawhttp_send (int fd, const void *data, size_t size, int timeout_ms);

//  Read until the peer closes or timeout_ms passes: the status of the
//  first response (0 if none), its body into out (NUL-terminated).
int
    rawhttp_read (int fd, char *out, size_t out_size, int timeout_ms);

//  One request on its own connection from source: the status, or -1 when
//  no connection; 0 when closed or timed out without a response.
int
    rawhttp_request (const char *source, int port, const char *request, char *out,
                     size_t out_size, int timeout_ms);

//  True when the peer has closed the connection (EOF or reset); reads and
//  drops whatever it sent. Waits at most timeout_ms (0: only looks).
bool
    rawhttp_closed (int fd, int timeout_ms);

#endif
