package io.sniproxy.proxy.testing;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.proxy.metrics.ProxyMetrics;
import io.sniproxy.proxy.route.HostResolver;
import io.sniproxy.proxy.route.VertxHostResolver;
import io.sniproxy.proxy.runtime.ListenerFactory;
import io.sniproxy.proxy.runtime.ProxyServer;
import io.sniproxy.proxy.runtime.Transport;
import io.sniproxy.proxy.tcp.TcpListenerFactory;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The real proxy (listeners, parsers, routing, pipes) on its own Vert.x instance, without booting
 * Quarkus, so each test picks its own config. Ports written as {@code ${port:NAME}} in the YAML are
 * replaced by free loopback ports.
 */
public final class ProxyHarness implements AutoCloseable {

    private final Vertx vertx;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ProxyServer server;
    private final Map<String, Integer> ports;

    private ProxyHarness(String yaml, Function<Vertx, HostResolver> resolver, List<ListenerFactory> extra,
            UnaryOperator<Transport> transport) throws Exception {
        this.ports = new HashMap<>();
        String text = substitutePorts(yaml, ports);
        ProxyConfig config = ConfigReader.read("test.yaml", text);
        vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(2));
        List<ListenerFactory> factories = new ArrayList<>();
        factories.add(new TcpListenerFactory());
        factories.addAll(extra);
        server = new ProxyServer(vertx, new ProxyMetrics(registry), resolver.apply(vertx), factories, transport);
        server.start(config).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    public static ProxyHarness start(String yaml) throws Exception {
        return new ProxyHarness(yaml, VertxHostResolver::new, List.of(), UnaryOperator.identity());
    }

    public static ProxyHarness start(String yaml, HostResolver resolver) throws Exception {
        return new ProxyHarness(yaml, v -> resolver, List.of(), UnaryOperator.identity());
    }

    public static ProxyHarness start(String yaml, List<ListenerFactory> extra) throws Exception {
        return new ProxyHarness(yaml, VertxHostResolver::new, extra, UnaryOperator.identity());
    }

    /** With the transport adjusted, e.g. backend sockets that the "OS" refuses ({@link RefusingSockets}). */
    public static ProxyHarness start(String yaml, UnaryOperator<Transport> transport, List<ListenerFactory> extra)
            throws Exception {
        return new ProxyHarness(yaml, VertxHostResolver::new, extra, transport);
    }

    /** Replaces {@code ${port:NAME}} with a free port, the same one for the same NAME. */
    public static String substitutePorts(String yaml, Map<String, Integer> ports) throws IOException {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (true) {
            int start = yaml.indexOf("${port:", i);
            if (start < 0) {
                out.append(yaml.substring(i));
                return out.toString();
            }
            int end = yaml.indexOf('}', start);
            String name = yaml.substring(start + 7, end);
            Integer port = ports.get(name);
            if (port == null) {
                port = freePort();
                ports.put(name, port);
            }
            out.append(yaml, i, start).append(port);
            i = end + 1;
        }
    }

    /** A config with one TLS listener ({@code ${port:tls}}) and one route of {@code hostname} to a loopback port. */
    public static String oneTlsRoute(String hostname, int backendPort) {
        return """
                listeners:
                  - name: tls
                    address: 127.0.0.1:${port:tls}
                    protocol: tls
                routes:
                  - hostnames: [%s]
                    backend: 127.0.0.1:%d
                """.formatted(hostname, backendPort);
    }

    /**
     * A port free for both TCP and UDP on loopback and on the wildcard address (a listener named once
     * in the config may bind either), outside the ephemeral range: see {@link TestPorts}.
     */
    public static int freePort() throws IOException {
        return TestPorts.free();
    }

    public int port(String name) {
        return ports.get(name);
    }

    public ProxyServer server() {
        return server;
    }

    public Vertx vertx() {
        return vertx;
    }

    public SimpleMeterRegistry registry() {
        return registry;
    }

    /** Applies a new config (same {@code ${port:NAME}} names map to the same ports). */
    public void reload(String yaml) throws Exception {
        ProxyConfig config = ConfigReader.read("test.yaml", substitutePorts(yaml, ports));
        server.apply(config).toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }

    public double outcome(String listener, String outcome) {
        Counter c = registry.find("sniproxy.connections.total").tags("listener", listener, "outcome", outcome)
                .counter();
        return c == null ? 0 : c.count();
    }

    public double active(String listener) {
        Gauge g = registry.find("sniproxy.connections.active").tags("listener", listener).gauge();
        return g == null ? 0 : g.value();
    }

    public double bytes(String listener, String direction) {
        FunctionCounter c = registry.find("sniproxy.bytes.total").tags("listener", listener, "direction", direction)
                .functionCounter();
        return c == null ? 0 : c.count();
    }

    /** {@code sniproxy_udp_sessions_active}; -1 when the listener has no such gauge. */
    public double udpSessions(String listener) {
        Gauge g = registry.find("sniproxy.udp.sessions.active").tags("listener", listener).gauge();
        return g == null ? -1 : g.value();
    }

    public double udpDrops(String listener, String reason) {
        Counter c = registry.find("sniproxy.udp.drops").tags("listener", listener, "reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    public double udpDatagrams(String listener, String direction) {
        FunctionCounter c = registry.find("sniproxy.udp.datagrams").tags("listener", listener, "direction", direction)
                .functionCounter();
        return c == null ? 0 : c.count();
    }

    @Override
    public void close() throws Exception {
        server.drain(java.time.Duration.ZERO);
        vertx.close().toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
}
