/*  order.c - parents before children, by Kahn's algorithm
 *
 *  Each transaction counts its inputs that name another transaction of
 *  the set (once per distinct parent) and each parent lists its children;
 *  transactions whose count is zero go out, in the given order, lowering
 *  their children's counts. Txids are hashes of the contents, so the
 *  spends have no cycles and everything goes out.
 */
#include "order.h"

#include "zc_hashkey.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int
order_parents_first (zc_tx_t *const *txs, size_t n, size_t *order)
{
    for (size_t i = 0; i < n; i++)
        order [i] = i;
    if (n < 2)
        return 0;
    zhashx_t *index = zc_hashkey_table (ZC_HASHKEY_HASH, true);   //  txid -> position + 1
    size_t *waiting = calloc (n, sizeof *waiting);      //  parents not out yet
    size_t *first = malloc (n * sizeof *first);         //  children lists (head)
    size_t n_links = 0;
    for (size_t i = 0; i < n; i++)
        n_links += txs [i]->n_in;
    size_t *link_child = malloc ((n_links ? n_links : 1) * sizeof *link_child);
    size_t *link_next = malloc ((n_links ? n_links : 1) * sizeof *link_next);
    size_t *queue = malloc (n * sizeof *queue);
    int rc = -1;
    if (!index || !waiting || !first || !link_child || !link_next || !queue)
        goto done;
    for (size_t i = 0; i < n; i++) {
        first [i] = SIZE_MAX;
        zhashx_insert (index, txs [i]->txid.b, (void *) (uintptr_t) (i + 1));
    }
    size_t links = 0;
    for (size_t i = 0; i < n; i++)
        for (uint32_t k = 0; k < txs [i]->n_in; k++) {
            const zc_hash_t *parent_id = &txs [i]->in [k].prevout.txid;
            size_t parent = (size_t) (uintptr_t) zhashx_lookup (index, parent_id->b);
            bool again = false;
            for (uint32_t j = 0; j < k && !again; j++)
                again = zc_hash_eq (&txs [i]->in [j].prevout.txid, parent_id);
            if (!parent || again || parent - 1 == i)
                continue;
            waiting [i]++;
            link_child [links] = i;
            link_next [links] = first [parent - 1];
            first [parent - 1] = links++;
        }
    //  the queue is filled in order, so among the free ones the given
    //  order holds; children join at the end as their parents go out
    size_t head = 0, tail = 0;
    for (size_t i = 0; i < n; i++)
        if (waiting [i] == 0)
            queue [tail++] = i;
    while (head < tail) {
        size_t i = queue [head++];
        for (size_t l = first [i]; l != SIZE_MAX; l = link_next [l])
            if (--waiting [link_child [l]] == 0)
                queue [tail++] = link_child [l];
    }
    if (tail == n) {
        memcpy (order, queue, n * sizeof *order);
        rc = 0;
    }
done:
    zhashx_destroy (&index);
    free (waiting);
    free (first);
    free (link_child);
    free (link_next);
    free (queue);
    return rc;
}
