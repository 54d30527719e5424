package org.kmodkit.core.elf;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.kmodkit.core.CorruptFileException;
import org.kmodkit.core.io.Bytes;

/**
 * Just enough DER to read a module signature's PKCS#7 SignedData: the first SignerInfo's issuer
 * common name, serial number (or subject key identifier), digest algorithm and signature value.
 */
final class Pkcs7 {
  private static final int SEQUENCE = 0x30;
  private static final int SET = 0x31;
  private static final int OID = 0x06;
  private static final int INTEGER = 0x02;
  private static final int OCTET_STRING = 0x04;
  private static final String SIGNED_DATA = "1.2.840.113549.1.7.2";
  private static final String COMMON_NAME = "2.5.4.3";

  private Pkcs7() {}

  /** A DER element: tag, and where its contents lie in {@code b}. */
  private record Tlv(int tag, long start, long length) {
    long end() {
      return start + length;
    }
  }

  private static Tlv tlv(Bytes b, long at, long limit) throws CorruptFileException {
    if (at + 2 > limit) {
      throw b.corrupt(at, "PKCS#7 element truncated");
    }
    int tag = b.u8(at);
    int first = b.u8(at + 1);
    long len;
    long p = at + 2;
    if (first < 0x80) {
      len = first;
    } else {
      int n = first & 0x7f;
      if (n == 0 || n > 4) {
        throw b.corrupt(at + 1, "PKCS#7 length of " + n + " bytes");
      }
      len = 0;
      for (int i = 0; i < n; i++) {
        if (p >= limit) {
          throw b.corrupt(p, "PKCS#7 length truncated");
        }
        len = (len << 8) | b.u8(p++);
      }
    }
    if (len > limit - p) {
      throw b.corrupt(at, "PKCS#7 element of " + len + " bytes overruns its container");
    }
    return new Tlv(tag, p, len);
  }

  private static Tlv expect(Bytes b, long at, long limit, int tag, String what) throws CorruptFileException {
    Tlv t = tlv(b, at, limit);
    if (t.tag() != tag) {
      throw b.corrupt(at, "PKCS#7 " + what + ": tag 0x" + Integer.toHexString(t.tag()) + ", expected 0x" + Integer.toHexString(tag));
    }
    return t;
  }

  static String oid(Bytes b, Tlv t) throws CorruptFileException {
    StringBuilder sb = new StringBuilder();
    long value = 0;
    boolean first = true;
    for (long i = t.start(); i < t.end(); i++) {
      int x = b.u8(i);
      value = (value << 7) | (x & 0x7f);
      if ((x & 0x80) == 0) {
        if (first) {
          long a = Math.min(value / 40, 2);
          sb.append(a).append('.').append(value - 40 * a);
          first = false;
        } else {
          sb.append('.').append(value);
        }
        value = 0;
      }
    }
    return sb.toString();
  }

