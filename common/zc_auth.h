/*  zc_auth.h - who may connect where inside a node: role keys and the ZAP handler
 *
 *  Every process of a node has a role and a CURVE keypair for it; the CLI
 *  is the operator. A keys directory (zchain keys init DIR) holds every
 *  role's public key as a CZMQ certificate, ROLE.key, and the secret of
 *  each role that runs from it, ROLE.key_secret (mode 0600). A container
 *  gets only its own secret and the public keys.
 *
 *  Each socket a service binds (zc_sock_t) admits a fixed set of roles:
 *
 *      storage api      mempool, miner, gateway, operator
 *      storage events   mempool, miner, gateway
 *      storage work     validator
 *      mempool api      gateway, miner, operator
 *      mempool events   storage, gateway
 *      mempool work     validator
 *      metrics ingest   storage, mempool, validator, miner, gateway
 *      gateway api      any key; the operator's may give operator commands
 *      gateway notify   any key
 *
 *  and always the role that binds it (its container's healthcheck uses its
 *  own key). A process that binds with keys runs one ZAP handler thread
 *  (inproc://zeromq.zap.01, RFC 27) that checks a connecting client's key
 *  against the public keys loaded and answers the role's name as the ZAP
 *  User-Id, so every message from that connection carries it
 *  (zc_frames_sender in zc_zmq.h). Anything else is refused at the
 *  handshake: it never sends or receives a message.
 *
 *      zc_keys_t *keys = zc_keys_load ("/var/lib/zchain/keys", ZC_ROLE_STORAGE,
 *                                      err, sizeof err);
 *      zsock_t *work = zc_zmq_open_auth (ZMQ_ROUTER, "tcp://0.0.0.0:7803", true, 10000,
 *                                        keys, ZC_SOCK_STORAGE_WORK, err, sizeof err);
 *      ...
 *      zsock_destroy (&work);
 *      zc_keys_destroy (&keys);         //  after every socket opened with it
 *
 *  Many key sets may be loaded in one process (tests run several services
 *  as threads): each is registered with the handler under its own ZAP
 *  domain, so no service sees another's keys.
 */
#ifndef ZC_AUTH_H_INCLUDED
#define ZC_AUTH_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    ZC_ROLE_NONE = 0,                   //  a key no role has (a client of the gateway api)
    ZC_ROLE_STORAGE,
    ZC_ROLE_MEMPOOL,
    ZC_ROLE_VALIDATOR,
    ZC_ROLE_MINER,
    ZC_ROLE_GATEWAY,
    ZC_ROLE_METRICS,
    ZC_ROLE_OPERATOR,                   //  the CLI, healthchecks, the person running the node
    ZC_ROLE_LOCAL,                      //  no key, over ipc:// or inproc://: the run
                                        //  directory's permissions vouch for it
    ZC_ROLE_COUNT_
} zc_role_t;

//  The sockets a node's services bind, each with its own admission rule
typedef enum {
    ZC_SOCK_STORAGE_API,
    ZC_SOCK_STORAGE_EVENTS,
    ZC_SOCK_STORAGE_WORK,
    ZC_SOCK_MEMPOOL_API,
    ZC_SOCK_MEMPOOL_EVENTS,
    ZC_SOCK_MEMPOOL_WORK,
    ZC_SOCK_METRICS_INGEST,
    ZC_SOCK_GATEWAY_API,
    ZC_SOCK_GATEWAY_NOTIFY,
    ZC_SOCK_COUNT_
} zc_sock_t;

//  "storage", ..., "operator"; "client" for ZC_ROLE_NONE, "local" for
//  ZC_ROLE_LOCAL. Borrowed, static.
const char *
    zc_role_name (zc_role_t role);

//  The role of a name as zc_role_name gives it; -1 for another name.
int
    zc_role_by_name (const char *name);

//  "storage_api", "mempool_work", ...: metric labels and logs. Static.
const char *
    zc_sock_name (zc_sock_t sock);

//  The role that binds sock.
zc_role_t
    zc_sock_server (zc_sock_t sock);

//  True when a client of role may connect to sock.
bool
    zc_sock_admits (zc_sock_t sock, zc_role_t role);

//  True when role may give operator commands (P2P_CONTROL, GET_TEMPLATE)
//  at the gateway api: the operator's key, or a local client without keys.
bool
    zc_role_is_operator (zc_role_t role);

//  True when a message from role may speak for service (a metrics
//  snapshot's service label): a key speaks only for its own role, so a
//  miner cannot report as storage. A sender without a key (plain ipc://,
//  or --insecure) is not checked.
bool
    zc_role_speaks_for (zc_role_t role, const char *service);

typedef struct _zc_keys_t zc_keys_t;

//  Load role's keypair from DIR/ROLE.key_secret and every role's public key
//  found in DIR/ROLE.key. role ZC_ROLE_NONE: no secret is read and a fresh
//  keypair is made (an anonymous client of the gateway api). NULL with a
//  one-line reason in err when the secret is missing, unreadable, readable
//  by others than its owner, or does not match DIR/ROLE.key. The caller
//  destroys the result, after every socket opened with it.
zc_keys_t *
    zc_keys_load (const char *dir, zc_role_t role, char *err, size_t err_size);

//  A key set without keys for a service started with --insecure: tcp://
//  endpoints are then opened without CURVE (anyone who reaches them is
//  trusted). The caller destroys it.
zc_keys_t *
    zc_keys_insecure (zc_role_t role);

void
    zc_keys_destroy (zc_keys_t **self_p);

//  The role the keys are for.
zc_role_t
    zc_keys_role (const zc_keys_t *self);

//  Our certificate (public and secret key); NULL for an insecure set.
//  Borrowed.
zcert_t *
    zc_keys_cert (const zc_keys_t *self);

//  The 32-byte public key of role, or NULL when the directory had none.
//  Borrowed.
const uint8_t *
    zc_keys_public (const zc_keys_t *self, zc_role_t role);

//  The directory the keys came from ("" for an insecure set). Borrowed.
const char *
    zc_keys_dir (const zc_keys_t *self);

//  Register sock's admission rule with this process's ZAP handler (started
//  on first use) and write the ZAP domain to set on the socket into
//  domain. 0, or -1 with a reason in err (the handler could not start).
int
    zc_keys_domain (const zc_keys_t *self, zc_sock_t sock, char *domain, size_t domain_size,
                    char *err, size_t err_size);

//  Connections this process refused on sock since it started (unknown
//  key, or a role sock does not admit).
uint64_t
    zc_auth_refused (zc_sock_t sock);

//  True once this process bound sock with keys (its refusals are worth a
//  metric).
bool
    zc_auth_bound (zc_sock_t sock);

//  Create role's keypair in dir (made, mode 0700, when missing): the secret
//  DIR/ROLE.key_secret (0600) and the public DIR/ROLE.key. An existing
//  keypair is kept unless force. 1 created, 0 kept, -1 with a reason in err.
int
    zc_keys_generate (const char *dir, zc_role_t role, bool force, char *err, size_t err_size);

//  The role a client should act as with dir's keys when none is named: the
//  operator when its secret is there, else the only secret there, else
//  ZC_ROLE_NONE (anonymous). Several secrets and no operator: ZC_ROLE_NONE.
zc_role_t
    zc_keys_default_role (const char *dir);

//  Stop the process's ZAP handler (started by the first socket bound with
//  keys): at the end of a process, after every socket opened with keys is
//  closed. A socket bound with keys that are destroyed lets nobody in.
void
    zc_auth_stop (void);

#endif
