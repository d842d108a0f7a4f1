package io.sniproxy.proxy.runtime;

import io.sniproxy.config.Listener;
import io.sniproxy.config.ProxyConfig;
import java.util.HashMap;
import java.util.Map;
import io.sniproxy.proxy.route.RoutingView;
import io.sniproxy.proxy.route.SelfLoopGuard;
import io.sniproxy.route.RouteTable;

/**
 * One config generation: the records, the route table and the self-loop guard built from them.
 * A connection takes the snapshot in force when it is accepted and keeps it, so a reload never
 * changes a connection midway. Build it off the event loop (the guard lists interface addresses).
 */
public record Snapshot(long generation, ProxyConfig config, RouteTable routes, SelfLoopGuard selfLoop,
        Map<String, Listener> listenersByName) implements RoutingView {

    public static Snapshot of(long generation, ProxyConfig config) {
        Map<String, Listener> byName = new HashMap<>();
        config.listeners().forEach(l -> byName.put(l.name(), l));
        return new Snapshot(generation, config, RouteTable.of(config.routes()), SelfLoopGuard.of(config),
                Map.copyOf(byName));
    }

    /** This generation's settings of a listener (e.g. a changed default backend), or {@code bound} if it has none. */
    public Listener listener(Listener bound) {
        return listenersByName.getOrDefault(bound.name(), bound);
    }
}
