/*  clients.c - per-client bounds on the gateway's client api */
#include "clients.h"
#include "zc_block.h"
#include "zc_hash.h"
#include "zc_hashkey.h"
#include "zc_log.h"
#include "zc_time.h"
#include "envelope.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

//  A reply ZeroMQ could not take at once
typedef struct {
    zc_env_t header;
    size_t size;
    uint8_t body [];
} s_queued_t;

typedef struct {
    size_t size;
    int64_t at;
} s_sent_t;

typedef struct {
    uint8_t key [32];                   //  SHA-256 of the identity: the table's key
    uint8_t id [256];
    size_t id_size;
    int in_flight;
    size_t reserved;                    //  what the replies in flight may be
    zlistx_t *queue;                    //  of s_queued_t, oldest first
    size_t queued;
    s_sent_t sent [CLIENTS_HWM + 1];    //  the last replies ZeroMQ took (a ring)
    size_t sent_next;
    int64_t active;                     //  last request or reply
    int64_t moved;                      //  its queue last moved (or began)
    int64_t refused_until;              //  not reading: refused until then
} s_client_t;

typedef enum { REFUSE_IN_FLIGHT, REFUSE_BYTES, REFUSE_TOTAL, REFUSE_CLIENTS, REFUSE_STALLED,
               REFUSE_KINDS } s_refuse_t;

static const char *s_refuse_names [REFUSE_KINDS] = {
    "in_flight", "reply_bytes", "total_bytes", "clients", "not_reading"
};

struct _clients_t {
    zsock_t *sock;
    clients_limits_t limits;
    zhashx_t *table;                    //  key -> s_client_t (owned; keys borrowed from them)
    size_t queued;                      //  over all clients
    size_t reserved;
    size_t n_queues;                    //  clients with a queue
    zc_metric_t *m_refused [REFUSE_KINDS];
    zc_metric_t *m_dropped;
    zc_metric_t *m_queued;
    zc_metric_t *m_clients;
};

static void
s_client_free (void **item_p)
{
    s_client_t *client = *item_p;
    if (!client)
        return;
    if (client->queue) {
        s_queued_t *q;
        while ((q = zlistx_detach (client->queue, NULL)))
            free (q);
        zlistx_destroy (&client->queue);
    }
    free (client);
    *item_p = NULL;
}

clients_t *
clients_new (zsock_t *sock, const clients_limits_t *limits, zc_metrics_t *metrics)
{
    clients_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->sock = sock;
    self->limits = *limits;
    //  identities are the clients' choice: hashed, and the table keyed by
    //  that under a per-process secret (zc_hashkey), so nobody can pile
    //  entries into one chain
    self->table = zc_hashkey_table (ZC_HASHKEY_HASH, true);
    if (!self->table) {
        free (self);
        return NULL;
    }
    zhashx_set_destructor (self->table, s_client_free);
    //  the api socket tells us when a client's ZeroMQ queue is full
    zsock_set_router_mandatory (sock, 1);
    for (int r = 0; r < REFUSE_KINDS; r++)
        self->m_refused [r] = zc_metrics_counter (metrics, "zchain_gateway_client_refused_total",
                                                  "client requests refused at a per-client bound, by bound",
                                                  "reason", s_refuse_names [r]);
    self->m_dropped = zc_metrics_counter (metrics, "zchain_gateway_client_dropped_total",
                                          "replies dropped: the client was not reading", NULL, NULL);
    self->m_queued = zc_metrics_gauge (metrics, "zchain_gateway_client_queued_bytes",
                                       "reply bytes waiting for clients to read", NULL, NULL);
    self->m_clients = zc_metrics_gauge (metrics, "zchain_gateway_clients",
                                        "clients of the api with state (recent or busy)", NULL, NULL);
    return self;
}

void
clients_destroy (clients_t **self_p)
{
    clients_t *self = *self_p;
    if (!self)
        return;
    zhashx_destroy (&self->table);
    free (self);
    *self_p = NULL;
}

static s_client_t *
s_find (clients_t *self, const uint8_t *id, size_t id_size)
{
    if (id_size > 256)
        return NULL;
    uint8_t key [32];
    zc_sha256 (id, id_size, key);
    return zhashx_lookup (self->table, key);
}

//  The most a reply to a request of type can be, reserved when the
//  request arrives: a request whose answer would not fit the client's room
//  is refused before the node does any work for it
static size_t
s_reserve (uint32_t type, size_t body_size)
{
    switch (type) {
        case ZC__MSG_TYPE__GET_BLOCK:
        case ZC__MSG_TYPE__GET_ADDRESS_TXS:
        case ZC__MSG_TYPE__GET_TEMPLATE:    return ZC_BLOCK_MAX_BYTES + 4096;
        case ZC__MSG_TYPE__GET_EVENTS:      return ZC_MSG_MAX;
        case ZC__MSG_TYPE__GET_UTXOS:       return 3 * body_size + 4096;
        case ZC__MSG_TYPE__SUBMIT_TXS:      return body_size / 2 + 4096;
        case ZC__MSG_TYPE__GET_HEADERS:     return 256 << 10;
        case ZC__MSG_TYPE__GET_ADDRESS:
        case ZC__MSG_TYPE__GET_TX:          return 192 << 10;
        case ZC__MSG_TYPE__GET_MEMPOOL:     return 1 << 20;
        default:                            return 16 << 10;
    }
}

