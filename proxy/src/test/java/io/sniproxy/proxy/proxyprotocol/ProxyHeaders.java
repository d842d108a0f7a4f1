package io.sniproxy.proxy.proxyprotocol;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** PROXY headers built by hand from the specification, for tests (independent of our encoder). */
public final class ProxyHeaders {

    static final byte[] SIGNATURE = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

    private ProxyHeaders() {
    }

    public static byte[] v1(String line) {
        return line.getBytes(StandardCharsets.US_ASCII);
    }

    /** v2 with command PROXY (0x21) and family/transport {@code fam}, then addresses and TLVs as given. */
    public static byte[] v2(int verCmd, int fam, byte[] addresses, byte[]... tlvs) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(addresses);
        for (byte[] t : tlvs) {
            body.writeBytes(t);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIGNATURE);
        out.write(verCmd);
        out.write(fam);
        out.write(body.size() >> 8);
        out.write(body.size() & 0xff);
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** TCP over IPv4 from {@code src:sport} to {@code dst:dport}. */
    public static byte[] v2Tcp4(int[] src, int sport, int[] dst, int dport, byte[]... tlvs) {
        byte[] a = new byte[12];
        for (int i = 0; i < 4; i++) {
            a[i] = (byte) src[i];
            a[4 + i] = (byte) dst[i];
        }
        a[8] = (byte) (sport >> 8);
        a[9] = (byte) sport;
        a[10] = (byte) (dport >> 8);
        a[11] = (byte) dport;
        return v2(0x21, 0x11, a, tlvs);
    }

    public static byte[] tlv(int type, byte[] value) {
        byte[] t = new byte[3 + value.length];
        t[0] = (byte) type;
        t[1] = (byte) (value.length >> 8);
        t[2] = (byte) value.length;
        System.arraycopy(value, 0, t, 3, value.length);
        return t;
    }
}
