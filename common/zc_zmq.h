/*  zc_zmq.h - sockets, envelopes on the wire, and a request client
 *
 *  Sockets are CZMQ zsocks (so actors can poll them with zpoller or
 *  zloop); sending and receiving go through raw zmq_msg_t on the
 *  socket's libzmq handle, four times cheaper than zmsg on the hot path.
 *
 *  Framing: requests and replies are [envelope] from a DEALER and
 *  [identity][envelope] at a ROUTER; events are [topic][envelope].
 */
#ifndef ZC_ZMQ_H_INCLUDED
#define ZC_ZMQ_H_INCLUDED

#include "zc_auth.h"
#include "zc_codec.h"
#include "zc_err.h"

#include <czmq.h>
#include <stdatomic.h>
#include <stdbool.h>

#define ZC_FRAMES_MAX 4

//  A received multipart message: at most ZC_FRAMES_MAX frames kept
typedef struct {
    zmq_msg_t frame [ZC_FRAMES_MAX];
    int count;                          //  frames kept
    bool overflow;                      //  more frames arrived and were dropped
} zc_frames_t;

//  Open a socket of type (ZMQ_ROUTER, ZMQ_DEALER, ZMQ_PUB, ZMQ_SUB,
//  ZMQ_PUSH, ZMQ_PULL) and bind (bind true) or connect it to endpoint
//  ("tcp://127.0.0.1:7801", "ipc:///path/x.sock"). For ipc, binding
//  creates the directory and removes a stale socket file. Sets high-water
//  marks of hwm messages each way, linger 0, a largest message of
//  ZC_MSG_MAX (a bigger one drops the connection before it is buffered).
//  A ROUTER refuses a second connection claiming a routing id in use.
//  NULL and a one-line reason in err on failure.
zsock_t *
    zc_zmq_open (int type, const char *endpoint, bool bind, int hwm, char *err, size_t err_size);

//  The same, with CURVE encryption when cert is not NULL: a bound socket
//  is a CURVE server with cert's keys; a connecting one authenticates the
//  server by server_key (64 hex digits) and uses cert's keys.
zsock_t *
    zc_zmq_open_curve (int type, const char *endpoint, bool bind, int hwm, zcert_t *cert,
                       const char *server_key, char *err, size_t err_size);

//  A DEALER connected to endpoint that never reconnects by itself: one
//  connection attempt, whose failure or end the caller sees as silence, so
//  that the caller's own backoff decides when to try again (a p2p dial).
//  CURVE as zc_zmq_open_curve when cert is not NULL.
zsock_t *
    zc_zmq_dial (const char *endpoint, int hwm, zcert_t *cert, const char *server_key,
                 char *err, size_t err_size);
//  Open one of a node's own sockets (sock names which, for the admission
//  rule and the server's key) with the service's keys:
//  - tcp:// and ipc:// with keys: CURVE. A bound socket is the server with
//    our key and lets in only the roles sock admits (zc_auth.h); a
//    connecting one authenticates the server by its role's public key.
//  - inproc://: never CURVE (nothing outside the process reaches it).
//  - ipc:// without keys (keys NULL): plain; the directory's permissions
//    are the only guard.
//  - tcp:// without keys: refused, unless keys is an insecure set
//    (zc_keys_insecure: --insecure), then plain.
//  keys is borrowed and must outlive the socket. NULL and a one-line reason
//  in err on failure.
zsock_t *
    zc_zmq_open_auth (int type, const char *endpoint, bool bind, int hwm, const zc_keys_t *keys,
                      zc_sock_t sock, char *err, size_t err_size);

//  Make a SUB socket (which zc_zmq_open* subscribe to everything) receive
//  only topic: the messages whose first frame begins with it. A publisher
//  filters for its subscribers, so what is not wanted never travels.
void
    zc_zmq_subscribe_only (zsock_t *sub, const char *topic);

//  Send [prefix][envelope(header, body)] (no prefix frame when prefix is
//  NULL). flags: ZMQ_DONTWAIT to drop instead of blocking at the HWM.
//  0, or -1 (errno from libzmq: EAGAIN when the HWM was hit).
int
    zc_zmq_send (void *sock, const void *prefix, size_t prefix_size, const zc_env_t *header,
                 const ProtobufCMessage *body, int flags);

