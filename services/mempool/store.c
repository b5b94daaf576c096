/*  store.c - mempool persistence */
#include "store.h"
#include "zc_buf.h"
#include "zc_log.h"
#include "zc_private.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct _store_t {
    rocksdb_t *db;
    rocksdb_options_t *options;
    rocksdb_readoptions_t *read;
    rocksdb_writeoptions_t *write;
    rocksdb_writebatch_t *batch;
    char *dir;
    unsigned damage;                    //  times damage was found since open
};

static bool
s_is_corruption (const char *error)
{
    return error && strncmp (error, "Corruption", 10) == 0;
}

//  Open with a recovery mode; NULL and *error (RocksDB's) on failure
static rocksdb_t *
s_open_db (store_t *self, int recovery, char **error)
{
    rocksdb_options_set_wal_recovery_mode (self->options, recovery);
    return rocksdb_open (self->options, self->dir, error);
}

//  Damaged files: moved aside for a post-mortem (DIR.damaged-TIME), and a
//  fresh store opened; the transactions read so far are stored again as
//  they are accepted again. 0, or -1 with *error.
static int
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
    self->db = s_open_db (self, rocksdb_point_in_time_recovery, error);
    return self->db ? 0 : -1;
}

store_t *
store_open (const char *dir, char *err, size_t err_size)
{
    if (zc_private_dir (dir, err, err_size))
        return NULL;
    store_t *self = calloc (1, sizeof *self);
    if (!self || !(self->dir = strdup (dir))) {
        free (self);
        return NULL;
    }
    self->options = rocksdb_options_create ();
    rocksdb_options_set_create_if_missing (self->options, 1);
    rocksdb_options_set_paranoid_checks (self->options, 1);
    //  bounded memory: memtables of at most 32 MB, 64 MB in all
    rocksdb_options_set_write_buffer_size (self->options, 32 << 20);
    rocksdb_options_set_db_write_buffer_size (self->options, 64 << 20);
    //  The log is not fsynced (store.h): a power cut may tear its end. Open
    //  first as if every record must check out; when one does not, say so
    //  and keep what precedes it (point in time), not silently either way
    char *error = NULL;
    self->db = s_open_db (self, rocksdb_absolute_consistency_recovery, &error);
    if (error && s_is_corruption (error)) {
        self->damage++;
        zc_warn ("mempool store: %s; keeping the transactions logged before it (a power cut "
                 "tears the end of the log by design: the mempool does not fsync)", error);
        rocksdb_free (error);
        error = NULL;
        self->db = s_open_db (self, rocksdb_point_in_time_recovery, &error);
        //  worse than the log: files that do not check out
        if (error && s_is_corruption (error)) {
            zc_error ("mempool store: %s", error);
            rocksdb_free (error);
            error = NULL;
            s_set_aside (self, &error);
        }
    }
    if (error) {
        snprintf (err, err_size, "cannot open %s: %s", dir, error);
        rocksdb_free (error);
        store_destroy (&self);
        return NULL;
    }
    self->read = rocksdb_readoptions_create ();
    rocksdb_readoptions_set_verify_checksums (self->read, 1);
    self->write = rocksdb_writeoptions_create ();
    self->batch = rocksdb_writebatch_create ();
    return self;
}

void
store_destroy (store_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    store_t *self = *self_p;
    if (self->batch) {
        store_flush (self);
        rocksdb_writebatch_destroy (self->batch);
    }
    if (self->db)
        rocksdb_close (self->db);
    if (self->read)
        rocksdb_readoptions_destroy (self->read);
    if (self->write)
        rocksdb_writeoptions_destroy (self->write);
    rocksdb_options_destroy (self->options);
    free (self->dir);
    free (self);
    *self_p = NULL;
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

int
store_flush (store_t *self)
{
    if (rocksdb_writebatch_count (self->batch) == 0)
        return 0;
    char *error = NULL;
    rocksdb_write (self->db, self->write, self->batch, &error);
    rocksdb_writebatch_clear (self->batch);
    if (error) {
        zc_error ("mempool store: %s", error);
        rocksdb_free (error);
        return -1;
    }
    return 0;
}

void
store_each (store_t *self, store_visit_fn *visit, void *arg)
{
    rocksdb_iterator_t *it = rocksdb_create_iterator (self->db, self->read);
    for (rocksdb_iter_seek_to_first (it); rocksdb_iter_valid (it); rocksdb_iter_next (it)) {
        size_t size;
        const uint8_t *value = (const uint8_t *) rocksdb_iter_value (it, &size);
        if (size > 16)
            visit (arg, zc_le64 (value), zc_le64 (value + 8), value + 16, size - 16);
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
        if (s_set_aside (self, &error)) {
            zc_error ("mempool store: cannot open a fresh store: %s", error);
            rocksdb_free (error);
        }
        return;
    }
    rocksdb_free (error);
}

unsigned
store_damage (store_t *self)
{
    return self->damage;
}
