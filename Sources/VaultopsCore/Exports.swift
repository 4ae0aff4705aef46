// `Redacted` and `Secret` live in the Redaction module so that low-level modules (LibPQ) can hide secrets
// without depending on the config and logging of VaultopsCore; everything that imports VaultopsCore keeps them.
@_exported import Redaction
