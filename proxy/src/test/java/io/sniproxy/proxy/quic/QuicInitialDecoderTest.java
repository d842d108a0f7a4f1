package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.InitialPackets.concat;
import static io.sniproxy.proxy.quic.InitialPackets.crypto;
import static io.sniproxy.proxy.quic.InitialPackets.seal;
import static io.sniproxy.proxy.quic.InitialPackets.vector;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.sniproxy.proxy.sniff.ClientHelloParser;
import io.sniproxy.proxy.sniff.SniffResult;
import io.sniproxy.proxy.testing.ClientHellos;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class QuicInitialDecoderTest {

    static final byte[] RFC_DCID = HexFormat.of().parseHex("8394c8f03e515708");
    static final byte[] RFC_HELLO = vector("rfc9001-a2-client-hello.hex");
    static final byte[] V1_PACKET = vector("rfc9001-a2-client-initial.hex");
    static final byte[] V2_PACKET = vector("rfc9369-a2-client-initial.hex");
    static final byte[] CID = HexFormat.of().parseHex("0011223344556677");

    @Test
    void initialKeysMatchRfc9001AppendixA1() {
        InitialKeys k = InitialKeys.derive(QuicVersion.V1, RFC_DCID);
        assertThat(HexFormat.of().formatHex(k.key())).isEqualTo("1f369613dd76d5467730efcbe3b1a22d");
        assertThat(HexFormat.of().formatHex(k.iv())).isEqualTo("fa044b2f42a3fd3b46fb255c");
        assertThat(HexFormat.of().formatHex(k.hp())).isEqualTo("9f50449e04a0e810283a1e9933adedd2");
    }

    @Test
    void initialKeysMatchRfc9369AppendixA1() {
        InitialKeys k = InitialKeys.derive(QuicVersion.V2, RFC_DCID);
        assertThat(HexFormat.of().formatHex(k.key())).isEqualTo("8b1a0bc121284290a29e0971b5cd045d");
        assertThat(HexFormat.of().formatHex(k.iv())).isEqualTo("91f73e2351d8fa91660e909f");
        assertThat(HexFormat.of().formatHex(k.hp())).isEqualTo("45b95e15235d6f45a6b19cbcb0294ba9");
    }

    @Test
    void rfc9001ClientInitialDecodesToTheExpectedClientHello() {
        assertDecodesToRfcHello(V1_PACKET, QuicVersion.V1);
    }

    @Test
    void rfc9369V2ClientInitialDecodesToTheExpectedClientHello() {
        assertDecodesToRfcHello(V2_PACKET, QuicVersion.V2);
    }

    private static void assertDecodesToRfcHello(byte[] packet, QuicVersion version) {
        assertThat(packet).hasSize(1200);
        CryptoReassembler crypto = new CryptoReassembler(65536);
        var result = new QuicInitialDecoder().decode(packet, packet.length, crypto);
        assertThat(result).isEqualTo(new QuicInitialDecoder.Decoded(1, version));
        assertThat(crypto.contiguous()).isEqualTo(RFC_HELLO.length);
        assertThat(Arrays.copyOf(crypto.buffer(), crypto.contiguous())).isEqualTo(RFC_HELLO);
        SniffResult hello = ClientHelloParser.parseHandshake(Unpooled.wrappedBuffer(crypto.buffer(), 0,
                crypto.contiguous()), 65536);
        // RFC 9001 A.2's hello offers the ALPN protocol "alpn"
        assertThat(hello).isEqualTo(new SniffResult.Found(Optional.of("example.com"), RFC_HELLO.length,
                java.util.List.of("alpn")));
    }

    @Test
    void theDecoderLeavesTheCallersBytesUntouched() {
        byte[] copy = V1_PACKET.clone();
        new QuicInitialDecoder().decode(copy, copy.length, new CryptoReassembler(65536));
        assertThat(copy).isEqualTo(V1_PACKET);
    }

    @Test
    void theTestSealerReproducesBothRfcPacketsByteForByte() {
        byte[] frame = crypto(RFC_HELLO, 0, RFC_HELLO.length);
        byte[] rfcFrame = concat(new byte[] {0x06, 0x00, 0x40, (byte) 0xf1}, RFC_HELLO);
        assertThat(frame).isEqualTo(rfcFrame);
        assertThat(seal(QuicVersion.V1, RFC_DCID, new byte[0], 2, rfcFrame, 1200)).isEqualTo(V1_PACKET);
        assertThat(seal(QuicVersion.V2, RFC_DCID, new byte[0], 2, rfcFrame, 1200)).isEqualTo(V2_PACKET);
    }

    @Test
    void aClientHelloOverTwoInitialsInScatteredOverlappingFramesIsReassembledInAnyOrder() {
        byte[] hello = ClientHellos.handshakeMessage(ClientHellos.large("pq.example.com", 1900));
        assertThat(hello.length).isGreaterThan(1900);
        // packet 1: [1000, 1500) then [0, 700); packet 2: [600, 1100) overlapping both, then [1450, end)
        byte[] p1 = seal(QuicVersion.V1, CID, new byte[0], 0,
                concat(crypto(hello, 1000, 1500), crypto(hello, 0, 700)), 1200);
        byte[] p2 = seal(QuicVersion.V1, CID, new byte[0], 1,
                concat(new byte[] {0x01}, crypto(hello, 600, 1100), crypto(hello, 1450, hello.length)), 1200);
        for (byte[][] order : new byte[][][] {{p1, p2}, {p2, p1}, {p2, p2, p1, p1}}) {
            CryptoReassembler crypto = new CryptoReassembler(65536);
            QuicInitialDecoder decoder = new QuicInitialDecoder();
            for (byte[] p : order) {
                assertThat(decoder.decode(p, p.length, crypto)).isInstanceOf(QuicInitialDecoder.Decoded.class);
            }
            assertThat(Arrays.copyOf(crypto.buffer(), crypto.contiguous())).isEqualTo(hello);
            assertThat(ClientHelloParser.parseHandshake(Unpooled.wrappedBuffer(crypto.buffer(), 0,
                    crypto.contiguous()), 65536)).usingRecursiveComparison().ignoringFields("alpn")
                    .isEqualTo(new SniffResult.Found(Optional.of("pq.example.com"), hello.length));
        }
    }

    @Test
    void coalescedInitialsAndATrailing0RttPacketAreWalkedByTheirLength() {
        byte[] first = seal(QuicVersion.V2, CID, new byte[] {9}, 0, crypto(RFC_HELLO, 0, 100), 0);
        byte[] second = seal(QuicVersion.V2, CID, new byte[] {9}, 1, crypto(RFC_HELLO, 100, RFC_HELLO.length), 0);
        // a 0-RTT long header (v2 type 0b10): keys unknown to the proxy, skipped by its Length
        byte[] zeroRtt = concat(new byte[] {(byte) 0xe0}, HexFormat.of().parseHex("6b3343cf"),
                new byte[] {8}, CID, new byte[] {1, 9}, new byte[] {0x40, 40}, new byte[40]);
        byte[] datagram = concat(first, second, zeroRtt);
        datagram = Arrays.copyOf(datagram, Math.max(datagram.length, 1200)); // trailing zeros: ignored padding
        CryptoReassembler crypto = new CryptoReassembler(65536);
        var result = new QuicInitialDecoder().decode(datagram, datagram.length, crypto);
        assertThat(result).isEqualTo(new QuicInitialDecoder.Decoded(2, QuicVersion.V2));
        assertThat(Arrays.copyOf(crypto.buffer(), crypto.contiguous())).isEqualTo(RFC_HELLO);
    }

    @Test
    void ackPingAndConnectionCloseFramesAreWalked() {
        byte[] ack = {0x03, 0x05, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00}; // ACK_ECN, one extra range
        byte[] close = {0x1c, 0x00, 0x00, 0x02, 'o', 'k'};
        byte[] p = seal(QuicVersion.V1, CID, new byte[0], 7, concat(ack, new byte[] {0x01},
                crypto(RFC_HELLO, 0, RFC_HELLO.length), close), 1200);
        CryptoReassembler crypto = new CryptoReassembler(65536);
        assertThat(new QuicInitialDecoder().decode(p, p.length, crypto))
                .isInstanceOf(QuicInitialDecoder.Decoded.class);
        assertThat(crypto.contiguous()).isEqualTo(RFC_HELLO.length);
    }

    @Test
    void everyKindOfUnusableDatagramIsDroppedWithItsReason() {
        byte[] tampered = V1_PACKET.clone();
        tampered[600] ^= 1;
        byte[] unknownVersion = V1_PACKET.clone();
        unknownVersion[4] = 0x1d; // 0x0000001d
        byte[] negotiation = V1_PACKET.clone();
        negotiation[4] = 0;
        byte[] handshake = V1_PACKET.clone();
        handshake[0] = (byte) 0xe0; // v1 type 0b10 = Handshake
        byte[] shortHeader = new byte[1200];
        shortHeader[0] = 0x40;
        byte[] stream = seal(QuicVersion.V1, CID, new byte[0], 0, new byte[] {0x08, 0x00, 0x01, 'x'}, 1200);
        byte[] truncatedCrypto = seal(QuicVersion.V1, CID, new byte[0], 0, new byte[] {0x06, 0x00, 0x7f}, 0);
        truncatedCrypto = Arrays.copyOf(truncatedCrypto, Math.max(truncatedCrypto.length, 1200));
        byte[] longCid = V1_PACKET.clone();
        longCid[5] = 21;

        assertDropped(tampered, DropReason.UNDECRYPTABLE);
        assertDropped(seal(QuicVersion.V1, CID, new byte[0], 0, crypto(RFC_HELLO, 0, RFC_HELLO.length), 1199),
                DropReason.TOO_SMALL);
        assertDropped(Arrays.copyOf(V1_PACKET, 1199), DropReason.MALFORMED); // its Length runs past the end
        assertDropped(unknownVersion, DropReason.UNSUPPORTED_VERSION);
        assertDropped(negotiation, DropReason.UNSUPPORTED_VERSION);
        assertDropped(handshake, DropReason.NOT_INITIAL);
        assertDropped(shortHeader, DropReason.NOT_INITIAL);
        assertDropped(stream, DropReason.BAD_FRAMES);
        assertDropped(longCid, DropReason.MALFORMED);
        assertDropped(new byte[] {(byte) 0xc0, 0, 0}, DropReason.MALFORMED);
        assertDropped(new byte[0], DropReason.NOT_INITIAL);
        assertDropped(Arrays.copyOf(V1_PACKET, 40), DropReason.MALFORMED);
    }

    @Test
    void aClientHelloBeyondTheCapIsABadHelloNotAnAllocation() {
        byte[] p = seal(QuicVersion.V1, CID, new byte[0], 0,
                concat(new byte[] {0x06}, InitialPackets.varint(1 << 20), new byte[] {0x05}, new byte[5]), 1200);
        CryptoReassembler crypto = new CryptoReassembler(4096);
        var result = new QuicInitialDecoder().decode(p, p.length, crypto);
        assertThat(result).isInstanceOf(QuicInitialDecoder.Dropped.class);
        assertThat(((QuicInitialDecoder.Dropped) result).reason()).isEqualTo(DropReason.BAD_HELLO);
        assertThat(crypto.capacity()).isZero();
    }

    private static void assertDropped(byte[] datagram, DropReason reason) {
        CryptoReassembler crypto = new CryptoReassembler(65536);
        var result = new QuicInitialDecoder().decode(datagram, datagram.length, crypto);
        assertThat(result).isInstanceOf(QuicInitialDecoder.Dropped.class);
        assertThat(((QuicInitialDecoder.Dropped) result).reason()).as("%s", result).isEqualTo(reason);
        assertThat(crypto.contiguous()).isZero();
    }
}
