/**
 * weak-updates done right: an {@link org.kmodkit.core.weak.Inventory} of a root's kernels and
 * out-of-tree module sets, a pure {@link org.kmodkit.core.weak.Planner} deciding which builds to
 * link into which kernel (the loader's verdicts, all-or-nothing per dependency group, newest
 * compatible build first), and the {@link org.kmodkit.core.weak.Applier}, the only code that
 * touches links: one atomic switch per kernel, idempotent, serialised by a lock.
 */
package org.kmodkit.core.weak;
