package io.sniproxy.proxy.proxyprotocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sniproxy.proxy.sniff.ClientHelloParserPropertiesTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Fuzzing: no input makes the decoder throw, move indices or claim bytes it was not given. */
class ProxyHeaderParserPropertiesTest {

    static final List<byte[]> HEADERS = List.of(
            ProxyHeaders.v1("PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n"),
            ProxyHeaders.v1("PROXY TCP6 2001:db8::7 2001:db8::1 1 2\r\n"),
            ProxyHeaders.v1("PROXY UNKNOWN\r\n"),
            ProxyHeaders.v2Tcp4(new int[] {203, 0, 113, 9}, 40000, new int[] {10, 0, 0, 1}, 443,
                    ProxyHeaders.tlv(0x01, "h2".getBytes(StandardCharsets.US_ASCII)),
                    ProxyHeaders.tlv(0x20, new byte[] {7, 0, 0, 0, 0, 0x21, 0, 1, 'x'})),
            ProxyHeaders.v2(0x20, 0x00, new byte[0]),
            ProxyHeaders.v2(0x21, 0x21, new byte[36], ProxyHeaders.tlv(0xEA, new byte[40])));

    static ProxyHeaderResult parseChecked(byte[] bytes, int cap) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        ProxyHeaderResult r = ProxyHeaderParser.parse(buf, cap);
        assertThat(r).isNotNull();
        assertThat(buf.readerIndex()).isZero();
        assertThat(buf.writerIndex()).isEqualTo(bytes.length);
        if (r instanceof ProxyHeaderResult.Found f) {
            assertThat(f.consumed()).isPositive().isLessThanOrEqualTo(bytes.length);
            assertThat(f.version()).isBetween(1, 2);
            assertThat(f.source().isPresent()).isEqualTo(f.destination().isPresent());
        }
        if (r instanceof ProxyHeaderResult.Invalid i) {
            assertThat(i.reason()).isNotBlank().matches("[\\x20-\\x7e]+");
        }
        return r;
    }

    @Property(tries = 2000)
    void arbitraryBytesNeverThrow(@ForAll @Size(max = 600) byte[] bytes, @ForAll @IntRange(min = 0, max = 70000) int cap) {
        parseChecked(bytes, cap);
    }

    @Property(tries = 2000)
    void arbitraryBytesAfterTheSignatureNeverThrow(@ForAll @Size(max = 600) byte[] tail, @ForAll boolean v2) {
        byte[] prefix = v2 ? ProxyHeaders.SIGNATURE : "PROXY ".getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[prefix.length + tail.length];
        System.arraycopy(prefix, 0, b, 0, prefix.length);
        System.arraycopy(tail, 0, b, prefix.length, tail.length);
        parseChecked(b, 65536);
    }

    @Property(tries = 2000)
    void mutatedHeadersNeverThrow(@ForAll("mutations") byte[] mutated) {
        parseChecked(mutated, 65536);
    }

    @Property(tries = 500)
    void anySegmentationYieldsTheSameFoundAndTheClientsBytesAreNotTaken(@ForAll("headers") byte[] header,
            @ForAll @Size(max = 64) byte[] clientBytes, @ForAll long seed) {
        byte[] whole = new byte[header.length + clientBytes.length];
        System.arraycopy(header, 0, whole, 0, header.length);
        System.arraycopy(clientBytes, 0, whole, header.length, clientBytes.length);
        ProxyHeaderResult expected = parseChecked(whole, 65536);
        assertThat(expected).isInstanceOf(ProxyHeaderResult.Found.class);
        assertThat(((ProxyHeaderResult.Found) expected).consumed()).isEqualTo(header.length);
        Random rnd = new Random(seed);
        ByteBuf buf = Unpooled.buffer(whole.length);
        for (int off = 0; off < header.length; ) {
            assertThat(ProxyHeaderParser.parse(buf, 65536)).isSameAs(ProxyHeaderResult.NEED_MORE);
            int n = Math.min(header.length - off, 1 + rnd.nextInt(8));
            buf.writeBytes(header, off, n);
            off += n;
        }
        buf.writeBytes(clientBytes);
        assertThat(ProxyHeaderParser.parse(buf, 65536)).isEqualTo(expected);
    }

    @Provide
    Arbitrary<byte[]> headers() {
        return Arbitraries.of(HEADERS);
    }

    @Provide
    Arbitrary<byte[]> mutations() {
        return Combinators.combine(headers(), Arbitraries.longs(), Arbitraries.integers().between(1, 6))
                .as((h, seed, count) -> ClientHelloParserPropertiesTest.mutate(h, new Random(seed), count));
    }
}