  /** Parses the signature blob {@code b} (all of it is the PKCS#7 ContentInfo). */
  static ModuleSignature parse(Bytes b, int idType, long offset) throws CorruptFileException {
    long end = b.size();
    Tlv contentInfo = expect(b, 0, end, SEQUENCE, "ContentInfo");
    Tlv type = expect(b, contentInfo.start(), contentInfo.end(), OID, "content type");
    if (!SIGNED_DATA.equals(oid(b, type))) {
      throw b.corrupt(type.start(), "PKCS#7 content is " + oid(b, type) + ", not signedData");
    }
    Tlv explicit = tlv(b, type.end(), contentInfo.end());
    Tlv signedData = expect(b, explicit.start(), explicit.end(), SEQUENCE, "SignedData");
    long p = signedData.start();
    Tlv version = expect(b, p, signedData.end(), INTEGER, "version");
    Tlv digestAlgs = expect(b, version.end(), signedData.end(), SET, "digestAlgorithms");
    Tlv encap = expect(b, digestAlgs.end(), signedData.end(), SEQUENCE, "contentInfo");
    p = encap.end();
    Tlv next = tlv(b, p, signedData.end());
    while (next.tag() == 0xa0 || next.tag() == 0xa1) { // certificates, crls
      next = tlv(b, next.end(), signedData.end());
    }
    if (next.tag() != SET) {
      throw b.corrupt(next.start(), "PKCS#7 signerInfos missing");
    }
    Tlv signerInfo = expect(b, next.start(), next.end(), SEQUENCE, "SignerInfo");
    Tlv siVersion = expect(b, signerInfo.start(), signerInfo.end(), INTEGER, "SignerInfo version");
    Tlv sid = tlv(b, siVersion.end(), signerInfo.end());
    String signer = "";
    String keyId;
    if (sid.tag() == SEQUENCE) { // issuerAndSerialNumber
      Tlv issuer = expect(b, sid.start(), sid.end(), SEQUENCE, "issuer");
      signer = commonName(b, issuer);
      Tlv serial = expect(b, issuer.end(), sid.end(), INTEGER, "serial number");
      keyId = hex(b, serial);
    } else if (sid.tag() == 0x80) { // [0] subjectKeyIdentifier
      keyId = hex(b, sid);
    } else {
      throw b.corrupt(sid.start(), "PKCS#7 signer identifier of unknown form");
    }
    Tlv digestAlg = expect(b, sid.end(), signerInfo.end(), SEQUENCE, "digestAlgorithm");
    String hash = hashName(oid(b, expect(b, digestAlg.start(), digestAlg.end(), OID, "digest OID")));
    Tlv after = tlv(b, digestAlg.end(), signerInfo.end());
    if (after.tag() == 0xa0) { // authenticated attributes
      after = tlv(b, after.end(), signerInfo.end());
    }
    Tlv sigValue = expect(b, after.end(), signerInfo.end(), OCTET_STRING, "signature");
    return new ModuleSignature(signer, keyId, hash, idType, (int) b.size(), offset, b.copy(sigValue.start(), (int) sigValue.length()));
  }

  private static String commonName(Bytes b, Tlv name) throws CorruptFileException {
    long p = name.start();
    while (p < name.end()) {
      Tlv rdn = expect(b, p, name.end(), SET, "RDN");
      long q = rdn.start();
      while (q < rdn.end()) {
        Tlv atv = expect(b, q, rdn.end(), SEQUENCE, "attribute");
        Tlv attrOid = expect(b, atv.start(), atv.end(), OID, "attribute type");
        Tlv value = tlv(b, attrOid.end(), atv.end());
        if (COMMON_NAME.equals(oid(b, attrOid))) {
          return new String(b.copy(value.start(), (int) value.length()), StandardCharsets.UTF_8);
        }
        q = atv.end();
      }
      p = rdn.end();
    }
    return "";
  }

  private static String hex(Bytes b, Tlv t) throws CorruptFileException {
    byte[] v = b.copy(t.start(), (int) t.length());
    int from = 0;
    while (from < v.length - 1 && v[from] == 0 && (v[from + 1] & 0x80) != 0) {
      from++; // DER sign padding of a positive serial
    }
    HexFormat hex = HexFormat.ofDelimiter(":").withUpperCase();
    return hex.formatHex(v, from, v.length);
  }

  static String hashName(String oid) {
    switch (oid) {
      case "1.3.14.3.2.26":
        return "sha1";
      case "2.16.840.1.101.3.4.2.4":
        return "sha224";
      case "2.16.840.1.101.3.4.2.1":
        return "sha256";
      case "2.16.840.1.101.3.4.2.2":
        return "sha384";
      case "2.16.840.1.101.3.4.2.3":
        return "sha512";
      case "2.16.840.1.101.3.4.2.8":
        return "sha3-256";
      case "2.16.840.1.101.3.4.2.9":
        return "sha3-384";
      case "2.16.840.1.101.3.4.2.10":
        return "sha3-512";
      case "1.2.156.10197.1.401":
        return "sm3";
      default:
        return oid;
    }
  }
}
