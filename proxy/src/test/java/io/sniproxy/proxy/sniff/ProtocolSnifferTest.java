package io.sniproxy.proxy.sniff;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sniproxy.proxy.testing.ClientHellos;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ProtocolSnifferTest {

    static SniffedProtocol sniff(byte[] bytes) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        SniffedProtocol p = ProtocolSniffer.sniff(buf);
        assertThat(buf.readerIndex()).isZero();
        return p;
    }

    static SniffedProtocol sniff(String s) {
        return sniff(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void tlsRecordHeaderIsTls() {
        assertThat(sniff(ClientHellos.tls13("a.example"))).isEqualTo(SniffedProtocol.TLS);
        assertThat(sniff(new byte[] {0x16, 0x03})).isEqualTo(SniffedProtocol.TLS);
        assertThat(sniff(new byte[] {0x16})).isEqualTo(SniffedProtocol.TLS);
        assertThat(sniff(new byte[] {0x16, 0x04})).isEqualTo(SniffedProtocol.OTHER);
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ", "PRI ",
        "GET / HTTP/1.1\r\n"})
    void knownMethodFollowedBySpaceIsHttp(String start) {
        assertThat(sniff(start)).isEqualTo(SniffedProtocol.HTTP);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "G", "GE", "GET", "P", "PO", "PU", "PAT", "OPTIONS", "CONNEC", "PRI"})
    void prefixOfAMethodNeedsMoreBytes(String start) {
        assertThat(sniff(start)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"SSH-2.0-OpenSSH_9.6\r\n", "S", "GETX", "get ", "GET\t", "\r\nGET ", "PROPFIND ", "\u0080\u0001"})
    void anythingElseIsOther(String start) {
        assertThat(sniff(start)).isEqualTo(SniffedProtocol.OTHER);
    }

    @Test
    void decidesOnTheReadableBytesOnly() {
        ByteBuf buf = Unpooled.buffer().writeBytes("xxGET ".getBytes(StandardCharsets.US_ASCII));
        buf.readerIndex(2);
        assertThat(ProtocolSniffer.sniff(buf)).isEqualTo(SniffedProtocol.HTTP);
        assertThat(buf.readerIndex()).isEqualTo(2);
    }
}
