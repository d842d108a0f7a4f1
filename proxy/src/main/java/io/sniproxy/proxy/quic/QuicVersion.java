package io.sniproxy.proxy.quic;

import java.util.HexFormat;

/**
 * The QUIC versions whose Initial packets the proxy can open: each has its own Initial salt, HKDF
 * labels and long-header type numbering (RFC 9001 §5.2, RFC 9369 §3). A packet of any other version
 * would make a real server answer with Version Negotiation; the proxy cannot read it and drops it.
 */
public enum QuicVersion {

    V1(0x00000001, "38762cf7f55934b34d179ae6a4c80cadccbb7f0a", "quic key", "quic iv", "quic hp", 0),
    V2(0x6b3343cf, "0dede3def700a6db819381be6e269dcbf9bd2ed9", "quicv2 key", "quicv2 iv", "quicv2 hp", 1);

    private final int wire;
    private final byte[] salt;
    final String keyLabel;
    final String ivLabel;
    final String hpLabel;
    private final int initialType;

    QuicVersion(int wire, String saltHex, String keyLabel, String ivLabel, String hpLabel, int initialType) {
        this.wire = wire;
        this.salt = HexFormat.of().parseHex(saltHex);
        this.keyLabel = keyLabel;
        this.ivLabel = ivLabel;
        this.hpLabel = hpLabel;
        this.initialType = initialType;
    }

    /** The version field as sent on the wire. */
    public int wire() {
        return wire;
    }

    byte[] salt() {
        return salt.clone();
    }

    /** The two long-header type bits that mean Initial (v1: 0b00, v2: 0b01). */
    public int initialType() {
        return initialType;
    }

    /** Retry is the one long-header type without a Length field (v1: 0b11, v2: 0b00). */
    public int retryType() {
        return this == V1 ? 3 : 0;
    }

    /** The version for a wire value, or null when the proxy does not speak it. */
    public static QuicVersion of(int wire) {
        for (QuicVersion v : values()) {
            if (v.wire == wire) {
                return v;
            }
        }
        return null;
    }
}
