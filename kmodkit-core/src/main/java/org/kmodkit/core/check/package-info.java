/**
 * The checker: judges a set of modules against a {@link org.kmodkit.core.abi.KernelAbi} the way the
 * kernel's loader would, one {@link org.kmodkit.core.check.Problem} per refusal, in the kernel's
 * own words.
 */
package org.kmodkit.core.check;
