package io.sniproxy.proxy.runtime;

import io.sniproxy.config.Listener;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.proxy.fd.FdBudget;
import io.sniproxy.proxy.fd.FdReserve;
import io.sniproxy.proxy.balance.BackendRegistry;
import io.sniproxy.proxy.client.ClientLimits;
import io.sniproxy.proxy.metrics.ProxyMetrics;
import io.sniproxy.proxy.route.BackendSelector;
import io.sniproxy.proxy.route.HostResolver;
import io.vertx.core.CompositeFuture;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import org.jboss.logging.Logger;

/**
 * The running proxy: binds the configured listeners, swaps config snapshots on reload (new
 * connections see the new routes, open ones keep theirs), and drains on shutdown. Plain Java over
 * a Vert.x instance, so tests start it with any config without booting Quarkus.
 */
public final class ProxyServer {

    private static final Logger LOG = Logger.getLogger(ProxyServer.class);

    private final ServerContext context;
    private final List<ListenerFactory> factories;
    private final AtomicLong generations = new AtomicLong();
    private final Map<String, ListenerFactory.RunningListener> running = new LinkedHashMap<>();
    private final FdReserve reserve;
    private volatile Snapshot snapshot;
    private volatile boolean draining;
    private FdBudget logged; // the budget last logged: a reload that changes nothing logs nothing

    public ProxyServer(Vertx vertx, ProxyMetrics metrics, HostResolver resolver, List<ListenerFactory> factories) {
        this(vertx, metrics, resolver, factories, UnaryOperator.identity());
    }

