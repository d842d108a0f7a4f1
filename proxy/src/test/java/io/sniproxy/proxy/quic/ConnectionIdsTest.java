package io.sniproxy.proxy.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The connection IDs read in clear (RFC 9001 Appendix A packets), their index for short-header
 * lookups, and the per-session bookkeeping of the server's chosen IDs.
 */
class ConnectionIdsTest {

    static final HexFormat HEX = HexFormat.of();
    static final ConnectionId SERVER = ConnectionId.of(HEX.parseHex("f067a5502a4262b5"));

    static ByteBuf vector(String name) {
        return Unpooled.wrappedBuffer(InitialPackets.vector(name));
    }

    static ByteBuf shortHeader(String dcidHex, int payload) {
        byte[] dcid = HEX.parseHex(dcidHex);
        byte[] b = new byte[1 + dcid.length + payload];
        b[0] = 0x43;
        System.arraycopy(dcid, 0, b, 1, dcid.length);
        return Unpooled.wrappedBuffer(b);
    }

    @Test
    void theRfcClientInitialHasItsDcidAndAnEmptyScid() {
        ByteBuf initial = vector("rfc9001-a2-client-initial.hex");
        assertThat(QuicHeaders.longHeaderDcid(initial)).hasToString("8394c8f03e515708");
        assertThat(QuicHeaders.longHeaderScid(initial).length()).isZero();
        assertThat(QuicHeaders.isShortHeader(initial)).isFalse();
        assertThat(QuicHeaders.longHeaderDcid(vector("rfc9369-a2-client-initial.hex"))).hasToString("8394c8f03e515708");
    }

    @Test
    void theServerInitialAndTheRetryCarryTheServersChosenId() {
        assertThat(QuicHeaders.longHeaderScid(vector("rfc9001-a3-server-initial.hex"))).isEqualTo(SERVER);
        assertThat(QuicHeaders.longHeaderDcid(vector("rfc9001-a3-server-initial.hex")).length()).isZero();
        assertThat(QuicHeaders.longHeaderScid(vector("rfc9001-a4-retry.hex"))).isEqualTo(SERVER);
    }

    @Test
    void truncatedOversizedShortAndVersionNegotiationHeadersGiveNoId() {
        ByteBuf initial = vector("rfc9001-a3-server-initial.hex");
        assertThat(QuicHeaders.longHeaderScid(initial.slice(0, 14))).isNull(); // SCID cut short
        assertThat(QuicHeaders.longHeaderScid(initial.slice(0, 15))).isEqualTo(SERVER);
        assertThat(QuicHeaders.longHeaderDcid(Unpooled.wrappedBuffer(HEX.parseHex("c00000000115")))).isNull();
        assertThat(QuicHeaders.longHeaderDcid(Unpooled.wrappedBuffer(HEX.parseHex("c000000001")))).isNull();
        ByteBuf shortOne = shortHeader("f067a5502a4262b5", 20);
        assertThat(QuicHeaders.isShortHeader(shortOne)).isTrue();
        assertThat(QuicHeaders.longHeaderDcid(shortOne)).isNull();
        assertThat(QuicHeaders.longHeaderScid(shortOne)).isNull();
        ByteBuf versionNegotiation = Unpooled.wrappedBuffer(HEX.parseHex("80000000000408a1a2a3a400000001"));
        assertThat(QuicHeaders.longHeaderScid(versionNegotiation)).isNull();
        assertThat(QuicHeaders.isShortHeader(Unpooled.EMPTY_BUFFER)).isFalse();
    }

