/*  zc_zmq.c - sockets and envelopes on raw zmq_msg_t */
#include "zc_zmq.h"
#include "zc_hex.h"
#include "zc_time.h"
#include "envelope.pb-c.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  For ipc endpoints: make the directory, remove a socket file left by a
//  process that died (binding would fail with EADDRINUSE otherwise)
static void
s_prepare_ipc (const char *endpoint)
{
    const char *path = endpoint + strlen ("ipc://");
    char dir [512];
    snprintf (dir, sizeof dir, "%s", path);
    char *slash = strrchr (dir, '/');
    if (slash && slash != dir) {
        *slash = 0;
        zsys_dir_create ("%s", dir);
    }
    struct stat st;
    if (lstat (path, &st) == 0 && S_ISSOCK (st.st_mode))
        unlink (path);
}

#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93       //  in libzmq 4.3, declared only in its draft headers
#endif

//  How a socket authenticates, set before its bind or connect
typedef struct {
    zcert_t *cert;                      //  our keys; NULL: plain
    const uint8_t *server_key;          //  connecting: the server's public key
    const char *domain;                 //  binding: the ZAP domain, or NULL
    bool once;                          //  connecting: one attempt, no reconnection
} s_curve_t;

static zsock_t *
s_open (int type, const char *endpoint, bool bind, int hwm, const s_curve_t *curve, char *err,
        size_t err_size)
{
    zsock_t *sock = zsock_new (type);
    if (!sock) {
        snprintf (err, err_size, "cannot create a socket: %s", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_sndhwm (sock, hwm);
    zsock_set_rcvhwm (sock, hwm);
    zsock_set_linger (sock, 0);
    //  libzmq would assemble a message of any size before our decoder can
    //  refuse it: a peer sending more than the largest message is cut off
    zsock_set_maxmsgsize (sock, (int64_t) ZC_MSG_MAX + 4096);
    //  no handover on ROUTERs: a second connection that claims a routing id
    //  already in use is refused, so nobody can take another's replies
    //  (every peer of ours lets libzmq choose its id, so none needs it)
    if (type == ZMQ_SUB)
        zsock_set_subscribe (sock, "");
    if (curve && curve->once)
        zsock_set_reconnect_ivl (sock, -1);
    //  security options must be set before the bind or connect
    if (curve && curve->cert) {
        zcert_apply (curve->cert, sock);
        if (bind)
            zsock_set_curve_server (sock, 1);
        else
            zsock_set_curve_serverkey_bin (sock, curve->server_key);
    }
    if (curve && curve->domain) {
        zsock_set_zap_domain (sock, curve->domain);
        //  with the domain enforced, a connection is refused when no ZAP
        //  handler answers, instead of let in unchecked
        int enforce = 1;
        zmq_setsockopt (zsock_resolve (sock), ZMQ_ZAP_ENFORCE_DOMAIN, &enforce, sizeof enforce);
    }
    int rc;
    if (bind) {
        if (strncmp (endpoint, "ipc://", 6) == 0)
            s_prepare_ipc (endpoint);
        rc = zsock_bind (sock, "%s", endpoint);
    }
    else
        rc = zsock_connect (sock, "%s", endpoint);
    if (rc < 0) {
        snprintf (err, err_size, "cannot %s %s: %s", bind ? "bind" : "connect to", endpoint,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
        return NULL;
    }
    return sock;
}

zsock_t *
zc_zmq_open (int type, const char *endpoint, bool bind, int hwm, char *err, size_t err_size)
{
    return s_open (type, endpoint, bind, hwm, NULL, err, err_size);
}

zsock_t *
zc_zmq_open_curve (int type, const char *endpoint, bool bind, int hwm, zcert_t *cert,
                   const char *server_key, char *err, size_t err_size)
{
    uint8_t key [32];
    s_curve_t curve = { .cert = cert, .server_key = key };
    if (cert && !bind && (!server_key || zc_hex_decode (server_key, key, 32) != 0)) {
        snprintf (err, err_size, "a server key is 64 hex digits");
        return NULL;
    }
    return s_open (type, endpoint, bind, hwm, &curve, err, err_size);
}

zsock_t *
zc_zmq_dial (const char *endpoint, int hwm, zcert_t *cert, const char *server_key, char *err,
             size_t err_size)
{
    uint8_t key [32];
    s_curve_t curve = { .cert = cert, .server_key = key, .once = true };
    if (cert && (!server_key || zc_hex_decode (server_key, key, 32) != 0)) {
        snprintf (err, err_size, "a server key is 64 hex digits");
        return NULL;
    }
    return s_open (ZMQ_DEALER, endpoint, false, hwm, &curve, err, err_size);
}

static bool
s_is_local (const char *endpoint)
{
    return !strncmp (endpoint, "ipc://", 6) || !strncmp (endpoint, "inproc://", 9);
}

zsock_t *
zc_zmq_open_auth (int type, const char *endpoint, bool bind, int hwm, const zc_keys_t *keys,
                  zc_sock_t sock, char *err, size_t err_size)
{
    zcert_t *cert = keys ? zc_keys_cert (keys) : NULL;
    //  inproc never leaves the process; libzmq has no handshake there
    if (!strncmp (endpoint, "inproc://", 9) || !cert) {
        if (!s_is_local (endpoint) && !keys) {
            snprintf (err, err_size, "%s is reachable from other hosts and needs CURVE keys: give "
                      "--keys DIR (made by zchain keys init DIR), or --insecure to trust anyone "
                      "who reaches it", endpoint);
            return NULL;
        }
        return s_open (type, endpoint, bind, hwm, NULL, err, err_size);
    }
    s_curve_t curve = { .cert = cert };
    char domain [64];
    if (bind) {
        //  only the role that owns a socket binds it: anything else is our bug
        assert (zc_keys_role (keys) == zc_sock_server (sock));
        if (zc_keys_domain (keys, sock, domain, sizeof domain, err, err_size))
            return NULL;
        curve.domain = domain;
    }
    else {
        curve.server_key = zc_keys_public (keys, zc_sock_server (sock));
        if (!curve.server_key) {
            snprintf (err, err_size, "no %s public key in %s (%s/%s.key) to connect to %s",
                      zc_role_name (zc_sock_server (sock)), zc_keys_dir (keys), zc_keys_dir (keys),
                      zc_role_name (zc_sock_server (sock)), endpoint);
            return NULL;
        }
    }
    return s_open (type, endpoint, bind, hwm, &curve, err, err_size);
}

zc_role_t
zc_frames_sender (zc_frames_t *frames, const char *endpoint)
{
    //  the ZAP handler's answer, carried by every frame of the connection
    const char *user = frames->count > 0
                     ? zmq_msg_gets (&frames->frame [frames->count - 1], "User-Id") : NULL;
    if (user) {
        int role = zc_role_by_name (user);
        return role >= 0 && role != ZC_ROLE_LOCAL ? (zc_role_t) role : ZC_ROLE_NONE;
    }
    return endpoint && s_is_local (endpoint) ? ZC_ROLE_LOCAL : ZC_ROLE_NONE;
}

static void
s_free (void *data, void *hint)
{
    (void) hint;
    free (data);
}

//  Sends refused since the process started, for zc_zmq_drops
static _Atomic uint64_t s_drops_hwm, s_drops_unroutable;

static void
s_count_drop (int error)
{
    if (error == EAGAIN)
        s_drops_hwm++;
    else
    if (error == EHOSTUNREACH)
        s_drops_unroutable++;
}

void
zc_zmq_drops (uint64_t *hwm, uint64_t *unroutable)
{
    *hwm = s_drops_hwm;
    *unroutable = s_drops_unroutable;
}

//  The routing frame; a refusal (count: as a drop) leaves errno as libzmq set it
static int
s_send_prefix (void *sock, const void *prefix, size_t prefix_size, int flags, bool count)
{
    if (!prefix)
        return 0;
    zmq_msg_t msg;
    zmq_msg_init_size (&msg, prefix_size);
    memcpy (zmq_msg_data (&msg), prefix, prefix_size);
    if (zmq_msg_send (&msg, zsock_resolve (sock), flags | ZMQ_SNDMORE) < 0) {
        int error = errno;
        if (count)
            s_count_drop (error);
        zmq_msg_close (&msg);
        errno = error;
        return -1;
    }
    return 0;
}

static int
s_send_owned (void *sock, uint8_t *data, size_t size, int flags)
{
    zmq_msg_t msg;
    //  hand the buffer to libzmq: it frees it when sent, no copy
    if (zmq_msg_init_data (&msg, data, size, s_free, NULL)) {
        free (data);
        return -1;
    }
    if (zmq_msg_send (&msg, zsock_resolve (sock), flags) < 0) {
        s_count_drop (errno);
        zmq_msg_close (&msg);
        return -1;
    }
    return 0;
}

void
zc_zmq_subscribe_only (zsock_t *sub, const char *topic)
{
    assert (sub && zsock_type (sub) == ZMQ_SUB && topic);
    zsock_set_unsubscribe (sub, "");
    zsock_set_subscribe (sub, topic);
}

int
zc_zmq_send (void *sock, const void *prefix, size_t prefix_size, const zc_env_t *header,
             const ProtobufCMessage *body, int flags)
{
    size_t size;
    uint8_t *data = zc_env_pack (header, body, &size);
    if (!data)
        return -1;
    if (s_send_prefix (sock, prefix, prefix_size, flags, true)) {
        free (data);
        return -1;
    }
    //  once the prefix went, the rest must follow or the peer sees half a message
    return s_send_owned (sock, data, size, prefix ? flags & ~ZMQ_DONTWAIT : flags);
}

static int
s_send_raw (void *sock, const void *prefix, size_t prefix_size, const zc_env_t *header,
            const void *body, size_t body_size, int flags, bool count)
{
    zc_env_t env = *header;
    env.body = body;
    env.body_size = body_size;
    size_t size = zc_env_encoded_size (&env);
    uint8_t *data = malloc (size ? size : 1);
    if (!data)
        return -1;
    zc_env_encode (&env, data);
    if (s_send_prefix (sock, prefix, prefix_size, flags, count)) {
        int error = errno;
        free (data);
        errno = error;
        return -1;
    }
    return s_send_owned (sock, data, size, prefix ? flags & ~ZMQ_DONTWAIT : flags);
}

int
zc_zmq_send_raw (void *sock, const void *prefix, size_t prefix_size, const zc_env_t *header,
                 const void *body, size_t body_size, int flags)
{
    return s_send_raw (sock, prefix, prefix_size, header, body, body_size, flags, true);
}

int
zc_zmq_try_send_raw (void *sock, const void *prefix, size_t prefix_size, const zc_env_t *header,
                     const void *body, size_t body_size)
{
    return s_send_raw (sock, prefix, prefix_size, header, body, body_size, ZMQ_DONTWAIT, false);
}

int
zc_zmq_send_error (void *sock, const void *identity, size_t identity_size,
                   uint64_t request_id, zc_err_t reason, const char *detail)
{
    Zc__ErrorReply reply = ZC__ERROR_REPLY__INIT;
    reply.reason = (Zc__Reason) reason;
    reply.detail = (char *) (detail ? detail : zc_err_name (reason));
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__ERROR_REPLY,
                        .request_id = request_id };
    return zc_zmq_send (sock, identity, identity_size, &header, &reply.base, ZMQ_DONTWAIT);
}

int
zc_zmq_send_pong (void *sock, const void *identity, size_t identity_size, uint64_t request_id)
{
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__PONG,
                        .request_id = request_id };
    return zc_zmq_send (sock, identity, identity_size, &header, NULL, ZMQ_DONTWAIT);
}

int
zc_frames_recv (void *sock, zc_frames_t *frames, int flags)
{
    frames->count = 0;
    frames->overflow = false;
    void *handle = zsock_resolve (sock);
    while (true) {
        zmq_msg_t part;
        zmq_msg_init (&part);
        if (zmq_msg_recv (&part, handle, frames->count == 0 && !frames->overflow ? flags : 0) < 0) {
            zmq_msg_close (&part);
            if (frames->count == 0)
                return -1;
            break;
        }
        bool more = zmq_msg_more (&part);
        if (frames->count < ZC_FRAMES_MAX)
            frames->frame [frames->count++] = part;
        else {
            //  a hostile peer may send any number of frames: keep none of them
            frames->overflow = true;
            zmq_msg_close (&part);
        }
        if (!more)
            break;
    }
    return 0;
}

void
zc_frames_close (zc_frames_t *frames)
{
    for (int i = 0; i < frames->count; i++)
        zmq_msg_close (&frames->frame [i]);
    frames->count = 0;
}

zc_err_t
zc_frames_envelope (zc_frames_t *frames, zc_env_t *env)
{
    memset (env, 0, sizeof *env);
    if (frames->count == 0 || frames->overflow)
        return ZC_ERR_MALFORMED;
    int last = frames->count - 1;
    return zc_env_decode (zc_frame_data (frames, last), zc_frame_size (frames, last), env);
}

struct _zc_client_t {
    zsock_t *sock;
    char endpoint [512];
    const zc_keys_t *keys;              //  with zc_client_new_auth
    zc_sock_t server;
    bool auth;
    uint64_t next_id;
    zc_frames_t reply;
    bool have_reply;
    char detail [256];
    const atomic_bool *cancel;          //  NULL, or: give up waiting when set
};

static zsock_t *
s_client_open (zc_client_t *self, const char *endpoint, char *err, size_t err_size)
{
    return self->auth
         ? zc_zmq_open_auth (ZMQ_DEALER, endpoint, false, 1000, self->keys, self->server, err, err_size)
         : zc_zmq_open (ZMQ_DEALER, endpoint, false, 1000, err, err_size);
}

static zc_client_t *
s_client_new (const char *endpoint, const zc_keys_t *keys, zc_sock_t server, bool auth,
              char *err, size_t err_size)
{
    zc_client_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->keys = keys;
    self->server = server;
    self->auth = auth;
    self->sock = s_client_open (self, endpoint, err, err_size);
    if (!self->sock) {
        free (self);
        return NULL;
    }
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    //  ids from the clock: a restarted client never reuses a recent id
    self->next_id = (uint64_t) zc_now_ms () << 16;
    return self;
}

zc_client_t *
zc_client_new (const char *endpoint, char *err, size_t err_size)
{
    return s_client_new (endpoint, NULL, ZC_SOCK_STORAGE_API, false, err, err_size);
}

zc_client_t *
zc_client_new_auth (const char *endpoint, const zc_keys_t *keys, zc_sock_t sock, char *err,
                    size_t err_size)
{
    return s_client_new (endpoint, keys, sock, true, err, err_size);
}

void
zc_client_destroy (zc_client_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_client_t *self = *self_p;
    if (self->have_reply)
        zc_frames_close (&self->reply);
    zsock_destroy (&self->sock);
    free (self);
    *self_p = NULL;
}

void
zc_client_set_cancel (zc_client_t *self, const atomic_bool *cancel)
{
    self->cancel = cancel;
}

zsock_t *
zc_client_sock (zc_client_t *self)
{
    return self->sock;
}

zc_err_t
zc_client_call (zc_client_t *self, uint32_t type, const ProtobufCMessage *body,
                int timeout_ms, uint32_t *reply_type, const uint8_t **reply,
                size_t *reply_size, const char **detail_p)
{
    if (self->have_reply) {
        zc_frames_close (&self->reply);
        self->have_reply = false;
    }
    uint64_t id = ++self->next_id;
    int64_t deadline = zc_now_ms () + timeout_ms;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = type, .request_id = id,
                        .deadline_ms = (uint64_t) deadline };
    if (zc_zmq_send (self->sock, NULL, 0, &header, body, ZMQ_DONTWAIT))
        return ZC_ERR_BUSY;
    while (true) {
        int64_t left = deadline - zc_now_ms ();
        if (left <= 0) {
            //  the lazy pirate's rule: after a lost answer, a fresh socket,
            //  so nothing queued toward a dead or restarted peer lingers
            char err [256];
            zsock_t *fresh = s_client_open (self, self->endpoint, err, sizeof err);
            if (fresh) {
                zsock_destroy (&self->sock);
                self->sock = fresh;
            }
            return ZC_ERR_TIMEOUT;
        }
        if (self->cancel && atomic_load (self->cancel)) {
            snprintf (self->detail, sizeof self->detail, "stopping");
            if (detail_p)
                *detail_p = self->detail;
            return ZC_ERR_UNAVAILABLE;
        }
        zmq_pollitem_t item = { zsock_resolve (self->sock), 0, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, (long) (self->cancel && left > 100 ? 100 : left)) <= 0)
            continue;
        if (zc_frames_recv (self->sock, &self->reply, ZMQ_DONTWAIT))
            continue;
        zc_env_t env;
        if (zc_frames_envelope (&self->reply, &env) != ZC_OK || env.request_id != id) {
            zc_frames_close (&self->reply);     //  a late answer to an old request
            continue;
        }
        self->have_reply = true;
        *reply_type = env.type;
        *reply = env.body;
        *reply_size = env.body_size;
        if (env.type != ZC__MSG_TYPE__ERROR_REPLY)
            return ZC_OK;
        Zc__ErrorReply *error = zc__error_reply__unpack (NULL, env.body_size, env.body);
        zc_err_t reason = error && error->reason != 0 ? (zc_err_t) error->reason : ZC_ERR_INTERNAL;
        snprintf (self->detail, sizeof self->detail, "%s",
                  error && error->detail ? error->detail : zc_err_name (reason));
        if (error)
            zc__error_reply__free_unpacked (error, NULL);
        if (detail_p)
            *detail_p = self->detail;
        return reason;
    }
}
