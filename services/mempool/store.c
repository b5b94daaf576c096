/*  store.c - mempool persistence, and what it does when the disk fails or
 *  its files are damaged */
#include "store.h"
#include "zc_buf.h"
#include "zc_log.h"
#include "zc_private.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#define STORE_PROBE_FREE (1u << 20)     //  bytes free before a full store is opened again
#define STORE_KEPT_MAX 100000           //  deletes kept while failed

struct _store_t {
    char *dir;
    rocksdb_t *db;                      //  NULL while failed
    rocksdb_options_t *options;
    rocksdb_readoptions_t *read;
    rocksdb_writeoptions_t *write;
    rocksdb_writebatch_t *batch;        //  queued since the last flush
    rocksdb_writebatch_t *kept;         //  deletes kept while failed
    bool kept_full;
    zc_err_t state;
    char error [300];
    unsigned damage;                    //  times damage was found since open
};

//  A full disk or quota passes when space is freed; anything else may not
static zc_err_t
s_reason (const char *error)
{
    if (strstr (error, "No space left") || strstr (error, "Disk quota exceeded")
    ||  strstr (error, "ENOSPC"))
        return ZC_ERR_STORAGE_FULL;
    return ZC_ERR_UNAVAILABLE;
}

static bool
s_is_corruption (const char *error)
{
    return error && strncmp (error, "Corruption", 10) == 0;
}

//  Open with a recovery mode; NULL and *error (RocksDB's) on failure
static rocksdb_t *
s_open_mode (store_t *self, int recovery, char **error)
{
    rocksdb_options_set_wal_recovery_mode (self->options, recovery);
    //  no per-operation counting into RocksDB's thread-local perf context
    //  (its TLS look-ups cost on every put); for this thread, which writes
    rocksdb_set_perf_level (rocksdb_disable);
    return rocksdb_open (self->options, self->dir, error);
}

//  Damaged files: moved aside for a post-mortem (DIR.damaged-TIME), and a
//  fresh store opened; the transactions read so far are stored again as
//  they are accepted again. The fresh store, or NULL with *error.
static rocksdb_t *
s_set_aside (store_t *self, char **error)
{
    if (self->db) {
        rocksdb_close (self->db);
        self->db = NULL;
    }
    char aside [4096];
    snprintf (aside, sizeof aside, "%s.damaged-%lld", self->dir, (long long) time (NULL));
    if (rename (self->dir, aside) == 0)
        zc_error ("mempool store: damaged files moved to %s; the store starts afresh", aside);
    else
        zc_error ("mempool store: cannot move %s aside: %s", self->dir, strerror (errno));
    //  the fresh directory is as private as the one it replaces
    char reason [512];
    if (zc_private_dir (self->dir, reason, sizeof reason))
        zc_error ("mempool store: %s", reason);
    return s_open_mode (self, rocksdb_point_in_time_recovery, error);
}

//  Open the database. The log is not fsynced (store.h): a power cut may tear
//  its end. Open first as if every record must check out; when one does
//  not, say so and keep what precedes it (point in time), not silently
//  either way; table files that do not check out are set aside.
static zc_err_t
s_open_db (store_t *self)
{
    char *error = NULL;
    self->db = s_open_mode (self, rocksdb_absolute_consistency_recovery, &error);
    if (error && s_is_corruption (error)) {
        self->damage++;
        zc_warn ("mempool store: %s; keeping the transactions logged before it (a power cut "
                 "tears the end of the log by design: the mempool does not fsync)", error);
        rocksdb_free (error);
        error = NULL;
        self->db = s_open_mode (self, rocksdb_point_in_time_recovery, &error);
        if (error && s_is_corruption (error)) {
            zc_error ("mempool store: %s", error);
            rocksdb_free (error);
            error = NULL;
            self->db = s_set_aside (self, &error);
        }
    }
    if (error) {
        self->state = s_reason (error);
        snprintf (self->error, sizeof self->error, "cannot open %s: %s", self->dir, error);
        rocksdb_free (error);
        self->db = NULL;
        return self->state;
    }
    self->state = ZC_OK;
    return ZC_OK;
}

