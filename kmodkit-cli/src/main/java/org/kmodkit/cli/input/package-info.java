/**
 * What the command line names, read into values the core understands: kernels ({@code --kernel}: symvers,
 * headers, images, kernel packages), module sets, driver sources, vendor bundles.
 */
package org.kmodkit.cli.input;
