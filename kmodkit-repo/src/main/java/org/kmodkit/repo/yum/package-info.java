/**
 * YUM/DNF repository metadata (repodata/ as createrepo_c writes it) for a directory of RPMs, signed
 * and switched in atomically, with the client config and public key nodes need.
 */
package org.kmodkit.repo.yum;
