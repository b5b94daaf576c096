/*  zc_wallet.c - wallet files: key files and deterministic wallets */
#include "zc_wallet.h"
#include "zc_bip32.h"
#include "zc_bip39.h"
#include "zc_hashkey.h"
#include "zc_hex.h"
#include "zc_seal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HEADER "zchain-wallet 1\n"
#define MAX_FILE (64 << 20)
#define MAX_SECRET 65536                //  the phrase and the imported keys

typedef struct {
    zc_seckey_t secret;                 //  zero while locked
    bool have;                          //  secret holds the key
    uint8_t pubkey [32];
    int64_t created;
    int chain;                          //  ZC_WALLET_CHAIN_*
    uint32_t index;
} s_key_t;

struct _zc_wallet_t {
    char path [4096];
    int format;
    s_key_t *keys;
    size_t count;
    size_t cap;
    zhashx_t *by_pubkey;                //  pubkey -> slot + 1 in keys
    //  format 2
    uint32_t slot [2] [ZC_WALLET_MAX_KEYS];     //  chain, index -> slot + 1 (0: none)
    char network [32];
    uint32_t coin_type;
    int64_t created;
    uint32_t next [2];                  //  next unused index of each chain
    uint32_t derived [2];               //  keys of each chain in keys []
    bool encrypted;
    bool locked;
    zc_seal_params_t seal;
    uint8_t *secret_blob;               //  sealed, or the clear text when not encrypted
    size_t secret_size;
    zc_xprv_t account;                  //  m/86'/coin'/0', while unlocked
    char *clear;                        //  the secret's text, while unlocked
    char *pass;                         //  its passphrase, while unlocked (to seal it again)
    zc_wallet_tx_t *txs;
    size_t n_txs;
};

static zc_wallet_t *
s_new (const char *path, int format)
{
    zc_wallet_t *self = calloc (1, sizeof *self);
    if (self && !(self->by_pubkey = zc_hashkey_table (ZC_HASHKEY_HASH, false))) {
        free (self);
        self = NULL;
    }
    if (self) {
        snprintf (self->path, sizeof self->path, "%s", path);
        self->format = format;
    }
    return self;
}

static void
s_free_text (char **text_p)
{
    if (*text_p) {
        explicit_bzero (*text_p, strlen (*text_p));
        free (*text_p);
        *text_p = NULL;
    }
}

static void
s_wipe_secrets (zc_wallet_t *self)
{
    for (size_t i = 0; i < self->count; i++) {
        zc_seckey_wipe (&self->keys [i].secret);
        self->keys [i].have = false;
    }
    zc_bip32_wipe (&self->account);
    s_free_text (&self->clear);
    s_free_text (&self->pass);
}

void
zc_wallet_destroy (zc_wallet_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_wallet_t *self = *self_p;
    s_wipe_secrets (self);
    if (self->keys) {
        explicit_bzero (self->keys, self->cap * sizeof *self->keys);
        free (self->keys);
    }
    if (self->secret_blob) {
        explicit_bzero (self->secret_blob, self->secret_size);
        free (self->secret_blob);
    }
    for (size_t i = 0; i < self->n_txs; i++)
        free (self->txs [i].raw);
    free (self->txs);
    zhashx_destroy (&self->by_pubkey);
    free (self);
    *self_p = NULL;
}

//  Append a key: its secret (NULL: locked, pubkey given) and where it
//  comes from. Its index, or -1.
static int
s_push (zc_wallet_t *self, const zc_seckey_t *secret, const uint8_t *pubkey, int64_t created,
        int chain, uint32_t index)
{
    if (self->count == ZC_WALLET_MAX_KEYS)
        return -1;
    if (self->count == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 8;
        s_key_t *grown = calloc (cap, sizeof *grown);
        if (!grown)
            return -1;
        if (self->keys) {
            memcpy (grown, self->keys, self->count * sizeof *grown);
            explicit_bzero (self->keys, self->cap * sizeof *self->keys);
            free (self->keys);
        }
        self->keys = grown;
        self->cap = cap;
    }
    s_key_t *key = &self->keys [self->count];
    memset (key, 0, sizeof *key);
    key->created = created;
    key->chain = chain;
    key->index = index;
    if (secret) {
        key->secret = *secret;
        key->have = true;
        if (zc_seckey_pubkey (&key->secret, key->pubkey)) {
            zc_seckey_wipe (&key->secret);
            return -1;
        }
    }
    else
        memcpy (key->pubkey, pubkey, 32);
    //  one key once: by its public key, and by its place on a chain
    if ((chain >= 0 && (index >= ZC_WALLET_MAX_KEYS || self->slot [chain] [index]))
    ||  zhashx_insert (self->by_pubkey, key->pubkey, (void *) (uintptr_t) (self->count + 1))) {
        explicit_bzero (key, sizeof *key);
        return -1;
    }
    if (chain >= 0)
        self->slot [chain] [index] = (uint32_t) self->count + 1;
    return (int) self->count++;
}

//  Take back the last key s_push added
static void
s_pop (zc_wallet_t *self)
{
    s_key_t *key = &self->keys [--self->count];
    zhashx_delete (self->by_pubkey, key->pubkey);
    if (key->chain >= 0)
        self->slot [key->chain] [key->index] = 0;
    explicit_bzero (key, sizeof *key);
}

