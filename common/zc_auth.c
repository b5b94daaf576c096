/*  zc_auth.c - role keys, admission rules and the ZAP handler */
#include "zc_auth.h"
#include "zc_log.h"
#include "zc_time.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define R(role) (1u << (role))
#define KEYED_FIRST ZC_ROLE_STORAGE     //  the roles with keys: storage .. operator
#define KEYED_LAST ZC_ROLE_OPERATOR
#define SETS_MAX 256                    //  key sets loaded at once in one process
#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define WARN_EVERY_MS 60000             //  refusals: one warning a minute per socket

static const char *s_role_names [ZC_ROLE_COUNT_] = {
    "client", "storage", "mempool", "validator", "miner", "gateway", "metrics", "operator", "local"
};

static const struct {
    const char *name;
    zc_role_t server;
    unsigned admits;                    //  R(role) bits, besides the server itself
    bool anyone;                        //  any key at all (the client api)
} s_socks [ZC_SOCK_COUNT_] = {
    [ZC_SOCK_STORAGE_API] = { "storage_api", ZC_ROLE_STORAGE,
        R (ZC_ROLE_MEMPOOL) | R (ZC_ROLE_MINER) | R (ZC_ROLE_GATEWAY) | R (ZC_ROLE_OPERATOR), false },
    [ZC_SOCK_STORAGE_EVENTS] = { "storage_events", ZC_ROLE_STORAGE,
        R (ZC_ROLE_MEMPOOL) | R (ZC_ROLE_MINER) | R (ZC_ROLE_GATEWAY), false },
    [ZC_SOCK_STORAGE_WORK] = { "storage_work", ZC_ROLE_STORAGE, R (ZC_ROLE_VALIDATOR), false },
    [ZC_SOCK_MEMPOOL_API] = { "mempool_api", ZC_ROLE_MEMPOOL,
        R (ZC_ROLE_GATEWAY) | R (ZC_ROLE_MINER) | R (ZC_ROLE_OPERATOR), false },
    [ZC_SOCK_MEMPOOL_EVENTS] = { "mempool_events", ZC_ROLE_MEMPOOL,
        R (ZC_ROLE_STORAGE) | R (ZC_ROLE_GATEWAY), false },
    [ZC_SOCK_MEMPOOL_WORK] = { "mempool_work", ZC_ROLE_MEMPOOL, R (ZC_ROLE_VALIDATOR), false },
    [ZC_SOCK_METRICS_INGEST] = { "metrics_ingest", ZC_ROLE_METRICS,
        R (ZC_ROLE_STORAGE) | R (ZC_ROLE_MEMPOOL) | R (ZC_ROLE_VALIDATOR) | R (ZC_ROLE_MINER)
        | R (ZC_ROLE_GATEWAY), false },
    [ZC_SOCK_GATEWAY_API] = { "gateway_api", ZC_ROLE_GATEWAY, R (ZC_ROLE_OPERATOR), true },
    [ZC_SOCK_GATEWAY_NOTIFY] = { "gateway_notify", ZC_ROLE_GATEWAY, R (ZC_ROLE_OPERATOR), true },
};

const char *
zc_role_name (zc_role_t role)
{
    return role >= 0 && role < ZC_ROLE_COUNT_ ? s_role_names [role] : "unknown";
}

int
zc_role_by_name (const char *name)
{
    for (int r = 0; name && r < ZC_ROLE_COUNT_; r++)
        if (!strcmp (name, s_role_names [r]))
            return r;
    return -1;
}

const char *
zc_sock_name (zc_sock_t sock)
{
    assert (sock >= 0 && sock < ZC_SOCK_COUNT_);
    return s_socks [sock].name;
}

zc_role_t
zc_sock_server (zc_sock_t sock)
{
    assert (sock >= 0 && sock < ZC_SOCK_COUNT_);
    return s_socks [sock].server;
}

bool
zc_sock_admits (zc_sock_t sock, zc_role_t role)
{
    assert (sock >= 0 && sock < ZC_SOCK_COUNT_);
    return s_socks [sock].anyone || role == s_socks [sock].server
        || (role >= 0 && role < ZC_ROLE_COUNT_ && (s_socks [sock].admits & R (role)));
}

bool
zc_role_is_operator (zc_role_t role)
{
    return role == ZC_ROLE_OPERATOR || role == ZC_ROLE_LOCAL;
}

bool
zc_role_speaks_for (zc_role_t role, const char *service)
{
    if (role < KEYED_FIRST || role > KEYED_LAST)
        return true;
    return service && !strcmp (service, s_role_names [role]);
}

