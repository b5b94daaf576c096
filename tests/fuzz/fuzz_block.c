/*  fuzz_block.c - libFuzzer: block and header decoders, block checks
 *
 *  A block that decodes must re-encode to the same bytes; the checks and
 *  a connect against an empty UTXO view must return a reason, never crash.
 */
#include "zc_check.h"
#include "zc_params.h"
#include "zc_utxo.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zc_header_t header;
    (void) zc_header_decode (data, size < 80 ? size : 80, &header);

    zc_block_t *block;
    if (zc_block_decode (data, size, &block) != ZC_OK)
        return 0;
    size_t again_size;
    uint8_t *again = zc_block_encode (block, &again_size);
    if (!again || again_size != size || memcmp (again, data, size) != 0)
        abort ();
    free (again);
    const zc_params_t *params = zc_params_get (ZC_NET_REGTEST);
    (void) zc_check_block (block, params, 1767225600);
    zc_utxo_t *view = zc_utxo_new (NULL, NULL);
    zc_undo_t *undo = NULL;
    if (zc_utxo_connect (view, block, 1, params, &undo, NULL) == ZC_OK) {
        if (zc_utxo_disconnect (view, block, undo) != ZC_OK || zc_utxo_size (view) != 0)
            abort ();
        zc_undo_destroy (&undo);
    }
    zc_utxo_destroy (&view);
    zc_block_destroy (&block);
    return 0;
}
