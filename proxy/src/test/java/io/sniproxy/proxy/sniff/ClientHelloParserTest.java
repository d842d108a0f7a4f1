package io.sniproxy.proxy.sniff;

import static io.sniproxy.proxy.testing.ClientHellos.CONTENT_ALERT;
import static io.sniproxy.proxy.testing.ClientHellos.CONTENT_APPLICATION_DATA;
import static io.sniproxy.proxy.testing.ClientHellos.CONTENT_HANDSHAKE;
import static io.sniproxy.proxy.testing.ClientHellos.alpn;
import static io.sniproxy.proxy.testing.ClientHellos.clientHelloBody;
import static io.sniproxy.proxy.testing.ClientHellos.concat;
import static io.sniproxy.proxy.testing.ClientHellos.ech;
import static io.sniproxy.proxy.testing.ClientHellos.extension;
import static io.sniproxy.proxy.testing.ClientHellos.handshake;
import static io.sniproxy.proxy.testing.ClientHellos.record;
import static io.sniproxy.proxy.testing.ClientHellos.serverName;
import static io.sniproxy.proxy.testing.ClientHellos.serverNameEntry;
import static io.sniproxy.proxy.testing.ClientHellos.serverNameList;
import static io.sniproxy.proxy.testing.ClientHellos.synthetic;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sniproxy.proxy.testing.ClientHellos;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientHelloParserTest {

    static final int CAP = 65536;
    static final byte[] TLS13 = ClientHellos.tls13("www.example.com");
    static final byte[] TLS12 = ClientHellos.tls12("api.example.org");

    static SniffResult parse(byte[] bytes) {
        return parse(bytes, CAP);
    }

    static SniffResult parse(byte[] bytes, int cap) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        SniffResult r = ClientHelloParser.parseRecords(buf, cap);
        assertThat(buf.readerIndex()).isZero();
        assertThat(buf.writerIndex()).isEqualTo(bytes.length);
        return r;
    }

    static SniffResult found(String name, int consumed) {
        return new SniffResult.Found(Optional.ofNullable(name), consumed);
    }

    static void assertInvalid(SniffResult r, String reasonPart) {
        assertThat(r).isInstanceOf(SniffResult.Invalid.class);
        assertThat(((SniffResult.Invalid) r).reason()).contains(reasonPart);
    }

    /** Every strict prefix needs more bytes; the whole answers {@code expected}. */
    static void assertByteAtATime(byte[] bytes, SniffResult expected) {
        ByteBuf buf = Unpooled.buffer(bytes.length);
        for (byte b : bytes) {
            assertThat(ClientHelloParser.parseRecords(buf, CAP)).as("prefix of %d bytes", buf.readableBytes())
                    .isSameAs(SniffResult.NEED_MORE);
            buf.writeByte(b);
        }
        assertThat(ClientHelloParser.parseRecords(buf, CAP)).isEqualTo(expected);
    }

    // ---- real hellos from the JDK ----

    @Test
    void tls13HelloYieldsItsSniAndConsumesTheWholeRecord() {
        assertThat(parse(TLS13)).isEqualTo(found("www.example.com", TLS13.length));
    }

    @Test
    void tls12HelloYieldsItsSni() {
        assertThat(parse(TLS12)).isEqualTo(found("api.example.org", TLS12.length));
    }

    @Test
    void uppercaseSniIsNormalisedToLowerCase() {
        byte[] hello = ClientHellos.tls13("WWW.Example.COM");
        assertThat(parse(hello)).isEqualTo(found("www.example.com", hello.length));
    }

    @Test
    void helloWithoutServerNameIsCompleteWithoutAName() {
        byte[] hello = ClientHellos.noSni();
        assertThat(parse(hello)).isEqualTo(found(null, hello.length));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a.b.c.d.e.f.deep.example.org", "xn--bcher-kva.example", "my-host_1.internal", "x", "10.0.0.1"})
    void unusualButPlausibleNamesAreAccepted(String name) {
        byte[] hello = synthetic(serverName(name));
        assertThat(parse(hello)).isEqualTo(found(name, hello.length));
    }

    @Test
    void everyPrefixOfATls13HelloNeedsMoreBytes() {
        assertByteAtATime(TLS13, found("www.example.com", TLS13.length));
    }

    @Test
    void everyPrefixOfATls12HelloNeedsMoreBytes() {
        assertByteAtATime(TLS12, found("api.example.org", TLS12.length));
    }

    @Test
    void bytesAfterTheHelloAreNotConsumed() {
        byte[] stream = concat(TLS13, record(CONTENT_APPLICATION_DATA, new byte[] {1, 2, 3}));
        assertThat(parse(stream)).isEqualTo(found("www.example.com", TLS13.length));
    }

    @Test
    void readerIndexIsWhereParsingStartsAndIsNeverMoved() {
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes("junk".getBytes(StandardCharsets.US_ASCII)).writeBytes(TLS13).writeBytes(new byte[] {9, 9});
        buf.readerIndex(4);
        assertThat(ClientHelloParser.parseRecords(buf, CAP)).isEqualTo(found("www.example.com", TLS13.length));
        assertThat(buf.readerIndex()).isEqualTo(4);
        assertThat(buf.writerIndex()).isEqualTo(4 + TLS13.length + 2);
    }

    // ---- reassembly over records ----

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 7, 100, 512})
    void helloReframedIntoSmallRecordsYieldsTheSameName(int fragment) {
        for (byte[] hello : new byte[][] {TLS13, TLS12}) {
            byte[] reframed = ClientHellos.reframe(hello, fragment);
            String sni = hello == TLS13 ? "www.example.com" : "api.example.org";
            assertThat(parse(reframed)).as("fragments of %d", fragment).isEqualTo(found(sni, reframed.length));
        }
    }

    @Test
    void everyPrefixOfAHelloIn7ByteRecordsNeedsMoreBytes() {
        byte[] reframed = ClientHellos.reframe(TLS13, 7);
        assertByteAtATime(reframed, found("www.example.com", reframed.length));
    }

    @Test
    void largePostQuantumSizedHelloIsFound() {
        byte[] hello = ClientHellos.large("big.example.com", 2048);
        assertThat(hello.length).isGreaterThanOrEqualTo(2048);
        List<String> alpn = ClientHellos.largeAlpn(2048);
        assertThat(parse(hello)).isEqualTo(new SniffResult.Found(Optional.of("big.example.com"), hello.length, alpn));
        byte[] reframed = ClientHellos.reframe(hello, 7);
        assertThat(parse(reframed)).isEqualTo(new SniffResult.Found(Optional.of("big.example.com"), reframed.length,
                alpn));
    }

    @Test
    void helloLargerThanOneRecordIsReassembledFromTheJdksRecords() {
        byte[] hello = ClientHellos.large("huge.example.com", 20_000);
        assertThat(hello[0]).isEqualTo((byte) CONTENT_HANDSHAKE);
        int firstRecord = 5 + ((hello[3] & 0xff) << 8 | hello[4] & 0xff);
        assertThat(firstRecord).as("the JDK split it").isLessThan(hello.length);
        assertThat(parse(hello)).isEqualTo(new SniffResult.Found(Optional.of("huge.example.com"), hello.length,
                ClientHellos.largeAlpn(20_000)));
    }

    @Test
    void helloAboveTheCapIsInvalidAsSoonAsItsLengthIsKnown() {
        byte[] hello = ClientHellos.large("big.example.com", 5000);
        assertInvalid(parse(hello, 4096), "ClientHello larger than 4096 bytes");
        assertInvalid(parse(java.util.Arrays.copyOf(hello, 9), 4096), "ClientHello larger than 4096 bytes");
    }

    @Test
    void reframedHelloWhoseRecordsExceedTheCapIsInvalid() {
        byte[] reframed = ClientHellos.reframe(TLS13, 7);
        assertThat(parse(reframed, reframed.length)).isInstanceOf(SniffResult.Found.class);
        assertInvalid(parse(reframed, reframed.length - 1), "larger than");
    }

    @Test
    void alertBetweenFragmentsIsInvalid() {
        byte[] reframed = ClientHellos.reframe(TLS13, 100);
        byte[] stream = concat(java.util.Arrays.copyOf(reframed, 105), record(CONTENT_ALERT, new byte[] {2, 40}),
                java.util.Arrays.copyOfRange(reframed, 105, reframed.length));
        assertInvalid(parse(stream), "ClientHello interrupted by an alert record");
    }

    // ---- synthetic shapes ----

    @Test
    void helloWithoutExtensionsIsValidAndHasNoName() {
        byte[] hello = synthetic((byte[][]) null);
        assertThat(parse(hello)).isEqualTo(found(null, hello.length));
    }

    @Test
    void emptyExtensionsBlockHasNoName() {
        byte[] hello = synthetic();
        assertThat(parse(hello)).isEqualTo(found(null, hello.length));
    }

    @Test
    void echOuterHelloYieldsTheOuterSni() {
        byte[] hello = synthetic(alpn("h2"), serverName("public.example.com"), ech(200));
        assertThat(parse(hello)).isEqualTo(new SniffResult.Found(Optional.of("public.example.com"), hello.length,
                List.of("h2")));
    }

    @Test
    void trailingDotIsRemoved() {
        byte[] hello = synthetic(serverName("example.com."));
        assertThat(parse(hello)).isEqualTo(found("example.com", hello.length));
    }

    @Test
    void unknownNameTypesAreSkipped() {
        byte[] hello = synthetic(serverNameList(serverNameEntry(7, new byte[] {1, 2}), serverNameEntry(0, "a.example".getBytes())));
        assertThat(parse(hello)).isEqualTo(found("a.example", hello.length));
    }

    @ParameterizedTest
    @ValueSource(strings = {"*.example.com", "exa mple.com", "a\u0000b.com", "a\nb.com", "caf\u00e9.com", "", ".", "a..b", ".a", "a/b", "a:443"})
    void implausibleServerNamesAreInvalid(String name) {
        assertInvalid(parse(synthetic(serverName(name))), "SNI hostname");
    }

    @Test
    void serverNameLongerThan253IsInvalidAndLabelsAreAtMost63() {
        String label = "a".repeat(63);
        String ok = String.join(".", label, label, label, "a".repeat(61)); // 253
        byte[] hello = synthetic(serverName(ok));
        assertThat(parse(hello)).isEqualTo(found(ok, hello.length));
        assertInvalid(parse(synthetic(serverName(ok + "a"))), "longer than 253");
        assertInvalid(parse(synthetic(serverName("a".repeat(64) + ".com"))), "label longer than 63");
    }

    @Test
    void duplicateExtensionsAreInvalid() {
        assertInvalid(parse(synthetic(alpn("h2"), serverName("a.example"), alpn("http/1.1"))), "duplicate extension 0x0010");
        assertInvalid(parse(synthetic(serverName("a.example"), serverName("b.example"))), "duplicate extension 0x0000");
    }

    @Test
    void twoHostNamesInOneServerNameListAreInvalid() {
        assertInvalid(parse(synthetic(serverName("a.example", "b.example"))), "more than one host_name");
    }

    @Test
    void emptyServerNameExtensionIsInvalid() {
        assertInvalid(parse(synthetic(extension(0, new byte[0]))), "server_name extension is empty");
        assertInvalid(parse(synthetic(extension(0, new byte[] {0, 0}))), "server_name list length");
    }

    @Test
    void malformedBodyFieldsAreInvalid() {
        byte[] body = clientHelloBody(serverName("a.example"));
        byte[] b = body.clone();
        b[34] = 33; // session_id length
        assertInvalid(parse(record(CONTENT_HANDSHAKE, handshake(1, b))), "session_id longer than 32");
        b = body.clone();
        b[36] = 3; // odd cipher_suites length
        assertInvalid(parse(record(CONTENT_HANDSHAKE, handshake(1, b))), "cipher_suites length 3");
        b = body.clone();
        b[39] = 0; // no compression methods
        assertInvalid(parse(record(CONTENT_HANDSHAKE, handshake(1, b))), "no compression methods");
        b = body.clone();
        b[42]++; // extensions length one too long
        assertInvalid(parse(record(CONTENT_HANDSHAKE, handshake(1, b))), "extensions length");
        b = body.clone();
        b[0] = 2;
        assertInvalid(parse(record(CONTENT_HANDSHAKE, handshake(1, b))), "legacy_version");
        assertInvalid(parse(record(CONTENT_HANDSHAKE, handshake(1, java.util.Arrays.copyOf(body, 20)))), "truncated in random");
        assertInvalid(parse(record(CONTENT_HANDSHAKE, handshake(1, java.util.Arrays.copyOf(body, body.length - 1)))), "extensions length");
    }

    // ---- not a ClientHello at all ----

    @Test
    void wrongContentTypeIsInvalidOnTheFirstByte() {
        assertInvalid(parse(new byte[] {CONTENT_APPLICATION_DATA}), "not a TLS handshake: content type 23");
    }

    @Test
    void alertRecordIsInvalid() {
        assertInvalid(parse(record(CONTENT_ALERT, 3, 3, new byte[] {2, 40})), "not a TLS handshake: an alert record");
    }

    @Test
    void httpRequestIsInvalidOnTheFirstByte() {
        assertInvalid(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(StandardCharsets.US_ASCII)), "not a TLS handshake");
        assertInvalid(parse("G".getBytes(StandardCharsets.US_ASCII)), "not a TLS handshake");
    }

    @Test
    void nonClientHelloHandshakeIsInvalidOnItsTypeByte() {
        assertInvalid(parse(new byte[] {22, 3, 3, 0, 50, 2}), "type 2, not ClientHello");
    }

    @Test
    void badRecordHeadersAreInvalid() {
        assertInvalid(parse(new byte[] {22, 2}), "record version");
        assertInvalid(parse(new byte[] {22, 3, 1, 0, 0}), "record length 0");
        assertInvalid(parse(new byte[] {22, 3, 1, 0x48, 1}), "record length 18433");
    }

    @Test
    void truncatedGarbageInsideAWholeRecordIsInvalid() {
        assertInvalid(parse(record(CONTENT_HANDSHAKE, handshake(1, new byte[] {3, 3, 1, 2, 3}))), "truncated in random");
        // the handshake length claims less than the fields inside it need
        byte[] body = clientHelloBody(serverName("a.example"));
        byte[] hs = handshake(1, body);
        hs[3] -= 5;
        assertInvalid(parse(record(CONTENT_HANDSHAKE, hs)), "extensions length");
    }

    // ---- QUIC: the bare handshake message ----

    @Test
    void bareHandshakeMessageYieldsItsSni() {
        byte[] msg = ClientHellos.handshakeMessage(TLS13);
        assertThat(ClientHelloParser.parseHandshake(Unpooled.wrappedBuffer(msg), CAP)).isEqualTo(found("www.example.com", msg.length));
        ByteBuf buf = Unpooled.buffer();
        for (int i = 0; i < msg.length; i++) {
            assertThat(ClientHelloParser.parseHandshake(buf, CAP)).isSameAs(SniffResult.NEED_MORE);
            buf.writeByte(msg[i]);
        }
        assertThat(buf.readerIndex()).isZero();
    }

    @Test
    void bareHandshakeMessageAboveTheCapOrOfAnotherTypeIsInvalid() {
        byte[] msg = ClientHellos.handshakeMessage(TLS13);
        assertInvalid(ClientHelloParser.parseHandshake(Unpooled.wrappedBuffer(msg), msg.length - 1), "ClientHello larger than");
        assertInvalid(ClientHelloParser.parseHandshake(Unpooled.wrappedBuffer(new byte[] {2}), CAP), "type 2, not ClientHello");
        assertInvalid(ClientHelloParser.parseHandshake(Unpooled.wrappedBuffer(TLS13), CAP), "type 22, not ClientHello");
    }
}
