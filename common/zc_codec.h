/*  zc_codec.h - the envelope around every message, and bounded protobuf decoding
 *
 *  Every ZeroMQ message zchain sends ends in one zc.Envelope
 *  (proto/envelope.proto). The envelope is decoded by hand, without
 *  copying: the body stays in the received frame and is handed to
 *  protobuf-c only by the code that needs its fields (a relay never
 *  decodes it). Everything here treats its input as hostile: any byte
 *  string gives a zc_env_t or a reason, never a crash.
 */
#ifndef ZC_CODEC_H_INCLUDED
#define ZC_CODEC_H_INCLUDED

#include "zc_err.h"

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#define ZC_PROTOCOL_VERSION 1
#define ZC_MSG_MAX (16u << 20)          //  largest message any socket accepts

typedef struct {
    uint32_t version;
    uint32_t type;                      //  zc.MsgType
    uint64_t request_id;
    uint64_t deadline_ms;               //  absolute, ms since the epoch; 0 = none
    uint64_t seq;
    const uint8_t *body;                //  borrowed from the decoded buffer
    size_t body_size;
} zc_env_t;

//  Decode an envelope. ZC_ERR_OVERSIZE over ZC_MSG_MAX, ZC_ERR_MALFORMED
//  for anything that is not protobuf wire format (truncated varints or
//  lengths, varints over 10 bytes, groups, field 0). Unknown fields are
//  skipped; a repeated field keeps its last value, as protobuf does.
zc_err_t
    zc_env_decode (const uint8_t *data, size_t size, zc_env_t *env);

//  Check a decoded envelope: ZC_ERR_BAD_PROTOCOL for a version this build
//  does not speak, ZC_ERR_TIMEOUT when the deadline passed before now_ms.
zc_err_t
    zc_env_check (const zc_env_t *env, int64_t now_ms);

//  Bytes zc_env_encode will write.
size_t
    zc_env_encoded_size (const zc_env_t *env);

//  Encode into out (zc_env_encoded_size bytes); zero fields are omitted as
//  proto3 does. Returns the size written.
size_t
    zc_env_encode (const zc_env_t *env, uint8_t *out);

//  Encode header with body (a protobuf-c message, or NULL for none) into
//  one new buffer (the caller frees), packing the body in place: one
//  allocation, no copy. NULL when out of memory.
uint8_t *
    zc_env_pack (const zc_env_t *header, const ProtobufCMessage *body, size_t *size_p);

//  Unpack a protobuf body of at most max_size bytes. ZC_OK and *out (free
//  with protobuf_c_message_free_unpacked), ZC_ERR_OVERSIZE, or
//  ZC_ERR_MALFORMED.
zc_err_t
    zc_codec_unpack (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t size,
                     size_t max_size, ProtobufCMessage **out);

#endif
