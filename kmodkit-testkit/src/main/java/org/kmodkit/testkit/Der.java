package org.kmodkit.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Minimal DER encoding, enough to write the PKCS#7 blob a module signature carries. */
public final class Der {
  private Der() {}

  public static byte[] tlv(int tag, byte[]... parts) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      body.writeBytes(p);
    }
    byte[] b = body.toByteArray();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int n = b.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n < 0x100) {
      out.write(0x81);
      out.write(n);
    } else if (n < 0x10000) {
      out.write(0x82);
      out.write(n >>> 8);
      out.write(n);
    } else {
      out.write(0x83);
      out.write(n >>> 16);
      out.write(n >>> 8);
      out.write(n);
    }
    out.writeBytes(b);
    return out.toByteArray();
  }

  public static byte[] seq(byte[]... parts) {
    return tlv(0x30, parts);
  }

  public static byte[] set(byte[]... parts) {
    return tlv(0x31, parts);
  }

  public static byte[] integer(byte[] value) {
    return tlv(0x02, value);
  }

  public static byte[] nul() {
    return new byte[] {0x05, 0x00};
  }

  public static byte[] utf8(String s) {
    return tlv(0x0c, s.getBytes(StandardCharsets.UTF_8));
  }

  public static byte[] octets(byte[] b) {
    return tlv(0x04, b);
  }

  public static byte[] oid(String dotted) {
    String[] p = dotted.split("\\.");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Integer.parseInt(p[0]) * 40 + Integer.parseInt(p[1]));
    for (int i = 2; i < p.length; i++) {
      long v = Long.parseLong(p[i]);
      int groups = 1;
      for (long t = v >>> 7; t != 0; t >>>= 7) {
        groups++;
      }
      for (int g = groups - 1; g >= 0; g--) {
        int b = (int) ((v >>> (7 * g)) & 0x7f);
        out.write(g == 0 ? b : b | 0x80);
      }
    }
    return tlv(0x06, out.toByteArray());
  }

  /**
   * A PKCS#7 SignedData as scripts/sign-file writes it for modules: no certificates, one
   * SignerInfo identified by issuer and serial number, no signed attributes.
   */
  public static byte[] modulePkcs7(String signerCn, byte[] serial, String digestOid, byte[] signature) {
    byte[] digestAlg = seq(oid(digestOid), nul());
    byte[] issuer = seq(set(seq(oid("2.5.4.3"), utf8(signerCn))));
    byte[] signerInfo = seq(integer(new byte[] {1}), seq(issuer, integer(serial)), digestAlg, seq(oid("1.2.840.113549.1.1.1"), nul()), octets(signature));
    byte[] signedData = seq(integer(new byte[] {1}), set(digestAlg), seq(oid("1.2.840.113549.1.7.1")), set(signerInfo));
    return seq(oid("1.2.840.113549.1.7.2"), tlv(0xa0, signedData));
  }
}
