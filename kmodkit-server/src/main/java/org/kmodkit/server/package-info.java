/**
 * A read-only HTTP(S) server over a repository directory (Jetty), so nodes can fetch what
 * {@code repo create} wrote without a web server of their own.
 */
package org.kmodkit.server;
