/*  zc_coinselect.c - branch and bound, then largest first */
#include "zc_coinselect.h"

#include <stdlib.h>
#include <string.h>

#define MAX_COINS 1000000

typedef struct {
    uint64_t value;                     //  effective value
    size_t index;                       //  into the caller's amounts
} s_coin_t;

static int
s_by_value_desc (const void *a, const void *b)
{
    const s_coin_t *x = a, *y = b;
    if (x->value != y->value)
        return x->value < y->value ? 1 : -1;
    return x->index < y->index ? -1 : x->index > y->index;
}

//  The depth-first search over coins [0..n) sorted by value, largest
//  first: include coin d, or leave it. best [] gets the least-excess
//  selection found; true when there is one.
static bool
s_branch_and_bound (const s_coin_t *coins, size_t n, uint64_t target, uint64_t window,
                    bool *take, bool *best)
{
    uint64_t remaining = 0;
    for (size_t i = 0; i < n; i++)
        remaining += coins [i].value;
    if (remaining < target)
        return false;
    uint64_t sum = 0, best_excess = UINT64_MAX;
    size_t depth = 0;
    memset (take, 0, n * sizeof *take);
    for (long tries = 0; tries < ZC_COINSELECT_TRIES; tries++) {
        bool back = false;
        if (sum + remaining < target || sum > target + window)
            back = true;                    //  cannot reach, or overshot
        else
        if (sum >= target) {
            if (sum - target < best_excess) {
                best_excess = sum - target;
                memcpy (best, take, n * sizeof *best);
                if (best_excess == 0)
                    break;
            }
            back = true;                    //  more coins only add excess
        }
        if (back) {
            //  walk back to the last coin taken and leave it out instead
            while (depth > 0 && !take [depth - 1]) {
                depth--;
                remaining += coins [depth].value;
            }
            if (depth == 0)
                break;                      //  the whole tree is searched
            take [depth - 1] = false;
            sum -= coins [depth - 1].value;
        }
        else
        if (depth < n) {
            //  go deeper: take the next coin
            remaining -= coins [depth].value;
            take [depth] = true;
            sum += coins [depth].value;
            depth++;
        }
        else
            break;
    }
    return best_excess != UINT64_MAX;
}

zc_coinselect_method_t
zc_coinselect (const uint64_t *amounts, size_t n, const zc_coinselect_ask_t *ask, bool *chosen,
               zc_coinselect_result_t *out)
{
    memset (out, 0, sizeof *out);
    if (n)
        memset (chosen, 0, n * sizeof *chosen);
    if (n > MAX_COINS)
        return ZC_COINSELECT_NONE;
    s_coin_t *coins = malloc ((n ? n : 1) * sizeof *coins);
    bool *take = calloc (n ? n : 1, sizeof *take);
    bool *best = calloc (n ? n : 1, sizeof *best);
    size_t m = 0;
    for (size_t i = 0; coins && i < n; i++)
        if (amounts [i] > ask->input_fee)
            coins [m++] = (s_coin_t) { amounts [i] - ask->input_fee, i };
    zc_coinselect_method_t method = ZC_COINSELECT_NONE;
    if (!coins || !take || !best)
        goto done;
    qsort (coins, m, sizeof *coins, s_by_value_desc);
    if (s_branch_and_bound (coins, m, ask->target, ask->cost_of_change, take, best)) {
        method = ZC_COINSELECT_BNB;
        for (size_t i = 0; i < m; i++)
            if (best [i]) {
                chosen [coins [i].index] = true;
                out->n_chosen++;
                out->total += amounts [coins [i].index];
            }
        goto done;
    }
    //  largest first, until there is change worth making
    uint64_t sum = 0;
    size_t k = 0;
    while (k < m && sum < ask->target + ask->change_fee + ask->min_change)
        sum += coins [k++].value;
    if (sum < ask->target)
        goto done;
    method = ZC_COINSELECT_LARGEST;
    for (size_t i = 0; i < k; i++) {
        chosen [coins [i].index] = true;
        out->total += amounts [coins [i].index];
    }
    out->n_chosen = k;
    if (sum >= ask->target + ask->change_fee + ask->min_change)
        out->change = sum - ask->target - ask->change_fee;
done:
    free (coins);
    free (take);
    free (best);
    return method;
}
