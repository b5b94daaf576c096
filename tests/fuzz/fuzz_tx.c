/*  fuzz_tx.c - libFuzzer: transaction decoder and context-free checks
 *
 *  Whatever decodes must re-encode to exactly the input (one encoding per
 *  transaction) and survive every check without crashing.
 */
#include "zc_check.h"
#include "zc_tx.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    zc_tx_t *tx;
    if (zc_tx_decode (data, size, &tx) != ZC_OK)
        return 0;
    size_t again_size;
    uint8_t *again = zc_tx_encode (tx, &again_size);
    if (!again || again_size != size || memcmp (again, data, size) != 0)
        abort ();
    (void) zc_check_loose_tx (tx);
    free (again);
    zc_tx_destroy (&tx);
    return 0;
}
