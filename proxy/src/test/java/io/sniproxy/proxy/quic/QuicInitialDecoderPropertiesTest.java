package io.sniproxy.proxy.quic;

import static io.sniproxy.proxy.quic.InitialPackets.concat;
import static io.sniproxy.proxy.quic.InitialPackets.crypto;
import static io.sniproxy.proxy.quic.InitialPackets.seal;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.sniproxy.proxy.sniff.ClientHelloParser;
import io.sniproxy.proxy.sniff.SniffResult;
import io.sniproxy.proxy.testing.ClientHellos;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Fuzzing the Initial decoder: no datagram makes it throw, memory stays within the reassembler's
 * cap, and a ClientHello cut into any overlapping fragments over several packets, delivered in any
 * order with duplicates, is rebuilt exactly.
 */
class QuicInitialDecoderPropertiesTest {

    static final int CAP = 8192;
    static final byte[] V1 = InitialPackets.vector("rfc9001-a2-client-initial.hex");
    static final byte[] V2 = InitialPackets.vector("rfc9369-a2-client-initial.hex");
    static final byte[] CID = {1, 2, 3, 4, 5, 6, 7, 8};

    static QuicInitialDecoder.Result decodeChecked(QuicInitialDecoder decoder, byte[] datagram,
            CryptoReassembler crypto) {
        byte[] before = datagram.clone();
        QuicInitialDecoder.Result r = decoder.decode(datagram, datagram.length, crypto);
        assertThat(r).isNotNull();
        assertThat(datagram).isEqualTo(before);
        assertThat(crypto.capacity()).isLessThanOrEqualTo(CAP);
        assertThat(crypto.contiguous()).isLessThanOrEqualTo(CAP);
        if (r instanceof QuicInitialDecoder.Dropped d) {
            assertThat(d.reason()).isNotNull();
            assertThat(d.detail()).isNotBlank();
        }
        return r;
    }

    @Property(tries = 2000)
    void anyBytesAreDecodedOrDroppedWithoutAnException(@ForAll @Size(max = 1500) byte[] datagram) {
        decodeChecked(new QuicInitialDecoder(), datagram, new CryptoReassembler(CAP));
    }

    @Property(tries = 1000)
    void aLongHeaderFollowedByAnythingIsDecodedOrDropped(@ForAll @IntRange(min = 0, max = 3) int type,
            @ForAll boolean v2, @ForAll @Size(max = 1400) byte[] rest) {
        byte[] head = v2 ? new byte[] {(byte) (0xc0 | type << 4), 0x6b, 0x33, 0x43, (byte) 0xcf}
                : new byte[] {(byte) (0xc0 | type << 4), 0, 0, 0, 1};
        decodeChecked(new QuicInitialDecoder(), concat(head, rest), new CryptoReassembler(CAP));
    }

    @Property(tries = 1000)
    void mutatedRfcPacketsAreDecodedOrDropped(@ForAll boolean v2, @ForAll long seed,
            @ForAll @IntRange(min = 1, max = 8) int mutations, @ForAll @IntRange(min = 0, max = 1300) int cut) {
        Random random = new Random(seed);
        byte[] packet = (v2 ? V2 : V1).clone();
        for (int i = 0; i < mutations; i++) {
            // mostly the header, where the lengths and IDs are
            int at = random.nextInt(4) == 0 ? random.nextInt(packet.length) : random.nextInt(40);
            packet[at] = (byte) random.nextInt(256);
        }
        if (cut < packet.length) {
            packet = Arrays.copyOf(packet, cut);
        }
        decodeChecked(new QuicInitialDecoder(), packet, new CryptoReassembler(CAP));
    }

    /** Random plaintext behind valid protection: the frame walker sees everything the AEAD lets through. */
    @Property(tries = 1000)
    void anyAuthenticatedPayloadIsWalkedWithoutAnException(@ForAll @Size(min = 1, max = 1100) byte[] frames,
            @ForAll boolean v2) {
        byte[] packet = seal(v2 ? QuicVersion.V2 : QuicVersion.V1, CID, new byte[0], 0, frames, 1200);
        decodeChecked(new QuicInitialDecoder(), packet, new CryptoReassembler(CAP));
    }

    @Property(tries = 300)
    void aHelloInOverlappingFragmentsOverSeveralPacketsInAnyOrderIsRebuiltExactly(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 4) int packets, @ForAll @IntRange(min = 200, max = 3000) int size) {
        Random random = new Random(seed);
        String name = "h" + Long.toHexString(seed & 0xffffff) + ".example.com";
        byte[] hello = ClientHellos.handshakeMessage(ClientHellos.large(name, size));
        // fragments covering the whole hello, each reaching a little back into the previous one
        List<byte[]> fragments = new ArrayList<>();
        for (int from = 0; from < hello.length; ) {
            int to = Math.min(hello.length, from + 1 + random.nextInt(400));
            int start = Math.max(0, from - random.nextInt(30));
            fragments.add(crypto(hello, start, to));
            from = to;
        }
        Collections.shuffle(fragments, random);
        List<List<byte[]>> perPacket = new ArrayList<>();
        for (int i = 0; i < packets; i++) {
            perPacket.add(new ArrayList<>());
        }
        fragments.forEach(f -> perPacket.get(random.nextInt(packets)).add(f));
        List<byte[]> datagrams = new ArrayList<>();
        long pn = 0;
        for (List<byte[]> frames : perPacket) {
            // frames beyond one packet's room spill into further packets of the same group
            List<byte[]> room = new ArrayList<>();
            int used = 0;
            for (byte[] f : frames) {
                if (used + f.length > 1100 && !room.isEmpty()) {
                    datagrams.add(seal(QuicVersion.V1, CID, new byte[0], pn++, concat(room.toArray(byte[][]::new)), 1200));
                    room.clear();
                    used = 0;
                }
                room.add(f);
                used += f.length;
            }
            if (!room.isEmpty()) {
                datagrams.add(seal(QuicVersion.V1, CID, new byte[0], pn++, concat(room.toArray(byte[][]::new)), 1200));
            }
        }
        if (random.nextBoolean()) {
            datagrams.add(datagrams.get(random.nextInt(datagrams.size()))); // a retransmission
        }
        Collections.shuffle(datagrams, random);

        QuicInitialDecoder decoder = new QuicInitialDecoder();
        CryptoReassembler crypto = new CryptoReassembler(CAP);
        for (byte[] d : datagrams) {
            assertThat(decodeChecked(decoder, d, crypto)).isInstanceOf(QuicInitialDecoder.Decoded.class);
        }
        assertThat(Arrays.copyOf(crypto.buffer(), crypto.contiguous())).isEqualTo(hello);
        assertThat(ClientHelloParser.parseHandshake(Unpooled.wrappedBuffer(crypto.buffer(), 0, crypto.contiguous()),
                CAP)).usingRecursiveComparison().ignoringFields("alpn")
                .isEqualTo(new SniffResult.Found(Optional.of(name), hello.length));
    }
}
