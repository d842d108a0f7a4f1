package io.sniproxy.proxy.sniff;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Fuzzing the HTTP head parser and the protocol sniffer: no exception, indices untouched. */
class HttpHeadParserPropertiesTest {

    static final int CAP = 8192;
    static final List<String> HEADS = List.of(
            "GET / HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n",
            "POST /x HTTP/1.0\nhost:  A.Example.COM:8080 \ncontent-length: 0\n\n",
            "GET http://abs.example/p HTTP/1.1\r\nHost: other\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
            "CONNECT t.example:443 HTTP/1.1\r\n\r\n");
    static final byte[] SPECIALS = " \r\n:[]@./\t".getBytes(StandardCharsets.US_ASCII);
    static final List<String> NAMES = List.of("www.example.com", "a.example.com", "abs.example", "::1", "t.example");

    static SniffResult parseChecked(byte[] bytes, int cap) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        SniffResult r = HttpHeadParser.parse(buf, cap);
        SniffedProtocol p = ProtocolSniffer.sniff(buf);
        assertThat(r).isNotNull();
        assertThat(buf.readerIndex()).isZero();
        assertThat(buf.writerIndex()).isEqualTo(bytes.length);
        if (r instanceof SniffResult.Found f) {
            assertThat(f.consumed()).isPositive().isLessThanOrEqualTo(Math.min(bytes.length, cap));
            f.hostname().ifPresent(h -> assertThat(h).matches("[a-z0-9._:-]{1,253}"));
        }
        if (bytes.length >= 8) {
            assertThat(p).isNotNull();
        }
        return r;
    }

    @Property(tries = 1000)
    void arbitraryBytesNeverThrow(@ForAll @Size(max = 4096) byte[] bytes, @ForAll @IntRange(min = 0, max = CAP) int cap) {
        parseChecked(bytes, cap);
    }

    @Property(tries = 1500)
    void arbitraryHeadLikeTextNeverThrows(@ForAll("headLike") String text) {
        parseChecked(text.getBytes(StandardCharsets.ISO_8859_1), CAP);
    }

    @Property(tries = 1500)
    void mutatedValidHeadsNeverThrow(@ForAll @IntRange(min = 0, max = 4) int which, @ForAll long seed) {
        Random rnd = new Random(seed);
        byte[] b = HEADS.get(which).getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 1 + rnd.nextInt(4); i > 0 && b.length > 0; i--) {
            int at = rnd.nextInt(b.length);
            switch (rnd.nextInt(3)) {
                case 0 -> b[at] = (byte) rnd.nextInt(256);
                case 1 -> b = java.util.Arrays.copyOf(b, at);
                default -> b[at] = SPECIALS[rnd.nextInt(SPECIALS.length)];
            }
        }
        parseChecked(b, CAP);
    }

    @Property(tries = 300)
    void anySegmentationOfAValidHeadYieldsTheSameFound(@ForAll @IntRange(min = 0, max = 4) int which, @ForAll long seed) {
        Random rnd = new Random(seed);
        byte[] head = HEADS.get(which).getBytes(StandardCharsets.ISO_8859_1);
        ByteBuf buf = Unpooled.buffer();
        for (int off = 0; off < head.length; ) {
            int n = Math.min(head.length - off, 1 + rnd.nextInt(12));
            assertThat(HttpHeadParser.parse(buf, CAP)).isSameAs(SniffResult.NEED_MORE);
            buf.writeBytes(head, off, n);
            off += n;
        }
        assertThat(HttpHeadParser.parse(buf, CAP)).isEqualTo(new SniffResult.Found(Optional.of(NAMES.get(which)), head.length));
    }

    @Provide
    Arbitrary<String> headLike() {
        Arbitrary<String> token = Arbitraries.oneOf(
                Arbitraries.of("GET", "POST", "CONNECT", "Host", "host", "HTTP/1.1", "HTTP/1.0", "http://", "[::1]", ":8080",
                        "example.com", "/", "*", " ", "\t", ":", "\r\n", "\n", "\r", "@", "."),
                Arbitraries.strings().ofMaxLength(6));
        return token.list().ofMaxSize(60).map(l -> String.join("", l));
    }
}
