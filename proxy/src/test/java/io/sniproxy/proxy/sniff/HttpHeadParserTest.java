package io.sniproxy.proxy.sniff;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HttpHeadParserTest {

    static final int CAP = 8192;

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static SniffResult parse(String head) {
        return parse(ascii(head), CAP);
    }

    static SniffResult parse(byte[] bytes, int cap) {
        ByteBuf buf = Unpooled.wrappedBuffer(bytes);
        SniffResult r = HttpHeadParser.parse(buf, cap);
        assertThat(buf.readerIndex()).isZero();
        assertThat(buf.writerIndex()).isEqualTo(bytes.length);
        return r;
    }

    static void assertFound(String head, String host) {
        assertThat(parse(head)).isEqualTo(new SniffResult.Found(Optional.ofNullable(host), head.length()));
    }

    static void assertInvalid(String head, String reasonPart) {
        SniffResult r = parse(head);
        assertThat(r).isInstanceOf(SniffResult.Invalid.class);
        assertThat(((SniffResult.Invalid) r).reason()).contains(reasonPart);
    }

    @Test
    void hostHeaderIsTheName() {
        assertFound("GET / HTTP/1.1\r\nHost: www.example.com\r\nAccept: */*\r\n\r\n", "www.example.com");
    }

    @Test
    void everyPrefixNeedsMoreBytesAndTheHeadEndsAtTheEmptyLine() {
        String head = "POST /submit?q=1 HTTP/1.1\r\nHost: api.example.com\r\nContent-Length: 5\r\n\r\n";
        byte[] bytes = ascii(head + "hello");
        ByteBuf buf = Unpooled.buffer();
        for (int i = 0; i < head.length(); i++) {
            assertThat(HttpHeadParser.parse(buf, CAP)).as("prefix %d", i).isSameAs(SniffResult.NEED_MORE);
            buf.writeByte(bytes[i]);
        }
        SniffResult expected = new SniffResult.Found(Optional.of("api.example.com"), head.length());
        assertThat(HttpHeadParser.parse(buf, CAP)).isEqualTo(expected);
        buf.writeBytes(bytes, head.length(), 5);
        assertThat(HttpHeadParser.parse(buf, CAP)).as("the body is not part of the head").isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "host: a.example           | a.example",
        "HOST:a.example            | a.example",
        "Host:   a.example  \t     | a.example",
        "Host: A.Example.COM       | a.example.com",
        "Host: a.example:8080      | a.example",
        "Host: a.example.          | a.example",
        "Host: a.example.:443      | a.example",
        "Host: [::1]:8080          | ::1",
        "Host: [2001:DB8::1]       | 2001:db8::1",
        "Host: 192.0.2.1:80        | 192.0.2.1",
        "Host: a.example:          | a.example",
    })
    void hostHeaderIsNormalised(String header, String host) {
        assertFound("GET / HTTP/1.1\r\n" + header + "\r\n\r\n", host);
    }

    @Test
    void optionalWhitespaceAroundTheHostValueIsIgnored() {
        assertFound("GET / HTTP/1.1\r\nHost:\t a.example \t\r\n\r\n", "a.example");
    }

    @Test
    void bareLineFeedsAreTolerated() {
        assertFound("GET / HTTP/1.1\nHost: a.example\nX: y\n\n", "a.example");
        assertFound("GET / HTTP/1.0\r\nHost: a.example\n\r\n", "a.example");
    }

    @Test
    void emptyLinesBeforeTheRequestLineAreIgnored() {
        assertFound("\r\n\r\nGET / HTTP/1.1\r\nHost: a.example\r\n\r\n", "a.example");
    }

    @Test
    void absoluteFormTargetWinsOverTheHostHeader() {
        assertFound("GET http://Target.Example:8080/path?x HTTP/1.1\r\nHost: other.example\r\n\r\n", "target.example");
        assertFound("GET https://[::1]/ HTTP/1.1\r\n\r\n", "::1");
        assertFound("GET http://a.example HTTP/1.1\r\n\r\n", "a.example");
        assertFound("GET http://a.example?q HTTP/1.1\r\n\r\n", "a.example");
    }

    @Test
    void connectTargetIsTheAuthority() {
        assertFound("CONNECT tunnel.example:443 HTTP/1.1\r\nHost: other.example:443\r\n\r\n", "tunnel.example");
    }

    @Test
    void asteriskFormUsesTheHostHeader() {
        assertFound("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n", "a.example");
    }

    @Test
    void noHostHeaderIsCompleteWithoutAName() {
        assertFound("GET / HTTP/1.0\r\n\r\n", null);
        assertFound("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n", null);
        assertFound("GET / HTTP/1.1\r\nHost:\r\n\r\n", null);
    }

    @Test
    void repeatedIdenticalHostHeadersAreTolerated() {
        assertFound("GET / HTTP/1.1\r\nHost: a.example\r\nhost: A.EXAMPLE\r\n\r\n", "a.example");
    }

    @Test
    void twoDifferentHostHeadersAreInvalid() {
        assertInvalid("GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", "two Host headers");
        assertInvalid("GET / HTTP/1.1\r\nHost: a.example\r\nHost: a.example:80\r\n\r\n", "two Host headers");
    }

    @Test
    void obsFoldIsInvalid() {
        assertInvalid("GET / HTTP/1.1\r\nHost: a.example\r\nX-Long: a\r\n b\r\n\r\n", "obsolete line folding");
        assertInvalid("GET / HTTP/1.1\r\n Host: a.example\r\n\r\n", "obsolete line folding");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET /\r\n\r\n",                          // HTTP/0.9
        "GET / HTTP/1.2\r\n\r\n",
        "GET / http/1.1\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",                // two spaces
        "GET / HTTP/1.1 \r\n\r\n",
        "GET /a b HTTP/1.1\r\n\r\n",
        "GET HTTP/1.1\r\n\r\n",
        "GET /\rx HTTP/1.1\r\n\r\n",              // bare CR
        "GET foo HTTP/1.1\r\n\r\n",               // neither origin, absolute nor asterisk form
        "GET 1http://a/ HTTP/1.1\r\n\r\n",        // bad scheme
    })
    void malformedRequestLinesAreInvalid(String head) {
        assertInvalid(head, "malformed request");
    }

    @Test
    void http2PriorKnowledgeIsInvalidWithAClearReason() {
        assertInvalid("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "HTTP/2 prior-knowledge");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "Host: a example          | Host hostname contains a space",
        "Host: *.example          | Host hostname contains '*'",
        "Host: a.example:http     | Host has an invalid port",
        "Host: a.example:123456   | Host has an invalid port",
        "Host: user@a.example     | Host hostname contains '@'",
        "Host: [::1               | unterminated IPv6 literal",
        "Host: [::1]x             | bytes after the IPv6 literal",
        "Host: [fe80::1%25eth0]   | invalid IPv6 literal",
        "Host: ::1                | Host",
        "Host: a..example         | empty label",
        "Host : a.example         | malformed header field line",
        "Host a.example           | malformed header field line",
        ": a.example              | malformed header field line",
    })
    void badHostHeadersAreInvalid(String header, String reason) {
        assertInvalid("GET / HTTP/1.1\r\n" + header + "\r\n\r\n", reason);
    }

    @Test
    void controlCharactersInFieldValuesAreInvalid() {
        assertInvalid("GET / HTTP/1.1\r\nHost: a.example\r\nX: a\u0000b\r\n\r\n", "control character 0x00");
        assertInvalid("GET / HTTP/1.1\r\nHost: a.ex\rample\r\n\r\n", "control character 0x0d");
        assertInvalid("GET / HTTP/1.1\r\nHost: caf\u00e9.example\r\n\r\n", "non-ASCII byte 0xe9");
    }

    @Test
    void badAbsoluteFormAuthoritiesAreInvalid() {
        assertInvalid("GET http:///path HTTP/1.1\r\nHost: a.example\r\n\r\n", "empty host");
        assertInvalid("GET http://user:pw@a.example/ HTTP/1.1\r\n\r\n", "userinfo");
        assertInvalid("GET http://a_b!.example/ HTTP/1.1\r\n\r\n", "request target hostname contains '!'");
    }

    @Test
    void headLargerThanTheCapIsInvalid() {
        String head = "GET / HTTP/1.1\r\nHost: a.example\r\nX-Pad: " + "p".repeat(200) + "\r\n\r\n";
        assertThat(parse(ascii(head), head.length())).isInstanceOf(SniffResult.Found.class);
        assertThat(parse(ascii(head), head.length() - 1)).isEqualTo(new SniffResult.Invalid("request head larger than " + (head.length() - 1) + " bytes"));
        // a stream that never ends its head is refused at the cap, not held forever
        assertThat(parse(ascii(head.substring(0, 100)), 100)).isInstanceOf(SniffResult.Invalid.class);
        assertThat(parse(ascii(head.substring(0, 99)), 100)).isSameAs(SniffResult.NEED_MORE);
    }

    @Test
    void nonHttpBytesAreInvalidImmediately() {
        assertThat(parse(new byte[] {0x16}, CAP)).isInstanceOf(SniffResult.Invalid.class);
        assertThat(parse(ascii("SSH-2.0-OpenSSH_9.6\r\n"), CAP)).isInstanceOf(SniffResult.Invalid.class);
        assertThat(parse(ascii(" GET"), CAP)).isInstanceOf(SniffResult.Invalid.class);
        assertThat(parse(ascii("G\u0000"), CAP)).isInstanceOf(SniffResult.Invalid.class);
        assertThat(parse(ascii("A".repeat(33)), CAP)).isEqualTo(new SniffResult.Invalid("HTTP method longer than 32 characters"));
        assertThat(parse(ascii("A".repeat(32)), CAP)).isSameAs(SniffResult.NEED_MORE);
    }

    @Test
    void customTokenMethodsAreAccepted() {
        assertFound("PROPFIND /dav HTTP/1.1\r\nHost: dav.example\r\n\r\n", "dav.example");
    }

    @Test
    void readerIndexIsWhereParsingStarts() {
        String head = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n";
        ByteBuf buf = Unpooled.buffer().writeBytes(ascii("xx" + head));
        buf.readerIndex(2);
        assertThat(HttpHeadParser.parse(buf, CAP)).isEqualTo(new SniffResult.Found(Optional.of("a.example"), head.length()));
        assertThat(buf.readerIndex()).isEqualTo(2);
    }
}
