package io.sniproxy.proxy.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.RecordingServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Routing HTTP/1.x by its Host header: a real HTTP client and server, and the header's many forms. */
class HttpRoutingTest {

    static HttpServer web;
    static RecordingServer recorder;
    static RecordingServer v6recorder;
    static ProxyHarness proxy;

    @BeforeAll
    static void start() throws Exception {
        web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        web.createContext("/", ex -> {
            byte[] body = ("backend saw Host=" + ex.getRequestHeaders().getFirst("Host") + " path=" + ex.getRequestURI())
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        web.start();
        recorder = new RecordingServer(false);
        v6recorder = new RecordingServer(false);
        proxy = ProxyHarness.start("""
                listeners:
                  - name: http
                    address: 127.0.0.1:${port:http}
                    protocol: http
                routes:
                  - hostnames: [localhost, web.example.com]
                    backend: 127.0.0.1:%d
                  - hostnames: ["*.rec.example.com"]
                    backend: %s
                """.formatted(web.getAddress().getPort(), recorder.address()));
    }

    @AfterAll
    static void stop() throws Exception {
        proxy.close();
        web.stop(0);
        recorder.close();
        v6recorder.close();
    }

    @Test
    void realHttpClientIsRoutedByItsHostHeader() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + proxy.port("http") + "/hello?x=1")).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("backend saw Host=localhost:" + proxy.port("http") + " path=/hello?x=1");
        assertThat(proxy.outcome("http", "routed")).isPositive();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GET / HTTP/1.1\\r\\nHost: a.rec.example.com\\r\\n\\r\\n",
        "GET / HTTP/1.1\\r\\nhOsT:   A.REC.Example.com:8080  \\r\\n\\r\\n",
        "GET / HTTP/1.1\\r\\nHost: a.rec.example.com.\\r\\n\\r\\n",
        "GET http://deep.a.rec.example.com:81/path HTTP/1.1\\r\\nHost: ignored.example.com\\r\\n\\r\\n",
        "POST /x HTTP/1.0\\r\\nHost: b.rec.example.com\\r\\nContent-Length: 3\\r\\n\\r\\nabc",
    })
    void hostHeaderFormsAreRoutedAndTheRequestIsForwardedUnchanged(String escaped) throws Exception {
        byte[] request = unescape(escaped);
        int before = recorder.accepted();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("http"))) {
            s.getOutputStream().write(request);
            await().atMost(Duration.ofSeconds(5)).until(() -> recorder.accepted() > before
                    && last(recorder).received().length >= request.length);
        }
        assertThat(last(recorder).received()).isEqualTo(request);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "GET / HTTP/1.1\\r\\nHost: unknown.example.com\\r\\n\\r\\n|421",
        "GET / HTTP/1.1\\r\\nHost: rec.example.com\\r\\n\\r\\n|421",
        "GET / HTTP/1.1\\r\\nX: y\\r\\n\\r\\n|400",
        "GET / HTTP/1.1\\r\\nUser-Agent: x\\r\\nHost: [::1]:8080\\r\\n\\r\\n|421",
        "GET / HTTP/1.1\\r\\nHost: 10.1.2.3\\r\\n\\r\\n|421",
        "GET / HTTP/1.1\\r\\nHost: a.rec.example.com\\r\\nHost: other.example.com\\r\\n\\r\\n|400",
        "NOT-HTTP\\r\\n\\r\\n|400",
    })
    void unroutableRequestsGetAStatusLineAndNeverReachABackend(String escaped, int status) throws Exception {
        int before = recorder.accepted();
        String reply;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("http"))) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(unescape(escaped));
            reply = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(reply).startsWith("HTTP/1.1 " + status + " ");
        assertThat(reply.lines().filter(l -> !l.isEmpty()).reduce((a, b) -> b).orElse("")).hasSizeLessThan(80);
        assertThat(recorder.accepted()).isEqualTo(before);
    }

    @Test
    void requestHeadOverTheCapIsRejected() throws Exception {
        int before = recorder.accepted();
        StringBuilder head = new StringBuilder("GET / HTTP/1.1\r\nHost: a.rec.example.com\r\n");
        while (head.length() < 70_000) {
            head.append("X-Filler: ").append("y".repeat(100)).append("\r\n");
        }
        String reply;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port("http"))) {
            s.setSoTimeout(5000);
            try {
                s.getOutputStream().write(head.toString().getBytes(StandardCharsets.US_ASCII));
            } catch (IOException closedEarly) {
                // the proxy may stop reading once the cap is passed
            }
            byte[] buf = new byte[4096];
            int n;
            try {
                n = s.getInputStream().read(buf);
            } catch (IOException reset) {
                n = -1; // unread request bytes make the kernel answer the close with a reset
            }
            reply = n <= 0 ? "" : new String(buf, 0, n, StandardCharsets.UTF_8);
        }
        assertThat(reply).satisfiesAnyOf(r -> assertThat(r).isEmpty(), r -> assertThat(r).startsWith("HTTP/1.1 400 "));
        assertThat(recorder.accepted()).isEqualTo(before);
        assertThat(proxy.outcome("http", "bad_hello")).isPositive();
    }

    static RecordingServer.Conn last(RecordingServer r) {
        return r.connections().get(r.connections().size() - 1);
    }

    static byte[] unescape(String s) {
        return s.replace("\\r", "\r").replace("\\n", "\n").getBytes(StandardCharsets.ISO_8859_1);
    }
}
