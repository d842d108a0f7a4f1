package io.sniproxy.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.security.KeyManagementException;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * TLS ClientHellos for tests, as bytes a client would put on the wire.
 *
 * <ul>
 *   <li><b>Real</b> ones ({@link #tls13}, {@link #tls12}, {@link #noSni}, {@link #large}) come from
 *       the JDK's own {@link SSLEngine} in client mode: the TLS records of its first flight,
 *       exactly what a Java client sends to the proxy. Feed them to a socket, or to the parser.</li>
 *   <li>{@link #reframe} re-splits a hello into many small TLS records (legal, and what some
 *       middleboxes and fuzzers do), to exercise reassembly.</li>
 *   <li><b>Synthetic</b> ones ({@link #synthetic}, {@link #extension}, {@link #serverName}, ...) are
 *       built field by field for shapes the JDK will not produce: no extensions, ECH, duplicate
 *       extensions, names the JDK refuses to send.</li>
 * </ul>
 * Self-contained (JDK only), stateless, thread-safe.
 */
public final class ClientHellos {

    public static final int CONTENT_HANDSHAKE = 22;
    public static final int CONTENT_ALERT = 21;
    public static final int CONTENT_APPLICATION_DATA = 23;
    public static final int EXT_SERVER_NAME = 0;
    public static final int EXT_ALPN = 16;
    /** encrypted_client_hello (RFC draft-ietf-tls-esni, IANA code point). */
    public static final int EXT_ECH = 0xfe0d;

    private ClientHellos() {
    }

    /** A real TLS 1.3-only ClientHello (one record) with SNI {@code sni}. */
    public static byte[] tls13(String sni) {
        return real(sni, new String[] {"TLSv1.3"}, null);
    }

    /** A real TLS 1.2-only ClientHello (one record, no supported_versions) with SNI {@code sni}. */
    public static byte[] tls12(String sni) {
        return real(sni, new String[] {"TLSv1.2"}, null);
    }

    /** A real TLS 1.3 ClientHello without a server_name extension. */
    public static byte[] noSni() {
        return real(null, new String[] {"TLSv1.3"}, null);
    }

    /**
     * A real TLS 1.3 ClientHello of at least {@code minBytes} bytes on the wire, padded out with ALPN
     * protocol names (up to ~64 KiB, the ALPN extension's limit). Above 16 KiB the JDK splits it
     * over several records, as any client must.
     */
    public static byte[] large(String sni, int minBytes) {
        byte[] hello = real(sni, new String[] {"TLSv1.3"}, largeAlpn(minBytes).toArray(String[]::new));
        if (hello.length < minBytes) {
            throw new IllegalStateException("ClientHello is " + hello.length + " bytes, wanted " + minBytes);
        }
        return hello;
    }

    /**
     * The first flight of a client {@link SSLEngine}: every record it wraps before it waits for
     * the server. {@code sni} null = no server_name; {@code alpn} null = no ALPN.
     */
    public static byte[] real(String sni, String[] protocols, String[] alpn) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, null, null);
            SSLEngine engine = ctx.createSSLEngine();
            engine.setUseClientMode(true);
            SSLParameters params = engine.getSSLParameters();
            params.setProtocols(protocols);
            if (sni != null) {
                params.setServerNames(List.of(new SNIHostName(sni)));
            }
            if (alpn != null) {
                params.setApplicationProtocols(alpn);
            }
            engine.setSSLParameters(params);
            engine.beginHandshake();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteBuffer empty = ByteBuffer.allocate(0);
            ByteBuffer net = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            while (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
                net.clear();
                SSLEngineResult r = engine.wrap(empty, net);
                if (r.getStatus() != SSLEngineResult.Status.OK) {
                    throw new IllegalStateException("wrap: " + r);
                }
                out.write(net.array(), 0, net.position());
            }
            engine.closeOutbound();
            return out.toByteArray();
        } catch (NoSuchAlgorithmException | KeyManagementException | SSLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The ALPN names {@link #large} pads its hello with, in order. */
    public static List<String> largeAlpn(int minBytes) {
        int n = Math.max(1, (minBytes + 199) / 200);
        String[] alpn = new String[n];
        for (int i = 0; i < n; i++) {
            alpn[i] = String.format("proto-%05d-", i) + "x".repeat(188);
        }
        return List.of(alpn);
    }

    /** The handshake-layer bytes (type, length, body) of a stream of handshake records: what QUIC CRYPTO frames carry. */
    public static byte[] handshakeMessage(byte[] records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int p = 0; p < records.length; ) {
            int len = (records[p + 3] & 0xff) << 8 | records[p + 4] & 0xff;
            if (records[p] != CONTENT_HANDSHAKE) {
                throw new IllegalArgumentException("record at " + p + " is not a handshake record");
            }
            out.write(records, p + 5, len);
            p += 5 + len;
        }
        return out.toByteArray();
    }

    /**
     * The same handshake bytes re-split into records carrying at most {@code fragmentSize} bytes
     * each (the record version of the first record is kept). {@code fragmentSize} 1 splits even
     * the 4-byte handshake header across records.
     */
    public static byte[] reframe(byte[] records, int fragmentSize) {
        if (fragmentSize < 1) {
            throw new IllegalArgumentException("fragmentSize must be positive");
        }
        byte[] hs = handshakeMessage(records);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int p = 0; p < hs.length; p += fragmentSize) {
            int n = Math.min(fragmentSize, hs.length - p);
            out.writeBytes(record(CONTENT_HANDSHAKE, records[1], records[2], Arrays.copyOfRange(hs, p, p + n)));
        }
        return out.toByteArray();
    }

    // ---- synthetic hellos ----

    /** One record with version 3.1 (what clients put on their first record). */
    public static byte[] record(int contentType, byte[] fragment) {
        return record(contentType, 3, 1, fragment);
    }

    public static byte[] record(int contentType, int major, int minor, byte[] fragment) {
        byte[] r = new byte[5 + fragment.length];
        r[0] = (byte) contentType;
        r[1] = (byte) major;
        r[2] = (byte) minor;
        r[3] = (byte) (fragment.length >>> 8);
        r[4] = (byte) fragment.length;
        System.arraycopy(fragment, 0, r, 5, fragment.length);
        return r;
    }

    /** A handshake message: msg_type, uint24 length, body. */
    public static byte[] handshake(int type, byte[] body) {
        byte[] m = new byte[4 + body.length];
        m[0] = (byte) type;
        m[1] = (byte) (body.length >>> 16);
        m[2] = (byte) (body.length >>> 8);
        m[3] = (byte) body.length;
        System.arraycopy(body, 0, m, 4, body.length);
        return m;
    }

    /**
     * A ClientHello body: version 3.3, zero random, empty session_id, one cipher suite, null
     * compression, then the extensions. {@code extensions} null = no extensions block at all
     * (an SSLv3/TLS 1.0-style hello); empty = an empty block.
     */
    public static byte[] clientHelloBody(byte[]... extensions) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(new byte[] {3, 3});
        b.writeBytes(new byte[32]);
        b.writeBytes(new byte[] {0, 0, 2, 0x13, 0x01, 1, 0});
        if (extensions != null) {
            byte[] ext = concat(extensions);
            b.writeBytes(u16(ext.length));
            b.writeBytes(ext);
        }
        return b.toByteArray();
    }

    /** A whole single-record ClientHello with these extensions (null = no extensions block). */
    public static byte[] synthetic(byte[]... extensions) {
        return record(CONTENT_HANDSHAKE, handshake(1, clientHelloBody(extensions)));
    }

    public static byte[] extension(int type, byte[] data) {
        return concat(u16(type), u16(data.length), data);
    }

    /** A server_name extension with one host_name entry per name, sent byte for byte (no checks). */
    public static byte[] serverName(String... hostNames) {
        byte[][] entries = new byte[hostNames.length][];
        for (int i = 0; i < hostNames.length; i++) {
            entries[i] = serverNameEntry(0, hostNames[i].getBytes(StandardCharsets.ISO_8859_1));
        }
        return serverNameList(entries);
    }

    /** A server_name extension from raw entries (see {@link #serverNameEntry}). */
    public static byte[] serverNameList(byte[]... entries) {
        byte[] list = concat(entries);
        return extension(EXT_SERVER_NAME, concat(u16(list.length), list));
    }

    public static byte[] serverNameEntry(int nameType, byte[] name) {
        return concat(new byte[] {(byte) nameType}, u16(name.length), name);
    }

    /** An encrypted_client_hello-shaped outer extension: type outer(0), a cipher suite, config id, enc, payload. */
    public static byte[] ech(int payloadLength) {
        byte[] payload = new byte[payloadLength];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 31 + 7);
        }
        byte[] enc = new byte[32];
        Arrays.fill(enc, (byte) 0x5a);
        return extension(EXT_ECH, concat(new byte[] {0, 0, 1, 0, 1, 42}, u16(enc.length), enc, u16(payload.length), payload));
    }

    public static byte[] alpn(String... protocols) {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        for (String p : protocols) {
            list.write(p.length());
            list.writeBytes(p.getBytes(StandardCharsets.ISO_8859_1)); // one byte per char, as the parser reads them
        }
        return extension(EXT_ALPN, concat(u16(list.size()), list.toByteArray()));
    }

    public static byte[] u16(int v) {
        return new byte[] {(byte) (v >>> 8), (byte) v};
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
