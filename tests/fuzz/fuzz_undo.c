/*  fuzz_undo.c - libFuzzer: undo data and coin decoders (bytes read back
 *  from RocksDB are untrusted too: a damaged disk must not crash storage)
 */
#include "zc_utxo.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zc_coin_t coin;
    (void) zc_coin_decode (data, size, &coin);
    zc_undo_t *undo;
    if (zc_undo_decode (data, size, &undo) != ZC_OK)
        return 0;
    size_t again_size;
    uint8_t *again = zc_undo_encode (undo, &again_size);
    if (!again || again_size != size || memcmp (again, data, size) != 0)
        abort ();
    free (again);
    zc_undo_destroy (&undo);
    return 0;
}
