#include "BuildInfo.h"

// Package.swift defines VAULTOPS_GIT_COMMIT for this one file (a C string literal of hex digits); a C target is
// the only place SwiftPM passes a value, not just a flag, to the compiler.
#ifndef VAULTOPS_GIT_COMMIT
#define VAULTOPS_GIT_COMMIT ""
#endif

const char *vaultops_git_commit(void) { return VAULTOPS_GIT_COMMIT; }
