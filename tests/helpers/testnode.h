/*  testnode.h - a real node for integration tests: zchain up in a temporary
 *  directory, the CLI against it, its HTTP api, its processes
 */
#ifndef TESTNODE_H_INCLUDED
#define TESTNODE_H_INCLUDED

#include "zc_zmq.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct {
    char dir [128];
    int http_port;
    int metrics_port;
    int p2p_port;                       //  every test node accepts peers here
    pid_t up;                           //  the zchain up process
    zc_client_t *client;                //  to the gateway api
    zc_keys_t *keys;                    //  the node's operator keys (DATADIR/keys)
    char args [256];
} testnode_t;

//  The first of the TESTNODE_PORTS TCP ports this test program binds: a
//  block chosen by its pid, so that programs running side by side differ,
//  and below Linux's ephemeral range (32768 and up by default), where any
//  outgoing connection on the machine can hold a port before a node gets
//  to bind it (a test node's gateway then never starts).
#define TESTNODE_PORTS 40
int
    testnode_ports (void);

//  Start zchain up with extra arguments (e.g. "--validators 4 --miners 0")
//  in a fresh directory (or dir when not NULL, to restart a node) and wait
//  until the gateway answers. Ports (HTTP, metrics, p2p) are unique to
//  this test process; a restarted node gets new ones.
testnode_t *
    testnode_start (const char *dir, const char *extra_args);

//  Stop zchain up (SIGTERM, as Ctrl-C) and wait for it; keep_dir keeps the
//  data directory for a restart.
void
    testnode_stop (testnode_t **self_p, bool keep_dir);

//  The status: height (and tip into tip32 when not NULL); -1 if no answer.
int64_t
    testnode_height (testnode_t *self, uint8_t *tip32);

//  Wait until the height reaches at least height; false after timeout_s.
bool
    testnode_wait_height (testnode_t *self, int64_t height, int timeout_s);

//  Run "zchain --datadir DIR ARGS"; stdout into out (NUL-terminated);
//  returns the exit status.
int
    testnode_cli (testnode_t *self, char *out, size_t out_size, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  An HTTP request to the node's api: the status code, the body into out.
int
    testnode_http (testnode_t *self, int port, const char *method, const char *path,
                   const char *body, char *out, size_t out_size);

//  The pid of the node's service process NAME (instance name, e.g.
//  "storage", "validator-1"); 0 if not running.
pid_t
    testnode_pid (testnode_t *self, const char *name);

//  A metric's value on the node's sidecar: the first series named name,
//  with a label it must carry when name says one
//  ("zchain_p2p_misbehaviour_total{kind=\"over_asking\"}"); -1 when the
//  sidecar does not answer or has no such series.
double
    testnode_metric (testnode_t *self, const char *name);

//  The same, summed over every series that matches (the replicas of a
//  scaled service); -1 when the sidecar does not answer or has none.
double
    testnode_metric_sum (testnode_t *self, const char *name);

//  Resident memory of the node's service process NAME in kB; -1 if unknown.
long
    testnode_rss_kb (testnode_t *self, const char *name);

//  Call the gateway api; the reply body or NULL (with *reason).
const uint8_t *
    testnode_call (testnode_t *self, uint32_t type, const ProtobufCMessage *body,
                   size_t *size_p, zc_err_t *reason);

#endif
