/*  zc_buf.h - bounded little-endian reader and growable writer for consensus bytes
 *
 *  The reader never reads past its end: a short read sets the sticky `bad`
 *  flag and yields zeros, so a decoder reads a whole structure and checks
 *  once. CompactSize integers must use their shortest form (one encoding per
 *  value, so hashes of decoded-then-encoded data never change).
 */
#ifndef ZC_BUF_H_INCLUDED
#define ZC_BUF_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t pos;
    bool bad;                       //  a read ran past the end or was not canonical
} zc_reader_t;

void
    zc_reader_init (zc_reader_t *self, const uint8_t *data, size_t size);
uint8_t
    zc_reader_u8 (zc_reader_t *self);
uint32_t
    zc_reader_u32 (zc_reader_t *self);
uint64_t
    zc_reader_u64 (zc_reader_t *self);
//  A CompactSize; marks bad if not minimally encoded or above max.
uint64_t
    zc_reader_varint (zc_reader_t *self, uint64_t max);
//  Copy size bytes into out (zeros and bad if short).
void
    zc_reader_bytes (zc_reader_t *self, void *out, size_t size);
//  Borrow a pointer to the next size bytes and skip them; NULL and bad if short.
const uint8_t *
    zc_reader_skip (zc_reader_t *self, size_t size);
//  Bytes not read yet.
size_t
    zc_reader_left (const zc_reader_t *self);

//  A writer into memory it owns and grows, or into a fixed caller buffer.
typedef struct {
    uint8_t *data;
    size_t size;                    //  bytes written
    size_t capacity;
    bool fixed;                     //  caller's buffer: never reallocated
    bool bad;                       //  out of memory or out of room
} zc_writer_t;

//  A growing writer; release with zc_writer_free or take data.
void
    zc_writer_init (zc_writer_t *self, size_t hint);
//  A writer over the caller's buffer; overflows set bad.
void
    zc_writer_init_fixed (zc_writer_t *self, uint8_t *buf, size_t capacity);
void
    zc_writer_free (zc_writer_t *self);
void
    zc_writer_u8 (zc_writer_t *self, uint8_t v);
void
    zc_writer_u32 (zc_writer_t *self, uint32_t v);
void
    zc_writer_u64 (zc_writer_t *self, uint64_t v);
void
    zc_writer_varint (zc_writer_t *self, uint64_t v);
void
    zc_writer_bytes (zc_writer_t *self, const void *data, size_t size);

//  Bytes a CompactSize of v takes: 1, 3, 5 or 9.
size_t
    zc_varint_size (uint64_t v);

//  Little-endian loads and stores.
static inline uint32_t
zc_le32 (const uint8_t *p)
{
    return (uint32_t) p [0] | (uint32_t) p [1] << 8 | (uint32_t) p [2] << 16
         | (uint32_t) p [3] << 24;
}

static inline uint64_t
zc_le64 (const uint8_t *p)
{
    return (uint64_t) zc_le32 (p) | (uint64_t) zc_le32 (p + 4) << 32;
}

static inline void
zc_put_le32 (uint8_t *p, uint32_t v)
{
    p [0] = (uint8_t) v;
    p [1] = (uint8_t) (v >> 8);
    p [2] = (uint8_t) (v >> 16);
    p [3] = (uint8_t) (v >> 24);
}

static inline void
zc_put_le64 (uint8_t *p, uint64_t v)
{
    zc_put_le32 (p, (uint32_t) v);
    zc_put_le32 (p + 4, (uint32_t) (v >> 32));
}

static inline uint32_t
zc_be32 (const uint8_t *p)
{
    return (uint32_t) p [0] << 24 | (uint32_t) p [1] << 16 | (uint32_t) p [2] << 8
         | (uint32_t) p [3];
}

static inline void
zc_put_be32 (uint8_t *p, uint32_t v)
{
    p [0] = (uint8_t) (v >> 24);
    p [1] = (uint8_t) (v >> 16);
    p [2] = (uint8_t) (v >> 8);
    p [3] = (uint8_t) v;
}

static inline uint64_t
zc_be64 (const uint8_t *p)
{
    return (uint64_t) zc_be32 (p) << 32 | zc_be32 (p + 4);
}

static inline void
zc_put_be64 (uint8_t *p, uint64_t v)
{
    zc_put_be32 (p, (uint32_t) (v >> 32));
    zc_put_be32 (p + 4, (uint32_t) v);
}

#endif
