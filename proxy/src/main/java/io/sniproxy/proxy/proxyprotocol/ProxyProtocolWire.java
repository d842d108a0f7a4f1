package io.sniproxy.proxy.proxyprotocol;

/**
 * The constants of HAProxy's PROXY protocol specification that the encoder and the decoder must
 * agree on (section numbers of haproxy/doc/proxy-protocol.txt).
 */
final class ProxyProtocolWire {

    /** §2.2: the 12-byte v2 signature; it cannot begin a TLS record, an HTTP request or a v1 line. */
    static final byte[] V2_SIGNATURE = {
        0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
    };
    /** §2.2: signature, version/command, family/transport, 2-byte length. */
    static final int V2_HEADER = 16;
    static final int V2_VERSION = 0x20;
    static final int V2_CMD_LOCAL = 0x00;
    static final int V2_CMD_PROXY = 0x01;
    static final int V2_AF_UNSPEC = 0x0;
    static final int V2_AF_INET = 0x1;
    static final int V2_AF_INET6 = 0x2;
    static final int V2_AF_UNIX = 0x3;
    static final int V2_TRANSPORT_STREAM = 0x1;
    static final int V2_TRANSPORT_DGRAM = 0x2;
    static final int V2_INET_ADDRESSES = 12;
    static final int V2_INET6_ADDRESSES = 36;
    static final int V2_UNIX_ADDRESSES = 216;
    /** §2.1: the longest v1 line, CRLF included ("PROXY UNKNOWN" + two full IPv6 addresses and ports). */
    static final int V1_MAX_LINE = 107;
    static final String V1_PREFIX = "PROXY ";

    private ProxyProtocolWire() {
    }
}
