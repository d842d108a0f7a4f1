package io.sniproxy.proxy.proxyprotocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.sniproxy.proxy.proxyprotocol.ProxyHeaderGate.Decision;
import io.sniproxy.proxy.proxyprotocol.ProxyHeaderGate.Refusal;
import io.sniproxy.proxy.testing.ClientHellos;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ProxyHeaderGateTest {

    static final byte[] V1 = ProxyHeaders.v1("PROXY TCP4 192.0.2.7 198.51.100.1 56324 443\r\n");
    static final byte[] V2 = ProxyHeaders.v2Tcp4(new int[] {192, 0, 2, 7}, 56324, new int[] {198, 51, 100, 1}, 443);
    static final byte[] HELLO = ClientHellos.tls13("a.example.com");

    static Decision decide(byte[] b, boolean v1, boolean v2, boolean trusted) {
        return ProxyHeaderGate.decide(Unpooled.wrappedBuffer(b), v1, v2, trusted, 4096);
    }

    @Test
    void aTrustedPeersHeaderNamesTheClient() throws Exception {
        InetSocketAddress client = new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 56324);
        for (byte[] h : new byte[][] {V1, V2}) {
            Decision d = decide(ClientHellos.concat(h, HELLO), true, true, true);
            assertThat(d).isInstanceOf(ProxyHeaderGate.Pass.class);
            assertThat(((ProxyHeaderGate.Pass) d).client()).contains(client);
            assertThat(((ProxyHeaderGate.Pass) d).consumed()).isEqualTo(h.length);
        }
    }

    @Test
    void aTrustedPeerWithoutAHeaderOrWithAMalformedOrUnacceptedOneIsRefused() {
        assertThat(decide(HELLO, true, true, true)).isEqualTo(new ProxyHeaderGate.Refuse(Refusal.BAD_HEADER,
                "no PROXY header from a trusted proxy (the listener requires one)"));
        assertThat(refusal(decide(ProxyHeaders.v1("PROXY TCP4 1.2.3 4.5.6.7 1 2\r\n"), true, true, true)))
                .isEqualTo(Refusal.BAD_HEADER);
        assertThat(refusal(decide(V1, false, true, true))).isEqualTo(Refusal.BAD_HEADER);
        assertThat(refusal(decide(V2, true, false, true))).isEqualTo(Refusal.BAD_HEADER);
    }

    @Test
    void anUntrustedPeerConnectsDirectlyButItsHeaderIsRefused() {
        assertThat(decide(HELLO, true, true, false)).isSameAs(ProxyHeaderGate.DIRECT);
        assertThat(decide(ProxyHeaders.v1("GET / HTTP/1.1\r\n"), true, true, false)).isSameAs(ProxyHeaderGate.DIRECT);
        assertThat(refusal(decide(V1, true, true, false))).isEqualTo(Refusal.UNTRUSTED);
        assertThat(refusal(decide(V2, true, true, false))).isEqualTo(Refusal.UNTRUSTED);
        assertThat(refusal(decide(ProxyHeaders.v1("PROXY garbage\r\n"), true, true, false)))
                .isEqualTo(Refusal.UNTRUSTED);
    }

    @Test
    void partialHeadersWaitFromAnyPeer() {
        assertThat(decide(Arrays.copyOf(V2, 10), true, true, false)).isSameAs(ProxyHeaderGate.WAIT);
        assertThat(decide(Arrays.copyOf(V1, 10), true, true, true)).isSameAs(ProxyHeaderGate.WAIT);
        assertThat(decide(new byte[0], true, true, true)).isSameAs(ProxyHeaderGate.WAIT);
    }

    static Refusal refusal(Decision d) {
        assertThat(d).isInstanceOf(ProxyHeaderGate.Refuse.class);
        return ((ProxyHeaderGate.Refuse) d).refusal();
    }
}
