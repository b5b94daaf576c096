/*  zc_asset.c - static files compiled into a program, served over HTTP */
#include "zc_asset.h"

#include <string.h>

const zc_asset_t *
zc_asset_find (const zc_asset_t *table, const char *url)
{
    if (!table || !url || url [0] != '/' || strstr (url, "..") || strpbrk (url, "?#"))
        return NULL;
    const char *path = strcmp (url, "/") == 0 ? "/index.html" : url;
    for (const zc_asset_t *a = table; a->path; a++)
        if (strcmp (a->path, path) == 0)
            return a;
    return NULL;
}

enum MHD_Result
zc_asset_send (struct MHD_Connection *connection, const zc_asset_t *asset)
{
    struct MHD_Response *response = MHD_create_response_from_buffer (
        asset->size, (void *) asset->data, MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    MHD_add_response_header (response, "Content-Type", asset->type);
    MHD_add_response_header (response, "Cache-Control", "no-cache");
    MHD_add_response_header (response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header (response, "Referrer-Policy", "no-referrer");
    MHD_add_response_header (response, "X-Frame-Options", "DENY");
    MHD_add_response_header (response, "Content-Security-Policy",
                             "default-src 'self'; img-src 'self' data:; "
                             "style-src 'self'; script-src 'self'; connect-src 'self'; "
                             "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    enum MHD_Result rc = MHD_queue_response (connection, MHD_HTTP_OK, response);
    MHD_destroy_response (response);
    return rc;
}
