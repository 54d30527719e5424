/**
 * Repositories nodes install from: YUM ({@code yum}) and APT ({@code apt}) metadata over a directory of
 * packages, switched in atomically, and the shipment that writes packages and their repository in one step.
 */
package org.kmodkit.repo;
