package io.sniproxy.proxy.sniff;

import static io.sniproxy.proxy.testing.ClientHellos.CONTENT_HANDSHAKE;
import static io.sniproxy.proxy.testing.ClientHellos.alpn;
import static io.sniproxy.proxy.testing.ClientHellos.concat;
import static io.sniproxy.proxy.testing.ClientHellos.extension;
import static io.sniproxy.proxy.testing.ClientHellos.handshake;
import static io.sniproxy.proxy.testing.ClientHellos.record;
import static io.sniproxy.proxy.testing.ClientHellos.serverName;
import static io.sniproxy.proxy.testing.ClientHellos.u16;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.sniproxy.proxy.testing.ClientHellos;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * JA4 against published fingerprints: hellos rebuilt from the ja4_r / ja4_ro strings published
 * with each fingerprint (cipher, extension and signature-algorithm code points in the order the
 * client sent them), GREASE added where browsers put it, must give the published JA4.
 */
class Ja4Test {

    static final int CAP = 65536;

    static String ja4(byte[] records) {
        return ClientHelloParser.ja4Records(Unpooled.wrappedBuffer(records), CAP).orElseThrow();
    }

    @Test
    void theJa4ReadmeExample() {
        // FoxIO JA4 README: JA4_r t13d1516h2_002f,0035,...,cca9_0005,000a,...,ff01_0403,0804,... →
        // t13d1516h2_8daaf6152771_e5627efa2ab1 (the order a client sends does not matter: shuffled here)
        List<Integer> ciphers = new ArrayList<>(List.of(0x002f, 0x0035, 0x009c, 0x009d, 0x1301, 0x1302, 0x1303,
                0xc013, 0xc014, 0xc02b, 0xc02c, 0xc02f, 0xc030, 0xcca8, 0xcca9));
        List<Integer> exts = new ArrayList<>(List.of(0x0000, 0x0010, 0x0005, 0x000a, 0x000b, 0x000d, 0x0012,
                0x0015, 0x0017, 0x001b, 0x0023, 0x002b, 0x002d, 0x0033, 0x4469, 0xff01));
        Collections.shuffle(ciphers, new Random(7));
        Collections.shuffle(exts, new Random(7));
        byte[] hello = hello(ciphers, exts, new int[] {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
                "h2", true);
        assertThat(ja4(hello)).isEqualTo("t13d1516h2_8daaf6152771_e5627efa2ab1");
    }

    @Test
    void aChrome143HelloAsPublishedByBrowserleaks() {
        // ja4_ro t13d1516h2_1301,...,0035_002d,0033,0010,fe0d,0017,44cd,0000,000b,000a,002b,ff01,0023,0012,0005,000d,001b_...
        // ja4   t13d1516h2_8daaf6152771_d8a2da3f94cd
        List<Integer> ciphers = List.of(0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
                0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035);
        List<Integer> exts = List.of(0x002d, 0x0033, 0x0010, 0xfe0d, 0x0017, 0x44cd, 0x0000, 0x000b, 0x000a,
                0x002b, 0xff01, 0x0023, 0x0012, 0x0005, 0x000d, 0x001b);
        byte[] hello = hello(ciphers, exts, new int[] {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601},
                "h2", true);
        assertThat(ja4(hello)).isEqualTo("t13d1516h2_8daaf6152771_d8a2da3f94cd");
    }

    @Test
    void aHelloWithTheRenegotiationScsvAsPublishedByShigshag() {
        // JA4_r t13d1011h2_00ff,1301,...,cca9_0005,000a,000b,000d,0017,0023,002b,002d,0033_0503,0403,0807,...
        List<Integer> ciphers = List.of(0x1302, 0x1303, 0x1301, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc02b, 0xc02f, 0x00ff);
        List<Integer> exts = List.of(0x0000, 0x000b, 0x000a, 0x0023, 0x0010, 0x0017, 0x000d, 0x002b, 0x002d,
                0x0033, 0x0005);
        byte[] hello = hello(ciphers, exts, new int[] {0x0503, 0x0403, 0x0807, 0x0806, 0x0805, 0x0804, 0x0601,
            0x0501, 0x0401}, "h2", false);
        assertThat(ja4(hello)).isEqualTo("t13d1011h2_61a7ad8aa9b6_3fcd1a44f3e3");
    }

    @Test
    void noSniNoAlpnTls12AndQuicChangeTheReadablePart() {
        byte[] tls12 = hello(List.of(0xc02f), List.of(0x000d), new int[] {0x0401}, null, false, false);
        assertThat(ja4(tls12)).startsWith("t12i0101" + "00_");
        byte[] quic = ClientHellos.handshakeMessage(hello(List.of(0x1301), List.of(0x0000, 0x0010, 0x002b),
                new int[0], "h3", false));
        assertThat(ClientHelloParser.ja4Handshake(Unpooled.wrappedBuffer(quic), CAP).orElseThrow())
                .startsWith("q13d0103h3_");
    }

    @Test
    void aNonAlphanumericAlpnIsShownByItsHexDigits() {
        byte[] hello = hello(List.of(0x1301), List.of(0x0000, 0x0010, 0x002b), new int[0], "\u00ab\u00cd", false);
        assertThat(ja4(hello)).startsWith("t13d0103ad_");
    }

    @Test
    void noSignatureAlgorithmsHashesTheExtensionsAloneAndNoCiphersAreTwelveZeros() {
        byte[] hello = hello(List.of(0x0a0a), List.of(0x0000, 0x0017), new int[0], null, false);
        // 0x0a0a is GREASE: no cipher is left; the extension hash is of "0017" alone
        assertThat(ja4(hello)).isEqualTo("t12d0002" + "00_000000000000_" + sha12("0017"));
    }

    @Test
    void aRealJdkHelloHasAFingerprintOfTheRightShapeAndTheAlpnItOffered() {
        byte[] hello = ClientHellos.real("a.example.com", new String[] {"TLSv1.3", "TLSv1.2"},
                new String[] {"h2", "http/1.1"});
        assertThat(ja4(hello)).matches("t13d\\d{4}h2_[0-9a-f]{12}_[0-9a-f]{12}");
        assertThat(ClientHelloParser.parseRecords(Unpooled.wrappedBuffer(hello), CAP))
                .isEqualTo(new SniffResult.Found(Optional.of("a.example.com"), hello.length, List.of("h2", "http/1.1")));
    }

    @Test
    void noFingerprintForWhatIsNotAHello() {
        assertThat(ClientHelloParser.ja4Records(Unpooled.wrappedBuffer(new byte[] {22, 3, 1}), CAP)).isEmpty();
        assertThat(ClientHelloParser.ja4Records(Unpooled.wrappedBuffer("GET /".getBytes()), CAP)).isEmpty();
    }

    static String sha12(String s) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes());
            return java.util.HexFormat.of().formatHex(d, 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] hello(List<Integer> ciphers, List<Integer> exts, int[] sigAlgs, String firstAlpn, boolean grease) {
        return hello(ciphers, exts, sigAlgs, firstAlpn, grease, true);
    }

