/*  zc_codec.c - hand-written envelope codec over protobuf wire format */
#include "zc_codec.h"

#include <stdlib.h>
#include <string.h>

//  Read a base-128 varint: bytes used, 0 when truncated or over 10 bytes
static size_t
s_varint (const uint8_t *p, size_t left, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < left && i < 10; i++) {
        x |= (uint64_t) (p [i] & 0x7f) << (7 * i);
        if (!(p [i] & 0x80)) {
            *v = x;
            return i + 1;
        }
    }
    return 0;
}

zc_err_t
zc_env_decode (const uint8_t *data, size_t size, zc_env_t *env)
{
    memset (env, 0, sizeof *env);
    if (size > ZC_MSG_MAX)
        return ZC_ERR_OVERSIZE;
    if (!data && size)
        return ZC_ERR_MALFORMED;
    size_t pos = 0;
    while (pos < size) {
        uint64_t key, v = 0;
        size_t n = s_varint (data + pos, size - pos, &key);
        if (n == 0 || (key >> 3) == 0 || (key >> 3) > UINT32_MAX)
            return ZC_ERR_MALFORMED;
        pos += n;
        uint32_t field = (uint32_t) (key >> 3);
        switch (key & 7) {
            case 0:                     //  varint
                n = s_varint (data + pos, size - pos, &v);
                if (n == 0)
                    return ZC_ERR_MALFORMED;
                pos += n;
                if (field == 1)
                    env->version = (uint32_t) v;
                else
                if (field == 2)
                    env->type = (uint32_t) v;
                else
                if (field == 3)
                    env->request_id = v;
                else
                if (field == 4)
                    env->deadline_ms = v;
                else
                if (field == 5)
                    env->seq = v;
                break;
            case 1:                     //  64-bit
                if (size - pos < 8)
                    return ZC_ERR_MALFORMED;
                pos += 8;
                break;
            case 5:                     //  32-bit
                if (size - pos < 4)
                    return ZC_ERR_MALFORMED;
                pos += 4;
                break;
            case 2:                     //  length-delimited
                n = s_varint (data + pos, size - pos, &v);
                if (n == 0 || v > size - pos - n)
                    return ZC_ERR_MALFORMED;
                pos += n;
                if (field == 6) {
                    env->body = data + pos;
                    env->body_size = (size_t) v;
                }
                pos += (size_t) v;
                break;
            default:                    //  3, 4 (groups), 6, 7: not ours
                return ZC_ERR_MALFORMED;
        }
    }
    return ZC_OK;
}

zc_err_t
zc_env_check (const zc_env_t *env, int64_t now_ms)
{
    if (env->version == 0 || env->version > ZC_PROTOCOL_VERSION)
        return ZC_ERR_BAD_PROTOCOL;
    //  unsigned: a deadline of 2^63 or more is far away, not long past
    if (env->deadline_ms && now_ms > 0 && env->deadline_ms < (uint64_t) now_ms)
        return ZC_ERR_TIMEOUT;
    return ZC_OK;
}

static size_t
s_varint_size (uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static uint8_t *
s_put_varint (uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t) (v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t) v;
    return p;
}

//  Size of the fields before the body
static size_t
s_header_size (const zc_env_t *env)
{
    size_t n = 0;
    if (env->version)
        n += 1 + s_varint_size (env->version);
    if (env->type)
        n += 1 + s_varint_size (env->type);
    if (env->request_id)
        n += 1 + s_varint_size (env->request_id);
    if (env->deadline_ms)
        n += 1 + s_varint_size (env->deadline_ms);
    if (env->seq)
        n += 1 + s_varint_size (env->seq);
    return n;
}

static uint8_t *
s_put_header (const zc_env_t *env, uint8_t *p)
{
    if (env->version) {
        *p++ = 1 << 3;
        p = s_put_varint (p, env->version);
    }
    if (env->type) {
        *p++ = 2 << 3;
        p = s_put_varint (p, env->type);
    }
    if (env->request_id) {
        *p++ = 3 << 3;
        p = s_put_varint (p, env->request_id);
    }
    if (env->deadline_ms) {
        *p++ = 4 << 3;
        p = s_put_varint (p, env->deadline_ms);
    }
    if (env->seq) {
        *p++ = 5 << 3;
        p = s_put_varint (p, env->seq);
    }
    return p;
}

size_t
zc_env_encoded_size (const zc_env_t *env)
{
    size_t n = s_header_size (env);
    if (env->body_size)
        n += 1 + s_varint_size (env->body_size) + env->body_size;
    return n;
}

size_t
zc_env_encode (const zc_env_t *env, uint8_t *out)
{
    uint8_t *p = s_put_header (env, out);
    if (env->body_size) {
        *p++ = 6 << 3 | 2;
        p = s_put_varint (p, env->body_size);
        memcpy (p, env->body, env->body_size);
        p += env->body_size;
    }
    return (size_t) (p - out);
}

uint8_t *
zc_env_pack (const zc_env_t *header, const ProtobufCMessage *body, size_t *size_p)
{
    size_t body_size = body ? protobuf_c_message_get_packed_size (body) : 0;
    size_t size = s_header_size (header)
                + (body_size ? 1 + s_varint_size (body_size) + body_size : 0);
    uint8_t *out = malloc (size ? size : 1);
    if (!out)
        return NULL;
    uint8_t *p = s_put_header (header, out);
    if (body_size) {
        *p++ = 6 << 3 | 2;
        p = s_put_varint (p, body_size);
        protobuf_c_message_pack (body, p);
    }
    *size_p = size;
    return out;
}

zc_err_t
zc_codec_unpack (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size,
                 size_t max_size, ProtobufCMessage **out)
{
    *out = NULL;
    if (size > max_size)
        return ZC_ERR_OVERSIZE;
    *out = protobuf_c_message_unpack (desc, NULL, size, data);
    return *out ? ZC_OK : ZC_ERR_MALFORMED;
}
