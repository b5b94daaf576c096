/*  store.c - mempool persistence, and what it does when the disk fails */
#include "store.h"
#include "zc_buf.h"
#include "zc_log.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

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

static zc_err_t
s_open_db (store_t *self)
{
    char *error = NULL;
    self->db = rocksdb_open (self->options, self->dir, &error);
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
    store_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->dir = strdup (dir);
    self->options = rocksdb_options_create ();
    rocksdb_options_set_create_if_missing (self->options, 1);
    //  bounded memory: memtables of at most 32 MB, 64 MB in all
    rocksdb_options_set_write_buffer_size (self->options, 32 << 20);
    rocksdb_options_set_db_write_buffer_size (self->options, 64 << 20);
    //  RocksDB's own LOG lives on the same disk: once a write to it fails,
    //  the next one trips an assertion (kept in Debian's build) and aborts
    //  the process. At FATAL it is written only when that is all there is.
    rocksdb_options_set_info_log_level (self->options, 4);
    rocksdb_options_set_keep_log_file_num (self->options, 2);
    self->read = rocksdb_readoptions_create ();
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

void
store_put (store_t *self, const zc_hash_t *txid, uint64_t fee, uint64_t time_ms,
           const uint8_t *raw, size_t size)
{
    uint8_t *value = malloc (16 + size);
    if (!value)
        return;
    zc_put_le64 (value, fee);
    zc_put_le64 (value + 8, time_ms);
    memcpy (value + 16, raw, size);
    rocksdb_writebatch_put (self->batch, (const char *) txid->b, 32, (const char *) value, 16 + size);
    free (value);
}

void
store_delete (store_t *self, const zc_hash_t *txid)
{
    rocksdb_writebatch_delete (self->batch, (const char *) txid->b, 32);
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
        if (size >= 16)
            visit (arg, key, key_size, zc_le64 (value), zc_le64 (value + 8), value + 16, size - 16);
        else
            visit (arg, key, key_size, 0, 0, value, 0);     //  too short: the caller drops it
    }
    rocksdb_iter_destroy (it);
}
