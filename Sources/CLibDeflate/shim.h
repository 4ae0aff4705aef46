#ifndef VAULTOPS_CLIBDEFLATE_SHIM_H
#define VAULTOPS_CLIBDEFLATE_SHIM_H
// libdeflate's whole-buffer DEFLATE compressor: the parallel gzip writer's blocks are whole buffers.
#include <libdeflate.h>
#endif