store_t *
store_open (const char *dir, zc_err_t *reason, char *err, size_t err_size)
{
    if (zc_private_dir (dir, err, err_size))
        return NULL;
    store_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->dir = strdup (dir);
    self->options = rocksdb_options_create ();
    rocksdb_options_set_create_if_missing (self->options, 1);
    rocksdb_options_set_paranoid_checks (self->options, 1);
    //  bounded memory: memtables of at most 32 MB, 64 MB in all
    rocksdb_options_set_write_buffer_size (self->options, 32 << 20);
    rocksdb_options_set_db_write_buffer_size (self->options, 64 << 20);
    //  RocksDB's own LOG lives on the same disk: once a write to it fails,
    //  the next one trips an assertion (kept in Debian's build) and aborts
    //  the process. At FATAL it is written only when that is all there is.
    rocksdb_options_set_info_log_level (self->options, 4);
    rocksdb_options_set_keep_log_file_num (self->options, 2);
    //  transactions are hashes, keys and signatures: nothing to compress
    rocksdb_options_set_compression (self->options, rocksdb_no_compression);
    //  the store is written, never read by key: rows are read back in
    //  order only when the mempool starts. A vector memtable appends each
    //  write and sorts once at the flush, where a skip list would search
    //  for every insert's place (the mempool's largest RocksDB cost)
    rocksdb_options_set_memtable_vector_rep (self->options);
    rocksdb_options_set_allow_concurrent_memtable_write (self->options, 0);
    self->read = rocksdb_readoptions_create ();
    if (self->read)
        rocksdb_readoptions_set_verify_checksums (self->read, 1);
    self->write = rocksdb_writeoptions_create ();
    self->batch = rocksdb_writebatch_create ();
    self->kept = rocksdb_writebatch_create ();
    if (!self->dir || !self->options || !self->read || !self->write || !self->batch || !self->kept) {
        store_destroy (&self);
        return NULL;
    }
    *reason = s_open_db (self);
    snprintf (err, err_size, "%s", self->error);
    return self;
}

