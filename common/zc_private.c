/*  zc_private.c - private directories and files */
#include "zc_private.h"
#include "zc_log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

//  Take group and other access away from what path is; caller checked its type
static int
s_tighten (const char *path, const struct stat *st, mode_t mode, char *err, size_t err_size)
{
    if ((st->st_mode & 077) == 0)
        return 0;
    if (chmod (path, mode)) {
        snprintf (err, err_size, "%s has mode %04o (other users can read it) and cannot be made %04o: %s",
                  path, (unsigned) (st->st_mode & 07777), (unsigned) mode, strerror (errno));
        return -1;
    }
    zc_warn ("%s had mode %04o, open to other users: now %04o", path,
             (unsigned) (st->st_mode & 07777), (unsigned) mode);
    return 0;
}

int
zc_private_dir (const char *path, char *err, size_t err_size)
{
    if (mkdir (path, 0700) == 0)
        return 0;
    if (errno != EEXIST) {
        snprintf (err, err_size, "cannot create %s: %s", path, strerror (errno));
        return -1;
    }
    struct stat st;
    if (stat (path, &st)) {
        snprintf (err, err_size, "cannot read %s: %s", path, strerror (errno));
        return -1;
    }
    if (!S_ISDIR (st.st_mode)) {
        snprintf (err, err_size, "%s is not a directory", path);
        return -1;
    }
    return s_tighten (path, &st, 0700, err, err_size);
}

int
zc_private_file (const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (stat (path, &st) && errno == ENOENT)
        return 0;
    if (stat (path, &st)) {
        snprintf (err, err_size, "cannot read %s: %s", path, strerror (errno));
        return -1;
    }
    if (!S_ISREG (st.st_mode)) {
        snprintf (err, err_size, "%s is not a regular file", path);
        return -1;
    }
    return s_tighten (path, &st, 0600, err, err_size);
}
