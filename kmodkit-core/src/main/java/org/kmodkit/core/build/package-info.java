/**
 * Rebuilding out-of-tree drivers for kernels: driver sources (Kbuild trees, DKMS trees and their
 * dkms.conf), kernel build directories, a pure planner of (driver, kernel) builds, and a runner
 * that executes the plan in parallel through a {@link org.kmodkit.core.host.ProcessRunner}.
 */
package org.kmodkit.core.build;