void
store_destroy (store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    if (self->db) {
        store_flush (self);
        if (self->db)
            rocksdb_close (self->db);
    }
    if (self->batch)
        rocksdb_writebatch_destroy (self->batch);
    if (self->kept)
        rocksdb_writebatch_destroy (self->kept);
    if (self->read)
        rocksdb_readoptions_destroy (self->read);
    if (self->write)
        rocksdb_writeoptions_destroy (self->write);
    if (self->options)
        rocksdb_options_destroy (self->options);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

zc_err_t
store_state (const store_t *self)
{
    return self->state;
}

const char *
store_error (const store_t *self)
{
    return self->error;
}

#define STORE_KEY 40                    //  u64 time (big-endian) | txid

static void
s_key (const zc_hash_t *txid, uint64_t time_ms, uint8_t key [STORE_KEY])
{
    zc_put_be64 (key, time_ms);
    memcpy (key + 8, txid->b, 32);
}

void
store_put (store_t *self, const zc_hash_t *txid, uint64_t fee, uint64_t time_ms,
           const uint8_t *raw, size_t size)
{
    uint8_t key [STORE_KEY], head [16];
    s_key (txid, time_ms, key);
    zc_put_le64 (head, fee);
    zc_put_le64 (head + 8, time_ms);
    //  the value in two parts: the transaction's bytes are not copied
    const char *key_part = (const char *) key;
    size_t key_size = sizeof key;
    const char *parts [2] = { (const char *) head, (const char *) raw };
    size_t sizes [2] = { sizeof head, size };
    rocksdb_writebatch_putv (self->batch, 1, &key_part, &key_size, 2, parts, sizes);
}

void
store_delete (store_t *self, const zc_hash_t *txid, uint64_t time_ms)
{
    uint8_t key [STORE_KEY];
    s_key (txid, time_ms, key);
    rocksdb_writebatch_delete (self->batch, (const char *) key, sizeof key);
}

static void
s_ignore_put (void *arg, const char *key, size_t key_size, const char *value, size_t value_size)
{
    (void) arg, (void) key, (void) key_size, (void) value, (void) value_size;
}

static void
s_keep_delete (void *arg, const char *key, size_t key_size)
{
    store_t *self = arg;
    if (rocksdb_writebatch_count (self->kept) < STORE_KEPT_MAX)
        rocksdb_writebatch_delete (self->kept, key, key_size);
    else
    if (!self->kept_full) {
        self->kept_full = true;
        zc_warn ("mempool store: more than %d deletes wait for the disk; the rest are not kept "
                 "(those rows are checked again, and dropped, at the next restart)", STORE_KEPT_MAX);
    }
}

//  Keep the queued deletes, drop the puts
static void
s_keep_deletes (store_t *self)
{
    rocksdb_writebatch_iterate (self->batch, self, s_ignore_put, s_keep_delete);
    rocksdb_writebatch_clear (self->batch);
}

//  A write failed: never write to this database again
static void
s_fail (store_t *self, const char *error)
{
    self->state = s_reason (error);
    snprintf (self->error, sizeof self->error, "%s", error);
    s_keep_deletes (self);
    rocksdb_close (self->db);
    self->db = NULL;
}

zc_err_t
store_flush (store_t *self)
{
    if (self->state != ZC_OK) {
        s_keep_deletes (self);
        return self->state;
    }
    if (rocksdb_writebatch_count (self->batch) == 0)
        return ZC_OK;
    char *error = NULL;
    rocksdb_write (self->db, self->write, self->batch, &error);
    if (error) {
        s_fail (self, error);
        rocksdb_free (error);
        return self->state;
    }
    rocksdb_writebatch_clear (self->batch);
    return ZC_OK;
}

//  Bytes an unprivileged writer may still put on the filesystem of dir
static uint64_t
s_free_bytes (const char *dir)
{
    struct statvfs fs;
    if (statvfs (dir, &fs))
        return UINT64_MAX;              //  cannot tell: try
    return (uint64_t) fs.f_bavail * fs.f_frsize;
}

zc_err_t
store_probe (store_t *self)
{
    if (self->state == ZC_OK)
        return ZC_OK;
    //  each open of a full store leaves a file behind (its empty LOG): wait
    //  for room rather than try every time
    if (self->state == ZC_ERR_STORAGE_FULL && s_free_bytes (self->dir) < STORE_PROBE_FREE)
        return self->state;
    if (s_open_db (self) != ZC_OK)
        return self->state;
    if (rocksdb_writebatch_count (self->kept)) {
        char *error = NULL;
        rocksdb_write (self->db, self->write, self->kept, &error);
        if (error) {
            //  they stay kept: the failed write wrote none of them
            self->state = s_reason (error);
            snprintf (self->error, sizeof self->error, "%s", error);
            rocksdb_free (error);
            rocksdb_close (self->db);
            self->db = NULL;
            return self->state;
        }
        rocksdb_writebatch_clear (self->kept);
        self->kept_full = false;
    }
    self->error [0] = 0;
    return ZC_OK;
}

void
store_each (store_t *self, store_visit_fn *visit, void *arg)
{
    if (!self->db)
        return;
    rocksdb_iterator_t *it = rocksdb_create_iterator (self->db, self->read);
    for (rocksdb_iter_seek_to_first (it); rocksdb_iter_valid (it); rocksdb_iter_next (it)) {
        size_t size, key_size;
        const uint8_t *key = (const uint8_t *) rocksdb_iter_key (it, &key_size);
        const uint8_t *value = (const uint8_t *) rocksdb_iter_value (it, &size);
        uint64_t fee = size >= 16 ? zc_le64 (value) : 0;
        uint64_t time_ms = size >= 16 ? zc_le64 (value + 8) : 0;
        zc_hash_t txid;
        bool known = key_size == STORE_KEY || key_size == 32;
        if (known)
            memcpy (txid.b, key + key_size - 32, 32);
        if (key_size == 32) {
            //  an older store's row: under the new key from the next flush
            uint8_t moved [STORE_KEY];
            s_key (&txid, time_ms, moved);
            rocksdb_writebatch_put (self->batch, (const char *) moved, sizeof moved,
                                    (const char *) value, size);
            rocksdb_writebatch_delete (self->batch, (const char *) key, key_size);
        }
        //  a value too short holds no transaction: the caller drops it
        visit (arg, known ? &txid : NULL, fee, time_ms, size >= 16 ? value + 16 : value,
               size >= 16 ? size - 16 : 0);
    }
    //  a bad block ends the walk as the last record would: tell them apart
    char *error = NULL;
    rocksdb_iter_get_error (it, &error);
    rocksdb_iter_destroy (it);
    if (!error)
        return;
    zc_error ("mempool store: %s; the transactions after it are lost", error);
    if (s_is_corruption (error)) {
        self->damage++;
        rocksdb_free (error);
        error = NULL;
        //  compactions would fail on the same block and stop every write
        self->db = s_set_aside (self, &error);
        if (!self->db) {
            self->state = s_reason (error ? error : "cannot open a fresh store");
            snprintf (self->error, sizeof self->error, "cannot open a fresh store: %s",
                      error ? error : "?");
            zc_error ("mempool store: %s", self->error);
        }
    }
    rocksdb_free (error);
}

unsigned
store_damage (store_t *self)
{
    return self->damage;
}