// ---------------------------------------------------------------------------
//  key sets

struct _zc_keys_t {
    zc_role_t role;
    zcert_t *cert;                      //  NULL: insecure, no keys
    uint8_t pub [ZC_ROLE_COUNT_] [32];
    bool have [ZC_ROLE_COUNT_];
    char dir [512];
    int slot;                           //  in the handler's registry, -1 if none
    uint32_t gen;
};

//  What the ZAP handler knows of a loaded key set: copies, so it never
//  reads memory a service has freed
typedef struct {
    bool used;
    uint32_t gen;                       //  a reused slot is never mistaken for the old set
    uint8_t pub [ZC_ROLE_COUNT_] [32];
    bool have [ZC_ROLE_COUNT_];
} s_set_t;

//  The one ZAP endpoint of a process is shared by every service thread in
//  it; this is the state behind it. s_zap_lock orders starting and stopping
//  the handler; s_lock guards the registry, which the handler reads, so
//  the handler is never stopped while s_lock is held
static pthread_mutex_t s_zap_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static s_set_t s_sets [SETS_MAX];
static int s_sets_used;
static uint32_t s_next_gen;
static zactor_t *s_zap;
static _Atomic uint64_t s_refused [ZC_SOCK_COUNT_];
static _Atomic bool s_bound [ZC_SOCK_COUNT_];

static int
s_z85_key (zconfig_t *config, const char *path, uint8_t key [32])
{
    const char *z85 = zconfig_get (config, path, NULL);
    return z85 && strlen (z85) == 40 && zmq_z85_decode (key, z85) ? 0 : -1;
}

//  The public key (and the secret one when secret is not NULL) of a CZMQ
//  certificate file. Read here rather than with zcert_load: its
//  zconfig_load leaks a file handle on a file that does not parse
//  (CZMQ 4.2.1), and a certificate is a few hundred bytes. 0, or -1.
static int
s_read_cert (const char *path, uint8_t public [32], uint8_t *secret)
{
    char text [4096];
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    size_t size = fread (text, 1, sizeof text - 1, file);
    bool whole = feof (file) && !ferror (file);
    fclose (file);
    if (!whole)
        return -1;
    text [size] = 0;
    zconfig_t *config = zconfig_str_load (text);
    int rc = config && s_z85_key (config, "curve/public-key", public) == 0
          && (!secret || s_z85_key (config, "curve/secret-key", secret) == 0) ? 0 : -1;
    zconfig_destroy (&config);
    return rc;
}

//  A certificate with both keys from a secret certificate file, or NULL
static zcert_t *
s_load_secret (const char *path)
{
    uint8_t public [32], secret [32];
    static const uint8_t zero [32] = { 0 };
    zcert_t *cert = NULL;
    if (s_read_cert (path, public, secret) == 0 && memcmp (secret, zero, 32))
        cert = zcert_new_from (public, secret);
    memset (secret, 0, sizeof secret);
    return cert;
}

static bool
s_is_server (zc_role_t role)
{
    for (int s = 0; s < ZC_SOCK_COUNT_; s++)
        if (s_socks [s].server == role)
            return true;
    return false;
}

//  A slot in the registry for a set that will bind; -1 when full
static int
s_register (zc_keys_t *self)
{
    pthread_mutex_lock (&s_lock);
    int slot = -1;
    for (int i = 0; i < SETS_MAX && slot < 0; i++)
        if (!s_sets [i].used)
            slot = i;
    if (slot >= 0) {
        s_set_t *set = &s_sets [slot];
        set->used = true;
        set->gen = self->gen = ++s_next_gen;
        memcpy (set->pub, self->pub, sizeof set->pub);
        memcpy (set->have, self->have, sizeof set->have);
        s_sets_used++;
        self->slot = slot;
    }
    pthread_mutex_unlock (&s_lock);
    return slot;
}

static void
s_unregister (zc_keys_t *self)
{
    if (self->slot < 0)
        return;
    pthread_mutex_lock (&s_lock);
    memset (&s_sets [self->slot], 0, sizeof s_sets [self->slot]);
    --s_sets_used;
    pthread_mutex_unlock (&s_lock);
    //  the handler stays: a socket of ours left open now fails closed (its
    //  domain names no set), and stopping it under a handshake in flight
    //  would leave that handshake waiting for an answer forever (libzmq
    //  closes the handler's socket in the background and has no ZAP
    //  timeout). zc_auth_stop ends it with the process.
    self->slot = -1;
}

