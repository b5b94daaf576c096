/*  fuzz_messages.c - libFuzzer: the protobuf bodies services decode from
 *  untrusted peers and clients, through the bounded unpack
 */
#include "zc_codec.h"
#include "mempool.pb-c.h"
#include "metrics.pb-c.h"
#include "storage.pb-c.h"
#include "work.pb-c.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    const ProtobufCMessageDescriptor *descs [] = {
        &zc__submit_txs__descriptor, &zc__get_utxos__descriptor, &zc__snapshot__descriptor,
        &zc__verify_job__descriptor, &zc__verify_reply__descriptor, &zc__submit_block__descriptor,
        &zc__get_headers__descriptor
    };
    for (size_t i = 0; i < sizeof descs / sizeof descs [0]; i++) {
        ProtobufCMessage *msg;
        if (zc_codec_unpack (descs [i], data, size, 1 << 20, &msg) == ZC_OK)
            protobuf_c_message_free_unpacked (msg, NULL);
    }
    return 0;
}