    @Test
    void aShortHeaderWhoseDcidStartsWithAnIndexedIdFindsItsOwnerWhateverFollows() {
        ConnectionIdIndex<String> index = new ConnectionIdIndex<>();
        assertThat(index.add(SERVER, "a")).isTrue();
        assertThat(index.add(ConnectionId.of(HEX.parseHex("0102")), "b")).isTrue();
        assertThat(index.find(shortHeader("f067a5502a4262b5", 30), 1)).isEqualTo(new ConnectionIdIndex.One<>("a"));
        assertThat(index.find(shortHeader("f067a5502a4262b5ffff", 30), 1)).isEqualTo(new ConnectionIdIndex.One<>("a"));
        assertThat(index.find(shortHeader("0102", 30), 1)).isEqualTo(new ConnectionIdIndex.One<>("b"));
        assertThat(index.find(shortHeader("f067a5502a4262b4", 30), 1)).isEqualTo(new ConnectionIdIndex.None<>());
        assertThat(index.find(shortHeader("f067a5", 0), 1)).isEqualTo(new ConnectionIdIndex.None<>()); // too short
        index.remove(SERVER, "a");
        assertThat(index.find(shortHeader("f067a5502a4262b5", 30), 1)).isEqualTo(new ConnectionIdIndex.None<>());
        assertThat(index.size()).isEqualTo(1);
    }

    @Test
    void anIdThatMatchesTwoSessionsIsAmbiguousAndAnIdHasABoundedNumberOfOwners() {
        ConnectionIdIndex<String> index = new ConnectionIdIndex<>();
        index.add(SERVER, "a");
        index.add(ConnectionId.of(HEX.parseHex("f067a5502a42")), "b"); // a shorter ID that is a prefix
        assertThat(index.find(shortHeader("f067a5502a4262b5", 30), 1)).isEqualTo(new ConnectionIdIndex.Ambiguous<>());
        ConnectionId shared = ConnectionId.of(HEX.parseHex("aabbccdd"));
        for (int i = 0; i < ConnectionIdIndex.MAX_OWNERS_PER_ID; i++) {
            assertThat(index.add(shared, "s" + i)).isTrue();
        }
        assertThat(index.add(shared, "one-too-many")).isFalse();
        assertThat(index.add(shared, "s0")).isFalse(); // already there
        assertThat(index.add(ConnectionId.of(new byte[0]), "empty")).isFalse();
        for (int i = 0; i < ConnectionIdIndex.MAX_OWNERS_PER_ID; i++) {
            index.remove(shared, "s" + i);
        }
        assertThat(index.find(shortHeader("aabbccdd", 30), 1)).isEqualTo(new ConnectionIdIndex.None<>());
        assertThat(index.size()).isEqualTo(2);
    }

    @Test
    void aSessionLearnsTheServersIdsFromBackendLongHeadersOnlyBoundedAndForgetsThemAtTheEnd() {
        ConnectionIdIndex<String> index = new ConnectionIdIndex<>();
        SessionConnectionIds<String> ids = new SessionConnectionIds<>(index, "a",
                vector("rfc9001-a2-client-initial.hex"));
        assertThat(ids.originalDcid()).hasToString("8394c8f03e515708");
        ids.learnFromBackend(vector("rfc9001-a4-retry.hex"));
        ids.learnFromBackend(vector("rfc9001-a3-server-initial.hex")); // the same ID again
        ids.learnFromBackend(shortHeader("0a0b0c0d", 40)); // a short header names the client's ID: ignored
        assertThat(ids.server()).containsExactly(SERVER);
        for (int i = 0; i < 10; i++) {
            byte[] packet = InitialPackets.vector("rfc9001-a3-server-initial.hex");
            packet[7] = (byte) i; // another 8-byte SCID
            ids.learnFromBackend(Unpooled.wrappedBuffer(packet));
        }
        assertThat(ids.server()).hasSize(SessionConnectionIds.MAX_SERVER_IDS);
        assertThat(index.size()).isEqualTo(SessionConnectionIds.MAX_SERVER_IDS);
        ids.forget();
        assertThat(index.size()).isZero();
        assertThat(index.find(shortHeader("f067a5502a4262b5", 30), 1)).isEqualTo(new ConnectionIdIndex.None<>());
    }
}