    /** @param transport adjusts the transport found for Vert.x's event loops (tests: failing backend sockets) */
    public ProxyServer(Vertx vertx, ProxyMetrics metrics, HostResolver resolver, List<ListenerFactory> factories,
            UnaryOperator<Transport> transport) {
        this.factories = List.copyOf(factories);
        Transport t = transport.apply(Transport.of(vertx.nettyEventLoopGroup()));
        BackendRegistry backends = new BackendRegistry(metrics.registry(), t.group(), t.backendSockets(),
                resolver::resolve);
        this.context = new ServerContext(vertx, t, this::snapshot, new BackendSelector(resolver, backends),
                new ConnectionRegistry(), metrics, new AccessLogger(), backends, new ClientLimits());
        // Before the first listener is bound and the first connection accepted: what the process holds anyway.
        this.reserve = FdReserve.measure(context.transport().eventLoops());
        LOG.debugf("fd reserve: %d open before the first listener (jars left out), + one socket per listener per event loop (%d), "
                + "+ %d headroom (management, DNS, reloads, class loading)", reserve.baseline(), reserve.eventLoops(), FdReserve.HEADROOM);
        metrics.limits(() -> limit(FdBudget::maxConnections), () -> limit(FdBudget::configuredConnections),
                () -> limit(FdBudget::maxUdpSessions), () -> limit(FdBudget::configuredUdpSessions));
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    public ServerContext context() {
        return context;
    }

    public boolean draining() {
        return draining;
    }

    public int openConnections() {
        return context.registry().count();
    }

    /** Binds every listener of {@code config}; fails if any cannot be bound (and unbinds the rest). */
    public synchronized Future<Void> start(ProxyConfig config) {
        install(prepare(config));
        adopt(config);
        return bindAll(config.listeners()).recover(e -> stopAccepting().compose(v -> Future.failedFuture(e)));
    }

    /**
     * Builds the next generation: routes, self-loop guard (it lists the host's interfaces) and the
     * effective limits (it reads RLIMIT_NOFILE). Blocks briefly: call it off the event loop.
     */
    public Snapshot prepare(ProxyConfig config) {
        return Snapshot.of(generations.incrementAndGet(), config, reserve);
    }

    /** {@link #prepare} and {@link #apply(Snapshot)} in one (tests, and callers off the event loop). */
    public Future<Void> apply(ProxyConfig config) {
        return apply(prepare(config));
    }

    /**
     * Applies a new, already validated config: new connections use it at once; listeners that were
     * removed stop accepting (their open connections go on), new ones are bound. Blocking-free.
     */
    public synchronized Future<Void> apply(Snapshot next) {
        ProxyConfig config = next.config();
        Map<String, Listener> wanted = new LinkedHashMap<>();
        for (Listener l : config.listeners()) {
            wanted.put(key(l), l);
        }
        List<Future<?>> stops = new ArrayList<>();
        for (var it = running.entrySet().iterator(); it.hasNext();) {
            var e = it.next();
            if (!wanted.containsKey(e.getKey())) {
                stops.add(e.getValue().stopAccepting());
                it.remove();
            }
        }
        install(next);
        adopt(config);
        List<Listener> added = wanted.entrySet().stream().filter(e -> !running.containsKey(e.getKey()))
                .map(Map.Entry::getValue).toList();
        return Future.join(stops).transform(x -> bindAll(added));
    }

    private double limit(java.util.function.ToIntFunction<FdBudget> which) {
        Snapshot s = snapshot;
        return s == null ? Double.NaN : which.applyAsInt(s.limits());
    }

    private void install(Snapshot next) {
        snapshot = next;
        FdBudget b = next.limits();
        if (b.equals(logged)) {
            return;
        }
        logged = b;
        if (b.capped()) {
            LOG.warn(b.warning());
        } else if (b.fdLimit() > 0) {
            LOG.infof("fd limit %d (%d kept for the process) allows %d TCP connections; limits.maxConnections %d "
                    + "and maxUdpSessions %d fit", b.fdLimit(), b.reserve(), b.allowedConnections(),
                    b.configuredConnections(), b.configuredUdpSessions());
        }
    }

    private Future<Void> bindAll(List<Listener> listeners) {
        List<Future<?>> binds = new ArrayList<>();
        for (Listener l : listeners) {
            Optional<ListenerFactory> factory = factories.stream().filter(f -> f.supports(l.protocol())).findFirst();
            if (factory.isEmpty()) {
                binds.add(Future.failedFuture(new IllegalStateException(
                        "listener '" + l.name() + "': protocol " + l.protocol().yamlName() + " is not available")));
                continue;
            }
            binds.add(factory.get().bind(l, context).onSuccess(r -> {
                synchronized (this) {
                    running.put(key(l), r);
                }
                LOG.infof("listening: %s %s on %s", l.name(), l.protocol().yamlName(), l.address());
            }));
        }
        CompositeFuture c = Future.join(binds);
        return c.transform(ar -> {
            for (int i = 0; i < c.size(); i++) {
                if (c.failed(i)) {
                    return Future.failedFuture(c.cause(i));
                }
            }
            return Future.succeededFuture();
        });
    }

    /** The config's backends (health checks) and per-client limits take over from the previous one's. */
    private void adopt(ProxyConfig config) {
        context.backends().update(config);
        context.clientLimits().apply(config.limits());
    }

    public synchronized Future<Void> stopAccepting() {
        List<Future<?>> stops = new ArrayList<>();
        running.values().forEach(r -> stops.add(r.stopAccepting()));
        running.clear();
        return Future.join(stops).mapEmpty();
    }

    /**
     * Graceful drain: stop accepting, let open connections finish for up to {@code bound}, then
     * close whatever is left. Blocks the calling thread (shutdown hook), never an event loop.
     */
    public void drain(Duration bound) {
        draining = true;
        context.backends().close(); // health probes stop with the proxy
        try {
            stopAccepting().toCompletionStage().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warnf("stopping listeners: %s", e.toString());
        }
        long deadline = System.nanoTime() + bound.toNanos();
        if (stillOpen() > 0) {
            LOG.infof("draining %s for up to %s", describeOpen(), bound);
        }
        while (stillOpen() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (stillOpen() > 0) {
            LOG.infof("drain bound reached: closing %s", describeOpen());
            context.registry().closeAll("drain bound reached");
        }
    }

    /** UDP (QUIC) sessions still forwarding or pending. */
    public int openSessions() {
        return context.registry().sessionCount();
    }

    private int stillOpen() {
        return openConnections() + openSessions();
    }

    private String describeOpen() {
        String tcp = openConnections() + " open connection(s)";
        int udp = openSessions();
        return udp == 0 ? tcp : tcp + " and " + udp + " QUIC session(s)";
    }

    private static String key(Listener l) {
        return l.name() + "|" + l.address() + "|" + l.protocol();
    }
}