    /**
     * A ClientHello with these cipher suites and extensions in this order, each extension with
     * plausible contents; {@code grease} adds GREASE values where Chrome puts them (first cipher,
     * first and last extension, first supported version and signature algorithm).
     */
    static byte[] hello(List<Integer> ciphers, List<Integer> exts, int[] sigAlgs, String firstAlpn, boolean grease,
            boolean tls13) {
        ByteArrayOutputStream suites = new ByteArrayOutputStream();
        if (grease) {
            suites.writeBytes(u16(0x3a3a));
        }
        ciphers.forEach(c -> suites.writeBytes(u16(c)));
        ByteArrayOutputStream ext = new ByteArrayOutputStream();
        if (grease) {
            ext.writeBytes(extension(0x8a8a, new byte[0]));
        }
        for (int type : exts) {
            ext.writeBytes(switch (type) {
                case 0x0000 -> serverName("ja4.example.com");
                case 0x0010 -> alpn(firstAlpn, "http/1.1");
                case 0x000d -> {
                    ByteArrayOutputStream s = new ByteArrayOutputStream();
                    if (grease) {
                        s.writeBytes(u16(0x5a5a));
                    }
                    for (int a : sigAlgs) {
                        s.writeBytes(u16(a));
                    }
                    yield extension(type, concat(u16(s.size()), s.toByteArray()));
                }
                case 0x002b -> {
                    byte[] v = tls13 ? concat(u16(0x7a7a), u16(0x0304), u16(0x0303)) : u16(0x0303);
                    yield extension(type, concat(new byte[] {(byte) v.length}, v));
                }
                default -> extension(type, new byte[type % 5]);
            });
        }
        if (grease) {
            ext.writeBytes(extension(0x2a2a, new byte[] {0}));
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {3, 3});
        body.writeBytes(new byte[32]);
        body.write(32);
        body.writeBytes(new byte[32]);
        body.writeBytes(u16(suites.size()));
        body.writeBytes(suites.toByteArray());
        body.writeBytes(new byte[] {1, 0});
        body.writeBytes(u16(ext.size()));
        body.writeBytes(ext.toByteArray());
        return record(CONTENT_HANDSHAKE, handshake(1, body.toByteArray()));
    }
}
