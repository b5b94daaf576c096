/*  zc_private.h - directories and files of node data that only their owner may read
 *
 *  Chain, mempool, logs, sockets and keys are the node's alone: a directory
 *  holding them is 0700, a key file 0600. These make one so, or tighten one
 *  that was left open (created by hand, by an older version, under a loose
 *  umask), logging each change at warn, so a node never starts on data
 *  other users can read or whose sockets they can reach.
 */
#ifndef ZC_PRIVATE_H_INCLUDED
#define ZC_PRIVATE_H_INCLUDED

#include <stddef.h>

//  Make path a directory of mode 0700: created when missing (its parent
//  must exist), tightened when group or others have any access. 0, or -1
//  with a one-line reason in err (not a directory, cannot create or chmod).
int
    zc_private_dir (const char *path, char *err, size_t err_size);

//  Tighten the file at path to 0600 when group or others have any access;
//  a missing file is left missing. 0, or -1 with a one-line reason in err.
int
    zc_private_file (const char *path, char *err, size_t err_size);

#endif
