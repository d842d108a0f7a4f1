package io.sniproxy.proxy.sniff;

import static io.sniproxy.proxy.testing.ClientHellos.alpn;
import static io.sniproxy.proxy.testing.ClientHellos.concat;
import static io.sniproxy.proxy.testing.ClientHellos.extension;
import static io.sniproxy.proxy.testing.ClientHellos.serverName;
import static io.sniproxy.proxy.testing.ClientHellos.synthetic;
import static io.sniproxy.proxy.testing.ClientHellos.u16;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.sniproxy.proxy.testing.ClientHellos;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The ALPN list a ClientHello offers (RFC 7301), exposed for routing and the access log. */
class ClientHelloAlpnTest {

    static SniffResult parse(byte[] b) {
        return ClientHelloParser.parseRecords(Unpooled.wrappedBuffer(b), 65536);
    }

    @Test
    void aRealAcmeChallengeHelloOffersAcmeTls1() {
        byte[] hello = ClientHellos.real("acme.example.com", new String[] {"TLSv1.3", "TLSv1.2"},
                new String[] {"acme-tls/1"});
        assertThat(parse(hello)).isEqualTo(new SniffResult.Found(Optional.of("acme.example.com"), hello.length,
                List.of("acme-tls/1")));
    }

    @Test
    void theOfferedOrderIsKeptAndAHelloWithoutAlpnOffersNone() {
        byte[] hello = synthetic(serverName("a.example.com"), alpn("h2", "http/1.1", "acme-tls/1"));
        assertThat(((SniffResult.Found) parse(hello)).alpn()).containsExactly("h2", "http/1.1", "acme-tls/1");
        assertThat(((SniffResult.Found) parse(ClientHellos.tls13("a.example.com"))).alpn()).isEmpty();
    }

    @Test
    void alpnIsReadWithoutAServerNameToo() {
        assertThat(parse(synthetic(alpn("h2")))).isEqualTo(new SniffResult.Found(Optional.empty(),
                synthetic(alpn("h2")).length, List.of("h2")));
    }

    @Test
    void aMalformedAlpnListIsInvalidNotIgnored() {
        byte[][] bad = {
            extension(ClientHellos.EXT_ALPN, new byte[0]),                          // no list length
            extension(ClientHellos.EXT_ALPN, u16(0)),                               // empty list
            extension(ClientHellos.EXT_ALPN, concat(u16(3), new byte[] {2, 'h', '2'}, new byte[] {1})), // trailing byte
            extension(ClientHellos.EXT_ALPN, concat(u16(3), new byte[] {5, 'h', '2'})), // name overruns
            extension(ClientHellos.EXT_ALPN, concat(u16(3), new byte[] {0, 'h', '2'})), // empty name
        };
        for (byte[] ext : bad) {
            assertThat(parse(synthetic(serverName("a.example.com"), ext))).isInstanceOf(SniffResult.Invalid.class);
        }
    }
}
