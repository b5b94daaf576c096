/*  zc_block.c - headers, blocks, merkle roots */
#include "zc_block.h"
#include "zc_pow.h"

#include <stdlib.h>
#include <string.h>

void
zc_header_encode (const zc_header_t *self, uint8_t out [ZC_HEADER_SIZE])
{
    zc_put_le32 (out, self->version);
    memcpy (out + 4, self->prev.b, 32);
    memcpy (out + 36, self->merkle.b, 32);
    zc_put_le32 (out + 68, self->time);
    zc_put_le32 (out + 72, self->bits);
    zc_put_le32 (out + 76, self->nonce);
}

zc_err_t
zc_header_decode (const uint8_t *data, size_t size, zc_header_t *header)
{
    memset (header, 0, sizeof *header);
    if (!data || size != ZC_HEADER_SIZE)
        return ZC_ERR_MALFORMED;
    header->version = zc_le32 (data);
    memcpy (header->prev.b, data + 4, 32);
    memcpy (header->merkle.b, data + 36, 32);
    header->time = zc_le32 (data + 68);
    header->bits = zc_le32 (data + 72);
    header->nonce = zc_le32 (data + 76);
    return ZC_OK;
}

void
zc_header_hash (const zc_header_t *self, zc_hash_t *hash)
{
    uint8_t raw [ZC_HEADER_SIZE];
    zc_header_encode (self, raw);
    zc_sha256d (raw, sizeof raw, hash->b);
}

zc_block_t *
zc_block_new (uint32_t n_tx)
{
    zc_block_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->tx = calloc (n_tx ? n_tx : 1, sizeof (zc_tx_t *));
    if (!self->tx) {
        free (self);
        return NULL;
    }
    self->n_tx = n_tx;
    self->header.version = ZC_BLOCK_VERSION;
    return self;
}

void
zc_block_destroy (zc_block_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zc_block_t *self = *self_p;
    for (uint32_t i = 0; i < self->n_tx; i++)
        zc_tx_destroy (&self->tx [i]);
    free (self->tx);
    free (self);
    *self_p = NULL;
}

zc_err_t
zc_block_decode (const uint8_t *data, size_t size, zc_block_t **block_p)
{
    *block_p = NULL;
    if (!data || size < ZC_HEADER_SIZE + 1)
        return ZC_ERR_MALFORMED;
    if (size > ZC_BLOCK_MAX_BYTES)
        return ZC_ERR_OVERSIZE;
    zc_reader_t reader;
    zc_reader_init (&reader, data, size);
    const uint8_t *raw_header = zc_reader_skip (&reader, ZC_HEADER_SIZE);
    //  bound the count by the bytes left so a small block cannot make us
    //  allocate a large table
    uint64_t n_tx = zc_reader_varint (&reader, zc_reader_left (&reader) / ZC_TX_MIN_BYTES);
    if (reader.bad)
        return ZC_ERR_MALFORMED;
    zc_block_t *block = zc_block_new ((uint32_t) n_tx);
    if (!block)
        return ZC_ERR_INTERNAL;
    zc_header_decode (raw_header, ZC_HEADER_SIZE, &block->header);
    for (uint32_t i = 0; i < block->n_tx; i++) {
        zc_err_t rc = zc_tx_read (&reader, &block->tx [i]);
        if (rc != ZC_OK) {
            zc_block_destroy (&block);
            return rc;
        }
    }
    if (zc_reader_left (&reader) != 0) {
        zc_block_destroy (&block);
        return ZC_ERR_MALFORMED;
    }
    zc_sha256d (raw_header, ZC_HEADER_SIZE, block->hash.b);
    block->size = size;
    *block_p = block;
    return ZC_OK;
}

uint8_t *
zc_block_encode (const zc_block_t *self, size_t *size_p)
{
    zc_writer_t writer;
    zc_writer_init (&writer, self->size ? self->size : ZC_HEADER_SIZE + 9 + 200 * (size_t) self->n_tx);
    uint8_t header [ZC_HEADER_SIZE];
    zc_header_encode (&self->header, header);
    zc_writer_bytes (&writer, header, sizeof header);
    zc_writer_varint (&writer, self->n_tx);
    for (uint32_t i = 0; i < self->n_tx; i++)
        zc_tx_write (self->tx [i], &writer, true);
    if (writer.bad) {
        zc_writer_free (&writer);
        *size_p = 0;
        return NULL;
    }
    *size_p = writer.size;
    return writer.data;
}

size_t
zc_block_tx_offsets (const zc_block_t *self, size_t *offsets)
{
    //  transactions follow the header and their count, back to back, each
    //  as long as the decoder (or finalize) measured it
    size_t at = ZC_HEADER_SIZE + zc_varint_size (self->n_tx);
    for (uint32_t i = 0; i < self->n_tx; i++) {
        offsets [i] = at;
        at += self->tx [i]->size;
    }
    return at;
}

void
zc_block_finalize (zc_block_t *self)
{
    size_t size = ZC_HEADER_SIZE + zc_varint_size (self->n_tx);
    for (uint32_t i = 0; i < self->n_tx; i++)
        size += self->tx [i]->size;
    self->size = size;
    zc_block_merkle (self, &self->header.merkle);
    zc_header_hash (&self->header, &self->hash);
}

void
zc_block_solve (zc_block_t *self, uint32_t pow_limit_bits)
{
    zc_header_hash (&self->header, &self->hash);
    while (!zc_pow_check (&self->hash, self->header.bits, pow_limit_bits)) {
        self->header.nonce++;
        zc_header_hash (&self->header, &self->hash);
    }
}

static void
s_leaf (const zc_hash_t *wtxid, zc_hash_t *out)
{
    uint8_t buf [33];
    buf [0] = 0x00;
    memcpy (buf + 1, wtxid->b, 32);
    zc_sha256 (buf, sizeof buf, out->b);
}

static void
s_node (const zc_hash_t *left, const zc_hash_t *right, zc_hash_t *out)
{
    uint8_t buf [65];
    buf [0] = 0x01;
    memcpy (buf + 1, left->b, 32);
    memcpy (buf + 33, right->b, 32);
    zc_sha256 (buf, sizeof buf, out->b);
}

//  Reduce level [0..n) in place to its root.
static void
s_reduce (zc_hash_t *level, size_t n, zc_hash_t *root)
{
    while (n > 1) {
        size_t next = 0;
        for (size_t i = 0; i + 1 < n; i += 2)
            s_node (&level [i], &level [i + 1], &level [next++]);
        if (n % 2)
            level [next++] = level [n - 1];     //  promoted, not duplicated
        n = next;
    }
    *root = level [0];
}

void
zc_merkle_root (const zc_hash_t *leaves, size_t n, zc_hash_t *root)
{
    memset (root, 0, sizeof *root);
    if (n == 0)
        return;
    zc_hash_t *level = malloc (n * sizeof *level);
    if (!level)
        return;                         //  all-zero root never matches: fails safe
    for (size_t i = 0; i < n; i++)
        s_leaf (&leaves [i], &level [i]);
    s_reduce (level, n, root);
    free (level);
}

void
zc_block_merkle (const zc_block_t *self, zc_hash_t *root)
{
    memset (root, 0, sizeof *root);
    if (self->n_tx == 0)
        return;
    zc_hash_t *level = malloc (self->n_tx * sizeof *level);
    if (!level)
        return;
    for (uint32_t i = 0; i < self->n_tx; i++)
        s_leaf (&self->tx [i]->wtxid, &level [i]);
    s_reduce (level, self->n_tx, root);
    free (level);
}
