package org.kmodkit.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.kmodkit.core.BadInputException;

/**
 * TLS for {@link RepoServer} from two PEM files, as certbot or openssl write them: the certificate
 * (chain, leaf first) and its unencrypted private key (PKCS#8, PKCS#1 RSA or SEC1 EC). They become
 * an in-memory key store, so no keytool step and no key store file on disk.
 */
public record TlsConfig(Path certificatePem, Path privateKeyPem) {
  /** The password of the in-memory key store; it never leaves the process. */
  static final char[] STORE_PASSWORD = "kmodkit".toCharArray();

  public TlsConfig {
    Objects.requireNonNull(certificatePem, "certificatePem");
    Objects.requireNonNull(privateKeyPem, "privateKeyPem");
  }

  /** The certificate chain and key as a PKCS#12 key store under alias "server", password {@link #STORE_PASSWORD}. */
  public KeyStore keyStore() throws BadInputException {
    List<X509Certificate> chain = new ArrayList<>();
    for (Object o : pemObjects(certificatePem)) {
      if (o instanceof X509CertificateHolder h) {
        try {
          chain.add(new JcaX509CertificateConverter().getCertificate(h));
        } catch (GeneralSecurityException e) {
          throw new BadInputException(certificatePem.toString(), "holds a certificate Java cannot read (" + e.getMessage() + "); give a PEM X.509 certificate", e);
        }
      }
    }
    if (chain.isEmpty()) {
      throw new BadInputException(certificatePem.toString(), "holds no PEM certificate (-----BEGIN CERTIFICATE-----); give the server certificate to --tls-cert");
    }
    PrivateKey key = null;
    for (Object o : pemObjects(privateKeyPem)) {
      try {
        if (o instanceof PEMKeyPair pair) {
          key = new JcaPEMKeyConverter().getKeyPair(pair).getPrivate();
        } else if (o instanceof PrivateKeyInfo info) {
          key = new JcaPEMKeyConverter().getPrivateKey(info);
        }
      } catch (IOException e) {
        throw new BadInputException(privateKeyPem.toString(), "holds a private key Java cannot use (" + e.getMessage() + ")", e);
      }
      if (key != null) {
        break;
      }
    }
    if (key == null) {
      throw new BadInputException(privateKeyPem.toString(), "holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY----- or -----BEGIN RSA/EC PRIVATE KEY-----); "
          + "decrypt it with `openssl pkey -in KEY -out KEY.plain` and give that to --tls-key");
    }
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("server", key, STORE_PASSWORD, chain.toArray(new X509Certificate[0]));
      return store;
    } catch (GeneralSecurityException e) {
      throw new BadInputException(privateKeyPem.toString(), "does not go with the certificate " + certificatePem + " (" + e.getMessage() + "); give the key of that certificate", e);
    } catch (IOException e) { // load(null) of an empty in-memory store reads nothing
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static List<Object> pemObjects(Path file) throws BadInputException {
    List<Object> out = new ArrayList<>();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser pem = new PEMParser(r)) {
      for (Object o; (o = pem.readObject()) != null; ) {
        out.add(o);
      }
    } catch (java.nio.file.NoSuchFileException e) {
      throw new BadInputException(file.toString(), "no such file; give a PEM file");
    } catch (IOException | RuntimeException e) {
      throw new BadInputException(file.toString(), "is not a PEM file (" + e.getMessage() + "); give a PEM certificate and key", e);
    }
    return out;
  }
}
