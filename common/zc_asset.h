/*  zc_asset.h - static files compiled into a program, served over HTTP
 *
 *  A program's web pages (the gateway's explorer, the sidecar's dashboard)
 *  are files under web/NAME, turned into a table at build time by
 *  cmake/embed.cmake (zc_embed in CMakeLists.txt): nothing is read from
 *  disk at run time and nothing is fetched from elsewhere. Each answer
 *  carries a Content-Security-Policy that lets a page load only from the
 *  server that served it, so no page can make a request off the machine.
 */
#ifndef ZC_ASSET_H_INCLUDED
#define ZC_ASSET_H_INCLUDED

#include <microhttpd.h>
#include <stddef.h>

typedef struct {
    const char *path;                   //  from "/": "/index.html"
    const char *type;                   //  MIME type
    const unsigned char *data;
    size_t size;
} zc_asset_t;

//  The row of table for url ("/" names "/index.html"), or NULL. Returns
//  NULL for any path with "..", a query or a fragment in it.
const zc_asset_t *
    zc_asset_find (const zc_asset_t *table, const char *url);

//  Answer 200 with asset, its type and the headers above (no caching, so a
//  new build is seen at once). MHD_NO when libmicrohttpd cannot queue it.
enum MHD_Result
    zc_asset_send (struct MHD_Connection *connection, const zc_asset_t *asset);

#endif
