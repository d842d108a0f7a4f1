package io.sniproxy.proxy.it;

import com.sun.net.httpserver.HttpServer;
import io.netty.channel.nio.NioEventLoopGroup;
import io.sniproxy.proxy.quic.QuicPeers;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.TlsEchoServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the whole-application tests talk to: two TLS backends ({@code blue}, {@code green}), an HTTP
 * backend, a QUIC backend, the config file on disk that routes to them, and the loopback ports the proxy's listeners
 * and management interface were given. The proxy itself runs in Quarkus (the test JVM for
 * {@code @QuarkusTest}, a separate process from the packaged artifact for {@code @QuarkusIntegrationTest}).
 */
public final class ProxyUnderTest implements AutoCloseable {

    /**
     * TLS {@code api.example.com} goes to %1$s, HTTP {@code localhost} to %2$s, QUIC
     * {@code quic.example.com} to %3$s; QUIC listens on the TLS port number, as in the built-in default.
     */
    static final String CONFIG = """
            listeners:
              - name: tls
                address: 127.0.0.1:${port:tls}
                protocol: tls
              - name: http
                address: 127.0.0.1:${port:http}
                protocol: http
              - name: quic
                address: 127.0.0.1:${port:tls}
                protocol: quic
            routes:
              - hostnames: [api.example.com]
                backend: %1$s
                protocols: [tls]
              - hostnames: [localhost]
                backend: %2$s
                protocols: [http]
              - hostnames: [quic.example.com]
                backend: %3$s
                protocols: [quic]
            timeouts:
              drain: 3s
            """;

    final TlsEchoServer blue;
    final TlsEchoServer green;
    final HttpServer web;
    final NioEventLoopGroup quicGroup = new NioEventLoopGroup(1);
    final QuicPeers.Server quic;
    final Path configFile;
    final int managementPort;
    private final Map<String, Integer> ports = new HashMap<>();

    private ProxyUnderTest() throws Exception {
        blue = new TlsEchoServer("blue");
        green = new TlsEchoServer("green");
        web = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        web.createContext("/", ex -> {
            byte[] body = ("web saw Host=" + ex.getRequestHeaders().getFirst("Host") + " path=" + ex.getRequestURI())
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        web.start();
        quic = new QuicPeers.Server(quicGroup, "quic", false);
        managementPort = ProxyHarness.freePort();
        configFile = Files.createTempFile("sniproxy-it", ".yaml");
        routeApiTo(blue);
    }

    static ProxyUnderTest start() throws Exception {
        return new ProxyUnderTest();
    }

    /** Rewrites the config file (atomically, as a ConfigMap update does) to send TLS api.example.com to {@code backend}. */
    void routeApiTo(TlsEchoServer backend) throws IOException {
        write(CONFIG.formatted(backend.address(), "127.0.0.1:" + web.getAddress().getPort(), quic.address()));
    }

    void write(String yaml) throws IOException {
        Path tmp = configFile.resolveSibling(configFile.getFileName() + ".tmp");
        Files.writeString(tmp, ProxyHarness.substitutePorts(yaml, ports));
        Files.move(tmp, configFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    int port(String listener) {
        return ports.get(listener);
    }

    URI management(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    @Override
    public void close() throws IOException {
        try (blue; green; quic) {
            web.stop(0);
        } finally {
            quicGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            Files.deleteIfExists(configFile);
        }
    }
}
