package io.sniproxy.proxy.balance;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.sniproxy.config.Backend;
import io.sniproxy.config.Balance;
import io.sniproxy.config.HostPort;
import io.sniproxy.config.Listener;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.config.Route;
import io.vertx.core.Future;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Every configured backend's {@link BackendState}, kept across reloads for the backends that stay
 * (their health and counts go on), with their meters and their active health checks. A reload
 * hands in the wanted set; what left is stopped and unregistered.
 */
public final class BackendRegistry implements AutoCloseable {

    /** One backend as the config names it, and its active check if any. */
    public record Wanted(String label, String host, int port, Optional<Check> check) {
    }

    /** Active health settings (HAProxy's inter, timeout check, rise, fall). */
    public record Check(Duration interval, Duration timeout, int rise, int fall) {
    }

    private final MeterRegistry metrics;
    private final EventLoopGroup group;
    private final ChannelFactory<? extends SocketChannel> sockets;
    private final Function<String, Future<InetAddress>> resolver;
    private final Strategy defaultStrategy = new Strategy.RoundRobin();
    /** Each route of the config in force and its strategy (round-robin position); by identity, as RouteTable hands them out. */
    private volatile Map<Route, Strategy> strategies = new IdentityHashMap<>();
    private final Map<String, BackendState> states = new ConcurrentHashMap<>();
    private final Map<String, BackendMeters> meters = new HashMap<>();
    private final Map<String, Running> checkers = new HashMap<>();

    private record Running(Wanted wanted, HealthChecker checker) {
    }

    public BackendRegistry(MeterRegistry metrics, EventLoopGroup group, ChannelFactory<? extends SocketChannel> sockets,
            Function<String, Future<InetAddress>> resolver) {
        this.metrics = metrics;
        this.group = group;
        this.sockets = sockets;
        this.resolver = resolver;
    }

    /** The state of {@code label}, created (with its meters) if the config did not list it yet. */
    public BackendState state(String label) {
        BackendState s = states.get(label);
        return s != null ? s : register(label);
    }

    private synchronized BackendState register(String label) {
        return states.computeIfAbsent(label, l -> {
            BackendState s = new BackendState(l);
            meters.put(l, new BackendMeters(metrics, s));
            return s;
        });
    }

    /** Applies a config's backends: new ones registered, checks (re)started where changed, the rest removed. */
    public synchronized void update(List<Wanted> wanted) {
        Map<String, Wanted> byLabel = new HashMap<>();
        for (Wanted w : wanted) {
            // a backend named by several routes: the first one with a check decides it
            Wanted seen = byLabel.get(w.label());
            if (seen == null || (seen.check().isEmpty() && w.check().isPresent())) {
                byLabel.put(w.label(), w);
            }
        }
        for (var it = checkers.entrySet().iterator(); it.hasNext();) {
            var e = it.next();
            Wanted w = byLabel.get(e.getKey());
            if (w == null || !Objects.equals(w, e.getValue().wanted())) {
                e.getValue().checker().stop();
                it.remove();
            }
        }
        for (String label : List.copyOf(states.keySet())) {
            if (!byLabel.containsKey(label)) {
                states.remove(label);
                BackendMeters m = meters.remove(label);
                if (m != null) {
                    m.remove();
                }
            }
        }
        for (Wanted w : byLabel.values()) {
            BackendState s = state(w.label());
            if (w.check().isPresent() && !checkers.containsKey(w.label())) {
                Check c = w.check().get();
                HealthChecker checker = new HealthChecker(s, w.host(), w.port(), c.interval(), c.timeout(), c.rise(),
                        c.fall(), group.next(), sockets, resolver);
                checkers.put(w.label(), new Running(w, checker));
                checker.start();
            }
        }
    }

    /** The label of a backend: {@code host:port} with the port the connection uses. */
    public static String label(HostPort effective) {
        return effective.isIpv6Literal() ? "[" + effective.host() + "]:" + effective.portOr(0)
                : effective.host() + ":" + effective.portOr(0);
    }

    /** The strategy of a route of the config in force (a route of an older generation gets a fresh one). */
    public Strategy strategy(Route route) {
        Strategy s = strategies.get(route);
        return s != null ? s : Strategy.of(route.balance());
    }

    /** For a listener's default backend: a single backend, so the strategy never matters. */
    public Strategy roundRobin() {
        return defaultStrategy;
    }

    /**
     * Applies a config: its routes' strategies (an equal route keeps its position), the backends it
     * names with explicit ports and their health checks. Port-less backends (the listener's port)
     * are registered when first used and get passive health only.
     */
    public synchronized void update(ProxyConfig config) {
        Map<Route, Strategy> next = new IdentityHashMap<>();
        Map<Route, Strategy> previous = new HashMap<>();
        strategies.forEach(previous::put);
        List<Wanted> wanted = new ArrayList<>();
        for (Route r : config.routes()) {
            Strategy kept = previous.get(r);
            next.put(r, kept != null ? kept : Strategy.of(r.balance()));
            if (r.isTransparent()) {
                continue;
            }
            Optional<Check> check = r.healthCheck().map(h -> new Check(h.interval(), h.timeout(), h.rise(), h.fall()));
            for (Backend b : r.backends()) {
                HostPort hp = ((Backend.Static) b).address();
                if (hp.port().isPresent()) {
                    wanted.add(new Wanted(label(hp), hp.host(), hp.port().getAsInt(), check));
                }
            }
        }
        for (Listener l : config.listeners()) {
            l.defaultBackend().ifPresent(b -> {
                if (b instanceof Backend.Static s) {
                    HostPort hp = HostPort.of(s.address().host(), s.address().portOr(l.port()));
                    wanted.add(new Wanted(label(hp), hp.host(), hp.portOr(0), Optional.empty()));
                }
            });
        }
        strategies = next;
        update(wanted);
    }

    /** Health checks running now. */
    public synchronized int checks() {
        return checkers.size();
    }

    /** Stops every health check (the server is stopping). */
    @Override
    public synchronized void close() {
        checkers.values().forEach(r -> r.checker().stop());
        checkers.clear();
    }
}
