/**
 * kmodkit's own cache (~/.cache/kmodkit): what lies there, which entry is in use (a lock file per
 * entry, shared while used, exclusive to delete), and pruning by age and size, oldest use first.
 */
package org.kmodkit.core.cache;
