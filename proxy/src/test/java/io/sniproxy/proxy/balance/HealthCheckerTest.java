package io.sniproxy.proxy.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sniproxy.proxy.metrics.FileDescriptors;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Active TCP-connect checks against a real listening socket that goes away and comes back. */
class HealthCheckerTest {

    static final BackendRegistry.Check FAST = new BackendRegistry.Check(Duration.ofMillis(40), Duration.ofMillis(500), 2, 2);

    EventLoopGroup group;
    SimpleMeterRegistry meters;
    BackendRegistry registry;

    @BeforeEach
    void start() {
        group = new NioEventLoopGroup(1);
        meters = new SimpleMeterRegistry();
        registry = new BackendRegistry(meters, group, new ReflectiveChannelFactory<>(NioSocketChannel.class),
                host -> Future.succeededFuture(InetAddress.getLoopbackAddress()));
    }

    @AfterEach
    void stop() {
        registry.close();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** A server that counts the connections it accepted and closes them. */
    static final class Server implements AutoCloseable {
        final ServerSocket socket;
        final AtomicInteger accepted = new AtomicInteger();

        Server(int port) throws Exception {
            socket = new ServerSocket();
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            Thread t = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket s = socket.accept()) {
                        accepted.incrementAndGet();
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws Exception {
            socket.close();
        }
    }

    @Test
    void aBackendThatStopsListeningIsMarkedDownAfterFallAndUpAgainAfterRise() throws Exception {
        Server server = new Server(0);
        int port = server.port();
        String label = "127.0.0.1:" + port;
        registry.update(List.of(new BackendRegistry.Wanted(label, "127.0.0.1", port, Optional.of(FAST))));
        BackendState s = registry.state(label);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.accepted.get() >= 2);
        assertThat(s.up()).isTrue();
        assertThat(gauge("sniproxy.backend.up", label)).isEqualTo(1.0);

        server.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> !s.up());
        assertThat(gauge("sniproxy.backend.up", label)).isEqualTo(0.0);

        try (Server back = new Server(port)) {
            await().atMost(Duration.ofSeconds(10)).until(s::up);
            assertThat(back.accepted.get()).isGreaterThanOrEqualTo(FAST.rise());
        }
    }

    @Test
    void probesLeaveNoSocketBehindAndStopWithTheConfig() throws Exception {
        try (Server server = new Server(0)) {
            String label = "127.0.0.1:" + server.port();
            long fdsBefore = FileDescriptors.open();
            registry.update(List.of(new BackendRegistry.Wanted(label, "127.0.0.1", server.port(), Optional.of(FAST))));
            await().atMost(Duration.ofSeconds(10)).until(() -> server.accepted.get() >= 10);
            registry.update(List.of());
            assertThat(registry.checks()).isZero();
            assertThat(meters.find("sniproxy.backend.up").gauges()).as("meters go with the backend").isEmpty();
            int settled = server.accepted.get();
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                    .until(() -> server.accepted.get() <= settled + 1);
            if (fdsBefore >= 0) {
                await().atMost(Duration.ofSeconds(10)).until(() -> FileDescriptors.open() <= fdsBefore + 2);
            }
        }
    }

    @Test
    void aNameThatDoesNotResolveCountsAsAFailedProbe() {
        BackendRegistry failing = new BackendRegistry(meters, group, new ReflectiveChannelFactory<>(NioSocketChannel.class),
                host -> Future.failedFuture(new java.net.UnknownHostException(host)));
        try {
            failing.update(List.of(new BackendRegistry.Wanted("nowhere.invalid:443", "nowhere.invalid", 443,
                    Optional.of(FAST))));
            await().atMost(Duration.ofSeconds(10)).until(() -> !failing.state("nowhere.invalid:443").up());
        } finally {
            failing.close();
        }
    }

    @Test
    void aReloadKeepsTheStateOfBackendsThatStayAndTheTurnOfRoutesThatStay() throws Exception {
        String yaml = """
                listeners:
                  - name: tls
                    address: 127.0.0.1:8443
                    protocol: tls
                routes:
                  - hostnames: [a.example.com]
                    backends: [127.0.0.1:9001, 127.0.0.1:9002]
                """;
        io.sniproxy.config.ProxyConfig first = io.sniproxy.config.ConfigReader.read("a.yaml", yaml);
        registry.update(first);
        BackendState kept = registry.state("127.0.0.1:9001");
        kept.connectFailed(System.nanoTime());
        Strategy turn = registry.strategy(first.routes().get(0));
        io.sniproxy.config.ProxyConfig again = io.sniproxy.config.ConfigReader.read("a.yaml", yaml);
        registry.update(again);
        assertThat(registry.state("127.0.0.1:9001")).isSameAs(kept);
        assertThat(kept.up()).as("health survives the reload").isFalse();
        assertThat(registry.strategy(again.routes().get(0))).as("an equal route keeps its turn").isSameAs(turn);
        registry.update(io.sniproxy.config.ConfigReader.read("b.yaml", yaml.replace("9002", "9003")));
        assertThat(meters.find("sniproxy.backend.up").tag("backend", "127.0.0.1:9002").gauge()).isNull();
        assertThat(meters.find("sniproxy.backend.up").tag("backend", "127.0.0.1:9003").gauge()).isNotNull();
        assertThat(registry.state("127.0.0.1:9001")).isSameAs(kept);
    }

    double gauge(String name, String backend) {
        return meters.get(name).tag("backend", backend).gauge().value();
    }
}
