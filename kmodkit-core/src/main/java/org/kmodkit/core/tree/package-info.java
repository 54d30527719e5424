/**
 * Where things live on a system: {@link org.kmodkit.core.tree.Sysroot} (the one root every path is
 * resolved in), installed kernels, module sets, and loading a {@link
 * org.kmodkit.core.abi.KernelAbi} from symvers files, headers directories and installed trees.
 */
package org.kmodkit.core.tree;
