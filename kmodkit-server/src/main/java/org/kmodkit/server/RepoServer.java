package org.kmodkit.server;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.content.HttpContent;
import org.eclipse.jetty.http.content.ResourceHttpContentFactory;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ContextHandler;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;
import org.kmodkit.core.io.InputFiles;

/**
 * Serves a repository directory read-only over HTTP or HTTPS (Jetty): GET and HEAD (others 405),
 * byte ranges, ETag and Last-Modified with 304s. Symlinks are followed only when their real target
 * lies inside the directory (so {@code dists} and {@code repodata}, links into {@code .kmodkit/},
 * work); anything whose real path leaves the directory is 404, as is a path that climbs out.
 * {@code .kmodkit/} itself is served too: it holds only the same public metadata the links
 * expose, and hiding it would protect nothing. Files are read at every request, never cached, so
 * a {@code repo create} switching {@code dists} is seen at once.
 */
public final class RepoServer implements AutoCloseable {
  private final Server server;
  private final ServerConnector connector;
  private final String scheme;
  private final String host;

  private RepoServer(Server server, ServerConnector connector, String scheme, String host) {
    this.server = server;
    this.connector = connector;
    this.scheme = scheme;
    this.host = host;
  }

  /** Starts a server on BINDHOST:PORT (0 = any free port), logging nothing. */
  public static RepoServer start(Path dir, String bindHost, int port, TlsConfig tls) throws BadInputException, EnvironmentException {
    return start(dir, bindHost, port, tls, line -> { });
  }

  /**
   * Starts a server over DIR; TLS is null for plain HTTP. LOG gets one line per request:
   * {@code <client> <METHOD> <path> <status> <bytes>}.
   */
  public static RepoServer start(Path dir, String bindHost, int port, TlsConfig tls, Consumer<String> log)
      throws BadInputException, EnvironmentException {
    if (!Files.isDirectory(dir)) {
      throw new BadInputException(dir.toString(), "is not a directory; serve the repository directory `kmodkit repo create` wrote");
    }
    if (port < 0 || port > 65535) {
      throw new BadInputException("--port", port + " is not a TCP port (0-65535; 0 picks a free one)");
    }
    Path root;
    try {
      root = dir.toRealPath();
    } catch (IOException e) {
      throw InputFiles.cannotRead(dir.toString(), e);
    }
    QueuedThreadPool threads = new QueuedThreadPool(64, 4);
    threads.setName("kmodkit-serve");
    threads.setDaemon(true);
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    ServerConnector connector;
    if (tls == null) {
      connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
    } else {
      SslContextFactory.Server ssl = new SslContextFactory.Server();
      ssl.setKeyStore(tls.keyStore());
      ssl.setKeyStorePassword(new String(TlsConfig.STORE_PASSWORD));
      ssl.setKeyManagerPassword(new String(TlsConfig.STORE_PASSWORD));
      SecureRequestCustomizer sni = new SecureRequestCustomizer();
      // a repository is often reached by IP or a name the certificate lacks; apt checks the name itself
      sni.setSniHostCheck(false);
      http.addCustomizer(sni);
      connector = new ServerConnector(server, 1, 1, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(http));
    }
    connector.setHost(bindHost);
    connector.setPort(port);
    server.addConnector(connector);

    ResourceHandler files = new ResourceHandler() {
      @Override
      protected HttpContent.Factory newHttpContentFactory(ByteBufferPool.Sized pool) {
        // no cache: after a dists switch the same path must give the new file at once
        return new ResourceHttpContentFactory(getBaseResource(), getMimeTypes(), pool);
      }
    };
    files.setBaseResource(ResourceFactory.of(server).newResource(root));
    files.setDirAllowed(true);
    files.setEtags(true);
    files.setAcceptRanges(true);
    files.setWelcomeFiles();
    ContextHandler context = new ContextHandler(files, "/");
    context.clearAliasChecks();
    // Guard below has already checked that the real path stays inside ROOT
    context.addAliasCheck((path, resource) -> true);
    server.setHandler(new Guard(root, context));
    server.setRequestLog((request, response) -> log.accept(Request.getRemoteAddr(request) + " " + request.getMethod() + " "
        + request.getHttpURI().getPathQuery() + " " + response.getStatus() + " " + Response.getContentBytesWritten(response)));
    try {
      server.start();
    } catch (Exception e) {
      try {
        server.stop();
      } catch (Exception ignored) {
        // already failing; the bind error is what the user needs
      }
      if (e instanceof BindException || e.getCause() instanceof BindException || e instanceof IOException) {
        throw new EnvironmentException("cannot listen on " + bindHost + ":" + port + " (" + e.getMessage()
            + "): the port is in use or the address is not this machine's; pick another --port (0 = any free one) or stop what listens there (ss -ltnp)", e);
      }
      throw new EnvironmentException("the repository server did not start on " + bindHost + ":" + port + ": " + e, e);
    }
    return new RepoServer(server, connector, tls == null ? "http" : "https", bindHost);
  }

  /** The port listened on (the chosen one when 0 was asked). */
  public int port() {
    return connector.getLocalPort();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:8080/}. */
  public String url() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return scheme + "://" + h + ":" + port() + "/";
  }

  public InetSocketAddress address() {
    return new InetSocketAddress(host, port());
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) { // Jetty's stop declares Exception; nothing of the user's can make it fail
      throw new IllegalStateException("stopping the repository server: " + e.getMessage(), e);
    }
  }

  /** Read-only and confined: 405 for anything but GET and HEAD, 404 for a path whose real file is outside ROOT. */
  private static final class Guard extends Handler.Wrapper {
    private final Path root;

    Guard(Path root, Handler next) {
      super(next);
      this.root = root;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      String method = request.getMethod();
      if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
        response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
        Response.writeError(request, response, callback, HttpStatus.METHOD_NOT_ALLOWED_405);
        return true;
      }
      String path = Request.getPathInContext(request);
      if (path == null || !inside(path)) {
        Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
        return true;
      }
      return super.handle(request, response, callback);
    }

    private boolean inside(String path) {
      String rel = path.startsWith("/") ? path.substring(1) : path;
      if (rel.indexOf('\0') >= 0) {
        return false;
      }
      Path target = root.resolve(rel).normalize();
      if (!target.startsWith(root)) {
        return false;
      }
      try {
        return target.toRealPath().startsWith(root);
      } catch (NoSuchFileException e) {
        return false;
      } catch (IOException | RuntimeException e) {
        return false;
      }
    }
  }
}
