package io.sniproxy.proxy.runtime;

import io.sniproxy.config.Listener;
import io.sniproxy.config.Protocol;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.proxy.fd.FdBudget;
import io.sniproxy.proxy.fd.FdReserve;
import io.sniproxy.proxy.metrics.FileDescriptors;
import io.sniproxy.proxy.route.RoutingView;
import io.sniproxy.proxy.route.SelfLoopGuard;
import io.sniproxy.route.RouteTable;
import java.util.HashMap;
import java.util.Map;

/**
 * One config generation: the records, the route table and the self-loop guard built from them,
 * and the effective limits ({@link FdBudget}: the configured ones capped to what
 * {@code RLIMIT_NOFILE}, read now, allows). A connection takes the snapshot in force when it is
 * accepted and keeps it, so a reload never changes a connection midway. Build it off the event
 * loop (the guard lists interface addresses).
 */
public record Snapshot(long generation, ProxyConfig config, RouteTable routes, SelfLoopGuard selfLoop,
        Map<String, Listener> listenersByName, FdBudget limits) implements RoutingView {

    public static Snapshot of(long generation, ProxyConfig config, FdReserve reserve) {
        Map<String, Listener> byName = new HashMap<>();
        config.listeners().forEach(l -> byName.put(l.name(), l));
        boolean tcp = config.listeners().stream().anyMatch(l -> l.protocol().isTcp());
        boolean udp = config.listeners().stream().anyMatch(l -> l.protocol() == Protocol.QUIC);
        FdBudget limits = FdBudget.derive(config.limits(), tcp, udp, FileDescriptors.max(),
                reserve.forListeners(config.listeners().size()));
        return new Snapshot(generation, config, RouteTable.of(config.routes()), SelfLoopGuard.of(config),
                Map.copyOf(byName), limits);
    }

    /** This generation's settings of a listener (e.g. a changed default backend), or {@code bound} if it has none. */
    public Listener listener(Listener bound) {
        return listenersByName.getOrDefault(bound.name(), bound);
    }
}