// ---------------------------------------------------------------------------
//  Files

static void
s_sync_dir (const char *path)
{
    char copy [4096];
    snprintf (copy, sizeof copy, "%s", path);
    int dfd = open (dirname (copy), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync (dfd);
        close (dfd);
    }
}

//  Read a private file whole: NULL and a reason when it is missing, not
//  ours, readable by others or too large. *size_p gets its size.
static char *
s_read_private (const char *path, size_t *size_p, char *err, size_t err_size)
{
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf (err, err_size, errno == ENOENT ? "no wallet at %s (create one: zchain wallet new)"
                                                 : "cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    struct stat st;
    const char *why = NULL;
    if (fstat (fd, &st) || !S_ISREG (st.st_mode))
        why = "is not a regular file";
    else
    if (st.st_uid != geteuid ())
        why = "belongs to another user; refusing to use it";
    else
    if (st.st_size > MAX_FILE)
        why = "is too large to be a wallet";
    if (why) {
        snprintf (err, err_size, "%s %s", path, why);
        close (fd);
        return NULL;
    }
    if (st.st_mode & 077) {
        snprintf (err, err_size, "%s has permissions %04o: other users can read it; "
                  "refusing to use it (chmod 600 %s)", path, (unsigned) (st.st_mode & 07777), path);
        close (fd);
        return NULL;
    }
    char *text = calloc (1, (size_t) st.st_size + 1);
    ssize_t got = text ? read (fd, text, (size_t) st.st_size) : -1;
    close (fd);
    if (got != st.st_size) {
        snprintf (err, err_size, "cannot read %s", path);
        free (text);
        return NULL;
    }
    *size_p = (size_t) st.st_size;
    return text;
}

//  Write text to path whole: a temporary file beside it (0600, fsynced),
//  renamed over it, the directory fsynced. exclusive: fail when path
//  exists. 0, or -1 and a reason.
static int
s_write_atomic (const char *path, const char *text, bool exclusive, char *err, size_t err_size)
{
    if (exclusive && access (path, F_OK) == 0) {
        snprintf (err, err_size, "%s exists already; refusing to overwrite it", path);
        return -1;
    }
    char tmp [4200];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    unlink (tmp);
    int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf (err, err_size, "cannot create %s: %s", tmp, strerror (errno));
        return -1;
    }
    size_t size = strlen (text);
    int rc = write (fd, text, size) == (ssize_t) size ? 0 : -1;
    if (rc == 0)
        rc = fsync (fd);
    close (fd);
    //  link, not rename, when exclusive: never replaces a file made meanwhile
    if (rc == 0)
        rc = exclusive ? link (tmp, path) : rename (tmp, path);
    if (rc) {
        snprintf (err, err_size, exclusive && errno == EEXIST
                  ? "%s exists already; refusing to overwrite it" : "cannot write %s: %s",
                  path, strerror (errno));
        unlink (tmp);
        return -1;
    }
    if (exclusive)
        unlink (tmp);
    s_sync_dir (path);
    return 0;
}

// ---------------------------------------------------------------------------
//  Format 1

//  One key line, written with a single write so a crash leaves a whole
//  line or none
static int
s_write_line (int fd, const s_key_t *key)
{
    char line [128];
    char hex [65];
    zc_hex_encode (key->secret.b, 32, hex);
    int n = snprintf (line, sizeof line, "%s %lld\n", hex, (long long) key->created);
    explicit_bzero (hex, sizeof hex);
    ssize_t wrote = write (fd, line, (size_t) n);
    explicit_bzero (line, sizeof line);
    return wrote == n ? 0 : -1;
}

zc_wallet_t *
zc_wallet_create (const char *path, char *err, size_t err_size)
{
    zc_wallet_t *self = s_new (path, 1);
    zc_seckey_t secret;
    if (!self || zc_seckey_generate (&secret)
    ||  s_push (self, &secret, NULL, (int64_t) time (NULL), ZC_WALLET_CHAIN_IMPORTED, 0) < 0) {
        zc_seckey_wipe (&secret);
        snprintf (err, err_size, "cannot generate a key");
        zc_wallet_destroy (&self);
        return NULL;
    }
    zc_seckey_wipe (&secret);
    //  O_EXCL: never overwrite a wallet, not even through a race
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf (err, err_size, errno == EEXIST ? "%s exists already; refusing to overwrite it"
                                                 : "cannot create %s: %s",
                  path, strerror (errno));
        zc_wallet_destroy (&self);
        return NULL;
    }
    int rc = write (fd, HEADER, strlen (HEADER)) == (ssize_t) strlen (HEADER) ? 0 : -1;
    if (rc == 0)
        rc = s_write_line (fd, &self->keys [0]);
    if (rc == 0)
        rc = fsync (fd);
    close (fd);
    if (rc) {
        snprintf (err, err_size, "cannot write %s: %s", path, strerror (errno));
        unlink (path);
        zc_wallet_destroy (&self);
        return NULL;
    }
    s_sync_dir (path);
    return self;
}

