package io.sniproxy.proxy.quic;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The client's Initial packet protection keys, derived from the Destination Connection ID of its
 * first Initial (RFC 9001 §5.2): HKDF-Extract with the version's salt, HKDF-Expand-Label "client in",
 * then key/iv/hp with the version's labels (RFC 9369 §3.3.3 for v2). Anyone can derive them, which
 * is why a proxy may read the ClientHello without terminating the connection.
 *
 * <p>One instance per client session, used on one event loop only (JCA ciphers are not thread-safe).
 */
public final class InitialKeys {

    static final int KEY_LENGTH = 16;
    static final int IV_LENGTH = 12;
    static final int TAG_LENGTH = 16;
    static final int SAMPLE_LENGTH = 16;

    private final QuicVersion version;
    private final byte[] dcid;
    private final byte[] key;
    private final byte[] iv;
    private final byte[] hp;
    private final Cipher headerCipher;
    private final Cipher aead;
    private final SecretKeySpec aeadKey;

    private InitialKeys(QuicVersion version, byte[] dcid) throws GeneralSecurityException {
        this.version = version;
        this.dcid = dcid.clone();
        byte[] initialSecret = hmac(version.salt(), dcid);
        byte[] clientSecret = expandLabel(initialSecret, "client in", 32);
        this.key = expandLabel(clientSecret, version.keyLabel, KEY_LENGTH);
        this.iv = expandLabel(clientSecret, version.ivLabel, IV_LENGTH);
        this.hp = expandLabel(clientSecret, version.hpLabel, KEY_LENGTH);
        this.headerCipher = Cipher.getInstance("AES/ECB/NoPadding");
        this.headerCipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(hp, "AES"));
        this.aead = Cipher.getInstance("AES/GCM/NoPadding");
        this.aeadKey = new SecretKeySpec(key, "AES");
    }

    /** Derives the client Initial keys for {@code dcid}. */
    public static InitialKeys derive(QuicVersion version, byte[] dcid) {
        try {
            return new InitialKeys(version, dcid);
        } catch (GeneralSecurityException e) {
            // HmacSHA256, AES/ECB and AES/GCM are mandatory in every Java runtime.
            throw new IllegalStateException("JCA lacks a mandatory algorithm", e);
        }
    }

    /** True when these keys were derived for this version and connection ID. */
    boolean matches(QuicVersion v, byte[] buf, int dcidOffset, int dcidLength) {
        return v == version && java.util.Arrays.equals(dcid, 0, dcid.length, buf, dcidOffset, dcidOffset + dcidLength);
    }

    byte[] key() {
        return key.clone();
    }

    byte[] iv() {
        return iv.clone();
    }

    byte[] hp() {
        return hp.clone();
    }

    /** The 5-byte header protection mask for a 16-byte sample (RFC 9001 §5.4.3). */
    byte[] headerMask(byte[] buf, int sampleOffset) {
        try {
            byte[] out = new byte[SAMPLE_LENGTH];
            headerCipher.doFinal(buf, sampleOffset, SAMPLE_LENGTH, out, 0);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-ECB on one block failed", e);
        }
    }

    /**
     * Opens an AES-128-GCM payload: the unprotected header at {@code headerOffset} is the AAD,
     * {@code packetNumber} builds the nonce (RFC 9001 §5.3).
     *
     * @return the plaintext, or null when authentication fails (not these keys, or tampered)
     */
    byte[] open(byte[] buf, int headerOffset, int headerLength, long packetNumber, int payloadOffset,
            int payloadLength) {
        if (payloadLength < TAG_LENGTH) {
            return null;
        }
        try {
            aead.init(Cipher.DECRYPT_MODE, aeadKey, new GCMParameterSpec(TAG_LENGTH * 8, nonce(packetNumber)));
            aead.updateAAD(buf, headerOffset, headerLength);
            return aead.doFinal(buf, payloadOffset, payloadLength);
        } catch (GeneralSecurityException e) {
            return null; // AEADBadTagException: not these keys, or tampered
        }
    }

    byte[] nonce(long packetNumber) {
        byte[] nonce = iv.clone();
        for (int i = 0; i < 8; i++) {
            nonce[IV_LENGTH - 1 - i] ^= (byte) (packetNumber >>> (8 * i));
        }
        return nonce;
    }

    // ---- HKDF (RFC 5869) with TLS 1.3's HkdfLabel (RFC 8446 §7.1) on JCA HmacSHA256 --------------

    static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data);
    }

    /** HKDF-Expand-Label(secret, label, "", length) for length ≤ 32 (one HMAC block suffices). */
    static byte[] expandLabel(byte[] secret, String label, int length) throws GeneralSecurityException {
        byte[] full = ("tls13 " + label).getBytes(StandardCharsets.US_ASCII);
        byte[] info = new byte[2 + 1 + full.length + 1 + 1];
        info[0] = (byte) (length >>> 8);
        info[1] = (byte) length;
        info[2] = (byte) full.length;
        System.arraycopy(full, 0, info, 3, full.length);
        info[3 + full.length] = 0; // empty context
        info[4 + full.length] = 1; // HKDF-Expand counter T(1)
        byte[] t1 = hmac(secret, info);
        return java.util.Arrays.copyOf(t1, length);
    }
}