void
zc_auth_stop (void)
{
    pthread_mutex_lock (&s_zap_lock);
    zactor_destroy (&s_zap);
    pthread_mutex_unlock (&s_zap_lock);
}

zc_keys_t *
zc_keys_load (const char *dir, zc_role_t role, char *err, size_t err_size)
{
    assert (role == ZC_ROLE_NONE || (role >= KEYED_FIRST && role <= KEYED_LAST));
    if (!dir || !*dir) {
        snprintf (err, err_size, "no keys directory");
        return NULL;
    }
    zc_keys_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->role = role;
    self->slot = -1;
    snprintf (self->dir, sizeof self->dir, "%s", dir);
    for (int r = KEYED_FIRST; r <= KEYED_LAST; r++) {
        char path [600];
        snprintf (path, sizeof path, "%s/%s.key", dir, s_role_names [r]);
        self->have [r] = s_read_cert (path, self->pub [r], NULL) == 0;
    }
    if (role == ZC_ROLE_NONE)
        self->cert = zcert_new ();      //  an anonymous client: any key will do
    else {
        char path [600];
        snprintf (path, sizeof path, "%s/%s.key_secret", dir, s_role_names [role]);
        struct stat st;
        if (stat (path, &st)) {
            snprintf (err, err_size, "no %s key in %s (%s): make the keys with zchain keys init %s",
                      s_role_names [role], dir, strerror (errno), dir);
            zc_keys_destroy (&self);
            return NULL;
        }
        //  like ssh: a secret others can read is no longer a secret
        if (st.st_mode & (S_IRWXG | S_IRWXO)) {
            snprintf (err, err_size, "%s can be read by others: chmod 600 it (or make new keys)", path);
            zc_keys_destroy (&self);
            return NULL;
        }
        self->cert = s_load_secret (path);
        if (!self->cert) {
            snprintf (err, err_size, "%s is not a CURVE secret key certificate", path);
            zc_keys_destroy (&self);
            return NULL;
        }
        if (self->have [role] && memcmp (self->pub [role], zcert_public_key (self->cert), 32)) {
            snprintf (err, err_size, "%s/%s.key does not match its secret (keys half replaced?)",
                      dir, s_role_names [role]);
            zc_keys_destroy (&self);
            return NULL;
        }
    }
    if (!self->cert) {
        snprintf (err, err_size, "cannot make a CURVE key");
        zc_keys_destroy (&self);
        return NULL;
    }
    if (role != ZC_ROLE_NONE) {
        memcpy (self->pub [role], zcert_public_key (self->cert), 32);
        self->have [role] = true;
    }
    if (s_is_server (role) && s_register (self) < 0) {
        snprintf (err, err_size, "more than %d key sets loaded in one process", SETS_MAX);
        zc_keys_destroy (&self);
        return NULL;
    }
    return self;
}

zc_keys_t *
zc_keys_insecure (zc_role_t role)
{
    zc_keys_t *self = calloc (1, sizeof *self);
    if (self) {
        self->role = role;
        self->slot = -1;
    }
    return self;
}

void
zc_keys_destroy (zc_keys_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_keys_t *self = *self_p;
    s_unregister (self);
    zcert_destroy (&self->cert);
    free (self);
    *self_p = NULL;
}

zc_role_t
zc_keys_role (const zc_keys_t *self)
{
    return self->role;
}

zcert_t *
zc_keys_cert (const zc_keys_t *self)
{
    return self->cert;
}

const uint8_t *
zc_keys_public (const zc_keys_t *self, zc_role_t role)
{
    return role >= 0 && role < ZC_ROLE_COUNT_ && self->have [role] ? self->pub [role] : NULL;
}

const char *
zc_keys_dir (const zc_keys_t *self)
{
    return self->dir;
}

// ---------------------------------------------------------------------------
//  the ZAP handler

//  A client key against a domain "zc-SLOT-GEN-SOCK": the role admitted
//  (NONE for an unknown key where anyone may come), or -1 when refused
static int
s_decide (const char *domain, const char *mechanism, const uint8_t *key, size_t key_size,
          int *sock_p, zc_role_t *known_p)
{
    int slot, sock = -1;
    unsigned gen;
    char name [32] = "";
    *known_p = ZC_ROLE_NONE;
    if (sscanf (domain, "zc-%d-%u-%31s", &slot, &gen, name) != 3 || slot < 0 || slot >= SETS_MAX)
        return -1;
    for (int s = 0; s < ZC_SOCK_COUNT_; s++)
        if (!strcmp (name, s_socks [s].name))
            sock = s;
    *sock_p = sock;
    if (sock < 0 || strcmp (mechanism, "CURVE") || key_size != 32)
        return -1;
    int role = -1;
    pthread_mutex_lock (&s_lock);
    const s_set_t *set = &s_sets [slot];
    if (set->used && set->gen == gen) {
        zc_role_t known = ZC_ROLE_NONE;
        for (int r = KEYED_FIRST; r <= KEYED_LAST && known == ZC_ROLE_NONE; r++)
            if (set->have [r] && !memcmp (set->pub [r], key, 32))
                known = (zc_role_t) r;
        *known_p = known;
        if (zc_sock_admits ((zc_sock_t) sock, known))
            role = known;
    }
    pthread_mutex_unlock (&s_lock);
    return role;
}

