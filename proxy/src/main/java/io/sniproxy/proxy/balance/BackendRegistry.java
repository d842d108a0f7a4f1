package io.sniproxy.proxy.balance;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.sniproxy.proxy.route.HostResolver;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

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
    private final Class<? extends SocketChannel> channelClass;
    private final HostResolver resolver;
    private final Map<String, BackendState> states = new ConcurrentHashMap<>();
    private final Map<String, BackendMeters> meters = new HashMap<>();
    private final Map<String, Running> checkers = new HashMap<>();

    private record Running(Wanted wanted, HealthChecker checker) {
    }

    public BackendRegistry(MeterRegistry metrics, EventLoopGroup group, Class<? extends SocketChannel> channelClass,
            HostResolver resolver) {
        this.metrics = metrics;
        this.group = group;
        this.channelClass = channelClass;
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
            byLabel.putIfAbsent(w.label(), w);
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
                        c.fall(), group.next(), channelClass, resolver);
                checkers.put(w.label(), new Running(w, checker));
                checker.start();
            }
        }
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
