package io.sniproxy.proxy.sniff;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The JA4 fingerprint of a ClientHello (FoxIO's JA4 technical details): security teams match clients
 * by it in logs. Filled by {@link ClientHelloParser} while it walks the hello, so asking for it costs
 * no second parse; GREASE values (RFC 8701) are ignored everywhere, as the specification says.
 */
public final class Ja4 {

    private static final HexFormat HEX = HexFormat.of();
    private static final int EXT_SERVER_NAME = 0x0000;
    private static final int EXT_ALPN = 0x0010;

    private final char transport;
    private int legacyVersion;
    private int[] ciphers = new int[0];
    private int[] extensions = new int[0];
    private int extensionCount;
    private int[] signatureAlgorithms = new int[0];
    private int highestSupportedVersion = -1;
    private boolean sni;
    private byte[] firstAlpn;

    /** @param transport {@code 't'} for TLS over TCP, {@code 'q'} for QUIC */
    Ja4(char transport) {
        this.transport = transport;
    }

    static boolean isGrease(int v) {
        return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
    }

    void legacyVersion(int v) {
        legacyVersion = v;
    }

    void ciphers(int[] all) {
        ciphers = withoutGrease(all);
    }

    void extension(int type) {
        if (isGrease(type)) {
            return;
        }
        if (extensionCount == extensions.length) {
            extensions = Arrays.copyOf(extensions, Math.max(16, extensionCount * 2));
        }
        extensions[extensionCount++] = type;
        if (type == EXT_SERVER_NAME) {
            sni = true;
        }
    }

    void signatureAlgorithms(int[] all) {
        signatureAlgorithms = withoutGrease(all);
    }

    void supportedVersion(int v) {
        if (!isGrease(v)) {
            highestSupportedVersion = Math.max(highestSupportedVersion, v);
        }
    }

    void firstAlpn(byte[] value) {
        if (firstAlpn == null) {
            firstAlpn = value;
        }
    }

    /** The fingerprint, e.g. {@code t13d1516h2_8daaf6152771_e5627efa2ab1}. */
    String fingerprint() {
        int[] ext = Arrays.copyOf(extensions, extensionCount);
        StringBuilder a = new StringBuilder(10)
                .append(transport)
                .append(version(highestSupportedVersion >= 0 ? highestSupportedVersion : legacyVersion))
                .append(sni ? 'd' : 'i')
                .append(twoDigits(ciphers.length))
                .append(twoDigits(ext.length))
                .append(alpn());
        int[] sortedCiphers = ciphers.clone();
        Arrays.sort(sortedCiphers);
        int[] hashed = Arrays.stream(ext).filter(t -> t != EXT_SERVER_NAME && t != EXT_ALPN).sorted().toArray();
        String c = hexList(hashed);
        if (signatureAlgorithms.length > 0) {
            c = c + "_" + hexList(signatureAlgorithms);
        }
        return a + "_" + hash(sortedCiphers.length == 0 ? "" : hexList(sortedCiphers))
                + "_" + hash(hashed.length == 0 ? "" : c);
    }

    private static String version(int v) {
        return switch (v) {
            case 0x0304 -> "13";
            case 0x0303 -> "12";
            case 0x0302 -> "11";
            case 0x0301 -> "10";
            case 0x0300 -> "s3";
            case 0x0200 -> "s2";
            default -> "00";
        };
    }

    /** First and last character of the first ALPN value; their hex digits when either is not alphanumeric. */
    private String alpn() {
        if (firstAlpn == null || firstAlpn.length == 0) {
            return "00";
        }
        char first = (char) (firstAlpn[0] & 0xff);
        char last = (char) (firstAlpn[firstAlpn.length - 1] & 0xff);
        if (alphanumeric(first) && alphanumeric(last)) {
            return "" + first + last;
        }
        String hex = HEX.formatHex(firstAlpn);
        return "" + hex.charAt(0) + hex.charAt(hex.length() - 1);
    }

    private static boolean alphanumeric(char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    }

    private static String twoDigits(int n) {
        int v = Math.min(n, 99);
        return v < 10 ? "0" + v : Integer.toString(v);
    }

    private static String hexList(int[] values) {
        StringBuilder b = new StringBuilder(values.length * 5);
        for (int v : values) {
            if (!b.isEmpty()) {
                b.append(',');
            }
            b.append(HEX.toHexDigits((short) v));
        }
        return b.toString();
    }

    /** First 12 hex digits of SHA-256; twelve zeros for an empty list. */
    private static String hash(String s) {
        if (s.isEmpty()) {
            return "000000000000";
        }
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.US_ASCII));
            return HEX.formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    private static int[] withoutGrease(int[] all) {
        return Arrays.stream(all).filter(v -> !isGrease(v)).toArray();
    }
}