static void
s_log_refusal (int sock, const char *address, zc_role_t known, const uint8_t *key, size_t key_size)
{
    static _Atomic int64_t last_warn [ZC_SOCK_COUNT_];
    char z85 [41] = "?";
    if (key_size == 32)
        zmq_z85_encode (z85, key, 32);
    const char *name = sock >= 0 ? s_socks [sock].name : "an unknown socket";
    uint64_t refused = sock >= 0 ? ++s_refused [sock] : 0;
    int64_t now = zc_mono_ms ();
    bool warn = sock >= 0 && now - last_warn [sock] >= WARN_EVERY_MS;
    if (warn)
        last_warn [sock] = now;
    zc_log (warn ? ZC_LOG_WARN : ZC_LOG_DEBUG,
            "refused a connection to %s from %s: %s key %s (%llu refused since start%s)", name,
            address, known == ZC_ROLE_NONE ? "unknown" : s_role_names [known], z85,
            (unsigned long long) refused, warn ? "; more within a minute at debug" : "");
}

//  One request, one reply (RFC 27): version, id, domain, address,
//  identity, mechanism, credentials -> version, id, status, text, user, metadata
static void
s_zap_answer (zsock_t *handler)
{
    zmsg_t *request = zmsg_recv (handler);
    if (!request)
        return;
    char *version = zmsg_popstr (request);
    zframe_t *id = zmsg_pop (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    zframe_t *identity = zmsg_pop (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *key = zmsg_pop (request);
    const char *status = "400", *text = "refused", *user = "";
    if (domain && mechanism && address && strncmp (domain, "zc-", 3) != 0) {
        //  not a socket of ours (p2p links accept any peer): as without a handler
        status = "200";
        text = "OK";
    }
    else
    if (domain && mechanism && address) {
        int sock = -1;
        zc_role_t known;
        int role = s_decide (domain, mechanism, key ? zframe_data (key) : NULL,
                             key ? zframe_size (key) : 0, &sock, &known);
        if (role >= 0) {
            status = "200";
            text = "OK";
            user = s_role_names [role];
        }
        else
            s_log_refusal (sock, address, known, key ? zframe_data (key) : NULL,
                           key ? zframe_size (key) : 0);
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    if (id)
        zmsg_append (reply, &id);
    else
        zmsg_addstr (reply, "");
    zmsg_addstr (reply, status);
    zmsg_addstr (reply, text);
    zmsg_addstr (reply, user);
    zmsg_addmem (reply, NULL, 0);       //  no metadata
    zmsg_send (&reply, handler);
    zstr_free (&version);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&mechanism);
    zframe_destroy (&id);
    zframe_destroy (&identity);
    zframe_destroy (&key);
    zmsg_destroy (&request);
}

//  The handler thread: the REP socket comes bound from s_zap_start
static void
s_zap_actor (zsock_t *pipe, void *args)
{
    zsock_t *handler = args;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, handler, NULL);
    //  keep answering through a SIGTERM: the services close their sockets
    //  after it, and until then every connection still needs an answer
    zpoller_set_nonstop (poller, true);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == handler)
            s_zap_answer (handler);
        else
        if (which == pipe) {
            char *cmd = zstr_recv (pipe);
            bool term = !cmd || streq (cmd, "$TERM");
            zstr_free (&cmd);
            if (term)
                break;
        }
        else
        if (zpoller_terminated (poller))
            break;
    }
    zpoller_destroy (&poller);
    zsock_destroy (&handler);
}

