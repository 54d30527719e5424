package org.kmodkit.formats.rpm;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds one header structure (magic, index, data store) with its region trailer, the way rpmbuild
 * lays it out: index sorted by tag, data in the same order (rpm refuses overlapping or out-of-order
 * data), the region entry first and its 16-byte trailer last.
 */
final class HeaderBlob {
  private record Entry(int type, int count, byte[] data) {}

  private final Map<Integer, Entry> entries = new TreeMap<>();

  HeaderBlob string(int tag, String value) {
    return put(tag, RpmTag.STRING, 1, cstrings(List.of(value)));
  }

  HeaderBlob i18n(int tag, String value) {
    return put(tag, RpmTag.I18NSTRING, 1, cstrings(List.of(value)));
  }

  HeaderBlob strings(int tag, List<String> values) {
    return values.isEmpty() ? this : put(tag, RpmTag.STRING_ARRAY, values.size(), cstrings(values));
  }

  HeaderBlob int32(int tag, int... values) {
    if (values.length == 0) {
      return this;
    }
    ByteBuffer b = ByteBuffer.allocate(values.length * 4);
    for (int v : values) {
      b.putInt(v);
    }
    return put(tag, RpmTag.INT32, values.length, b.array());
  }

  HeaderBlob int16(int tag, int... values) {
    if (values.length == 0) {
      return this;
    }
    ByteBuffer b = ByteBuffer.allocate(values.length * 2);
    for (int v : values) {
      b.putShort((short) v);
    }
    return put(tag, RpmTag.INT16, values.length, b.array());
  }

  HeaderBlob bin(int tag, byte[] value) {
    return put(tag, RpmTag.BIN, value.length, value.clone());
  }

  private HeaderBlob put(int tag, int type, int count, byte[] data) {
    if (entries.put(tag, new Entry(type, count, data)) != null) {
      throw new IllegalStateException("header tag " + tag + " set twice");
    }
    return this;
  }

  /** The header bytes, REGIONTAG (62 or 63) first in the index, its trailer last in the data. */
  byte[] build(int regionTag) {
    int il = entries.size() + 1;
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    ByteBuffer index = ByteBuffer.allocate(il * 16);
    index.position(16);
    for (Map.Entry<Integer, Entry> e : entries.entrySet()) {
      Entry en = e.getValue();
      int align = switch (en.type()) {
        case RpmTag.INT16 -> 2;
        case RpmTag.INT32 -> 4;
        case RpmTag.INT64 -> 8;
        default -> 1;
      };
      while (data.size() % align != 0) {
        data.write(0);
      }
      index.putInt(e.getKey()).putInt(en.type()).putInt(data.size()).putInt(en.count());
      data.writeBytes(en.data());
    }
    int trailerOffset = data.size();
    data.writeBytes(ByteBuffer.allocate(16).putInt(regionTag).putInt(RpmTag.BIN).putInt(-il * 16).putInt(16).array());
    index.position(0);
    index.putInt(regionTag).putInt(RpmTag.BIN).putInt(trailerOffset).putInt(16);
    byte[] store = data.toByteArray();
    return ByteBuffer.allocate(16 + il * 16 + store.length)
        .put(new byte[] {(byte) 0x8e, (byte) 0xad, (byte) 0xe8, 0x01, 0, 0, 0, 0})
        .putInt(il).putInt(store.length).put(index.array()).put(store).array();
  }

  private static byte[] cstrings(List<String> values) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (String v : values) {
      if (v.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("header strings cannot hold NUL: '" + v + "'");
      }
      out.writeBytes(v.getBytes(StandardCharsets.UTF_8));
      out.write(0);
    }
    return out.toByteArray();
  }
}