//  Reply bytes that may still be on their way to the client
static size_t
s_used (const s_client_t *client, int64_t now)
{
    size_t recent = 0;
    for (int i = 0; i < CLIENTS_HWM + 1; i++)
        if (client->sent [i].size && now - client->sent [i].at < CLIENTS_RECENT_MS)
            recent += client->sent [i].size;
    return recent + client->queued + client->reserved;
}

static void
s_refuse (clients_t *self, s_refuse_t why)
{
    zc_metric_inc (self->m_refused [why], 1);
}

zc_err_t
clients_admit (clients_t *self, const uint8_t *id, size_t id_size, uint32_t type, size_t body_size,
               size_t *reserve_p)
{
    *reserve_p = 0;
    int64_t now = zc_mono_ms ();
    s_client_t *client = s_find (self, id, id_size);
    if (!client) {
        if (id_size > 256 || zhashx_size (self->table) >= CLIENTS_MAX) {
            s_refuse (self, REFUSE_CLIENTS);
            return ZC_ERR_BUSY;
        }
        client = calloc (1, sizeof *client);
        if (!client || !(client->queue = zlistx_new ())) {
            free (client);
            return ZC_ERR_BUSY;
        }
        zc_sha256 (id, id_size, client->key);
        memcpy (client->id, id, id_size);
        client->id_size = id_size;
        zhashx_insert (self->table, client->key, client);
    }
    client->active = now;
    size_t reserve = s_reserve (type, body_size);
    s_refuse_t why = REFUSE_KINDS;
    if (client->refused_until > now)
        why = REFUSE_STALLED;
    else
    if (client->in_flight >= self->limits.in_flight)
        why = REFUSE_IN_FLIGHT;
    else
    if (s_used (client, now) + reserve > (size_t) self->limits.queue_bytes)
        why = REFUSE_BYTES;
    else
    if (self->queued + self->reserved + reserve > (size_t) self->limits.total_bytes)
        why = REFUSE_TOTAL;
    if (why != REFUSE_KINDS) {
        s_refuse (self, why);
        return ZC_ERR_BUSY;
    }
    client->in_flight++;
    client->reserved += reserve;
    self->reserved += reserve;
    *reserve_p = reserve;
    return ZC_OK;
}

//  The request is over: its reserve goes back
static void
s_end (clients_t *self, s_client_t *client, size_t reserve)
{
    if (client->in_flight > 0)
        client->in_flight--;
    reserve = reserve < client->reserved ? reserve : client->reserved;
    client->reserved -= reserve;
    self->reserved -= reserve < self->reserved ? reserve : self->reserved;
}

static void
s_sent (s_client_t *client, size_t size, int64_t now)
{
    client->sent [client->sent_next++ % (CLIENTS_HWM + 1)] = (s_sent_t) { size, now };
    client->active = now;
}

//  Keep a reply ZeroMQ could not take
static void
s_enqueue (clients_t *self, s_client_t *client, const zc_env_t *header, const uint8_t *body,
           size_t body_size, int64_t now)
{
    s_queued_t *q = malloc (sizeof *q + (body_size ? body_size : 1));
    if (!q) {
        zc_metric_inc (self->m_dropped, 1);
        return;
    }
    q->header = *header;
    q->header.body = NULL;
    q->header.body_size = 0;
    q->size = body_size;
    memcpy (q->body, body, body_size);
    if (zlistx_size (client->queue) == 0) {
        client->moved = now;
        self->n_queues++;
    }
    zlistx_add_end (client->queue, q);
    client->queued += body_size;
    self->queued += body_size;
}

void
clients_reply (clients_t *self, const uint8_t *id, size_t id_size, size_t reserve,
               const zc_env_t *header, const uint8_t *body, size_t body_size)
{
    int64_t now = zc_mono_ms ();
    s_client_t *client = s_find (self, id, id_size);
    if (!client) {
        zc_zmq_send_raw (self->sock, id, id_size, header, body, body_size, ZMQ_DONTWAIT);
        return;
    }
    s_end (self, client, reserve);
    if (client->refused_until > now) {
        zc_metric_inc (self->m_dropped, 1);     //  it does not read: why queue more
        return;
    }
    //  in order: behind what waits already
    if (zlistx_size (client->queue) == 0
    &&  zc_zmq_try_send_raw (self->sock, id, id_size, header, body, body_size) == 0) {
        s_sent (client, body_size, now);
        return;
    }
    if (errno == EHOSTUNREACH && zlistx_size (client->queue) == 0) {
        zc_metric_inc (self->m_dropped, 1);     //  gone
        return;
    }
    s_enqueue (self, client, header, body, body_size, now);
}

