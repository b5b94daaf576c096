/*  zc_wallet.c - key files */
#include "zc_wallet.h"
#include "zc_hex.h"

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
#define MAX_FILE (1 << 20)

typedef struct {
    zc_seckey_t secret;
    uint8_t pubkey [32];
    int64_t created;
} s_key_t;

struct _zc_wallet_t {
    char path [4096];
    s_key_t *keys;
    size_t count;
    size_t cap;
};

static zc_wallet_t *
s_new (const char *path)
{
    zc_wallet_t *self = calloc (1, sizeof *self);
    if (self)
        snprintf (self->path, sizeof self->path, "%s", path);
    return self;
}

void
zc_wallet_destroy (zc_wallet_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_wallet_t *self = *self_p;
    if (self->keys) {
        explicit_bzero (self->keys, self->cap * sizeof *self->keys);
        free (self->keys);
    }
    free (self);
    *self_p = NULL;
}

static int
s_push (zc_wallet_t *self, const zc_seckey_t *secret, int64_t created)
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
    key->secret = *secret;
    key->created = created;
    if (zc_seckey_pubkey (&key->secret, key->pubkey)) {
        zc_seckey_wipe (&key->secret);
        return -1;
    }
    return (int) self->count++;
}

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

zc_wallet_t *
zc_wallet_create (const char *path, char *err, size_t err_size)
{
    zc_wallet_t *self = s_new (path);
    zc_seckey_t secret;
    if (!self || zc_seckey_generate (&secret) || s_push (self, &secret, (int64_t) time (NULL)) < 0) {
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

zc_wallet_t *
zc_wallet_load (const char *path, char *err, size_t err_size)
{
    int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf (err, err_size, errno == ENOENT ? "no wallet at %s (create one: zchain wallet new)"
                                                 : "cannot open %s: %s", path, strerror (errno));
        return NULL;
    }
    struct stat st;
    if (fstat (fd, &st) || !S_ISREG (st.st_mode)) {
        snprintf (err, err_size, "%s is not a regular file", path);
        close (fd);
        return NULL;
    }
    if (st.st_uid != geteuid ()) {
        snprintf (err, err_size, "%s belongs to another user; refusing to use it", path);
        close (fd);
        return NULL;
    }
    if (st.st_mode & 077) {
        snprintf (err, err_size, "%s has permissions %04o: other users can read it; "
                  "refusing to use it (chmod 600 %s)", path, (unsigned) (st.st_mode & 07777), path);
        close (fd);
        return NULL;
    }
    if (st.st_size > MAX_FILE) {
        snprintf (err, err_size, "%s is too large to be a wallet", path);
        close (fd);
        return NULL;
    }
    char *text = calloc (1, (size_t) st.st_size + 1);
    ssize_t got = text ? read (fd, text, (size_t) st.st_size) : -1;
    close (fd);
    zc_wallet_t *self = got == st.st_size ? s_new (path) : NULL;
    bool ok = self && strncmp (text, HEADER, strlen (HEADER)) == 0;
    char *save = NULL;
    for (char *line = ok ? strtok_r (text + strlen (HEADER), "\n", &save) : NULL;
         line && ok; line = strtok_r (NULL, "\n", &save)) {
        zc_seckey_t secret;
        char hex [65];
        long long created;
        ok = sscanf (line, "%64s %lld", hex, &created) == 2 && zc_hex_decode (hex, secret.b, 32) == 0
          && zc_seckey_is_valid (&secret) && s_push (self, &secret, created) >= 0;
        zc_seckey_wipe (&secret);
        explicit_bzero (hex, sizeof hex);
    }
    if (text) {
        explicit_bzero (text, (size_t) st.st_size);
        free (text);
    }
    if (!ok || self->count == 0) {
        snprintf (err, err_size, "%s is not a valid wallet file", path);
        zc_wallet_destroy (&self);
        return NULL;
    }
    return self;
}

int
zc_wallet_add_key (zc_wallet_t *self, char *err, size_t err_size)
{
    zc_seckey_t secret;
    if (zc_seckey_generate (&secret)) {
        snprintf (err, err_size, "cannot generate a key");
        return -1;
    }
    int index = s_push (self, &secret, (int64_t) time (NULL));
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
        self->count--;
        explicit_bzero (&self->keys [self->count], sizeof self->keys [0]);
        return -1;
    }
    return index;
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

const zc_seckey_t *
zc_wallet_seckey_for (const zc_wallet_t *self, const uint8_t pubkey [32])
{
    for (size_t i = 0; i < self->count; i++)
        if (memcmp (self->keys [i].pubkey, pubkey, 32) == 0)
            return &self->keys [i].secret;
    return NULL;
}
