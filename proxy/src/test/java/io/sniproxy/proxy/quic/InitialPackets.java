package io.sniproxy.proxy.quic;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builds protected client Initial packets the way a QUIC client does (RFC 9001 §5), so tests can
 * send Initials shaped as they like: a ClientHello split over several packets, frames out of order,
 * coalesced packets. Checked byte for byte against the RFC 9001 / RFC 9369 Appendix A packets.
 */
public final class InitialPackets {

    private InitialPackets() {
    }

    /** Seals one Initial with a 4-byte packet number, padded so that the packet is at least {@code minSize}. */
    public static byte[] seal(QuicVersion version, byte[] dcid, byte[] scid, long pn, byte[] frames, int minSize) {
        InitialKeys keys = InitialKeys.derive(version, dcid);
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(0xc0 | version.initialType() << 4 | 0x03);
        writeInt(h, version.wire());
        h.write(dcid.length);
        h.writeBytes(dcid);
        h.write(scid.length);
        h.writeBytes(scid);
        h.write(0); // no token
        int headerLength = h.size() + 2 + 4;
        int payloadLength = Math.max(frames.length, minSize - headerLength - InitialKeys.TAG_LENGTH);
        int length = 4 + payloadLength + InitialKeys.TAG_LENGTH;
        h.write(0x40 | length >>> 8);
        h.write(length & 0xff);
        writeInt(h, (int) pn);
        byte[] header = h.toByteArray();
        byte[] payload = java.util.Arrays.copyOf(frames, payloadLength); // zero bytes are PADDING frames
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(keys.key(), "AES"),
                    new GCMParameterSpec(128, keys.nonce(pn)));
            gcm.updateAAD(header);
            byte[] sealed = gcm.doFinal(payload);
            byte[] packet = new byte[header.length + sealed.length];
            System.arraycopy(header, 0, packet, 0, header.length);
            System.arraycopy(sealed, 0, packet, header.length, sealed.length);
            int pnOffset = header.length - 4;
            byte[] mask = keys.headerMask(packet, pnOffset + 4);
            packet[0] ^= (byte) (mask[0] & 0x0f);
            for (int i = 0; i < 4; i++) {
                packet[pnOffset + i] ^= mask[1 + i];
            }
            return packet;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A CRYPTO frame carrying {@code data[from, to)} at that offset. */
    public static byte[] crypto(byte[] data, int from, int to) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(0x06);
        f.writeBytes(varint(from));
        f.writeBytes(varint(to - from));
        f.write(data, from, to - from);
        return f.toByteArray();
    }

    static byte[] varint(long v) {
        if (v < 64) {
            return new byte[] {(byte) v};
        }
        if (v < 16384) {
            return new byte[] {(byte) (0x40 | v >>> 8), (byte) v};
        }
        return new byte[] {(byte) (0x80 | v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** A hex test vector from src/test/resources/quic ('#' lines are comments). */
    static byte[] vector(String name) {
        try (InputStream in = InitialPackets.class.getResourceAsStream("/quic/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no test vector " + name);
            }
            StringBuilder hex = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
                if (!line.startsWith("#")) {
                    hex.append(line.strip());
                }
            }
            return HexFormat.of().parseHex(hex);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }
}
