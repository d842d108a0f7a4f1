package io.sniproxy.operator.watchdog;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.sniproxy.operator.api.SniProxy;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands the watchdog's findings to the SniProxy reconciler, which alone writes status: a changed
 * finding triggers a reconcile through an inbound event source.
 */
@ApplicationScoped
public class WatchdogState {

    private final Map<ResourceID, ProxyHealth> health = new ConcurrentHashMap<>();
    private volatile SimpleInboundEventSource<SniProxy> trigger;

    public void attach(SimpleInboundEventSource<SniProxy> source) {
        this.trigger = source;
    }

    public Optional<ProxyHealth> health(ResourceID proxy) {
        return Optional.ofNullable(health.get(proxy));
    }

    /** Records the latest health; true (and a reconcile is triggered) when it differs from the last. */
    public boolean update(ResourceID proxy, ProxyHealth latest) {
        ProxyHealth previous = health.put(proxy, latest);
        if (Objects.equals(previous, latest)) {
            return false;
        }
        SimpleInboundEventSource<SniProxy> t = trigger;
        if (t != null) {
            t.propagateEvent(proxy);
        }
        return true;
    }

    /** Drops what is known about proxies that no longer exist. */
    public void retainOnly(Set<ResourceID> proxies) {
        health.keySet().retainAll(proxies);
    }
}
