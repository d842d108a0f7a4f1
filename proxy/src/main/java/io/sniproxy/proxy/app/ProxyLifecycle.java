package io.sniproxy.proxy.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.sniproxy.config.ConfigException;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.proxy.metrics.ProxyMetrics;
import io.sniproxy.proxy.route.VertxHostResolver;
import io.sniproxy.proxy.runtime.ListenerFactory;
import io.sniproxy.proxy.runtime.ProxyServer;
import io.sniproxy.proxy.tcp.TcpListenerFactory;
import io.vertx.core.Vertx;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Starts the proxy when Quarkus starts and drains it on SIGTERM. An invalid config at startup is
 * logged (every error, no stack trace) and leaves the process up with readiness DOWN, waiting for
 * a corrected file; a valid one binds every listener.
 */
@ApplicationScoped
public class ProxyLifecycle {

    private static final Logger LOG = Logger.getLogger("sniproxy");

    private final Vertx vertx;
    private final MeterRegistry registry;
    private final Instance<ListenerFactory> extraFactories;
    private volatile ProxyServer server;
    private volatile String startupProblem = "starting";

    ProxyLifecycle(Vertx vertx, MeterRegistry registry, Instance<ListenerFactory> extraFactories) {
        this.vertx = vertx;
        this.registry = registry;
        this.extraFactories = extraFactories;
    }

    void onStart(@Observes StartupEvent event) {
        FastJarPreload.Outcome preload = FastJarPreload.outcome();
        if (preload.fastJar()) {
            LOG.log(preload.listFound() ? Logger.Level.INFO : Logger.Level.WARN, preload.describe());
        }
        List<ListenerFactory> factories = new ArrayList<>();
        factories.add(new TcpListenerFactory());
        extraFactories.forEach(factories::add);
        server = new ProxyServer(vertx, new ProxyMetrics(registry), new VertxHostResolver(vertx), factories);
        ProxyConfig config;
        try {
            config = ConfigLocation.load();
        } catch (ConfigException e) {
            startupProblem = "config invalid";
            LOG.errorf("config rejected; the proxy stays unready until the file is fixed:%n%s", e.getMessage());
            return;
        }
        start(config);
    }

    /** Starts with {@code config}; used at startup and when a corrected file arrives after a bad start. */
    synchronized void start(ProxyConfig config) {
        try {
            server.start(config).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            startupProblem = null;
            LOG.infof("sniproxy ready: %d listener(s), %d route(s), config %s", config.listeners().size(),
                    config.routes().size(), ConfigLocation.file().map(Object::toString).orElse("(built-in default)"));
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            startupProblem = "listeners not bound";
            // A port that cannot be bound will not free itself: exit non-zero like any server would,
            // so that systemd or Kubernetes report it, instead of idling unready forever.
            LOG.errorf("cannot start, exiting: %s", cause.getMessage());
            Quarkus.asyncExit(1);
        }
    }

    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        ProxyServer s = server;
        if (s == null) {
            return;
        }
        Duration bound = s.snapshot() == null ? Duration.ZERO : s.snapshot().config().timeouts().drain();
        s.drain(bound);
    }

    public ProxyServer server() {
        return server;
    }

    /** Null when running; otherwise why the proxy is not ready. */
    public String startupProblem() {
        return startupProblem;
    }
}