//  Bind the handler here, so a failure (another handler in the process)
//  is an error now, then run it on its own thread. Called with s_zap_lock.
static int
s_zap_start (char *err, size_t err_size)
{
    if (s_zap)
        return 0;
    zsock_t *handler = zsock_new (ZMQ_REP);
    //  a handler stopped a moment ago may still hold the endpoint: libzmq
    //  closes its socket in the background
    int rc = handler ? zsock_bind (handler, ZAP_ENDPOINT) : -1;
    for (int i = 0; handler && rc != 0 && zmq_errno () == EADDRINUSE && i < 200; i++) {
        zclock_sleep (10);
        rc = zsock_bind (handler, ZAP_ENDPOINT);
    }
    if (rc != 0) {
        snprintf (err, err_size, "cannot start the ZAP handler: %s", zmq_strerror (zmq_errno ()));
        zsock_destroy (&handler);
        return -1;
    }
    s_zap = zactor_new (s_zap_actor, handler);
    if (!s_zap) {
        snprintf (err, err_size, "cannot start the ZAP handler thread");
        zsock_destroy (&handler);
        return -1;
    }
    return 0;
}

int
zc_keys_domain (const zc_keys_t *self, zc_sock_t sock, char *domain, size_t domain_size,
                char *err, size_t err_size)
{
    assert (sock >= 0 && sock < ZC_SOCK_COUNT_);
    assert (self->slot >= 0);           //  only a server role's keys bind
    pthread_mutex_lock (&s_zap_lock);
    int rc = s_zap_start (err, err_size);
    pthread_mutex_unlock (&s_zap_lock);
    if (rc == 0) {
        snprintf (domain, domain_size, "zc-%d-%u-%s", self->slot, self->gen, s_socks [sock].name);
        s_bound [sock] = true;
    }
    return rc;
}

uint64_t
zc_auth_refused (zc_sock_t sock)
{
    assert (sock >= 0 && sock < ZC_SOCK_COUNT_);
    return s_refused [sock];
}

bool
zc_auth_bound (zc_sock_t sock)
{
    assert (sock >= 0 && sock < ZC_SOCK_COUNT_);
    return s_bound [sock];
}

// ---------------------------------------------------------------------------
//  key files

//  Write with a temporary name, then rename: a reader never sees half a
//  file, and a secret is 0600 before it has its name
static int
s_save (zcert_t *cert, const char *path, bool secret, char *err, size_t err_size)
{
    char tmp [700];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    int rc = secret ? zcert_save_secret (cert, tmp) : zcert_save_public (cert, tmp);
    if (rc == 0)
        rc = chmod (tmp, secret ? 0600 : 0644);
    if (rc == 0)
        rc = rename (tmp, path);
    if (rc) {
        snprintf (err, err_size, "cannot write %s: %s", path, strerror (errno));
        unlink (tmp);
    }
    return rc;
}

int
zc_keys_generate (const char *dir, zc_role_t role, bool force, char *err, size_t err_size)
{
    assert (role >= KEYED_FIRST && role <= KEYED_LAST);
    if (mkdir (dir, 0700) && errno != EEXIST) {
        snprintf (err, err_size, "cannot create %s: %s", dir, strerror (errno));
        return -1;
    }
    char secret [600], public [600];
    snprintf (secret, sizeof secret, "%s/%s.key_secret", dir, s_role_names [role]);
    snprintf (public, sizeof public, "%s/%s.key", dir, s_role_names [role]);
    zcert_t *cert = force ? NULL : s_load_secret (secret);
    if (!cert && !force && access (secret, F_OK) == 0) {
        snprintf (err, err_size, "%s is not a CURVE secret key certificate (--force replaces it)",
                  secret);
        return -1;
    }
    bool created = !cert;
    if (!cert) {
        cert = zcert_new ();
        if (!cert) {
            snprintf (err, err_size, "cannot make a CURVE key");
            return -1;
        }
        zcert_set_meta (cert, "role", "%s", s_role_names [role]);
        if (s_save (cert, secret, true, err, err_size)) {
            zcert_destroy (&cert);
            return -1;
        }
    }
    //  the public half is written again from the secret when it is missing
    int rc = created || access (public, F_OK) ? s_save (cert, public, false, err, err_size) : 0;
    zcert_destroy (&cert);
    return rc ? -1 : created ? 1 : 0;
}

zc_role_t
zc_keys_default_role (const char *dir)
{
    zc_role_t found = ZC_ROLE_NONE;
    int count = 0;
    for (int r = KEYED_FIRST; r <= KEYED_LAST; r++) {
        char path [600];
        snprintf (path, sizeof path, "%s/%s.key_secret", dir, s_role_names [r]);
        if (access (path, R_OK) == 0) {
            if (r == ZC_ROLE_OPERATOR)
                return ZC_ROLE_OPERATOR;
            found = (zc_role_t) r;
            count++;
        }
    }
    return count == 1 ? found : ZC_ROLE_NONE;
}
