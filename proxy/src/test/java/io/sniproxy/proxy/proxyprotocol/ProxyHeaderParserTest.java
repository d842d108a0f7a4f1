package io.sniproxy.proxy.proxyprotocol;

import static io.sniproxy.proxy.proxyprotocol.ProxyHeaders.tlv;
import static io.sniproxy.proxy.proxyprotocol.ProxyHeaders.v1;
import static io.sniproxy.proxy.proxyprotocol.ProxyHeaders.v2;
import static io.sniproxy.proxy.proxyprotocol.ProxyHeaders.v2Tcp4;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.sniproxy.config.ProxyProtocol;
import io.sniproxy.proxy.testing.ClientHellos;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProxyHeaderParserTest {

    static final int CAP = 4096;

    static ProxyHeaderResult parse(byte[] b) {
        ByteBuf buf = Unpooled.wrappedBuffer(b);
        ProxyHeaderResult r = ProxyHeaderParser.parse(buf, CAP);
        assertThat(buf.readerIndex()).isZero();
        return r;
    }

    static InetSocketAddress at(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    static ProxyHeaderResult.Found found(int version, String src, int sport, String dst, int dport, int consumed,
            int tlvs) throws Exception {
        return new ProxyHeaderResult.Found(version, Optional.of(at(src, sport)), Optional.of(at(dst, dport)),
                consumed, tlvs);
    }

    @Test
    void v1Tcp4GivesTheClientAndTheBytesToDrop() throws Exception {
        byte[] h = v1("PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n");
        byte[] withHello = ClientHellos.concat(h, ClientHellos.tls13("a.example.com"));
        assertThat(parse(withHello)).isEqualTo(found(1, "192.0.2.7", 56324, "198.51.100.1", 443, h.length, 0));
    }

    @Test
    void v1Tcp6() throws Exception {
        byte[] h = v1("PROXY TCP6 2001:db8::7 2001:db8::1 65535 0\r\n");
        assertThat(parse(h)).isEqualTo(found(1, "2001:db8::7", 65535, "2001:db8::1", 0, h.length, 0));
    }

    @Test
    void v1UnknownKeepsTheConnectionsOwnAddresses() {
        byte[] h = v1("PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n");
        assertThat(parse(h)).isEqualTo(new ProxyHeaderResult.Found(1, Optional.empty(), Optional.empty(), h.length, 0));
        assertThat(parse(v1("PROXY UNKNOWN\r\n"))).isInstanceOf(ProxyHeaderResult.Found.class);
    }

    @Test
    void v1OfTheLongestLegalLengthIsRead() throws Exception {
        String a = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        byte[] h = v1("PROXY TCP6 " + a + " " + a + " 65535 65535\r\n");
        assertThat(h.length).isEqualTo(104);
        assertThat(parse(h)).isEqualTo(found(1, a, 65535, a, 65535, h.length, 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324\r\n",        // a field missing
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324 443 1\r\n",  // one too many
        "PROXY TCP4  192.0.2.7 198.51.100.1 56324 443\r\n",   // two spaces
        "PROXY TCP5 192.0.2.7 198.51.100.1 56324 443\r\n",    // no such protocol
        "PROXY TCP4 2001:db8::7 198.51.100.1 56324 443\r\n",  // family mismatch
        "PROXY TCP6 192.0.2.7 2001:db8::1 56324 443\r\n",
        "PROXY TCP4 192.0.2.256 198.51.100.1 56324 443\r\n",
        "PROXY TCP4 example.com 198.51.100.1 56324 443\r\n",  // never a DNS name
        "PROXY TCP4 192.0.2.7 198.51.100.1 65536 443\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 -1 443\r\n",
        "PROXY TCP4 192.0.2.7 198.51.100.1 0443 443\r\n",     // leading zero
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\rX",     // CR without LF
        "PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\n",      // LF alone: waits for CR, then too long
    })
    void malformedV1IsInvalid(String line) {
        byte[] b = v1(line);
        if (line.endsWith("443\n")) {
            b = ClientHellos.concat(b, new byte[120]); // no CR within 107 bytes
        }
        assertThat(parse(b)).isInstanceOf(ProxyHeaderResult.Invalid.class);
    }

    @Test
    void v1WithoutLineEndWithin107BytesIsInvalidAndShorterWaits() {
        byte[] line = v1("PROXY TCP4 " + "1".repeat(200));
        assertThat(parse(Arrays.copyOf(line, 106))).isSameAs(ProxyHeaderResult.NEED_MORE);
        assertThat(parse(Arrays.copyOf(line, 107))).isInstanceOf(ProxyHeaderResult.Invalid.class);
    }

    @Test
    void v1WithAControlByteIsRefusedWithoutWaitingForTheLineEnd() {
        assertThat(parse(v1("PROXY TCP4 \u0000"))).isInstanceOf(ProxyHeaderResult.Invalid.class);
    }

    @Test
    void v2Tcp4WithTlvsSkipsThemAndTakesTheWholeBlock() throws Exception {
        byte[] h = v2Tcp4(new int[] {203, 0, 113, 9}, 40000, new int[] {10, 0, 0, 1}, 443,
                tlv(0x01, "h2".getBytes(StandardCharsets.US_ASCII)),           // PP2_TYPE_ALPN
                tlv(0x20, new byte[] {0x07, 0, 0, 0, 0, 0x21, 0, 3, 'T', 'L', 'S'}), // PP2_TYPE_SSL with a sub-TLV
                tlv(0xEA, "vpce-0123456789abcdef".getBytes(StandardCharsets.US_ASCII)), // AWS VPC endpoint id
                tlv(0x04, new byte[0]));                                        // PP2_TYPE_NOOP, empty
        byte[] withHello = ClientHellos.concat(h, ClientHellos.tls13("a.example.com"));
        assertThat(parse(withHello)).isEqualTo(found(2, "203.0.113.9", 40000, "10.0.0.1", 443, h.length, 4));
    }

    @Test
    void v2Tcp6() throws Exception {
        byte[] a = new byte[36];
        byte[] src = InetAddress.getByName("2001:db8::9").getAddress();
        byte[] dst = InetAddress.getByName("2001:db8::1").getAddress();
        System.arraycopy(src, 0, a, 0, 16);
        System.arraycopy(dst, 0, a, 16, 16);
        a[32] = (byte) 0xff;
        a[33] = (byte) 0xfe;
        a[35] = 80;
        byte[] h = v2(0x21, 0x21, a);
        assertThat(parse(h)).isEqualTo(found(2, "2001:db8::9", 0xfffe, "2001:db8::1", 80, h.length, 0));
    }

    @Test
    void v2LocalUnspecAndUnixKeepTheConnectionsOwnAddresses() {
        byte[] local = v2(0x20, 0x11, new byte[12]);   // a balancer's own health check
        byte[] unspec = v2(0x21, 0x00, new byte[0]);
        byte[] unix = v2(0x21, 0x31, new byte[216]);
        for (byte[] h : new byte[][] {local, unspec, unix}) {
            assertThat(parse(h)).isEqualTo(new ProxyHeaderResult.Found(2, Optional.empty(), Optional.empty(), h.length, 0));
        }
    }

    @Test
    void malformedV2IsInvalid() {
        byte[] ok = v2Tcp4(new int[] {1, 2, 3, 4}, 1, new int[] {5, 6, 7, 8}, 2);
        byte[] version1 = ok.clone();
        version1[12] = 0x11;
        byte[] command2 = ok.clone();
        command2[12] = 0x22;
        byte[] family4 = ok.clone();
        family4[13] = 0x41;
        byte[] transport3 = ok.clone();
        transport3[13] = 0x13;
        byte[] shortAddresses = v2(0x21, 0x11, new byte[11]);
        byte[] tlvOverrun = v2(0x21, 0x11, new byte[12], new byte[] {0x01, 0x00, 0x05, 'h'});
        byte[] tlvCut = v2(0x21, 0x11, new byte[12], new byte[] {0x01, 0x00});
        for (byte[] b : new byte[][] {version1, command2, family4, transport3, shortAddresses, tlvOverrun, tlvCut}) {
            assertThat(parse(b)).as(Arrays.toString(b)).isInstanceOf(ProxyHeaderResult.Invalid.class);
        }
    }

    @Test
    void v2LargerThanTheCapIsInvalidBeforeItsBytesArrive() {
        byte[] h = v2(0x21, 0x11, new byte[12], tlv(0xE0, new byte[CAP]));
        assertThat(parse(Arrays.copyOf(h, 16))).isInstanceOf(ProxyHeaderResult.Invalid.class);
    }

    @Test
    void v2WrongVersionIsRefusedAsSoonAsItsByteArrives() {
        byte[] h = v2Tcp4(new int[] {1, 2, 3, 4}, 1, new int[] {5, 6, 7, 8}, 2);
        h[12] = 0x31;
        assertThat(parse(Arrays.copyOf(h, 13))).isInstanceOf(ProxyHeaderResult.Invalid.class);
    }

    @Test
    void everyPrefixOfAHeaderNeedsMore() {
        byte[][] headers = {
            v1("PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n"),
            v2Tcp4(new int[] {1, 2, 3, 4}, 1, new int[] {5, 6, 7, 8}, 2, tlv(1, new byte[] {'h', '2'})),
        };
        for (byte[] h : headers) {
            for (int n = 0; n < h.length; n++) {
                assertThat(parse(Arrays.copyOf(h, n))).as("prefix %d", n).isSameAs(ProxyHeaderResult.NEED_MORE);
            }
        }
    }

    @Test
    void aClientsOwnBytesAreAbsentAtTheFirstByteThatDiffers() {
        assertThat(parse(ClientHellos.tls13("a.example.com"))).isSameAs(ProxyHeaderResult.ABSENT);
        assertThat(parse(v1("GET / HTTP/1.1\r\n"))).isSameAs(ProxyHeaderResult.ABSENT);
        assertThat(parse(v1("PROXZ"))).isSameAs(ProxyHeaderResult.ABSENT);
        assertThat(parse(v1("P"))).isSameAs(ProxyHeaderResult.NEED_MORE);
        assertThat(parse(v1("SSH-2.0-OpenSSH_9.6\r\n"))).isSameAs(ProxyHeaderResult.ABSENT);
        assertThat(parse(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x01})).isSameAs(ProxyHeaderResult.ABSENT);
    }

    @Test
    void whatOurEncoderWritesOurParserReads() throws Exception {
        InetSocketAddress client = at("192.0.2.44", 51000);
        InetSocketAddress local = at("198.51.100.2", 8443);
        InetSocketAddress client6 = at("2001:db8::44", 51000);
        InetSocketAddress local6 = at("2001:db8::2", 8443);
        for (ProxyProtocol v : new ProxyProtocol[] {ProxyProtocol.V1, ProxyProtocol.V2}) {
            int version = v == ProxyProtocol.V1 ? 1 : 2;
            for (InetSocketAddress[] pair : new InetSocketAddress[][] {{client, local}, {client6, local6}}) {
                ByteBuf encoded = ProxyHeaderEncoder.encode(v, pair[0], pair[1], ByteBufAllocator.DEFAULT);
                try {
                    ProxyHeaderResult r = ProxyHeaderParser.parse(encoded, CAP);
                    assertThat(r).isEqualTo(new ProxyHeaderResult.Found(version, Optional.of(pair[0]),
                            Optional.of(pair[1]), encoded.readableBytes(), 0));
                } finally {
                    encoded.release();
                }
            }
        }
    }
}
