/*  db.c - RocksDB set-up and small access helpers */
#include "db.h"
#include "zc_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *s_cf_names [DB_CF_COUNT] = {
    "default", "index", "blocks", "undo", "utxo", "height", "txindex", "address", "events"
};

db_t *
db_open (const char *dir, bool sync, char *err, size_t err_size)
{
    db_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->options = rocksdb_options_create ();
    rocksdb_options_set_create_if_missing (self->options, 1);
    rocksdb_options_set_create_missing_column_families (self->options, 1);
    rocksdb_options_increase_parallelism (self->options, 2);
    rocksdb_options_set_max_open_files (self->options, 512);
    //  memory stays bounded whatever the load: all memtables together at
    //  most 128 MB (each column family's at most 32 MB before a flush),
    //  plus the 64 MB block cache below
    rocksdb_options_set_write_buffer_size (self->options, 32 << 20);
    rocksdb_options_set_db_write_buffer_size (self->options, 128 << 20);
    //  RocksDB's LOG on a full disk: the line after a failed append trips an
    //  assertion Debian keeps, and the process aborts; at FATAL it stays quiet
    rocksdb_options_set_info_log_level (self->options, 4);
    //  bloom filters answer "no such output" without touching a data block:
    //  most mempool look-ups of fresh outputs are exactly that
    self->table = rocksdb_block_based_options_create ();
    self->cache = rocksdb_cache_create_lru (64 << 20);
    rocksdb_block_based_options_set_block_cache (self->table, self->cache);
    //  index and filter blocks live in the cache too (else every table
    //  file keeps its own in memory, growing with the database); level 0's
    //  stay pinned, as they are read on every look-up
    rocksdb_block_based_options_set_cache_index_and_filter_blocks (self->table, 1);
    rocksdb_block_based_options_set_pin_l0_filter_and_index_blocks_in_cache (self->table, 1);
    rocksdb_block_based_options_set_filter_policy (self->table,
                                                   rocksdb_filterpolicy_create_bloom_full (10));
    rocksdb_options_set_block_based_table_factory (self->options, self->table);

    const rocksdb_options_t *cf_options [DB_CF_COUNT];
    for (int i = 0; i < DB_CF_COUNT; i++)
        cf_options [i] = self->options;
    char *error = NULL;
    self->db = rocksdb_open_column_families (self->options, dir, DB_CF_COUNT, s_cf_names,
                                             cf_options, self->cf, &error);
    if (error) {
        snprintf (err, err_size, "cannot open %s: %s", dir, error);
        rocksdb_free (error);
        db_destroy (&self);
        return NULL;
    }
    self->read = rocksdb_readoptions_create ();
    self->write = rocksdb_writeoptions_create ();
    rocksdb_writeoptions_set_sync (self->write, sync);
    return self;
}

void
db_destroy (db_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    db_t *self = *self_p;
    for (int i = 0; i < DB_CF_COUNT; i++)
        if (self->cf [i])
            rocksdb_column_family_handle_destroy (self->cf [i]);
    if (self->db)
        rocksdb_close (self->db);
    if (self->read)
        rocksdb_readoptions_destroy (self->read);
    if (self->write)
        rocksdb_writeoptions_destroy (self->write);
    if (self->options)
        rocksdb_options_destroy (self->options);
    if (self->table)
        rocksdb_block_based_options_destroy (self->table);
    if (self->cache)
        rocksdb_cache_destroy (self->cache);
    free (self);
    *self_p = NULL;
}

int
db_get (db_t *self, db_cf_t cf, const void *key, size_t key_size,
        uint8_t **value_p, size_t *size_p)
{
    char *error = NULL;
    size_t size = 0;
    char *value = rocksdb_get_cf (self->db, self->read, self->cf [cf], key, key_size,
                                  &size, &error);
    *value_p = NULL;
    *size_p = 0;
    if (error) {
        zc_error ("rocksdb get (%s): %s", s_cf_names [cf], error);
        rocksdb_free (error);
        return -1;
    }
    if (!value)
        return 0;
    *value_p = (uint8_t *) value;
    *size_p = size;
    return 1;
}

int
db_get_fixed (db_t *self, db_cf_t cf, const void *key, size_t key_size, void *out, size_t size)
{
    char *error = NULL;
    rocksdb_pinnableslice_t *slice = rocksdb_get_pinned_cf (self->db, self->read, self->cf [cf],
                                                            key, key_size, &error);
    if (error) {
        zc_error ("rocksdb get (%s): %s", s_cf_names [cf], error);
        rocksdb_free (error);
        return -1;
    }
    if (!slice)
        return 0;
    size_t got = 0;
    const char *value = rocksdb_pinnableslice_value (slice, &got);
    int rc = got == size ? 1 : -1;
    if (rc == 1)
        memcpy (out, value, size);
    else
        zc_error ("rocksdb (%s): record of %zu bytes, expected %zu", s_cf_names [cf], got, size);
    rocksdb_pinnableslice_destroy (slice);
    return rc;
}

int
db_write (db_t *self, rocksdb_writebatch_t *batch)
{
    char *error = NULL;
    rocksdb_write (self->db, self->write, batch, &error);
    if (error) {
        zc_error ("rocksdb write: %s", error);
        rocksdb_free (error);
        return -1;
    }
    return 0;
}

uint64_t
db_memory (db_t *self)
{
    uint64_t total = rocksdb_cache_get_usage (self->cache);
    for (int i = 0; i < DB_CF_COUNT; i++) {
        uint64_t value;
        if (rocksdb_property_int_cf (self->db, self->cf [i], "rocksdb.cur-size-all-mem-tables", &value) == 0)
            total += value;
        if (rocksdb_property_int_cf (self->db, self->cf [i], "rocksdb.estimate-table-readers-mem", &value) == 0)
            total += value;
    }
    return total;
}
