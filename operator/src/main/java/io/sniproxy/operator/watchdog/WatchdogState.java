package io.sniproxy.operator.watchdog;

import io.fabric8.kubernetes.api.model.Pod;
import io.javaoperatorsdk.operator.processing.event.source.IndexerResourceCache;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.proxy.ProxyLabels;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Hands the watchdog's findings to the SniProxy reconciler, which alone writes status: a changed
 * finding triggers a reconcile through an inbound event source. The other way, it gives the watchdog
 * the reconciler's informer caches of SniProxies and proxy pods, so a pass lists nothing from the API.
 */
@ApplicationScoped
public class WatchdogState {

    private final Map<ResourceID, ProxyHealth> health = new ConcurrentHashMap<>();
    private volatile SimpleInboundEventSource<SniProxy> trigger;
    private volatile IndexerResourceCache<SniProxy> proxies;
    private volatile InformerEventSource<Pod, SniProxy> pods;

    public void attach(SimpleInboundEventSource<SniProxy> source, IndexerResourceCache<SniProxy> proxyCache,
            InformerEventSource<Pod, SniProxy> podSource) {
        this.trigger = source;
        this.proxies = proxyCache;
        this.pods = podSource;
    }

    /** Every SniProxy the operator knows; none before the reconciler has started. */
    public List<SniProxy> proxies() {
        IndexerResourceCache<SniProxy> cache = proxies;
        return cache == null ? List.of() : cache.list().toList();
    }

    /** The pods of one fleet, as the informer last saw them. */
    public List<Pod> pods(SniProxy proxy) {
        InformerEventSource<Pod, SniProxy> source = pods;
        if (source == null) {
            return List.of();
        }
        ResourceID id = ResourceID.fromResource(proxy);
        return source.list(proxy.getMetadata().getNamespace(),
                p -> ProxyLabels.fleetOf(p).map(id::equals).orElse(false)).toList();
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
