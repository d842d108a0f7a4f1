package io.sniproxy.proxy.it;

import com.sun.net.httpserver.HttpServer;
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

/**
 * What the whole-application tests talk to: two TLS backends ({@code blue}, {@code green}), an HTTP
 * backend, the config file on disk that routes to them, and the loopback ports the proxy's listeners
 * and management interface were given. The proxy itself runs in Quarkus (the test JVM for
 * {@code @QuarkusTest}, a separate process from the packaged artifact for {@code @QuarkusIntegrationTest}).
 */
public final class ProxyUnderTest implements AutoCloseable {

    /** TLS {@code api.example.com} goes to %1$s; HTTP {@code localhost} goes to %2$s. */
    static final String CONFIG = """
            listeners:
              - name: tls
                address: 127.0.0.1:${port:tls}
                protocol: tls
              - name: http
                address: 127.0.0.1:${port:http}
                protocol: http
            routes:
              - hostnames: [api.example.com]
                backend: %1$s
                protocols: [tls]
              - hostnames: [localhost]
                backend: %2$s
                protocols: [http]
            timeouts:
              drain: 3s
            """;

    final TlsEchoServer blue;
    final TlsEchoServer green;
    final HttpServer web;
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
        managementPort = ProxyHarness.freePort();
        configFile = Files.createTempFile("sniproxy-it", ".yaml");
        routeApiTo(blue);
    }

    static ProxyUnderTest start() throws Exception {
        return new ProxyUnderTest();
    }

    /** Rewrites the config file (atomically, as a ConfigMap update does) to send TLS api.example.com to {@code backend}. */
    void routeApiTo(TlsEchoServer backend) throws IOException {
        write(CONFIG.formatted(backend.address(), "127.0.0.1:" + web.getAddress().getPort()));
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
        try (blue; green) {
            web.stop(0);
        } finally {
            Files.deleteIfExists(configFile);
        }
    }
}
