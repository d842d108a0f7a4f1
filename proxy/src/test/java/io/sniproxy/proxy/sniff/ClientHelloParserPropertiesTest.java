package io.sniproxy.proxy.sniff;

import static io.sniproxy.proxy.testing.ClientHellos.CONTENT_HANDSHAKE;
import static io.sniproxy.proxy.testing.ClientHellos.alpn;
import static io.sniproxy.proxy.testing.ClientHellos.ech;
import static io.sniproxy.proxy.testing.ClientHellos.handshake;
import static io.sniproxy.proxy.testing.ClientHellos.record;
import static io.sniproxy.proxy.testing.ClientHellos.serverName;
import static io.sniproxy.proxy.testing.ClientHellos.synthetic;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sniproxy.proxy.testing.ClientHellos;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.function.BiFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Fuzzing: no input makes the parser throw, move indices or claim bytes it was not given. */
public class ClientHelloParserPropertiesTest {

    static final int CAP = 65536;

    /** Hellos the mutations start from, with the name each one carries. */
    static final List<Sample> SAMPLES = List.of(
            new Sample(ClientHellos.tls13("www.example.com"), "www.example.com"),
            new Sample(ClientHellos.tls12("api.example.org"), "api.example.org"),
            new Sample(ClientHellos.reframe(ClientHellos.tls13("frag.example.net"), 7), "frag.example.net"),
            new Sample(ClientHellos.large("big.example.com", 2048), "big.example.com", ClientHellos.largeAlpn(2048)),
            new Sample(synthetic(alpn("h2"), serverName("public.example.com"), ech(300)), "public.example.com",
                    List.of("h2")),
            new Sample(ClientHellos.real("alpn.example.com", new String[] {"TLSv1.3"}, new String[] {"acme-tls/1"}),
                    "alpn.example.com", List.of("acme-tls/1")),
            new Sample(ClientHellos.noSni(), null));

    record Sample(byte[] bytes, String name, List<String> alpn) {
        Sample(byte[] bytes, String name) {
            this(bytes, name, List.of());
        }

        SniffResult expected() {
            return expected(bytes.length);
        }

        SniffResult expected(int consumed) {
            return new SniffResult.Found(Optional.ofNullable(name), consumed, alpn);
        }
    }

    static SniffResult parseChecked(BiFunction<ByteBuf, Integer, SniffResult> parser, byte[] bytes, int cap) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        SniffResult r = parser.apply(buf, cap);
        assertThat(r).isNotNull();
        assertThat(buf.readerIndex()).isZero();
        assertThat(buf.writerIndex()).isEqualTo(bytes.length);
        if (r instanceof SniffResult.Found f) {
            assertThat(f.consumed()).isPositive().isLessThanOrEqualTo(bytes.length).isLessThanOrEqualTo(cap);
            f.hostname().ifPresent(h -> assertThat(h).matches("[a-z0-9._-]{1,253}"));
        }
        if (r instanceof SniffResult.Invalid i) {
            assertThat(i.reason()).isNotBlank().matches("[\\x20-\\x7e]+");
        }
        return r;
    }

    static SniffResult records(byte[] bytes, int cap) {
        return parseChecked(ClientHelloParser::parseRecords, bytes, cap);
    }

    @Property(tries = 1000)
    void arbitraryBytesNeverThrow(@ForAll @Size(max = 4096) byte[] bytes, @ForAll @IntRange(min = 0, max = CAP) int cap) {
        records(bytes, cap);
        parseChecked(ClientHelloParser::parseHandshake, bytes, cap);
    }

    @Property(tries = 1000)
    void arbitraryHandshakeBodiesInAValidRecordNeverThrow(@ForAll @Size(max = 2048) byte[] body) {
        // past the record and handshake headers, so the fuzz reaches the body walk
        records(record(CONTENT_HANDSHAKE, handshake(1, body)), CAP);
    }

    @Property(tries = 1000)
    void mutatedRealHellosNeverThrow(@ForAll("mutations") byte[] mutated, @ForAll @IntRange(min = 64, max = CAP) int cap) {
        records(mutated, cap);
        if (mutated.length > 5) {
            byte[] bare = java.util.Arrays.copyOfRange(mutated, 5, mutated.length);
            parseChecked(ClientHelloParser::parseHandshake, bare, cap);
        }
    }

    @Property(tries = 300)
    void anySegmentationOfAValidHelloYieldsTheSameFound(@ForAll("samples") Sample sample, @ForAll long seed) {
        Random rnd = new Random(seed);
        byte[] bytes = sample.bytes();
        ByteBuf buf = Unpooled.buffer(bytes.length);
        int max = 1 + rnd.nextInt(bytes.length);
        for (int off = 0; off < bytes.length; ) {
            int n = Math.min(bytes.length - off, 1 + rnd.nextInt(max));
            assertThat(ClientHelloParser.parseRecords(buf, CAP)).isSameAs(SniffResult.NEED_MORE);
            buf.writeBytes(bytes, off, n);
            off += n;
        }
        assertThat(ClientHelloParser.parseRecords(buf, CAP)).isEqualTo(sample.expected());
    }

    @Property(tries = 200)
    void anyRecordFragmentationYieldsTheSameName(@ForAll("samples") Sample sample, @ForAll @IntRange(min = 1, max = 700) int fragment) {
        byte[] reframed = ClientHellos.reframe(sample.bytes(), fragment);
        assertThat(records(reframed, CAP)).isEqualTo(sample.expected(reframed.length));
    }

    @Provide
    Arbitrary<Sample> samples() {
        return Arbitraries.of(SAMPLES);
    }

    @Provide
    Arbitrary<byte[]> mutations() {
        return Combinators.combine(samples(), Arbitraries.longs(), Arbitraries.integers().between(1, 8))
                .as((sample, seed, count) -> mutate(sample.bytes(), new Random(seed), count));
    }

    /** Bit flips, truncations, insertions, deletions and overwrites of length-like bytes. */
    public static byte[] mutate(byte[] original, Random rnd, int count) {
        byte[] b = original.clone();
        for (int i = 0; i < count && b.length > 0; i++) {
            int at = rnd.nextInt(b.length);
            switch (rnd.nextInt(5)) {
                case 0 -> b[at] ^= (byte) (1 << rnd.nextInt(8));
                case 1 -> b = java.util.Arrays.copyOf(b, at);
                case 2 -> {
                    byte[] ins = new byte[1 + rnd.nextInt(16)];
                    rnd.nextBytes(ins);
                    byte[] n = new byte[b.length + ins.length];
                    System.arraycopy(b, 0, n, 0, at);
                    System.arraycopy(ins, 0, n, at, ins.length);
                    System.arraycopy(b, at, n, at + ins.length, b.length - at);
                    b = n;
                }
                case 3 -> {
                    int len = Math.min(b.length - at, 1 + rnd.nextInt(16));
                    byte[] n = new byte[b.length - len];
                    System.arraycopy(b, 0, n, 0, at);
                    System.arraycopy(b, at + len, n, at, b.length - at - len);
                    b = n;
                }
                default -> b[at] = (byte) (rnd.nextBoolean() ? 0xff : 0x00); // lengths at their extremes
            }
        }
        return b;
    }
}
