/*  test_codec.c - the envelope codec against protobuf-c, and hostile bytes */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "zc_codec.h"
#include "envelope.pb-c.h"
#include "mempool.pb-c.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

//  Usage: pack a message in an envelope, decode it, unpack the body
static void
test_usage (void **state)
{
    (void) state;
    Zc__SubmitTxs submit = ZC__SUBMIT_TXS__INIT;
    ProtobufCBinaryData txs [1] = { { 3, (uint8_t *) "abc" } };
    submit.n_txs = 1;
    submit.txs = txs;
    zc_env_t header = { .version = ZC_PROTOCOL_VERSION, .type = ZC__MSG_TYPE__SUBMIT_TXS,
                        .request_id = 42, .deadline_ms = 1900000000000ULL };
    size_t size;
    uint8_t *packed = zc_env_pack (&header, &submit.base, &size);
    zc_env_t env;
    assert_int_equal (zc_env_decode (packed, size, &env), ZC_OK);
    assert_int_equal (env.type, ZC__MSG_TYPE__SUBMIT_TXS);
    assert_true (env.request_id == 42);
    assert_int_equal (zc_env_check (&env, 1800000000000LL), ZC_OK);
    assert_int_equal (zc_env_check (&env, 1900000000001LL), ZC_ERR_TIMEOUT);
    //  a deadline of 2^63 or more is far in the future, not a negative time
    env.deadline_ms = 1ULL << 63;
    assert_int_equal (zc_env_check (&env, 1800000000000LL), ZC_OK);
    env.deadline_ms = UINT64_MAX;
    assert_int_equal (zc_env_check (&env, 1800000000000LL), ZC_OK);
    ProtobufCMessage *body;
    assert_int_equal (zc_codec_unpack (&zc__submit_txs__descriptor, env.body, env.body_size,
                                       1000, &body), ZC_OK);
    Zc__SubmitTxs *back = (Zc__SubmitTxs *) body;
    assert_int_equal (back->n_txs, 1);
    assert_memory_equal (back->txs [0].data, "abc", 3);
    protobuf_c_message_free_unpacked (body, NULL);
    assert_int_equal (zc_codec_unpack (&zc__submit_txs__descriptor, env.body, env.body_size,
                                       2, &body), ZC_ERR_OVERSIZE);
    free (packed);
}

//  Random envelopes: ours and protobuf-c's encodings read the same both ways
static void
test_cross_check (void **state)
{
    (void) state;
    unsigned seed = getenv ("ZC_TEST_SEED") ? (unsigned) atoi (getenv ("ZC_TEST_SEED"))
                                            : (unsigned) time (NULL);
    print_message ("seed %u (replay with ZC_TEST_SEED)\n", seed);
    srand (seed);
    uint8_t body [300];
    for (int round = 0; round < 2000; round++) {
        Zc__Envelope pb = ZC__ENVELOPE__INIT;
        pb.version = (uint32_t) (rand () % 3);
        pb.type = (Zc__MsgType) (rand () % 140);
        pb.request_id = rand () % 2 ? ((uint64_t) rand () << 33 | (uint64_t) rand ()) : 0;
        pb.deadline_ms = (uint64_t) rand () * 1000;
        pb.seq = (uint64_t) (rand () % 5);
        size_t body_size = (size_t) rand () % sizeof body;
        for (size_t i = 0; i < body_size; i++)
            body [i] = (uint8_t) rand ();
        pb.body.len = body_size;
        pb.body.data = body;
        size_t size = zc__envelope__get_packed_size (&pb);
        uint8_t *wire = malloc (size + 1);
        zc__envelope__pack (&pb, wire);

        zc_env_t env;
        assert_int_equal (zc_env_decode (wire, size, &env), ZC_OK);
        assert_int_equal (env.version, pb.version);
        assert_int_equal (env.type, pb.type);
        assert_true (env.request_id == pb.request_id && env.deadline_ms == pb.deadline_ms);
        assert_true (env.seq == pb.seq);
        assert_int_equal (env.body_size, body_size);
        if (body_size)
            assert_memory_equal (env.body, body, body_size);

        //  our encoding: same size, and protobuf-c reads it back
        assert_int_equal (zc_env_encoded_size (&env), size);
        uint8_t *ours = malloc (size + 1);
        assert_int_equal (zc_env_encode (&env, ours), size);
        Zc__Envelope *back = zc__envelope__unpack (NULL, size, ours);
        assert_non_null (back);
        assert_true (back->request_id == pb.request_id && back->body.len == body_size);
        zc__envelope__free_unpacked (back, NULL);

        //  every truncation is refused or decodes a prefix, never crashes
        for (size_t cut = 0; cut < size; cut++)
            (void) zc_env_decode (wire, cut, &env);
        free (ours);
        free (wire);
    }
}

static void
test_hostile (void **state)
{
    (void) state;
    zc_env_t env;
    //  a varint of 11 bytes
    uint8_t long_varint [] = { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
    assert_int_equal (zc_env_decode (long_varint, sizeof long_varint, &env), ZC_ERR_MALFORMED);
    //  a body longer than the message
    uint8_t long_body [] = { 0x32, 0x10, 1, 2, 3 };
    assert_int_equal (zc_env_decode (long_body, sizeof long_body, &env), ZC_ERR_MALFORMED);
    //  a length that would wrap a 64-bit size
    uint8_t huge [] = { 0x32, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
    assert_int_equal (zc_env_decode (huge, sizeof huge, &env), ZC_ERR_MALFORMED);
    //  a group, and field number 0
    uint8_t group [] = { 0x0b, 0x0c };
    assert_int_equal (zc_env_decode (group, sizeof group, &env), ZC_ERR_MALFORMED);
    uint8_t zero [] = { 0x00, 0x01 };
    assert_int_equal (zc_env_decode (zero, sizeof zero, &env), ZC_ERR_MALFORMED);
    //  unknown fields of every wire type are skipped
    uint8_t unknown [] = { 0x38, 0x05, 0x41, 1, 2, 3, 4, 5, 6, 7, 8, 0x4d, 1, 2, 3, 4,
                           0x52, 0x01, 0x00, 0x10, 0x0a };
    assert_int_equal (zc_env_decode (unknown, sizeof unknown, &env), ZC_OK);
    assert_int_equal (env.type, 10);
    //  oversize and empty
    assert_int_equal (zc_env_decode (unknown, ZC_MSG_MAX + 1, &env), ZC_ERR_OVERSIZE);
    assert_int_equal (zc_env_decode (NULL, 0, &env), ZC_OK);
    assert_int_equal (zc_env_check (&env, 0), ZC_ERR_BAD_PROTOCOL);
    env.version = 99;
    assert_int_equal (zc_env_check (&env, 0), ZC_ERR_BAD_PROTOCOL);
    //  a body of garbage is malformed to protobuf-c, not a crash
    ProtobufCMessage *msg;
    uint8_t junk [] = { 0x0a, 0xff, 0xff, 0x03 };
    assert_int_equal (zc_codec_unpack (&zc__submit_txs__descriptor, junk, sizeof junk, 100, &msg),
                      ZC_ERR_MALFORMED);
    assert_null (msg);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_usage),
        cmocka_unit_test (test_cross_check),
        cmocka_unit_test (test_hostile),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
