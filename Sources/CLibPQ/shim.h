#ifndef VAULTOPS_CLIBPQ_SHIM_H
#define VAULTOPS_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