static zc_wallet_t *
s_load_keyfile (const char *path, char *text, char *err, size_t err_size)
{
    zc_wallet_t *self = s_new (path, 1);
    bool ok = self != NULL;
    char *save = NULL;
    for (char *line = ok ? strtok_r (text + strlen (HEADER), "\n", &save) : NULL;
         line && ok; line = strtok_r (NULL, "\n", &save)) {
        zc_seckey_t secret;
        char hex [65];
        long long created;
        ok = sscanf (line, "%64s %lld", hex, &created) == 2 && zc_hex_decode (hex, secret.b, 32) == 0
          && zc_seckey_is_valid (&secret)
          && s_push (self, &secret, NULL, created, ZC_WALLET_CHAIN_IMPORTED, 0) >= 0;
        zc_seckey_wipe (&secret);
        explicit_bzero (hex, sizeof hex);
    }
    if (!ok || self->count == 0) {
        snprintf (err, err_size, "%s is not a valid wallet file", path);
        zc_wallet_destroy (&self);
    }
    return self;
}

static int
s_append_key (zc_wallet_t *self, char *err, size_t err_size)
{
    zc_seckey_t secret;
    if (zc_seckey_generate (&secret)) {
        snprintf (err, err_size, "cannot generate a key");
        return -1;
    }
    int index = s_push (self, &secret, NULL, (int64_t) time (NULL), ZC_WALLET_CHAIN_IMPORTED, 0);
    zc_seckey_wipe (&secret);
    if (index < 0) {
        snprintf (err, err_size, "the wallet is full");
        return -1;
    }
    int fd = open (self->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
    int rc = fd < 0 ? -1 : s_write_line (fd, &self->keys [index]);
    if (rc == 0)
        rc = fsync (fd);
    if (fd >= 0)
        close (fd);
    if (rc) {
        snprintf (err, err_size, "cannot write %s: %s", self->path, strerror (errno));
        s_pop (self);
        return -1;
    }
    return index;
}

// ---------------------------------------------------------------------------
//  Format 2: the secret

//  The account's path, m/86'/coin'/0'
static const char *
s_account (const zc_wallet_t *self, char path [32])
{
    snprintf (path, 32, "m/86'/%u'/0'", self->coin_type);
    return path;
}

//  What the seal binds the secret to
static void
s_ad (const zc_wallet_t *self, char *ad, size_t size)
{
    char path [32];
    snprintf (ad, size, "zchain-wallet 2 %s %s", self->network, s_account (self, path));
}

//  The secret in clear: the phrase, then the imported keys. Caller wipes.
static char *
s_secret_text (const zc_wallet_t *self, const char *phrase)
{
    size_t cap = strlen (phrase) + 2 + self->count * 66;
    char *text = calloc (1, cap);
    if (!text)
        return NULL;
    size_t n = (size_t) snprintf (text, cap, "%s\n", phrase);
    for (size_t i = 0; i < self->count; i++)
        if (self->keys [i].chain == ZC_WALLET_CHAIN_IMPORTED) {
            zc_hex_encode (self->keys [i].secret.b, 32, text + n);
            n += 64;
            text [n++] = '\n';
        }
    text [n] = 0;
    return text;
}

//  Seal text (or keep it in clear) as the wallet's secret blob
static int
s_set_secret (zc_wallet_t *self, const char *text, const char *passphrase, uint64_t ops,
              uint64_t mem)
{
    size_t size = strlen (text);
    uint8_t *blob = malloc (size + ZC_SEAL_TAG_SIZE);
    if (!blob)
        return -1;
    if (passphrase) {
        char ad [96];
        s_ad (self, ad, sizeof ad);
        if (zc_seal (passphrase, (const uint8_t *) text, size, ad, ops, mem, &self->seal, blob)) {
            free (blob);
            return -1;
        }
        size += ZC_SEAL_TAG_SIZE;
    }
    else
        memcpy (blob, text, size);
    if (self->secret_blob) {
        explicit_bzero (self->secret_blob, self->secret_size);
        free (self->secret_blob);
    }
    self->secret_blob = blob;
    self->secret_size = size;
    self->encrypted = passphrase != NULL;
    return 0;
}

//  The secret of key index of a chain (its branch of the account): BIP86's
//  tweak of m/86'/coin'/0'/chain/index, the secret of its output key
static int
s_derive (const zc_xprv_t *branch, uint32_t index, zc_seckey_t *secret)
{
    zc_xprv_t child;
    int rc = zc_bip32_child (branch, index, &child);
    if (rc == 0)
        rc = zc_bip86_seckey (child.key, secret->b);
    zc_bip32_wipe (&child);
    return rc;
}

static s_key_t *
s_key_at (zc_wallet_t *self, int chain, uint32_t index)
{
    uint32_t at = chain >= 0 && chain <= 1 && index < ZC_WALLET_MAX_KEYS ? self->slot [chain] [index] : 0;
    return at ? &self->keys [at - 1] : NULL;
}

//  Keys of chain up to and with index: derived (unlocked), the stored
//  public ones checked against what the seed gives. 0 or -1.
static int
s_fill_chain (zc_wallet_t *self, int chain, uint32_t upto)
{
    if (self->locked) {
        for (uint32_t i = 0; i <= upto; i++)
            if (!s_key_at (self, chain, i))
                return -1;
        return 0;
    }
    zc_xprv_t branch;
    int rc = zc_bip32_child (&self->account, (uint32_t) chain, &branch);
    for (uint32_t i = 0; rc == 0 && i <= upto; i++) {
        s_key_t *key = s_key_at (self, chain, i);
        if (key && key->have)
            continue;
        zc_seckey_t secret;
        //  BIP32: an invalid child (odds 2^-127) is skipped; this wallet
        //  refuses instead, which no real seed will meet
        rc = s_derive (&branch, i, &secret);
        if (rc == 0 && key) {
            uint8_t pubkey [32];
            rc = zc_seckey_pubkey (&secret, pubkey) || memcmp (pubkey, key->pubkey, 32) ? -1 : 0;
            if (rc == 0) {
                key->secret = secret;
                key->have = true;
            }
        }
        else
        if (rc == 0) {
            rc = s_push (self, &secret, NULL, (int64_t) time (NULL), chain, i) < 0 ? -1 : 0;
            if (rc == 0 && i + 1 > self->derived [chain])
                self->derived [chain] = i + 1;
        }
        zc_seckey_wipe (&secret);
    }
    zc_bip32_wipe (&branch);
    return rc ? -1 : 0;
}

//  Open the secret text: the phrase and the imported keys into the
//  wallet. 0 or -1.
static int
s_open_secret (zc_wallet_t *self, const char *text)
{
    const char *eol = strchr (text, '\n');
    if (!eol || (size_t) (eol - text) >= ZC_BIP39_PHRASE_MAX)
        return -1;
    char phrase [ZC_BIP39_PHRASE_MAX];
    memcpy (phrase, text, (size_t) (eol - text));
    phrase [eol - text] = 0;
    uint8_t seed [ZC_BIP39_SEED_SIZE];
    zc_xprv_t master;
    char path [32];
    int rc = zc_bip39_seed (phrase, NULL, seed);
    if (rc == 0)
        rc = zc_bip32_master (seed, sizeof seed, &master);
    if (rc == 0)
        rc = zc_bip32_derive (&master, s_account (self, path), &self->account);
    explicit_bzero (phrase, sizeof phrase);
    explicit_bzero (seed, sizeof seed);
    zc_bip32_wipe (&master);
    //  the imported keys, each against its stored public key
    for (const char *line = eol + 1; rc == 0 && *line; ) {
        zc_seckey_t secret;
        uint8_t pubkey [32];
        char hex [65];
        rc = strnlen (line, 65) < 65 || line [64] != '\n' ? -1 : 0;
        if (rc == 0) {
            memcpy (hex, line, 64);
            hex [64] = 0;
            rc = zc_hex_decode (hex, secret.b, 32) || zc_seckey_pubkey (&secret, pubkey) ? -1 : 0;
            explicit_bzero (hex, sizeof hex);
        }
        int at = rc == 0 ? zc_wallet_find (self, pubkey) : -1;
        if (at < 0)
            rc = -1;
        else {
            self->keys [at].secret = secret;
            self->keys [at].have = true;
        }
        zc_seckey_wipe (&secret);
        line += 65;
    }
    return rc;
}

// ---------------------------------------------------------------------------
//  Format 2: the file

static char *
s_hex (const uint8_t *data, size_t size)
{
    char *hex = malloc (2 * size + 1);
    if (hex)
        zc_hex_encode (data, size, hex);
    return hex;
}

static void
s_add_hex (cJSON *obj, const char *name, const uint8_t *data, size_t size)
{
    char *hex = s_hex (data, size);
    cJSON_AddStringToObject (obj, name, hex ? hex : "");
    if (hex) {
        explicit_bzero (hex, 2 * size);
        free (hex);
    }
}

static int
s_save (zc_wallet_t *self, bool exclusive, char *err, size_t err_size)
{
    cJSON *root = cJSON_CreateObject ();
    cJSON_AddNumberToObject (root, "zchain_wallet", 2);
    cJSON_AddStringToObject (root, "network", self->network);
    char account [32];
    cJSON_AddStringToObject (root, "account", s_account (self, account));
    cJSON_AddNumberToObject (root, "created", (double) self->created);
    if (self->encrypted) {
        cJSON *enc = cJSON_AddObjectToObject (root, "encryption");
        cJSON_AddStringToObject (enc, "kdf", "argon2id");
        cJSON_AddNumberToObject (enc, "ops", (double) self->seal.ops);
        cJSON_AddNumberToObject (enc, "mem", (double) self->seal.mem);
        s_add_hex (enc, "salt", self->seal.salt, sizeof self->seal.salt);
        cJSON_AddStringToObject (enc, "aead", "xchacha20poly1305");
        s_add_hex (enc, "nonce", self->seal.nonce, sizeof self->seal.nonce);
    }
    s_add_hex (root, "secret", self->secret_blob, self->secret_size);
    cJSON *next = cJSON_AddArrayToObject (root, "next");
    cJSON_AddItemToArray (next, cJSON_CreateNumber (self->next [0]));
    cJSON_AddItemToArray (next, cJSON_CreateNumber (self->next [1]));
    cJSON *keys = cJSON_AddArrayToObject (root, "keys");
    for (size_t i = 0; i < self->count; i++) {
        cJSON *k = cJSON_CreateObject ();
        s_add_hex (k, "pubkey", self->keys [i].pubkey, 32);
        cJSON_AddNumberToObject (k, "chain", self->keys [i].chain);
        cJSON_AddNumberToObject (k, "index", self->keys [i].index);
        cJSON_AddNumberToObject (k, "created", (double) self->keys [i].created);
        cJSON_AddItemToArray (keys, k);
    }
    cJSON *txs = cJSON_AddArrayToObject (root, "txs");
    for (size_t i = 0; i < self->n_txs; i++) {
        cJSON *t = cJSON_CreateObject ();
        char hex [65];
        cJSON_AddStringToObject (t, "txid", zc_hash_hex (&self->txs [i].txid, hex));
        s_add_hex (t, "raw", self->txs [i].raw, self->txs [i].size);
        cJSON_AddNumberToObject (t, "time", (double) self->txs [i].time);
        cJSON_AddNumberToObject (t, "fee", (double) self->txs [i].fee);
        cJSON_AddItemToArray (txs, t);
    }
    char *text = cJSON_Print (root);
    //  the tree holds the secret's hex (in clear without a passphrase)
    cJSON *secret = cJSON_GetObjectItem (root, "secret");
    if (secret && secret->valuestring)
        explicit_bzero (secret->valuestring, strlen (secret->valuestring));
    cJSON_Delete (root);
    if (!text) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    int rc = s_write_atomic (self->path, text, exclusive, err, err_size);
    explicit_bzero (text, strlen (text));
    free (text);
    return rc;
}

static bool
s_get_u64 (const cJSON *obj, const char *name, uint64_t max, uint64_t *out)
{
    const cJSON *item = cJSON_GetObjectItem (obj, name);
    if (!cJSON_IsNumber (item) || item->valuedouble < 0 || item->valuedouble > (double) max)
        return false;
    *out = (uint64_t) item->valuedouble;
    return true;
}

static bool
s_get_hex (const cJSON *obj, const char *name, uint8_t *out, size_t size)
{
    const cJSON *item = cJSON_GetObjectItem (obj, name);
    return cJSON_IsString (item) && strlen (item->valuestring) == 2 * size
        && zc_hex_decode (item->valuestring, out, size) == 0;
}

static zc_wallet_t *
s_load_hd (const char *path, const char *text, char *err, size_t err_size)
{
    zc_wallet_t *self = s_new (path, 2);
    cJSON *root = self ? cJSON_Parse (text) : NULL;
    const char *why = NULL;
    uint64_t v;
    if (!root || !s_get_u64 (root, "zchain_wallet", 100, &v) || v != 2)
        why = "is not a zchain wallet of format 2";
    const cJSON *network = cJSON_GetObjectItem (root, "network");
    const cJSON *account = cJSON_GetObjectItem (root, "account");
    unsigned coin = 0;
    char tail;
    if (!why && (!cJSON_IsString (network) || strlen (network->valuestring) >= sizeof self->network
              || !cJSON_IsString (account)
              || sscanf (account->valuestring, "m/86'/%u'/0%c", &coin, &tail) != 2 || tail != '\''
              || coin >= ZC_BIP32_HARDENED))
        why = "has no valid network or account";
    if (!why) {
        snprintf (self->network, sizeof self->network, "%s", network->valuestring);
        self->coin_type = coin;
        if (s_get_u64 (root, "created", INT64_MAX, &v))
            self->created = (int64_t) v;
    }
    const cJSON *enc = cJSON_GetObjectItem (root, "encryption");
    if (!why && enc) {
        const cJSON *kdf = cJSON_GetObjectItem (enc, "kdf"), *aead = cJSON_GetObjectItem (enc, "aead");
        if (!cJSON_IsString (kdf) || strcmp (kdf->valuestring, "argon2id")
        ||  !cJSON_IsString (aead) || strcmp (aead->valuestring, "xchacha20poly1305")
        ||  !s_get_u64 (enc, "ops", ZC_SEAL_OPS_MAX, &self->seal.ops)
        ||  !s_get_u64 (enc, "mem", ZC_SEAL_MEM_MAX, &self->seal.mem)
        ||  !s_get_hex (enc, "salt", self->seal.salt, sizeof self->seal.salt)
        ||  !s_get_hex (enc, "nonce", self->seal.nonce, sizeof self->seal.nonce))
            why = "has an encryption this version does not know";
        self->encrypted = true;
    }
    const cJSON *secret = cJSON_GetObjectItem (root, "secret");
    if (!why) {
        size_t size;
        self->secret_blob = cJSON_IsString (secret)
                          ? zc_hex_decode_alloc (secret->valuestring, MAX_SECRET, &size) : NULL;
        if (!self->secret_blob || (self->encrypted && size <= ZC_SEAL_TAG_SIZE))
            why = "has no valid secret";
        else
            self->secret_size = size;
    }
    const cJSON *next = cJSON_GetObjectItem (root, "next");
    if (!why && (cJSON_GetArraySize (next) != 2
              || !cJSON_IsNumber (cJSON_GetArrayItem (next, 0)) || !cJSON_IsNumber (cJSON_GetArrayItem (next, 1))))
        why = "has no valid next indexes";
    for (int c = 0; !why && c < 2; c++) {
        double d = cJSON_GetArrayItem (next, c)->valuedouble;
        if (d < 0 || d > ZC_WALLET_MAX_KEYS / 2 - ZC_WALLET_LOOKAHEAD)
            why = "has no valid next indexes";
        else
            self->next [c] = (uint32_t) d;
    }
    const cJSON *key;
    cJSON_ArrayForEach (key, cJSON_GetObjectItem (root, "keys")) {
        if (why)
            break;
        uint8_t pubkey [32];
        uint64_t index, created = 0;
        const cJSON *chain = cJSON_GetObjectItem (key, "chain");
        int c = cJSON_IsNumber (chain) ? chain->valueint : -2;
        s_get_u64 (key, "created", INT64_MAX, &created);
        if (!s_get_hex (key, "pubkey", pubkey, 32) || c < -1 || c > 1
        ||  !s_get_u64 (key, "index", ZC_WALLET_MAX_KEYS, &index)
        ||  s_push (self, NULL, pubkey, (int64_t) created, c, (uint32_t) index) < 0)
            why = "has an invalid key";
        else
        if (c >= 0 && index + 1 > self->derived [c])
            self->derived [c] = (uint32_t) index + 1;
    }
    const cJSON *tx;
    cJSON_ArrayForEach (tx, cJSON_GetObjectItem (root, "txs")) {
        if (why)
            break;
        zc_wallet_tx_t t = { .raw = NULL };
        const cJSON *txid = cJSON_GetObjectItem (tx, "txid"), *raw = cJSON_GetObjectItem (tx, "raw");
        uint64_t time_v = 0;
        s_get_u64 (tx, "time", INT64_MAX, &time_v);
        s_get_u64 (tx, "fee", UINT64_MAX, &t.fee);
        t.time = (int64_t) time_v;
        if (!cJSON_IsString (txid) || zc_hash_from_hex (txid->valuestring, &t.txid)
        ||  !cJSON_IsString (raw)
        ||  !(t.raw = zc_hex_decode_alloc (raw->valuestring, 1 << 20, &t.size))
        ||  self->n_txs == ZC_WALLET_MAX_TXS) {
            free (t.raw);
            why = "has an invalid transaction";
            break;
        }
        zc_wallet_tx_t *grown = realloc (self->txs, (self->n_txs + 1) * sizeof *grown);
        if (!grown) {
            free (t.raw);
            why = "is too large to load";
            break;
        }
        self->txs = grown;
        self->txs [self->n_txs++] = t;
    }
    cJSON_Delete (root);
    if (why) {
        snprintf (err, err_size, "%s %s", path, why);
        zc_wallet_destroy (&self);
        return NULL;
    }
    self->locked = true;
    //  no passphrase: open at once
    if (!self->encrypted && zc_wallet_unlock (self, NULL, err, err_size)) {
        zc_wallet_destroy (&self);
        return NULL;
    }
    return self;
}

//  Keep ZC_WALLET_LOOKAHEAD keys past next on both chains; true when it
//  derived some
static int
s_top_up (zc_wallet_t *self, bool *added)
{
    *added = false;
    for (int c = 0; c < 2; c++) {
        uint32_t want = self->next [c] + ZC_WALLET_LOOKAHEAD;
        if (self->derived [c] >= want)
            continue;
        if (s_fill_chain (self, c, want - 1))
            return -1;
        *added = true;
    }
    return 0;
}

// ---------------------------------------------------------------------------
//  The api

zc_wallet_t *
zc_wallet_load (const char *path, char *err, size_t err_size)
{
    size_t size;
    char *text = s_read_private (path, &size, err, err_size);
    if (!text)
        return NULL;
    zc_wallet_t *self = NULL;
    if (strncmp (text, HEADER, strlen (HEADER)) == 0)
        self = s_load_keyfile (path, text, err, err_size);
    else
    if (text [0] == '{')
        self = s_load_hd (path, text, err, err_size);
    else
        snprintf (err, err_size, "%s is not a valid wallet file", path);
    explicit_bzero (text, size);
    free (text);
    return self;
}

zc_wallet_t *
zc_wallet_create_hd (const char *path, const char *phrase, const char *network,
                     uint32_t coin_type, const char *passphrase, uint64_t ops, uint64_t mem,
                     char *err, size_t err_size)
{
    char canonical [ZC_BIP39_PHRASE_MAX];
    if (zc_bip39_check (phrase, err, err_size) || zc_bip39_normalize (phrase, canonical, sizeof canonical))
        return NULL;
    zc_wallet_t *self = s_new (path, 2);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    snprintf (self->network, sizeof self->network, "%s", network);
    self->coin_type = coin_type;
    self->created = (int64_t) time (NULL);
    char *text = s_secret_text (self, canonical);
    int rc = text ? s_open_secret (self, text) : -1;
    if (rc == 0)
        rc = s_set_secret (self, text, passphrase, ops, mem);
    self->clear = text;
    self->pass = passphrase ? strdup (passphrase) : NULL;
    if (passphrase && !self->pass)
        rc = -1;
    explicit_bzero (canonical, sizeof canonical);
    bool added;
    if (rc == 0)
        rc = s_top_up (self, &added);
    if (rc) {
        snprintf (err, err_size, "cannot derive the wallet's keys");
        zc_wallet_destroy (&self);
        return NULL;
    }
    if (s_save (self, true, err, err_size)) {
        zc_wallet_destroy (&self);
        return NULL;
    }
    return self;
}

int
zc_wallet_format (const zc_wallet_t *self)
{
    return self->format;
}

const char *
zc_wallet_network (const zc_wallet_t *self)
{
    return self->network;
}

bool
zc_wallet_is_encrypted (const zc_wallet_t *self)
{
    return self->encrypted;
}

bool
zc_wallet_is_locked (const zc_wallet_t *self)
{
    return self->locked;
}

int
zc_wallet_unlock (zc_wallet_t *self, const char *passphrase, char *err, size_t err_size)
{
    if (!self->locked)
        return 0;
    if (self->encrypted && !passphrase) {
        snprintf (err, err_size, "the wallet is encrypted: it needs its passphrase");
        return -1;
    }
    size_t size = self->encrypted ? self->secret_size - ZC_SEAL_TAG_SIZE : self->secret_size;
    char *text = calloc (1, size + 1);
    if (!text) {
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    char ad [96];
    s_ad (self, ad, sizeof ad);
    if (self->encrypted
    &&  zc_unseal (passphrase, self->secret_blob, self->secret_size, ad, &self->seal, (uint8_t *) text)) {
        free (text);
        snprintf (err, err_size, "wrong passphrase (or %s was changed)", self->path);
        return -1;
    }
    if (!self->encrypted)
        memcpy (text, self->secret_blob, size);
    int rc = s_open_secret (self, text);
    self->clear = text;
    self->pass = passphrase ? strdup (passphrase) : NULL;
    if (rc == 0 && passphrase && !self->pass)
        rc = -1;
    if (rc == 0) {
        self->locked = false;
        //  every stored derived key, checked against what the seed gives
        for (int c = 0; rc == 0 && c < 2; c++)
            if (self->derived [c])
                rc = s_fill_chain (self, c, self->derived [c] - 1);
    }
    bool added = false;
    if (rc == 0)
        rc = s_top_up (self, &added);
    if (rc) {
        zc_wallet_lock (self);
        snprintf (err, err_size, "%s: its keys do not match its secret", self->path);
        return -1;
    }
    return added ? s_save (self, false, err, err_size) : 0;
}

void
zc_wallet_lock (zc_wallet_t *self)
{
    if (self->format != 2)
        return;
    s_wipe_secrets (self);
    self->locked = true;
}

int
zc_wallet_set_passphrase (zc_wallet_t *self, const char *passphrase, char *err, size_t err_size)
{
    if (self->format != 2 || self->locked) {
        snprintf (err, err_size, self->format != 2 ? "a key file has no passphrase (zchain wallet import it)"
                                                   : "the wallet is locked");
        return -1;
    }
    char *pass = passphrase ? strdup (passphrase) : NULL;
    if ((passphrase && !pass) || s_set_secret (self, self->clear, passphrase, self->seal.ops, self->seal.mem)) {
        s_free_text (&pass);
        snprintf (err, err_size, "cannot seal the wallet's secret");
        return -1;
    }
    s_free_text (&self->pass);
    self->pass = pass;
    return s_save (self, false, err, err_size);
}

int
zc_wallet_next_key (zc_wallet_t *self, int chain, char *err, size_t err_size)
{
    if (self->format == 1)
        return s_append_key (self, err, err_size);
    if (chain != ZC_WALLET_CHAIN_RECEIVE && chain != ZC_WALLET_CHAIN_CHANGE) {
        snprintf (err, err_size, "no such chain");
        return -1;
    }
    if (self->next [chain] + 1 > ZC_WALLET_MAX_KEYS / 2 - ZC_WALLET_LOOKAHEAD) {
        snprintf (err, err_size, "the wallet is full");
        return -1;
    }
    uint32_t index = self->next [chain];
    if (!s_key_at (self, chain, index) && (self->locked || s_fill_chain (self, chain, index))) {
        snprintf (err, err_size, self->locked ? "the wallet's unused addresses are spent: unlock it "
                  "(its passphrase) to make more" : "cannot derive a key");
        return -1;
    }
    self->next [chain] = index + 1;
    bool added;
    if (!self->locked && s_top_up (self, &added)) {
        snprintf (err, err_size, "cannot derive a key");
        return -1;
    }
    if (s_save (self, false, err, err_size))
        return -1;
    return (int) (s_key_at (self, chain, index) - self->keys);
}

int
zc_wallet_add_key (zc_wallet_t *self, char *err, size_t err_size)
{
    return zc_wallet_next_key (self, ZC_WALLET_CHAIN_RECEIVE, err, err_size);
}

int
zc_wallet_derive_to (zc_wallet_t *self, int chain, uint32_t index, char *err, size_t err_size)
{
    if (self->format != 2 || chain < 0 || chain > 1 || index >= ZC_WALLET_MAX_KEYS / 2
    ||  (self->locked && index >= self->derived [chain])
    ||  (!self->locked && s_fill_chain (self, chain, index))) {
        snprintf (err, err_size, self->locked ? "the wallet is locked" : "cannot derive key %u", index);
        return -1;
    }
    return 0;
}

int
zc_wallet_mark_used (zc_wallet_t *self, int chain, uint32_t index, char *err, size_t err_size)
{
    if (zc_wallet_derive_to (self, chain, index, err, err_size))
        return -1;
    if (index + 1 <= self->next [chain])
        return 0;
    self->next [chain] = index + 1;
    bool added;
    if (!self->locked && s_top_up (self, &added)) {
        snprintf (err, err_size, "cannot derive a key");
        return -1;
    }
    return s_save (self, false, err, err_size);
}

int
zc_wallet_import (zc_wallet_t *self, const zc_seckey_t *secret, int64_t created, char *err,
                  size_t err_size)
{
    if (self->format != 2 || self->locked) {
        snprintf (err, err_size, self->format != 2 ? "import into a wallet of format 2"
                                                   : "the wallet is locked");
        return -1;
    }
    uint8_t pubkey [32];
    if (zc_seckey_pubkey (secret, pubkey)) {
        snprintf (err, err_size, "not a valid secret key");
        return -1;
    }
    int at = zc_wallet_find (self, pubkey);
    if (at >= 0)
        return at;
    at = s_push (self, secret, NULL, created, ZC_WALLET_CHAIN_IMPORTED, 0);
    if (at < 0) {
        snprintf (err, err_size, "the wallet is full");
        return -1;
    }
    //  the phrase (first line) and every imported key, sealed again
    const char *eol = strchr (self->clear, '\n');
    char phrase [ZC_BIP39_PHRASE_MAX] = "";
    if (eol && (size_t) (eol - self->clear) < sizeof phrase)
        memcpy (phrase, self->clear, (size_t) (eol - self->clear));
    char *text = s_secret_text (self, phrase);
    explicit_bzero (phrase, sizeof phrase);
    if (!text || s_set_secret (self, text, self->pass, self->seal.ops, self->seal.mem)) {
        s_free_text (&text);
        s_pop (self);
        snprintf (err, err_size, "cannot seal the wallet's secret");
        return -1;
    }
    s_free_text (&self->clear);
    self->clear = text;
    return s_save (self, false, err, err_size) ? -1 : at;
}

uint32_t
zc_wallet_next_index (const zc_wallet_t *self, int chain)
{
    return self->format == 2 && chain >= 0 && chain <= 1 ? self->next [chain] : 0;
}

size_t
zc_wallet_count (const zc_wallet_t *self)
{
    return self->count;
}

const uint8_t *
zc_wallet_pubkey (const zc_wallet_t *self, size_t i)
{
    return i < self->count ? self->keys [i].pubkey : NULL;
}

int64_t
zc_wallet_created (const zc_wallet_t *self, size_t i)
{
    return i < self->count ? self->keys [i].created : 0;
}

int
zc_wallet_chain (const zc_wallet_t *self, size_t i)
{
    return i < self->count ? self->keys [i].chain : ZC_WALLET_CHAIN_IMPORTED;
}

uint32_t
zc_wallet_index (const zc_wallet_t *self, size_t i)
{
    return i < self->count ? self->keys [i].index : 0;
}

int
zc_wallet_find (const zc_wallet_t *self, const uint8_t pubkey [32])
{
    uintptr_t at = (uintptr_t) zhashx_lookup (self->by_pubkey, pubkey);
    return at ? (int) at - 1 : -1;
}

const zc_seckey_t *
zc_wallet_seckey_for (const zc_wallet_t *self, const uint8_t pubkey [32])
{
    int i = zc_wallet_find (self, pubkey);
    return i < 0 || !self->keys [i].have ? NULL : &self->keys [i].secret;
}

int
zc_wallet_add_tx (zc_wallet_t *self, const zc_hash_t *txid, const uint8_t *raw, size_t size,
                  uint64_t fee, int64_t time, char *err, size_t err_size)
{
    if (self->format != 2)
        return 0;
    for (size_t i = 0; i < self->n_txs; i++)
        if (zc_hash_eq (&self->txs [i].txid, txid))
            return 0;
    if (self->n_txs == ZC_WALLET_MAX_TXS) {
        snprintf (err, err_size, "the wallet keeps at most %d payments", ZC_WALLET_MAX_TXS);
        return -1;
    }
    zc_wallet_tx_t *grown = realloc (self->txs, (self->n_txs + 1) * sizeof *grown);
    uint8_t *copy = malloc (size);
    if (!grown || !copy) {
        free (copy);
        if (grown)
            self->txs = grown;
        snprintf (err, err_size, "out of memory");
        return -1;
    }
    self->txs = grown;
    memcpy (copy, raw, size);
    self->txs [self->n_txs++] = (zc_wallet_tx_t) {
        .txid = *txid, .raw = copy, .size = size, .time = time, .fee = fee
    };
    if (s_save (self, false, err, err_size)) {
        free (self->txs [--self->n_txs].raw);
        return -1;
    }
    return 0;
}

size_t
zc_wallet_tx_count (const zc_wallet_t *self)
{
    return self->n_txs;
}

const zc_wallet_tx_t *
zc_wallet_tx (const zc_wallet_t *self, size_t i)
{
    return i < self->n_txs ? &self->txs [i] : NULL;
}