//  The same with a raw body (already packed bytes, or canonical bytes).
int
    zc_zmq_send_raw (void *sock, const void *prefix, size_t prefix_size, const zc_env_t *header,
                     const void *body, size_t body_size, int flags);

//  The same, never blocking, for a caller that keeps the message when the
//  queue is full (its own retry queue): -1 with errno EAGAIN then, not
//  counted as a drop.
int
    zc_zmq_try_send_raw (void *sock, const void *prefix, size_t prefix_size, const zc_env_t *header,
                         const void *body, size_t body_size);

//  Reply ERROR_REPLY {reason, detail} to request_id at a ROUTER identity
//  (identity NULL: on a DEALER).
int
    zc_zmq_send_error (void *sock, const void *identity, size_t identity_size,
                       uint64_t request_id, zc_err_t reason, const char *detail);

//  Messages this process's sends could not hand to libzmq since it started,
//  on any socket: hwm, a queue full at its high-water mark (EAGAIN on a
//  non-blocking send); unroutable, a ROUTER peer that is gone (EHOSTUNREACH)
void
    zc_zmq_drops (uint64_t *hwm, uint64_t *unroutable);

//  Reply PONG (no body) to a PING with request_id at a ROUTER identity.
int
    zc_zmq_send_pong (void *sock, const void *identity, size_t identity_size,
                      uint64_t request_id);

//  Receive one whole multipart message (flags: 0 or ZMQ_DONTWAIT).
//  0, or -1 when nothing could be received. Close with zc_frames_close.
int
    zc_frames_recv (void *sock, zc_frames_t *frames, int flags);

void
    zc_frames_close (zc_frames_t *frames);

//  Frame i's bytes and size
static inline const uint8_t *
zc_frame_data (zc_frames_t *frames, int i)
{
    return (const uint8_t *) zmq_msg_data (&frames->frame [i]);
}

static inline size_t
zc_frame_size (zc_frames_t *frames, int i)
{
    return zmq_msg_size (&frames->frame [i]);
}

//  Who sent a message received on a socket bound to endpoint: the role
//  the ZAP handler admitted it as (ZC_ROLE_NONE for an unknown key where
//  any key may come), ZC_ROLE_LOCAL for a plain ipc:// or inproc://
//  connection, ZC_ROLE_NONE for a plain tcp:// one (--insecure).
zc_role_t
    zc_frames_sender (zc_frames_t *frames, const char *endpoint);

//  Decode the last frame as an envelope; ZC_ERR_MALFORMED when the
//  message has too many frames or none.
zc_err_t
    zc_frames_envelope (zc_frames_t *frames, zc_env_t *env);

//  A synchronous request client over a DEALER: one request at a time,
//  replies matched by request id (late replies to earlier requests are
//  dropped). For tools, miners and tests; services on the hot path keep
//  many requests in flight instead.
typedef struct _zc_client_t zc_client_t;

zc_client_t *
    zc_client_new (const char *endpoint, char *err, size_t err_size);

//  The same on one of a node's sockets, with keys (see zc_zmq_open_auth;
//  borrowed, must outlive the client).
zc_client_t *
    zc_client_new_auth (const char *endpoint, const zc_keys_t *keys, zc_sock_t sock, char *err,
                        size_t err_size);

void
    zc_client_destroy (zc_client_t **self_p);

//  Send a request of type with body and wait up to timeout_ms for its
//  reply. After a timeout the client reconnects on a fresh socket (the
//  "lazy pirate" pattern), so one lost answer never wedges it. ZC_OK: *reply_type and the body bytes in *reply (valid until
//  the next call). ZC_ERR_TIMEOUT when nothing came back; an ERROR_REPLY
//  gives its reason (detail in *detail_p if not NULL, borrowed).
zc_err_t
    zc_client_call (zc_client_t *self, uint32_t type, const ProtobufCMessage *body,
                    int timeout_ms, uint32_t *reply_type, const uint8_t **reply,
                    size_t *reply_size, const char **detail_p);

//  While *cancel is true, a call waiting for its answer gives up within
//  100 ms with ZC_ERR_UNAVAILABLE (a service stopping); NULL: never. The
//  flag is borrowed and may be set from another thread.
void
    zc_client_set_cancel (zc_client_t *self, const atomic_bool *cancel);

//  The client's socket (to poll it together with others)
zsock_t *
    zc_client_sock (zc_client_t *self);

#endif
