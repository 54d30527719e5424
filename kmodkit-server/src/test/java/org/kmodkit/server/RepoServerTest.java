package org.kmodkit.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmodkit.core.BadInputException;
import org.kmodkit.core.EnvironmentException;

class RepoServerTest {
  @TempDir Path tmp;
  Path repo;
  RepoServer server;
  final List<String> log = Collections.synchronizedList(new ArrayList<>());
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void repository() throws Exception {
    repo = tmp.resolve("repo");
    Files.createDirectories(repo.resolve(".kmodkit/dists-1/kmodkit"));
    Files.writeString(repo.resolve(".kmodkit/dists-1/kmodkit/Release"), "Suite: kmodkit\n");
    Files.createSymbolicLink(repo.resolve("dists"), Path.of(".kmodkit/dists-1"));
    Files.writeString(repo.resolve("hello.deb"), "0123456789abcdefghij");
    Files.writeString(tmp.resolve("secret"), "outside the repository");
    Files.createSymbolicLink(repo.resolve("escape"), tmp.resolve("secret"));
    Files.createSymbolicLink(repo.resolve("escape-dir"), tmp);
    server = RepoServer.start(repo, "127.0.0.1", 0, null, log::add);
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aFileIsServedWithAcceptRangesAndARangeGivesA206WithJustThoseBytes() throws Exception {
    HttpResponse<String> full = get("hello.deb");
    assertThat(full.statusCode()).isEqualTo(200);
    assertThat(full.body()).isEqualTo("0123456789abcdefghij");
    assertThat(full.headers().firstValue("Accept-Ranges")).contains("bytes");
    HttpResponse<String> part = get("hello.deb", "Range", "bytes=5-9");
    assertThat(part.statusCode()).isEqualTo(206);
    assertThat(part.body()).isEqualTo("56789");
    assertThat(part.headers().firstValue("Content-Range")).contains("bytes 5-9/20");
    assertThat(get("hello.deb", "Range", "bytes=15-").body()).isEqualTo("fghij");
    assertThat(get("hello.deb", "Range", "bytes=50-60").statusCode()).isEqualTo(416);
  }

  @Test
  void aConditionalGetWithTheETagOrLastModifiedGivesA304() throws Exception {
    HttpResponse<String> full = get("hello.deb");
    String etag = full.headers().firstValue("ETag").orElseThrow();
    String modified = full.headers().firstValue("Last-Modified").orElseThrow();
    assertThat(get("hello.deb", "If-None-Match", etag).statusCode()).isEqualTo(304);
    assertThat(get("hello.deb", "If-Modified-Since", modified).statusCode()).isEqualTo(304);
    Files.writeString(repo.resolve("hello.deb"), "changed, and longer than before");
    assertThat(get("hello.deb", "If-None-Match", etag).statusCode()).isEqualTo(200);
  }

  @Test
  void onlyGetAndHeadAreAllowed() throws Exception {
    HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create(server.url() + "hello.deb")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.headers().firstValueAsLong("Content-Length")).hasValue(20);
    for (String method : new String[] {"POST", "PUT", "DELETE", "PATCH"}) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.url() + "hello.deb")).method(method, HttpRequest.BodyPublishers.ofString("x")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(method).isEqualTo(405);
      assertThat(r.headers().firstValue("Allow")).contains("GET, HEAD");
    }
    assertThat(Files.readString(repo.resolve("hello.deb"))).isEqualTo("0123456789abcdefghij");
  }

  @Test
  void theDistsLinkIsFollowedButNothingOutsideTheDirectoryIsServed() throws Exception {
    assertThat(get("dists/kmodkit/Release").body()).isEqualTo("Suite: kmodkit\n");
    assertThat(get("escape").statusCode()).isEqualTo(404);
    assertThat(get("escape-dir/secret").statusCode()).isEqualTo(404);
    assertThat(get("missing").statusCode()).isEqualTo(404);
    // Jetty refuses ambiguous or climbing URIs before any handler (400); either way nothing leaks
    for (String evil : new String[] {"../secret", "%2e%2e/secret", "dists/%2e%2e/%2e%2e/%2e%2e/secret", "..%2fsecret", "dists/..%2f..%2f..%2fsecret"}) {
      int status = raw("GET /" + evil + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(status).as(evil).isIn(400, 404);
    }
  }

  @Test
  void everyRequestIsLoggedOnOneLine() throws Exception {
    get("hello.deb");
    get("missing");
    Thread.sleep(200); // the request log runs after the response is complete
    assertThat(log).anySatisfy(l -> assertThat(l).contains("GET /hello.deb 200 20"));
    assertThat(log).anySatisfy(l -> assertThat(l).contains("GET /missing 404"));
  }

  @Test
  void aPortInUseIsAnEnvironmentErrorNamingTheAddressAndWhatToDo() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertThatThrownBy(() -> RepoServer.start(repo, "127.0.0.1", busy.getLocalPort(), null))
          .isInstanceOf(EnvironmentException.class).hasMessageContaining("127.0.0.1:" + busy.getLocalPort()).hasMessageContaining("--port");
    }
    assertThatThrownBy(() -> RepoServer.start(repo.resolve("hello.deb"), "127.0.0.1", 0, null)).isInstanceOf(BadInputException.class);
  }

  @Test
  void tlsFromAPemCertificateAndKeyServesHttps() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    KeyPair pair = g.generateKeyPair();
    X500Name name = new X500Name("CN=127.0.0.1");
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(name, BigInteger.ONE,
        new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 86_400_000L), name, pair.getPublic())
        .addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, false,
            new org.bouncycastle.asn1.x509.GeneralNames(new org.bouncycastle.asn1.x509.GeneralName(org.bouncycastle.asn1.x509.GeneralName.iPAddress, "127.0.0.1")))
        .build(new JcaContentSignerBuilder("SHA256withRSA").build(pair.getPrivate())));
    Path certPem = tmp.resolve("cert.pem");
    Path keyPem = tmp.resolve("key.pem");
    try (JcaPEMWriter w = new JcaPEMWriter(Files.newBufferedWriter(certPem))) {
      w.writeObject(cert);
    }
    try (JcaPEMWriter w = new JcaPEMWriter(Files.newBufferedWriter(keyPem))) {
      w.writeObject(pair.getPrivate());
    }
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("repo", cert);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    try (RepoServer https = RepoServer.start(repo, "127.0.0.1", 0, new TlsConfig(certPem, keyPem))) {
      assertThat(https.url()).startsWith("https://127.0.0.1:");
      HttpResponse<String> r = HttpClient.newBuilder().sslContext(ctx).build()
          .send(HttpRequest.newBuilder(URI.create(https.url() + "hello.deb")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("0123456789abcdefghij");
    }
    assertThatThrownBy(() -> RepoServer.start(repo, "127.0.0.1", 0, new TlsConfig(keyPem, keyPem)))
        .isInstanceOf(BadInputException.class).hasMessageContaining("holds no PEM certificate");
  }

  /** Sends REQUEST as typed (HttpClient would normalise the path) and returns the status code. */
  private int raw(String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(response).doesNotContain("outside the repository");
      return Integer.parseInt(response.substring(9, 12));
    }
  }
}