void
clients_fail (clients_t *self, const uint8_t *id, size_t id_size, size_t reserve,
              uint64_t request_id, zc_err_t reason, const char *detail)
{
    s_client_t *client = s_find (self, id, id_size);
    if (client)
        s_end (self, client, reserve);
    clients_error (self, id, id_size, request_id, reason, detail);
}

void
clients_error (clients_t *self, const uint8_t *id, size_t id_size, uint64_t request_id,
               zc_err_t reason, const char *detail)
{
    Zc__ErrorReply reply = ZC__ERROR_REPLY__INIT;
    reply.reason = (Zc__Reason) reason;
    reply.detail = (char *) (detail ? detail : zc_err_name (reason));
    uint8_t body [1024];
    if (protobuf_c_message_get_packed_size (&reply.base) > sizeof body)
        reply.detail = (char *) zc_err_name (reason);
    size_t size = protobuf_c_message_pack (&reply.base, body);
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__ERROR_REPLY,
                        .request_id = request_id };
    int64_t now = zc_mono_ms ();
    s_client_t *client = s_find (self, id, id_size);
    if (client && zlistx_size (client->queue) == 0
    &&  zc_zmq_try_send_raw (self->sock, id, id_size, &header, body, size) == 0) {
        s_sent (client, size, now);
        return;
    }
    //  a client that pipelines past its bounds still hears busy, in order,
    //  unless it reads nothing at all (its queue full of them)
    if (client && errno != EHOSTUNREACH && client->refused_until <= now
    &&  zlistx_size (client->queue) < CLIENTS_QUEUE_MAX) {
        s_enqueue (self, client, &header, body, size, now);
        return;
    }
    if (!client && zc_zmq_send_raw (self->sock, id, id_size, &header, body, size, ZMQ_DONTWAIT) == 0)
        return;
    zc_metric_inc (self->m_dropped, 1);
}

//  Drop what waits for a client (it does not read, or is gone)
static void
s_drop_queue (clients_t *self, s_client_t *client)
{
    s_queued_t *q;
    while ((q = zlistx_detach (client->queue, NULL))) {
        client->queued -= q->size;
        self->queued -= q->size;
        zc_metric_inc (self->m_dropped, 1);
        free (q);
    }
    self->n_queues--;
}

//  Send what a client's queue holds until ZeroMQ says full
static void
s_flush_one (clients_t *self, s_client_t *client, int64_t now)
{
    s_queued_t *q;
    while ((q = zlistx_first (client->queue))) {
        if (zc_zmq_try_send_raw (self->sock, client->id, client->id_size, &q->header, q->body,
                                 q->size) != 0) {
            if (errno == EHOSTUNREACH)
                s_drop_queue (self, client);
            return;
        }
        s_sent (client, q->size, now);
        client->moved = now;
        client->queued -= q->size;
        self->queued -= q->size;
        free (zlistx_detach (client->queue, NULL));
        if (zlistx_size (client->queue) == 0)
            self->n_queues--;
    }
}

bool
clients_flush (clients_t *self)
{
    if (self->n_queues == 0)
        return false;
    int64_t now = zc_mono_ms ();
    for (s_client_t *c = zhashx_first (self->table); c; c = zhashx_next (self->table))
        if (zlistx_size (c->queue))
            s_flush_one (self, c, now);
    return self->n_queues > 0;
}

void
clients_tick (clients_t *self)
{
    int64_t now = zc_mono_ms ();
    zlistx_t *idle = zlistx_new ();
    for (s_client_t *c = zhashx_first (self->table); c; c = zhashx_next (self->table)) {
        if (zlistx_size (c->queue) && now - c->moved > CLIENTS_STALL_MS) {
            zc_warn ("client api: a client has read nothing for %d s; its %zu queued bytes dropped",
                     CLIENTS_STALL_MS / 1000, c->queued);
            s_drop_queue (self, c);
            c->refused_until = now + 2 * CLIENTS_STALL_MS;
        }
        if (idle && c->in_flight == 0 && zlistx_size (c->queue) == 0 && c->refused_until < now
        &&  now - c->active > 60000)
            zlistx_add_end (idle, c->key);
    }
    for (const uint8_t *key = idle ? zlistx_first (idle) : NULL; key; key = zlistx_next (idle))
        zhashx_delete (self->table, key);
    zlistx_destroy (&idle);
    zc_metric_set (self->m_queued, (double) self->queued);
    zc_metric_set (self->m_clients, (double) zhashx_size (self->table));
}
