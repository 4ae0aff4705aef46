#ifndef VAULTOPS_BUILD_INFO_H
#define VAULTOPS_BUILD_INFO_H

/// The git commit this binary was built from ("" when the tree it was built from had no git metadata).
const char *vaultops_git_commit(void);

#endif
