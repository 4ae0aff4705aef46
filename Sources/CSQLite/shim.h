#ifndef VAULTOPS_CSQLITE_SHIM_H
#define VAULTOPS_CSQLITE_SHIM_H
#include <sqlite3.h>

// SQLITE_TRANSIENT is a cast macro Swift cannot import: it tells sqlite3_bind_* to copy the buffer.
static inline sqlite3_destructor_type vaultops_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
