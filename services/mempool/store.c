/*  store.c - mempool persistence */
#include "store.h"
#include "zc_buf.h"
#include "zc_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct _store_t {
    rocksdb_t *db;
    rocksdb_options_t *options;
    rocksdb_readoptions_t *read;
    rocksdb_writeoptions_t *write;
    rocksdb_writebatch_t *batch;
};

store_t *
store_open (const char *dir, char *err, size_t err_size)
{
    store_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->options = rocksdb_options_create ();
    rocksdb_options_set_create_if_missing (self->options, 1);
    //  bounded memory: memtables of at most 32 MB, 64 MB in all
    rocksdb_options_set_write_buffer_size (self->options, 32 << 20);
    rocksdb_options_set_db_write_buffer_size (self->options, 64 << 20);
    char *error = NULL;
    self->db = rocksdb_open (self->options, dir, &error);
    if (error) {
        snprintf (err, err_size, "cannot open %s: %s", dir, error);
        rocksdb_free (error);
        store_destroy (&self);
        return NULL;
    }
    self->read = rocksdb_readoptions_create ();
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
