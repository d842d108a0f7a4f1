package io.sniproxy.operator.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP endpoint serving a proxy pod's {@code /q/metrics} in Prometheus text format, with gauges
 * the test sets. Bound to its own loopback address (127.0.0.x), as each pod has its own IP.
 */
public final class MetricsEndpoint implements AutoCloseable {

    private final HttpServer server;
    private volatile double openFds = 120;
    private volatile double maxFds = 1_048_576;
    private volatile double active = 10;
    private volatile double poolSize;
    private volatile int scrapes;
    private volatile long delayMillis;
    private volatile AtomicInteger inFlight = new AtomicInteger();
    private volatile AtomicInteger maxInFlight = new AtomicInteger();

    public MetricsEndpoint(String ip, int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(ip), port), 16);
        server.createContext("/q/metrics", exchange -> {
            scrapes++;
            int now = inFlight.incrementAndGet();
            maxInFlight.accumulateAndGet(now, Math::max);
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                inFlight.decrementAndGet();
            }
            byte[] body = text().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public MetricsEndpoint fds(double open, double max) {
        this.openFds = open;
        this.maxFds = max;
        return this;
    }

    public MetricsEndpoint active(double connections) {
        this.active = connections;
        return this;
    }

    /**
     * Answers each scrape after {@code millis}, counting scrapes in flight in {@code inFlight} (shared
     * between endpoints to see how many the watchdog runs at once) and the most seen in {@code max}.
     */
    public MetricsEndpoint slow(long millis, AtomicInteger inFlight, AtomicInteger max) {
        this.delayMillis = millis;
        this.inFlight = inFlight;
        this.maxInFlight = max;
        return this;
    }

    public MetricsEndpoint poolSize(double size) {
        this.poolSize = size;
        return this;
    }

    public double openFds() {
        return openFds;
    }

    public int scrapes() {
        return scrapes;
    }

    private String text() {
        return """
                # HELP process_open_fds The open file descriptors
                # TYPE process_open_fds gauge
                process_open_fds %s
                # TYPE process_max_fds gauge
                process_max_fds %s
                # TYPE sniproxy_connections_active gauge
                sniproxy_connections_active{listener="https"} %s
                sniproxy_connections_active{listener="web"} 0.0
                # TYPE sniproxy_pool_size gauge
                sniproxy_pool_size %s
                sniproxy_pool_active_connections 0.0
                """.formatted(openFds, maxFds, active, poolSize);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
