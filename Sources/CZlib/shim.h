#ifndef VAULTOPS_CZLIB_SHIM_H
#define VAULTOPS_CZLIB_SHIM_H
#include <zlib.h>

// deflateInit2/inflateInit2 are macros that Swift cannot import; these pass the version and struct size.
static inline int vaultops_deflateInit2(z_streamp strm, int level, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, memLevel, strategy);
}
static inline int vaultops_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}
#endif
